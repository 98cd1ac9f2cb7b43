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
//! `description`.

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

fn with_violations(code: Code, summary: String, violations: &[FieldViolation]) -> Status {
    let message = match violations.first() {
        Some(first) => format!(
            "{summary}; {} violation(s), first: {}: {}",
            violations.len(),
            first.field,
            describe(first)
        ),
        None => summary,
    };
    // google.rpc.Status with one google.rpc.BadRequest, encoded here rather than through
    // tonic-types' ErrorDetails, whose encoder (0.14.5) drops FieldViolation.reason.
    let bad_request = pb::BadRequest {
        field_violations: violations
            .iter()
            .map(|v| pb::bad_request::FieldViolation {
                field: v.field.clone(),
                description: describe(v),
                reason: v.rule.clone(),
                ..Default::default()
            })
            .collect(),
    };
    let status = pb::Status {
        code: code as i32,
        message: message.clone(),
        details: vec![prost_types::Any {
            type_url: "type.googleapis.com/google.rpc.BadRequest".into(),
            value: bad_request.encode_to_vec(),
        }],
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
