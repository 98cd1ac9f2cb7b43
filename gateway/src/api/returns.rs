//! StreamReturns and AckReturns.
//!
//! The event log has one cursor sequence for the whole gateway; a tenant's stream skips the
//! events of other tenants' AGB codes. A stream starts at `from_cursor` (inclusive) when it
//! is set, else after `after_cursor`, or after the tenant's acknowledged cursor when that is
//! 0; it sends everything stored since, then waits for new events. Acknowledging hides
//! nothing: every event stays readable from its cursor. Delivery is at-least-once: a client
//! that acknowledges what it has processed and reconnects with the default position gets
//! each event once.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::query::{meldingen, state_to_proto, timestamp};
use super::{ReturnStream, Shared};
use crate::error::{Error, FieldViolation};
use crate::proto;
use crate::store::received::AllocatedProduct;
use crate::store::{EventBody, EventRecord, Outcome, Write};
use crate::tenant::Tenant;

/// Events read from the store per batch.
const BATCH: usize = 256;

/// The event as sent to the client (the console's downloads reuse it for the report formats);
/// `store` reads the claim a 325 answers, for its verdict on every line ([`claim_verdicts`]).
pub(crate) fn to_proto(store: &dyn crate::store::Store, e: EventRecord) -> proto::ReturnEvent {
    let claim = match (&e.body, e.message_id) {
        (EventBody::DeclarationAnswer { .. }, Some(id)) => claim_lines(store, id),
        _ => Vec::new(),
    };
    let event = match e.body {
        EventBody::Delivery {
            state,
            meldingen: m,
            vecozo_status,
        } => proto::return_event::Event::Delivery(proto::DeliveryStatusChanged {
            state: state_to_proto(state) as i32,
            meldingen: meldingen(&m),
            vecozo_status: vecozo_status.unwrap_or_default(),
        }),
        EventBody::Retour { accepted, codes } => {
            proto::return_event::Event::Retour(proto::RetourReceived {
                accepted,
                codes: codes
                    .into_iter()
                    .map(|c| proto::RetourCodeAt {
                        path: c.path,
                        code: c.code,
                    })
                    .collect(),
            })
        }
        EventBody::Allocation { bsn, products } => {
            proto::return_event::Event::Allocation(proto::AllocationReceived {
                bsn,
                products: products.into_iter().map(allocated_product).collect(),
            })
        }
        EventBody::Answer {
            provider_reference,
            answer,
            refusal_reason,
        } => proto::return_event::Event::Answer(proto::AnswerReceived {
            provider_reference,
            answer,
            refusal_reason,
        }),
        EventBody::DeclarationAnswer {
            declaration_number,
            total_claimed_cents,
            total_granted_cents,
            codes,
            rejected_lines,
        } => {
            let ijw = e.kind.starts_with("JW");
            let lines = claim_verdicts(&claim, &codes, &rejected_lines, ijw);
            proto::return_event::Event::DeclarationAnswer(proto::DeclarationAnswerReceived {
                declaration_number,
                // The proto carries magnitudes; a credit total (rare: more credited than
                // debited) is in raw_xml.
                total_claimed_cents: total_claimed_cents.unsigned_abs(),
                total_granted_cents: total_granted_cents.unsigned_abs(),
                codes,
                rejected_lines: rejected_lines
                    .into_iter()
                    .map(|l| proto::LineVerdict {
                        texts: texts(&l.codes, ijw),
                        reference_number: l.reference_number,
                        codes: l.codes,
                        ..Default::default()
                    })
                    .collect(),
                lines,
            })
        }
        EventBody::DeadlineMissed {
            expected_kind,
            due_date,
        } => proto::return_event::Event::DeadlineMissed(proto::DeadlineMissed {
            rule: municipality_rule(&expected_kind).into(),
            expected_kind,
            due_date,
            provider_duty: false,
            answers_cursor: 0,
        }),
        EventBody::DutyMissed {
            expected_kind,
            due_date,
            rule,
            answers_cursor,
        } => proto::return_event::Event::DeadlineMissed(proto::DeadlineMissed {
            expected_kind,
            due_date,
            rule,
            provider_duty: true,
            answers_cursor: answers_cursor.unwrap_or_default(),
        }),
        EventBody::Quarantined { reason } => {
            proto::return_event::Event::Quarantined(proto::Quarantined { reason })
        }
    };
    proto::ReturnEvent {
        cursor: e.cursor,
        agb_code: e.agb,
        at: Some(timestamp(e.at_ms)),
        message_id: e.message_id.map(|id| id.to_string()).unwrap_or_default(),
        kind: e.kind,
        raw_xml: e.raw_xml.unwrap_or_default(),
        event: Some(event),
    }
}

