//! GetMessage and ListMessages: a tenant sees only messages for its own AGB codes; another
//! tenant's message is NOT_FOUND, so ids reveal nothing.
//!
//! [`visible_message`] and [`MessageFilter`] are the authorisation and the filter of these
//! RPCs; the operator console ([`crate::console`]) reads messages through them too, and
//! resends through [`resend_message`], so both see exactly the same.

use chrono::NaiveDate;

use super::Shared;
use crate::error::{Error, FieldViolation};
use crate::proto;
use crate::store::{Melding, MessageMeta, MessageState, Outcome, Write};
use crate::tenant::Tenant;

/// Default and largest page size of ListMessages.
const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 500;

pub(crate) fn state_to_proto(s: MessageState) -> proto::MessageState {
    match s {
        MessageState::Queued => proto::MessageState::Queued,
        MessageState::Delivered => proto::MessageState::Delivered,
        MessageState::RejectedByVecozo => proto::MessageState::RejectedByVecozo,
        MessageState::Answered => proto::MessageState::Answered,
        MessageState::DeadlineMissed => proto::MessageState::DeadlineMissed,
    }
}

pub(crate) fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

pub(crate) fn meldingen(m: &[Melding]) -> Vec<proto::Melding> {
    m.iter()
        .map(|m| proto::Melding {
            code: m.code.clone(),
            description: m.description.clone(),
        })
        .collect()
}

/// The proto record of `meta`, with `xml` (empty in lists).
pub(crate) fn record(meta: &MessageMeta, xml: String) -> proto::MessageRecord {
    proto::MessageRecord {
        message_id: meta.id.to_string(),
        kind: meta.kind.clone(),
        agb_code: meta.agb.clone(),
        municipality: meta.municipality.clone(),
        state: state_to_proto(meta.state) as i32,
        identificatie: meta.identificatie.clone(),
        request_id: meta.request_id.clone(),
        accepted_at: Some(timestamp(meta.accepted_at_ms)),
        meldingen: meldingen(&meta.meldingen),
        xml,
        event_cursors: meta.event_cursors.clone(),
        xml_purged_at: meta.purged_at_ms.map(timestamp),
    }
}

/// The metadata of message `message_id` if `tenant` may see it. An id that does not parse,
/// an unknown id and another tenant's message are all NOT_FOUND, so ids reveal nothing.
pub fn visible_message(
    shared: &Shared,
    tenant: &Tenant,
    message_id: &str,
) -> Result<MessageMeta, Error> {
    let not_found = || Error::NotFound(format!("message {message_id:?}"));
    let id: u64 = message_id.parse().map_err(|_| not_found())?;
    let meta = shared.store.message(id)?.ok_or_else(not_found)?;
    if !tenant.may_act_for(&meta.agb) {
        return Err(not_found());
    }
    Ok(meta)
}

/// The UTC day of a purge time, for messages (`YYYY-MM-DD`).
pub fn purge_day(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|t| t.date_naive().to_string())
        .unwrap_or_default()
}

/// GetMessage: the message with its XML (empty, with `xml_purged_at`, once `ketenpoort
/// prune` purged it).
pub fn get_message(
    shared: &Shared,
    tenant: &Tenant,
    r: &proto::GetMessageRequest,
) -> Result<proto::MessageRecord, Error> {
    let meta = visible_message(shared, tenant, &r.message_id)?;
    let xml = shared.store.message_xml(meta.id)?.unwrap_or_default();
    Ok(record(&meta, xml))
}

/// ResendMessage: a message VECOZO refused goes back into the queue, to be pushed under a new
/// traceerId (see the proto).
pub async fn resend_message(
    shared: &Shared,
    tenant: &Tenant,
    r: &proto::ResendMessageRequest,
) -> Result<proto::MessageRecord, Error> {
    let not_found = || Error::NotFound(format!("message {:?}", r.message_id));
    let meta = visible_message(shared, tenant, &r.message_id)?;
    let id = meta.id;
    if let Some(at) = meta.purged_at_ms {
        return Err(Error::FailedPrecondition {
            message: format!(
                "message {id}'s XML was purged on {} under the store's retention: it cannot be \
                 sent again",
                purge_day(at)
            ),
            violations: Vec::new(),
        });
    }
    let outcome = shared
        .store
        .commit(Write::Requeue {
            message_id: id,
            at_ms: shared.clock.now().timestamp_millis(),
        })
        .wait()
        .await?;
    match outcome {
        Outcome::Requeued(Some(MessageState::RejectedByVecozo)) => {
            tracing::info!(message = id, tenant = %tenant.name, "refused message queued again");
            get_message(
                shared,
                tenant,
                &proto::GetMessageRequest {
                    message_id: r.message_id.clone(),
                },
            )
        }
        Outcome::Requeued(Some(state)) => Err(Error::FailedPrecondition {
            message: format!(
                "message {id} is {}, not REJECTED_BY_VECOZO: only a message VECOZO refused can \
                 be sent again",
                state_to_proto(state).as_str_name()
            ),
            violations: Vec::new(),
        }),
        Outcome::Requeued(None) => Err(not_found()),
        other => Err(Error::Internal(format!(
            "unexpected store outcome {other:?}"
        ))),
    }
}

/// A negative `page_size`: a bug in the caller, refused rather than read as "the default".
pub(super) fn negative_page_size() -> Error {
    Error::InvalidArgument(vec![FieldViolation::request(
        "page_size",
        "KP-page-size",
        "must not be negative (0: the default)",
    )])
}

