//! A whole conversation with the municipality bot through the HTTPS API, for both laws:
//! 315 → 316 + 301 → 302; 305 → 306; two 323s → 325s judged by the rules; 307 → 308. Every
//! answer pulled is checked against the official XSD with xmllint (iJw; the iWmo retours have
//! no XSD of their own in the standards directory).
//!
//! The expected 325 is worked out from the rule texts of the standard (JW/WMO TR307, TR314,
//! TR321, TR342, IV087), not from running the rules:
//!
//! Allocations (from one 315, 4 uur per week each): A = 45A48 1 May – 31 Dec 2025,
//! B = 45A49 1 June – 31 Dec 2025, C = 45A50 1 May – 31 Dec 2025 (iWmo: category 02).
//!
//! - 323 D1 (May): A, May, 16 uur. May 2025 touches 5 calendar weeks (28 Apr – 1 Jun), so
//!   at most 5 × 4 = 20 uur (TR321, IV077): fully accepted ⇒ header 0200, DeclaratieAntwoord
//!   8001, TotaalToegekendBedrag = TotaalIngediendBedrag, no clients (IV087).
//! - 323 D2 (June):
//!   - L1 `A` June, 10 uur: June 2025 touches 6 weeks (26 May – 6 Jul), 24 uur allowed: valid,
//!     not listed (TR342).
//!   - L2 `B` May, 8 uur: begins before B's Ingangsdatum 1 June ⇒ TR307 → 9307. TR387/TR388
//!     hold (1 and 31 May: B starts in another month). TR321 → 9321 as well: the volume that
//!     may be claimed is counted over the ProductPeriode within the allocation (IV077; the
//!     product period runs from max(first of the month, Ingangsdatum), DOMAIN.md), which for
//!     May is empty, so 0 uur is allocated and 8 does not fit. (Read against the ProductPeriode
//!     alone, TR321's text would allow 5 weeks × 4 = 20; the standard does not settle it.)
//!   - L3 `B` June, 30 uur: more than 6 × 4 = 24 ⇒ TR321 → 9321.
//!   - L4 `C` June, 5 uur, ReferentieNummer of D1's line ⇒ TR314 → 8021.
//!
//!   ⇒ header 0200; one client with retourcode 0200 listing L2, L3, L4 with exactly these
//!   codes; DeclaratieAntwoord 0200; TotaalToegekendBedrag = 318 000 − 258 000 = 60 000 cent
//!   (TR342: the listed lines explain the difference).

use crate::common;

use chrono::NaiveDate;
use common::*;
use ketenpoort_messages::codes::*;
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::care::{
    CareStartClient, CareStopClient, StartProduct, StopProduct,
};
use ketenpoort_messages::model::declaration::{Declaratie, DeclaratieClient, Prestatie};
use ketenpoort_messages::model::header::{Header, RetourHeader};
use ketenpoort_messages::model::request::{AangevraagdProduct, RequestClient};
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, Heen, Law, Message, Retour};
use serde_json::Value;
use uuid::Uuid;

const BSN: &str = "123456782";
const DAY: u64 = 24 * 3600;
const TARIEF: u64 = 6000; // eurocent per uur

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn prefix(law: Law) -> &'static str {
    match law {
        Law::Ijw => "JW",
        Law::Iwmo => "WMO",
    }
}

fn categorie(law: Law) -> ProductCategorie {
    match law {
        Law::Ijw => ProductCategorie::C45,
        Law::Iwmo => ProductCategorie::C02,
    }
}

fn code(law: Law, n: u32) -> String {
    match law {
        Law::Ijw => format!("45A{}", 47 + n),
        Law::Iwmo => format!("02A0{n}"),
    }
}

fn header(identificatie: &str, dagtekening: NaiveDate) -> Header {
    Header {
        afzender: PROVIDER.into(),
        ontvanger: GEMEENTE.into(),
        bericht_identificatie: BerichtIdentificatie {
            identificatie: identificatie.into(),
            dagtekening,
        },
        xsd_versie: XsdVersie {
            basisschema_xsd_versie: "1.0.0".into(),
            bericht_xsd_versie: "1.0.0".into(),
        },
    }
}

fn naam() -> VerkorteNaam {
    VerkorteNaam {
        geslachtsnaam: Achternaam {
            achternaam: "Jansen".into(),
            voorvoegsel: None,
        },
        voornamen: None,
        voorletters: Some("A".into()),
    }
}

