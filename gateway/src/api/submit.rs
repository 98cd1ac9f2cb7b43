//! The five submits. Every submit runs the same steps:
//!
//! 1. the tenant may act for the AGB code (else PERMISSION_DENIED, BRS03);
//! 2. a known request_id answers with the original response when the content is the same,
//!    and is refused with ALREADY_EXISTS when it is not (AIP-155);
//! 3. the request is converted to the model with a header ketenpoort fills in (a claim's
//!    ProductTarief and IngediendBedrag from the line's contract tariff, given or from the
//!    tariff table, when left out), then checked against the schema ([`Message::validate`])
//!    and the in-message rules ([`rules::check`]), and a claim's amounts against the
//!    contract tariffs or as far as the message shows ([`rules::amounts`], TR346/TR418):
//!    INVALID_ARGUMENT with every violation;
//! 4. a given DeclaratieNummer must be new for the AGB code (TR333): FAILED_PRECONDITION;
//! 5. Identificatie (and DeclaratieNummer when empty) are assigned, the XML is written and
//!    its size checked against VECOZO's limit (BRS06): RESOURCE_EXHAUSTED, or a claim is
//!    split when the request asks for it;
//! 6. the cross-message rules against the messages sent and received before
//!    ([`rules::cross::check_against`] over the store's history): FAILED_PRECONDITION with
//!    the same field violations. They are judged where the answer is decided: by the
//!    store's writer just before it stores the message, so that of two concurrent submits
//!    that conflict (one ReferentieNummer twice) only the first is stored; here for a
//!    `validate_only` call;
//! 7. `validate_only` stops here and stores nothing; otherwise the messages are committed
//!    and the answer is sent only after the store has flushed them.

use ketenpoort_messages::model::declaration::{Declaratie, DeclaratieClient, Prestatie};
use ketenpoort_messages::model::header::Header;
use ketenpoort_messages::types::DeclaratieNummer;
use ketenpoort_messages::{Content, Heen, Law, Message, MessageKind, MessageType, rules};

use std::sync::Arc;

use super::Shared;
use super::convert::{self, Conv};
use super::status::from_model;
use crate::error::{Error, FieldViolation};
use crate::header::format_number;
use crate::proto;
use crate::store::{IdempotencyRecord, NewMessage, Outcome, SubmitWrite, Write};
use crate::tenant::Tenant;

/// Longest request_id accepted.
const MAX_REQUEST_ID: usize = 200;

/// 315 Verzoek om toewijzing.
pub async fn request_for_allocation(
    shared: &Shared,
    tenant: &Tenant,
    r: proto::SubmitRequestForAllocationRequest,
) -> Result<proto::SubmitResponse, Error> {
    submit(
        shared,
        tenant,
        r.common.as_ref(),
        MessageType::M315,
        content_hash(&r),
        false,
        |c, law, header, _| Ok(convert::request_for_allocation(c, law, header, &r)),
    )
    .await
}

/// 305 Start zorg.
pub async fn care_start(
    shared: &Shared,
    tenant: &Tenant,
    r: proto::SubmitCareStartRequest,
) -> Result<proto::SubmitResponse, Error> {
    submit(
        shared,
        tenant,
        r.common.as_ref(),
        MessageType::M305,
        content_hash(&r),
        false,
        |c, law, header, _| Ok(convert::care_start(c, law, header, &r)),
    )
    .await
}

/// 307 Stop zorg.
pub async fn care_stop(
    shared: &Shared,
    tenant: &Tenant,
    r: proto::SubmitCareStopRequest,
) -> Result<proto::SubmitResponse, Error> {
    submit(
        shared,
        tenant,
        r.common.as_ref(),
        MessageType::M307,
        content_hash(&r),
        false,
        |c, law, header, _| Ok(convert::care_stop(c, law, header, &r)),
    )
    .await
}

