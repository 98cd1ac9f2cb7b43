//! SubmitRetour: the 302/320 a tenant sends on a received 301/319 when its AGB code answers by
//! hand (see [`crate::retour`] for the modes).
//!
//! 1. The event the request names must be the tenant's (else NOT_FOUND, as for messages: a
//!    cursor reveals nothing) and a collected 301/319 (else FAILED_PRECONDITION).
//! 2. A known request_id answers with the original response (ALREADY_EXISTS with other
//!    content), as the submits do.
//! 3. The store must hold the duty to answer it: a 301/319 answered already — by ketenpoort
//!    itself or by an earlier call — is FAILED_PRECONDITION, naming the retour.
//! 4. The retour is built as the automatic one ([`crate::retour::prepared`]): the 301/319's
//!    header, retourcodes from the in-message rules, the next IdentificatieRetour.
//!    `validate_only` stops here.
//! 5. The store queues it (alsAntwoordOp = the 301/319's traceerId, its conversatieId) and
//!    ends the duty in one write ([`Write::Retour`]), which checks the duty again: of two
//!    concurrent calls only one queues a retour, and after a restart the duty is still gone.

use prost::Message as _;

use super::Shared;
use super::submit::{check_request_id, earlier_answer, replay};
use crate::error::{Error, FieldViolation};
use crate::proto;
use crate::store::duties::RetourState;
use crate::store::{EventRecord, Outcome, RetourWrite, Write};
use crate::tenant::Tenant;

fn invalid(field: &str, rule: &str, description: &str) -> Error {
    Error::InvalidArgument(vec![FieldViolation::request(field, rule, description)])
}

fn refused(message: String) -> Error {
    Error::FailedPrecondition {
        message,
        violations: Vec::new(),
    }
}

/// SHA-256 of the request with validate_only cleared.
fn content_hash(r: &proto::SubmitRetourRequest) -> String {
    let mut cleared = r.clone();
    cleared.validate_only = false;
    crate::tenant::sha256_hex(&cleared.encode_to_vec())
}

/// The durable event at `cursor`, if the tenant may see it.
fn event(shared: &Shared, tenant: &Tenant, cursor: u64) -> Result<Option<EventRecord>, Error> {
    let found = shared
        .store
        .events_after(cursor.saturating_sub(1), 1, &|_| true)?;
    Ok(found
        .into_iter()
        .next()
        .filter(|e| e.cursor == cursor && tenant.may_act_for(&e.agb)))
}

/// SubmitRetour.
pub async fn submit_retour(
    shared: &Shared,
    tenant: &Tenant,
    r: proto::SubmitRetourRequest,
) -> Result<proto::SubmitResponse, Error> {
    let result = submit_inner(shared, tenant, &r).await;
    let label = match &result {
        Ok(_) if r.validate_only => "validated",
        Ok(_) => "ok",
        Err(Error::InvalidArgument(_)) => "invalid",
        Err(Error::FailedPrecondition { .. }) => "refused",
        Err(Error::NotFound(_)) => "not_found",
        Err(Error::IdempotencyConflict { .. }) => "conflict",
        Err(_) => "error",
    };
    let kind = match &result {
        Ok(response) => response.kind.clone(),
        Err(_) => "retour".to_owned(),
    };
    shared.metrics.submit(&kind, label);
    match &result {
        Ok(response) => tracing::info!(
            kind = %response.kind,
            tenant = %tenant.name,
            event = r.event_cursor,
            validate_only = r.validate_only,
            message = %response.message_id,
            "retour accepted"
        ),
        Err(e) => tracing::info!(
            tenant = %tenant.name,
            event = r.event_cursor,
            result = label,
            error = %e,
            "retour refused"
        ),
    }
    result
}

