//! `ketenpoort returns`: prints the return events of the tenant's AGB codes (delivery
//! status changes, retours, allocations, answers, claim answers, missed deadlines) and
//! acknowledges each one after it is printed and flushed, so that the next run starts after
//! it. Acknowledging event N acknowledges every event up to N.
//!
//! - Without `--follow` it prints what is waiting and stops once no event came for
//!   `--idle` seconds (default 2). With `--follow` it waits for new events until stopped
//!   (Ctrl-C), reconnecting after a disconnect or gateway restart without repeating events.
//! - `--max-events N` stops after N events; `--idle SECONDS` stops after a quiet period,
//!   with or without `--follow`.
//! - `--until KIND` (e.g. `JW301`) stops right after the first event about a message of that
//!   kind was printed (and acknowledged); scripts use it with `--follow --idle SECONDS` to
//!   wait for an answer. Exit code 1 when the stream stopped before such an event came.
//! - `--from CURSOR` starts at that cursor (inclusive) instead of after the tenant's last
//!   acknowledged one; `--no-ack` prints without acknowledging.
//! - Text lines name the cursor, time, AGB code, message id, kind and what happened, with
//!   allocation numbers, references and retourcodes but no BSN. `--json` prints one JSON
//!   object per event with every field (BSNs of 301s included: it is for programs); add
//!   `--xml` for the XML that arrived.
//!
//! Exit code: 0 stopped as asked, 1 `--until` not reached, 2 connection or credential errors.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::time::Duration;

use ketenpoort_client::proto::return_event::Event;
use ketenpoort_client::{Client, RetryPolicy, proto};
use serde_json::json;

use super::connect::{self, ConnectArgs, EXIT_OK, state_name, time};

/// Arguments of `ketenpoort returns`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReturnsArgs {
    /// How to reach the gateway.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Keep waiting for new events (until Ctrl-C, `--max-events` or `--idle`).
    #[arg(long)]
    pub follow: bool,
    /// Start at this cursor (inclusive) instead of after the last acknowledged one.
    #[arg(long, value_name = "CURSOR")]
    pub from: Option<u64>,
    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    pub max_events: Option<u64>,
    /// Stop when no event came for this many seconds (default 2 without `--follow`, never
    /// with it).
    #[arg(long, value_name = "SECONDS")]
    pub idle: Option<f64>,
    /// Stop after the first event whose kind is this (e.g. `JW301`, `WMO325`); exit code 1
    /// when the stream stops before one came.
    #[arg(long, value_name = "KIND")]
    pub until: Option<String>,
    /// Print the events without acknowledging them.
    #[arg(long)]
    pub no_ack: bool,
    /// One JSON object per event.
    #[arg(long)]
    pub json: bool,
    /// With `--json`: include the XML that arrived (`raw_xml`).
    #[arg(long, requires = "json")]
    pub xml: bool,
}

/// The exit code when `--until KIND` was given and no such event came.
pub const EXIT_UNTIL_NOT_REACHED: u8 = 1;

/// Runs `returns`; the result is the exit code.
pub fn run(args: &ReturnsArgs, out: &mut impl Write, err: &mut impl Write) -> io::Result<u8> {
    let rt = connect::runtime()?;
    rt.block_on(run_async(args, out, err))
}