/// 317 Verzoek om wijziging.
pub async fn change_request(
    shared: &Shared,
    tenant: &Tenant,
    r: proto::SubmitChangeRequestRequest,
) -> Result<proto::SubmitResponse, Error> {
    submit(
        shared,
        tenant,
        r.common.as_ref(),
        MessageType::M317,
        content_hash(&r),
        false,
        |c, law, header, _| Ok(convert::change_request(c, law, header, &r)),
    )
    .await
}

/// 323 Declaratie.
pub async fn declaration(
    shared: &Shared,
    tenant: &Tenant,
    r: proto::SubmitDeclarationRequest,
) -> Result<proto::SubmitResponse, Error> {
    let tariffs = shared.tariffs.current();
    submit(
        shared,
        tenant,
        r.common.as_ref(),
        MessageType::M323,
        content_hash(&r),
        r.split_when_too_large,
        |c, law, header, prefix| {
            let number = if r.declaration_number.is_empty() {
                format_number(prefix, 0)
            } else {
                r.declaration_number.clone()
            };
            Ok(convert::declaration(c, law, header, number, &tariffs, &r))
        },
    )
    .await
}

/// A submit request: the five share [`proto::SubmitCommon`].
trait SubmitRequest: prost::Message + Clone {
    fn common(&self) -> Option<&proto::SubmitCommon>;
    fn common_mut(&mut self) -> Option<&mut proto::SubmitCommon>;
}

macro_rules! submit_request {
    ($($t:ty),*) => {$(
        impl SubmitRequest for $t {
            fn common(&self) -> Option<&proto::SubmitCommon> {
                self.common.as_ref()
            }
            fn common_mut(&mut self) -> Option<&mut proto::SubmitCommon> {
                self.common.as_mut()
            }
        }
    )*};
}

submit_request!(
    proto::SubmitRequestForAllocationRequest,
    proto::SubmitCareStartRequest,
    proto::SubmitCareStopRequest,
    proto::SubmitChangeRequestRequest,
    proto::SubmitDeclarationRequest
);

/// SHA-256 of a request's protobuf encoding with validate_only and include_xml cleared:
/// they say what to do with the content, they are not part of it (the request is copied
/// only when one of them is set).
fn content_hash<R: SubmitRequest>(request: &R) -> String {
    if request
        .common()
        .is_some_and(|c| c.validate_only || c.include_xml)
    {
        let mut cleared = request.clone();
        if let Some(c) = cleared.common_mut() {
            c.validate_only = false;
            c.include_xml = false;
        }
        crate::tenant::sha256_hex(&cleared.encode_to_vec())
    } else {
        crate::tenant::sha256_hex(&request.encode_to_vec())
    }
}

fn invalid(field: &str, description: &str) -> Error {
    Error::InvalidArgument(vec![FieldViolation::request(
        field,
        "XSD-required",
        description,
    )])
}

/// Validates, fills in, and (unless validate_only) stores one submit.
async fn submit(
    shared: &Shared,
    tenant: &Tenant,
    common: Option<&proto::SubmitCommon>,
    message_type: MessageType,
    content_hash: String,
    split: bool,
    build: impl FnOnce(&mut Conv, Law, Header, &str) -> Result<Message, Error>,
) -> Result<proto::SubmitResponse, Error> {
    let default = proto::SubmitCommon::default();
    let common = common.unwrap_or(&default);
    let law = convert::law(common).map_err(|v| Error::InvalidArgument(vec![v]))?;
    let kind = MessageKind::new(law, message_type);
    let result = submit_inner(shared, tenant, common, kind, content_hash, split, build).await;
    let label = match &result {
        Ok(_) if common.validate_only => "validated",
        Ok(_) => "ok",
        Err(Error::InvalidArgument(v)) | Err(Error::FailedPrecondition { violations: v, .. }) => {
            for violation in v {
                shared.metrics.rejection(&violation.rule);
            }
            "invalid"
        }
        Err(Error::PermissionDenied { .. }) => "permission_denied",
        Err(Error::IdempotencyConflict { .. }) => "conflict",
        Err(Error::TooLarge { .. }) => "too_large",
        Err(_) => "error",
    };
    shared.metrics.submit(&kind.code(), label);
    match &result {
        Ok(r) => tracing::info!(
            kind = %kind,
            tenant = %tenant.name,
            validate_only = common.validate_only,
            messages = r.message_ids.len(),
            "submit accepted"
        ),
        Err(e) => {
            tracing::info!(kind = %kind, tenant = %tenant.name, result = label, error = %e, "submit refused")
        }
    }
    result
}

