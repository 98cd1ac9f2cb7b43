//! Errors and rule violations.

use std::fmt;

use crate::law::MessageKind;

/// One broken rule: which rule, where, and what is wrong.
///
/// Messages never repeat free-text values from the message (names, BSNs, addresses), so a
/// violation can be logged or shown to an operator without leaking personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule id: an RS/CS/CD/TR code of the standard where one states the requirement,
    /// otherwise the XSD facet (`XSD-enumeration`, `XSD-required`, …).
    pub rule: &'static str,
    /// The retourcode (codelist WJ001) a retour or 325 uses for this rule, where one exists:
    /// 0001 for in-message (XSLT-level) rules, 9nnn/8nnn for cross-message rules, none for
    /// XSD-level restrictions (VECOZO refuses those outright, BRS13).
    pub retourcode: Option<&'static str>,
    /// The element path, e.g. `/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[2]/Omvang/Volume`.
    pub path: String,
    /// A plain-language explanation.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.rule, self.path, self.message)
    }
}

/// Why a message could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than the reader accepts (VECOZO refuses payloads over 25 MB, BRS06).
    #[error("message is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The input is not well-formed XML (VECOZO: BRS14), or not UTF-8.
    #[error("not well-formed XML at byte {position}: {detail}")]
    NotWellFormed {
        /// Byte offset where the problem was found.
        position: u64,
        /// What the parser found.
        detail: String,
    },
    /// The input has a document type declaration. 3.2 messages never have one, and DTDs are
    /// the vehicle for entity-expansion attacks, so the reader refuses them outright.
    #[error("document type declarations (<!DOCTYPE>) are not allowed in iJw/iWmo messages")]
    DoctypeNotAllowed,
    /// Elements nest deeper than any 3.2 message does.
    #[error("elements nest deeper than {limit} levels")]
    TooDeep {
        /// The nesting limit.
        limit: usize,
    },
    /// The root element is not an iJw/iWmo 3.2 message.
    #[error("not an iJw/iWmo 3.2 message: root element is {found}{hint}")]
    UnknownMessage {
        /// The root element found, as `{namespace}LocalName`.
        found: String,
        /// A hint on what it looks like (another release, no namespace), possibly empty.
        hint: String,
    },
    /// The message is a 3.2 message but breaks the schema's rules.
    #[error("{kind} message is invalid: {} violation(s), first: {}", violations.len(), violations.first().map(|v| v.to_string()).unwrap_or_default())]
    Invalid {
        /// The kind that was recognised from the root element.
        kind: MessageKind,
        /// Every violation found, in document order.
        violations: Vec<Violation>,
    },
}

impl Error {
    /// The violations of an [`Error::Invalid`]; empty for the other variants.
    pub fn violations(&self) -> &[Violation] {
        match self {
            Error::Invalid { violations, .. } => violations,
            _ => &[],
        }
    }

    /// The message kind, when the root element was recognised.
    pub fn kind(&self) -> Option<MessageKind> {
        match self {
            Error::Invalid { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}
