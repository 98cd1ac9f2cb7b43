//! The HTTP API: the VSP-Koppeling APIs under the same paths as VECOZO's servers, and the
//! simulator's own admin API.
//!
//! | path | spec |
//! |---|---|
//! | `/berichtenservice/berichten/rest-push/v1/berichten` | REST push v1 |
//! | `/berichtenservice/berichten/rest-pull/v1/berichten…` | REST pull v1 |
//! | `/berichtenservice/berichtstatus/rest-pull/v3/berichtstatussen` | berichtstatus REST pull v3 |
//! | `/berichtenservice/berichtstatus/rest-pull/v2/berichtstatussen` | berichtstatus REST pull v2 (deprecated by VECOZO) |
//! | `/admin/v1/…` | the simulator's own (JSON), see [`admin`] |
//!
//! So a client's base URLs are `https://HOST:PORT` followed by the path of VECOZO's server
//! URL (e.g. `https://localhost:8443/berichtenservice/berichten/rest-push/v1`).
//!
//! Every answer has a status code and content type that VECOZO's OpenAPI files document, with
//! a body valid against their schema; `simulator/conformance/` checks that with schemathesis
//! and lists the few deliberate answers the files leave undocumented (a `422` naming a BRS
//! code, …). Requests the framework refuses before a handler runs get the specs' error shape
//! too: malformed queries are read by [`query`], malformed multipart bodies and path
//! parameters are mapped by the handlers, unknown paths get [`not_found`] and unsupported
//! methods [`method_not_allowed`] (both a problem document).

pub mod admin;
pub mod pull;
pub mod push;
pub mod query;
pub mod status;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::faults::Outcome;
use crate::scenario::Api;

use crate::registry::Indiener;
use crate::sim::Simulator;
use crate::wire::ValidationProblemDetails;

/// Base path of REST push v1.
pub const PUSH_BASE: &str = "/berichtenservice/berichten/rest-push/v1";
/// Base path of REST pull v1.
pub const PULL_BASE: &str = "/berichtenservice/berichten/rest-pull/v1";
/// Base path of berichtstatus REST pull v3.
pub const STATUS_BASE: &str = "/berichtenservice/berichtstatus/rest-pull/v3";
/// Base path of berichtstatus REST pull v2 (deprecated by VECOZO, still served).
pub const STATUS_V2_BASE: &str = "/berichtenservice/berichtstatus/rest-pull/v2";

/// Who is calling: the subject CN of the verified client certificate, put into every request
/// by the server.
#[derive(Debug, Clone, Default)]
pub struct Peer {
    /// Subject CN, when the certificate has one.
    pub cn: Option<String>,
}

/// Lets a request handler close its connection without answering (the `verbreek` fault):
/// the server puts one into every request.
#[derive(Debug, Clone, Default)]
pub struct ResetHandle {
    notify: Arc<Notify>,
}

impl ResetHandle {
    /// Asks the server to drop the connection.
    pub fn trigger(&self) {
        self.notify.notify_one();
    }

    /// Completes once [`ResetHandle::trigger`] was called.
    pub async fn triggered(&self) {
        self.notify.notified().await;
    }
}

/// Which VECOZO API a path belongs to; `None` for the admin API.
pub fn api_of(path: &str) -> Option<Api> {
    if path.starts_with(PUSH_BASE) {
        Some(Api::Push)
    } else if path.starts_with(PULL_BASE) {
        Some(Api::Pull)
    } else if path.starts_with(STATUS_BASE) || path.starts_with(STATUS_V2_BASE) {
        Some(Api::Status)
    } else {
        None
    }
}

/// Applies the scenario's request faults ([`crate::faults`]) to the VECOZO APIs.
async fn faults(State(sim): State<Simulator>, req: Request, next: Next) -> Response {
    let Some(api) = api_of(req.uri().path()) else {
        return next.run(req).await;
    };
    if sim.faults().is_empty() {
        return next.run(req).await;
    }
    let decision = sim
        .faults()
        .decide(api, sim.clock().now(), sim.clock().speed());
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    match decision.outcome {
        None => next.run(req).await,
        Some(Outcome::Status {
            status,
            retry_after,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut response = status.into_response();
            if let Some(seconds) = retry_after
                && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Some(Outcome::Reset) => match req.extensions().get::<ResetHandle>() {
            Some(handle) => {
                handle.trigger();
                // The server drops the connection; this response is never written.
                std::future::pending::<Response>().await
            }
            // Not served by [`crate::server::run`]: nothing to reset, answer 502 instead.
            None => StatusCode::BAD_GATEWAY.into_response(),
        },
    }
}

/// The router for a simulator.
pub fn router(sim: Simulator) -> Router {
    // Room for a payload twice the configured maximum, so that too large payloads reach the
    // BRS06 check instead of failing on the body limit.
    let limit = sim
        .scenario()
        .simulator
        .max_payload_bytes
        .saturating_mul(2)
        .saturating_add(1 << 20);
    Router::new()
        .route(&format!("{PUSH_BASE}/berichten"), post(push::post))
        .route(&format!("{PULL_BASE}/berichten"), get(pull::list))
        .route(&format!("{PULL_BASE}/berichten/zoeken"), post(pull::search))
        .route(
            &format!("{PULL_BASE}/berichten/{{traceerId}}/payload"),
            get(pull::payload),
        )
        .route(
            &format!("{PULL_BASE}/berichten/{{traceerId}}"),
            delete(pull::confirm),
        )
        .route(&format!("{STATUS_BASE}/berichtstatussen"), get(status::get))
        .route(
            &format!("{STATUS_V2_BASE}/berichtstatussen"),
            get(status::get_v2),
        )
        .route("/admin/v1/tellingen", get(admin::counts))
        .route("/admin/v1/gemeente/berichten", post(push::post_as_gemeente))
        .route("/admin/v1/klok", get(admin::clock).post(admin::advance))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(sim.clone(), faults))
        .with_state(sim)
}

/// An error response: a status with a [`ValidationProblemDetails`] body (or none).
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    body: Option<Box<ValidationProblemDetails>>,
}