fn geboortedatum() -> Geboortedatum {
    Geboortedatum {
        datum: d(2012, 5, 17),
        datum_gebruik: None,
    }
}

fn requested(law: Law, n: u32, from: NaiveDate) -> AangevraagdProduct {
    AangevraagdProduct {
        referentie_aanbieder: format!("REF-{n}").as_str().into(),
        beschikking_nummer: None,
        product: Some(Product {
            categorie: categorie(law),
            code: Some(code(law, n).as_str().into()),
        }),
        beschikking_ingangsdatum: None,
        toewijzing_ingangsdatum: from,
        toewijzing_einddatum: Some(d(2025, 12, 31)),
        omvang: Some(Omvang {
            volume: Volume(4),
            eenheid: Eenheid::Uur,
            frequentie: Frequentie::PerWeek,
        }),
        budget: None,
        verwijzer: Verwijzer {
            type_: TypeVerwijzer::T02,
            naam: None,
            zorgverlener_code: Some("01234567".into()),
        },
        raamcontract: None,
        commentaar: None,
        retour_codes: vec![],
    }
}

fn request(law: Law) -> Message {
    Message {
        law,
        content: Content::RequestForAllocation(Heen {
            header: header("VOT1", d(2025, 4, 1)),
            body: RequestClient {
                bsn: BSN.into(),
                geboortedatum: geboortedatum(),
                geslacht: Geslacht::Vrouw,
                naam: naam(),
                gezagsdrager_bekend: (law == Law::Ijw).then_some(JaNee::Ja),
                commentaar: None,
                aangevraagde_producten: vec![
                    requested(law, 1, d(2025, 5, 1)),
                    requested(law, 2, d(2025, 6, 1)),
                    requested(law, 3, d(2025, 5, 1)),
                ],
                retour_codes: vec![],
            },
        }),
    }
}

fn care_start(law: Law, nummer: u64) -> Message {
    Message {
        law,
        content: Content::CareStart(Heen {
            header: header("START1", d(2025, 7, 1)),
            body: CareStartClient {
                bsn: BSN.into(),
                geboortedatum: geboortedatum(),
                geslacht: Geslacht::Vrouw,
                naam: naam(),
                start_producten: vec![StartProduct {
                    toewijzing_nummer: Some(Nummer(nummer)),
                    product: Some(Product {
                        categorie: categorie(law),
                        code: Some(code(law, 1).as_str().into()),
                    }),
                    toewijzing_ingangsdatum: Some(d(2025, 5, 1)),
                    begindatum: d(2025, 5, 5),
                    status_aanlevering: StatusAanlevering::EersteAanlevering,
                    retour_codes: vec![],
                }],
                retour_codes: vec![],
            },
        }),
    }
}

fn stop(law: Law, nummer: u64) -> Message {
    Message {
        law,
        content: Content::CareStop(Heen {
            header: header("STOP1", d(2025, 7, 15)),
            body: CareStopClient {
                bsn: BSN.into(),
                geboortedatum: geboortedatum(),
                geslacht: Geslacht::Vrouw,
                naam: naam(),
                stop_producten: vec![StopProduct {
                    toewijzing_nummer: Some(Nummer(nummer)),
                    product: Some(Product {
                        categorie: categorie(law),
                        code: Some(code(law, 1).as_str().into()),
                    }),
                    toewijzing_ingangsdatum: Some(d(2025, 5, 1)),
                    begindatum: d(2025, 5, 5),
                    reden_beeindiging: RedenBeeindiging::R02,
                    einddatum: d(2025, 7, 10),
                    status_aanlevering: StatusAanlevering::EersteAanlevering,
                    retour_codes: vec![],
                }],
                retour_codes: vec![],
            },
        }),
    }
}

