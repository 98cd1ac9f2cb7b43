//! The pages of what needs doing: Uitval (messages VECOZO refused, with a resend; messages
//! still queued and why), Termijnen (open and missed deadlines, with the working days left)
//! and Toewijzingen (allocations received, allocated against claimed volume).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use ketenpoort_messages::calendar::WorkingDays;
use ketenpoort_messages::codes::DebetCredit;
use ketenpoort_messages::rules::cross::{History, Scope};
use serde::Deserialize;

use super::{CsrfForm, Frame, Signed, failure, render, when};
use crate::api::query::{resend_message, visible_message};
use crate::config::VecozoMode;
use crate::console::Console;
use crate::console::i18n::Texts;
use crate::console::personal::mask_bsn;
use crate::error::Error;
use crate::proto;
use crate::store::duties::law_of;
use crate::tenant::Tenant;

/// A deadline as the Termijnen page and the Overzicht list it.
#[derive(Debug, Clone)]
pub struct TermRow {
    /// What is expected, e.g. `JW301/JW319`.
    pub what: String,
    /// The message it is about.
    pub message_id: Option<u64>,
    /// When there is no message: what it is about (the event of a 301 to answer).
    pub about: String,
    /// Who owes it.
    pub owed_by: &'static str,
    /// The rule of the term.
    pub rule: String,
    /// The due date, or why there is none.
    pub due: String,
    /// Working days left (negative: overdue); `None` without a due date.
    pub left: Option<i64>,
    /// `left` as shown.
    pub left_text: String,
    /// Overdue.
    pub overdue: bool,
}

/// Working days from `today` to `due`: 0 on the due date itself, negative once it passed.
pub fn working_days_left(calendar: &WorkingDays, today: NaiveDate, due: NaiveDate) -> i64 {
    if due >= today {
        i64::try_from(calendar.working_days_between(today, due)).unwrap_or(i64::MAX)
    } else {
        -i64::try_from(calendar.working_days_between(due, today).max(1)).unwrap_or(i64::MAX)
    }
}

/// A deadline before it is laid out: what, about which message, owed by whom, under which
/// rule, due when.
struct Term {
    what: String,
    message_id: Option<u64>,
    about: String,
    owed_by: &'static str,
    rule: String,
    due: Option<NaiveDate>,
}

fn term_row(t: &Texts, calendar: &WorkingDays, today: NaiveDate, term: Term) -> TermRow {
    let left = term.due.map(|d| working_days_left(calendar, today, d));
    let overdue = left.is_some_and(|l| l < 0);
    TermRow {
        what: term.what,
        message_id: term.message_id,
        about: term.about,
        owed_by: term.owed_by,
        rule: term.rule,
        due: term
            .due
            .map_or_else(|| t.no_due_yet.to_owned(), |d| d.to_string()),
        left_text: match left {
            Some(l) if l < 0 => format!("{l} ({})", t.overdue),
            Some(l) => l.to_string(),
            None => "—".into(),
        },
        left,
        overdue,
    }
}

/// The open deadlines `tenant` may see, soonest first: the answers municipalities owe
/// (`w/`) and the provider's own open duties (`v/`), as the store holds them.
pub fn open_terms(
    console: &Console,
    tenant: &Tenant,
    today: NaiveDate,
    t: &Texts,
) -> Result<Vec<TermRow>, Error> {
    let calendar = WorkingDays::new();
    let terms = console.shared.store.open_terms()?;
    let mut rows = Vec::new();
    for e in terms
        .expectations
        .iter()
        .filter(|e| tenant.may_act_for(&e.agb))
    {
        let kind = e.expected_kind();
        rows.push(term_row(
            t,
            &calendar,
            today,
            Term {
                rule: crate::api::returns::municipality_rule(&kind).to_owned(),
                what: kind,
                message_id: Some(e.message_id),
                about: String::new(),
                owed_by: t.by_municipality,
                due: Some(e.due),
            },
        ));
    }
    for d in terms.retours.iter().filter(|d| tenant.may_act_for(&d.agb)) {
        rows.push(term_row(
            t,
            &calendar,
            today,
            Term {
                what: d.kind.clone(),
                message_id: None,
                about: format!("#{}", d.cursor),
                owed_by: t.by_provider,
                rule: "OP090".into(),
                due: Some(d.due),
            },
        ));
    }
    for (w, due) in terms
        .stops
        .iter()
        .filter(|(w, _)| tenant.may_act_for(&w.agb))
    {
        rows.push(term_row(
            t,
            &calendar,
            today,
            Term {
                what: w.kind(),
                message_id: Some(w.start_message),
                about: String::new(),
                owed_by: t.by_provider,
                rule: "OP272".into(),
                due: *due,
            },
        ));
    }
    rows.sort_by_key(|r| (r.left.is_none(), r.left));
    Ok(rows)
}

