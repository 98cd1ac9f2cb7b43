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
        Err(ReadError::Invalid { violations, .. }) => {
            Parsed::SchemaInvalid(violations.iter().map(explain).collect())
        }
        // The reader stops at an unknown root element: check the rest is well-formed.
        Err(e) => match well_formed(payload) {
            Ok(()) => Parsed::SchemaInvalid(vec![e.to_string()]),
            Err(detail) => Parsed::NotWellFormed(detail),
        },
    }
}

/// Whether `payload` is one well-formed UTF-8 XML document (one root, every element closed).
pub fn well_formed(payload: &[u8]) -> Result<(), String> {
    use quick_xml::events::Event;
    let payload = payload.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(payload);
    let text = std::str::from_utf8(payload).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth: usize = 0;
    let mut roots = 0;
    loop {
        match reader.read_event() {
            Err(e) => return Err(format!("at byte {}: {e}", reader.buffer_position())),
            Ok(Event::Start(_)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(Event::Empty(_)) if depth == 0 => roots += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Text(t)) if depth == 0 && !t.xml10_content().trim().is_empty() => {
                return Err("text outside the root element".into());
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
        }
    }
    match (depth, roots) {
        (0, 1) => Ok(()),
        (0, 0) => Err("no root element".into()),
        (0, _) => Err("more than one root element".into()),
        _ => Err("unclosed elements at the end of the payload".into()),
    }
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
            let broken = if in_message_rules {
                rules::check(message)
            } else {
                Vec::new()
            };
            if broken.is_empty() {
                Verdict::Passed
            } else {
                Verdict::Refused(meldingen("BRS28", BRS28, broken.iter().map(explain)))
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
