//! What a message received from VECOZO means to the store: the provider it is for, the event
//! it becomes, and the keys that tie it to the message ketenpoort sent (correlation).
//!
//! Correlation keys, per kind:
//!
//! - retours (306, 308, 316, 318): the retour copies the heen header, so the provider's AGB
//!   (Afzender), the heen kind and the header's Identificatie name the sent message;
//!   alsAntwoordOp (the traceerId the outbox worker persisted in `o/`) is a second key;
//! - 301 and 319: the ReferentieAanbieder of the 315/317 they answer (a 301 may carry none:
//!   allocations the municipality makes on its own);
//! - 325: the DeclaratieNummer of the 323 (+ AGB), else (a 325 that rejects the claim as a
//!   whole has no body) the 323's Identificatie from DeclaratieIdentificatie.

use std::collections::HashMap;

use ketenpoort_messages::codes::RetourCode;
use ketenpoort_messages::{Content, Message, MessageType};
use quick_xml::events::Event;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::EventBody;

/// A retourcode at a place in the message it judges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetourCodeAt {
    /// Element path of the part judged, e.g. `/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]`.
    pub path: String,
    /// The RetourCode, e.g. `0200`.
    pub code: String,
}

/// A ToegewezenProduct of a received 301.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocatedProduct {
    /// ToewijzingNummer.
    pub allocation_number: u64,
    /// ReferentieAanbieder (empty when absent).
    pub provider_reference: String,
    /// Product Categorie (empty when no product).
    pub category: String,
    /// Product Code (empty when absent).
    pub code: String,
    /// Ingangsdatum (YYYY-MM-DD).
    pub start_date: String,
    /// Einddatum (empty when open).
    pub end_date: String,
    /// Omvang: volume, Eenheid code, Frequentie code; `None` when absent.
    pub extent: Option<(u64, String, String)>,
    /// Budget in eurocent.
    pub budget_cents: Option<u64>,
    /// RedenWijziging code (empty when absent).
    pub change_reason: String,
}

/// A claimed line a 325 rejects, with its codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineVerdict {
    /// ReferentieNummer of the line.
    pub reference_number: String,
    /// Its retourcodes.
    pub codes: Vec<String>,
}

/// How a received message names the message ketenpoort sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Correlation {
    /// A retour: the heen message's kind (e.g. `JW315`) and header Identificatie.
    Heen {
        /// Kind of the sent message.
        kind: String,
        /// Its header Identificatie.
        identificatie: String,
    },
    /// A 301 or 319: ReferentieAanbieder values of the request (315/317) it answers.
    References(Vec<String>),
    /// A 325: the claim's DeclaratieNummer (when the 325 has a body) and Identificatie.
    Declaration {
        /// DeclaratieNummer.
        number: Option<String>,
        /// Header Identificatie of the 323.
        identificatie: String,
    },
    /// Nothing to correlate.
    None,
}

/// What a readable received message means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meaning {
    /// The provider's AGB code (Ontvanger of 301/319/325, Afzender of the retours).
    pub agb: String,
    /// The kind, e.g. `JW316`.
    pub kind: String,
    /// The event.
    pub body: EventBody,
    /// How it names the sent message.
    pub correlation: Correlation,
}

