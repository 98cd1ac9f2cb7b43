//! Cross-message rules (controleniveau 3) of the 323 Declaratie and the 325
//! Declaratie-antwoord: for each rule a passing and a failing case against a [`MemoryHistory`],
//! taken from the rule's text or its worked example (IV077, IV078, IV089, IV090, IV091), and
//! the DOMAIN.md scenario of a claim with valid lines, lines outside the allocation, one over
//! volume and one duplicate ReferentieNummer.
//!
//! Every message checked is schema-valid and passes the in-message rules, so that what fires
//! is the cross-message rule alone.

use chrono::{NaiveDate, NaiveTime};
use ketenpoort_messages::codes::*;
use ketenpoort_messages::message::DeclarationAnswer;
use ketenpoort_messages::model::allocation::{AllocationClient, Contact, ToegewezenProduct};
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::declaration::{
    Declaratie, DeclaratieAntwoord, DeclaratieClient, Prestatie,
};
use ketenpoort_messages::model::header::{DeclarationAnswerHeader, Header};
use ketenpoort_messages::money;
use ketenpoort_messages::rules::cross::{History, LineStatus, MemoryHistory, Scope};
use ketenpoort_messages::rules::{self, cross};
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, Heen, Law, Message, Violation};

const AGB: &str = "12345678";
const GEMEENTE: &str = "0268";
const BSN_A: &str = "111222333";
const BSN_B: &str = "123456782";
const BSN_C: &str = "999999990";
/// Hour tariff €87,24.
const HOUR_TARIFF: u64 = 8724;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a real date")
}

fn scope() -> Scope {
    Scope {
        law: Law::Ijw,
        aanbieder: AGB.into(),
        gemeente: GEMEENTE.into(),
    }
}

fn header(provider: bool, dagtekening: NaiveDate, id: &str) -> Header {
    let (afzender, ontvanger) = if provider {
        (AGB, GEMEENTE)
    } else {
        (GEMEENTE, AGB)
    };
    Header {
        afzender: afzender.into(),
        ontvanger: ontvanger.into(),
        bericht_identificatie: BerichtIdentificatie {
            identificatie: id.into(),
            dagtekening,
        },
        xsd_versie: XsdVersie {
            basisschema_xsd_versie: "1.0.0".into(),
            bericht_xsd_versie: "1.0.0".into(),
        },
    }
}

fn omvang(volume: u64, eenheid: Eenheid, frequentie: Frequentie) -> Option<Omvang> {
    Some(Omvang {
        volume: Volume(volume),
        eenheid,
        frequentie,
    })
}

/// An allocated product of category 45 with `code`.
fn allocated(
    nummer: u64,
    code: &str,
    start: NaiveDate,
    end: Option<NaiveDate>,
    omvang: Option<Omvang>,
) -> ToegewezenProduct {
    ToegewezenProduct {
        toewijzing_nummer: Nummer(nummer),
        referentie_aanbieder: None,
        product: Some(Product {
            categorie: ProductCategorie::C45,
            code: Some(code.into()),
        }),
        toewijzingsdatum: d(2025, 2, 10),
        toewijzingstijd: NaiveTime::from_hms_opt(10, 0, 0).expect("a real time"),
        ingangsdatum: start,
        einddatum: end,
        reden_wijziging: None,
        omvang,
        budget: None,
        commentaar: None,
        retour_codes: vec![],
    }
}

/// A 301 for the client with `bsn`.
fn allocation(bsn: &str, id: &str, products: Vec<ToegewezenProduct>) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::Allocation(Heen {
            header: header(false, d(2025, 2, 10), id),
            body: AllocationClient {
                bsn: bsn.into(),
                geboortedatum: Geboortedatum {
                    datum: d(2012, 5, 17),
                    datum_gebruik: None,
                },
                geslacht: Geslacht::Vrouw,
                naam: VolledigeNaam {
                    geslachtsnaam: Achternaam {
                        achternaam: "Jansen".into(),
                        voorvoegsel: None,
                    },
                    partnernaam: None,
                    voornamen: None,
                    voorletters: Some("A".into()),
                    naam_gebruik: NaamGebruik::N1,
                },
                communicatie: None,
                juridische_status: None,
                wettelijke_vertegenwoordiging: None,
                commentaar: None,
                relaties: vec![],
                contactgegevens: vec![Contact {
                    soort: AdresSoort::A01,
                    adres: None,
                    organisatie: None,
                    telefoon: None,
                    emailadres: None,
                    periode: None,
                    retour_codes: vec![],
                }],
                toegewezen_producten: products,
                retour_codes: vec![],
            },
        }),
    }
}

/// A line of product 45A48: hours at €87,24, minutes at the shown minute tariff with the amount
/// from the hour tariff (IV081), euros without tariff, other units at €50.
fn line(
    reference: &str,
    toewijzing: u64,
    (begin, end): (NaiveDate, NaiveDate),
    volume: u64,
    eenheid: Eenheid,
) -> Prestatie {
    let (tarief, bedrag) = match eenheid {
        Eenheid::Uur => (Some(HOUR_TARIFF), volume * HOUR_TARIFF),
        Eenheid::Minuut => (
            Some(money::minute_tariff_shown(HOUR_TARIFF)),
            money::amount_for_minutes(HOUR_TARIFF, volume).expect("fits"),
        ),
        Eenheid::Euro => (None, volume),
        _ => (Some(5000), volume * 5000),
    };
    Prestatie {
        product_referentie: ProductReferentie {
            referentie_nummer: reference.into(),
            vorig_referentie_nummer: None,
        },
        toewijzing_nummer: Nummer(toewijzing),
        product_categorie: ProductCategorie::C45,
        product_code: "45A48".into(),
        product_periode: GeslotenPeriode {
            begindatum: begin,
            einddatum: end,
        },
        geleverd_volume: Volume(volume),
        eenheid,
        product_tarief: tarief.map(Bedrag),
        ingediend_bedrag: BedragMetDc {
            bedrag: Bedrag(bedrag),
            debet_credit: DebetCredit::Debet,
        },
        retour_codes: vec![],
    }
}

fn with_code(mut p: Prestatie, code: &str) -> Prestatie {
    p.product_code = code.into();
    p
}