async fn submit_inner(
    shared: &Shared,
    tenant: &Tenant,
    common: &proto::SubmitCommon,
    kind: MessageKind,
    content_hash: String,
    split: bool,
    build: impl FnOnce(&mut Conv, Law, Header, &str) -> Result<Message, Error>,
) -> Result<proto::SubmitResponse, Error> {
    let agb = common.agb_code.as_str();
    if agb.is_empty() {
        return Err(invalid(
            "common.agb_code",
            "is required (the provider's AGB code)",
        ));
    }
    tenant.check_agb(agb)?;
    let validate_only = common.validate_only;
    let request_id = common.request_id.as_str();
    if !validate_only {
        check_request_id("common.request_id", request_id)?;
        let include_xml = common.include_xml;
        if let Some(earlier) =
            earlier_answer(shared, tenant, request_id, &content_hash, include_xml).await?
        {
            return Ok(earlier);
        }
    }

    // Build and check the message.
    let today = shared.clock.today();
    let header = shared.headers.header(agb, &common.municipality, today);
    let mut conv = Conv::default();
    let prefix = shared.headers.prefix().to_owned();
    let message = build(&mut conv, kind.law, header, &prefix)?;
    if !conv.violations.is_empty() {
        return Err(Error::InvalidArgument(conv.violations));
    }
    let mut violations = message.validate();
    violations.extend(rules::check(&message));
    if violations.is_empty() {
        // The amounts against the contract tariff of each line (from the request or the
        // tariff table), or as far as the message shows without one (TR346, TR418).
        violations = rules::amounts::check_with(&message, |at| {
            conv.contracts.get(&(at.client, at.line)).copied()
        });
    }
    if !violations.is_empty() {
        return Err(Error::InvalidArgument(from_model(kind, &violations)));
    }
    let given_number = match &message.content {
        Content::Declaration(h) if !is_placeholder(&h.body.declaratie_nummer, &prefix) => {
            Some(h.body.declaratie_nummer.0.clone())
        }
        _ => None,
    };
    if let Some(n) = &given_number
        && shared.store.declaration_number_used(agb, n)?
    {
        return Err(number_used(n));
    }

    // Numbers, then XML, then size: split a claim, or refuse. Identificatie and an assigned
    // DeclaratieNummer are always 12 characters, as wide as the placeholders the checks above
    // saw, so the XML with the numbers is as long as one written before numbering: it is
    // written once and its size checked after. A refused or split message leaves the numbers
    // reserved for it unused (they need to be unique, not consecutive).
    let limit = shared.max_payload_bytes;
    let reserve = !validate_only;
    let keep_given = given_number.is_some();
    let mut counters = Vec::new();
    let whole = numbered(
        shared,
        common,
        kind,
        message,
        keep_given,
        reserve,
        &mut counters,
    )?;
    let whole_message = Arc::clone(&whole.message);
    let mut new_messages = if whole.xml.len() <= limit {
        vec![whole]
    } else {
        let size = whole.xml.len();
        if kind.message_type != MessageType::M323 || !split {
            return Err(Error::TooLarge { size, limit });
        }
        let mut parts = vec![];
        split_claim(&whole.message, size, limit, &mut parts)?;
        counters.clear();
        let mut new_messages = Vec::with_capacity(parts.len());
        for (i, part) in parts.into_iter().enumerate() {
            let m = numbered(
                shared,
                common,
                kind,
                part,
                i == 0 && keep_given,
                reserve,
                &mut counters,
            )?;
            if m.xml.len() > limit {
                return Err(Error::TooLarge {
                    size: m.xml.len(),
                    limit,
                });
            }
            new_messages.push(m);
        }
        new_messages
    };

    // The cross-message rules. The store's writer judges every message it stores, just
    // before storing it (two concurrent submits may conflict), so a message to be stored is
    // not judged here as well: that would do the same work twice. A validate_only call is
    // judged here, as one message even when it would be split.
    if shared.cross_message_rules && validate_only {
        let cross = shared.store.history().check(&whole_message)?;
        if !cross.is_empty() {
            return Err(cross_rules(kind, &cross));
        }
    }

    let mut response = proto::SubmitResponse {
        message_id: String::new(),
        kind: kind.code(),
        identificatie: new_messages[0].identificatie.clone(),
        state: proto::MessageState::Unspecified as i32,
        message_ids: vec![],
        declaration_numbers: new_messages
            .iter()
            .filter_map(|m| m.declaration_number.clone())
            .collect(),
        xml: if new_messages.len() == 1 && (validate_only || common.include_xml) {
            new_messages[0].xml.clone()
        } else {
            String::new()
        },
    };
    if validate_only {
        return Ok(response);
    }
    // The stored form, made here on a request thread rather than by the store's writer.
    for m in &mut new_messages {
        m.compressed_xml = crate::store::stored_xml::encode(&m.xml);
    }

    let outcome = shared
        .store
        .commit(Write::Submit(SubmitWrite {
            tenant: tenant.name.clone(),
            request_id: request_id.to_owned(),
            content_hash: content_hash.clone(),
            at_ms: shared.clock.now().timestamp_millis(),
            messages: new_messages,
            counters,
            cross_message_rules: shared.cross_message_rules,
        }))
        .wait()
        .await?;
    match outcome {
        Outcome::Stored(ids) => {
            response.message_id = ids.first().map(u64::to_string).unwrap_or_default();
            response.message_ids = ids.iter().map(u64::to_string).collect();
            response.state = proto::MessageState::Queued as i32;
            Ok(response)
        }
        // A concurrent submit with the same request_id won the race.
        Outcome::Duplicate(record) => replay(
            shared,
            request_id,
            &content_hash,
            record,
            common.include_xml,
        ),
        Outcome::DeclarationNumberUsed(n) => Err(number_used(&n)),
        Outcome::CrossRules(v) => Err(cross_rules(kind, &v)),
        other => Err(Error::Internal(format!(
            "unexpected store outcome {other:?}"
        ))),
    }
}