/// A line of a claim ketenpoort sent, as the verdicts need it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClaimLine {
    reference_number: String,
    allocation_number: u64,
    product_code: String,
    period_start: String,
    claimed_cents: u64,
    credit: bool,
}

/// The lines of the 323 stored as message `id`, in order; none when it is not a readable 323.
fn claim_lines(store: &dyn crate::store::Store, id: u64) -> Vec<ClaimLine> {
    let xml = match store.message_xml(id) {
        Ok(Some(xml)) => xml,
        _ => return Vec::new(),
    };
    let limits = ketenpoort_messages::ReadLimits {
        max_bytes: usize::MAX,
    };
    let Ok(message) = ketenpoort_messages::read(xml.as_bytes(), limits) else {
        return Vec::new();
    };
    let ketenpoort_messages::Content::Declaration(heen) = &message.content else {
        return Vec::new();
    };
    heen.body
        .clienten
        .iter()
        .flat_map(|c| &c.prestaties)
        .map(|p| ClaimLine {
            reference_number: p.product_referentie.referentie_nummer.as_str().to_owned(),
            allocation_number: p.toewijzing_nummer.0,
            product_code: p.product_code.as_str().to_owned(),
            period_start: p.product_periode.begindatum.to_string(),
            claimed_cents: p.ingediend_bedrag.bedrag.0,
            credit: p.ingediend_bedrag.debet_credit
                == ketenpoort_messages::codes::DebetCredit::Credit,
        })
        .collect()
}