impl Problem {
    /// A 400 with `errors` keyed by field.
    pub fn bad_request(instance: &str, errors: BTreeMap<String, Vec<String>>) -> Problem {
        let detail = errors
            .iter()
            .next()
            .map(|(k, v)| format!("{k}: {}", v.join("; ")))
            .unwrap_or_default();
        Problem {
            status: StatusCode::BAD_REQUEST,
            body: Some(Box::new(ValidationProblemDetails {
                type_: "https://tools.ietf.org/html/rfc9110#section-15.5.1".into(),
                title: "One or more validation errors occurred.".into(),
                status: 400,
                detail,
                instance: Some(instance.into()),
                errors,
            })),
        }
    }

    /// A 400 with one error.
    pub fn bad_field(instance: &str, field: &str, message: impl Into<String>) -> Problem {
        Problem::bad_request(
            instance,
            BTreeMap::from([(field.to_owned(), vec![message.into()])]),
        )
    }

    /// A 422 naming a VECOZO code.
    pub fn refused(instance: &str, code: &str, text: &str) -> Problem {
        Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: Some(Box::new(ValidationProblemDetails {
                type_: format!("urn:ketenpoort-sim:vecozo:{code}"),
                title: "De ontvangst faalt, indiener probeert hetzelfde request niet opnieuw."
                    .into(),
                status: 422,
                detail: format!("{code}: {text}"),
                instance: Some(instance.into()),
                errors: BTreeMap::from([(code.to_owned(), vec![text.to_owned()])]),
            })),
        }
    }

    /// A 403: the certificate is valid but belongs to no registered indiener.
    pub fn unknown_indiener(instance: &str) -> Problem {
        Problem {
            status: StatusCode::FORBIDDEN,
            body: Some(Box::new(ValidationProblemDetails {
                type_: "urn:ketenpoort-sim:onbekend-certificaat".into(),
                title: "Het certificaat hoort bij geen bekende indiener.".into(),
                status: 403,
                detail: "Invalid Client Certificate".into(),
                instance: Some(instance.into()),
                errors: BTreeMap::new(),
            })),
        }
    }

    /// A bodiless response with `status`.
    pub fn status(status: StatusCode) -> Problem {
        Problem { status, body: None }
    }

    /// A 4xx `status` other than 400 and 422 with a problem document: the status's reason
    /// phrase as title, `detail` in words, no per-field errors.
    pub fn other(status: StatusCode, instance: &str, detail: &str) -> Problem {
        Problem {
            status,
            body: Some(Box::new(ValidationProblemDetails {
                type_: format!(
                    "https://tools.ietf.org/html/rfc9110#section-15.5.{}",
                    status.as_u16().saturating_sub(399)
                ),
                title: status.canonical_reason().unwrap_or_default().into(),
                status: i32::from(status.as_u16()),
                detail: detail.into(),
                instance: Some(instance.into()),
                errors: BTreeMap::new(),
            })),
        }
    }
}

/// Any path none of the APIs has: `404` with a problem document.
pub async fn not_found(uri: Uri) -> Problem {
    Problem::other(
        StatusCode::NOT_FOUND,
        uri.path(),
        "No VSP-Koppeling operation has this path.",
    )
}

/// A known path with a method it does not have: `405` with a problem document (axum adds the
/// `Allow` header listing the methods the path has).
pub async fn method_not_allowed(uri: Uri, method: Method) -> Problem {
    Problem::other(
        StatusCode::METHOD_NOT_ALLOWED,
        uri.path(),
        &format!("This operation does not support the method {method}."),
    )
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        match self.body {
            Some(body) => (self.status, axum::Json(*body)).into_response(),
            None => self.status.into_response(),
        }
    }
}

/// A UUID as the specs' `format: uuid` has it: 36 characters, hyphenated (the `uuid` crate
/// also takes braces, `urn:uuid:` and the hyphenless form, which the specs' schemas refuse).
pub fn spec_uuid(s: &str) -> Option<Uuid> {
    let hyphens = s.len() == 36
        && s.char_indices()
            .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'));
    if hyphens {
        Uuid::parse_str(s).ok()
    } else {
        None
    }
}

/// The indiener of the calling certificate.
pub(crate) fn indiener(sim: &Simulator, peer: &Peer, instance: &str) -> Result<Indiener, Problem> {
    peer.cn
        .as_deref()
        .and_then(|cn| sim.registry().indiener(cn))
        .cloned()
        .ok_or_else(|| Problem::unknown_indiener(instance))
}
