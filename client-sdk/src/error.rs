//! The SDK's one error type. Every gRPC status the gateway answers with becomes a variant
//! here in exactly one place ([`Error::from_status`]); rule violations are decoded from the
//! `google.rpc.BadRequest` detail into [`Violation`]s.

use std::time::Duration;

use tonic::Code;
use tonic_types::StatusExt as _;

/// One broken rule, from a `google.rpc.BadRequest` field violation.
///
/// The gateway fills `field` with the proto path of the offending field (e.g.
/// `client.bsn` or `products[0].extent.unit`), `reason` with the rule id and the description
/// with `"<rule> (retourcode <code>): <explanation> [<element path>]"`; this type splits
/// that description back into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Proto field path of the request field at fault, e.g. `clients[0].lines[1].unit`.
    pub field: String,
    /// Rule id of the standard (e.g. `CS002`, `TR018`, `RS047`) or of the schema
    /// (`XSD-required`, …).
    pub rule: String,
    /// The retourcode (WJ001) a retour message would carry for this rule, e.g. `0001`;
    /// `None` for schema-level rules that VECOZO refuses without a retour.
    pub retourcode: Option<String>,
    /// What is wrong, in English, with the XML element path in brackets at the end.
    pub description: String,
}

impl Violation {
    /// Builds a violation from the parts of a BadRequest field violation.
    pub fn from_parts(field: &str, reason: &str, description: &str) -> Violation {
        let (prefix, rest) = match description.split_once(": ") {
            Some((p, r)) => (p, r),
            None => ("", description),
        };
        // "<rule> (retourcode <code>)" or "<rule>".
        let (rule_in_text, retourcode) = match prefix.split_once(" (retourcode ") {
            Some((rule, code)) => (rule, code.strip_suffix(')').map(str::to_owned)),
            None => (prefix, None),
        };
        let understood = !prefix.is_empty() && (reason.is_empty() || rule_in_text == reason);
        let rule = if reason.is_empty() {
            rule_in_text
        } else {
            reason
        };
        Violation {
            field: field.to_owned(),
            rule: rule.to_owned(),
            retourcode: if understood { retourcode } else { None },
            description: if understood { rest } else { description }.to_owned(),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.retourcode {
            Some(code) => write!(
                f,
                "{}: {} (retourcode {code}): {}",
                self.field, self.rule, self.description
            ),
            None => write!(f, "{}: {}: {}", self.field, self.rule, self.description),
        }
    }
}

/// What went wrong in a call to the gateway.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The message breaks rules of the standard (INVALID_ARGUMENT: schema or in-message
    /// rules, `cross_message == false`) or rules that depend on earlier messages
    /// (FAILED_PRECONDITION: e.g. a DeclaratieNummer used before, `cross_message == true`).
    /// Nothing was stored; fix the message rather than retrying it.
    #[error("{message}")]
    Violations {
        /// True for FAILED_PRECONDITION (cross-message rules), false for INVALID_ARGUMENT.
        cross_message: bool,
        /// The gateway's summary.
        message: String,
        /// The broken rules, in the gateway's order: all of them, or the first ones when
        /// there are more than fit in a status (see `total`).
        violations: Vec<Violation>,
        /// How many rules the message breaks in all; more than `violations.len()` when the
        /// gateway listed only the first ones (it keeps its error trailers under 8 KiB).
        total: usize,
    },
    /// No credentials, or credentials the gateway does not know (UNAUTHENTICATED).
    #[error("not authenticated: {0}")]
    Unauthenticated(String),
    /// The tenant may not act for the AGB code (PERMISSION_DENIED; BRS03).
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The request_id was used before with other content (ALREADY_EXISTS). A retry with the
    /// same content gets the original answer instead, so this means two different messages
    /// share one request_id.
    #[error("request_id already used for another message: {0}")]
    AlreadyExists(String),
    /// A claim (323) is larger than VECOZO's 25 MB payload limit (RESOURCE_EXHAUSTED;
    /// BRS06). Set `split_when_too_large` to have it split.
    #[error("too large: {0}")]
    ResourceExhausted(String),
    /// No such message for this tenant (NOT_FOUND).
    #[error("not found: {0}")]
    NotFound(String),
    /// The gateway could not be reached or asked to retry (UNAVAILABLE, a transport error),
    /// and the [`crate::RetryPolicy`] ran out of attempts.
    #[error("unavailable after {attempts} attempt(s): {message}")]
    Unavailable {
        /// How many times the call was sent.
        attempts: u32,
        /// The last error.
        message: String,
    },
    /// The per-call deadline passed on every attempt (DEADLINE_EXCEEDED, or the local
    /// deadline).
    #[error("deadline of {deadline:?} exceeded after {attempts} attempt(s): {message}")]
    DeadlineExceeded {
        /// How many times the call was sent.
        attempts: u32,
        /// The deadline of each attempt.
        deadline: Duration,
        /// The last error.
        message: String,
    },
    /// Any other status (INTERNAL, UNIMPLEMENTED, …), kept whole.
    #[error("gateway error: {0}")]
    Status(Box<tonic::Status>),
    /// The channel could not be set up (bad URL, TLS material or first connection).
    #[error("could not connect: {0}")]
    Connect(#[from] tonic::transport::Error),
    /// The SDK configuration is not usable (e.g. a token that is not valid in a header).
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// The error for a status the gateway (or the transport) answered, after `attempts`
    /// sends, with `deadline` the per-attempt deadline.
    pub fn from_status(status: tonic::Status, attempts: u32, deadline: Duration) -> Error {
        let message = status.message().to_owned();
        match status.code() {
            Code::InvalidArgument | Code::FailedPrecondition => {
                let violations = violations(&status);
                Error::Violations {
                    cross_message: status.code() == Code::FailedPrecondition,
                    total: total_violations(&status).unwrap_or(0).max(violations.len()),
                    violations,
                    message,
                }
            }
            Code::Unauthenticated => Error::Unauthenticated(message),
            Code::PermissionDenied => Error::PermissionDenied(message),
            Code::AlreadyExists => Error::AlreadyExists(message),
            Code::ResourceExhausted => Error::ResourceExhausted(message),
            Code::NotFound => Error::NotFound(message),
            Code::Unavailable => Error::Unavailable { attempts, message },
            Code::DeadlineExceeded => Error::DeadlineExceeded {
                attempts,
                deadline,
                message,
            },
            Code::Cancelled if is_local(&status) => Error::DeadlineExceeded {
                attempts,
                deadline,
                message,
            },
            _ if is_local(&status) => Error::Unavailable { attempts, message },
            _ => Error::Status(Box::new(status)),
        }
    }

    /// The rule violations, when the gateway refused the message for broken rules (the
    /// first ones when there are many: see [`Error::total_violations`]).
    pub fn violations(&self) -> &[Violation] {
        match self {
            Error::Violations { violations, .. } => violations,
            _ => &[],
        }
    }

    /// How many rules the refused message breaks in all (0 for other errors).
    pub fn total_violations(&self) -> usize {
        match self {
            Error::Violations { total, .. } => *total,
            _ => 0,
        }
    }
}

/// The BadRequest field violations of `status`, empty when it carries none.
pub fn violations(status: &tonic::Status) -> Vec<Violation> {
    status
        .get_details_bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| Violation::from_parts(&v.field, &v.reason, &v.description))
                .collect()
        })
        .unwrap_or_default()
}