/// A missed deadline row.
pub struct MissedRow {
    what: String,
    message_id: Option<u64>,
    owed_by: &'static str,
    rule: String,
    due: String,
    reported: String,
}

#[derive(Template)]
#[template(path = "terms.html")]
struct TermsPage {
    f: Frame,
    open: Vec<TermRow>,
    missed: Vec<MissedRow>,
}

/// GET /termijnen.
pub async fn terms(State(console): State<Arc<Console>>, signed: Signed) -> Response {
    let t = signed.t();
    let frame = signed.frame(&console, "/termijnen", t.terms);
    let tenant = &signed.session.tenant;
    let today = console.shared.clock.today();
    let open = match open_terms(&console, tenant, today, t) {
        Ok(rows) => rows,
        Err(e) => return failure(frame, e),
    };
    let missed = match console.index.missed(tenant, 200) {
        Ok(m) => m
            .into_iter()
            .map(|m| MissedRow {
                what: m.expected_kind,
                message_id: m.message_id,
                owed_by: if m.provider_duty {
                    t.by_provider
                } else {
                    t.by_municipality
                },
                rule: m.rule,
                due: m.due_date,
                reported: when(m.at_ms),
            })
            .collect(),
        Err(e) => return failure(frame, e),
    };
    render(
        StatusCode::OK,
        &TermsPage {
            f: frame,
            open,
            missed,
        },
    )
}

/// A refused message on the Uitval page.
pub struct RefusedRow {
    id: u64,
    kind: String,
    agb: String,
    municipality: String,
    accepted: String,
    meldingen: Vec<(String, String)>,
}

/// A queued message on the Uitval page.
pub struct QueuedRow {
    id: u64,
    kind: String,
    agb: String,
    accepted: String,
    attempts: u32,
    why: &'static str,
}

#[derive(Template)]
#[template(path = "failures.html")]
struct FailuresPage {
    f: Frame,
    csrf: String,
    refused: Vec<RefusedRow>,
    queued: Vec<QueuedRow>,
}

/// GET /uitval.
pub async fn failures(State(console): State<Arc<Console>>, signed: Signed) -> Response {
    let t = signed.t();
    let frame = signed.frame(&console, "/uitval", t.failures);
    match failure_rows(&console, &signed.session.tenant, t) {
        Ok((refused, queued)) => render(
            StatusCode::OK,
            &FailuresPage {
                f: frame,
                csrf: signed.session.csrf.clone(),
                refused,
                queued,
            },
        ),
        Err(e) => failure(frame, e),
    }
}

