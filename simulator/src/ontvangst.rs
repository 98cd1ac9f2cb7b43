//! Ontvangstcontrole: the synchronous checks VECOZO makes before it accepts a message. A
//! refusal is a `422` whose body names the code (see [`crate::wire::ValidationProblemDetails`]).
//!
//! Checked in this order, the first failure wins:
//!
//! | code | when |
//! |---|---|
//! | BRS06 | payload larger than `simulator.max_payload_bytes` |
//! | BRS01 | envelope afzender (AGB code + rol) not a registered provider |
//! | BRS03 | the certificate's indiener holds no toestemmingsverklaring for the afzender |
//! | BRS30 | no geadresseerde |
//! | BRS04 | a geadresseerde unknown or not connected |
//! | BRS05 | a geadresseerde with another rol, or not receiving this message kind |
//! | BRS114 | traceerId already used by this afzender (AGB code) |
//! | BRS14 | payload not well-formed XML (or not UTF-8, or with a DTD) |
//! | BRS26 | sending party in the payload ≠ envelope afzender |
//! | BRS20 | Identificatie (IdentificatieRetour for retours) already used by this sender for this message kind |
//! | IB021 | a retour (302, 306, 308, 316, 318, 320) or 325 without `alsAntwoordOp` |
//!
//! The sending party in the payload is the header's Afzender for heen messages and 325, and
//! its Ontvanger for retours, whose header is the heen header copied unchanged (so a 302 from
//! a provider has the municipality as Afzender) [design choice: VECOZO's text only says
//! "afzender in payload"].

use ketenpoort_messages::MessageKind;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::keten::Parsed;
use crate::registry::{Addressee, Indiener, Registry};
use crate::wire::PushMetadata;

/// A refusal: the VECOZO code and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// E.g. `BRS03`.
    pub code: &'static str,
    /// VECOZO's text for the code, possibly with a detail.
    pub text: String,
}

impl Refusal {
    fn new(code: &'static str, text: &str) -> Refusal {
        Refusal {
            code,
            text: text.into(),
        }
    }
}

/// What the ontvangstcontrole reads from the payload's header, leniently: also from payloads
/// that are not schema-valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayloadHeader {
    /// From the root element's namespace.
    pub kind: Option<MessageKind>,
    /// Header/Afzender.
    pub afzender: Option<String>,
    /// Header/Ontvanger.
    pub ontvanger: Option<String>,
    /// Header/BerichtIdentificatie/Identificatie.
    pub identificatie: Option<String>,
    /// Header/IdentificatieRetour.
    pub identificatie_retour: Option<String>,
}

impl PayloadHeader {
    /// The party that sent the message according to the payload.
    pub fn sender(&self) -> Option<&str> {
        match self.kind {
            Some(k) if k.message_type.is_retour() => self.ontvanger.as_deref(),
            _ => self.afzender.as_deref(),
        }
    }

    /// The identification that must be unique per kind and sender (BRS20).
    pub fn own_identificatie(&self) -> Option<&str> {
        match self.kind {
            Some(k) if k.message_type.is_retour() => self.identificatie_retour.as_deref(),
            _ => self.identificatie.as_deref(),
        }
    }
}

