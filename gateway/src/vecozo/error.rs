//! [`Error`]: what can go wrong talking to VECOZO, loading a certificate or building an
//! envelope. No variant carries message content or personal data.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// How a request failed to get an answer at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The TLS handshake or session failed: the server refused our certificate (another CA,
    /// expired, revoked), or we refused the server's.
    Tls,
    /// No answer within the configured timeout.
    Timeout,
    /// The TCP connection could not be made (DNS, refused, unreachable).
    Connect,
    /// The connection was closed or reset before the answer was complete.
    Reset,
    /// Anything else reqwest or hyper reported.
    Other,
}

/// A request that got no (complete) HTTP answer. Always worth retrying later, except that a
/// [`TransportErrorKind::Tls`] that repeats is usually a certificate problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub struct TransportError {
    /// What kind of failure.
    pub kind: TransportErrorKind,
    /// The chain of causes in words (no message content: requests carry it, errors do not).
    pub detail: String,
}

/// Why a VECOZO operation could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A certificate, key, PKCS#12 or password file could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The environment variable that should hold the PKCS#12 password is not set (or not
    /// UTF-8).
    #[error("the PKCS#12 password variable {var} is not set")]
    PasswordMissing {
        /// The variable's name.
        var: String,
    },
    /// The PKCS#12 password is wrong (the file's integrity check failed with it).
    #[error(
        "wrong password for the PKCS#12 file of {agb} ({source_name}): its integrity check \
         failed; check the password variable or file"
    )]
    WrongPassword {
        /// The AGB code the certificate is configured for, or `default`.
        agb: String,
        /// The file (or `memory`).
        source_name: String,
    },
    /// A PKCS#12 or PEM certificate or key could not be understood.
    #[error("the system certificate of {agb} ({source_name}) could not be read: {detail}")]
    Certificate {
        /// The AGB code the certificate is configured for, or `default`.
        agb: String,
        /// The file (or `memory`).
        source_name: String,
        /// What is wrong.
        detail: String,
    },
    /// The certificate's validity ended. VECOZO would refuse every request with it.
    #[error(
        "the system certificate of {agb} ({source_name}, subject {subject}) expired on \
         {not_after} (valid from {not_before}); it is now {now}: renew it at VECOZO"
    )]
    CertificateExpired {
        /// The AGB code the certificate is configured for, or `default`.
        agb: String,
        /// The file it was loaded from.
        source_name: String,
        /// Subject of the certificate.
        subject: String,
        /// Start of the validity.
        not_before: DateTime<Utc>,
        /// End of the validity.
        not_after: DateTime<Utc>,
        /// The time of the check.
        now: DateTime<Utc>,
    },
    /// The certificate's validity has not started yet (or the clock is wrong).
    #[error(
        "the system certificate of {agb} ({source_name}, subject {subject}) is not valid \
         before {not_before} (valid until {not_after}); it is now {now}: check the certificate \
         and the clock"
    )]
    CertificateNotYetValid {
        /// The AGB code the certificate is configured for, or `default`.
        agb: String,
        /// The file it was loaded from.
        source_name: String,
        /// Subject of the certificate.
        subject: String,
        /// Start of the validity.
        not_before: DateTime<Utc>,
        /// End of the validity.
        not_after: DateTime<Utc>,
        /// The time of the check.
        now: DateTime<Utc>,
    },
    /// No certificate is configured for the AGB code and there is no default.
    #[error("no system certificate is configured for AGB code {agb} and there is no default")]
    NoCertificate {
        /// The AGB code asked for.
        agb: String,
    },
    /// The rustls or reqwest client could not be built (bad trust roots, key not matching the
    /// certificate, …).
    #[error("the TLS client could not be built: {0}")]
    TlsSetup(String),
    /// A base URL is not an absolute `https://` URL.
    #[error("base URL {url:?} is not an https:// URL")]
    InvalidBaseUrl {
        /// The URL as configured.
        url: String,
    },
    /// The message cannot be sent with a VECOZO envelope: its XML is not a readable 3.2
    /// message, it is a kind a provider does not send, or the references do not fit it.
    #[error("no envelope for this message: {0}")]
    Envelope(String),
    /// A request got no (complete) answer.
    #[error("transport error: {0}")]
    Transport(#[from] TransportError),
    /// VECOZO answered 400 to a pull or status request: the request was malformed.
    #[error("VECOZO refused the request as malformed (400): {detail}")]
    BadRequest {
        /// The problem's title/detail and error keys (field names, no content).
        detail: String,
    },
    /// VECOZO answered with a status this operation does not expect.
    #[error("unexpected HTTP {status} from VECOZO for {operation}")]
    UnexpectedStatus {
        /// E.g. `list`, `download`.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
    },
    /// VECOZO is busy or limits the rate (429, 503) and said when to come back
    /// (`Retry-After`, in seconds): asking before then only uses up the certificate's budget.
    #[error("HTTP {status} from VECOZO for {operation}: retry after {retry_after:?}")]
    RetryAfter {
        /// E.g. `status`, `list`.
        operation: &'static str,
        /// The HTTP status, 429 or 503.
        status: u16,
        /// How long VECOZO asked to wait.
        retry_after: std::time::Duration,
    },
    /// The answer could not be decoded as the OpenAPI file describes it.
    #[error("could not decode VECOZO's answer to {operation}: {detail}")]
    Decode {
        /// The operation.
        operation: &'static str,
        /// The decoder's error.
        detail: String,
    },
    /// A limit outside 1–250 was asked for a listing.
    #[error("listing limit {0} is outside 1–250")]
    InvalidLimit(u16),
    /// The payload is unknown or no longer available (404): VECOZO deletes payloads 24 hours
    /// after the first download.
    #[error("payload of {traceer_id} is unknown or no longer available (404)")]
    PayloadGone {
        /// The message.
        traceer_id: Uuid,
    },
    /// The downloaded payload's SHA-256 differs from the listed checksum: it is not stored
    /// and not acknowledged, so the next round downloads it again.
    #[error(
        "payload of {traceer_id}: SHA-256 is {actual}, the listing says {expected}; not stored, \
         not acknowledged"
    )]
    ChecksumMismatch {
        /// The message.
        traceer_id: Uuid,
        /// The listed checksum.
        expected: String,
        /// The checksum of what was downloaded.
        actual: String,
    },
    /// The downloaded payload's size differs from the listed `grootte`.
    #[error("payload of {traceer_id}: {actual} bytes, the listing says {expected}")]
    SizeMismatch {
        /// The message.
        traceer_id: Uuid,
        /// The listed size.
        expected: i64,
        /// The downloaded size.
        actual: usize,
    },
    /// The listing names a checksum algorithm other than SHA256.
    #[error("payload of {traceer_id}: unsupported checksum algorithm {algoritme:?}")]
    UnsupportedChecksum {
        /// The message.
        traceer_id: Uuid,
        /// The algorithm named.
        algoritme: String,
    },
}

impl Error {
    /// True when trying the same operation again later may succeed (transport failures and
    /// server-side trouble), false for problems that need a change first.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport(_) | Error::ChecksumMismatch { .. } | Error::SizeMismatch { .. } => {
                true
            }
            Error::UnexpectedStatus { status, .. } => *status >= 500 || matches!(status, 408 | 429),
            Error::RetryAfter { .. } => true,
            _ => false,
        }
    }

    /// How long VECOZO asked to wait before the next request ([`Error::RetryAfter`]).
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::RetryAfter { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}