async fn run_async(
    args: &ReturnsArgs,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<u8> {
    let client = match args.connect.connect().await {
        Ok(c) => c,
        Err(e) => return connect::fail(err, "returns", &e),
    };
    let idle = match args.idle {
        Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
        Some(_) => return connect::fail(err, "returns", "--idle must be a positive number"),
        None if args.follow => None,
        None => Some(Duration::from_secs(2)),
    };
    let mut stream = match args.from {
        Some(c) => client.returns_from(c),
        None => client.returns(),
    };
    if !args.follow {
        stream = stream.with_reconnect(RetryPolicy::default());
    }
    let mut printed = 0u64;
    let mut reached = false;
    loop {
        if args.max_events.is_some_and(|m| printed >= m) {
            break;
        }
        let next = match idle {
            Some(d) => match tokio::time::timeout(d, stream.next()).await {
                Ok(r) => r,
                Err(_) => break,
            },
            None => stream.next().await,
        };
        let event = match next {
            Ok(e) => e,
            Err(e) => return connect::fail(err, "returns", &e.to_string()),
        };
        if args.json {
            writeln!(out, "{}", event_json(&event, args.xml))?;
        } else {
            writeln!(out, "{}", event_text(&event))?;
        }
        out.flush()?;
        printed += 1;
        if !args.no_ack {
            if let Err(e) = stream.ack(event.cursor).await {
                return connect::fail(
                    err,
                    "returns",
                    &format!("cannot acknowledge cursor {}: {e}", event.cursor),
                );
            }
        }
        if args
            .until
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case(&event.kind))
        {
            reached = true;
            break;
        }
    }
    if !args.no_ack && stream.last_acked() > 0 {
        writeln!(
            err,
            "ketenpoort returns: {printed} event(s), acknowledged up to cursor {}",
            stream.last_acked()
        )?;
    } else {
        writeln!(err, "ketenpoort returns: {printed} event(s)")?;
    }
    if let Some(kind) = args.until.as_deref().filter(|_| !reached) {
        writeln!(
            err,
            "ketenpoort returns: stopped before an event of kind {kind} came"
        )?;
        return Ok(EXIT_UNTIL_NOT_REACHED);
    }
    Ok(EXIT_OK)
}

/// The short name of what an event is: `delivery`, `retour`, `allocation`, `answer`,
/// `declaration_answer`, `deadline_missed`, `quarantined`.
pub fn event_type(e: &proto::ReturnEvent) -> &'static str {
    match &e.event {
        Some(Event::Delivery(_)) => "delivery",
        Some(Event::Retour(_)) => "retour",
        Some(Event::Allocation(_)) => "allocation",
        Some(Event::Answer(_)) => "answer",
        Some(Event::DeclarationAnswer(_)) => "declaration_answer",
        Some(Event::DeadlineMissed(_)) => "deadline_missed",
        Some(Event::Quarantined(_)) => "quarantined",
        None => "unknown",
    }
}