/// `part` with its Identificatie (and, unless `keep_number`, a DeclaratieNummer) assigned,
/// reserved in the store when `reserve` (else only peeked), and its XML. The counters to
/// persist with it are added to `counters`.
fn numbered(
    shared: &Shared,
    common: &proto::SubmitCommon,
    kind: MessageKind,
    mut part: Message,
    keep_number: bool,
    reserve: bool,
    counters: &mut Vec<(String, u64)>,
) -> Result<NewMessage, Error> {
    let agb = common.agb_code.as_str();
    let store = shared.store.as_ref();
    let (identificatie, counter) = shared.headers.identificatie(store, agb, kind, reserve)?;
    counters.push(counter);
    set_identificatie(&mut part, &identificatie);
    let mut number = None;
    if let Content::Declaration(h) = &mut part.content {
        if !keep_number {
            let (n, counter) = shared.headers.declaration_number(store, agb, reserve)?;
            counters.push(counter);
            h.body.declaratie_nummer = DeclaratieNummer(n);
        }
        number = Some(h.body.declaratie_nummer.0.clone());
    }
    let xml = part
        .to_xml()
        .map_err(|e| Error::InvalidArgument(from_model(kind, e.violations())))?;
    Ok(NewMessage {
        message: Arc::new(part),
        kind: kind.code(),
        agb: agb.to_owned(),
        municipality: common.municipality.clone(),
        identificatie,
        declaration_number: number,
        // Compressed once the message is certain to be stored (see submit_inner).
        compressed_xml: Vec::new(),
        xml,
    })
}