fn date_ms(field: &str, value: &str, end_of_day: bool) -> Result<Option<i64>, Error> {
    if value.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        Error::InvalidArgument(vec![FieldViolation::request(
            field,
            "XSD-date",
            "must be a date written as YYYY-MM-DD",
        )])
    })?;
    let t = if end_of_day {
        d.and_hms_milli_opt(23, 59, 59, 999)
    } else {
        d.and_hms_opt(0, 0, 0)
    };
    Ok(t.map(|t| t.and_utc().timestamp_millis()))
}

/// The filter of ListMessages (and of the console's message list): AGB code, kind, state and
/// the days of acceptance, on top of the tenant's own AGB codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Only this AGB code (empty: every code of the tenant).
    pub agb: String,
    /// Only this kind, e.g. `JW323` (empty: every kind).
    pub kind: String,
    /// Only this state.
    pub state: Option<proto::MessageState>,
    /// Accepted at or after (ms since the Unix epoch).
    pub from_ms: Option<i64>,
    /// Accepted at or before (ms since the Unix epoch).
    pub to_ms: Option<i64>,
    /// Only the messages of this request_id (empty: any). ListMessages sets it; the console
    /// does not search by it.
    pub request_id: String,
}

impl MessageFilter {
    /// Checks and builds the filter as ListMessages takes it: an AGB code of the tenant
    /// (PERMISSION_DENIED otherwise), a `MessageState` number (0: any), and days written as
    /// YYYY-MM-DD (UTC, both included), named by their request field in errors.
    pub fn new(
        tenant: &Tenant,
        agb: &str,
        kind: &str,
        state: i32,
        accepted_from: &str,
        accepted_to: &str,
    ) -> Result<MessageFilter, Error> {
        if !agb.is_empty() {
            tenant.check_agb(agb)?;
        }
        let state = match proto::MessageState::try_from(state) {
            Ok(proto::MessageState::Unspecified) => None,
            Ok(s) => Some(s),
            Err(_) => {
                return Err(Error::InvalidArgument(vec![FieldViolation::request(
                    "state",
                    "XSD-enumeration",
                    "is not a MessageState",
                )]));
            }
        };
        Ok(MessageFilter {
            agb: agb.to_owned(),
            kind: kind.to_owned(),
            state,
            from_ms: date_ms("accepted_from", accepted_from, false)?,
            to_ms: date_ms("accepted_to", accepted_to, true)?,
            request_id: String::new(),
        })
    }

    /// Whether `tenant` may see `m` and it passes the filter.
    pub fn matches(&self, tenant: &Tenant, m: &MessageMeta) -> bool {
        self.matches_fields(tenant, &m.agb, &m.kind, m.state, m.accepted_at_ms)
            && (self.request_id.is_empty() || m.request_id == self.request_id)
    }

    /// [`MessageFilter::matches`] on a message's fields (the console's index holds these,
    /// not whole [`MessageMeta`]s), without the request_id.
    pub fn matches_fields(
        &self,
        tenant: &Tenant,
        agb: &str,
        kind: &str,
        state: MessageState,
        accepted_at_ms: i64,
    ) -> bool {
        tenant.may_act_for(agb)
            && (self.agb.is_empty() || agb == self.agb)
            && (self.kind.is_empty() || kind == self.kind)
            && self.state.is_none_or(|s| state_to_proto(state) == s)
            && self.from_ms.is_none_or(|f| accepted_at_ms >= f)
            && self.to_ms.is_none_or(|t| accepted_at_ms <= t)
    }
}

/// ListMessages: newest first, filtered, paged. The XML is left out (use GetMessage).
pub fn list_messages(
    shared: &Shared,
    tenant: &Tenant,
    r: &proto::ListMessagesRequest,
) -> Result<proto::ListMessagesResponse, Error> {
    let filter = MessageFilter::new(
        tenant,
        &r.agb_code,
        &r.kind,
        r.state,
        &r.accepted_from,
        &r.accepted_to,
    )?;
    let page = match r.page_size {
        0 => DEFAULT_PAGE,
        n => usize::try_from(n)
            .map_err(|_| negative_page_size())?
            .min(MAX_PAGE),
    };
    let before = if r.page_token.is_empty() {
        None
    } else {
        Some(r.page_token.parse::<u64>().map_err(|_| {
            Error::InvalidArgument(vec![FieldViolation::request(
                "page_token",
                "KP-page-token",
                "is not a token from a previous response",
            )])
        })?)
    };
    let filter = MessageFilter {
        request_id: r.request_id.clone(),
        ..filter
    };
    let metas = shared
        .store
        .list_messages(before, page, &|m| filter.matches(tenant, m))?;
    let next_page_token = if metas.len() == page {
        metas.last().map(|m| m.id.to_string()).unwrap_or_default()
    } else {
        String::new()
    };
    Ok(proto::ListMessagesResponse {
        messages: metas.iter().map(|m| record(m, String::new())).collect(),
        next_page_token,
    })
}

/// GetOrganisation: the configured organisation details for one of the tenant's AGB codes,
/// or the tenant's own (see [`crate::config::OrganisationsConfig::lookup`]).
pub fn get_organisation(
    shared: &Shared,
    tenant: &Tenant,
    r: &proto::GetOrganisationRequest,
) -> Result<proto::Organisation, Error> {
    if !r.agb_code.is_empty() {
        tenant.check_agb(&r.agb_code)?;
    }
    let o = shared.organisations.lookup(&tenant.name, &r.agb_code);
    Ok(proto::Organisation {
        name: o.name,
        place: o.place,
        kvk_number: o.kvk_number,
        contact_person: o.contact_person,
        telephone: o.telephone,
        email: o.email,
        signatory: o.signatory,
    })
}