/// The credit line `reference` that reverses `debit` (IV091).
fn credit(debit: &Prestatie, reference: &str) -> Prestatie {
    let mut c = debit.clone();
    c.product_referentie = ProductReferentie {
        referentie_nummer: reference.into(),
        vorig_referentie_nummer: Some(debit.product_referentie.referentie_nummer.clone()),
    };
    c.ingediend_bedrag.debet_credit = DebetCredit::Credit;
    c
}

/// A 323 over the month of `month` with a correct total, sent on the 2nd of the next month.
fn claim(nummer: &str, month: NaiveDate, clients: Vec<(&str, Vec<Prestatie>)>) -> Message {
    let (begin, end) = money::declaration_period(month);
    let sent = end + chrono::Days::new(2);
    let (total, sign) = money::total(clients.iter().flat_map(|(_, lines)| {
        lines
            .iter()
            .map(|l| (l.ingediend_bedrag.bedrag.0, l.ingediend_bedrag.debet_credit))
    }));
    Message {
        law: Law::Ijw,
        content: Content::Declaration(Heen {
            header: header(true, sent, &format!("M{nummer}-{}", begin.format("%m"))),
            body: Declaratie {
                declaratie_nummer: nummer.into(),
                declaratie_periode: GeslotenPeriode {
                    begindatum: begin,
                    einddatum: end,
                },
                declaratie_dagtekening: sent,
                totaal_ingediend_bedrag: TotaalBedragMetDc {
                    totaal_bedrag: TotaalBedrag(total),
                    debet_credit: sign,
                },
                clienten: clients
                    .into_iter()
                    .map(|(bsn, prestaties)| DeclaratieClient {
                        bsn: bsn.into(),
                        prestaties,
                        retour_codes: vec![],
                    })
                    .collect(),
            },
        }),
    }
}

fn body(m: &Message) -> &Declaratie {
    match &m.content {
        Content::Declaration(h) => &h.body,
        _ => panic!("not a claim"),
    }
}

/// The 325 answering `claim`: the lines `rejected` (ReferentieNummer, retourcode) are listed
/// with their client, every other line is approved (IV087).
fn answer(claim: &Message, rejected: &[(&str, RetourCode)]) -> Message {
    let (Content::Declaration(h), law) = (&claim.content, claim.law) else {
        panic!("not a claim")
    };
    let d = &h.body;
    let mut clienten = Vec::new();
    let mut refused: u64 = 0;
    for c in &d.clienten {
        let lines: Vec<Prestatie> = c
            .prestaties
            .iter()
            .filter_map(|p| {
                let code = rejected
                    .iter()
                    .find(|(r, _)| *r == p.product_referentie.referentie_nummer.as_str())?;
                refused += p.ingediend_bedrag.bedrag.0;
                let mut p = p.clone();
                p.retour_codes = vec![code.1];
                Some(p)
            })
            .collect();
        if !lines.is_empty() {
            clienten.push(DeclaratieClient {
                bsn: c.bsn.clone(),
                prestaties: lines,
                retour_codes: vec![RetourCode::R0200],
            });
        }
    }
    let total = d.totaal_ingediend_bedrag.clone();
    Message {
        law,
        content: Content::DeclarationAnswer(DeclarationAnswer {
            header: DeclarationAnswerHeader {
                heen: header(
                    false,
                    h.header.bericht_identificatie.dagtekening,
                    &format!("A{}", d.declaratie_nummer.0),
                ),
                declaratie_identificatie: h.header.bericht_identificatie.clone(),
                xslt_versie: None,
                xsd_versie_declaratie: h.header.xsd_versie.clone(),
                retour_codes: vec![RetourCode::R0200],
            },
            body: Some(DeclaratieAntwoord {
                declaratie_nummer: d.declaratie_nummer.0.as_str().into(),
                totaal_toegekend_bedrag: TotaalBedragMetDc {
                    totaal_bedrag: TotaalBedrag(total.totaal_bedrag.0.saturating_sub(refused)),
                    debet_credit: total.debet_credit,
                },
                totaal_ingediend_bedrag: total,
                retour_codes: vec![if clienten.is_empty() {
                    RetourCode::R8001
                } else {
                    RetourCode::R0200
                }],
                clienten,
            }),
        }),
    }
}

/// The 325 rejecting `claim` as a whole (XSLT level, 0001, no body).
fn void_answer(claim: &Message) -> Message {
    let Content::Declaration(h) = &claim.content else {
        panic!("not a claim")
    };
    Message {
        law: claim.law,
        content: Content::DeclarationAnswer(DeclarationAnswer {
            header: DeclarationAnswerHeader {
                heen: header(false, h.header.bericht_identificatie.dagtekening, "A-VOID"),
                declaratie_identificatie: h.header.bericht_identificatie.clone(),
                xslt_versie: Some("1.0.0".into()),
                xsd_versie_declaratie: h.header.xsd_versie.clone(),
                retour_codes: vec![RetourCode::R0001],
            },
            body: None,
        }),
    }
}

/// The history every test starts from: allocations for three clients.
///
/// - 1001 (client A): 45A48, 4 uur per week, 2025-03-04 – 2025-12-31.
/// - 1002 (client A): 45A49, 8 uur per maand, 2025-01-01 – 2025-03-20.
/// - 2001 (client B): 45A48, 6 uur per week, from 2025-03-01, open end.
/// - 3001 (client C): 45A48 removed (Einddatum = Ingangsdatum, RedenWijziging 13).
fn history() -> MemoryHistory {
    let mut h = MemoryHistory::new();
    let mut removed = allocated(
        3001,
        "45A48",
        d(2025, 3, 1),
        Some(d(2025, 3, 1)),
        omvang(4, Eenheid::Uur, Frequentie::PerWeek),
    );
    removed.reden_wijziging = Some(RedenWijziging::R13);
    for m in [
        allocation(
            BSN_A,
            "G1",
            vec![
                allocated(
                    1001,
                    "45A48",
                    d(2025, 3, 4),
                    Some(d(2025, 12, 31)),
                    omvang(4, Eenheid::Uur, Frequentie::PerWeek),
                ),
                allocated(
                    1002,
                    "45A49",
                    d(2025, 1, 1),
                    Some(d(2025, 3, 20)),
                    omvang(8, Eenheid::Uur, Frequentie::PerMaand),
                ),
            ],
        ),
        allocation(
            BSN_B,
            "G2",
            vec![allocated(
                2001,
                "45A48",
                d(2025, 3, 1),
                None,
                omvang(6, Eenheid::Uur, Frequentie::PerWeek),
            )],
        ),
        allocation(BSN_C, "G3", vec![removed]),
    ] {
        assert!(h.record(&m));
    }
    h
}