/// The text of each of `codes` (WJ001), empty for an unknown code.
fn texts(codes: &[String], ijw: bool) -> Vec<String> {
    codes
        .iter()
        .map(|c| {
            crate::cli::retourcodes::text(c, ijw)
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// The verdict on every line of `claim` by a 325 with `codes` (header and DeclaratieAntwoord)
/// that lists `rejected` (TR342: only rejected lines are listed). A listed line is rejected
/// with its codes; when no line is listed and the 325 carries a code other than 0200 and
/// 8001, it rejects the claim as a whole (in the header, or on the DeclaratieAntwoord) and
/// every line is rejected with those codes; any other line is accepted, granted its claimed
/// amount.
fn claim_verdicts(
    claim: &[ClaimLine],
    codes: &[String],
    rejected: &[crate::store::received::LineVerdict],
    ijw: bool,
) -> Vec<proto::LineVerdict> {
    let whole: Vec<String> = codes
        .iter()
        .filter(|c| c.as_str() != "0200" && c.as_str() != "8001")
        .cloned()
        .collect();
    let whole_claim = rejected.is_empty() && !whole.is_empty();
    claim
        .iter()
        .map(|line| {
            let listed = rejected
                .iter()
                .find(|r| r.reference_number == line.reference_number);
            let codes = match listed {
                Some(r) => r.codes.clone(),
                None if whole_claim => whole.clone(),
                None => Vec::new(),
            };
            let accepted = codes.is_empty();
            proto::LineVerdict {
                reference_number: line.reference_number.clone(),
                texts: texts(&codes, ijw),
                codes,
                accepted,
                claimed_cents: line.claimed_cents,
                credit: line.credit,
                granted_cents: if accepted { line.claimed_cents } else { 0 },
                allocation_number: line.allocation_number,
                product_code: line.product_code.clone(),
                period_start: line.period_start.clone(),
            }
        })
        .collect()
}

/// The rule of the term of an answer the municipality owes, by what was expected
/// (`JW316`, `WMO301/WMO319`, `JW325`; see [`crate::deadlines::expected_answers`]).
pub(crate) fn municipality_rule(expected_kind: &str) -> &'static str {
    if expected_kind.ends_with("325") {
        "OP090x4"
    } else if expected_kind.contains('/') {
        "OP274/OP346"
    } else {
        "OP090"
    }
}

fn allocated_product(p: AllocatedProduct) -> proto::AllocatedProduct {
    proto::AllocatedProduct {
        allocation_number: p.allocation_number,
        provider_reference: p.provider_reference,
        product: (!p.category.is_empty()).then_some(proto::Product {
            category: p.category,
            code: p.code,
        }),
        start_date: p.start_date,
        end_date: p.end_date,
        extent: p.extent.map(|(volume, unit, frequency)| proto::Extent {
            volume,
            unit,
            frequency,
        }),
        budget_cents: p.budget_cents,
        change_reason: p.change_reason,
    }
}

/// Whether `tenant` may see event `e`: the filter of StreamReturns.
pub fn visible_event(tenant: &Tenant, e: &EventRecord) -> bool {
    tenant.may_act_for(&e.agb)
}

/// The durable events at `cursors` that `tenant` may see (as StreamReturns would send them),
/// in cursor order; cursors of other tenants' events, and unknown ones, are left out.
pub fn events_at(
    shared: &Shared,
    tenant: &Tenant,
    cursors: &[u64],
) -> Result<Vec<EventRecord>, Error> {
    let mut sorted = cursors.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::with_capacity(sorted.len());
    for c in sorted {
        // The first durable event after `c - 1` (cursors are dense): `c` itself, if durable.
        let first = shared
            .store
            .events_after(c.saturating_sub(1), 1, &|_| true)?;
        out.extend(
            first
                .into_iter()
                .filter(|e| e.cursor == c && visible_event(tenant, e)),
        );
    }
    Ok(out)
}

/// StreamReturns.
pub fn stream(
    shared: Arc<Shared>,
    tenant: Arc<Tenant>,
    r: proto::StreamReturnsRequest,
) -> Result<ReturnStream, Error> {
    let mut cursor = match r.from_cursor {
        Some(from) => from.saturating_sub(1),
        None if r.after_cursor == 0 => shared.store.acked(&tenant.name)?,
        None => r.after_cursor,
    };
    let (tx, rx) = mpsc::channel::<Result<proto::ReturnEvent, Status>>(64);
    let mut head = shared.store.watch_events();
    let mut stopping = shared.stopping.subscribe();
    tokio::spawn(async move {
        loop {
            let seen = *head.borrow_and_update();
            let filter = |e: &EventRecord| visible_event(&tenant, e);
            let events = match shared.store.events_after(cursor, BATCH, &filter) {
                Ok(events) => events,
                Err(e) => {
                    let _ = tx.send(Err(Status::from(e))).await;
                    return;
                }
            };
            let caught_up = events.len() < BATCH;
            for e in events {
                cursor = e.cursor;
                if tx
                    .send(Ok(to_proto(shared.store.as_ref(), e)))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            if !caught_up {
                continue;
            }
            cursor = cursor.max(seen);
            tokio::select! {
                changed = head.changed() => if changed.is_err() { return },
                _ = tx.closed() => return,
                _ = stopping.wait_for(|s| *s) => return,
            }
        }
    });
    Ok(Box::pin(ReceiverStream::new(rx)))
}

/// AckReturns: acknowledges every event up to and including the cursor (never moves back).
pub async fn ack(
    shared: &Shared,
    tenant: &Tenant,
    r: proto::AckReturnsRequest,
) -> Result<proto::AckReturnsResponse, Error> {
    if r.cursor == 0 {
        return Err(Error::InvalidArgument(vec![FieldViolation::request(
            "cursor",
            "XSD-required",
            "is required: the cursor of the last event processed",
        )]));
    }
    let outcome = shared
        .store
        .commit(Write::Ack {
            tenant: tenant.name.clone(),
            cursor: r.cursor,
        })
        .wait()
        .await?;
    match outcome {
        Outcome::Acked(acked_cursor) => Ok(proto::AckReturnsResponse { acked_cursor }),
        other => Err(Error::Internal(format!(
            "unexpected store outcome {other:?}"
        ))),
    }
}

/// Events per ListEvents page by default, and at most.
const LIST_DEFAULT: usize = 256;
const LIST_MAX: usize = 1000;

/// The names ListEvents filters on: the `ReturnEvent.event` field of each kind of event.
fn event_type(e: &EventBody) -> &'static str {
    match e {
        EventBody::Delivery { .. } => "delivery",
        EventBody::Retour { .. } => "retour",
        EventBody::Allocation { .. } => "allocation",
        EventBody::Answer { .. } => "answer",
        EventBody::DeclarationAnswer { .. } => "declaration_answer",
        EventBody::DeadlineMissed { .. } | EventBody::DutyMissed { .. } => "deadline_missed",
        EventBody::Quarantined { .. } => "quarantined",
    }
}

/// ListEvents: one page of the tenant's events after a cursor, without acknowledging them.
pub fn list(
    shared: &Shared,
    tenant: &Tenant,
    r: &proto::ListEventsRequest,
) -> Result<proto::ListEventsResponse, Error> {
    const TYPES: [&str; 7] = [
        "retour",
        "allocation",
        "answer",
        "declaration_answer",
        "delivery",
        "deadline_missed",
        "quarantined",
    ];
    if let Some(i) = r
        .event_types
        .iter()
        .position(|t| !TYPES.contains(&t.as_str()))
    {
        return Err(Error::InvalidArgument(vec![FieldViolation::request(
            format!("event_types[{i}]"),
            "KP-event-type",
            "is not one of retour, allocation, answer, declaration_answer, delivery, \
             deadline_missed, quarantined",
        )]));
    }
    if !r.agb_code.is_empty() {
        tenant.check_agb(&r.agb_code)?;
    }
    let page = match r.page_size {
        0 => LIST_DEFAULT,
        n => usize::try_from(n)
            .map_err(|_| super::query::negative_page_size())?
            .min(LIST_MAX),
    };
    let filter = |e: &EventRecord| {
        tenant.may_act_for(&e.agb)
            && (r.agb_code.is_empty() || e.agb == r.agb_code)
            && (r.event_types.is_empty() || r.event_types.iter().any(|t| t == event_type(&e.body)))
    };
    let records = shared.store.events_after(r.after_cursor, page, &filter)?;
    let next_cursor = if records.len() == page {
        records.last().map_or(0, |e| e.cursor)
    } else {
        0
    };
    let events = records
        .into_iter()
        .map(|e| {
            let mut event = to_proto(shared.store.as_ref(), e);
            if !r.include_xml {
                event.raw_xml.clear();
            }
            event
        })
        .collect();
    Ok(proto::ListEventsResponse {
        events,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::received::LineVerdict;

    fn line(reference: &str, cents: u64) -> ClaimLine {
        ClaimLine {
            reference_number: reference.into(),
            allocation_number: 100000001,
            product_code: "45A48".into(),
            period_start: "2025-06-01".into(),
            claimed_cents: cents,
            credit: false,
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_line_gets_a_verdict_accepted_with_its_amount_or_rejected_with_codes() {
        let claim = [line("R1", 34_896), line("R2", 139_200)];
        let rejected = [LineVerdict {
            reference_number: "R2".into(),
            codes: strings(&["9346"]),
        }];
        let v = claim_verdicts(&claim, &strings(&["0200", "0200"]), &rejected, true);
        assert_eq!(v.len(), 2);
        assert!(v[0].accepted && v[0].codes.is_empty());
        assert_eq!((v[0].claimed_cents, v[0].granted_cents), (34_896, 34_896));
        assert!(!v[1].accepted);
        assert_eq!(v[1].codes, strings(&["9346"]));
        assert_eq!(v[1].granted_cents, 0);
        assert!(
            v[1].texts[0].starts_with("Eenheid is ongelijk"),
            "{:?}",
            v[1].texts
        );
        // Fully accepted (8001): every line granted.
        let v = claim_verdicts(&claim, &strings(&["0200", "8001"]), &[], true);
        assert!(
            v.iter()
                .all(|l| l.accepted && l.granted_cents == l.claimed_cents)
        );
        // Rejected as a whole (0001 in the header): every line with 0001.
        let v = claim_verdicts(&claim, &strings(&["0001"]), &[], true);
        assert!(
            v.iter()
                .all(|l| !l.accepted && l.codes == strings(&["0001"]))
        );
    }
}
