//! The retour on a heen message judged on cross-message or external rules (controleniveau 3
//! or 4), built as IV028 prescribes:
//!
//! - a rule broken in the Header: only the Header, with the retourcode of that rule;
//! - a rule broken in a class about the client: every class of the message taken over
//!   unchanged, each with the retourcode of the rule it broke, or 0200 ("Geen opmerking over
//!   deze berichtklasse"); the Header gets 0200 too;
//! - nothing broken: only the Header, without retourcodes.
//!
//! (Level-2 rules give only the Header with 0001; the caller decides that before, as a
//! message that breaks them is not judged further.) A violation belongs to the deepest class
//! whose element path holds it; a violation at a path of no class (none expected) goes to the
//! client.

use crate::codes::RetourCode;
use crate::error::Violation;
use crate::message::{Content, Message, Retour};
use crate::model::header::RetourHeader;

/// The retour content on `heen` (301, 305, 307, 315, 317 or 319) with `header` (its
/// RetourCodes are set here) for the level-3/4 violations `found` of `heen`; `None` for a heen
/// message of another type.
pub fn retour(heen: &Message, mut header: RetourHeader, found: &[Violation]) -> Option<Content> {
    let at_header: Vec<&Violation> = found
        .iter()
        .filter(|v| v.path.starts_with("/Bericht/Header"))
        .collect();
    let judged = if !at_header.is_empty() {
        header.retour_codes = codes(at_header);
        false
    } else if !found.is_empty() {
        header.retour_codes = vec![RetourCode::R0200];
        true
    } else {
        header.retour_codes = Vec::new();
        false
    };
    let classes = Classes { found };
    Some(match &heen.content {
        Content::Allocation(h) => Content::AllocationRetour(Retour {
            header,
            body: judged.then(|| {
                let mut b = h.body.clone();
                let c = "/Bericht/Client";
                b.retour_codes = classes.at(c, &[]);
                for (i, r) in b.relaties.iter_mut().enumerate() {
                    let p = format!("{c}/Relaties/Relatie[{}]", i + 1);
                    r.contact.retour_codes = classes.at(&format!("{p}/Contact"), &[]);
                    r.retour_codes = classes.at(&p, &["Contact"]);
                }
                for (i, k) in b.contactgegevens.iter_mut().enumerate() {
                    k.retour_codes =
                        classes.at(&format!("{c}/Contactgegevens/Contact[{}]", i + 1), &[]);
                }
                for (i, p) in b.toegewezen_producten.iter_mut().enumerate() {
                    p.retour_codes = classes.at(
                        &format!("{c}/ToegewezenProducten/ToegewezenProduct[{}]", i + 1),
                        &[],
                    );
                }
                b
            }),
        }),
        Content::CareStart(h) => Content::CareStartRetour(Retour {
            header,
            body: judged.then(|| {
                let mut b = h.body.clone();
                let c = "/Bericht/Client";
                b.retour_codes = classes.at(c, &[]);
                for (i, p) in b.start_producten.iter_mut().enumerate() {
                    p.retour_codes =
                        classes.at(&format!("{c}/StartProducten/StartProduct[{}]", i + 1), &[]);
                }
                b
            }),
        }),
        Content::CareStop(h) => Content::CareStopRetour(Retour {
            header,
            body: judged.then(|| {
                let mut b = h.body.clone();
                let c = "/Bericht/Client";
                b.retour_codes = classes.at(c, &[]);
                for (i, p) in b.stop_producten.iter_mut().enumerate() {
                    p.retour_codes =
                        classes.at(&format!("{c}/StopProducten/StopProduct[{}]", i + 1), &[]);
                }
                b
            }),
        }),
        Content::RequestForAllocation(h) => Content::RequestForAllocationRetour(Retour {
            header,
            body: judged.then(|| {
                let mut b = h.body.clone();
                let c = "/Bericht/Client";
                b.retour_codes = classes.at(c, &[]);
                for (i, p) in b.aangevraagde_producten.iter_mut().enumerate() {
                    p.retour_codes = classes.at(
                        &format!("{c}/AangevraagdeProducten/AangevraagdProduct[{}]", i + 1),
                        &[],
                    );
                }
                b
            }),
        }),
        Content::ChangeRequest(h) => Content::ChangeRequestRetour(Retour {
            header,
            body: judged.then(|| {
                let mut b = h.body.clone();
                let c = "/Bericht/Client";
                let v = format!("{c}/Verzoek");
                b.retour_codes = classes.at(c, &["Verzoek"]);
                let verzoek = &mut b.verzoek;
                verzoek.retour_codes = classes.at(&v, &[]);
                for (i, p) in verzoek.ongewijzigde_producten.iter_mut().enumerate() {
                    p.retour_codes = classes.at(
                        &format!("{v}/OngewijzigdeProducten/OngewijzigdProduct[{}]", i + 1),
                        &[],
                    );
                }
                for (i, p) in verzoek.te_wijzigen_producten.iter_mut().enumerate() {
                    p.retour_codes = classes.at(
                        &format!("{v}/TeWijzigenProducten/TeWijzigenProduct[{}]", i + 1),
                        &[],
                    );
                }
                for (i, p) in verzoek.nieuwe_producten.iter_mut().enumerate() {
                    p.retour_codes =
                        classes.at(&format!("{v}/NieuweProducten/NieuwProduct[{}]", i + 1), &[]);
                }
                b
            }),
        }),
        Content::Answer(h) => Content::AnswerRetour(Retour {
            header,
            body: judged.then(|| {
                let mut b = h.body.clone();
                let a = "/Bericht/Antwoord";
                if let Some(w) = &mut b.woonplaatsbeginsel {
                    w.retour_codes = classes.at(&format!("{a}/Woonplaatsbeginsel"), &[]);
                }
                b.retour_codes = classes.at(a, &["Woonplaatsbeginsel"]);
                b
            }),
        }),
        _ => return None,
    })
}