fn failure_rows(
    console: &Console,
    tenant: &Tenant,
    t: &Texts,
) -> Result<(Vec<RefusedRow>, Vec<QueuedRow>), Error> {
    let shared = &console.shared;
    let mut refused = Vec::new();
    for id in console.index.rejected(tenant, 100)? {
        let meta = match visible_message(shared, tenant, &id.to_string()) {
            Ok(m) => m,
            Err(Error::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        if meta.state != crate::store::MessageState::RejectedByVecozo {
            continue;
        }
        refused.push(RefusedRow {
            id,
            kind: meta.kind,
            agb: meta.agb,
            municipality: meta.municipality,
            accepted: when(meta.accepted_at_ms),
            meldingen: meta
                .meldingen
                .into_iter()
                .map(|m| (m.code, m.description))
                .collect(),
        });
    }
    let mut queued = Vec::new();
    let mut after = None;
    'pages: loop {
        let ids = shared.store.queued_ids(after, 500)?;
        let Some(last) = ids.last() else { break };
        after = Some(*last);
        for id in ids {
            let meta = match visible_message(shared, tenant, &id.to_string()) {
                Ok(m) => m,
                Err(Error::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let attempts = shared.store.outbox(id)?.map_or(0, |o| o.attempts);
            let why = if console.settings.vecozo_mode == VecozoMode::Off {
                t.why_off
            } else if attempts == 0 {
                t.why_not_pushed
            } else {
                t.why_retrying
            };
            queued.push(QueuedRow {
                id,
                kind: meta.kind,
                agb: meta.agb,
                accepted: when(meta.accepted_at_ms),
                attempts,
                why,
            });
            if queued.len() >= 100 {
                break 'pages;
            }
        }
    }
    Ok((refused, queued))
}

/// POST /berichten/{id}/opnieuw: the same operation, with the same checks, as the
/// `ResendMessage` RPC.
pub async fn resend(
    State(console): State<Arc<Console>>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.csrf_refusal(&console, &form.csrf) {
        return r;
    }
    let t = signed.t();
    let request = proto::ResendMessageRequest {
        message_id: id.clone(),
    };
    match resend_message(&console.shared, &signed.session.tenant, &request).await {
        Ok(record) => {
            if let Ok(n) = record.message_id.parse::<u64>()
                && let Err(e) = console.index.refresh(&*console.shared.store, n)
            {
                tracing::warn!(error = %e, "console index: refresh failed");
            }
            let notice = format!("{} {}", t.resent, record.message_id);
            console
                .sessions
                .update(&signed.id, |s| s.notice = Some(notice));
            Redirect::to("/uitval").into_response()
        }
        Err(e) => failure(signed.frame(&console, "/uitval", t.failures), e),
    }
}

/// An allocation on the Toewijzingen page.
pub struct AllocationRow {
    number: u64,
    municipality: String,
    client: String,
    product: String,
    start: String,
    end: String,
    allocated: String,
    claimed: String,
    received: String,
    request: Option<u64>,
}

#[derive(Template)]
#[template(path = "allocations.html")]
struct AllocationsPage {
    f: Frame,
    rows: Vec<AllocationRow>,
    next: Option<u64>,
}

/// The Toewijzingen page's query: the page before an event cursor.
#[derive(Debug, Deserialize, Default)]
pub struct AllocationsQuery {
    #[serde(default)]
    voor: Option<u64>,
}

/// Allocations per page.
const ALLOCATIONS_PAGE: usize = 50;

/// GET /toewijzingen.
pub async fn allocations(
    State(console): State<Arc<Console>>,
    signed: Signed,
    Query(q): Query<AllocationsQuery>,
) -> Response {
    let t = signed.t();
    let frame = signed.frame(&console, "/toewijzingen", t.allocations);
    let tenant = &signed.session.tenant;
    let list = match console.index.allocations(tenant, q.voor, ALLOCATIONS_PAGE) {
        Ok(l) => l,
        Err(e) => return failure(frame, e),
    };
    let next = (list.len() == ALLOCATIONS_PAGE)
        .then(|| list.last().map(|a| a.cursor))
        .flatten();
    let history = match console.shared.store.history().read() {
        Ok(h) => h,
        Err(e) => return failure(frame, e),
    };
    let rows = list
        .into_iter()
        .map(|a| {
            let scope = Scope {
                law: law_of(a.law),
                aanbieder: a.agb.to_string(),
                gemeente: a.municipality.to_string(),
            };
            let claimed: i64 = history
                .allocation_lines(&scope, a.number)
                .iter()
                .filter(|l| l.status.counts())
                .map(|l| {
                    let v = i64::try_from(l.prestatie.geleverd_volume.0).unwrap_or(i64::MAX);
                    if l.sign() == DebetCredit::Credit {
                        -v
                    } else {
                        v
                    }
                })
                .sum();
            let allocated = match &a.extent {
                // Volume (Eenheid/Frequentie codes), as the timeline shows it.
                Some((volume, unit, frequency)) => format!("{volume} ({unit}/{frequency})"),
                None => "—".into(),
            };
            AllocationRow {
                number: a.number,
                municipality: a.municipality.to_string(),
                client: mask_bsn(&a.bsn),
                product: a.product,
                start: a.start,
                end: a.end,
                allocated,
                claimed: claimed.to_string(),
                received: when(a.at_ms),
                request: a.request,
            }
        })
        .collect();
    render(
        StatusCode::OK,
        &AllocationsPage {
            f: frame,
            rows,
            next,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn working_days_left_count_down_to_zero_on_the_due_date_then_go_negative() {
        let c = WorkingDays::new();
        // Wednesday 2025-04-02; due Monday 2025-04-07: Thu, Fri, Mon.
        assert_eq!(working_days_left(&c, d(2025, 4, 2), d(2025, 4, 7)), 3);
        assert_eq!(working_days_left(&c, d(2025, 4, 7), d(2025, 4, 7)), 0);
        // Due Monday, today Wednesday: Tue, Wed passed.
        assert_eq!(working_days_left(&c, d(2025, 4, 9), d(2025, 4, 7)), -2);
        // Due Friday, today Saturday: a day late though no working day passed.
        assert_eq!(working_days_left(&c, d(2025, 4, 5), d(2025, 4, 4)), -1);
    }
}