/// One line for people: `#12 2025-04-02T12:00:00.000Z AGB 12345678 message 3 JW316 retour
/// accepted`. No BSNs or names.
pub fn event_text(e: &proto::ReturnEvent) -> String {
    let mut s = format!("#{} {} AGB {}", e.cursor, time(e.at.as_ref()), e.agb_code);
    if !e.message_id.is_empty() {
        s.push_str(&format!(" message {}", e.message_id));
    }
    if !e.kind.is_empty() {
        s.push_str(&format!(" {}", e.kind));
    }
    s.push(' ');
    s.push_str(event_type(e));
    let detail = match &e.event {
        Some(Event::Delivery(d)) => {
            let mut t = state_name(d.state);
            if !d.vecozo_status.is_empty() {
                t.push_str(&format!(" (VECOZO: {})", d.vecozo_status));
            }
            for m in &d.meldingen {
                t.push_str(&format!("; melding {}: {}", m.code, m.description));
            }
            t
        }
        Some(Event::Retour(r)) => {
            let verdict = if r.accepted { "accepted" } else { "rejected" };
            let codes: Vec<String> = r
                .codes
                .iter()
                .map(|c| format!("{} at {}", c.code, c.path))
                .collect();
            if codes.is_empty() {
                verdict.to_owned()
            } else {
                format!("{verdict}, retourcodes {}", codes.join(", "))
            }
        }
        Some(Event::Allocation(a)) => {
            let products: Vec<String> = a
                .products
                .iter()
                .map(|p| {
                    let product = p
                        .product
                        .as_ref()
                        .map(|p| format!("{}/{}", p.category, p.code))
                        .unwrap_or_default();
                    format!(
                        "{} {} {}..{}{}",
                        p.allocation_number,
                        product,
                        p.start_date,
                        p.end_date,
                        if p.provider_reference.is_empty() {
                            String::new()
                        } else {
                            format!(" (reference {})", p.provider_reference)
                        }
                    )
                })
                .collect();
            format!("allocations {}", products.join(", "))
        }
        Some(Event::Answer(a)) => format!(
            "reference {} answer {}{}",
            a.provider_reference,
            a.answer,
            if a.refusal_reason.is_empty() {
                String::new()
            } else {
                format!(" reason {}", a.refusal_reason)
            }
        ),
        Some(Event::DeclarationAnswer(d)) => {
            let mut t = format!(
                "DeclaratieNummer {} claimed {} granted {}",
                d.declaration_number,
                euros(d.total_claimed_cents),
                euros(d.total_granted_cents)
            );
            if !d.codes.is_empty() {
                t.push_str(&format!(" retourcodes {}", d.codes.join(",")));
            }
            if d.lines.is_empty() {
                for l in &d.rejected_lines {
                    t.push_str(&format!(
                        "; rejected {} [{}]",
                        l.reference_number,
                        l.codes.join(",")
                    ));
                }
            }
            // Every line of the claim when ketenpoort knows it: granted, or rejected.
            for l in &d.lines {
                if l.accepted {
                    t.push_str(&format!(
                        "; accepted {} {}",
                        l.reference_number,
                        euros(l.granted_cents)
                    ));
                } else {
                    t.push_str(&format!(
                        "; rejected {} [{}]",
                        l.reference_number,
                        l.codes.join(",")
                    ));
                }
            }
            t
        }
        Some(Event::DeadlineMissed(d)) => {
            let mut t = format!("expected {} by {}", d.expected_kind, d.due_date);
            if !d.rule.is_empty() {
                t.push_str(&format!(" ({}", d.rule));
                if d.provider_duty {
                    t.push_str(", the provider's");
                }
                if d.answers_cursor != 0 {
                    t.push_str(&format!(", answer #{}", d.answers_cursor));
                }
                t.push(')');
            }
            t
        }
        Some(Event::Quarantined(q)) => q.reason.clone(),
        None => String::new(),
    };
    if !detail.is_empty() {
        s.push(' ');
        s.push_str(&detail);
    }
    s
}