/// The violations of one message, handed out per class.
struct Classes<'a> {
    found: &'a [Violation],
}

impl Classes<'_> {
    /// The codes of the violations in the class at `path` (not in its nested classes: the
    /// children named in `nested`, and every indexed list item below it), or 0200.
    fn at(&self, path: &str, nested: &[&str]) -> Vec<RetourCode> {
        let mine = self.found.iter().filter(|v| {
            let Some(rest) = v.path.strip_prefix(path) else {
                return false;
            };
            if !(rest.is_empty() || rest.starts_with('/')) {
                return false;
            }
            // Below a list item ("…[n]") or a named nested class: another class's.
            let inner = rest.trim_start_matches('/');
            let first = inner.split('/').next().unwrap_or("");
            let deeper_item = inner.split('/').any(|seg| seg.ends_with(']'));
            !(deeper_item || nested.contains(&first) && !first.is_empty())
        });
        let c = codes(mine);
        if c.is_empty() {
            vec![RetourCode::R0200]
        } else {
            c
        }
    }
}

/// The retourcodes of `violations`, in order, without repeats (0001 for a rule without one).
fn codes<'a>(violations: impl IntoIterator<Item = &'a Violation>) -> Vec<RetourCode> {
    let mut out = Vec::new();
    for v in violations {
        let code = v
            .retourcode
            .and_then(RetourCode::from_code)
            .unwrap_or(RetourCode::R0001);
        if !out.contains(&code) {
            out.push(code);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{Gen, Shape};
    use crate::model::basis::XsdVersie;
    use crate::{Law, MessageKind, MessageType};

    fn violation(rule: &'static str, code: &'static str, path: &str) -> Violation {
        Violation {
            rule,
            retourcode: Some(code),
            path: path.into(),
            message: String::new(),
        }
    }

    fn start_with_two_products() -> Message {
        let kind = MessageKind::new(Law::Ijw, MessageType::M305);
        let mut m = Message::generate(kind, &mut Gen::new(5, Shape::Minimal));
        if let Content::CareStart(h) = &mut m.content {
            let first = h.body.start_producten[0].clone();
            h.body.start_producten = vec![first.clone(), first];
        }
        m
    }

    fn header(m: &Message) -> RetourHeader {
        RetourHeader {
            heen: m.content.header().clone(),
            identificatie_retour: "GGK000000001".into(),
            dagtekening_retour: m.content.header().bericht_identificatie.dagtekening,
            xslt_versie: None,
            xsd_versie_retour: XsdVersie {
                basisschema_xsd_versie: "1.0.0".into(),
                bericht_xsd_versie: "1.0.0".into(),
            },
            retour_codes: vec![RetourCode::R0001],
        }
    }

    #[test]
    fn iv028_a_broken_class_gets_its_code_and_every_other_class_0200() {
        let m = start_with_two_products();
        let found = [violation(
            "TR019",
            "9019",
            "/Bericht/Client/StartProducten/StartProduct[2]",
        )];
        let Some(Content::CareStartRetour(r)) = retour(&m, header(&m), &found) else {
            panic!("a 306");
        };
        assert_eq!(r.header.retour_codes, vec![RetourCode::R0200]);
        let body = r.body.expect("the classes taken over");
        assert_eq!(body.retour_codes, vec![RetourCode::R0200]);
        let codes: Vec<Vec<RetourCode>> = body
            .start_producten
            .iter()
            .map(|p| p.retour_codes.clone())
            .collect();
        assert_eq!(
            codes,
            vec![vec![RetourCode::R0200], vec![RetourCode::R9019]]
        );
        let answer = Message {
            law: m.law,
            content: Content::CareStartRetour(Retour {
                header: r.header,
                body: Some(body),
            }),
        };
        assert_eq!(answer.validate(), vec![], "a schema-valid 306");
    }

    #[test]
    fn iv028_a_header_rule_gives_only_the_header_and_nothing_found_no_codes() {
        let m = start_with_two_products();
        let found = [violation(
            "TR135",
            "8848",
            "/Bericht/Header/BerichtIdentificatie/Dagtekening",
        )];
        let Some(Content::CareStartRetour(r)) = retour(&m, header(&m), &found) else {
            panic!("a 306");
        };
        assert_eq!(r.header.retour_codes, vec![RetourCode::R8848]);
        assert!(r.body.is_none());
        let Some(Content::CareStartRetour(r)) = retour(&m, header(&m), &[]) else {
            panic!("a 306");
        };
        assert!(r.header.retour_codes.is_empty() && r.body.is_none());
    }
}
