//! REST pull v1: list ready messages (`GET …/berichten?limit`, `POST …/berichten/zoeken`),
//! download a payload (`GET …/berichten/{traceerId}/payload`) and confirm receipt
//! (`DELETE …/berichten/{traceerId}`). A message stays in the listing until its receipt is
//! confirmed; the indiener sees the messages addressed to every AGB code it acts for.
//!
//! The listing and the search refuse a malformed request with `400` and a problem document;
//! the payload download and the confirmation know only `404` ("Bericht is onbekend of niet
//! (meer) beschikbaar ter pull"; "niet gevonden of u bent hiervoor niet geautoriseerd"), so a
//! malformed traceerId and an unknown certificate get that too.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::uri::Authority;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::query::{QueryParams, quoted};
use super::{PULL_BASE, Peer, Problem, indiener, spec_uuid};
use crate::sim::{Simulator, timestamp};
use crate::store::Record;
use crate::wire::{Basisgegevens, Checksum, HttpsDownload, PullMetadata, Zoekpad};

/// `?limit=`: 1 to 250, default 250.
fn limit(uri: &Uri, instance: &str) -> Result<usize, Problem> {
    let params = QueryParams::of(uri);
    match params.single(instance, "limit")? {
        None => Ok(250),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=250).contains(&n) => Ok(n),
            Ok(_) => Err(Problem::bad_field(
                instance,
                "limit",
                "The field limit must be between 1 and 250.",
            )),
            Err(_) => Err(Problem::bad_field(
                instance,
                "limit",
                format!(
                    "The value '{}' is not valid for limit: use a whole number from 1 to 250.",
                    quoted(v)
                ),
            )),
        },
    }
}

fn listing(records: Vec<Record>, headers: &HeaderMap) -> Vec<PullMetadata> {
    // The caller's Host when it is a valid authority, so the URL is always a valid URI.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<Authority>().ok())
        .map_or_else(|| "localhost".to_owned(), |a| a.to_string());
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
) -> Result<Json<Vec<PullMetadata>>, Problem> {
    let instance = uri.path();
    let indiener = indiener(&sim, &peer, instance)?;
    let limit = limit(&uri, instance)?;
    Ok(Json(listing(sim.ready(&indiener, limit, None), &headers)))
}

/// `POST …/berichten/zoeken`.
pub async fn search(
    State(sim): State<Simulator>,
    Extension(peer): Extension<Peer>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Vec<PullMetadata>>, Problem> {
    let instance = uri.path();
    let indiener = indiener(&sim, &peer, instance)?;
    let limit = limit(&uri, instance)?;
    let body = body.map_err(|_| {
        Problem::bad_field(instance, "zoekpad", "The request body could not be read.")
    })?;
    let zoekpad = zoekpad(&body).map_err(|errors| Problem::bad_request(instance, errors))?;
    Ok(Json(listing(
        sim.ready(&indiener, limit, Some(&zoekpad)),
        &headers,
    )))
}

/// The `zoekpadType` values of the REST pull v1 spec (its discriminator mapping).
pub const ZOEKPAD_TYPES: [&str; 3] = [
    "ZoekpadOpBerichtstroom",
    "ZoekpadOpConversatieId",
    "ZoekpadOpAlsAntwoordOp",
];

/// What a property of a Zoekpad subtype must be (per the spec's schema of the subtype).
#[derive(Clone, Copy)]
enum Field {
    /// A string of `min..=max` characters.
    Text { min: usize, max: usize },
    /// An integer in `min..=max`.
    Integer { min: i64, max: i64 },
    /// A string in UUID format.
    Uuid,
}

/// The properties of each Zoekpad subtype: name, shape, required.
fn zoekpad_fields(zoekpad_type: &str) -> &'static [(&'static str, Field, bool)] {
    const TEXT_60: Field = Field::Text { min: 1, max: 60 };
    const TEXT_100: Field = Field::Text { min: 1, max: 100 };
    const VERSIE: Field = Field::Integer { min: 0, max: 999 };
    match zoekpad_type {
        "ZoekpadOpBerichtstroom" => &[
            ("berichttype", TEXT_60, true),
            ("berichtsubtype", TEXT_60, false),
            ("berichtversie", VERSIE, false),
            ("berichtsubversie", VERSIE, false),
            ("actie", TEXT_60, false),
            ("geadresseerdeRol", TEXT_100, false),
            ("geadresseerdeCode", TEXT_100, false),
        ],
        "ZoekpadOpConversatieId" => &[("conversatieId", Field::Uuid, true)],
        _ => &[("alsAntwoordOp", Field::Uuid, true)],
    }
}

/// A JSON value as an error text may quote it.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{}'", quoted(s)),
        other => quoted(&other.to_string()),
    }
}

