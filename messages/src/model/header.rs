//! Message headers: the heen header, the retour header (302/306/…/320) and the 325 header.
//!
//! BerichtCode, BerichtVersie (3) and BerichtSubversie (2) are not fields: they follow from
//! the message kind, are written by the writer and checked by the reader.

use chrono::NaiveDate;

use super::basis::{BerichtIdentificatie, XsdVersie};
use crate::codes::RetourCode;
use crate::error::Error;
use crate::facets;
use crate::types::{AgbCode, GemeenteCode, IdentificatieBericht, Versie};
use crate::xml::node::{self, FieldSpec, Matcher, Node};
use crate::xml::read::{Reader, is_xml_space};
use crate::xml::write::Writer;
use crate::xml::{Ns, Report};

/// The header (Header) every message starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Afzender: AGB code of the provider (8 digits) in provider-sent messages, CBS code of
    /// the municipality (4 digits) in 301/319/325 and in the retours 302/320 that copy them.
    pub afzender: String,
    /// Ontvanger: the other party (gemeente code or AGB code).
    pub ontvanger: String,
    /// BerichtIdentificatie: Identificatie and Dagtekening.
    pub bericht_identificatie: BerichtIdentificatie,
    /// XsdVersie of the schemas the heen message was made with.
    pub xsd_versie: XsdVersie,
}

/// The header of a retour message (302, 306, 308, 316, 318, 320): the heen header copied
/// unchanged, plus the retour's own identification and retourcodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetourHeader {
    /// The copied heen header (Afzender and Ontvanger not swapped).
    pub heen: Header,
    /// IdentificatieRetour.
    pub identificatie_retour: IdentificatieBericht,
    /// DagtekeningRetour.
    pub dagtekening_retour: NaiveDate,
    /// XsltVersie (required when rejected on the XSLT check).
    pub xslt_versie: Option<Versie>,
    /// XsdVersieRetour.
    pub xsd_versie_retour: XsdVersie,
    /// RetourCodes of the whole message; empty when absent (no errors).
    pub retour_codes: Vec<RetourCode>,
}

/// The header of a 325 Declaratie-antwoord.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationAnswerHeader {
    /// The 325's own header fields.
    pub heen: Header,
    /// DeclaratieIdentificatie: the BerichtIdentificatie of the 323 answered (TR337).
    pub declaratie_identificatie: BerichtIdentificatie,
    /// XsltVersie.
    pub xslt_versie: Option<Versie>,
    /// XsdVersieDeclaratie: the XsdVersie of the 323 (TR371).
    pub xsd_versie_declaratie: XsdVersie,
    /// RetourCodes of the message (0200 when the claim was processed).
    pub retour_codes: Vec<RetourCode>,
}

// === header layout ===

const BERICHT_CODE: usize = 0;
const BERICHT_VERSIE: usize = 1;
const BERICHT_SUBVERSIE: usize = 2;
const AFZENDER: usize = 3;
const ONTVANGER: usize = 4;
const BERICHT_IDENTIFICATIE: usize = 5;
const XSD_VERSIE: usize = 6;

const fn leaf(name: &'static str, required: bool) -> FieldSpec {
    FieldSpec {
        name,
        item: "",
        required,
        only_law: None,
        only_retour: false,
    }
}

const HEEN: [FieldSpec; 7] = [
    leaf("BerichtCode", true),
    leaf("BerichtVersie", true),
    leaf("BerichtSubversie", true),
    leaf("Afzender", true),
    leaf("Ontvanger", true),
    leaf("BerichtIdentificatie", true),
    leaf("XsdVersie", true),
];

const RETOUR: [FieldSpec; 12] = [
    HEEN[0],
    HEEN[1],
    HEEN[2],
    HEEN[3],
    HEEN[4],
    HEEN[5],
    HEEN[6],
    leaf("IdentificatieRetour", true),
    leaf("DagtekeningRetour", true),
    leaf("XsltVersie", false),
    leaf("XsdVersieRetour", true),
    FieldSpec {
        item: "RetourCode",
        ..leaf("RetourCodes", false)
    },
];