fn march() -> (NaiveDate, NaiveDate) {
    (d(2025, 3, 1), d(2025, 3, 31))
}

/// The reference claim over March 2025: every line valid.
fn reference_lines() -> Vec<(&'static str, Vec<Prestatie>)> {
    vec![
        (
            BSN_A,
            vec![
                line(
                    "R1",
                    1001,
                    (d(2025, 3, 4), d(2025, 3, 31)),
                    240,
                    Eenheid::Minuut,
                ),
                with_code(
                    line("R2", 1002, (d(2025, 3, 1), d(2025, 3, 20)), 8, Eenheid::Uur),
                    "45A49",
                ),
            ],
        ),
        (BSN_B, vec![line("R3", 2001, march(), 20, Eenheid::Uur)]),
    ]
}

/// The cross-message violations of `m`, which must be schema-valid and pass the in-message
/// rules.
fn cross(h: &impl History, m: &Message) -> Vec<Violation> {
    assert_eq!(m.validate(), vec![], "the case must stay schema-valid");
    assert_eq!(
        rules::check(m),
        vec![],
        "the case must pass the in-message rules"
    );
    cross::check_against(h, m)
}

/// Rule ids fired, sorted, without repeats.
fn fired(h: &impl History, m: &Message) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = cross(h, m).into_iter().map(|v| v.rule).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The one violation of `rule`, with the retourcode the rule file gives.
fn the(h: &impl History, m: &Message, rule: &str, retourcode: Option<&str>) -> Violation {
    let mut found: Vec<Violation> = cross(h, m).into_iter().filter(|v| v.rule == rule).collect();
    assert_eq!(found.len(), 1, "one {rule} expected: {found:?}");
    let v = found.remove(0);
    assert_eq!(v.retourcode, retourcode, "retourcode of {rule}");
    v
}

const LINE_1_1: &str = "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]";
const LINE_1_2: &str = "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[2]";
const LINE_2_1: &str = "/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie[1]";

#[test]
fn the_reference_claim_passes_every_rule() {
    let h = history();
    let m = claim("D2503A", d(2025, 3, 1), reference_lines());
    assert_eq!(cross(&h, &m), vec![]);
}

#[test]
fn tr338_line_without_allocation() {
    let h = history();
    let mut lines = reference_lines();
    lines[1].1[0].toewijzing_nummer = Nummer(9999);
    let v = the(
        &h,
        &claim("D1", d(2025, 3, 1), lines),
        "TR338",
        Some("9338"),
    );
    assert_eq!(v.path, format!("{LINE_2_1}/ToewijzingNummer"));
    assert_eq!(
        fired(&h, &claim("D1", d(2025, 3, 1), reference_lines())),
        Vec::<&str>::new()
    );
    // An allocation from another municipality does not count.
    let mut other = history();
    let mut m = allocation(
        BSN_A,
        "G9",
        vec![allocated(
            4001,
            "45A48",
            d(2025, 3, 1),
            None,
            omvang(4, Eenheid::Uur, Frequentie::PerWeek),
        )],
    );
    if let Content::Allocation(a) = &mut m.content {
        a.header.afzender = "0944".into();
    }
    other.record(&m);
    let mut lines = reference_lines();
    lines[0].1[0] = line("R1", 4001, march(), 2, Eenheid::Uur);
    assert_eq!(
        fired(&other, &claim("D1", d(2025, 3, 1), lines)),
        vec!["TR338"]
    );
}

#[test]
fn tr304_allocation_of_another_client() {
    let h = history();
    let mut lines = reference_lines();
    // Client B's line against client A's allocation 1001.
    lines[1].1[0] = line(
        "R3",
        1001,
        (d(2025, 3, 10), d(2025, 3, 31)),
        2,
        Eenheid::Uur,
    );
    let v = the(
        &h,
        &claim("D1", d(2025, 3, 1), lines),
        "TR304",
        Some("8187"),
    );
    assert_eq!(v.path, format!("{LINE_2_1}/ToewijzingNummer"));
    assert!(
        !v.message.contains(BSN_A) && !v.message.contains(BSN_B),
        "no BSN in messages"
    );
}

#[test]
fn tr339_tr340_product_of_the_allocation() {
    let h = history();
    let mut lines = reference_lines();
    lines[0].1[0].product_categorie = ProductCategorie::C44;
    let v = the(
        &h,
        &claim("D1", d(2025, 3, 1), lines),
        "TR339",
        Some("9339"),
    );
    assert_eq!(v.path, format!("{LINE_1_1}/ProductCategorie"));
    let mut lines = reference_lines();
    lines[0].1[0].product_code = "45A99".into();
    let v = the(
        &h,
        &claim("D1", d(2025, 3, 1), lines),
        "TR340",
        Some("9340"),
    );
    assert_eq!(v.path, format!("{LINE_1_1}/ProductCode"));
    // Allocated without a code: any code of the category passes.
    let mut h2 = MemoryHistory::new();
    let mut p = allocated(5001, "45A48", d(2025, 3, 1), None, None);
    p.product = Some(Product {
        categorie: ProductCategorie::C45,
        code: None,
    });
    p.budget = Some(Budget(100_000));
    h2.record(&allocation(BSN_A, "G1", vec![p]));
    let m = claim(
        "D1",
        d(2025, 3, 1),
        vec![(
            BSN_A,
            vec![with_code(
                line("R1", 5001, march(), 2, Eenheid::Uur),
                "45A77",
            )],
        )],
    );
    assert_eq!(fired(&h2, &m), Vec::<&str>::new());
}

#[test]
fn tr341_unit_of_the_allocation() {
    let h = history();
    // Allocated in hours: claimed in minutes passes (reference line R1), in dagdelen fails.
    let mut lines = reference_lines();
    lines[1].1[0] = line("R3", 2001, march(), 5, Eenheid::Dagdeel);
    let v = the(
        &h,
        &claim("D1", d(2025, 3, 1), lines),
        "TR341",
        Some("9341"),
    );
    assert_eq!(v.path, format!("{LINE_2_1}/Eenheid"));
}

