//! TR346, TR418 and IV081 on a claim's lines, against the rule texts' own figures.
//!
//! The expected values are worked out by hand from the texts, not taken from the code:
//!
//! - IV081: "het ProductTarief omgerekend naar een tarief per minuut (tarief delen door 60
//!   minuten) en afgerond op 2 decimalen … 1,455 wordt afgerond naar 1,46 en 1,454 naar
//!   1,45"; "Het IngediendBedrag wordt als volgt bepaald: (contractuele uurtarief * aantal
//!   minuten) / 60. Dit bedrag wordt vervolgens afgerond op 2 decimalen (TR346)."
//! - DOMAIN.md: €87,24/h × 240 min → €348,96, not 1,45 × 240 = €348,00.
//! - TR346: "Indien Eenheid ongelijk is aan waarde 83 (Euro's), moet IngediendBedrag gelijk
//!   zijn aan GeleverdVolume vermenigvuldigd met ProductTarief" (retourcode 9346: "… het
//!   onafgeronde ProductTarief").
//! - TR418: "ProductTarief in Prestatie dient overeen te komen met het contractuele tarief van
//!   ProductCode" (retourcode 0611).

use chrono::NaiveDate;
use ketenpoort_messages::codes::*;
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::declaration::{Declaratie, DeclaratieClient, Prestatie};
use ketenpoort_messages::model::header::Header;
use ketenpoort_messages::money::{
    ContractTariff, Pricing, TariffUnit, amount_for_minutes, minute_amount_possible,
    minute_tariff_shown,
};
use ketenpoort_messages::rules::amounts;
use ketenpoort_messages::tariff::{TariffConfig, TariffRow, TariffTable};
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, Heen, Law, Message, rules};
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a real date")
}

/// One line of `volume` in `unit` at ProductTarief `tariff`, claiming `amount` cents.
fn line(unit: Eenheid, volume: u64, tariff: u64, amount: u64) -> Prestatie {
    Prestatie {
        product_referentie: ProductReferentie {
            referentie_nummer: "R1".into(),
            vorig_referentie_nummer: None,
        },
        toewijzing_nummer: Nummer(1001),
        product_categorie: ProductCategorie::C45,
        product_code: "45A48".into(),
        product_periode: GeslotenPeriode {
            begindatum: d(2025, 6, 1),
            einddatum: d(2025, 6, 30),
        },
        geleverd_volume: Volume(volume),
        eenheid: unit,
        product_tarief: Some(Bedrag(tariff)),
        ingediend_bedrag: BedragMetDc {
            bedrag: Bedrag(amount),
            debet_credit: DebetCredit::Debet,
        },
        retour_codes: vec![],
    }
}

/// A claim of municipality 0268 (iJw) with one line; it passes every in-message rule.
fn claim(line: Prestatie) -> Message {
    let amount = line.ingediend_bedrag.bedrag.0;
    let m = Message {
        law: Law::Ijw,
        content: Content::Declaration(Heen {
            header: Header {
                afzender: "12345678".into(),
                ontvanger: "0268".into(),
                bericht_identificatie: BerichtIdentificatie {
                    identificatie: "KP000001".into(),
                    dagtekening: d(2025, 7, 2),
                },
                xsd_versie: XsdVersie {
                    basisschema_xsd_versie: "1.0.0".into(),
                    bericht_xsd_versie: "1.0.0".into(),
                },
            },
            body: Declaratie {
                declaratie_nummer: "D202506A".into(),
                declaratie_periode: GeslotenPeriode {
                    begindatum: d(2025, 6, 1),
                    einddatum: d(2025, 6, 30),
                },
                declaratie_dagtekening: d(2025, 7, 2),
                totaal_ingediend_bedrag: TotaalBedragMetDc {
                    totaal_bedrag: TotaalBedrag(amount),
                    debet_credit: DebetCredit::Debet,
                },
                clienten: vec![DeclaratieClient {
                    bsn: "111222333".into(),
                    prestaties: vec![line],
                    retour_codes: vec![],
                }],
            },
        }),
    };
    assert_eq!(m.validate(), vec![], "schema-valid");
    assert_eq!(rules::check(&m), vec![], "passes the in-message rules");
    m
}

