//! # ketenpoort-messages
//!
//! The iJw (Jeugdwet) and iWmo (Wmo 2015) release 3.2 messages as a typed model, with an XML
//! writer and a validating reader that check what the official XSDs check. No I/O, no async.
//!
//! ## Layout
//!
//! - [`calendar`]: working days (werkdagen) under the Algemene termijnenwet and the answer
//!   deadlines (termijnen) of OP090, OP090x4, OP271, OP272, OP274 and OP346.
//! - [`law`]: laws, the 14 message types and the 28 kinds (JW301 … WMO325), namespaces,
//!   BerichtCodes.
//! - [`model`]: the complex types — [`model::basis`] (CDT_*), [`model::header`] and one module
//!   per message family (`allocation` 301/302, `care` 305–308, `request` 315/316, `change`
//!   317/318, `answer` 319/320, `declaration` 323/325).
//! - [`money`]: the money and period rules of a 323 — eurocent amounts, product periods,
//!   maximum weekly and monthly volumes, units, totals.
//! - [`retour_body`]: the retour on a message judged on cross-message or external rules
//!   (IV028: every class with its retourcode or 0200).
//! - [`tariff`]: the contract tariff table (per municipality or region, law, product, period
//!   and unit) from configuration rows and published CSV lists, for TR346/TR418.
//! - [`types`] and [`codes`]: the simple types (LDT_*) — strings and integers with their
//!   facets, and the codelists as enums.
//! - [`message`]: [`Message`], [`read`] and [`Message::to_xml`].
//! - [`rules`]: the in-message rules (controleniveau 2, [`rules::check`]), the cross-message
//!   rules (`rules::cross`) and the catalog of every rule of the standard
//!   ([`rules::catalog`], rendered as `docs/RULES.md`).
//! - `xml` (private): the writer (OP192 form), the reader (quick-xml pull parser walking each
//!   type's XSD sequence) and the `xml_struct!` macro that declares a complex type once for
//!   writing, reading, validating and generating.
//! - `facets` (private): lexical forms and facets without regexes.
//! - [`generate`] (feature `generate`): random valid instances, and `generate::repair` to make
//!   one pass the in-message rules.
//!
//! ## Validation
//!
//! [`read`] refuses input that is not a well-formed UTF-8 3.2 message ([`Error`]) and reports
//! every schema violation with a rule id, an element path and a message ([`Violation`]).
//! [`Message::to_xml`] validates first and refuses an invalid model: nothing is filled in
//! silently. Violations never quote free text from the message, so they are safe to log.

#![forbid(unsafe_code)]

pub mod calendar;
pub mod codes;
pub mod error;
mod facets;
#[cfg(feature = "generate")]
pub mod generate;
pub mod law;
pub mod message;
pub mod model;
pub mod money;
pub mod retour_body;
pub mod rules;
pub mod tariff;
pub mod types;
mod xml;

pub use error::{Error, MAX_VIOLATIONS, Violation, XmlProblem};
pub use law::{Law, MessageKind, MessageType};
pub use message::{
    Content, DeclarationAnswer, Heen, Message, ReadLimits, Retour, VECOZO_MAX_PAYLOAD_BYTES,
    check_well_formed, read,
};