#[test]
fn tr307_tr308_period_within_the_allocation() {
    let h = history();
    // 1001 starts 2025-03-04: a period from the 1st begins before it.
    let mut lines = reference_lines();
    lines[0].1[0].product_periode.begindatum = d(2025, 3, 1);
    let v = the(
        &h,
        &claim("D1", d(2025, 3, 1), lines),
        "TR307",
        Some("9307"),
    );
    assert_eq!(v.path, format!("{LINE_1_1}/ProductPeriode/Begindatum"));
    // 1002 ends 2025-03-20: a period to the 31st ends after it.
    let mut lines = reference_lines();
    lines[0].1[1].product_periode.einddatum = d(2025, 3, 31);
    let v = the(
        &h,
        &claim("D1", d(2025, 3, 1), lines),
        "TR308",
        Some("9308"),
    );
    assert_eq!(v.path, format!("{LINE_1_2}/ProductPeriode/Einddatum"));
}

#[test]
fn tr387_tr388_period_bounds_follow_iv089() {
    // IV089: allocation 08-04-2026 – 17-06-2026 gives April 08-04 – 30-04, May 01-05 – 31-05,
    // June 01-06 – 17-06.
    let mut h = MemoryHistory::new();
    h.record(&allocation(
        BSN_A,
        "G1",
        vec![allocated(
            6001,
            "45A48",
            d(2026, 4, 8),
            Some(d(2026, 6, 17)),
            omvang(100, Eenheid::Uur, Frequentie::Totaal),
        )],
    ));
    for (month, period) in [
        (d(2026, 4, 1), (d(2026, 4, 8), d(2026, 4, 30))),
        (d(2026, 5, 1), (d(2026, 5, 1), d(2026, 5, 31))),
        (d(2026, 6, 1), (d(2026, 6, 1), d(2026, 6, 17))),
    ] {
        let m = claim(
            "D1",
            month,
            vec![(BSN_A, vec![line("R1", 6001, period, 2, Eenheid::Uur)])],
        );
        assert_eq!(fired(&h, &m), Vec::<&str>::new(), "{period:?}");
    }
    let m = claim(
        "D1",
        d(2026, 4, 1),
        vec![(
            BSN_A,
            vec![line(
                "R1",
                6001,
                (d(2026, 4, 9), d(2026, 4, 30)),
                2,
                Eenheid::Uur,
            )],
        )],
    );
    let v = the(&h, &m, "TR387", Some("9387"));
    assert_eq!(v.path, format!("{LINE_1_1}/ProductPeriode/Begindatum"));
    let m = claim(
        "D1",
        d(2026, 5, 1),
        vec![(
            BSN_A,
            vec![line(
                "R1",
                6001,
                (d(2026, 5, 1), d(2026, 5, 30)),
                2,
                Eenheid::Uur,
            )],
        )],
    );
    let v = the(&h, &m, "TR388", Some("9388"));
    assert_eq!(v.path, format!("{LINE_1_1}/ProductPeriode/Einddatum"));
    // Before the Ingangsdatum is TR307, not also TR387.
    let m = claim(
        "D1",
        d(2026, 4, 1),
        vec![(
            BSN_A,
            vec![line(
                "R1",
                6001,
                (d(2026, 4, 1), d(2026, 4, 30)),
                2,
                Eenheid::Uur,
            )],
        )],
    );
    assert_eq!(fired(&h, &m), vec!["TR307"]);
}

#[test]
fn tr384_no_claim_on_a_removed_allocation() {
    let h = history();
    let m = claim(
        "D1",
        d(2025, 3, 1),
        vec![(
            BSN_C,
            vec![line(
                "R1",
                3001,
                (d(2025, 3, 1), d(2025, 3, 1)),
                1,
                Eenheid::Uur,
            )],
        )],
    );
    let v = the(&h, &m, "TR384", Some("9384"));
    assert_eq!(v.path, format!("{LINE_1_1}/ToewijzingNummer"));
    assert_eq!(fired(&h, &m), vec!["TR384"]);
}

/// IV077's inspanningsgericht example: 3 uur per week, 07-10-2025 – 30-12-2025: at most 12 uur
/// in October, 15 in November, 15 in December, 39 over the allocation.
fn iv077_history() -> MemoryHistory {
    let mut h = MemoryHistory::new();
    h.record(&allocation(
        BSN_A,
        "G1",
        vec![allocated(
            7001,
            "45A48",
            d(2025, 10, 7),
            Some(d(2025, 12, 30)),
            omvang(3, Eenheid::Uur, Frequentie::PerWeek),
        )],
    ));
    h
}

