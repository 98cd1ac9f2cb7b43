//! Berichten: the message list with its search (kind, state, period, AGB code, municipality,
//! ToewijzingNummer, DeclaratieNummer; an exact BSN through a POST, so that it never appears
//! in a URL), and a message's page: its facts, its clients (masked until revealed), and its
//! conversation as a timeline with the rules behind every refusal and, per claim line, the
//! 325's verdict with the retourcodes' texts.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{Frame, Signed, as_client, euros, failure, render, when};
use crate::api::query::{MessageFilter, visible_message};
use crate::api::returns::{events_at, to_proto};
use crate::cli::{report, retourcodes};
use crate::console::Console;
use crate::console::i18n::Texts;
use crate::console::index::Criteria;
use crate::console::personal::{self, mask_bsn};
use crate::error::{Error, FieldViolation};
use crate::proto;
use crate::store::access_log::AccessEntry;
use crate::store::{EventBody, EventRecord, MessageMeta, Outcome, Write};

/// Messages per page of the list.
const PAGE: usize = 50;
/// Messages of a conversation shown on a message's page.
const CONVERSATION: usize = 25;

/// The kinds a provider sends, for the search form.
const KINDS: &[&str] = &[
    "JW315", "JW317", "JW305", "JW307", "JW323", "JW302", "JW320", "WMO315", "WMO317", "WMO305",
    "WMO307", "WMO323", "WMO302", "WMO320",
];

/// The states, by their API names, for the search form.
const STATES: &[&str] = &[
    "QUEUED",
    "DELIVERED",
    "REJECTED_BY_VECOZO",
    "ANSWERED",
    "DEADLINE_MISSED",
];

/// The list's search (a GET: nothing in it is personal data).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    soort: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    van: String,
    #[serde(default)]
    tot: String,
    #[serde(default)]
    agb: String,
    #[serde(default)]
    gemeente: String,
    #[serde(default)]
    toewijzing: String,
    #[serde(default)]
    declaratie: String,
    #[serde(default)]
    voor: Option<u64>,
}

/// A row of the list.
pub struct ListRow {
    id: u64,
    kind: String,
    agb: String,
    municipality: String,
    state: &'static str,
    accepted: String,
    identificatie: String,
    declaration_number: String,
    client: String,
}

/// A select option.
pub struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "messages.html")]
struct ListPage {
    f: Frame,
    q: ListQuery,
    kinds: Vec<Choice>,
    states: Vec<Choice>,
    csrf: String,
    rows: Vec<ListRow>,
    /// The next page: a link (GET search) …
    next_link: Option<String>,
    /// … or, for a BSN search, a form that carries the BSN in its body.
    next_bsn: Option<(String, u64)>,
    bsn_search: bool,
}

fn state_value(s: &str) -> i32 {
    if s.is_empty() {
        return 0;
    }
    // An unknown name is an invalid number, which the API's filter refuses by field name.
    proto::MessageState::from_str_name(&format!("MESSAGE_STATE_{s}")).map_or(-1, |s| s as i32)
}

fn criteria(signed: &Signed, q: &ListQuery) -> Result<Criteria, Error> {
    let filter = MessageFilter::new(
        &signed.session.tenant,
        q.agb.trim(),
        q.soort.trim(),
        state_value(q.status.trim()),
        q.van.trim(),
        q.tot.trim(),
    )?;
    let allocation = match q.toewijzing.trim() {
        "" => None,
        n => Some(n.parse::<u64>().map_err(|_| {
            Error::InvalidArgument(vec![FieldViolation::request(
                "toewijzing",
                "XSD-pattern",
                "ToewijzingNummer must be a number",
            )])
        })?),
    };
    Ok(Criteria {
        filter,
        municipality: q.gemeente.trim().to_owned(),
        allocation,
        declaration_number: q.declaratie.trim().to_owned(),
        bsn: String::new(),
    })
}