async fn submit_inner(
    shared: &Shared,
    tenant: &Tenant,
    r: &proto::SubmitRetourRequest,
) -> Result<proto::SubmitResponse, Error> {
    if r.event_cursor == 0 {
        return Err(invalid(
            "event_cursor",
            "XSD-required",
            "is required: the cursor of the 301 or 319 event to answer",
        ));
    }
    let request_id = r.request_id.as_str();
    if !r.validate_only {
        check_request_id("request_id", request_id)?;
    }
    let cursor = r.event_cursor;
    let event =
        event(shared, tenant, cursor)?.ok_or_else(|| Error::NotFound(format!("event {cursor}")))?;
    let content_hash = content_hash(r);
    if !r.validate_only
        && let Some(earlier) =
            earlier_answer(shared, tenant, request_id, &content_hash, true).await?
    {
        return Ok(earlier);
    }
    let not_owed = || {
        let what = if event.kind.is_empty() {
            "a status event".to_owned()
        } else {
            format!("a {}", event.kind)
        };
        refused(format!(
            "event {cursor} is {what}, not a received 301 or 319: only those are answered \
             with a retour"
        ))
    };
    let (Some(traceer_id), Some(xml)) = (event.traceer_id, event.raw_xml.as_deref()) else {
        return Err(not_owed());
    };
    let message = crate::store::history::parse(xml)?;
    let Some(owed) = crate::retour::owed_kind(&message) else {
        return Err(not_owed());
    };
    let duty = match shared.store.retour_state(traceer_id)? {
        RetourState::Open(duty) => duty,
        RetourState::Answered(id) => return Err(already(cursor, &event.kind, owed, Some(id))),
        RetourState::Unknown => return Err(already(cursor, &event.kind, owed, None)),
    };
    let today = shared.clock.today();
    let retour = crate::retour::prepared(
        shared.store.as_ref(),
        &shared.headers,
        today,
        &message,
        duty.conversatie_id,
        !r.validate_only,
        &[],
    )?
    .ok_or_else(|| Error::Internal("a 301/319 without a retour".into()))?;
    let mut response = proto::SubmitResponse {
        message_id: String::new(),
        kind: retour.message.kind.clone(),
        identificatie: retour.message.identificatie.clone(),
        state: proto::MessageState::Unspecified as i32,
        message_ids: vec![],
        declaration_numbers: vec![],
        xml: retour.message.xml.clone(),
    };
    if r.validate_only {
        return Ok(response);
    }
    let write = Write::Retour(Box::new(RetourWrite {
        tenant: tenant.name.clone(),
        request_id: request_id.to_owned(),
        content_hash: content_hash.clone(),
        at_ms: shared.clock.now().timestamp_millis(),
        answers: traceer_id,
        retour,
    }));
    match shared.store.commit(write).wait().await? {
        Outcome::Stored(ids) => {
            response.message_id = ids.first().map(u64::to_string).unwrap_or_default();
            response.message_ids = ids.iter().map(u64::to_string).collect();
            response.state = proto::MessageState::Queued as i32;
            Ok(response)
        }
        Outcome::Duplicate(record) => replay(shared, request_id, &content_hash, record, true),
        Outcome::RetourNotOwed { answered_by } => {
            Err(already(cursor, &event.kind, owed, answered_by))
        }
        other => Err(Error::Internal(format!(
            "unexpected store outcome {other:?}"
        ))),
    }
}

/// FAILED_PRECONDITION: the 301/319 of event `cursor` is owed no retour (any more).
fn already(
    cursor: u64,
    kind: &str,
    owed: ketenpoort_messages::MessageKind,
    answered_by: Option<u64>,
) -> Error {
    refused(match answered_by {
        Some(id) => format!(
            "the {kind} of event {cursor} is answered already: its {owed} is message {id}; \
             a {kind} gets one {owed}"
        ),
        None => format!(
            "the {kind} of event {cursor} is owed no {owed} through ketenpoort: it was \
             answered automatically, or received before ketenpoort kept the provider's duties"
        ),
    })
}