#[test]
fn tr321_volume_per_period_iv077_iv078() {
    let h = iv077_history();
    let october = (d(2025, 10, 7), d(2025, 10, 31));
    let m = claim(
        "D1",
        d(2025, 10, 1),
        vec![(BSN_A, vec![line("R1", 7001, october, 12, Eenheid::Uur)])],
    );
    assert_eq!(fired(&h, &m), Vec::<&str>::new());
    let m = claim(
        "D1",
        d(2025, 10, 1),
        vec![(BSN_A, vec![line("R1", 7001, october, 13, Eenheid::Uur)])],
    );
    let v = the(&h, &m, "TR321", Some("9321"));
    assert_eq!(v.path, format!("{LINE_1_1}/GeleverdVolume"));
    // In minutes: 12 uur = 720 minuut passes, 721 does not.
    let m = claim(
        "D1",
        d(2025, 10, 1),
        vec![(BSN_A, vec![line("R1", 7001, october, 720, Eenheid::Minuut)])],
    );
    assert_eq!(fired(&h, &m), Vec::<&str>::new());
    let m = claim(
        "D1",
        d(2025, 10, 1),
        vec![(BSN_A, vec![line("R1", 7001, october, 721, Eenheid::Minuut)])],
    );
    assert_eq!(fired(&h, &m), vec!["TR321"]);

    // IV077 outputgericht, voorbeeld 2: 300 euro per week, 07-07-2025 – 05-09-2025: August
    // holds 5 Sundays plus the last, broken week: 6 × 300 euro.
    let mut h = MemoryHistory::new();
    h.record(&allocation(
        BSN_A,
        "G1",
        vec![allocated(
            7002,
            "45A48",
            d(2025, 7, 7),
            Some(d(2025, 9, 5)),
            omvang(30_000, Eenheid::Euro, Frequentie::PerWeek),
        )],
    ));
    let august = (d(2025, 8, 1), d(2025, 8, 31));
    let m = claim(
        "D1",
        d(2025, 8, 1),
        vec![(
            BSN_A,
            vec![line("R1", 7002, august, 180_000, Eenheid::Euro)],
        )],
    );
    assert_eq!(fired(&h, &m), Vec::<&str>::new());
    let m = claim(
        "D1",
        d(2025, 8, 1),
        vec![(
            BSN_A,
            vec![line("R1", 7002, august, 180_001, Eenheid::Euro)],
        )],
    );
    assert_eq!(fired(&h, &m), vec!["TR321"]);

    // IV078 voorbeeld 2: 15 uur per maand from 14-10-2026: the full 15 in the broken October.
    let mut h = MemoryHistory::new();
    h.record(&allocation(
        BSN_A,
        "G1",
        vec![allocated(
            7003,
            "45A48",
            d(2026, 10, 14),
            Some(d(2026, 12, 13)),
            omvang(15, Eenheid::Uur, Frequentie::PerMaand),
        )],
    ));
    let october = (d(2026, 10, 14), d(2026, 10, 31));
    let m = claim(
        "D1",
        d(2026, 10, 1),
        vec![(BSN_A, vec![line("R1", 7003, october, 15, Eenheid::Uur)])],
    );
    assert_eq!(fired(&h, &m), Vec::<&str>::new());
    let m = claim(
        "D1",
        d(2026, 10, 1),
        vec![(BSN_A, vec![line("R1", 7003, october, 16, Eenheid::Uur)])],
    );
    assert_eq!(fired(&h, &m), vec!["TR321"]);
}

#[test]
fn tr321_iwmo_household_help_may_claim_six_weeks() {
    // TR321 (iWmo): category 01 per week may claim up to 6 × the weekly volume in a period.
    let mut h = MemoryHistory::new();
    let mut p = allocated(
        8001,
        "01A01",
        d(2025, 2, 1),
        None,
        omvang(2, Eenheid::Uur, Frequentie::PerWeek),
    );
    p.product = Some(Product {
        categorie: ProductCategorie::C01,
        code: Some("01A01".into()),
    });
    let mut m301 = allocation(BSN_A, "G1", vec![p]);
    m301.law = Law::Iwmo;
    h.record(&m301);
    let claim_of = |volume| {
        let mut l = line(
            "R1",
            8001,
            (d(2025, 2, 1), d(2025, 2, 28)),
            volume,
            Eenheid::Uur,
        );
        l.product_categorie = ProductCategorie::C01;
        l.product_code = "01A01".into();
        let mut m = claim("D1", d(2025, 2, 1), vec![(BSN_A, vec![l])]);
        m.law = Law::Iwmo;
        m
    };
    // February 2025 touches 5 calendar weeks (10 uur) but 6 × 2 = 12 is allowed.
    assert_eq!(fired(&h, &claim_of(12)), Vec::<&str>::new());
    assert_eq!(fired(&h, &claim_of(13)), vec!["TR321"]);
}

#[test]
fn tr322_total_over_the_allocation_iv077() {
    // IV077: at most 39 uur over 07-10-2025 – 30-12-2025. October 12 and November 15 were
    // claimed and approved; December allows 15, but only 12 are left.
    let mut h = iv077_history();
    let oct = claim(
        "D10",
        d(2025, 10, 1),
        vec![(
            BSN_A,
            vec![line(
                "R10",
                7001,
                (d(2025, 10, 7), d(2025, 10, 31)),
                12,
                Eenheid::Uur,
            )],
        )],
    );
    let nov = claim(
        "D11",
        d(2025, 11, 1),
        vec![(
            BSN_A,
            vec![line(
                "R11",
                7001,
                (d(2025, 11, 1), d(2025, 11, 30)),
                15,
                Eenheid::Uur,
            )],
        )],
    );
    for m in [&oct, &nov] {
        assert_eq!(cross(&h, m), vec![]);
        h.record(m);
        h.record(&answer(m, &[]));
    }
    let december = (d(2025, 12, 1), d(2025, 12, 30));
    let m = claim(
        "D12",
        d(2025, 12, 1),
        vec![(BSN_A, vec![line("R12", 7001, december, 12, Eenheid::Uur)])],
    );
    assert_eq!(fired(&h, &m), Vec::<&str>::new());
    let m = claim(
        "D12",
        d(2025, 12, 1),
        vec![(BSN_A, vec![line("R12", 7001, december, 13, Eenheid::Uur)])],
    );
    let v = the(&h, &m, "TR322", Some("9322"));
    assert_eq!(v.path, format!("{LINE_1_1}/GeleverdVolume"));
    // A rejected November line does not count: then 13 fits.
    let mut h = iv077_history();
    h.record(&oct);
    h.record(&answer(&oct, &[]));
    h.record(&nov);
    h.record(&answer(&nov, &[("R11", RetourCode::R9321)]));
    assert_eq!(fired(&h, &m), Vec::<&str>::new());
}

#[test]
fn tr369_budget_over_the_allocation() {
    // 1000 euro budget in euros; 600 euro claimed and approved in March.
    let mut h = MemoryHistory::new();
    let mut p = allocated(9001, "45A48", d(2025, 3, 1), Some(d(2025, 12, 31)), None);
    p.budget = Some(Budget(100_000));
    h.record(&allocation(BSN_A, "G1", vec![p]));
    let march_claim = claim(
        "D3",
        d(2025, 3, 1),
        vec![(
            BSN_A,
            vec![line("R3", 9001, march(), 60_000, Eenheid::Euro)],
        )],
    );
    assert_eq!(cross(&h, &march_claim), vec![]);
    h.record(&march_claim);
    h.record(&answer(&march_claim, &[]));
    let april = (d(2025, 4, 1), d(2025, 4, 30));
    let m = claim(
        "D4",
        d(2025, 4, 1),
        vec![(BSN_A, vec![line("R4", 9001, april, 40_000, Eenheid::Euro)])],
    );
    assert_eq!(fired(&h, &m), Vec::<&str>::new());
    let m = claim(
        "D4",
        d(2025, 4, 1),
        vec![(BSN_A, vec![line("R4", 9001, april, 40_001, Eenheid::Euro)])],
    );
    let v = the(&h, &m, "TR369", Some("9369"));
    assert_eq!(v.path, format!("{LINE_1_1}/IngediendBedrag/Bedrag"));
}