/// The event, provider and correlation keys of `message` (read from `xml`).
pub fn meaning(message: &Message, xml: &str) -> Meaning {
    let kind = message.kind();
    let header = message.content.header();
    let agb = if kind.message_type.municipality_header() {
        header.ontvanger.clone()
    } else {
        header.afzender.clone()
    };
    let prefix = kind.law.code_prefix();
    let (body, correlation) = match &message.content {
        Content::Allocation(h) => {
            let products: Vec<AllocatedProduct> = h
                .body
                .toegewezen_producten
                .iter()
                .map(|p| AllocatedProduct {
                    allocation_number: p.toewijzing_nummer.0,
                    provider_reference: p
                        .referentie_aanbieder
                        .as_ref()
                        .map(|r| r.as_str().to_owned())
                        .unwrap_or_default(),
                    category: p
                        .product
                        .as_ref()
                        .map(|p| p.categorie.code().to_owned())
                        .unwrap_or_default(),
                    code: p
                        .product
                        .as_ref()
                        .and_then(|p| p.code.as_ref())
                        .map(|c| c.as_str().to_owned())
                        .unwrap_or_default(),
                    start_date: p.ingangsdatum.to_string(),
                    end_date: p.einddatum.map(|d| d.to_string()).unwrap_or_default(),
                    extent: p.omvang.as_ref().map(|o| {
                        (
                            o.volume.0,
                            o.eenheid.code().to_owned(),
                            o.frequentie.code().to_owned(),
                        )
                    }),
                    budget_cents: p.budget.map(|b| b.0),
                    change_reason: p
                        .reden_wijziging
                        .map(|r| r.code().to_owned())
                        .unwrap_or_default(),
                })
                .collect();
            let references = products
                .iter()
                .filter(|p| !p.provider_reference.is_empty())
                .map(|p| p.provider_reference.clone())
                .collect();
            (
                EventBody::Allocation {
                    bsn: h.body.bsn.as_str().to_owned(),
                    products,
                },
                Correlation::References(references),
            )
        }
        Content::Answer(h) => (
            EventBody::Answer {
                provider_reference: h.body.referentie_aanbieder.as_str().to_owned(),
                answer: h.body.verzoek_antwoord.code().to_owned(),
                refusal_reason: h
                    .body
                    .reden_afwijzing_verzoek
                    .map(|r| r.code().to_owned())
                    .unwrap_or_default(),
            },
            Correlation::References(vec![h.body.referentie_aanbieder.as_str().to_owned()]),
        ),
        Content::DeclarationAnswer(a) => {
            let mut codes: Vec<String> = a
                .header
                .retour_codes
                .iter()
                .map(|c| c.code().to_owned())
                .collect();
            let mut rejected_lines = Vec::new();
            let (number, totals) = match &a.body {
                Some(b) => {
                    codes.extend(b.retour_codes.iter().map(|c| c.code().to_owned()));
                    for client in &b.clienten {
                        for line in &client.prestaties {
                            rejected_lines.push(LineVerdict {
                                reference_number: line
                                    .product_referentie
                                    .referentie_nummer
                                    .as_str()
                                    .to_owned(),
                                codes: line
                                    .retour_codes
                                    .iter()
                                    .map(|c| c.code().to_owned())
                                    .collect(),
                            });
                        }
                    }
                    (
                        Some(b.declaratie_nummer.as_str().to_owned()),
                        Some((
                            signed(
                                b.totaal_ingediend_bedrag.totaal_bedrag.0,
                                b.totaal_ingediend_bedrag.debet_credit.code(),
                            ),
                            signed(
                                b.totaal_toegekend_bedrag.totaal_bedrag.0,
                                b.totaal_toegekend_bedrag.debet_credit.code(),
                            ),
                        )),
                    )
                }
                None => (None, None),
            };
            let (claimed, granted) = totals.unwrap_or((0, 0));
            (
                EventBody::DeclarationAnswer {
                    declaration_number: number.clone().unwrap_or_default(),
                    total_claimed_cents: claimed,
                    total_granted_cents: granted,
                    codes,
                    rejected_lines,
                },
                Correlation::Declaration {
                    number,
                    identificatie: a
                        .header
                        .declaratie_identificatie
                        .identificatie
                        .as_str()
                        .to_owned(),
                },
            )
        }
        _ if kind.message_type.is_retour() => {
            let codes = retour_codes(xml);
            let accepted = codes.iter().all(|c| c.code == RetourCode::R0200.code());
            let correlation = match kind.message_type.heen() {
                Some(heen) => Correlation::Heen {
                    kind: format!("{prefix}{}", heen.number()),
                    identificatie: header
                        .bericht_identificatie
                        .identificatie
                        .as_str()
                        .to_owned(),
                },
                None => Correlation::None,
            };
            (EventBody::Retour { accepted, codes }, correlation)
        }
        _ => (
            EventBody::Quarantined {
                reason: format!("{kind} is not a message providers receive"),
            },
            Correlation::None,
        ),
    };
    Meaning {
        agb,
        kind: kind.code(),
        body,
        correlation,
    }
}

/// An amount in eurocent with its DebetCredit sign (`C` is negative).
fn signed(amount: u64, debet_credit: &str) -> i64 {
    let magnitude = i64::try_from(amount).unwrap_or(i64::MAX);
    if debet_credit == "C" {
        -magnitude
    } else {
        magnitude
    }
}

/// Every `RetourCode` in `xml`, with the path of the element whose `RetourCodes` hold it.
/// Elements that repeat among their siblings carry a 1-based index (`AangevraagdProduct[2]`).
/// Reads the XML generically, so one walk covers every retour kind; what does not read is
/// skipped.
pub fn retour_codes(xml: &str) -> Vec<RetourCodeAt> {
    let mut reader = quick_xml::Reader::from_str(xml);
    // The open elements as (name, position among same-named siblings).
    let mut path: Vec<(String, usize)> = Vec::new();
    // Per open element (and the document), how often each child name occurred.
    let mut children: Vec<HashMap<String, usize>> = vec![HashMap::new()];
    // Every (parent path, name) → number of such children: decides where an index is shown.
    let mut totals: HashMap<(String, String), usize> = HashMap::new();
    let mut found: Vec<(Vec<(String, usize)>, String)> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.local_name().into_inner().to_owned();
                let n = match children.last_mut() {
                    Some(c) => {
                        let count = c.entry(name.clone()).or_insert(0);
                        *count += 1;
                        *count
                    }
                    None => 1,
                };
                totals.insert((key_of(&path), name.clone()), n);
                path.push((name, n));
                children.push(HashMap::new());
                text.clear();
            }
            Ok(Event::Text(t)) => {
                text.push_str(&t);
            }
            Ok(Event::End(_)) => {
                children.pop();
                let Some((name, _)) = path.pop() else { break };
                if name == "RetourCode" && path.last().is_some_and(|(p, _)| p == "RetourCodes") {
                    let owner = path[..path.len() - 1].to_vec();
                    found.push((owner, text.trim().to_owned()));
                }
                text.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    found
        .into_iter()
        .map(|(owner, code)| {
            let mut rendered = String::new();
            for (depth, (name, n)) in owner.iter().enumerate() {
                rendered.push('/');
                rendered.push_str(name);
                let parent = key_of(&owner[..depth]);
                if totals.get(&(parent, name.clone())).is_some_and(|t| *t > 1) {
                    rendered.push_str(&format!("[{n}]"));
                }
            }
            RetourCodeAt {
                path: rendered,
                code,
            }
        })
        .collect()
}