/// A debit line of `uur` hours for product `n` (allocation `nummer`) in the month of `begin`.
fn line(
    law: Law,
    referentie: &str,
    nummer: u64,
    n: u32,
    begin: NaiveDate,
    end: NaiveDate,
    uur: u64,
) -> Prestatie {
    Prestatie {
        product_referentie: ProductReferentie {
            referentie_nummer: referentie.into(),
            vorig_referentie_nummer: None,
        },
        toewijzing_nummer: Nummer(nummer),
        product_categorie: categorie(law),
        product_code: code(law, n).as_str().into(),
        product_periode: GeslotenPeriode {
            begindatum: begin,
            einddatum: end,
        },
        geleverd_volume: Volume(uur),
        eenheid: Eenheid::Uur,
        product_tarief: Some(Bedrag(TARIEF)),
        ingediend_bedrag: BedragMetDc {
            bedrag: Bedrag(uur * TARIEF),
            debet_credit: DebetCredit::Debet,
        },
        retour_codes: vec![],
    }
}

fn claim(
    law: Law,
    identificatie: &str,
    nummer: &str,
    month: (NaiveDate, NaiveDate),
    lines: Vec<Prestatie>,
) -> Message {
    let total: u64 = lines.iter().map(|l| l.ingediend_bedrag.bedrag.0).sum();
    Message {
        law,
        content: Content::Declaration(Heen {
            header: header(identificatie, d(2025, 7, 2)),
            body: Declaratie {
                declaratie_nummer: nummer.into(),
                declaratie_periode: GeslotenPeriode {
                    begindatum: month.0,
                    einddatum: month.1,
                },
                declaratie_dagtekening: d(2025, 7, 2),
                totaal_ingediend_bedrag: TotaalBedragMetDc {
                    totaal_bedrag: TotaalBedrag(total),
                    debet_credit: DebetCredit::Debet,
                },
                clienten: vec![DeclaratieClient {
                    bsn: BSN.into(),
                    prestaties: lines,
                    retour_codes: vec![],
                }],
            },
        }),
    }
}

/// The provider's 302 on a 301: the 301's header copied unchanged, no retourcodes.
fn retour_302(law: Law, heen: &Header) -> Message {
    Message {
        law,
        content: Content::AllocationRetour(Retour {
            header: RetourHeader {
                heen: heen.clone(),
                identificatie_retour: "RET302".into(),
                dagtekening_retour: d(2025, 4, 4),
                xslt_versie: None,
                xsd_versie_retour: XsdVersie {
                    basisschema_xsd_versie: "1.0.0".into(),
                    bericht_xsd_versie: "1.0.0".into(),
                },
                retour_codes: vec![],
            },
            body: None,
        }),
    }
}

fn subtype(law: Law, n: u16) -> String {
    format!("{}{n}", prefix(law))
}

/// Pushes `message` as PROVIDER; returns its traceerId.
async fn push(h: &Harness, message: &Message, als_antwoord_op: Option<Uuid>) -> Uuid {
    let traceer = Uuid::new_v4();
    let kind = message.kind();
    let mut meta = metadata(PROVIDER, GEMEENTE, &kind.code(), traceer, Uuid::new_v4());
    meta["routeringgegevens"]["berichtstroom"]["berichttype"] = prefix(message.law).into();
    if let Some(a) = als_antwoord_op {
        meta["referentiegegevens"]["alsAntwoordOp"] = a.to_string().into();
    }
    let r = h.push(&h.client(PROVIDER), &meta, xml(message)).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap_or_default());
    traceer
}

/// A message the provider pulled: envelope and parsed payload.
struct Pulled {
    meta: Value,
    message: Message,
}