/// FAILED_PRECONDITION for cross-message rules, with the same field violations (proto field
/// path, rule id, retourcode) as the in-message rules.
fn cross_rules(kind: MessageKind, violations: &[ketenpoort_messages::Violation]) -> Error {
    Error::FailedPrecondition {
        message: "the message conflicts with messages sent or received before \
                  (cross-message rules)"
            .into(),
        violations: from_model(kind, violations),
    }
}

fn number_used(number: &str) -> Error {
    Error::FailedPrecondition {
        message: "DeclaratieNummer was used before by this AGB code".into(),
        violations: vec![FieldViolation {
            field: "declaration_number".into(),
            rule: "TR333".into(),
            retourcode: None,
            description: format!(
                "DeclaratieNummer {number} was already used by this provider; it must be unique"
            ),
        }],
    }
}

fn is_placeholder(n: &DeclaratieNummer, prefix: &str) -> bool {
    n.0 == format_number(prefix, 0)
}

/// A request_id for a call that stores something (`field` is its proto path): required, at
/// most [`MAX_REQUEST_ID`] bytes, with no control characters and not only white space (such
/// an id is a bug in the caller, and cannot be shown or typed back by an operator).
pub(super) fn check_request_id(field: &str, request_id: &str) -> Result<(), Error> {
    if request_id.is_empty() {
        return Err(invalid(
            field,
            "is required: a client-chosen idempotency key (e.g. a UUID)",
        ));
    }
    if request_id.chars().any(char::is_control) {
        return Err(Error::InvalidArgument(vec![FieldViolation::request(
            field,
            "KP-request-id",
            "must not contain control characters",
        )]));
    }
    if request_id.chars().all(char::is_whitespace) {
        return Err(Error::InvalidArgument(vec![FieldViolation::request(
            field,
            "KP-request-id",
            "must not be only white space",
        )]));
    }
    if request_id.len() > MAX_REQUEST_ID {
        return Err(Error::InvalidArgument(vec![FieldViolation::request(
            field,
            "KP-request-id",
            format!("must be at most {MAX_REQUEST_ID} bytes"),
        )]));
    }
    Ok(())
}

/// The answer of the tenant's earlier call with `request_id`, if there was one: its original
/// response (with the XML when `include_xml`) when the content is the same, else the
/// conflict (AIP-155).
pub(super) async fn earlier_answer(
    shared: &Shared,
    tenant: &Tenant,
    request_id: &str,
    content_hash: &str,
    include_xml: bool,
) -> Result<Option<proto::SubmitResponse>, Error> {
    match shared.store.idempotency(&tenant.name, request_id)? {
        Some(record) => {
            // The record may be applied but not yet flushed (the original is still waiting
            // for its OK): answer only once it is durable.
            shared.store.commit(Write::Barrier).wait().await?;
            replay(shared, request_id, content_hash, record, include_xml).map(Some)
        }
        None => Ok(None),
    }
}

/// The original response of an earlier submit with this request_id (with the XML when
/// `include_xml`), or a conflict.
pub(super) fn replay(
    shared: &Shared,
    request_id: &str,
    content_hash: &str,
    record: IdempotencyRecord,
    include_xml: bool,
) -> Result<proto::SubmitResponse, Error> {
    if record.content_hash != content_hash {
        return Err(Error::IdempotencyConflict {
            request_id: request_id.to_owned(),
        });
    }
    let mut metas = Vec::with_capacity(record.message_ids.len());
    for id in &record.message_ids {
        metas.push(
            shared
                .store
                .message(*id)?
                .ok_or_else(|| Error::Internal(format!("message {id} of a request_id is gone")))?,
        );
    }
    let Some(first) = metas.first() else {
        return Err(Error::Internal("request_id without messages".into()));
    };
    let xml = if metas.len() == 1 && include_xml {
        shared.store.message_xml(first.id)?.unwrap_or_default()
    } else {
        String::new()
    };
    Ok(proto::SubmitResponse {
        message_id: first.id.to_string(),
        kind: first.kind.clone(),
        identificatie: first.identificatie.clone(),
        state: proto::MessageState::Queued as i32,
        message_ids: metas.iter().map(|m| m.id.to_string()).collect(),
        declaration_numbers: metas
            .iter()
            .filter_map(|m| m.declaration_number.clone())
            .collect(),
        xml,
    })
}

