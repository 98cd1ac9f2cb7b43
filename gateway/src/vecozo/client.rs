//! [`VecozoClient`]: the typed HTTP client of the three VSP-Koppeling APIs, over reqwest with
//! a rustls client configuration (ring) that presents one system certificate.
//!
//! A push never fails with an `Err`: it has an outcome ([`PushOutcome`]) that says whether
//! VECOZO took the message, refused it for good, or should be asked again. The pull and
//! status calls return `Result`s with typed [`Error`]s; [`Error::is_transient`] says which
//! are worth another try.
//!
//! [`PushApi`] and [`PullApi`] are the narrow views [`super::delivery`] and
//! [`super::collect`] need, so those can be exercised without a network.

use std::future::Future;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use uuid::Uuid;

use super::environment::{Endpoints, Environment};
use super::error::{Error, TransportError, TransportErrorKind};
use super::identity::SystemCertificate;
use super::wire::{
    BerichtstatusGegevens, Melding, PullMetadata, PushMetadata, ValidationProblemDetails, Zoekpad,
};

/// The most messages one listing returns (pull v1 `limit` maximum).
pub const MAX_LIMIT: u16 = 250;

/// Timeouts of the HTTP client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect and TLS handshake.
    pub connect: Duration,
    /// A whole request, body included (a 25 MB payload must fit).
    pub request: Duration,
}

impl Default for Timeouts {
    /// 10 s to connect, 120 s per request.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(120),
        }
    }
}

/// What became of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// 204: VECOZO accepted the message (ontvangstcontrole passed).
    Accepted,
    /// 400 or 422 (or 413): refused for good; do not send the same request again. The
    /// meldingen carry VECOZO's codes (`BRS114`, `BRS26`, …) or the invalid fields (400).
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The problem as meldingen.
        meldingen: Vec<Melding>,
    },
    /// No answer, or an answer that says "later": retry with the same traceerId.
    Transient(Transient),
}

impl PushOutcome {
    /// The codes of a rejection (empty otherwise).
    pub fn codes(&self) -> Vec<&str> {
        match self {
            PushOutcome::Rejected { meldingen, .. } => {
                meldingen.iter().map(|m| m.code.as_str()).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Why a push should be tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transient {
    /// No (complete) answer: timeout, reset, TLS failure, connection refused.
    Transport(TransportError),
    /// An answer that is not a verdict on the message: 408, 429, 5xx, or one that points at
    /// configuration (401, 403, 404, …).
    Status {
        /// The HTTP status.
        status: u16,
        /// VECOZO's `Retry-After`, when given in seconds.
        retry_after: Option<Duration>,
    },
}

impl std::fmt::Display for Transient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transient::Transport(t) => write!(f, "transport: {t}"),
            Transient::Status { status, .. } => write!(f, "HTTP {status}"),
        }
    }
}

/// The result of a confirmation (DELETE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acknowledgement {
    /// 202: the message will not be listed again.
    Confirmed,
    /// 404: not found or not ours — already confirmed before, e.g. by an earlier round that
    /// crashed before it noted the confirmation.
    NotFound,
}

/// What to ask the status API for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusQuery {
    /// The message with this traceerId and the messages answering it (alsAntwoordOp).
    TraceerId(Uuid),
    /// Every message of a conversation.
    ConversatieId(Uuid),
}

/// The calls [`super::delivery`] makes.
pub trait PushApi: Send + Sync {
    /// Pushes one message; see [`VecozoClient::push`].
    fn push(
        &self,
        metadata: &PushMetadata,
        payload: Vec<u8>,
    ) -> impl Future<Output = PushOutcome> + Send;
    /// Queries the status API; see [`VecozoClient::statuses`].
    fn statuses(
        &self,
        query: StatusQuery,
    ) -> impl Future<Output = Result<Vec<BerichtstatusGegevens>, Error>> + Send;
}

