//! [`Error`]: everything that can go wrong in the gateway library, mapped to a gRPC status in
//! exactly one place ([`crate::api::status`]).

use std::path::PathBuf;

/// A field of a request that breaks a rule: which field, which rule, which retourcode.
///
/// `field` is a proto field path (`products[0].start_date`), or the message's element path
/// (`/Bericht/…`) where no proto field corresponds. `description` never quotes personal data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldViolation {
    /// Proto field path, e.g. `clients[0].lines[1].period_end`.
    pub field: String,
    /// Rule id: RS/CS/CD/TR of the standard, `XSD-*`, or a ketenpoort rule (`KP-*`).
    pub rule: String,
    /// The retourcode (WJ001) the chain would answer with, where one exists.
    pub retourcode: Option<String>,
    /// Plain-language explanation.
    pub description: String,
}

impl FieldViolation {
    /// A violation found while reading the request itself (before there is a message).
    pub fn request(field: impl Into<String>, rule: &str, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.to_owned(),
            retourcode: None,
            description: description.into(),
        }
    }
}

/// Why the gateway could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller presented no credentials, or ones that belong to no tenant.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// The tenant may not act for this AGB code. VECOZO would refuse the message with BRS03
    /// ("indiener is niet gemachtigd"); ketenpoort refuses it before it is queued.
    #[error("tenant may not act for AGB code {agb} (VECOZO would refuse it: BRS03)")]
    PermissionDenied {
        /// The AGB code asked for (not personal data: it identifies an organisation).
        agb: String,
    },
    /// The request breaks the schema or an in-message rule; nothing was stored.
    #[error("invalid request: {} violation(s)", .0.len())]
    InvalidArgument(Vec<FieldViolation>),
    /// The request is well-formed but conflicts with what the gateway already holds
    /// (a cross-message rule such as a DeclaratieNummer used before).
    #[error("failed precondition: {message}")]
    FailedPrecondition {
        /// What is wrong, without personal data.
        message: String,
        /// The rules broken.
        violations: Vec<FieldViolation>,
    },
    /// The request_id was used before for a request with other content (AIP-155).
    #[error(
        "request_id {request_id:?} was already used for a request with different content; \
         use a new request_id for a new request"
    )]
    IdempotencyConflict {
        /// The client's request_id.
        request_id: String,
    },
    /// A 323 whose XML exceeds VECOZO's payload limit (BRS06) and may not be split.
    #[error(
        "the claim's XML would be {size} bytes, over VECOZO's payload limit of {limit} bytes \
         (BRS06); set split_when_too_large to split it into several 323 messages"
    )]
    TooLarge {
        /// Size of the XML in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The thing asked for does not exist, or belongs to another tenant.
    #[error("not found: {0}")]
    NotFound(String),
    /// The store failed to read or write; the request may be retried with the same request_id.
    #[error("store error: {0}")]
    Store(String),
    /// The store directory could not be opened: missing, in use, no permission or damaged
    /// (see [`crate::store::open`]). ketenpoort does not repair or remove it.
    #[error("could not open the store at {path}: {detail}")]
    StoreOpen {
        /// The data directory (or the file concerned).
        path: PathBuf,
        /// What is wrong and what to do, without personal data.
        detail: String,
    },
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A listener, TLS set-up or server task failed.
    #[error("server error: {0}")]
    Server(String),
    /// A bug: something that should not happen did.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::Store(e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Store(format!("record could not be (de)serialised: {e}"))
    }
}