fn set_identificatie(message: &mut Message, identificatie: &str) {
    let header = match &mut message.content {
        Content::RequestForAllocation(h) => &mut h.header,
        Content::CareStart(h) => &mut h.header,
        Content::CareStop(h) => &mut h.header,
        Content::ChangeRequest(h) => &mut h.header,
        Content::Declaration(h) => &mut h.header,
        _ => return,
    };
    header.bericht_identificatie.identificatie = identificatie.into();
}

fn xml_size(message: &Message) -> Result<usize, Error> {
    message
        .to_xml()
        .map(|x| x.len())
        .map_err(|e| Error::InvalidArgument(from_model(message.kind(), e.violations())))
}

// === splitting a claim ===

/// Room left under the limit for the DeclaratieNummer and Identificatie assigned after the
/// split (both may grow to 12 characters).
const SPLIT_MARGIN: usize = 64;

/// Splits a claim whose XML is `size` bytes into parts under `limit`: first into evenly
/// sized parts by line count, then halving any part that is still too large. Each part keeps
/// the header and the claim's period; its total is recomputed (TR358).
///
/// The lines of one allocation stay in one part. The store's writer judges each part
/// against the history on its own, and a credit line and the line that claims the same
/// allocation again (IV086), or the lines a sum over an allocation adds up (TR322, TR369),
/// are judged right only together. So the lines are grouped by ToewijzingNummer, each group
/// where its first line stood, and cut only between groups; only a group too large for a
/// part on its own is cut.
fn split_claim(
    message: &Message,
    size: usize,
    limit: usize,
    parts: &mut Vec<Message>,
) -> Result<(), Error> {
    let Content::Declaration(heen) = &message.content else {
        return Err(Error::Internal("only a 323 can be split".into()));
    };
    let mut lines: Vec<(&str, &Prestatie)> = heen
        .body
        .clienten
        .iter()
        .flat_map(|c| c.prestaties.iter().map(move |p| (c.bsn.as_str(), p)))
        .collect();
    let mut first_seen: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    for (i, (_, p)) in lines.iter().enumerate() {
        first_seen.entry(p.toewijzing_nummer.0).or_insert(i);
    }
    lines.sort_by_key(|(_, p)| first_seen.get(&p.toewijzing_nummer.0).copied());
    let budget = limit.saturating_sub(SPLIT_MARGIN).max(1);
    let count = size.div_ceil(budget).max(2);
    let per_part = lines.len().div_ceil(count).max(1);
    let mut start = 0;
    let mut end = 0;
    for group in allocation_groups(&lines) {
        if end > start && end - start + group.len() > per_part {
            split_part(message, &lines[start..end], budget, parts)?;
            start = end;
        }
        end += group.len();
    }
    if end > start {
        split_part(message, &lines[start..end], budget, parts)?;
    }
    Ok(())
}

/// `lines` in runs of one ToewijzingNummer.
fn allocation_groups<'a, 'b>(
    lines: &'b [(&'a str, &'a Prestatie)],
) -> impl Iterator<Item = &'b [(&'a str, &'a Prestatie)]> {
    lines.chunk_by(|(_, a), (_, b)| a.toewijzing_nummer == b.toewijzing_nummer)
}

fn split_part(
    template: &Message,
    lines: &[(&str, &Prestatie)],
    budget: usize,
    parts: &mut Vec<Message>,
) -> Result<(), Error> {
    let part = claim_part(template, lines);
    let size = xml_size(&part)?;
    if size <= budget {
        parts.push(part);
        return Ok(());
    }
    if lines.len() <= 1 {
        return Err(Error::TooLarge {
            size,
            limit: budget,
        });
    }
    // Cut between two allocations, as near the middle as there is such a place; within
    // one allocation only when it is all there is.
    let middle = lines.len() / 2;
    let mut cut: usize = 0;
    let mut at: usize = 0;
    for group in allocation_groups(lines) {
        if at > 0 && at.abs_diff(middle) < cut.abs_diff(middle) {
            cut = at;
        }
        at += group.len();
    }
    if cut == 0 {
        cut = middle;
    }
    let (a, b) = lines.split_at(cut);
    split_part(template, a, budget, parts)?;
    split_part(template, b, budget, parts)
}

