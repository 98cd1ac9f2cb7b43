//! Overzicht: messages per state, the deadlines due within two working days, VECOZO's
//! refusals and the retourcodes of the last 30 days, and three charts (messages per week by
//! kind, claimed against granted per month, refusals by retourcode).

use std::collections::BTreeSet;
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::work::{TermRow, open_terms};
use super::{Frame, Signed, euros, failure, render};
use crate::cli::retourcodes;
use crate::console::Console;
use crate::console::charts;
use crate::console::index::STATES;

/// A refusal code with its count.
pub struct RefusalRow {
    /// The code.
    pub code: String,
    /// The retourcode's text (empty for VECOZO's own codes).
    pub text: String,
    /// VECOZO or the answer's kind.
    pub source: String,
    /// How often.
    pub count: u64,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    f: Frame,
    counts: Vec<(&'static str, u64)>,
    due: Vec<TermRow>,
    refusals: Vec<RefusalRow>,
    week_chart: String,
    week_kinds: Vec<String>,
    week_rows: Vec<(String, Vec<u64>)>,
    money_chart: String,
    money_rows: Vec<(String, String, String)>,
    refusal_chart: String,
}

/// GET /overzicht.
pub async fn page(State(console): State<Arc<Console>>, signed: Signed) -> Response {
    let t = signed.t();
    let frame = signed.frame(&console, "/overzicht", t.overview);
    let tenant = &signed.session.tenant;
    let today = console.shared.clock.today();
    let figures = match console.index.figures(tenant, today) {
        Ok(f) => f,
        Err(e) => return failure(frame, e),
    };
    let due = match open_terms(&console, tenant, today, t) {
        Ok(rows) => rows
            .into_iter()
            .filter(|r| r.left.is_some_and(|l| (0..=2).contains(&l)))
            .collect(),
        Err(e) => return failure(frame, e),
    };
    let counts = STATES
        .iter()
        .zip(figures.counts)
        .map(|(s, n)| (t.state(*s), n))
        .collect();

    let kinds: Vec<String> = figures
        .per_week
        .iter()
        .flat_map(|(_, m)| m.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let week_labels: Vec<String> = figures
        .per_week
        .iter()
        .map(|((_, w), _)| format!("W{w}"))
        .collect();
    let series: Vec<(String, Vec<u64>)> = kinds
        .iter()
        .map(|k| {
            let values = figures
                .per_week
                .iter()
                .map(|(_, m)| m.get(k).copied().unwrap_or(0))
                .collect();
            (k.clone(), values)
        })
        .collect();
    let week_chart = charts::stacked_bars("weken", t.chart_per_week, &week_labels, &series);
    let week_rows = figures
        .per_week
        .iter()
        .map(|((y, w), m)| {
            (
                format!("{y}-W{w:02}"),
                kinds
                    .iter()
                    .map(|k| m.get(k).copied().unwrap_or(0))
                    .collect(),
            )
        })
        .collect();

    let month_labels: Vec<String> = figures
        .claimed_granted
        .iter()
        .map(|((y, m), _, _)| format!("{y}-{m:02}"))
        .collect();
    let positive = |c: i64| u64::try_from(c).unwrap_or(0);
    let money_series = vec![
        (
            t.claimed.to_owned(),
            figures
                .claimed_granted
                .iter()
                .map(|(_, c, _)| positive(*c))
                .collect(),
        ),
        (
            t.granted.to_owned(),
            figures
                .claimed_granted
                .iter()
                .map(|(_, _, g)| positive(*g))
                .collect(),
        ),
    ];
    let money_chart = charts::grouped_bars(
        "bedragen",
        t.chart_claimed_granted,
        &month_labels,
        &money_series,
        &|c| euros(t, i64::try_from(c).unwrap_or(i64::MAX)),
    );
    let money_rows = figures
        .claimed_granted
        .iter()
        .zip(&month_labels)
        .map(|((_, c, g), label)| (label.clone(), euros(t, *c), euros(t, *g)))
        .collect();

    let refusals: Vec<RefusalRow> = figures
        .refusals
        .iter()
        .map(|(code, source, ijw, vecozo_text, count)| RefusalRow {
            code: code.clone(),
            text: retourcodes::text(code, *ijw)
                .map(str::to_owned)
                .unwrap_or_else(|| vecozo_text.clone()),
            source: source.clone(),
            count: *count,
        })
        .collect();
    let mut by_code: Vec<(String, u64)> = Vec::new();
    for r in &refusals {
        let label = if r.text.is_empty() {
            r.code.clone()
        } else {
            format!("{} {}", r.code, r.text)
        };
        match by_code.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += r.count,
            None => by_code.push((label, r.count)),
        }
    }
    by_code.sort_by_key(|r| std::cmp::Reverse(r.1));
    by_code.truncate(15);
    let refusal_chart = charts::horizontal_bars("afkeuringen", t.chart_refusals, &by_code);
    render(
        StatusCode::OK,
        &OverviewPage {
            f: frame,
            counts,
            due,
            refusals,
            week_chart,
            week_kinds: kinds,
            week_rows,
            money_chart,
            money_rows,
            refusal_chart,
        },
    )
}
