//! The one place where errors become gRPC statuses (`impl From<Error> for Status`), and
//! where the messages crate's violations become field violations with proto paths.
//!
//! | error | code |
//! |---|---|
//! | no or unknown credentials | UNAUTHENTICATED |
//! | AGB code not the tenant's (BRS03) | PERMISSION_DENIED |
//! | schema or in-message rule broken, malformed field | INVALID_ARGUMENT + BadRequest |
//! | cross-message rule broken (e.g. DeclaratieNummer used before) | FAILED_PRECONDITION + BadRequest |
//! | request_id reused with other content | ALREADY_EXISTS |
//! | 323 over the payload limit (BRS06) | RESOURCE_EXHAUSTED |
//! | unknown message | NOT_FOUND |
//! | store failure (retry with the same request_id) | UNAVAILABLE |
//!
//! Each BadRequest field violation carries the proto field path in `field`, the rule id in
//! `reason`, and `"<rule> (retourcode <code>): <explanation> [<element path>]"` in
//! `description`. The trailers stay under 8 KiB however many rules a message breaks: the
//! BadRequest lists the first violations that fit in 3.5 KiB, and a `google.rpc.ErrorInfo`
//! (reason `VIOLATIONS`, domain `ketenpoort`, metadata `total` and `listed`) and the message
//! (`"…; 1,234 violation(s); the first 20 are listed; first: …"`) give the total.

use ketenpoort_messages::{MessageKind, Violation};
use prost::Message as _;
use tonic::{Code, Status};
use tonic_types::pb;

use super::fields::proto_field;
use crate::error::{Error, FieldViolation};

/// Field violations for the violations the messages crate found in a message of `kind`.
pub(crate) fn from_model(kind: MessageKind, violations: &[Violation]) -> Vec<FieldViolation> {
    violations
        .iter()
        .map(|v| FieldViolation {
            field: proto_field(kind.message_type, &v.path),
            rule: v.rule.to_owned(),
            retourcode: v.retourcode.map(str::to_owned),
            description: format!("{} [{}]", v.message, v.path),
        })
        .collect()
}

fn describe(v: &FieldViolation) -> String {
    match &v.retourcode {
        Some(code) => format!("{} (retourcode {code}): {}", v.rule, v.description),
        None => format!("{}: {}", v.rule, v.description),
    }
}

/// Most bytes of the status message (it travels twice: as `grpc-message`, percent-encoded,
/// and inside `grpc-status-details-bin`).
const MAX_MESSAGE_BYTES: usize = 512;
/// Most bytes of one field violation's description.
const MAX_DESCRIPTION_BYTES: usize = 512;
/// Most bytes of the encoded `google.rpc.BadRequest`. With the message and base64 the
/// trailers stay under 8 KiB, well within the 16 KiB metadata limit of grpcio and the
/// default header list limits of other clients; the violations past it are counted, not
/// listed.
const MAX_BAD_REQUEST_BYTES: usize = 3 * 1024 + 512;
/// `google.rpc.ErrorInfo.reason` of the detail that carries the violation counts.
pub const VIOLATIONS_REASON: &str = "VIOLATIONS";
/// `google.rpc.ErrorInfo.domain` of the gateway's details.
pub const ERROR_DOMAIN: &str = "ketenpoort";

/// `s` cut to at most `max` bytes on a character boundary, with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// `n` with a comma between groups of three digits (`1,234`).
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A status with `summary` and the violations as a `google.rpc.BadRequest`, kept within
/// [`MAX_BAD_REQUEST_BYTES`]: the first violations that fit are listed, and the total is in
/// the message and in a `google.rpc.ErrorInfo` (reason [`VIOLATIONS_REASON`], metadata
/// `total` and `listed`).
fn with_violations(code: Code, summary: String, violations: &[FieldViolation]) -> Status {
    let mut bad_request = pb::BadRequest::default();
    let mut size = 0;
    for v in violations {
        let fv = pb::bad_request::FieldViolation {
            field: clip(&v.field, MAX_DESCRIPTION_BYTES),
            description: clip(&describe(v), MAX_DESCRIPTION_BYTES),
            reason: clip(&v.rule, 64),
            ..Default::default()
        };
        // The length-delimited entry: tag, length and the message.
        let len = fv.encoded_len();
        let entry = 1 + prost::length_delimiter_len(len) + len;
        if size + entry > MAX_BAD_REQUEST_BYTES {
            break;
        }
        size += entry;
        bad_request.field_violations.push(fv);
    }
    let (total, listed) = (violations.len(), bad_request.field_violations.len());
    let message = match violations.first() {
        Some(first) if listed < total => format!(
            "{summary}; {} violation(s); the first {listed} are listed; first: {}: {}",
            grouped(total),
            first.field,
            describe(first)
        ),
        Some(first) => format!(
            "{summary}; {} violation(s), first: {}: {}",
            grouped(total),
            first.field,
            describe(first)
        ),
        None => summary,
    };
    let message = clip(&message, MAX_MESSAGE_BYTES);
    let error_info = pb::ErrorInfo {
        reason: VIOLATIONS_REASON.into(),
        domain: ERROR_DOMAIN.into(),
        metadata: [
            ("total".to_owned(), total.to_string()),
            ("listed".to_owned(), listed.to_string()),
        ]
        .into_iter()
        .collect(),
    };
    // google.rpc.Status with one google.rpc.BadRequest, encoded here rather than through
    // tonic-types' ErrorDetails, whose encoder (0.14.5) drops FieldViolation.reason.
    let mut details = vec![prost_types::Any {
        type_url: "type.googleapis.com/google.rpc.BadRequest".into(),
        value: bad_request.encode_to_vec(),
    }];
    if total > 0 {
        details.push(prost_types::Any {
            type_url: "type.googleapis.com/google.rpc.ErrorInfo".into(),
            value: error_info.encode_to_vec(),
        });
    }
    let status = pb::Status {
        code: code as i32,
        message: message.clone(),
        details,
    };
    Status::with_details(code, message, status.encode_to_vec().into())
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        match e {
            Error::Unauthenticated(_) => Status::unauthenticated(e.to_string()),
            Error::PermissionDenied { .. } => Status::permission_denied(e.to_string()),
            Error::InvalidArgument(violations) => with_violations(
                Code::InvalidArgument,
                "the request is not a valid message".into(),
                &violations,
            ),
            Error::FailedPrecondition {
                message,
                violations,
            } => with_violations(Code::FailedPrecondition, message, &violations),
            Error::IdempotencyConflict { .. } => Status::already_exists(e.to_string()),
            Error::TooLarge { .. } => Status::resource_exhausted(e.to_string()),
            Error::NotFound(_) => Status::not_found(e.to_string()),
            Error::Store(_) => Status::unavailable(format!("{e}; retry with the same request_id")),
            _ => {
                tracing::error!(error = %e, "internal error");
                Status::internal(e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{clip, grouped};

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn clipping_keeps_whole_characters() {
        assert_eq!(clip("abc", 3), "abc");
        let cut = clip("ééééé", 7);
        assert!(cut.len() <= 7, "{cut}");
        assert_eq!(cut, "éé…");
    }
}
