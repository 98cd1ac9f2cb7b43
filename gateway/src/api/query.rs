//! GetMessage and ListMessages: a tenant sees only messages for its own AGB codes; another
//! tenant's message is NOT_FOUND, so ids reveal nothing.

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

fn record(meta: &MessageMeta, xml: String) -> proto::MessageRecord {
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
    }
}

/// GetMessage: the message with its XML.
pub fn get_message(
    shared: &Shared,
    tenant: &Tenant,
    r: &proto::GetMessageRequest,
) -> Result<proto::MessageRecord, Error> {
    let not_found = || Error::NotFound(format!("message {:?}", r.message_id));
    let id: u64 = r.message_id.parse().map_err(|_| not_found())?;
    let meta = shared.store.message(id)?.ok_or_else(not_found)?;
    if !tenant.may_act_for(&meta.agb) {
        return Err(not_found());
    }
    let xml = shared.store.message_xml(id)?.unwrap_or_default();
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
    let id: u64 = r.message_id.parse().map_err(|_| not_found())?;
    let meta = shared.store.message(id)?.ok_or_else(not_found)?;
    if !tenant.may_act_for(&meta.agb) {
        return Err(not_found());
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
                "message {id} is {}, not REJECTED_BY_VECOZO: only a message VECOZO refused can                  be sent again",
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

/// ListMessages: newest first, filtered, paged. The XML is left out (use GetMessage).
pub fn list_messages(
    shared: &Shared,
    tenant: &Tenant,
    r: &proto::ListMessagesRequest,
) -> Result<proto::ListMessagesResponse, Error> {
    if !r.agb_code.is_empty() {
        tenant.check_agb(&r.agb_code)?;
    }
    let state = match proto::MessageState::try_from(r.state) {
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
    let from = date_ms("accepted_from", &r.accepted_from, false)?;
    let to = date_ms("accepted_to", &r.accepted_to, true)?;
    let page = match r.page_size {
        n if n <= 0 => DEFAULT_PAGE,
        n => (n as usize).min(MAX_PAGE),
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
    let filter = |m: &MessageMeta| {
        tenant.may_act_for(&m.agb)
            && (r.agb_code.is_empty() || m.agb == r.agb_code)
            && (r.kind.is_empty() || m.kind == r.kind)
            && (r.request_id.is_empty() || m.request_id == r.request_id)
            && state.is_none_or(|s| state_to_proto(m.state) == s)
            && from.is_none_or(|f| m.accepted_at_ms >= f)
            && to.is_none_or(|t| m.accepted_at_ms <= t)
    };
    let metas = shared.store.list_messages(before, page, &filter)?;
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