/// The contract of municipality 0268: product 45A48 (category 45) at `cents` per `unit`.
fn table(cents: u64, unit: &str) -> TariffTable {
    let config = TariffConfig {
        tariff: vec![TariffRow {
            gemeente: "0268".into(),
            wet: "ijw".into(),
            productcategorie: Some("45".into()),
            productcode: "45A48".into(),
            eenheid: unit.into(),
            tarief_eurocent: Some(cents),
            ingangsdatum: Some("2025-01-01".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    TariffTable::load(&config, |_| Err("no files".into())).expect("a valid table")
}

/// (rule, retourcode, path) of every violation.
fn broken(
    m: &Message,
    t: Option<&TariffTable>,
) -> Vec<(&'static str, Option<&'static str>, String)> {
    amounts::check(m, t)
        .into_iter()
        .map(|v| (v.rule, v.retourcode, v.path))
        .collect()
}

const LINE: &str = "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]";

fn at(leaf: &str) -> String {
    format!("{LINE}/{leaf}")
}

// === point 3: minutes under an hourly contract (IV081) ===

#[test]
fn iv081_worked_example_87_24_an_hour_for_240_minutes() {
    // The contract: €87,24 per uur. 87,24 / 60 = 1,454 → ProductTarief 1,45 (145 cents);
    // 87,24 × 240 / 60 = 348,96 → IngediendBedrag 34896 cents (not 1,45 × 240 = 348,00).
    let contract = ContractTariff {
        cents: 8724,
        unit: TariffUnit::Uur,
    };
    let priced = contract.price(Eenheid::Minuut, 240).expect("priced");
    assert_eq!(
        (priced.tariff_cents, priced.amount_cents, priced.pricing),
        (145, 34_896, Pricing::HourInMinutes)
    );
    let t = table(8724, "uur");
    assert_eq!(
        broken(&claim(line(Eenheid::Minuut, 240, 145, 34_896)), Some(&t)),
        vec![]
    );
    // 145 × 240 = 34800 is the amount IV081 says is wrong: 9346 on IngediendBedrag.
    assert_eq!(
        broken(&claim(line(Eenheid::Minuut, 240, 145, 34_800)), Some(&t)),
        vec![("TR346", Some("9346"), at("IngediendBedrag/Bedrag"))]
    );
    // The hourly tariff itself as ProductTarief of a minute line (the old tutorial: 960
    // minutes at 8724): 0611, and 960 × 87,24 / 60 = 1395,84 → 139584 is the right amount.
    assert_eq!(
        broken(&claim(line(Eenheid::Minuut, 960, 8724, 139_584)), Some(&t)),
        vec![("TR418", Some("0611"), at("ProductTarief"))]
    );
}

#[test]
fn iv081_rounds_the_minute_tariff_half_away_from_zero() {
    // 1,455 → 1,46: €87,30 / 60 = 1,455. 1,454 → 1,45: €87,24 / 60 = 1,454.
    assert_eq!(minute_tariff_shown(8730), 146);
    assert_eq!(minute_tariff_shown(8724), 145);
    // 87,30 × 7 / 60 = 10,185 → 10,19 (rounded at the end); 1,46 × 7 = 10,22 would be wrong.
    assert_eq!(amount_for_minutes(8730, 7), Some(1019));
    let t = table(8730, "per uur");
    assert_eq!(
        broken(&claim(line(Eenheid::Minuut, 7, 146, 1019)), Some(&t)),
        vec![]
    );
    assert_eq!(
        broken(&claim(line(Eenheid::Minuut, 7, 146, 1022)), Some(&t)),
        vec![("TR346", Some("9346"), at("IngediendBedrag/Bedrag"))]
    );
}

// === point 2: with a tariff known, TR346 and TR418 exactly ===

#[test]
fn tr346_with_the_contract_tariff_per_unit() {
    // €87,24 per uur, 4 uur: 4 × 87,24 = 348,96.
    let t = table(8724, "uur");
    assert_eq!(
        broken(&claim(line(Eenheid::Uur, 4, 8724, 34_896)), Some(&t)),
        vec![]
    );
    assert_eq!(
        broken(&claim(line(Eenheid::Uur, 4, 8724, 34_897)), Some(&t)),
        vec![("TR346", Some("9346"), at("IngediendBedrag/Bedrag"))]
    );
    // ProductTarief other than the contract's, amount consistent with it: 0611 and 9346
    // (the amount is not 4 × the contract tariff either).
    assert_eq!(
        broken(&claim(line(Eenheid::Uur, 4, 9000, 36_000)), Some(&t)),
        vec![
            ("TR418", Some("0611"), at("ProductTarief")),
            ("TR346", Some("9346"), at("IngediendBedrag/Bedrag")),
        ]
    );
    // A contract per etmaal cannot price a line in uur.
    let per_day = table(10_404, "etmaal");
    assert_eq!(
        broken(
            &claim(line(Eenheid::Uur, 4, 10_404, 41_616)),
            Some(&per_day)
        ),
        vec![("TR418", Some("0611"), at("ProductTarief"))]
    );
    // A weekly tariff is claimed in stuks: 3 weeks × €250,00 = €750,00.
    let weekly = table(25_000, "week");
    assert_eq!(
        broken(
            &claim(line(Eenheid::StuksOutput, 3, 25_000, 75_000)),
            Some(&weekly)
        ),
        vec![]
    );
}

#[test]
fn a_line_whose_product_has_no_tariff_falls_back_to_the_message() {
    // The table knows 0268's 45A48 from 2025; a line of another product is judged as
    // without a table: 4 × 1250 = 5000 ≠ 9999.
    let t = table(8724, "uur");
    let mut other = line(Eenheid::Uur, 4, 1250, 9999);
    other.product_code = "45A49".into();
    assert_eq!(
        broken(&claim(other), Some(&t)),
        vec![("TR346", Some("9346"), at("IngediendBedrag/Bedrag"))]
    );
}

// === point 4: without a table, TR346 as far as the message allows ===

#[test]
fn tr346_without_a_table_is_exact_for_every_unit_but_minutes() {
    // The case: a 4-hour line at €12,50 claimed as €99,99. 4 × 12,50 = 50,00.
    assert_eq!(
        broken(&claim(line(Eenheid::Uur, 4, 1250, 9999)), None),
        vec![("TR346", Some("9346"), at("IngediendBedrag/Bedrag"))]
    );
    assert_eq!(
        broken(&claim(line(Eenheid::Uur, 4, 1250, 5000)), None),
        vec![]
    );
    for unit in [
        Eenheid::Etmaal,
        Eenheid::Dagdeel,
        Eenheid::StuksOutput,
        Eenheid::StuksInspanning,
    ] {
        assert_eq!(broken(&claim(line(unit, 3, 10_404, 31_212)), None), vec![]);
        assert_eq!(
            broken(&claim(line(unit, 3, 10_404, 31_213)), None).len(),
            1,
            "{unit:?}"
        );
    }
}

#[test]
fn tr346_without_a_table_on_minutes_allows_what_some_hourly_tariff_gives() {
    // ProductTarief 145 is shown by every hourly tariff from €86,70 (86,70 / 60 = 1,445 →
    // 1,45) to €87,29 (1,4548… → 1,45); €87,30 shows 1,46. For 240 minutes the amount is
    // hourly × 4: 346,80 … 349,16 in steps of 0,04.
    let ok = |amount| broken(&claim(line(Eenheid::Minuut, 240, 145, amount)), None).is_empty();
    assert!(ok(34_896), "€87,24/h");
    assert!(
        ok(34_800),
        "€87,00/h (or a per-minute contract of €1,45: 240 × 1,45)"
    );
    assert!(ok(34_680), "€86,70/h, the lowest");
    assert!(ok(34_916), "€87,29/h, the highest");
    assert!(!ok(34_676), "€86,69/h shows 1,44");
    assert!(!ok(34_920), "€87,30/h shows 1,46");
    assert!(
        !ok(34_897),
        "not a multiple of 4 cents: no whole-cent hourly tariff gives it"
    );
    // The old tutorial line (960 minutes at ProductTarief 8724, 139584 cents): a minute
    // tariff of €87,24 means an hourly tariff of about €5234, 960 minutes of which is far
    // more; 139584 = 960 × 8724 / 60 is the hourly tariff's amount, so the ProductTarief is
    // the unconverted hourly tariff. Refused even without a table.
    assert_eq!(
        broken(&claim(line(Eenheid::Minuut, 960, 8724, 139_584)), None),
        vec![("TR346", Some("9346"), at("IngediendBedrag/Bedrag"))]
    );
}

#[test]
fn other_messages_and_euro_lines_are_not_judged() {
    let mut euro = line(Eenheid::Euro, 34_896, 0, 34_896);
    euro.product_tarief = None;
    assert_eq!(broken(&claim(euro), Some(&table(8724, "uur"))), vec![]);
}

/// Brute force over every hourly tariff that shows `shown`: the oracle of
/// `minute_amount_possible`.
fn possible_by_search(shown: u64, minutes: u64, amount: u64) -> bool {
    let lo = (60 * shown).saturating_sub(30);
    (lo..=60 * shown + 29)
        .any(|h| minute_tariff_shown(h) == shown && amount_for_minutes(h, minutes) == Some(amount))
}

proptest! {
    #[test]
    fn every_amount_an_hourly_tariff_gives_is_possible(h in 0u64..2_000_000, m in 0u64..20_000) {
        if let Some(a) = amount_for_minutes(h, m) {
            prop_assert!(minute_amount_possible(minute_tariff_shown(h), m, a));
        }
    }

    #[test]
    fn possible_amounts_are_exactly_those_a_search_finds(
        shown in 0u64..400,
        m in 0u64..3_000,
        delta in -40i64..40,
    ) {
        // Amounts near the one the shown tariff × 60 would give, both sides of every edge.
        let centre = i64::try_from(amount_for_minutes(shown * 60, m).unwrap_or(0)).unwrap_or(0);
        let amount = u64::try_from((centre + delta).max(0)).unwrap_or(0);
        prop_assert_eq!(
            minute_amount_possible(shown, m, amount),
            possible_by_search(shown, m, amount)
        );
    }
}

/// `generate::repair` makes claims that pass TR346 without a table (volume × tariff), so
/// the generated samples and corpora stay valid under `ketenpoort validate`. Every seed of the
/// range, not a sample: a message date in January once made a claim for December 2020 (CS100)
/// for a few seeds only.
#[test]
fn repaired_claims_pass_tr346_without_a_table() {
    use ketenpoort_messages::generate::{Gen, Shape, repair};
    use ketenpoort_messages::{MessageKind, MessageType};
    for seed in 0u64..500 {
        for law in [Law::Ijw, Law::Iwmo] {
            let kind = MessageKind::new(law, MessageType::M323);
            for shape in [Shape::Random, Shape::Full, Shape::Minimal] {
                let mut m = Message::generate(kind, &mut Gen::new(seed, shape));
                repair(&mut m);
                assert_eq!(rules::check(&m), vec![], "seed {seed}, {shape:?}");
                assert_eq!(amounts::check(&m, None), vec![], "seed {seed}, {shape:?}");
            }
        }
    }
}