const ANSWER: [FieldSpec; 11] = [
    HEEN[0],
    HEEN[1],
    HEEN[2],
    HEEN[3],
    HEEN[4],
    HEEN[5],
    HEEN[6],
    leaf("DeclaratieIdentificatie", true),
    leaf("XsltVersie", false),
    leaf("XsdVersieDeclaratie", true),
    FieldSpec {
        item: "RetourCode",
        ..leaf("RetourCodes", true)
    },
];

/// Every header field, filled as far as the XML had it.
#[derive(Default)]
struct RawHeader {
    afzender: Option<String>,
    ontvanger: Option<String>,
    bericht_identificatie: Option<BerichtIdentificatie>,
    xsd_versie: Option<XsdVersie>,
    identificatie: Option<IdentificatieBericht>,
    dagtekening: Option<NaiveDate>,
    xslt_versie: Option<Versie>,
    xsd_versie_2: Option<XsdVersie>,
    declaratie_identificatie: Option<BerichtIdentificatie>,
    retour_codes: Vec<RetourCode>,
}

impl RawHeader {
    fn heen(&mut self) -> Option<Header> {
        Some(Header {
            afzender: self.afzender.take()?,
            ontvanger: self.ontvanger.take()?,
            bericht_identificatie: self.bericht_identificatie.take()?,
            xsd_versie: self.xsd_versie.take()?,
        })
    }
}

fn read_header(
    r: &mut Reader<'_>,
    specs: &[FieldSpec],
    empty: bool,
) -> Result<Option<RawHeader>, Error> {
    let mut raw = RawHeader::default();
    let mut m = Matcher::new(specs, r.ctx());
    if !empty {
        while let Some((hit, child_empty)) =
            r.next_child(|ns, local| m.classify(ns.is(Ns::Message), local))?
        {
            m.report_missing(&mut r.report);
            let idx = match hit {
                Ok(idx) => idx,
                Err(name) => {
                    node::unexpected(r, &name, child_empty)?;
                    continue;
                }
            };
            let spec = specs[idx];
            match (idx, spec.name) {
                (BERICHT_CODE | BERICHT_VERSIE | BERICHT_SUBVERSIE | AFZENDER | ONTVANGER, _) => {
                    r.report.path.push(spec.name, None);
                    let text = r.read_text(child_empty)?;
                    if let Some(text) = text {
                        check_fixed(idx, text.into_owned(), &mut raw, &mut r.report);
                    }
                    r.report.path.pop();
                }
                (BERICHT_IDENTIFICATIE, _) => {
                    raw.bericht_identificatie = node::read_child(r, spec.name, None, child_empty)?
                }
                (XSD_VERSIE, _) => {
                    raw.xsd_versie = node::read_child(r, spec.name, None, child_empty)?
                }
                (_, "IdentificatieRetour") => {
                    raw.identificatie = node::read_child(r, spec.name, None, child_empty)?
                }
                (_, "DagtekeningRetour") => {
                    raw.dagtekening = node::read_child(r, spec.name, None, child_empty)?
                }
                (_, "XsltVersie") => {
                    raw.xslt_versie = node::read_child(r, spec.name, None, child_empty)?
                }
                (_, "XsdVersieRetour" | "XsdVersieDeclaratie") => {
                    raw.xsd_versie_2 = node::read_child(r, spec.name, None, child_empty)?
                }
                (_, "DeclaratieIdentificatie") => {
                    raw.declaratie_identificatie =
                        node::read_child(r, spec.name, None, child_empty)?
                }
                (_, "RetourCodes") => raw.retour_codes = node::read_list(r, &spec, child_empty)?,
                _ => node::unexpected(r, spec.name, child_empty)?,
            }
        }
    }
    m.finish(&mut r.report);
    Ok(Some(raw))
}