impl Pulled {
    fn als_antwoord_op(&self) -> Option<String> {
        self.meta["referentiegegevens"]["alsAntwoordOp"]
            .as_str()
            .map(str::to_owned)
    }
    fn traceer(&self) -> Uuid {
        self.meta["referentiegegevens"]["traceerId"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .expect("traceerId")
    }
}

/// Pulls everything ready for PROVIDER, downloads and confirms each message.
async fn pull_all(h: &Harness) -> Vec<Pulled> {
    let c = h.client(PROVIDER);
    let list: Vec<Value> = c
        .get(h.pull_url(""))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let mut out = Vec::new();
    for meta in list {
        let url = meta["basisgegevens"]["payload"]["url"]
            .as_str()
            .expect("url")
            .to_owned();
        let bytes = c
            .get(&url)
            .send()
            .await
            .expect("payload")
            .bytes()
            .await
            .expect("bytes");
        let message = Message::from_xml(&bytes).expect("a valid message");
        // Every answer of the municipality validates against its official XSD.
        assert_xsd_valid("conversation", &message.kind().code(), &bytes);
        let traceer = meta["referentiegegevens"]["traceerId"]
            .as_str()
            .expect("traceerId")
            .to_owned();
        let r = c
            .delete(h.pull_url(&format!("/{traceer}")))
            .send()
            .await
            .expect("delete");
        assert_eq!(r.status(), 202);
        out.push(Pulled { meta, message });
    }
    out
}

fn one(mut pulled: Vec<Pulled>, what: &str) -> Pulled {
    assert_eq!(pulled.len(), 1, "expected one {what}, got {}", pulled.len());
    pulled.remove(0)
}

async fn conversation(law: Law) {
    let h = start().await;
    let p = prefix(law);

    // 315 at Wednesday 2 April 2025 08:00 → 316 within 1 working day, 301 within 2.
    let vot = request(law);
    let t315 = push(&h, &vot, None).await;
    h.advance(DAY + 600).await;
    let r316 = one(pull_all(&h).await, "316");
    assert_eq!(r316.message.kind().code(), subtype(law, 316));
    assert_eq!(r316.als_antwoord_op(), Some(t315.to_string()));
    assert_eq!(r316.meta["routeringgegevens"]["afzender"]["code"], GEMEENTE);
    let Content::RequestForAllocationRetour(retour) = &r316.message.content else {
        panic!("not a 316");
    };
    assert_eq!(
        retour.header.heen,
        *vot.content.header(),
        "header copied unchanged"
    );
    assert!(
        retour.header.retour_codes.is_empty(),
        "accepted: no retourcodes"
    );
    assert!(retour.body.is_none(), "accepted: header only");
    assert_ne!(r316.traceer(), t315);

    h.advance(DAY).await;
    let r301 = one(pull_all(&h).await, "301");
    assert_eq!(r301.als_antwoord_op(), Some(t315.to_string()));
    let Content::Allocation(toewijzing) = &r301.message.content else {
        panic!("not a 301: {}", r301.message.kind());
    };
    assert_eq!(toewijzing.header.afzender, GEMEENTE);
    assert_eq!(toewijzing.header.ontvanger, PROVIDER);
    let producten = &toewijzing.body.toegewezen_producten;
    assert_eq!(producten.len(), 3);
    let mut nummers = Vec::new();
    for (i, tp) in producten.iter().enumerate() {
        let n = u32::try_from(i + 1).expect("n");
        assert_eq!(
            tp.referentie_aanbieder.as_ref().map(|r| r.0.clone()),
            Some(format!("REF-{n}"))
        );
        assert_eq!(
            tp.product
                .as_ref()
                .and_then(|p| p.code.as_ref())
                .map(|c| c.0.clone()),
            Some(code(law, n))
        );
        // Allocated on Friday 4 April at the time the 315 reached the municipality.
        assert_eq!(tp.toewijzingsdatum, d(2025, 4, 4));
        assert_eq!(tp.toewijzingstijd.to_string(), "08:02:10");
        assert_eq!(tp.einddatum, Some(d(2025, 12, 31)));
        nummers.push(tp.toewijzing_nummer.0);
    }
    assert_eq!(producten[1].ingangsdatum, d(2025, 6, 1));
    let (a, b, c) = (nummers[0], nummers[1], nummers[2]);
    assert!(a != b && b != c && a != c, "distinct ToewijzingNummers");

    // 302 on the 301, linked by alsAntwoordOp.
    let t302 = push(
        &h,
        &retour_302(law, &toewijzing.header),
        Some(r301.traceer()),
    )
    .await;
    h.advance(600).await;
    let counts = h.counts().await;
    assert_eq!(counts["gemeentebot"]["ontvangen"][subtype(law, 302)], 1);
    assert_eq!(
        counts["perTraceerId"][t302.to_string()]["status"],
        "Bezorgd"
    );

    // Three months on: 1 July 2025, a Tuesday.
    h.advance(88 * DAY).await;
    assert!(pull_all(&h).await.is_empty());

    // 305 → 306.
    let t305 = push(&h, &care_start(law, a), None).await;
    h.advance(DAY + 600).await;
    let r306 = one(pull_all(&h).await, "306");
    assert_eq!(r306.message.kind().code(), subtype(law, 306));
    assert_eq!(r306.als_antwoord_op(), Some(t305.to_string()));
    let Content::CareStartRetour(retour) = &r306.message.content else {
        panic!("not a 306");
    };
    assert!(retour.header.retour_codes.is_empty() && retour.body.is_none());

    // Two claims, pushed together on Wednesday 2 July.
    let may = (d(2025, 5, 1), d(2025, 5, 31));
    let june = (d(2025, 6, 1), d(2025, 6, 30));
    let d1 = claim(
        law,
        "DECL1",
        "D1",
        may,
        vec![line(law, "R-A", a, 1, may.0, may.1, 16)],
    );
    let d2 = claim(
        law,
        "DECL2",
        "D2",
        june,
        vec![
            line(law, "R-B1", a, 1, june.0, june.1, 10),
            line(law, "R-B2", b, 2, may.0, may.1, 8),
            line(law, "R-B3", b, 2, june.0, june.1, 30),
            line(law, "R-A", c, 3, june.0, june.1, 5),
        ],
    );
    let t323a = push(&h, &d1, None).await;
    let t323b = push(&h, &d2, None).await;
    // 325 within 5 working days: Wednesday 9 July.
    h.advance(4 * DAY).await;
    assert!(
        pull_all(&h).await.is_empty(),
        "no 325 before 5 working days"
    );
    h.advance(4 * DAY).await;
    let answers = pull_all(&h).await;
    assert_eq!(answers.len(), 2);
    for r in &answers {
        assert_eq!(r.message.kind().code(), subtype(law, 325));
    }
    let answer = |t: Uuid| {
        answers
            .iter()
            .find(|r| r.als_antwoord_op() == Some(t.to_string()))
            .and_then(|r| match &r.message.content {
                Content::DeclarationAnswer(a) => Some(a.clone()),
                _ => None,
            })
            .expect("a 325 answering the 323")
    };

    // D1: fully accepted.
    let a1 = answer(t323a);
    assert_eq!(a1.header.retour_codes, vec![RetourCode::R0200]);
    assert_eq!(
        a1.header.declaratie_identificatie,
        d1.content.header().bericht_identificatie
    );
    let body = a1.body.expect("DeclaratieAntwoord");
    assert_eq!(body.declaratie_nummer.0, "D1");
    assert_eq!(body.retour_codes, vec![RetourCode::R8001]);
    assert_eq!(body.totaal_toegekend_bedrag.totaal_bedrag.0, 16 * TARIEF);
    assert_eq!(body.totaal_ingediend_bedrag.totaal_bedrag.0, 16 * TARIEF);
    assert!(body.clienten.is_empty());

    // D2: L1 approved, L2 9307 + 9321, L3 9321, L4 8021.
    let a2 = answer(t323b);
    assert_eq!(a2.header.retour_codes, vec![RetourCode::R0200]);
    let body = a2.body.expect("DeclaratieAntwoord");
    assert_eq!(body.declaratie_nummer.0, "D2");
    assert_eq!(body.retour_codes, vec![RetourCode::R0200]);
    assert_eq!(body.totaal_ingediend_bedrag.totaal_bedrag.0, 53 * TARIEF);
    assert_eq!(body.totaal_toegekend_bedrag.totaal_bedrag.0, 10 * TARIEF);
    assert_eq!(
        body.totaal_toegekend_bedrag.debet_credit,
        DebetCredit::Debet
    );
    assert_eq!(body.clienten.len(), 1);
    let client = &body.clienten[0];
    assert_eq!(client.bsn.0, BSN);
    assert_eq!(client.retour_codes, vec![RetourCode::R0200]);
    let listed: Vec<(String, Vec<&str>)> = client
        .prestaties
        .iter()
        .map(|l| {
            (
                l.product_referentie.referentie_nummer.0.clone(),
                l.retour_codes.iter().map(|c| c.code()).collect(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("R-B2".to_owned(), vec!["9307", "9321"]),
            ("R-B3".to_owned(), vec!["9321"]),
            ("R-A".to_owned(), vec!["8021"]),
        ]
    );

    // 307 → 308.
    let t307 = push(&h, &stop(law, a), None).await;
    h.advance(DAY + 600).await;
    let r308 = one(pull_all(&h).await, "308");
    assert_eq!(r308.message.kind().code(), subtype(law, 308));
    assert_eq!(r308.als_antwoord_op(), Some(t307.to_string()));

    let counts = h.counts().await;
    let bot = &counts["gemeentebot"];
    for (n, sent) in [(301, 1), (306, 1), (308, 1), (316, 1), (325, 2)] {
        assert_eq!(bot["verzonden"][subtype(law, n)], sent, "{p}{n}");
    }
    assert_eq!(bot["gepland"], 0);
}

#[tokio::test]
async fn a_jeugdwet_conversation_with_the_municipality() {
    conversation(Law::Ijw).await;
}

#[tokio::test]
async fn a_wmo_conversation_with_the_municipality() {
    conversation(Law::Iwmo).await;
}

/// A scenario whose ketencontrole leaves the in-message rules to the municipality.
fn rules_at_the_municipality() -> ketenpoort_sim::Scenario {
    let mut s = ketenpoort_sim::Scenario::default();
    s.ketencontrole.regels_controleren = false;
    s
}

#[tokio::test]
async fn a_323_that_breaks_an_in_message_rule_gets_a_325_with_0001() {
    let h = start_with(rules_at_the_municipality()).await;
    h.advance(62 * DAY).await;
    // TotaalIngediendBedrag is not the sum of the lines: TR358, an in-message rule (0001).
    let t323 = push_323(&h, claim_323("DECL1", "D1", 100000001, 10, Some(1))).await;
    h.advance(10 * DAY).await;
    let r325 = one(pull_all(&h).await, "325");
    assert_eq!(r325.als_antwoord_op(), Some(t323.to_string()));
    let Content::DeclarationAnswer(a) = &r325.message.content else {
        panic!("not a 325");
    };
    // IV087 controleniveau 2: only the header, with 0001 and the XsltVersie.
    assert_eq!(a.header.retour_codes, vec![RetourCode::R0001]);
    assert!(a.header.xslt_versie.is_some());
    assert_eq!(a.header.declaratie_identificatie.identificatie.0, "DECL1");
    assert!(a.body.is_none());
}

#[tokio::test]
async fn a_315_that_breaks_an_in_message_rule_gets_a_316_with_0001_and_nothing_else() {
    let h = start_with(rules_at_the_municipality()).await;
    // A BSN that fails the 11-proef: CS002, an in-message rule (0001).
    let t = Uuid::new_v4();
    let m = metadata(PROVIDER, GEMEENTE, "JW315", t, Uuid::new_v4());
    let payload = xml(&request_315_model(PROVIDER, "ID1", "123456789"));
    assert_eq!(h.push(&h.client(PROVIDER), &m, payload).await.status(), 204);
    h.advance(5 * DAY).await;
    let r316 = one(pull_all(&h).await, "316 and no 301");
    assert_eq!(r316.als_antwoord_op(), Some(t.to_string()));
    let Content::RequestForAllocationRetour(retour) = &r316.message.content else {
        panic!("not a 316");
    };
    assert_eq!(retour.header.retour_codes, vec![RetourCode::R0001]);
    assert!(retour.body.is_none());
}

#[tokio::test]
async fn a_refused_referrer_type_gets_a_319_instead_of_an_allocation() {
    let mut scenario = ketenpoort_sim::Scenario::default();
    scenario.gemeentebot.weiger_verwijzertypen = vec!["06".into(), "07".into()];
    let h = start_with(scenario).await;
    let mut vot = request(Law::Ijw);
    if let Content::RequestForAllocation(heen) = &mut vot.content {
        heen.body.aangevraagde_producten[1].verwijzer = Verwijzer {
            type_: TypeVerwijzer::T06,
            naam: None,
            zorgverlener_code: None,
        };
    }
    let t315 = push(&h, &vot, None).await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(&h).await;
    let mut kinds: Vec<String> = pulled.iter().map(|p| p.message.kind().code()).collect();
    kinds.sort();
    assert_eq!(kinds, ["JW301", "JW316", "JW319"]);
    for p in &pulled {
        assert_eq!(p.als_antwoord_op(), Some(t315.to_string()));
        match &p.message.content {
            Content::Answer(a) => {
                assert_eq!(a.body.referentie_aanbieder.0, "REF-2");
                assert_eq!(a.body.verzoek_antwoord, VerzoekAntwoord::Afgewezen);
            }
            Content::Allocation(a) => {
                let refs: Vec<String> = a
                    .body
                    .toegewezen_producten
                    .iter()
                    .filter_map(|p| p.referentie_aanbieder.as_ref().map(|r| r.0.clone()))
                    .collect();
                assert_eq!(refs, ["REF-1", "REF-3"]);
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_change_request_gets_a_318_and_a_301_with_the_changes() {
    use ketenpoort_messages::model::change::{
        ChangeRequestClient, OngewijzigdProduct, TeWijzigenProduct, Verzoek,
    };
    let h = start().await;
    push(&h, &request(Law::Ijw), None).await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(&h).await;
    let allocation = pulled
        .iter()
        .find_map(|p| match &p.message.content {
            Content::Allocation(a) => Some(a.body.toegewezen_producten.clone()),
            _ => None,
        })
        .expect("a 301");
    let (a, b, c) = (
        allocation[0].toewijzing_nummer.0,
        allocation[1].toewijzing_nummer.0,
        allocation[2].toewijzing_nummer.0,
    );
    // Keep B and C, raise A to 6 uur per week from 1 June. The 317 names every current
    // allocation of the client (TR349; without B it would get 9349).
    let vow = Message {
        law: Law::Ijw,
        content: Content::ChangeRequest(Heen {
            // Dated the day it is sent: a Dagtekening in the future gets 8848 (TR135).
            header: header("VOW1", d(2025, 4, 5)),
            body: ChangeRequestClient {
                bsn: BSN.into(),
                verzoek: Verzoek {
                    referentie_aanbieder: "VOW-1".into(),
                    reden_verzoek: RedenVerzoek::WijzigingToewijzing,
                    ongewijzigde_producten: vec![
                        OngewijzigdProduct {
                            toewijzing_nummer: Nummer(b),
                            retour_codes: vec![],
                        },
                        OngewijzigdProduct {
                            toewijzing_nummer: Nummer(c),
                            retour_codes: vec![],
                        },
                    ],
                    te_wijzigen_producten: vec![TeWijzigenProduct {
                        toewijzing_nummer: Nummer(a),
                        gewenste_ingangsdatum: d(2025, 6, 1),
                        einddatum: Some(d(2025, 12, 31)),
                        omvang: Some(Omvang {
                            volume: Volume(6),
                            eenheid: Eenheid::Uur,
                            frequentie: Frequentie::PerWeek,
                        }),
                        budget: None,
                        retour_codes: vec![],
                    }],
                    nieuwe_producten: vec![],
                    retour_codes: vec![],
                },
                retour_codes: vec![],
            },
        }),
    };
    // Pushed on Saturday 5 April: the 301 comes two working days later, Tuesday 8 April.
    let t317 = push(&h, &vow, None).await;
    h.advance(3 * DAY + 3600).await;
    let pulled = pull_all(&h).await;
    let mut kinds: Vec<String> = pulled.iter().map(|p| p.message.kind().code()).collect();
    kinds.sort();
    assert_eq!(kinds, ["JW301", "JW318"]);
    assert!(
        pulled
            .iter()
            .all(|p| p.als_antwoord_op() == Some(t317.to_string()))
    );
    let products = pulled
        .iter()
        .find_map(|p| match &p.message.content {
            Content::Allocation(a) => Some(a.body.toegewezen_producten.clone()),
            _ => None,
        })
        .expect("a 301");
    // IV093: B and C unchanged, A ended the day before 1 June, a new allocation from 1 June;
    // all with the 317's ReferentieAanbieder.
    assert_eq!(products.len(), 4);
    assert!(
        products
            .iter()
            .all(|p| p.referentie_aanbieder.as_ref().map(|r| r.0.as_str()) == Some("VOW-1"))
    );
    let find = |n: u64| products.iter().find(|p| p.toewijzing_nummer.0 == n);
    let kept = find(c).expect("C");
    assert_eq!(kept.reden_wijziging, None);
    assert_eq!(kept.einddatum, Some(d(2025, 12, 31)));
    let ended = find(a).expect("A");
    assert_eq!(ended.einddatum, Some(d(2025, 5, 31)));
    assert_eq!(ended.reden_wijziging, Some(RedenWijziging::R12));
    let new = products
        .iter()
        .find(|p| ![a, b, c].contains(&p.toewijzing_nummer.0))
        .expect("new allocation");
    assert_eq!(new.ingangsdatum, d(2025, 6, 1));
    assert_eq!(new.omvang.as_ref().map(|o| o.volume.0), Some(6));
}