/// The calls [`super::collect`] makes.
pub trait PullApi: Send + Sync {
    /// Lists ready messages; see [`VecozoClient::list`].
    fn list(&self, limit: u16) -> impl Future<Output = Result<Vec<PullMetadata>, Error>> + Send;
    /// Downloads and verifies a payload; see [`VecozoClient::download`].
    fn download(&self, item: &PullMetadata) -> impl Future<Output = Result<Vec<u8>, Error>> + Send;
    /// Confirms receipt; see [`VecozoClient::acknowledge`].
    fn acknowledge(
        &self,
        traceer_id: Uuid,
    ) -> impl Future<Output = Result<Acknowledgement, Error>> + Send;
}

/// A client for one system certificate and one environment.
#[derive(Debug, Clone)]
pub struct VecozoClient {
    http: reqwest::Client,
    endpoints: Endpoints,
}

// === impl VecozoClient ===

impl VecozoClient {
    /// A client for `endpoints` using `tls` (which holds the client certificate and the
    /// trusted roots).
    pub fn new(endpoints: Endpoints, tls: ClientConfig, timeouts: Timeouts) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .https_only(true)
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .user_agent(concat!("ketenpoort/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::TlsSetup(error_chain(&e)))?;
        Ok(VecozoClient { http, endpoints })
    }

    /// A client for `environment` presenting `certificate` and trusting `roots` for the
    /// server.
    pub fn for_certificate(
        environment: &Environment,
        certificate: &SystemCertificate,
        roots: &RootCertStore,
        timeouts: Timeouts,
    ) -> Result<Self, Error> {
        VecozoClient::new(
            environment.endpoints()?,
            certificate.client_config(roots)?,
            timeouts,
        )
    }

    /// The base URLs in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// `POST {push}/berichten`: multipart `berichtMetadata` (JSON) and `payload` (the XML).
    pub async fn push(&self, metadata: &PushMetadata, payload: Vec<u8>) -> PushOutcome {
        let json = match serde_json::to_vec(metadata) {
            Ok(j) => j,
            // Cannot happen for these types; treated as "not sent".
            Err(e) => {
                return PushOutcome::Transient(Transient::Transport(TransportError {
                    kind: TransportErrorKind::Other,
                    detail: format!("metadata could not be serialised: {e}"),
                }));
            }
        };
        let part = |bytes: Vec<u8>, mime: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(mime));
            reqwest::multipart::Part::bytes(bytes).headers(headers)
        };
        let form = reqwest::multipart::Form::new()
            .part("berichtMetadata", part(json, "application/json"))
            .part(
                "payload",
                part(payload, "application/octet-stream").file_name("bericht.xml"),
            );
        let url = format!("{}/berichten", self.endpoints.push);
        let response = match self.http.post(url).multipart(form).send().await {
            Ok(r) => r,
            Err(e) => return PushOutcome::Transient(Transient::Transport(transport(&e))),
        };
        let status = response.status();
        match status.as_u16() {
            200..=299 => PushOutcome::Accepted,
            400 | 413 | 422 => {
                let problem = read_problem(response).await;
                PushOutcome::Rejected {
                    status: status.as_u16(),
                    meldingen: problem.meldingen(&format!("HTTP{}", status.as_u16())),
                }
            }
            code => {
                if !(code >= 500 || matches!(code, 408 | 429)) {
                    tracing::warn!(
                        status = code,
                        "VECOZO push answered with an unexpected status; check the certificate \
                         and the push URL; the message stays queued"
                    );
                }
                PushOutcome::Transient(Transient::Status {
                    status: code,
                    retry_after: retry_after(response.headers()),
                })
            }
        }
    }

    /// `GET {pull}/berichten?limit=`: the oldest ready messages (1–250).
    pub async fn list(&self, limit: u16) -> Result<Vec<PullMetadata>, Error> {
        check_limit(limit)?;
        let url = format!("{}/berichten", self.endpoints.pull);
        let response = self
            .http
            .get(url)
            .query(&[("limit", limit)])
            .send()
            .await
            .map_err(|e| transport(&e))?;
        read_json(response, "list").await
    }

    /// `POST {pull}/berichten/zoeken?limit=`: ready messages along a search path.
    pub async fn search(&self, zoekpad: &Zoekpad, limit: u16) -> Result<Vec<PullMetadata>, Error> {
        check_limit(limit)?;
        let url = format!("{}/berichten/zoeken", self.endpoints.pull);
        let response = self
            .http
            .post(url)
            .query(&[("limit", limit)])
            .json(zoekpad)
            .send()
            .await
            .map_err(|e| transport(&e))?;
        read_json(response, "search").await
    }

    /// `GET {pull}/berichten/{traceerId}/payload`, verified against the listing's size and
    /// SHA-256 ([`verify_payload`]). The URL is built from the configured pull base, not
    /// taken from the listing.
    pub async fn download(&self, item: &PullMetadata) -> Result<Vec<u8>, Error> {
        let traceer_id = item.traceer_id();
        let url = format!("{}/berichten/{traceer_id}/payload", self.endpoints.pull);
        let response = self.http.get(url).send().await.map_err(|e| transport(&e))?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Err(Error::PayloadGone { traceer_id }),
            s => {
                return Err(Error::UnexpectedStatus {
                    operation: "download",
                    status: s.as_u16(),
                });
            }
        }
        let bytes = response.bytes().await.map_err(|e| transport(&e))?.to_vec();
        verify_payload(item, &bytes)?;
        Ok(bytes)
    }

    /// `DELETE {pull}/berichten/{traceerId}` (BevestigOntvangst).
    pub async fn acknowledge(&self, traceer_id: Uuid) -> Result<Acknowledgement, Error> {
        let url = format!("{}/berichten/{traceer_id}", self.endpoints.pull);
        let response = self
            .http
            .delete(url)
            .send()
            .await
            .map_err(|e| transport(&e))?;
        match response.status().as_u16() {
            200..=299 => Ok(Acknowledgement::Confirmed),
            404 => Ok(Acknowledgement::NotFound),
            status => Err(Error::UnexpectedStatus {
                operation: "acknowledge",
                status,
            }),
        }
    }

    /// `GET {status}/berichtstatussen?traceerId=` or `?conversatieId=`.
    pub async fn statuses(&self, query: StatusQuery) -> Result<Vec<BerichtstatusGegevens>, Error> {
        let (key, value) = match query {
            StatusQuery::TraceerId(t) => ("traceerId", t),
            StatusQuery::ConversatieId(c) => ("conversatieId", c),
        };
        let url = format!("{}/berichtstatussen", self.endpoints.status);
        let response = self
            .http
            .get(url)
            .query(&[(key, value.to_string())])
            .send()
            .await
            .map_err(|e| transport(&e))?;
        read_json(response, "status").await
    }
}