/// Checks BerichtCode, BerichtVersie, BerichtSubversie, Afzender and Ontvanger.
fn check_fixed(idx: usize, text: String, raw: &mut RawHeader, rep: &mut Report) {
    let kind = rep.ctx.kind;
    match idx {
        BERICHT_CODE => {
            let expected = kind.bericht_code().to_string();
            if text != expected {
                rep.violation(
                    "RS047",
                    format!("BerichtCode of a {kind} must be {expected}"),
                );
            }
        }
        BERICHT_VERSIE | BERICHT_SUBVERSIE => {
            let (expected, rule) = if idx == BERICHT_VERSIE {
                ("3", "CS025")
            } else {
                ("2", "CS015")
            };
            if text.trim_matches(is_xml_space) != expected {
                rep.violation(rule, format!("must be {expected} (release 3.2)"));
            }
        }
        AFZENDER => {
            check_party(&text, kind.message_type.municipality_header(), rep);
            raw.afzender = Some(text);
        }
        _ => {
            check_party(&text, !kind.message_type.municipality_header(), rep);
            raw.ontvanger = Some(text);
        }
    }
}

/// A party is a gemeente (4 digits) or an AGB code (8 digits), depending on the direction.
fn check_party(text: &str, gemeente: bool, rep: &mut Report) {
    if gemeente {
        facets::check_string(text, &GemeenteCode::FACETS, rep);
    } else {
        facets::check_string(text, &AgbCode::FACETS, rep);
    }
}

fn write_heen(h: &Header, w: &mut Writer) {
    let kind = w.ctx.kind;
    w.leaf(Ns::Message, "BerichtCode", &kind.bericht_code().to_string());
    w.leaf(Ns::Message, "BerichtVersie", "3");
    w.leaf(Ns::Message, "BerichtSubversie", "2");
    w.leaf(Ns::Message, "Afzender", &h.afzender);
    w.leaf(Ns::Message, "Ontvanger", &h.ontvanger);
    h.bericht_identificatie
        .write(w, Ns::Message, "BerichtIdentificatie");
    h.xsd_versie.write(w, Ns::Message, "XsdVersie");
}

fn check_heen(h: &Header, rep: &mut Report) {
    let municipality = rep.ctx.kind.message_type.municipality_header();
    rep.path.push("Afzender", None);
    check_party(&h.afzender, municipality, rep);
    rep.path.pop();
    rep.path.push("Ontvanger", None);
    check_party(&h.ontvanger, !municipality, rep);
    rep.path.pop();
    node::check_child(&h.bericht_identificatie, rep, "BerichtIdentificatie", None);
    node::check_child(&h.xsd_versie, rep, "XsdVersie", None);
}

// === impl Node ===

impl Node for Header {
    fn write(&self, w: &mut Writer, ns: Ns, name: &'static str) {
        w.open(ns, name);
        write_heen(self, w);
        w.close(ns, name);
    }
    fn read(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
        Ok(read_header(r, &HEEN, empty)?.and_then(|mut raw| raw.heen()))
    }
    fn check(&self, rep: &mut Report) {
        check_heen(self, rep);
    }
    #[cfg(feature = "generate")]
    fn generate(g: &mut crate::generate::Gen) -> Self {
        g.header()
    }
}

