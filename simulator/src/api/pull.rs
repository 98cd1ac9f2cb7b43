//! REST pull v1: list ready messages (`GET …/berichten?limit`, `POST …/berichten/zoeken`),
//! download a payload (`GET …/berichten/{traceerId}/payload`) and confirm receipt
//! (`DELETE …/berichten/{traceerId}`). A message stays in the listing until its receipt is
//! confirmed; the indiener sees the messages addressed to every AGB code it acts for.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use uuid::Uuid;

use super::{PULL_BASE, Peer, Problem, indiener};
use crate::sim::{Simulator, timestamp};
use crate::store::Record;
use crate::wire::{Basisgegevens, Checksum, HttpsDownload, PullMetadata, Zoekpad};

/// `?limit=`.
#[derive(Debug, Deserialize)]
pub struct Limit {
    limit: Option<String>,
}

fn limit(q: &Limit, instance: &str) -> Result<usize, Problem> {
    match q.limit.as_deref() {
        None => Ok(250),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=250).contains(&n) => Ok(n),
            _ => Err(Problem::bad_field(
                instance,
                "limit",
                "The field limit must be between 1 and 250.",
            )),
        },
    }
}

fn listing(records: Vec<Record>, headers: &HeaderMap) -> Vec<PullMetadata> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    records
        .into_iter()
        .map(|r| PullMetadata {
            basisgegevens: Basisgegevens {
                ontvangen_op: timestamp(r.received_at),
                payload: HttpsDownload {
                    url: format!(
                        "https://{host}{PULL_BASE}/berichten/{}/payload",
                        r.traceer_id()
                    ),
                    grootte: i64::try_from(r.payload.len()).unwrap_or(i64::MAX),
                    checksum: Checksum {
                        algoritme: "SHA256".into(),
                        waarde: r.checksum.clone(),
                    },
                },
            },
            routeringgegevens: r.metadata.routeringgegevens,
            referentiegegevens: r.metadata.referentiegegevens,
            verwerkingscontext: r.metadata.verwerkingscontext,
        })
        .collect()
}

/// `GET …/berichten`.
pub async fn list(
    State(sim): State<Simulator>,
    Extension(peer): Extension<Peer>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<Limit>,
) -> Result<Json<Vec<PullMetadata>>, Problem> {
    let instance = uri.path();
    let indiener = indiener(&sim, &peer, instance)?;
    let limit = limit(&q, instance)?;
    Ok(Json(listing(sim.ready(&indiener, limit, None), &headers)))
}

/// `POST …/berichten/zoeken`.
pub async fn search(
    State(sim): State<Simulator>,
    Extension(peer): Extension<Peer>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<Limit>,
    body: axum::body::Bytes,
) -> Result<Json<Vec<PullMetadata>>, Problem> {
    let instance = uri.path();
    let indiener = indiener(&sim, &peer, instance)?;
    let limit = limit(&q, instance)?;
    let zoekpad: Zoekpad = serde_json::from_slice(&body).map_err(|e| {
        Problem::bad_request(
            instance,
            BTreeMap::from([("zoekpad".to_owned(), vec![e.to_string()])]),
        )
    })?;
    Ok(Json(listing(
        sim.ready(&indiener, limit, Some(&zoekpad)),
        &headers,
    )))
}

/// `GET …/berichten/{traceerId}/payload`.
pub async fn payload(
    State(sim): State<Simulator>,
    Extension(peer): Extension<Peer>,
    uri: Uri,
    Path(traceer_id): Path<String>,
) -> Result<Response, Problem> {
    let indiener = indiener(&sim, &peer, uri.path())?;
    let Ok(id) = Uuid::parse_str(&traceer_id) else {
        return Err(Problem::status(StatusCode::NOT_FOUND));
    };
    match sim.payload(&indiener, id) {
        Some(bytes) => {
            Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
        }
        None => Err(Problem::status(StatusCode::NOT_FOUND)),
    }
}

/// `DELETE …/berichten/{traceerId}` (BevestigOntvangst): 202, or 404 when not found or not
/// the caller's.
pub async fn confirm(
    State(sim): State<Simulator>,
    Extension(peer): Extension<Peer>,
    uri: Uri,
    Path(traceer_id): Path<String>,
) -> Result<StatusCode, Problem> {
    let indiener = indiener(&sim, &peer, uri.path())?;
    let Ok(id) = Uuid::parse_str(&traceer_id) else {
        return Err(Problem::status(StatusCode::NOT_FOUND));
    };
    if sim.confirm(&indiener, id) {
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(Problem::status(StatusCode::NOT_FOUND))
    }
}
