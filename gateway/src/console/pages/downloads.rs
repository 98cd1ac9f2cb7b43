//! Downloads (the messages of a period with the chain's answers, in the formats of
//! `ketenpoort report`, written by [`crate::cli::report`]'s own functions) and the
//! Inzagelog (the access log: a page and a CSV export written with [`crate::csv`]; nothing in
//! the console changes it).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Frame, Signed, as_client, failure, render, when};
use crate::api::query::{MessageFilter, record};
use crate::api::returns::{events_at, to_proto};
use crate::cli::report;
use crate::console::Console;
use crate::console::personal::mask_bsn;
use crate::error::Error;
use crate::tenant::Tenant;

/// The most messages one download holds.
const MAX_DOWNLOAD: usize = 100_000;

#[derive(Template)]
#[template(path = "downloads.html")]
struct DownloadsPage {
    f: Frame,
}

/// GET /downloads.
pub async fn page(State(console): State<Arc<Console>>, signed: Signed) -> Response {
    let t = signed.t();
    render(
        StatusCode::OK,
        &DownloadsPage {
            f: signed.frame(&console, "/downloads", t.downloads),
        },
    )
}

/// The download form.
#[derive(Debug, Deserialize, Default)]
pub struct FileQuery {
    #[serde(default)]
    van: String,
    #[serde(default)]
    tot: String,
    #[serde(default)]
    formaat: String,
}

/// The report entries of the messages `tenant` may see that pass `filter`, oldest first,
/// read through the API's own functions.
fn entries(
    console: &Console,
    tenant: &Tenant,
    filter: &MessageFilter,
) -> Result<Vec<report::Entry>, Error> {
    let shared = &console.shared;
    let mut metas = shared
        .store
        .list_messages(None, MAX_DOWNLOAD, &|m| filter.matches(tenant, m))?;
    metas.reverse();
    let mut out = Vec::with_capacity(metas.len());
    for meta in metas {
        let claim = meta.kind.ends_with("323");
        let xml = if claim {
            shared.store.message_xml(meta.id)?.unwrap_or_default()
        } else {
            String::new()
        };
        let events = events_at(shared, tenant, &meta.event_cursors)?;
        let found: Vec<u64> = events.iter().map(|e| e.cursor).collect();
        let missing = meta
            .event_cursors
            .iter()
            .copied()
            .filter(|c| !found.contains(c))
            .collect();
        let declaration = claim.then(|| report::claim_lines(&xml));
        out.push(report::Entry {
            record: as_client(&record(&meta, String::new()))?,
            events: events
                .into_iter()
                .map(|e| as_client(&to_proto(shared.store.as_ref(), e)))
                .collect::<Result<_, _>>()?,
            missing,
            declaration,
        });
    }
    Ok(out)
}