/// A positional path as a map key.
fn key_of(path: &[(String, usize)]) -> String {
    path.iter()
        .map(|(name, n)| format!("/{name}[{n}]"))
        .collect()
}

// === SentIndex ===

/// Keys from sent messages to their ids, for correlation, kept in the store beside the
/// history (`h/s/` AGB kind Identificatie, `h/q/` law AGB ReferentieAanbieder, `h/t/`
/// traceerId; value: the message id, u64 BE) and written in the batch that stores the
/// message or its push. Nothing of it is held in memory.
pub struct SentIndex;

fn text_key(tag: &[u8], parts: &[&str]) -> Vec<u8> {
    let mut k = tag.to_vec();
    for p in parts {
        k.extend_from_slice(p.as_bytes());
        k.push(0);
    }
    k
}

impl SentIndex {
    /// The keys that find sent message `id`.
    pub fn sent(id: u64, message: &Message) -> Vec<(Vec<u8>, Vec<u8>)> {
        let kind = message.kind();
        let header = message.content.header();
        let agb = header.afzender.as_str();
        let value = id.to_be_bytes().to_vec();
        let mut out = vec![(
            text_key(
                b"h/s/",
                &[
                    agb,
                    &kind.code(),
                    header.bericht_identificatie.identificatie.as_str(),
                ],
            ),
            value.clone(),
        )];
        let references: Vec<&str> = match &message.content {
            Content::RequestForAllocation(h) => h
                .body
                .aangevraagde_producten
                .iter()
                .map(|p| p.referentie_aanbieder.as_str())
                .collect(),
            Content::ChangeRequest(h) => vec![h.body.verzoek.referentie_aanbieder.as_str()],
            _ => Vec::new(),
        };
        for r in references {
            out.push((
                text_key(b"h/q/", &[kind.law.code_prefix(), agb, r]),
                value.clone(),
            ));
        }
        out
    }

    /// The key that finds the message the outbox worker pushes with `traceer_id`.
    pub fn pushed(traceer_id: Uuid, id: u64) -> (Vec<u8>, Vec<u8>) {
        let mut k = b"h/t/".to_vec();
        k.extend_from_slice(traceer_id.as_bytes());
        (k, id.to_be_bytes().to_vec())
    }

    /// The sent message `correlation` names for provider `agb` under the law with code
    /// `prefix` (`JW`, `WMO`), or the one pushed with `als_antwoord_op`. Declarations are
    /// looked up by number in the store (`d/`) by the caller; here only by Identificatie.
    pub fn find(
        kv: &dyn super::index::Kv,
        correlation: &Correlation,
        agb: &str,
        prefix: &str,
        als_antwoord_op: Option<Uuid>,
    ) -> Result<Option<u64>, crate::error::Error> {
        let id = |k: Vec<u8>| -> Result<Option<u64>, crate::error::Error> {
            Ok(kv
                .get(&k)?
                .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
                .map(u64::from_be_bytes))
        };
        let found = match correlation {
            Correlation::Heen {
                kind,
                identificatie,
            } => id(text_key(b"h/s/", &[agb, kind, identificatie]))?,
            Correlation::References(refs) => {
                let mut found = None;
                for r in refs {
                    found = id(text_key(b"h/q/", &[prefix, agb, r]))?;
                    if found.is_some() {
                        break;
                    }
                }
                found
            }
            Correlation::Declaration { identificatie, .. } => {
                let kind = format!("{prefix}{}", MessageType::M323.number());
                id(text_key(b"h/s/", &[agb, &kind, identificatie]))?
            }
            Correlation::None => None,
        };
        match (found, als_antwoord_op) {
            (Some(f), _) => Ok(Some(f)),
            (None, Some(t)) => id(Self::pushed(t, 0).0),
            (None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests;