#[test]
fn tr314_reference_number_unique() {
    let mut h = history();
    let m = claim("D1", d(2025, 3, 1), reference_lines());
    h.record(&m);
    // R3 again in an April claim.
    let april = (d(2025, 4, 1), d(2025, 4, 30));
    let again = claim(
        "D2",
        d(2025, 4, 1),
        vec![(BSN_B, vec![line("R3", 2001, april, 2, Eenheid::Uur)])],
    );
    let v = the(&h, &again, "TR314", Some("8021"));
    assert_eq!(
        v.path,
        format!("{LINE_1_1}/ProductReferentie/ReferentieNummer")
    );
    let fresh = claim(
        "D2",
        d(2025, 4, 1),
        vec![(BSN_B, vec![line("R4", 2001, april, 2, Eenheid::Uur)])],
    );
    assert_eq!(fired(&h, &fresh), Vec::<&str>::new());
    // Twice in one claim, for two clients (for one client TR101 would reject the message).
    let twice = claim(
        "D2",
        d(2025, 4, 1),
        vec![
            (BSN_A, vec![line("R5", 1001, april, 2, Eenheid::Uur)]),
            (BSN_B, vec![line("R5", 2001, april, 2, Eenheid::Uur)]),
        ],
    );
    let v = the(&h, &twice, "TR314", Some("8021"));
    assert_eq!(
        v.path,
        format!("{LINE_2_1}/ProductReferentie/ReferentieNummer")
    );
    // A claim rejected as a whole counts as never sent (IV087): its numbers are free again.
    h.record(&void_answer(&m));
    let reuse = claim(
        "D2",
        d(2025, 4, 1),
        vec![(BSN_B, vec![line("R3", 2001, april, 2, Eenheid::Uur)])],
    );
    assert_eq!(fired(&h, &reuse), Vec::<&str>::new());
}

#[test]
fn tr333_declaration_number_unique() {
    let mut h = history();
    let m = claim("D1", d(2025, 3, 1), reference_lines());
    h.record(&m);
    let april = (d(2025, 4, 1), d(2025, 4, 30));
    let same = claim(
        "D1",
        d(2025, 4, 1),
        vec![(BSN_B, vec![line("R9", 2001, april, 2, Eenheid::Uur)])],
    );
    let v = the(&h, &same, "TR333", Some("9333"));
    assert_eq!(v.path, "/Bericht/Declaratie/DeclaratieNummer");
    let other = claim(
        "D2",
        d(2025, 4, 1),
        vec![(BSN_B, vec![line("R9", 2001, april, 2, Eenheid::Uur)])],
    );
    assert_eq!(fired(&h, &other), Vec::<&str>::new());
    h.record(&void_answer(&m));
    assert_eq!(fired(&h, &same), Vec::<&str>::new());
}

#[test]
fn tr318_period_not_before_the_latest_iv090() {
    // IV090: May claimed after March; a second May claim or June is fine, April is not.
    let mut h = history();
    let may = claim(
        "D5",
        d(2025, 5, 1),
        vec![(
            BSN_B,
            vec![line(
                "R5",
                2001,
                (d(2025, 5, 1), d(2025, 5, 31)),
                2,
                Eenheid::Uur,
            )],
        )],
    );
    h.record(&may);
    let late_march_line = |r: &str| line(r, 2001, (d(2025, 4, 1), d(2025, 4, 30)), 2, Eenheid::Uur);
    let april = claim(
        "D4",
        d(2025, 4, 1),
        vec![(BSN_B, vec![late_march_line("R4")])],
    );
    let v = the(&h, &april, "TR318", Some("8214"));
    assert_eq!(v.path, "/Bericht/Declaratie/DeclaratiePeriode");
    // The April care in a second May claim, or in June, passes.
    let may2 = claim(
        "D5B",
        d(2025, 5, 1),
        vec![(BSN_B, vec![late_march_line("R4")])],
    );
    assert_eq!(fired(&h, &may2), Vec::<&str>::new());
    let june = claim(
        "D6",
        d(2025, 6, 1),
        vec![(BSN_B, vec![late_march_line("R4")])],
    );
    assert_eq!(fired(&h, &june), Vec::<&str>::new());
}

#[test]
fn tr319_product_period_not_after_the_declaration_period() {
    let h = history();
    // A March claim with an April line (sent on 2 May so the line is not in the future).
    let mut m = claim(
        "D1",
        d(2025, 3, 1),
        vec![(
            BSN_B,
            vec![line(
                "R1",
                2001,
                (d(2025, 4, 1), d(2025, 4, 30)),
                2,
                Eenheid::Uur,
            )],
        )],
    );
    if let Content::Declaration(x) = &mut m.content {
        x.header.bericht_identificatie.dagtekening = d(2025, 5, 2);
        x.body.declaratie_dagtekening = d(2025, 5, 2);
    }
    let v = the(&h, &m, "TR319", Some("9319"));
    assert_eq!(v.path, format!("{LINE_1_1}/ProductPeriode/Einddatum"));
    // An earlier month in a later claim passes (IV090).
    let m = claim(
        "D1",
        d(2025, 5, 1),
        vec![(
            BSN_B,
            vec![line(
                "R1",
                2001,
                (d(2025, 4, 1), d(2025, 4, 30)),
                2,
                Eenheid::Uur,
            )],
        )],
    );
    assert_eq!(fired(&h, &m), Vec::<&str>::new());
}

/// The reference claim sent and answered: R2 rejected, R1 and R3 approved.
fn answered_history() -> (MemoryHistory, Message) {
    let mut h = history();
    let m = claim("D1", d(2025, 3, 1), reference_lines());
    h.record(&m);
    h.record(&answer(&m, &[("R2", RetourCode::R9321)]));
    (h, m)
}