/// Reads the body of `POST …/berichten/zoeken` (a `Zoekpad`): `zoekpadType` names the subtype
/// (one of [`ZOEKPAD_TYPES`]), whose properties are checked against the spec's schema for it.
/// The errors are keyed by property and phrased in the spec's names, never serde's.
pub fn zoekpad(body: &[u8]) -> Result<Zoekpad, BTreeMap<String, Vec<String>>> {
    let one = |key: &str, message: String| BTreeMap::from([(key.to_owned(), vec![message])]);
    let allowed = ZOEKPAD_TYPES.join(", ");
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return Err(one(
            "zoekpad",
            format!(
                "The request body must be a JSON object (Zoekpad) with a zoekpadType: {allowed}."
            ),
        ));
    };
    let zoekpad_type = match object.get("zoekpadType") {
        Some(Value::String(t)) if ZOEKPAD_TYPES.contains(&t.as_str()) => t.clone(),
        Some(other) => {
            return Err(one(
                "zoekpadType",
                format!(
                    "The value {} is not a valid zoekpadType. Allowed values: {allowed}.",
                    shown(other)
                ),
            ));
        }
        None => {
            return Err(one(
                "zoekpadType",
                format!("The zoekpadType field is required. Allowed values: {allowed}."),
            ));
        }
    };
    let fields = zoekpad_fields(&zoekpad_type);
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for key in object.keys() {
        if key != "zoekpadType" && !fields.iter().any(|(name, _, _)| name == key) {
            let allowed_here: Vec<&str> = fields.iter().map(|(name, _, _)| *name).collect();
            errors.entry(quoted(key)).or_default().push(format!(
                "A {zoekpad_type} has no property {}; it has: zoekpadType, {}.",
                quoted(key),
                allowed_here.join(", ")
            ));
        }
    }
    for (name, field, required) in fields {
        let problem = match (object.get(*name), field) {
            (None, _) if *required => Some(format!("The {name} field is required.")),
            (None, _) => None,
            (Some(Value::String(s)), Field::Text { min, max }) => {
                let n = s.chars().count();
                (n < *min || n > *max).then(|| {
                    format!("The field {name} must be a string of {min} to {max} characters.")
                })
            }
            (Some(v), Field::Integer { min, max }) => match v.as_i64() {
                Some(n) if (*min..=*max).contains(&n) => None,
                _ => Some(format!(
                    "The field {name} must be a whole number from {min} to {max}."
                )),
            },
            (Some(Value::String(s)), Field::Uuid) if spec_uuid(s).is_some() => None,
            (Some(v), Field::Uuid) => Some(format!(
                "The value {} is not valid for {name}: use a UUID.",
                shown(v)
            )),
            (Some(v), Field::Text { .. }) => Some(format!(
                "The value {} is not valid for {name}: use a string.",
                shown(v)
            )),
        };
        if let Some(problem) = problem {
            errors.entry((*name).to_owned()).or_default().push(problem);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(build_zoekpad(&zoekpad_type, &object))
}

/// The [`Zoekpad`] of a checked body.
fn build_zoekpad(zoekpad_type: &str, o: &Map<String, Value>) -> Zoekpad {
    let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let int = |k: &str| {
        o.get(k)
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
    };
    let uuid = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .and_then(spec_uuid)
            .unwrap_or_default()
    };
    match zoekpad_type {
        "ZoekpadOpBerichtstroom" => Zoekpad::ZoekpadOpBerichtstroom {
            berichttype: text("berichttype").unwrap_or_default(),
            berichtsubtype: text("berichtsubtype"),
            berichtversie: int("berichtversie"),
            berichtsubversie: int("berichtsubversie"),
            actie: text("actie"),
            geadresseerde_rol: text("geadresseerdeRol"),
            geadresseerde_code: text("geadresseerdeCode"),
        },
        "ZoekpadOpConversatieId" => Zoekpad::ZoekpadOpConversatieId {
            conversatie_id: uuid("conversatieId"),
        },
        _ => Zoekpad::ZoekpadOpAlsAntwoordOp {
            als_antwoord_op: uuid("alsAntwoordOp"),
        },
    }
}

/// `GET …/berichten/{traceerId}/payload`.
pub async fn payload(
    State(sim): State<Simulator>,
    Extension(peer): Extension<Peer>,
    uri: Uri,
    traceer_id: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let (indiener, id) = caller_and_id(&sim, &peer, &uri, traceer_id)?;
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
    traceer_id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, Problem> {
    let (indiener, id) = caller_and_id(&sim, &peer, &uri, traceer_id)?;
    if sim.confirm(&indiener, id) {
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(Problem::status(StatusCode::NOT_FOUND))
    }
}

/// The caller's indiener and the `{traceerId}` of the path, or the spec's bodiless `404` when
/// the certificate belongs to no indiener or the traceerId is no UUID (or not even UTF-8).
fn caller_and_id(
    sim: &Simulator,
    peer: &Peer,
    uri: &Uri,
    traceer_id: Result<Path<String>, PathRejection>,
) -> Result<(crate::registry::Indiener, Uuid), Problem> {
    let not_found = || Problem::status(StatusCode::NOT_FOUND);
    let indiener = indiener(sim, peer, uri.path()).map_err(|_| not_found())?;
    let Ok(Path(traceer_id)) = traceer_id else {
        return Err(not_found());
    };
    let id = Uuid::parse_str(&traceer_id).map_err(|_| not_found())?;
    Ok((indiener, id))
}