impl PushApi for VecozoClient {
    fn push(
        &self,
        metadata: &PushMetadata,
        payload: Vec<u8>,
    ) -> impl Future<Output = PushOutcome> + Send {
        VecozoClient::push(self, metadata, payload)
    }

    fn statuses(
        &self,
        query: StatusQuery,
    ) -> impl Future<Output = Result<Vec<BerichtstatusGegevens>, Error>> + Send {
        VecozoClient::statuses(self, query)
    }
}

impl PullApi for VecozoClient {
    fn list(&self, limit: u16) -> impl Future<Output = Result<Vec<PullMetadata>, Error>> + Send {
        VecozoClient::list(self, limit)
    }

    fn download(&self, item: &PullMetadata) -> impl Future<Output = Result<Vec<u8>, Error>> + Send {
        VecozoClient::download(self, item)
    }

    fn acknowledge(
        &self,
        traceer_id: Uuid,
    ) -> impl Future<Output = Result<Acknowledgement, Error>> + Send {
        VecozoClient::acknowledge(self, traceer_id)
    }
}

// === helpers ===

fn check_limit(limit: u16) -> Result<(), Error> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(())
    } else {
        Err(Error::InvalidLimit(limit))
    }
}

/// Checks a downloaded payload against its listing: size (`grootte`) and SHA-256 checksum.
pub fn verify_payload(item: &PullMetadata, bytes: &[u8]) -> Result<(), Error> {
    let traceer_id = item.traceer_id();
    let download = &item.basisgegevens.payload;
    let algoritme = download.checksum.algoritme.replace('-', "");
    if !algoritme.eq_ignore_ascii_case("SHA256") {
        return Err(Error::UnsupportedChecksum {
            traceer_id,
            algoritme: download.checksum.algoritme.chars().take(20).collect(),
        });
    }
    let actual = sha256_hex(bytes);
    if !actual.eq_ignore_ascii_case(download.checksum.waarde.trim()) {
        return Err(Error::ChecksumMismatch {
            traceer_id,
            expected: download.checksum.waarde.chars().take(80).collect(),
            actual,
        });
    }
    if i64::try_from(bytes.len()).ok() != Some(download.grootte) {
        return Err(Error::SizeMismatch {
            traceer_id,
            expected: download.grootte,
            actual: bytes.len(),
        });
    }
    Ok(())
}