impl Node for RetourHeader {
    fn write(&self, w: &mut Writer, ns: Ns, name: &'static str) {
        w.open(ns, name);
        write_heen(&self.heen, w);
        self.identificatie_retour
            .write(w, Ns::Message, "IdentificatieRetour");
        self.dagtekening_retour
            .write(w, Ns::Message, "DagtekeningRetour");
        if let Some(v) = &self.xslt_versie {
            v.write(w, Ns::Message, "XsltVersie");
        }
        self.xsd_versie_retour
            .write(w, Ns::Message, "XsdVersieRetour");
        node::write_list(&self.retour_codes, w, &RETOUR[11]);
        w.close(ns, name);
    }
    fn read(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
        let Some(mut raw) = read_header(r, &RETOUR, empty)? else {
            return Ok(None);
        };
        let Some(heen) = raw.heen() else {
            return Ok(None);
        };
        Ok((|| {
            Some(RetourHeader {
                heen,
                identificatie_retour: raw.identificatie?,
                dagtekening_retour: raw.dagtekening?,
                xslt_versie: raw.xslt_versie,
                xsd_versie_retour: raw.xsd_versie_2?,
                retour_codes: raw.retour_codes,
            })
        })())
    }
    fn check(&self, rep: &mut Report) {
        check_heen(&self.heen, rep);
        node::check_child(&self.identificatie_retour, rep, "IdentificatieRetour", None);
        node::check_child(&self.dagtekening_retour, rep, "DagtekeningRetour", None);
        if let Some(v) = &self.xslt_versie {
            node::check_child(v, rep, "XsltVersie", None);
        }
        node::check_child(&self.xsd_versie_retour, rep, "XsdVersieRetour", None);
        node::check_list(&self.retour_codes, rep, &RETOUR[11]);
    }
    #[cfg(feature = "generate")]
    fn generate(g: &mut crate::generate::Gen) -> Self {
        RetourHeader {
            heen: g.header(),
            identificatie_retour: IdentificatieBericht::generate(g),
            dagtekening_retour: NaiveDate::generate(g),
            xslt_versie: g.maybe().then(|| Versie::generate(g)),
            xsd_versie_retour: XsdVersie::generate(g),
            retour_codes: node::kind::opt_list::generate(g, RETOUR[11]),
        }
    }
}

impl Node for DeclarationAnswerHeader {
    fn write(&self, w: &mut Writer, ns: Ns, name: &'static str) {
        w.open(ns, name);
        write_heen(&self.heen, w);
        self.declaratie_identificatie
            .write(w, Ns::Message, "DeclaratieIdentificatie");
        if let Some(v) = &self.xslt_versie {
            v.write(w, Ns::Message, "XsltVersie");
        }
        self.xsd_versie_declaratie
            .write(w, Ns::Message, "XsdVersieDeclaratie");
        node::write_list(&self.retour_codes, w, &ANSWER[10]);
        w.close(ns, name);
    }
    fn read(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
        let Some(mut raw) = read_header(r, &ANSWER, empty)? else {
            return Ok(None);
        };
        let Some(heen) = raw.heen() else {
            return Ok(None);
        };
        Ok((|| {
            Some(DeclarationAnswerHeader {
                heen,
                declaratie_identificatie: raw.declaratie_identificatie?,
                xslt_versie: raw.xslt_versie,
                xsd_versie_declaratie: raw.xsd_versie_2?,
                retour_codes: raw.retour_codes,
            })
        })())
    }
    fn check(&self, rep: &mut Report) {
        check_heen(&self.heen, rep);
        node::check_child(
            &self.declaratie_identificatie,
            rep,
            "DeclaratieIdentificatie",
            None,
        );
        if let Some(v) = &self.xslt_versie {
            node::check_child(v, rep, "XsltVersie", None);
        }
        node::check_child(
            &self.xsd_versie_declaratie,
            rep,
            "XsdVersieDeclaratie",
            None,
        );
        node::check_list(&self.retour_codes, rep, &ANSWER[10]);
    }
    #[cfg(feature = "generate")]
    fn generate(g: &mut crate::generate::Gen) -> Self {
        DeclarationAnswerHeader {
            heen: g.header(),
            declaratie_identificatie: BerichtIdentificatie::generate(g),
            xslt_versie: g.maybe().then(|| Versie::generate(g)),
            xsd_versie_declaratie: XsdVersie::generate(g),
            retour_codes: node::kind::codes::generate(g, ANSWER[10]),
        }
    }
}