fn attachment(body: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// GET /downloads/bestand?van=&tot=&formaat=jsonl|berichten-csv|regels-csv.
pub async fn file(
    State(console): State<Arc<Console>>,
    signed: Signed,
    Query(q): Query<FileQuery>,
) -> Response {
    let t = signed.t();
    let frame = signed.frame(&console, "/downloads", t.downloads);
    let tenant = signed.session.tenant.clone();
    let filter = match MessageFilter::new(&tenant, "", "", 0, q.van.trim(), q.tot.trim()) {
        Ok(f) => f,
        Err(e) => return failure(frame, e),
    };
    let c = console.clone();
    let built = tokio::task::spawn_blocking(move || {
        let entries = entries(&c, &tenant, &filter)?;
        let mut out = Vec::new();
        let io = |e: std::io::Error| Error::Internal(format!("download: {e}"));
        match q.formaat.as_str() {
            "berichten-csv" => {
                report::write_messages_csv(&mut out, &entries, ',').map_err(io)?;
                Ok((out, "text/csv; charset=utf-8", "messages.csv"))
            }
            "regels-csv" => {
                report::write_lines_csv(&mut out, &entries, ',').map_err(io)?;
                Ok((out, "text/csv; charset=utf-8", "declaration-lines.csv"))
            }
            _ => {
                for e in &entries {
                    out.extend_from_slice(report::entry_json(e).to_string().as_bytes());
                    out.push(b'\n');
                }
                Ok((out, "application/x-ndjson", "messages.jsonl"))
            }
        }
    })
    .await;
    match built {
        Ok(Ok((body, content_type, name))) => attachment(body, content_type, name),
        Ok(Err(e)) => failure(frame, e),
        Err(e) => failure(frame, Error::Internal(format!("download task: {e}"))),
    }
}

/// An access-log entry as the page lists it.
pub struct AccessRow {
    sequence: u64,
    at: String,
    who: String,
    credential: String,
    message_id: u64,
    kind: String,
    clients: String,
}

#[derive(Template)]
#[template(path = "access_log.html")]
struct AccessLogPage {
    f: Frame,
    rows: Vec<AccessRow>,
    next: Option<u64>,
}

/// The access log's page: before a sequence.
#[derive(Debug, Deserialize, Default)]
pub struct AccessQuery {
    #[serde(default)]
    voor: Option<u64>,
}

/// Access-log entries per page.
const ACCESS_PAGE: usize = 50;

/// GET /inzagelog: the entries of the tenant's messages, newest first, BSNs masked.
pub async fn access_log(
    State(console): State<Arc<Console>>,
    signed: Signed,
    Query(q): Query<AccessQuery>,
) -> Response {
    let t = signed.t();
    let frame = signed.frame(&console, "/inzagelog", t.access_log);
    let tenant = &signed.session.tenant;
    let list = match console
        .shared
        .store
        .access_log(q.voor, ACCESS_PAGE, &|e| tenant.may_act_for(&e.agb))
    {
        Ok(l) => l,
        Err(e) => return failure(frame, e),
    };
    let next = (list.len() == ACCESS_PAGE)
        .then(|| list.last().map(|e| e.sequence))
        .flatten();
    let rows = list
        .into_iter()
        .map(|e| AccessRow {
            sequence: e.sequence,
            at: when(e.at_ms),
            who: format!("{} ({})", e.user, e.tenant),
            credential: e.credential,
            message_id: e.message_id,
            kind: e.kind,
            clients: e
                .clients
                .iter()
                .map(|b| mask_bsn(b))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    render(
        StatusCode::OK,
        &AccessLogPage {
            f: frame,
            rows,
            next,
        },
    )
}

/// GET /inzagelog.csv: every entry of the tenant's messages, oldest first, with the BSNs
/// (the export is what a client's request to see who viewed their data is answered with).
pub async fn access_log_csv(State(console): State<Arc<Console>>, signed: Signed) -> Response {
    let t = signed.t();
    let tenant = &signed.session.tenant;
    let mut list = match console
        .shared
        .store
        .access_log(None, usize::MAX, &|e| tenant.may_act_for(&e.agb))
    {
        Ok(l) => l,
        Err(e) => return failure(signed.frame(&console, "/inzagelog", t.access_log), e),
    };
    list.reverse();
    let mut out = Vec::new();
    let header = [
        "sequence",
        "at",
        "tenant",
        "user",
        "credential",
        "message_id",
        "agb_code",
        "kind",
        "bsn",
    ];
    let mut written = crate::csv::row(&mut out, &header.map(String::from), ',');
    for e in list {
        if written.is_err() {
            break;
        }
        let at = chrono::DateTime::from_timestamp_millis(e.at_ms)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default();
        written = crate::csv::row(
            &mut out,
            &[
                e.sequence.to_string(),
                at,
                e.tenant,
                e.user,
                e.credential,
                e.message_id.to_string(),
                e.agb,
                e.kind,
                e.clients.join(" "),
            ],
            ',',
        );
    }
    if let Err(e) = written {
        return failure(
            signed.frame(&console, "/inzagelog", t.access_log),
            Error::Internal(format!("access log export: {e}")),
        );
    }
    attachment(out, "text/csv; charset=utf-8", "inzagelog.csv")
}