/// Lowercase hexadecimal SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest
        .as_ref()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

async fn read_problem(response: reqwest::Response) -> ValidationProblemDetails {
    match response.bytes().await {
        Ok(body) => serde_json::from_slice(&body).unwrap_or_default(),
        Err(_) => ValidationProblemDetails::default(),
    }
}

async fn read_json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    operation: &'static str,
) -> Result<T, Error> {
    match response.status() {
        StatusCode::OK => {
            let body = response.bytes().await.map_err(|e| transport(&e))?;
            serde_json::from_slice(&body).map_err(|e| Error::Decode {
                operation,
                detail: e.to_string(),
            })
        }
        StatusCode::BAD_REQUEST => {
            let problem = read_problem(response).await;
            let keys: Vec<&str> = problem.errors.keys().map(String::as_str).collect();
            Err(Error::BadRequest {
                detail: format!(
                    "{} [{}]",
                    problem
                        .title
                        .as_deref()
                        .or(problem.detail.as_deref())
                        .unwrap_or(""),
                    keys.join(", ")
                ),
            })
        }
        s @ (StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE) => {
            match retry_after(response.headers()) {
                Some(retry_after) => Err(Error::RetryAfter {
                    operation,
                    status: s.as_u16(),
                    retry_after,
                }),
                None => Err(Error::UnexpectedStatus {
                    operation,
                    status: s.as_u16(),
                }),
            }
        }
        s => Err(Error::UnexpectedStatus {
            operation,
            status: s.as_u16(),
        }),
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The causes of an error, joined.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Classifies a reqwest error. TLS failures are found anywhere in the chain of causes, also
/// inside the `io::Error`s tokio-rustls wraps them in (whose `source()` skips the inner error).
pub fn transport(e: &reqwest::Error) -> TransportError {
    let mut tls = false;
    let mut reset = false;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if err.is::<tokio_rustls::rustls::Error>() {
            tls = true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.is::<tokio_rustls::rustls::Error>())
            {
                tls = true;
            }
            use std::io::ErrorKind as K;
            if matches!(
                io.kind(),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof
            ) {
                reset = true;
            }
        }
        if let Some(h) = err.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_canceled() || h.is_closed())
        {
            reset = true;
        }
        current = err.source();
    }
    let kind = if tls {
        TransportErrorKind::Tls
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if reset {
        TransportErrorKind::Reset
    } else if e.is_connect() {
        TransportErrorKind::Connect
    } else {
        TransportErrorKind::Other
    };
    TransportError {
        kind,
        detail: error_chain(e),
    }
}

#[cfg(test)]
mod tests;