/// Reads the header fields; stops at the end of `Header` or at the first XML error.
pub fn scan_header(payload: &[u8]) -> PayloadHeader {
    let mut out = PayloadHeader::default();
    let payload = payload.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(payload);
    let Ok(text) = std::str::from_utf8(payload) else {
        return out;
    };
    // A plain reader: only the root's namespace matters, and resolving every name against
    // every declaration (as a namespace-aware reader does) is quadratic on crafted input.
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    loop {
        let Ok(event) = reader.read_event() else {
            return out;
        };
        match event {
            Event::Start(start) => {
                if path.is_empty() {
                    out.kind = root_namespace(&start)
                        .as_deref()
                        .and_then(MessageKind::from_namespace);
                }
                let local = start.local_name();
                path.push(local.into_inner().to_owned());
            }
            Event::End(_) => {
                if path.len() == 2 && path[1] == "Header" {
                    return out;
                }
                path.pop();
            }
            Event::Text(t) => {
                let value = t.xml10_content().trim().to_owned();
                let names: Vec<&str> = path.iter().map(String::as_str).collect();
                let slot = match names.as_slice() {
                    [_, "Header", "Afzender"] => &mut out.afzender,
                    [_, "Header", "Ontvanger"] => &mut out.ontvanger,
                    [_, "Header", "BerichtIdentificatie", "Identificatie"] => {
                        &mut out.identificatie
                    }
                    [_, "Header", "IdentificatieRetour"] => &mut out.identificatie_retour,
                    _ => continue,
                };
                if !value.is_empty() {
                    *slot = Some(value);
                }
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

/// The namespace of the root element, from the declarations on the root itself (3.2
/// messages declare their namespaces there).
fn root_namespace(start: &quick_xml::events::BytesStart<'_>) -> Option<String> {
    let name = start.name();
    let qname: &str = name.as_ref();
    let wanted = match qname.split_once(':') {
        Some((prefix, _)) => format!("xmlns:{prefix}"),
        None => "xmlns".to_owned(),
    };
    start
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == wanted)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The message kind: from the payload, else from `berichtstroom.berichtsubtype` (e.g. JW315).
pub fn kind_of(meta: &PushMetadata, header: &PayloadHeader) -> Option<MessageKind> {
    header.kind.or_else(|| {
        meta.routeringgegevens
            .berichtstroom
            .berichtsubtype
            .as_deref()
            .and_then(MessageKind::parse)
    })
}

/// Uniqueness questions the store answers under its lock.
pub trait Seen {
    /// Has `afzender` used `traceer_id` before (BRS114)?
    fn traceer_id_used(&self, afzender: &str, traceer_id: uuid::Uuid) -> bool;
    /// Has `sender` used `identificatie` for `kind` before (BRS20)?
    fn identificatie_used(&self, sender: &str, kind: MessageKind, identificatie: &str) -> bool;
}

/// A pushed message as the ontvangstcontrole sees it.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// The certificate's indiener.
    pub indiener: &'a Indiener,
    /// The envelope.
    pub meta: &'a PushMetadata,
    /// Payload size in bytes.
    pub payload_len: usize,
    /// The payload as read by the messages crate.
    pub parsed: &'a Parsed,
    /// The payload's header, read leniently.
    pub header: &'a PayloadHeader,
}

/// Runs the ontvangstcontrole.
pub fn check(
    registry: &Registry,
    max_payload_bytes: usize,
    submission: Submission<'_>,
    seen: &dyn Seen,
) -> Result<(), Refusal> {
    let Submission {
        indiener,
        meta,
        payload_len,
        parsed,
        header,
    } = submission;
    if payload_len > max_payload_bytes {
        return Err(Refusal {
            code: "BRS06",
            text: format!(
                "Payload is groter dan toegestaan ({payload_len} bytes, maximaal {max_payload_bytes})"
            ),
        });
    }
    let afzender = &meta.routeringgegevens.afzender;
    let afzender_code = afzender.code.as_deref().unwrap_or_default();
    match registry.aanbieder(afzender_code) {
        Some(a) if a.rol == afzender.rol => {}
        _ => return Err(Refusal::new("BRS01", "Afzender is niet bekend bij VECOZO")),
    }
    if !indiener.namens.contains(afzender_code) {
        return Err(Refusal::new(
            "BRS03",
            "Indiener is niet gemachtigd om namens de afzender het bericht in te dienen",
        ));
    }
    let geadresseerden = &meta.routeringgegevens.geadresseerden;
    if geadresseerden.is_empty() {
        return Err(Refusal::new("BRS30", "Geadresseerde ontbreekt"));
    }
    let kind = kind_of(meta, header);
    for g in geadresseerden {
        let code = g.code.as_deref().unwrap_or_default();
        let (rol, accepts) = match registry.addressee(code) {
            Some(Addressee::Gemeente(gem)) if gem.aangesloten => (
                gem.rol.as_str(),
                kind.is_none_or(|k| gem.accepteert.contains(&k)),
            ),
            Some(Addressee::Aanbieder(a)) => (
                a.rol.as_str(),
                kind.is_none_or(|k| k.message_type.municipality_header() || is_municipal_retour(k)),
            ),
            _ => {
                return Err(Refusal::new(
                    "BRS04",
                    "Geadresseerde partij is niet aangesloten bij VECOZO",
                ));
            }
        };
        if rol != g.rol || !accepts {
            return Err(Refusal::new(
                "BRS05",
                "Geadresseerde partij beschikt niet over de juiste rol om voor dit berichttype berichten te ontvangen",
            ));
        }
    }
    if seen.traceer_id_used(afzender_code, meta.referentiegegevens.traceer_id) {
        return Err(Refusal::new("BRS114", "TraceerID is niet uniek"));
    }
    if let Parsed::NotWellFormed(_) = parsed {
        return Err(Refusal::new("BRS14", "Payload bevat geen well-formed XML"));
    }
    if let Some(sender) = header.sender()
        && sender != afzender_code
    {
        return Err(Refusal::new(
            "BRS26",
            "Afzender in payload is niet gelijk aan afzender in routeringgegevens",
        ));
    }
    if let (Some(kind), Some(sender), Some(id)) =
        (kind, header.sender(), header.own_identificatie())
        && seen.identificatie_used(sender, kind, id)
    {
        return Err(Refusal::new(
            "BRS20",
            "Identificatie moet per berichtsoort uniek zijn voor de verzendende partij",
        ));
    }
    if let Some(k) = kind
        && (k.message_type.is_retour() || k.message_type.heen().is_some())
        && meta.referentiegegevens.als_antwoord_op.is_none()
    {
        return Err(Refusal::new("IB021", "AlsAntwoordOp niet gevuld"));
    }
    Ok(())
}

/// The checks for a message the simulated GGK submits for a municipality (the municipality
/// bot, or a test through `POST /admin/v1/gemeente/berichten`): the afzender must be a
/// registered municipality, every geadresseerde a registered provider, the traceerId new
/// for the municipality and the payload well-formed. The indiener and toestemming checks do
/// not apply: the GGK is trusted.
pub fn check_ggk(
    registry: &Registry,
    meta: &PushMetadata,
    parsed: &Parsed,
    seen: &dyn Seen,
) -> Result<(), Refusal> {
    let afzender = meta
        .routeringgegevens
        .afzender
        .code
        .as_deref()
        .unwrap_or_default();
    if registry.gemeente(afzender).is_none() {
        return Err(Refusal::new("BRS01", "Afzender is niet bekend bij VECOZO"));
    }
    if meta.routeringgegevens.geadresseerden.is_empty() {
        return Err(Refusal::new("BRS30", "Geadresseerde ontbreekt"));
    }
    for g in &meta.routeringgegevens.geadresseerden {
        if registry
            .aanbieder(g.code.as_deref().unwrap_or_default())
            .is_none()
        {
            return Err(Refusal::new(
                "BRS04",
                "Geadresseerde partij is niet aangesloten bij VECOZO",
            ));
        }
    }
    if seen.traceer_id_used(afzender, meta.referentiegegevens.traceer_id) {
        return Err(Refusal::new("BRS114", "TraceerID is niet uniek"));
    }
    if let Parsed::NotWellFormed(_) = parsed {
        return Err(Refusal::new("BRS14", "Payload bevat geen well-formed XML"));
    }
    Ok(())
}

/// Retours a municipality sends to a provider (306, 308, 316, 318).
fn is_municipal_retour(k: MessageKind) -> bool {
    use ketenpoort_messages::MessageType as T;
    matches!(k.message_type, T::M306 | T::M308 | T::M316 | T::M318)
}
