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
    ///
    /// The error names the byte offset and the kind of problem, never text from the input:
    /// free text with a stray `&` or `<` may hold a BSN or a name.
    #[error("not well-formed XML at byte {position}: {problem}")]
    NotWellFormed {
        /// Byte offset where the problem was found.
        position: u64,
        /// What kind of problem it is.
        problem: XmlProblem,
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
    #[error("{kind} message is invalid: {} violation(s), first: {}", violations.len() + omitted, violations.first().map(|v| v.to_string()).unwrap_or_default())]
    Invalid {
        /// The kind that was recognised from the root element.
        kind: MessageKind,
        /// The violations found, in document order: at most [`MAX_VIOLATIONS`].
        violations: Vec<Violation>,
        /// How many more violations were found and counted but not kept.
        omitted: usize,
    },
}

/// The most violations a report keeps; the rest are only counted (`omitted`), so that a
/// crafted message with millions of problems cannot exhaust memory.
pub const MAX_VIOLATIONS: usize = 1000;

/// The kind of a well-formedness problem ([`Error::NotWellFormed`]).
///
/// Each kind has a fixed description; none carries text from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlProblem {
    /// The input is not UTF-8 (OP192 requires UTF-8).
    #[error("input is not valid UTF-8 (iJw/iWmo messages are UTF-8, OP192)")]
    NotUtf8,
    /// The XML declaration names an encoding other than UTF-8.
    #[error("the declared encoding is not UTF-8 (OP192)")]
    EncodingNotUtf8,
    /// A second byte-order mark follows the first.
    #[error("a second byte-order mark follows the first")]
    SecondByteOrderMark,
    /// An XML declaration that is not at the very start of the document.
    #[error("an XML declaration is allowed only at the very start of the document")]
    MisplacedDeclaration,
    /// An XML declaration that does not follow the grammar (version, encoding, standalone).
    #[error("malformed XML declaration")]
    BadDeclaration,
    /// No root element.
    #[error("no root element")]
    NoRootElement,
    /// Text or markup before the root element that XML does not allow there.
    #[error("content before the root element")]
    ContentBeforeRoot,
    /// Text or markup after the root element that XML does not allow there.
    #[error("content after the root element")]
    ContentAfterRoot,
    /// The input ends inside an element.
    #[error("unexpected end of document")]
    UnexpectedEnd,
    /// A tag, comment, CDATA section or processing instruction is not closed.
    #[error("markup is not closed")]
    UnclosedMarkup,
    /// Markup that is not a tag, comment, CDATA section or processing instruction.
    #[error("malformed markup")]
    MalformedMarkup,
    /// An end tag that does not match the open element.
    #[error("an end tag does not match the open element")]
    MismatchedEndTag,
    /// An end tag without an open element.
    #[error("an end tag without a matching start tag")]
    UnmatchedEndTag,
    /// A reference to an entity that is not one of the five predefined ones (no DTD).
    #[error("reference to an undeclared entity (an unescaped '&'?)")]
    UndeclaredEntity,
    /// A `&` without a closing `;`.
    #[error("entity or character reference not closed (an unescaped '&'?)")]
    UnclosedReference,
    /// A malformed character reference or one to a character XML does not allow.
    #[error("malformed character reference, or one to a character XML does not allow")]
    BadCharacterReference,
    /// A character XML 1.0 does not allow (a control character, U+FFFE, U+FFFF).
    #[error("a character XML 1.0 does not allow")]
    ForbiddenCharacter,
    /// `--` inside a comment.
    #[error("'--' inside a comment")]
    DoubleHyphenInComment,
    /// The sequence `]]>` in text.
    #[error("']]>' in text")]
    CdataEndInText,
    /// A processing instruction whose target is `xml` in any case, or is no name.
    #[error("a processing instruction with a reserved or malformed target")]
    BadPiTarget,
    /// A malformed attribute (no `=`, no quotes, a bad name).
    #[error("malformed attribute")]
    MalformedAttribute,
    /// The same attribute twice on one element.
    #[error("an attribute appears twice on one element")]
    DuplicateAttribute,
    /// A `<` inside an attribute value.
    #[error("'<' inside an attribute value")]
    LessThanInAttribute,
    /// A namespace declaration that the Namespaces in XML recommendation forbids.
    #[error("malformed namespace declaration")]
    BadNamespaceDeclaration,
    /// A prefix that no namespace declaration in scope binds.
    #[error("a namespace prefix that is not declared")]
    UndeclaredPrefix,
    /// A malformed element name.
    #[error("malformed element name")]
    BadName,
}

impl Error {
    /// The violations of an [`Error::Invalid`]; empty for the other variants.
    pub fn violations(&self) -> &[Violation] {
        match self {
            Error::Invalid { violations, .. } => violations,
            _ => &[],
        }
    }

    /// How many violations of an [`Error::Invalid`] were counted but not kept; 0 otherwise.
    pub fn omitted(&self) -> usize {
        match self {
            Error::Invalid { omitted, .. } => *omitted,
            _ => 0,
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