/// The claim `template` with only `lines`, clients regrouped in order.
fn claim_part(template: &Message, lines: &[(&str, &Prestatie)]) -> Message {
    let mut clienten: Vec<DeclaratieClient> = Vec::new();
    for (bsn, line) in lines {
        match clienten.last_mut() {
            Some(c) if c.bsn.as_str() == *bsn => c.prestaties.push((*line).clone()),
            _ => clienten.push(DeclaratieClient {
                bsn: (*bsn).into(),
                prestaties: vec![(*line).clone()],
                retour_codes: vec![],
            }),
        }
    }
    let content = match &template.content {
        Content::Declaration(h) => Content::Declaration(Heen {
            header: h.header.clone(),
            body: Declaratie {
                declaratie_nummer: h.body.declaratie_nummer.clone(),
                declaratie_periode: h.body.declaratie_periode.clone(),
                declaratie_dagtekening: h.body.declaratie_dagtekening,
                totaal_ingediend_bedrag: convert::total(&clienten),
                clienten,
            },
        }),
        other => other.clone(),
    };
    Message {
        law: template.law,
        content,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ketenpoort_messages::generate::{Gen, Shape};
    use ketenpoort_messages::types::{Nummer, ReferentieNummer};

    /// A claim of one client with `n` lines on allocations 1000 + i, except the last line,
    /// which is on the first line's allocation (as a re-claim after a credit would be).
    fn claim(n: usize) -> Message {
        let kind = MessageKind::new(Law::Ijw, MessageType::M323);
        let mut message = Message::generate(kind, &mut Gen::new(3, Shape::Minimal));
        let Content::Declaration(heen) = &mut message.content else {
            panic!("not a 323");
        };
        let client = &mut heen.body.clienten[0];
        let template = client.prestaties[0].clone();
        client.prestaties = (0..n)
            .map(|i| {
                let mut p = template.clone();
                p.product_referentie.referentie_nummer = ReferentieNummer(format!("R{i}"));
                let allocation = if i == n - 1 { 1000 } else { 1000 + i as u64 };
                p.toewijzing_nummer = Nummer(allocation);
                p
            })
            .collect();
        heen.body.clienten.truncate(1);
        heen.body.totaal_ingediend_bedrag = convert::total(&heen.body.clienten);
        message
    }

    #[test]
    fn a_split_keeps_the_lines_of_an_allocation_in_one_part() {
        let whole = claim(40);
        let size = whole.to_xml().expect("valid").len();
        let mut parts = Vec::new();
        split_claim(&whole, size, size / 3, &mut parts).expect("split");
        assert!(parts.len() >= 3, "{} parts", parts.len());
        let mut references = Vec::new();
        let mut part_of_allocation: std::collections::HashMap<u64, usize> =
            std::collections::HashMap::new();
        for (i, part) in parts.iter().enumerate() {
            assert!(part.to_xml().expect("valid").len() <= size / 3);
            let Content::Declaration(heen) = &part.content else {
                panic!("not a 323");
            };
            for p in heen.body.clienten.iter().flat_map(|c| &c.prestaties) {
                references.push(p.product_referentie.referentie_nummer.0.clone());
                let first = *part_of_allocation.entry(p.toewijzing_nummer.0).or_insert(i);
                assert_eq!(
                    first, i,
                    "allocation {} in two parts",
                    p.toewijzing_nummer.0
                );
            }
        }
        references.sort();
        let mut expected: Vec<String> = (0..40).map(|i| format!("R{i}")).collect();
        expected.sort();
        assert_eq!(references, expected, "every line in exactly one part");
    }
}