fn rows(
    console: &Console,
    signed: &Signed,
    c: &Criteria,
    before: Option<u64>,
) -> Result<(Vec<ListRow>, Option<u64>), Error> {
    let t = signed.t();
    let tenant = &signed.session.tenant;
    let ids = console.index.search(tenant, c, before, PAGE)?;
    let next = (ids.len() == PAGE).then(|| ids.last().copied()).flatten();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        // Through the API's own read: the tenant's authorisation applies to every row.
        let meta = match visible_message(&console.shared, tenant, &id.to_string()) {
            Ok(m) => m,
            Err(Error::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        if !c.filter.matches(tenant, &meta) {
            continue;
        }
        let client = console
            .index
            .row(id)?
            .and_then(|r| r.bsn)
            .map(|b| mask_bsn(&b))
            .unwrap_or_default();
        out.push(ListRow {
            id,
            kind: meta.kind,
            agb: meta.agb,
            municipality: meta.municipality,
            state: t.state(meta.state),
            accepted: when(meta.accepted_at_ms),
            identificatie: meta.identificatie,
            declaration_number: meta.declaration_number.unwrap_or_default(),
            client,
        });
    }
    Ok((out, next))
}

fn choices(t: &Texts, q: &ListQuery) -> (Vec<Choice>, Vec<Choice>) {
    let kinds = KINDS
        .iter()
        .map(|k| Choice {
            value: k,
            label: (*k).to_owned(),
            selected: q.soort == *k,
        })
        .collect();
    let states = STATES
        .iter()
        .map(|s| Choice {
            value: s,
            label: t
                .state(match *s {
                    "QUEUED" => crate::store::MessageState::Queued,
                    "DELIVERED" => crate::store::MessageState::Delivered,
                    "REJECTED_BY_VECOZO" => crate::store::MessageState::RejectedByVecozo,
                    "ANSWERED" => crate::store::MessageState::Answered,
                    _ => crate::store::MessageState::DeadlineMissed,
                })
                .to_owned(),
            selected: q.status == *s,
        })
        .collect();
    (kinds, states)
}

fn query_string(q: &ListQuery, before: u64) -> String {
    let mut s = String::from("/berichten?");
    for (k, v) in [
        ("soort", &q.soort),
        ("status", &q.status),
        ("van", &q.van),
        ("tot", &q.tot),
        ("agb", &q.agb),
        ("gemeente", &q.gemeente),
        ("toewijzing", &q.toewijzing),
        ("declaratie", &q.declaratie),
    ] {
        if !v.is_empty() {
            s.push_str(k);
            s.push('=');
            s.extend(v.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-'));
            s.push('&');
        }
    }
    s.push_str(&format!("voor={before}"));
    s
}

/// GET /berichten.
pub async fn list(
    State(console): State<Arc<Console>>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Response {
    let t = signed.t();
    let frame = signed.frame(&console, "/berichten", t.messages);
    let result = criteria(&signed, &q).and_then(|c| rows(&console, &signed, &c, q.voor));
    let (rows, next) = match result {
        Ok(r) => r,
        Err(e) => return failure(frame, e),
    };
    let (kinds, states) = choices(t, &q);
    render(
        StatusCode::OK,
        &ListPage {
            f: frame,
            next_link: next.map(|n| query_string(&q, n)),
            q,
            kinds,
            states,
            csrf: signed.session.csrf.clone(),
            rows,
            next_bsn: None,
            bsn_search: false,
        },
    )
}

/// The BSN search form (a POST: the BSN stays out of the URL and the logs).
#[derive(Debug, Deserialize)]
pub struct BsnForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bsn: String,
    #[serde(default)]
    voor: Option<u64>,
}

/// POST /berichten/zoeken.
pub async fn search_bsn(
    State(console): State<Arc<Console>>,
    signed: Signed,
    Form(form): Form<BsnForm>,
) -> Response {
    if let Some(r) = signed.csrf_refusal(&console, &form.csrf) {
        return r;
    }
    let t = signed.t();
    let frame = signed.frame(&console, "/berichten", t.search_bsn);
    let bsn: String = form.bsn.chars().filter(char::is_ascii_digit).collect();
    let c = Criteria {
        bsn: bsn.clone(),
        ..Criteria::default()
    };
    let (rows, next) = if bsn.is_empty() {
        (Vec::new(), None)
    } else {
        match rows(&console, &signed, &c, form.voor) {
            Ok(r) => r,
            Err(e) => return failure(frame, e),
        }
    };
    let q = ListQuery::default();
    let (kinds, states) = choices(t, &q);
    render(
        StatusCode::OK,
        &ListPage {
            f: frame,
            q,
            kinds,
            states,
            csrf: signed.session.csrf.clone(),
            rows,
            next_link: None,
            next_bsn: next.map(|n| (bsn, n)),
            bsn_search: true,
        },
    )
}

/// A retourcode (or VECOZO melding) with its text.
pub struct CodeRow {
    code: String,
    text: String,
    path: String,
}

/// A claim line with the 325's verdict.
pub struct LineRow {
    n: usize,
    reference: String,
    allocation: u64,
    product: String,
    period: String,
    volume: String,
    amount: String,
    verdict: String,
    rejected: bool,
    codes: Vec<CodeRow>,
}

/// One step of the conversation.
pub struct Step {
    at_ms: i64,
    at: String,
    title: String,
    link: Option<u64>,
    this: bool,
    details: Vec<String>,
    codes: Vec<CodeRow>,
    lines: Vec<LineRow>,
}

/// A client of the message, masked or revealed.
pub struct ClientRow {
    bsn: String,
    name: String,
    birth_date: String,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    f: Frame,
    id: u64,
    csrf: String,
    facts: Vec<(&'static str, String)>,
    rejected: bool,
    resendable: bool,
    meldingen: Vec<(String, String)>,
    clients: Vec<ClientRow>,
    revealed: bool,
    steps: Vec<Step>,
    more: bool,
}

fn code_rows(codes: &[String], ijw: bool) -> Vec<CodeRow> {
    codes
        .iter()
        .map(|c| CodeRow {
            code: c.clone(),
            text: retourcodes::text(c, ijw).unwrap_or_default().to_owned(),
            path: String::new(),
        })
        .collect()
}

/// What a message's page shows, before it is rendered; `shown_bsns` are the BSNs it shows
/// unmasked when `reveal` is set (for the access log).
struct Built {
    page: MessagePage,
    shown_bsns: Vec<String>,
    meta: MessageMeta,
}

fn build(console: &Console, signed: &Signed, id: &str, reveal: bool) -> Result<Built, Error> {
    let t = signed.t();
    let shared = &console.shared;
    let tenant = &signed.session.tenant;
    let meta = visible_message(shared, tenant, id)?;
    let xml = shared.store.message_xml(meta.id)?.unwrap_or_default();
    let scan = personal::scan(&xml);
    let mut shown_bsns: Vec<String> = Vec::new();
    let mut show = |bsn: &str| -> String {
        if reveal {
            if !bsn.is_empty() && !shown_bsns.iter().any(|b| b == bsn) {
                shown_bsns.push(bsn.to_owned());
            }
            bsn.to_owned()
        } else {
            mask_bsn(bsn)
        }
    };
    let clients = scan
        .clients
        .iter()
        .map(|c| ClientRow {
            bsn: show(&c.bsn),
            name: if reveal {
                c.name.clone()
            } else {
                String::new()
            },
            birth_date: if reveal {
                c.birth_date.clone()
            } else {
                String::new()
            },
        })
        .collect();

    let (ids, more) = console.index.conversation(meta.id, CONVERSATION)?;
    let mut steps = Vec::new();
    for other in ids {
        let m = if other == meta.id {
            meta.clone()
        } else {
            match visible_message(shared, tenant, &other.to_string()) {
                Ok(m) => m,
                Err(Error::NotFound(_)) => continue,
                Err(e) => return Err(e),
            }
        };
        let events = events_at(shared, tenant, &m.event_cursors)?;
        steps.extend(message_steps(console, t, &m, &events, meta.id, &mut show)?);
    }
    steps.sort_by_key(|s| s.at_ms);

    let mut facts = vec![
        (t.kind, meta.kind.clone()),
        (t.state, t.state(meta.state).to_owned()),
        (t.agb, meta.agb.clone()),
        (t.municipality, meta.municipality.clone()),
        (t.identificatie, meta.identificatie.clone()),
        (t.accepted_at, when(meta.accepted_at_ms)),
        (t.request_id, meta.request_id.clone()),
    ];
    if let Some(d) = &meta.declaration_number {
        facts.push((t.declaration_number, d.clone()));
    }
    if let Some(at) = meta.purged_at_ms {
        facts.push((t.xml_purged, when(at)));
    }
    if !scan.allocation_numbers.is_empty() {
        facts.push((
            t.allocation_number,
            scan.allocation_numbers
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    let title = format!("{} {} {}", t.message, meta.id, meta.kind);
    let page = MessagePage {
        f: signed.frame(console, "/berichten", &title),
        id: meta.id,
        csrf: signed.session.csrf.clone(),
        facts,
        rejected: meta.state == crate::store::MessageState::RejectedByVecozo,
        // A purged message has no XML to send again.
        resendable: meta.state == crate::store::MessageState::RejectedByVecozo
            && meta.purged_at_ms.is_none(),
        meldingen: meta
            .meldingen
            .iter()
            .map(|m| (m.code.clone(), m.description.clone()))
            .collect(),
        clients,
        revealed: reveal,
        steps,
        more,
    };
    Ok(Built {
        page,
        shown_bsns,
        meta,
    })
}

/// The steps of one message: its sending and every event about it.
fn message_steps(
    console: &Console,
    t: &Texts,
    m: &MessageMeta,
    events: &[EventRecord],
    page_id: u64,
    show: &mut dyn FnMut(&str) -> String,
) -> Result<Vec<Step>, Error> {
    let ijw = m.kind.starts_with("JW");
    let this = m.id == page_id;
    let mut steps = vec![Step {
        at_ms: m.accepted_at_ms,
        at: when(m.accepted_at_ms),
        title: format!("{} · {} ({} {})", m.kind, t.step_sent, t.message, m.id),
        link: (!this).then_some(m.id),
        this,
        details: vec![format!("{}: {}", t.state, t.state(m.state))],
        codes: Vec::new(),
        lines: Vec::new(),
    }];
    let latest_325 = events
        .iter()
        .rev()
        .find(|e| matches!(e.body, EventBody::DeclarationAnswer { .. }))
        .map(|e| e.cursor);
    for e in events {
        let mut step = Step {
            at_ms: e.at_ms,
            at: when(e.at_ms),
            title: String::new(),
            link: None,
            this,
            details: Vec::new(),
            codes: Vec::new(),
            lines: Vec::new(),
        };
        match &e.body {
            EventBody::Delivery {
                state,
                meldingen,
                vecozo_status,
            } => {
                step.title = format!("{} · {}: {}", m.kind, t.step_status, t.state(*state));
                if let Some(s) = vecozo_status {
                    step.details.push(format!("VECOZO: {s}"));
                }
                step.codes = meldingen
                    .iter()
                    .map(|x| CodeRow {
                        code: x.code.clone(),
                        text: x.description.clone(),
                        path: String::new(),
                    })
                    .collect();
            }
            EventBody::Retour { accepted, codes } => {
                step.title = format!(
                    "{} · {}: {}",
                    e.kind,
                    t.step_retour,
                    if *accepted { t.accepted } else { t.rejected }
                );
                step.codes = codes
                    .iter()
                    .map(|c| CodeRow {
                        code: c.code.clone(),
                        text: retourcodes::text(&c.code, ijw)
                            .unwrap_or_default()
                            .to_owned(),
                        path: c.path.clone(),
                    })
                    .collect();
            }
            EventBody::Allocation { bsn, products } => {
                step.title = format!("{} · {}", e.kind, t.step_allocation);
                step.details.push(format!("{}: {}", t.bsn, show(bsn)));
                for p in products {
                    let extent = p
                        .extent
                        .as_ref()
                        .map(|(v, u, f)| format!(", {v} ({u}/{f})"))
                        .unwrap_or_default();
                    step.details.push(format!(
                        "{} {}: {} ({}) {}–{}{}",
                        t.allocation_number,
                        p.allocation_number,
                        p.code,
                        p.category,
                        p.start_date,
                        p.end_date,
                        extent
                    ));
                }
            }
            EventBody::Answer {
                answer,
                refusal_reason,
                provider_reference,
            } => {
                step.title = format!("{} · {}", e.kind, t.step_answer);
                step.details.push(format!(
                    "VerzoekAntwoord {answer}; RedenAfwijzingVerzoek {refusal_reason}; ReferentieAanbieder {provider_reference}"
                ));
            }
            EventBody::DeclarationAnswer {
                declaration_number,
                total_claimed_cents,
                total_granted_cents,
                codes,
                ..
            } => {
                step.title = format!("{} · {}", e.kind, t.step_declaration_answer);
                step.details.push(format!(
                    "{} {}: {} {} {}",
                    t.declaration_number,
                    declaration_number,
                    euros(t, *total_granted_cents),
                    t.claimed_granted_of,
                    euros(t, *total_claimed_cents)
                ));
                step.codes = code_rows(codes, ijw);
                if Some(e.cursor) == latest_325 {
                    step.lines = claim_lines(console, t, m, events, ijw)?;
                }
            }
            EventBody::DeadlineMissed {
                expected_kind,
                due_date,
            } => {
                step.title = format!("{} · {}", m.kind, t.step_deadline_missed);
                step.details.push(format!(
                    "{}: {expected_kind}; {}: {due_date}; {}: {}",
                    t.expected,
                    t.due,
                    t.rule,
                    crate::api::returns::municipality_rule(expected_kind)
                ));
            }
            EventBody::DutyMissed {
                expected_kind,
                due_date,
                rule,
                ..
            } => {
                step.title = format!("{} · {}", m.kind, t.step_deadline_missed);
                step.details.push(format!(
                    "{}: {expected_kind}; {}: {due_date}; {}: {rule}",
                    t.expected, t.due, t.rule
                ));
            }
            EventBody::Quarantined { reason } => {
                step.title = t.step_quarantined.to_owned();
                step.details.push(reason.clone());
            }
        }
        steps.push(step);
    }
    Ok(steps)
}

/// The lines of claim `m` with the verdict of its latest 325, as `ketenpoort report` reads
/// them ([`report::claim_lines`], [`report::verdict`]).
fn claim_lines(
    console: &Console,
    t: &Texts,
    m: &MessageMeta,
    events: &[EventRecord],
    ijw: bool,
) -> Result<Vec<LineRow>, Error> {
    let xml = console.shared.store.message_xml(m.id)?.unwrap_or_default();
    let Ok(claim) = report::claim_lines(&xml) else {
        return Ok(Vec::new());
    };
    let proto_events: Vec<ketenpoort_client::proto::ReturnEvent> = events
        .iter()
        .cloned()
        .map(|e| as_client(&to_proto(console.shared.store.as_ref(), e)))
        .collect::<Result<_, _>>()?;
    Ok(claim
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let v = report::verdict(&proto_events, &l.reference_number);
            let sign = if l.debit_credit == "C" { -1 } else { 1 };
            LineRow {
                n: i + 1,
                reference: l.reference_number.clone(),
                allocation: l.allocation_number,
                product: format!("{} ({})", l.product_code, l.product_category),
                period: format!("{} – {}", l.period_start, l.period_end),
                volume: format!("{} ({})", l.delivered_volume, l.unit),
                amount: euros(t, sign * i64::try_from(l.amount_cents).unwrap_or(i64::MAX)),
                verdict: match v.verdict {
                    "accepted" => t.accepted.to_owned(),
                    "rejected" => t.rejected.to_owned(),
                    _ => t.no_verdict.to_owned(),
                },
                rejected: v.verdict == "rejected",
                codes: code_rows(&v.codes, ijw),
            }
        })
        .collect())
}

/// GET /berichten/{id}.
pub async fn show(
    State(console): State<Arc<Console>>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    match build(&console, &signed, &id, false) {
        Ok(b) => render(StatusCode::OK, &b.page),
        Err(e) => failure(signed.frame(&console, "/berichten", signed.t().messages), e),
    }
}

/// The reveal form.
#[derive(Debug, Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    csrf: String,
}

/// POST /berichten/{id}/inzien: writes the access-log entry, waits until it is durable, and
/// only then answers with the page showing the personal data.
pub async fn reveal(
    State(console): State<Arc<Console>>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<RevealForm>,
) -> Response {
    if let Some(r) = signed.csrf_refusal(&console, &form.csrf) {
        return r;
    }
    let t = signed.t();
    let fail = |e| failure(signed.frame(&console, "/berichten", t.messages), e);
    let mut built = match build(&console, &signed, &id, true) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let entry = AccessEntry {
        sequence: 0,
        at_ms: console.shared.clock.now().timestamp_millis(),
        tenant: signed.session.tenant.name.clone(),
        user: signed.session.user.clone(),
        credential: signed.session.credential.clone(),
        message_id: built.meta.id,
        agb: built.meta.agb.clone(),
        kind: built.meta.kind.clone(),
        clients: std::mem::take(&mut built.shown_bsns),
    };
    match console
        .shared
        .store
        .commit(Write::AccessLog(Box::new(entry)))
        .wait()
        .await
    {
        Ok(Outcome::AccessLogged(sequence)) => {
            tracing::info!(
                tenant = %signed.session.tenant.name,
                message = built.meta.id,
                sequence,
                "console: personal data shown (access log)"
            );
            built.page.f.notice = Some(t.revealed_logged.to_owned());
            render(StatusCode::OK, &built.page)
        }
        Ok(other) => fail(Error::Internal(format!(
            "unexpected store outcome {other:?}"
        ))),
        Err(e) => fail(e),
    }
}
