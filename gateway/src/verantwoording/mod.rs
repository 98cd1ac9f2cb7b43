//! The productieverantwoording: a year's accountability report, per law, made from the claim
//! lines (323 prestaties) and the municipalities' verdicts on them (325), as an XLSX workbook
//! and the same data as CSV. Data in, bytes out: no I/O here. `ketenpoort verantwoording`
//! ([`crate::cli::verantwoording`]) gathers the data from a running gateway; the operator
//! console can offer the same workbook from the data it holds.
//!
//! - [`count`]: what counts. A claim line counts in the year of its ProductPeriode; a period
//!   across the year boundary counts for the share of its days inside the year (the amount
//!   rounded to the cent, half away from zero), and the report says how many lines were
//!   split. Credit lines (DebetCredit `C`) are subtracted in the same product row as their
//!   debits, so a corrected line counts once. Only lines a 325 granted are in the "granted"
//!   columns; rejected lines are in "rejected"; lines without a 325 yet in "open"; claimed =
//!   granted + rejected + open. Claims VECOZO refused never reached a municipality and are
//!   left out by the caller.
//! - [`count::Threshold`]: the auditor's statement (controleverklaring) is due when the
//!   granted total under one law reaches €125,000 ([`THRESHOLD_CENTS`]); the report is due
//!   on 1 March, the statement on 1 April of the next year.
//! - [`count::Finding`]: the reconciliation — lines without a 325 past their term (ten working
//!   days after VECOZO accepted the claim, OP090x4), rejected lines never claimed again,
//!   credits without a matching debit, allocations claimed beyond their volume or budget.
//! - [`workbook`]: the XLSX (sheets *Totaalblad*, *Overzicht gemeenten*, one per
//!   municipality, *Reconciliatie*, *Regels*), numbers as numbers, amounts in euro with two
//!   decimals, Q × P and totals as formulas (with their values cached for readers that do not
//!   calculate).
//! - [`sheets`]: the sheets as tables of cells, which [`workbook`] writes as XLSX and
//!   [`csv`] as CSV files, so both hold the same data.
//! - [`csv`]: the same tables as CSV files.

pub mod count;
pub mod csv;
pub mod sheets;
pub mod workbook;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ketenpoort_messages::Law;
use serde::Deserialize;

pub use count::{Amounts, Finding, FindingKind, Report, Threshold};

/// The turnover under one law from which an auditor's statement is required: €125,000.00,
/// in eurocent. Reaching it exactly counts as reaching it.
pub const THRESHOLD_CENTS: i64 = 12_500_000;

/// Who accounts for the care: the organisation details on the *Totaalblad*, from the
/// configuration (`[tenants.organisation]`, or `[organisations."<AGB>"]` per AGB code).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Organisation {
    /// Naam organisatie.
    pub name: String,
    /// Vestigingsplaats.
    pub place: String,
    /// KvK-nummer (Chamber of Commerce number).
    pub kvk_number: String,
    /// Contactpersoon.
    pub contact_person: String,
    /// Telefoonnummer.
    pub telephone: String,
    /// E-mailadres.
    pub email: String,
    /// Who signs the report (tekenbevoegde).
    pub signatory: String,
}

/// What the municipality said about a claim line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A 325 came and did not reject the line.
    Granted,
    /// A 325 rejected the line, with these retourcodes.
    Rejected(Vec<String>),
    /// No 325 yet.
    Open,
}

/// One claim line (prestatie of a 323) with its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimLine {
    /// ketenpoort's id of the 323 message.
    pub message_id: String,
    /// DeclaratieNummer.
    pub declaration_number: String,
    /// AGB code of the provider (Afzender).
    pub agb_code: String,
    /// CBS code of the municipality (Ontvanger).
    pub municipality: String,
    /// The day VECOZO accepted the 323 (start of the 325's term); `None` while it has not.
    pub delivered_on: Option<NaiveDate>,
    /// ProductReferentie/ReferentieNummer.
    pub reference_number: String,
    /// ProductReferentie/VorigReferentieNummer (a credit line: the debit it undoes).
    pub previous_reference_number: String,
    /// ToewijzingNummer.
    pub allocation_number: u64,
    /// ProductCategorie code.
    pub product_category: String,
    /// ProductCode.
    pub product_code: String,
    /// ProductPeriode/Begindatum.
    pub period_start: NaiveDate,
    /// ProductPeriode/Einddatum.
    pub period_end: NaiveDate,
    /// GeleverdVolume (for unit 83, euro, in eurocent).
    pub volume: u64,
    /// Eenheid code.
    pub unit: String,
    /// ProductTarief in eurocent (absent for unit 83).
    pub tariff_cents: Option<u64>,
    /// IngediendBedrag in eurocent.
    pub amount_cents: u64,
    /// DebetCredit `C`.
    pub credit: bool,
    /// The latest 325's verdict.
    pub verdict: Verdict,
}

/// One allocated product (ToegewezenProduct of a 301), as the latest 301 for its number says.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    /// AGB code of the provider it was allocated to.
    pub agb_code: String,
    /// CBS code of the municipality that allocated it.
    pub municipality: String,
    /// ToewijzingNummer.
    pub allocation_number: u64,
    /// ToewijzingIngangsdatum.
    pub start: NaiveDate,
    /// ToewijzingEinddatum.
    pub end: Option<NaiveDate>,
    /// Omvang: volume, Eenheid code and Frequentie code.
    pub extent: Option<(u64, String, String)>,
    /// Budget in eurocent.
    pub budget_cents: Option<u64>,
}

/// Everything the report is made from.
#[derive(Debug, Clone)]
pub struct Input {
    /// The year accounted for.
    pub year: i32,
    /// The law.
    pub law: Law,
    /// The AGB codes the report covers (as asked; empty means all of the tenant's).
    pub agb_codes: Vec<String>,
    /// Who accounts.
    pub organisation: Organisation,
    /// The day the report is made: the date on the Totaalblad and the day against which
    /// terms are judged.
    pub as_of: NaiveDate,
    /// The claim lines of the law: of the year and around it (earlier and later lines are
    /// used to match credits with debits and to find lines claimed again; only the year's
    /// are counted).
    pub lines: Vec<ClaimLine>,
    /// The allocations, for the volume check.
    pub allocations: Vec<Allocation>,
    /// Descriptions of product codes (ProductCode → text) where known, e.g. from a
    /// municipality's product list; without one a product is described by its category.
    pub product_descriptions: BTreeMap<String, String>,
}

/// Why a workbook could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The XLSX library refused something (e.g. a sheet name).
    #[error("the workbook could not be written: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// Writing CSV to memory failed.
    #[error("the CSV could not be written: {0}")]
    Csv(#[from] std::io::Error),
}

/// The report for `input`: what counts, the totals, the threshold and the reconciliation.
pub fn report(input: &Input) -> Report {
    count::report(input)
}

/// Euro amount text with two decimals and a minus sign for negative amounts: `-1234.50`.
pub fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_have_two_decimals_and_a_sign() {
        assert_eq!(euros(0), "0.00");
        assert_eq!(euros(5), "0.05");
        assert_eq!(euros(12_500_000), "125000.00");
        assert_eq!(euros(-34_896), "-348.96");
    }
}