fn reference_line(m: &Message, reference: &str) -> Prestatie {
    body(m)
        .clienten
        .iter()
        .flat_map(|c| &c.prestaties)
        .find(|p| p.product_referentie.referentie_nummer.as_str() == reference)
        .expect("line in the claim")
        .clone()
}

#[test]
fn the_325_marks_lines_approved_and_rejected() {
    let (h, _) = answered_history();
    let s = scope();
    assert_eq!(
        h.line(&s, "R1").map(|l| l.status),
        Some(LineStatus::Approved)
    );
    assert_eq!(
        h.line(&s, "R2").map(|l| l.status),
        Some(LineStatus::Rejected)
    );
    assert_eq!(
        h.line(&s, "R3").map(|l| l.status),
        Some(LineStatus::Approved)
    );
}

#[test]
fn tr323_credit_equals_an_approved_debit_iv091() {
    let (mut h, sent) = answered_history();
    let april = d(2025, 4, 1);
    let r1 = reference_line(&sent, "R1");
    let ok = claim("D2", april, vec![(BSN_A, vec![credit(&r1, "C1")])]);
    assert_eq!(fired(&h, &ok), Vec::<&str>::new());
    // Not identical: another volume.
    let mut changed = credit(&r1, "C1");
    changed.geleverd_volume = Volume(120);
    changed.ingediend_bedrag.bedrag =
        Bedrag(money::amount_for_minutes(HOUR_TARIFF, 120).expect("fits"));
    let v = the(
        &h,
        &claim("D2", april, vec![(BSN_A, vec![changed])]),
        "TR323",
        Some("8017"),
    );
    assert_eq!(
        v.path,
        format!("{LINE_1_1}/ProductReferentie/VorigReferentieNummer")
    );
    assert!(
        v.message.contains("GeleverdVolume") && v.message.contains("IngediendBedrag"),
        "{}",
        v.message
    );
    // Of a rejected line, of an unknown line, of a line not answered yet.
    let r2 = reference_line(&sent, "R2");
    assert_eq!(
        fired(
            &h,
            &claim("D2", april, vec![(BSN_A, vec![credit(&r2, "C2")])])
        ),
        vec!["TR323"]
    );
    let mut unknown = credit(&r1, "C1");
    unknown.product_referentie.vorig_referentie_nummer = Some("R404".into());
    assert_eq!(
        fired(&h, &claim("D2", april, vec![(BSN_A, vec![unknown])])),
        vec!["TR323"]
    );
    let april_line = line("R7", 2001, (d(2025, 4, 1), d(2025, 4, 30)), 2, Eenheid::Uur);
    let pending = claim("D3", april, vec![(BSN_B, vec![april_line.clone()])]);
    h.record(&pending);
    let may = claim(
        "D4",
        d(2025, 5, 1),
        vec![(BSN_B, vec![credit(&april_line, "C7")])],
    );
    assert_eq!(fired(&h, &may), vec!["TR323"]);
    // Credited for another client.
    let v = the(
        &h,
        &claim("D2", april, vec![(BSN_B, vec![credit(&r1, "C1")])]),
        "TR323",
        Some("8017"),
    );
    assert!(v.message.contains("Bsn") && !v.message.contains(BSN_A));
}

#[test]
fn tr390_credit_only_once() {
    let (mut h, sent) = answered_history();
    let r1 = reference_line(&sent, "R1");
    let first = claim("D2", d(2025, 4, 1), vec![(BSN_A, vec![credit(&r1, "C1")])]);
    assert_eq!(fired(&h, &first), Vec::<&str>::new());
    h.record(&first);
    let second = claim("D3", d(2025, 4, 1), vec![(BSN_A, vec![credit(&r1, "C2")])]);
    let v = the(&h, &second, "TR390", Some("9390"));
    assert_eq!(v.path, format!("{LINE_1_1}/IngediendBedrag/DebetCredit"));
    // A credit claim rejected as a whole did not credit anything.
    h.record(&void_answer(&first));
    assert_eq!(fired(&h, &second), Vec::<&str>::new());
}

#[test]
fn tr389_one_debit_per_allocation_product_and_period() {
    let (mut h, sent) = answered_history();
    let april = d(2025, 4, 1);
    let r3 = reference_line(&sent, "R3");
    let mut again = r3.clone();
    again.product_referentie.referentie_nummer = "R3B".into();
    let m = claim("D2", april, vec![(BSN_B, vec![again.clone()])]);
    let v = the(&h, &m, "TR389", Some("9389"));
    assert_eq!(v.path, format!("{LINE_1_1}/IngediendBedrag/DebetCredit"));
    // A credit in the same claim makes room (IV086) …
    let with_credit = claim(
        "D2",
        april,
        vec![(BSN_B, vec![credit(&r3, "C3"), again.clone()])],
    );
    assert_eq!(fired(&h, &with_credit), Vec::<&str>::new());
    // … and so does an earlier credit.
    let credited = claim("D2", april, vec![(BSN_B, vec![credit(&r3, "C3")])]);
    h.record(&credited);
    assert_eq!(
        fired(&h, &claim("D3", april, vec![(BSN_B, vec![again])])),
        Vec::<&str>::new()
    );
    // A rejected debit (R2) may be claimed again.
    let mut r2 = reference_line(&sent, "R2");
    r2.product_referentie.referentie_nummer = "R2B".into();
    assert_eq!(
        fired(&h, &claim("D3", april, vec![(BSN_A, vec![r2])])),
        Vec::<&str>::new()
    );
}