/// How many violations the gateway found in all, from the `google.rpc.ErrorInfo` detail
/// (reason `VIOLATIONS`, metadata `total`) it sends with a BadRequest; `None` without one.
pub fn total_violations(status: &tonic::Status) -> Option<usize> {
    status
        .get_details_error_info()
        .filter(|i| i.reason == "VIOLATIONS" && i.domain == "ketenpoort")
        .and_then(|i| i.metadata.get("total")?.parse().ok())
}

/// True when the status was made on this side (a transport error, a local deadline) rather
/// than sent by the gateway: tonic keeps the underlying error as the source only then.
pub(crate) fn is_local(status: &tonic::Status) -> bool {
    std::error::Error::source(status).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_with_a_retourcode_is_split() {
        let v = Violation::from_parts(
            "client.bsn",
            "CS002",
            "CS002 (retourcode 0001): BSN does not pass the 11-proef [/Bericht/Client/Bsn]",
        );
        assert_eq!(v.rule, "CS002");
        assert_eq!(v.retourcode.as_deref(), Some("0001"));
        assert_eq!(
            v.description,
            "BSN does not pass the 11-proef [/Bericht/Client/Bsn]"
        );
    }

    #[test]
    fn a_description_without_a_retourcode_is_split() {
        let v = Violation::from_parts("common.law", "XSD-required", "XSD-required: is required");
        assert_eq!(v.rule, "XSD-required");
        assert_eq!(v.retourcode, None);
        assert_eq!(v.description, "is required");
    }

    #[test]
    fn an_unexpected_description_is_kept_whole() {
        let v = Violation::from_parts("x", "TR001", "something else: entirely");
        assert_eq!(v.rule, "TR001");
        assert_eq!(v.retourcode, None);
        assert_eq!(v.description, "something else: entirely");
    }

    #[test]
    fn statuses_map_to_variants() {
        let d = Duration::from_secs(1);
        assert!(matches!(
            Error::from_status(tonic::Status::permission_denied("no"), 1, d),
            Error::PermissionDenied(_)
        ));
        assert!(matches!(
            Error::from_status(tonic::Status::unavailable("down"), 3, d),
            Error::Unavailable { attempts: 3, .. }
        ));
        assert!(matches!(
            Error::from_status(tonic::Status::internal("bug"), 1, d),
            Error::Status(_)
        ));
        assert!(matches!(
            Error::from_status(tonic::Status::failed_precondition("used"), 1, d),
            Error::Violations {
                cross_message: true,
                ..
            }
        ));
    }
}
