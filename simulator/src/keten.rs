//! Ketencontrole: the asynchronous check after a message was accepted — the XSD level
//! (`ketenpoort_messages::read`, VECOZO code BRS13) and the in-message rules
//! (`ketenpoort_messages::rules::check`, the XSLT level, BRS28).
//!
//! The verdict is computed once at reception ([`assess`]) and revealed by the status
//! transitions that [`crate::Simulator::tick`] makes when the [`crate::Clock`] reaches them:
//! Ontvangen → WordtVerwerkt → VerwerkingVoltooid → WordtAangeboden → Bezorgd, or
//! → AfgekeurdDoorDienst with the meldingen.

use ketenpoort_messages::{Error as ReadError, Message, ReadLimits, Violation, rules};

use crate::wire::Melding;

/// VECOZO's text for BRS13.
pub const BRS13: &str = "Berichtinhoud voldoet niet aan XSD";
/// VECOZO's text for BRS28.
pub const BRS28: &str = "Het bericht is afgekeurd op basis van XSLT-controles";

/// At most this many meldingen per message (the v3 schema's `maxItems`).
const MAX_MELDINGEN: usize = 100;

/// The outcome of the ketencontrole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Passed: the message will be offered to the addressee.
    Passed,
    /// Refused: AfgekeurdDoorDienst with these meldingen.
    Refused(Vec<Melding>),
}

/// The result of reading a payload, shared by the ontvangstcontrole and the ketencontrole.
#[derive(Debug)]
pub enum Parsed {
    /// Read and schema-valid.
    Valid(Box<Message>),
    /// Not well-formed (or not UTF-8, or has a DTD): BRS14 at reception.
    NotWellFormed(String),
    /// Well-formed but not a schema-valid 3.2 message: BRS13 in the ketencontrole.
    SchemaInvalid(Vec<String>),
}

/// Reads a payload with the messages crate.
pub fn parse(payload: &[u8]) -> Parsed {
    let limits = ReadLimits {
        max_bytes: usize::MAX,
    };
    match ketenpoort_messages::read(payload, limits) {
        Ok(m) => Parsed::Valid(Box::new(m)),
        Err(e @ (ReadError::NotWellFormed { .. } | ReadError::DoctypeNotAllowed)) => {
            Parsed::NotWellFormed(e.to_string())
        }
        Err(e @ ReadError::TooDeep { .. }) => Parsed::NotWellFormed(e.to_string()),
        Err(ReadError::Invalid {
            violations,
            omitted,
            ..
        }) => Parsed::SchemaInvalid(capped(&violations, violations.len() + omitted)),
        // The reader stops at an unknown root element: check the rest is well-formed.
        Err(e) => match well_formed(payload) {
            Ok(()) => Parsed::SchemaInvalid(vec![e.to_string()]),
            Err(detail) => Parsed::NotWellFormed(detail),
        },
    }
}

/// Whether `payload` is one well-formed UTF-8 XML document (one root, every element closed,
/// namespaces declared, no DTD), checked as the messages crate's reader checks it. The error
/// names the byte offset and the kind of problem, never text from the payload.
pub fn well_formed(payload: &[u8]) -> Result<(), String> {
    let limits = ReadLimits {
        max_bytes: usize::MAX,
    };
    ketenpoort_messages::check_well_formed(payload, limits).map_err(|e| e.to_string())
}

/// At most [`MAX_MELDINGEN`] explanations of `total` violations (the first ones kept): when
/// there are more, the last says how many are not shown.
fn capped(violations: &[Violation], total: usize) -> Vec<String> {
    if total <= MAX_MELDINGEN {
        return violations.iter().map(explain).collect();
    }
    let shown = MAX_MELDINGEN - 1;
    let mut details: Vec<String> = violations.iter().take(shown).map(explain).collect();
    details.push(format!(
        "… and {} more violation(s), not shown",
        total - details.len()
    ));
    details
}

/// Rule, path and explanation; never a value from the message.
fn explain(v: &Violation) -> String {
    format!("{} {}: {}", v.rule, v.path, v.message)
}

/// The ketencontrole's verdict on a parsed payload; `in_message_rules` applies the in-message
/// rules (BRS28) on top of the schema (BRS13).
pub fn assess(parsed: &Parsed, in_message_rules: bool) -> Verdict {
    match parsed {
        Parsed::Valid(message) => {
            let (broken, omitted) = if in_message_rules {
                rules::check_capped(message, MAX_MELDINGEN)
            } else {
                (Vec::new(), 0)
            };
            if broken.is_empty() {
                Verdict::Passed
            } else {
                let details = capped(&broken, broken.len() + omitted);
                Verdict::Refused(meldingen("BRS28", BRS28, details.into_iter()))
            }
        }
        Parsed::SchemaInvalid(details) => {
            Verdict::Refused(meldingen("BRS13", BRS13, details.iter().cloned()))
        }
        // Refused at reception; never reaches the ketencontrole.
        Parsed::NotWellFormed(detail) => Verdict::Refused(meldingen(
            "BRS14",
            "Payload bevat geen well-formed XML",
            std::iter::once(detail.clone()),
        )),
    }
}

fn meldingen(
    code: &str,
    omschrijving: &str,
    details: impl Iterator<Item = String>,
) -> Vec<Melding> {
    let mut out: Vec<Melding> = details
        .take(MAX_MELDINGEN)
        .map(|d| Melding {
            code: code.into(),
            omschrijving: omschrijving.into(),
            toelichting: Some(d),
        })
        .collect();
    if out.is_empty() {
        out.push(Melding {
            code: code.into(),
            omschrijving: omschrijving.into(),
            toelichting: None,
        });
    }
    out
}