#[test]
fn domain_scenario_a_claim_with_valid_and_broken_lines() {
    // DOMAIN.md: a 323 with some prestaties valid, some outside the allocation period, one
    // over volume and one duplicate ReferentieNummer.
    let mut h = history();
    let february = claim(
        "D2502",
        d(2025, 2, 1),
        vec![(
            BSN_A,
            vec![with_code(
                line("F1", 1002, (d(2025, 2, 1), d(2025, 2, 28)), 8, Eenheid::Uur),
                "45A49",
            )],
        )],
    );
    assert_eq!(cross(&h, &february), vec![]);
    h.record(&february);
    h.record(&answer(&february, &[]));
    let m = claim(
        "D2503",
        d(2025, 3, 1),
        vec![
            (
                BSN_A,
                vec![
                    // 1. valid: 1001 from its Ingangsdatum, 4 hours in minutes.
                    line(
                        "S1",
                        1001,
                        (d(2025, 3, 4), d(2025, 3, 31)),
                        240,
                        Eenheid::Minuut,
                    ),
                    // 2. outside: 1002 ends on 20 March.
                    with_code(
                        line("S2", 1002, (d(2025, 3, 1), d(2025, 3, 31)), 8, Eenheid::Uur),
                        "45A49",
                    ),
                ],
            ),
            (
                BSN_B,
                vec![
                    // 3. over volume: March touches 6 weeks × 6 uur = 36.
                    line("S3", 2001, march(), 37, Eenheid::Uur),
                ],
            ),
            (
                BSN_C,
                vec![
                    // 4. duplicate ReferentieNummer (F1, used in February) on an allocation
                    //    that was removed: both reported.
                    line("F1", 3001, (d(2025, 3, 1), d(2025, 3, 1)), 1, Eenheid::Uur),
                ],
            ),
        ],
    );
    let mut got: Vec<(String, &str, Option<&str>)> = cross(&h, &m)
        .into_iter()
        .map(|v| (v.path, v.rule, v.retourcode))
        .collect();
    got.sort();
    let client = |c: usize, p: usize, tail: &str| {
        format!("/Bericht/Declaratie/Clienten/Client[{c}]/Prestaties/Prestatie[{p}]/{tail}")
    };
    assert_eq!(
        got,
        vec![
            (
                client(1, 2, "ProductPeriode/Einddatum"),
                "TR308",
                Some("9308")
            ),
            (client(2, 1, "GeleverdVolume"), "TR321", Some("9321")),
            (
                client(3, 1, "ProductReferentie/ReferentieNummer"),
                "TR314",
                Some("8021")
            ),
            (client(3, 1, "ToewijzingNummer"), "TR384", Some("9384")),
        ]
    );
    // Line 1 is valid; the valid part of a second, otherwise identical claim is too.
    let only_valid = claim(
        "D2503",
        d(2025, 3, 1),
        vec![(BSN_A, vec![reference_line(&m, "S1")])],
    );
    assert_eq!(cross(&h, &only_valid), vec![]);
}

#[test]
fn tr056_identificatie_unique_per_sender_and_type() {
    let mut h = history();
    let m = claim("D1", d(2025, 3, 1), reference_lines());
    h.record(&m);
    let april = (d(2025, 4, 1), d(2025, 4, 30));
    let mut same_id = claim(
        "D2",
        d(2025, 4, 1),
        vec![(BSN_B, vec![line("R9", 2001, april, 2, Eenheid::Uur)])],
    );
    if let Content::Declaration(x) = &mut same_id.content {
        x.header.bericht_identificatie.identificatie = "MD1-03".into();
    }
    let v = the(&h, &same_id, "TR056", Some("9056"));
    assert_eq!(v.path, "/Bericht/Header/BerichtIdentificatie/Identificatie");
    let other = claim(
        "D2",
        d(2025, 4, 1),
        vec![(BSN_B, vec![line("R9", 2001, april, 2, Eenheid::Uur)])],
    );
    assert_eq!(fired(&h, &other), Vec::<&str>::new());
    // The same message recorded twice is a redelivery: ignored.
    assert!(!h.record(&m));
}

#[test]
fn tr376_tr337_tr371_the_325_answers_a_sent_claim() {
    let mut h = history();
    let m = claim("D1", d(2025, 3, 1), reference_lines());
    h.record(&m);
    let ok = answer(&m, &[("R2", RetourCode::R9321)]);
    assert_eq!(fired(&h, &ok), Vec::<&str>::new());
    let mut unknown = ok.clone();
    if let Content::DeclarationAnswer(a) = &mut unknown.content {
        if let Some(b) = &mut a.body {
            b.declaratie_nummer = "D404".into();
        }
    }
    let v = the(&h, &unknown, "TR376", None);
    assert_eq!(v.path, "/Bericht/DeclaratieAntwoord/DeclaratieNummer");
    let mut other_id = ok.clone();
    let mut other_xsd = ok.clone();
    if let Content::DeclarationAnswer(a) = &mut other_id.content {
        a.header.declaratie_identificatie.identificatie = "OTHER".into();
    }
    if let Content::DeclarationAnswer(a) = &mut other_xsd.content {
        a.header.xsd_versie_declaratie.bericht_xsd_versie = "0.1.0".into();
    }
    let v = the(&h, &other_id, "TR337", None);
    assert_eq!(v.path, "/Bericht/Header/DeclaratieIdentificatie");
    let v = the(&h, &other_xsd, "TR371", None);
    assert_eq!(v.path, "/Bericht/Header/XsdVersieDeclaratie");
}

#[test]
fn tr366_tr367_tr304_the_325_lines_are_the_claimed_ones() {
    let mut h = history();
    let m = claim("D1", d(2025, 3, 1), reference_lines());
    h.record(&m);
    let edit = |f: &dyn Fn(&mut DeclaratieClient)| {
        let mut a = answer(&m, &[("R2", RetourCode::R9321)]);
        if let Content::DeclarationAnswer(x) = &mut a.content {
            if let Some(b) = &mut x.body {
                f(&mut b.clienten[0]);
            }
        }
        a
    };
    let line_path = "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Prestaties/Prestatie[1]";
    let unknown = edit(&|c| c.prestaties[0].product_referentie.referentie_nummer = "R404".into());
    let v = the(&h, &unknown, "TR366", Some("9366"));
    assert_eq!(
        v.path,
        format!("{line_path}/ProductReferentie/ReferentieNummer")
    );
    let changed = edit(&|c| c.prestaties[0].geleverd_volume = Volume(9));
    let v = the(&h, &changed, "TR367", Some("9367"));
    assert_eq!(v.path, format!("{line_path}/GeleverdVolume"));
    let other_client = edit(&|c| c.bsn = BSN_B.into());
    let v = the(&h, &other_client, "TR304", Some("8187"));
    assert_eq!(
        v.path,
        format!("{line_path}/ProductReferentie/ReferentieNummer")
    );
}