/// Eurocents as `123.45`.
pub fn euros(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn product_json(p: Option<&proto::Product>) -> serde_json::Value {
    p.map_or(
        serde_json::Value::Null,
        |p| json!({"category": p.category, "code": p.code}),
    )
}

fn extent_json(e: Option<&proto::Extent>) -> serde_json::Value {
    e.map_or(
        serde_json::Value::Null,
        |e| json!({"volume": e.volume, "unit": e.unit, "frequency": e.frequency}),
    )
}

/// The event as JSON: the envelope fields, `type` ([`event_type`]) and the event's own
/// fields under that name; `raw_xml` only when `xml`. `bsn` is left out unless `with_bsn`.
pub fn event_json_with(e: &proto::ReturnEvent, xml: bool, with_bsn: bool) -> serde_json::Value {
    let body = match &e.event {
        Some(Event::Delivery(d)) => {
            let mut body = json!({
                "state": state_name(d.state),
                "meldingen": d.meldingen.iter()
                    .map(|m| json!({"code": m.code, "description": m.description}))
                    .collect::<Vec<_>>(),
            });
            if !d.vecozo_status.is_empty() {
                body["vecozo_status"] = json!(d.vecozo_status);
            }
            body
        }
        Some(Event::Retour(r)) => json!({
            "accepted": r.accepted,
            "codes": r.codes.iter().map(|c| json!({"path": c.path, "code": c.code}))
                .collect::<Vec<_>>(),
        }),
        Some(Event::Allocation(a)) => {
            let mut v = json!({
                "products": a.products.iter().map(|p| json!({
                    "allocation_number": p.allocation_number,
                    "provider_reference": p.provider_reference,
                    "product": product_json(p.product.as_ref()),
                    "start_date": p.start_date,
                    "end_date": p.end_date,
                    "extent": extent_json(p.extent.as_ref()),
                    "budget_cents": p.budget_cents,
                    "change_reason": p.change_reason,
                })).collect::<Vec<_>>(),
            });
            if with_bsn {
                v["bsn"] = json!(a.bsn);
            }
            v
        }
        Some(Event::Answer(a)) => json!({
            "provider_reference": a.provider_reference,
            "answer": a.answer,
            "refusal_reason": a.refusal_reason,
        }),
        Some(Event::DeclarationAnswer(d)) => json!({
            "declaration_number": d.declaration_number,
            "total_claimed_cents": d.total_claimed_cents,
            "total_granted_cents": d.total_granted_cents,
            "codes": d.codes,
            "rejected_lines": d.rejected_lines.iter()
                .map(|l| json!({"reference_number": l.reference_number, "codes": l.codes}))
                .collect::<Vec<_>>(),
            "lines": d.lines.iter()
                .map(|l| json!({
                    "reference_number": l.reference_number,
                    "allocation_number": l.allocation_number,
                    "product_code": l.product_code,
                    "period_start": l.period_start,
                    "accepted": l.accepted,
                    "claimed_cents": l.claimed_cents,
                    "credit": l.credit,
                    "granted_cents": l.granted_cents,
                    "codes": l.codes,
                    "texts": l.texts,
                }))
                .collect::<Vec<_>>(),
        }),
        Some(Event::DeadlineMissed(d)) => json!({
            "expected_kind": d.expected_kind,
            "due_date": d.due_date,
            "rule": d.rule,
            "provider_duty": d.provider_duty,
            "answers_cursor": d.answers_cursor,
        }),
        Some(Event::Quarantined(q)) => json!({"reason": q.reason}),
        None => serde_json::Value::Null,
    };
    let kind = event_type(e);
    let mut v = json!({
        "cursor": e.cursor,
        "at": time(e.at.as_ref()),
        "agb_code": e.agb_code,
        "message_id": e.message_id,
        "kind": e.kind,
        "type": kind,
    });
    v[kind] = body;
    if xml {
        v["raw_xml"] = json!(e.raw_xml);
    }
    v
}

/// [`event_json_with`] with the BSN (the `returns --json` output, for programs).
pub fn event_json(e: &proto::ReturnEvent, xml: bool) -> serde_json::Value {
    event_json_with(e, xml, true)
}

/// Reads the events with the given cursors without acknowledging anything: one stream from
/// the lowest cursor (inclusive, acknowledged or not), until the highest has come or
/// nothing came for `idle`. Returns the events found; cursors that did not come are missing
/// from the map.
pub async fn fetch_events(
    client: &Client,
    cursors: &BTreeSet<u64>,
    idle: Duration,
) -> Result<BTreeMap<u64, proto::ReturnEvent>, ketenpoort_client::Error> {
    let mut found = BTreeMap::new();
    let (Some(&first), Some(&last)) = (cursors.first(), cursors.last()) else {
        return Ok(found);
    };
    let mut stream = client
        .returns_from(first)
        .with_reconnect(RetryPolicy::default());
    loop {
        let event = match tokio::time::timeout(idle, stream.next()).await {
            Ok(r) => r?,
            Err(_) => break,
        };
        let cursor = event.cursor;
        if cursors.contains(&cursor) {
            found.insert(cursor, event);
        }
        if cursor >= last {
            break;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim_answer() -> proto::ReturnEvent {
        proto::ReturnEvent {
            cursor: 7,
            agb_code: "12345678".into(),
            at: Some(prost_types::Timestamp {
                seconds: 1_743_595_200,
                nanos: 0,
            }),
            message_id: "3".into(),
            kind: "JW325".into(),
            raw_xml: "<Bericht/>".into(),
            event: Some(Event::DeclarationAnswer(proto::DeclarationAnswerReceived {
                declaration_number: "D1".into(),
                total_claimed_cents: 69792,
                total_granted_cents: 34896,
                codes: vec![],
                rejected_lines: vec![proto::LineVerdict {
                    reference_number: "R2".into(),
                    codes: vec!["9338".into()],
                    ..Default::default()
                }],
                lines: vec![],
            })),
        }
    }

    #[test]
    fn a_claim_answer_with_every_line_names_each_verdict() {
        let mut e = claim_answer();
        if let Some(Event::DeclarationAnswer(d)) = &mut e.event {
            d.lines = vec![
                proto::LineVerdict {
                    reference_number: "R1".into(),
                    accepted: true,
                    claimed_cents: 34896,
                    granted_cents: 34896,
                    ..Default::default()
                },
                proto::LineVerdict {
                    reference_number: "R2".into(),
                    codes: vec!["9338".into()],
                    texts: vec!["Toewijzing bestaat niet.".into()],
                    claimed_cents: 34896,
                    ..Default::default()
                },
            ];
        }
        assert!(
            event_text(&e).ends_with("granted 348.96; accepted R1 348.96; rejected R2 [9338]"),
            "{}",
            event_text(&e)
        );
        let v = event_json(&e, false);
        assert_eq!(v["declaration_answer"]["lines"][0]["accepted"], true);
        assert_eq!(v["declaration_answer"]["lines"][0]["granted_cents"], 34896);
        assert_eq!(v["declaration_answer"]["lines"][1]["codes"][0], "9338");
    }

    #[test]
    fn a_claim_answer_reads_as_one_line() {
        assert_eq!(
            event_text(&claim_answer()),
            "#7 2025-04-02T12:00:00.000Z AGB 12345678 message 3 JW325 declaration_answer \
             DeclaratieNummer D1 claimed 697.92 granted 348.96; rejected R2 [9338]"
        );
    }

    #[test]
    fn json_has_the_type_and_leaves_the_xml_out_unless_asked() {
        let v = event_json(&claim_answer(), false);
        assert_eq!(v["type"], "declaration_answer");
        assert_eq!(
            v["declaration_answer"]["rejected_lines"][0]["codes"][0],
            "9338"
        );
        assert!(v.get("raw_xml").is_none());
        assert_eq!(event_json(&claim_answer(), true)["raw_xml"], "<Bericht/>");
    }

    #[test]
    fn a_refusal_after_the_push_names_vecozo_s_status() {
        let e = proto::ReturnEvent {
            cursor: 8,
            message_id: "4".into(),
            event: Some(Event::Delivery(proto::DeliveryStatusChanged {
                state: proto::MessageState::RejectedByVecozo as i32,
                meldingen: vec![proto::Melding {
                    code: "BRS28".into(),
                    description: "XSLT".into(),
                }],
                vecozo_status: "AfgekeurdDoorDienst".into(),
            })),
            ..Default::default()
        };
        let text = event_text(&e);
        assert!(
            text.contains("(VECOZO: AfgekeurdDoorDienst); melding BRS28: XSLT"),
            "{text}"
        );
        let v = event_json(&e, false);
        assert_eq!(v["delivery"]["vecozo_status"], "AfgekeurdDoorDienst");
        // The push's own answer has no VECOZO status.
        let plain = proto::ReturnEvent {
            event: Some(Event::Delivery(proto::DeliveryStatusChanged::default())),
            ..Default::default()
        };
        assert!(
            event_json(&plain, false)["delivery"]
                .get("vecozo_status")
                .is_none()
        );
    }

    #[test]
    fn allocation_text_has_no_bsn() {
        let e = proto::ReturnEvent {
            cursor: 9,
            event: Some(Event::Allocation(proto::AllocationReceived {
                bsn: "111222333".into(),
                products: vec![proto::AllocatedProduct {
                    allocation_number: 1001,
                    ..Default::default()
                }],
            })),
            ..Default::default()
        };
        assert!(!event_text(&e).contains("111222333"), "{}", event_text(&e));
        assert!(event_text(&e).contains("1001"));
        assert!(
            event_json_with(&e, false, false)
                .get("allocation")
                .is_some()
        );
        assert!(
            event_json_with(&e, false, false)["allocation"]
                .get("bsn")
                .is_none()
        );
    }
}
