//! The productieverantwoording workbook from the library alone (no gateway): the threshold
//! verdict on both sides of €125,000 and at exactly €125,000.00, read back with calamine; the
//! CSV files hold the same figures; a period across the year boundary is counted by its days.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use ketenpoort::verantwoording::{self, ClaimLine, Input, Organisation, Verdict, csv, workbook};
use ketenpoort_messages::Law;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// One granted euro line (unit 83) of `cents` in 0268, in `start..end`.
fn line(reference: &str, start: &str, end: &str, cents: u64) -> ClaimLine {
    ClaimLine {
        message_id: "1".into(),
        declaration_number: "KP1".into(),
        agb_code: "12345678".into(),
        municipality: "0268".into(),
        delivered_on: Some(d("2025-01-06")),
        reference_number: reference.into(),
        previous_reference_number: String::new(),
        allocation_number: 100000001,
        product_category: "45".into(),
        product_code: "45A53".into(),
        period_start: d(start),
        period_end: d(end),
        volume: cents,
        unit: "83".into(),
        tariff_cents: None,
        amount_cents: cents,
        credit: false,
        verdict: Verdict::Granted,
    }
}

fn input(lines: Vec<ClaimLine>) -> Input {
    Input {
        year: 2024,
        law: Law::Ijw,
        agb_codes: vec!["12345678".into()],
        organisation: Organisation {
            name: "De Brug".into(),
            ..Default::default()
        },
        as_of: d("2025-01-10"),
        lines,
        allocations: vec![],
        product_descriptions: BTreeMap::new(),
    }
}

/// The Totaalblad's (label → value) pairs, read with calamine.
fn totaalblad(bytes: Vec<u8>) -> BTreeMap<String, Data> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("calamine reads it");
    let range = book.worksheet_range("Totaalblad").expect("Totaalblad");
    range
        .rows()
        .filter_map(|r| match (r.first(), r.get(1)) {
            (Some(Data::String(label)), Some(v)) => Some((label.clone(), v.clone())),
            _ => None,
        })
        .collect()
}

fn verdict_for(granted_cents: u64) -> String {
    let report = verantwoording::report(&input(vec![line(
        "R1",
        "2024-05-01",
        "2024-05-31",
        granted_cents,
    )]));
    let sheet = totaalblad(workbook::xlsx(&report).expect("workbook"));
    match &sheet["Totaal toegekend (325)"] {
        Data::Float(f) => assert_eq!((f * 100.0).round() as u64, granted_cents),
        other => panic!("{other:?}"),
    }
    match &sheet["Oordeel (op het toegekende totaal)"] {
        Data::String(s) => s.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_threshold_verdict_below_at_and_above_125000_euro() {
    let below = "Onder de drempel: geen controleverklaring vereist";
    let above = "Op of boven de drempel: controleverklaring vereist";
    assert_eq!(verdict_for(12_499_999), below, "124,999.99");
    assert_eq!(verdict_for(12_500_000), above, "exactly 125,000.00");
    assert_eq!(verdict_for(12_500_001), above, "125,000.01");
    assert_eq!(verdict_for(0), below, "nothing claimed");
}

#[test]
fn a_period_across_the_year_boundary_counts_for_its_days_in_the_year_in_xlsx_and_csv() {
    // 2024-12-25 .. 2025-01-03: 7 of 10 days in 2024; 1000.00 × 7/10 = 700.00.
    let report = verantwoording::report(&input(vec![
        line("R1", "2024-12-25", "2025-01-03", 100_000),
        line("R2", "2025-01-04", "2025-01-31", 50_000),
    ]));
    let sheet = totaalblad(workbook::xlsx(&report).expect("workbook"));
    assert_eq!(sheet["Totaal gedeclareerd"], Data::Float(700.0));
    let note = sheet
        .keys()
        .find(|k| k.contains("jaargrens"))
        .expect("the split is stated");
    assert!(note.contains("(1 regel(s) gesplitst)"), "{note}");
    let files: BTreeMap<String, String> = csv::files(&report, ';')
        .expect("csv")
        .into_iter()
        .map(|(name, bytes)| (name, String::from_utf8(bytes).expect("utf-8")))
        .collect();
    assert!(
        files["gemeenten"].contains("0268;Gemeente 0268;1;700.00;700.00;0.00;0.00"),
        "{}",
        files["gemeenten"]
    );
    // The line sheet says how many of its days were counted.
    assert!(
        files["regels"]
            .lines()
            .any(|l| l.contains(";R1;") && l.ends_with(";7;10;700.00;700.00")),
        "{}",
        files["regels"]
    );
}
