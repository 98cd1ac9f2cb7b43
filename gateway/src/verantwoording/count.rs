//! What counts in the productieverantwoording, and the reconciliation (see the module
//! documentation of [`super`] for the rules).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use ketenpoort_messages::Law;
use ketenpoort_messages::calendar::{Deadline, WorkingDays};
use ketenpoort_messages::codes::{Eenheid, Frequentie, ProductCategorie};
use ketenpoort_messages::money::{self, Variant};

use super::{Allocation, ClaimLine, Input, Organisation, THRESHOLD_CENTS, Verdict};

/// Claimed, granted, rejected and open amounts in eurocent; credits are negative.
/// `claimed == granted + rejected + open`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    /// Every counted line (Σ IngediendBedrag, credits subtracted).
    pub claimed: i64,
    /// The lines a 325 granted.
    pub granted: i64,
    /// The lines a 325 rejected.
    pub rejected: i64,
    /// The lines without a 325.
    pub open: i64,
}

impl Amounts {
    fn add(&mut self, verdict: &Verdict, cents: i64) {
        self.claimed += cents;
        match verdict {
            Verdict::Granted => self.granted += cents,
            Verdict::Rejected(_) => self.rejected += cents,
            Verdict::Open => self.open += cents,
        }
    }

    fn add_all(&mut self, other: &Amounts) {
        self.claimed += other.claimed;
        self.granted += other.granted;
        self.rejected += other.rejected;
        self.open += other.open;
    }
}

/// The part of a line's ProductPeriode that lies in the year, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// Days of the period inside the year.
    pub days_in_year: i64,
    /// Days of the whole period.
    pub days: i64,
}

impl Share {
    /// The whole period lies in the year.
    pub fn is_whole(self) -> bool {
        self.days_in_year == self.days
    }

    /// `value × days_in_year / days`, rounded half away from zero.
    pub fn apply(self, value: i64) -> i64 {
        if self.is_whole() || self.days == 0 {
            return value;
        }
        let num = i128::from(value) * i128::from(self.days_in_year);
        let den = i128::from(self.days);
        let q = (num.abs() * 2 + den) / (den * 2);
        i64::try_from(if num < 0 { -q } else { q }).unwrap_or(i64::MAX)
    }
}

/// A line of the year as counted.
#[derive(Debug, Clone, PartialEq)]
pub struct CountedLine {
    /// The claim line.
    pub line: ClaimLine,
    /// Its share of the year.
    pub share: Share,
    /// IngediendBedrag in the year, in eurocent, negative for a credit.
    pub amount_cents: i64,
    /// GeleverdVolume in the year, in hundredths of the unit (of a euro for unit 83),
    /// negative for a credit.
    pub quantity: i64,
}

/// One product row of a municipality's sheet: the lines of one category, product code, unit
/// and price together.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRow {
    /// ProductCategorie code.
    pub category: String,
    /// Its name (JZ020/WMO020).
    pub category_description: String,
    /// ProductCode.
    pub product_code: String,
    /// The product's description: from the product list when known, else the category's.
    pub description: String,
    /// Eenheid code.
    pub unit: String,
    /// Its name (WJ756).
    pub unit_name: String,
    /// P: ProductTarief in eurocent; 100 (€ 1.00) for unit 83, whose Q is in euros.
    pub price_cents: u64,
    /// Q: the net volume claimed, in hundredths of the unit.
    pub quantity: i64,
    /// The net volume of the granted lines, in hundredths of the unit.
    pub quantity_granted: i64,
    /// The amounts.
    pub amounts: Amounts,
    /// Number of lines.
    pub lines: usize,
}

impl ProductRow {
    /// Q × P in eurocent, rounded half away from zero. For a minute line under an hourly
    /// tariff (IV081) it can differ from the claimed amount, which comes from the hourly
    /// tariff.
    pub fn q_times_p_cents(&self) -> i64 {
        let v = i128::from(self.quantity) * i128::from(self.price_cents);
        let q = (v.abs() + 50) / 100;
        i64::try_from(if v < 0 { -q } else { q }).unwrap_or(i64::MAX)
    }
}

/// One municipality's part of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Municipality {
    /// CBS code.
    pub code: String,
    /// Product rows, by category, product code, unit and price.
    pub rows: Vec<ProductRow>,
    /// The sums over the rows.
    pub totals: Amounts,
    /// Number of lines.
    pub lines: usize,
}

/// Whether an auditor's statement (controleverklaring) is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// The granted total is below €125,000: no statement required.
    Below,
    /// The granted total is €125,000 or more: a statement is required by 1 April.
    AtOrAbove,
}

impl Threshold {
    /// The verdict for a granted total in eurocent.
    pub fn of(granted_cents: i64) -> Threshold {
        if granted_cents >= THRESHOLD_CENTS {
            Threshold::AtOrAbove
        } else {
            Threshold::Below
        }
    }
}

/// What the reconciliation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    /// A line without a 325 after the municipality's term (ten working days after VECOZO
    /// accepted the claim, OP090x4).
    OverdueAnswer,
    /// A rejected debit line with no later debit line for the same allocation, product and
    /// (overlapping) period.
    RejectedNotClaimedAgain,
    /// A credit line whose VorigReferentieNummer matches no debit line of the provider.
    CreditWithoutDebit,
    /// An allocation whose granted and open lines (credits subtracted) exceed the volume or
    /// budget allocated over its whole duration (as TR322/TR369 reckon it).
    BeyondAllocation,
}

impl FindingKind {
    /// Short English name, for the command line and CSV.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::OverdueAnswer => "overdue-325",
            FindingKind::RejectedNotClaimedAgain => "rejected-not-claimed-again",
            FindingKind::CreditWithoutDebit => "credit-without-debit",
            FindingKind::BeyondAllocation => "beyond-allocation",
        }
    }

    /// Dutch description, for the workbook.
    pub fn dutch(self) -> &'static str {
        match self {
            FindingKind::OverdueAnswer => "Geen 325 na de termijn (10 werkdagen)",
            FindingKind::RejectedNotClaimedAgain => "Afgewezen, niet opnieuw gedeclareerd",
            FindingKind::CreditWithoutDebit => "Creditregel zonder bijbehorende debetregel",
            FindingKind::BeyondAllocation => "Meer gedeclareerd dan toegewezen",
        }
    }
}

/// How far an allocation was claimed beyond what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excess {
    /// Claimed (granted and open lines, credits subtracted), in `unit`.
    pub claimed: i64,
    /// Allowed over the whole allocation, in `unit`.
    pub allowed: i64,
    /// Eenheid code of the figures; `83` with figures in eurocent for a budget.
    pub unit: String,
}

/// One finding of the reconciliation, with the numbers to find it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What it is.
    pub kind: FindingKind,
    /// CBS code of the municipality.
    pub municipality: String,
    /// AGB code.
    pub agb_code: String,
    /// ketenpoort's message id of the 323 (for an allocation: of its latest line).
    pub message_id: String,
    /// DeclaratieNummer (for an allocation: of its latest line).
    pub declaration_number: String,
    /// ReferentieNummer of the line (for an allocation: of every counted line, space
    /// separated).
    pub reference_number: String,
    /// VorigReferentieNummer of the line.
    pub previous_reference_number: String,
    /// ToewijzingNummer.
    pub allocation_number: u64,
    /// ProductCode.
    pub product_code: String,
    /// ProductPeriode of the line.
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// The line's IngediendBedrag in eurocent, negative for a credit.
    pub amount_cents: i64,
    /// For a missing 325: the last day it was due.
    pub due: Option<NaiveDate>,
    /// For a rejected line: its retourcodes.
    pub codes: Vec<String>,
    /// For an allocation: how far it was exceeded.
    pub excess: Option<Excess>,
}

impl Finding {
    /// What is wrong, in English.
    pub fn detail(&self) -> String {
        match self.kind {
            FindingKind::OverdueAnswer => format!(
                "no 325 yet; it was due on {}",
                self.due.map(|d| d.to_string()).unwrap_or_default()
            ),
            FindingKind::RejectedNotClaimedAgain => {
                format!("rejected with {}; not claimed again", self.codes.join(" "))
            }
            FindingKind::CreditWithoutDebit => format!(
                "no debit line with reference number {:?}",
                self.previous_reference_number
            ),
            FindingKind::BeyondAllocation => match &self.excess {
                Some(e) if e.unit == "83" => format!(
                    "claimed {} of a budget of {} euro",
                    super::euros(e.claimed),
                    super::euros(e.allowed)
                ),
                Some(e) => format!(
                    "claimed {} of {} allocated (unit {})",
                    e.claimed, e.allowed, e.unit
                ),
                None => String::new(),
            },
        }
    }

    /// What is wrong, in Dutch (for the workbook).
    pub fn dutch_detail(&self) -> String {
        match self.kind {
            FindingKind::OverdueAnswer => format!(
                "nog geen 325; uiterlijk {}",
                self.due.map(|d| d.to_string()).unwrap_or_default()
            ),
            FindingKind::RejectedNotClaimedAgain => {
                format!("afgewezen met {}", self.codes.join(" "))
            }
            FindingKind::CreditWithoutDebit => format!(
                "geen debetregel met referentienummer {:?}",
                self.previous_reference_number
            ),
            FindingKind::BeyondAllocation => match &self.excess {
                Some(e) if e.unit == "83" => format!(
                    "{} gedeclareerd van een budget van {} euro",
                    super::euros(e.claimed),
                    super::euros(e.allowed)
                ),
                Some(e) => format!(
                    "{} gedeclareerd van {} toegewezen (eenheid {})",
                    e.claimed, e.allowed, e.unit
                ),
                None => String::new(),
            },
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The year.
    pub year: i32,
    /// The law.
    pub law: Law,
    /// The AGB codes covered (empty: all of the tenant's).
    pub agb_codes: Vec<String>,
    /// Who accounts.
    pub organisation: Organisation,
    /// The day the report was made.
    pub as_of: NaiveDate,
    /// Per municipality, by CBS code.
    pub municipalities: Vec<Municipality>,
    /// The sums over all municipalities.
    pub totals: Amounts,
    /// Whether an auditor's statement is required (on the granted total).
    pub threshold: Threshold,
    /// 1 March of the next year: the report is due.
    pub report_due: NaiveDate,
    /// 1 April of the next year: the auditor's statement is due (when required).
    pub statement_due: NaiveDate,
    /// The counted lines, by municipality, period and message.
    pub lines: Vec<CountedLine>,
    /// How many of them were split at the year boundary.
    pub split_lines: usize,
    /// The reconciliation.
    pub findings: Vec<Finding>,
}

/// Days in `[start, end]`, 0 when empty.
fn days(start: NaiveDate, end: NaiveDate) -> i64 {
    ((end - start).num_days() + 1).max(0)
}

/// The share of `[start, end]` inside `year`; `None` when none of it is.
pub fn share(year: i32, start: NaiveDate, end: NaiveDate) -> Option<Share> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31)?;
    let inside = days(start.max(first), end.min(last));
    (inside > 0).then(|| Share {
        days_in_year: inside,
        days: days(start, end),
    })
}

fn signed(line: &ClaimLine, value: u64) -> i64 {
    let v = i64::try_from(value).unwrap_or(i64::MAX);
    if line.credit { -v } else { v }
}

/// The message id as a number for ordering (ids are decimal; others sort last).
fn order(message_id: &str) -> (u64, &str) {
    (message_id.parse().unwrap_or(u64::MAX), message_id)
}

/// The report for `input`.
pub fn report(input: &Input) -> Report {
    let mut counted: Vec<CountedLine> = input
        .lines
        .iter()
        .filter_map(|l| {
            let share = share(input.year, l.period_start, l.period_end)?;
            let hundredths = if l.unit == Eenheid::Euro.code() {
                l.volume
            } else {
                l.volume.saturating_mul(100)
            };
            Some(CountedLine {
                line: l.clone(),
                share,
                amount_cents: share.apply(signed(l, l.amount_cents)),
                quantity: share.apply(signed(l, hundredths)),
            })
        })
        .collect();
    counted.sort_by(|a, b| {
        (
            &a.line.municipality,
            a.line.period_start,
            order(&a.line.message_id),
        )
            .cmp(&(
                &b.line.municipality,
                b.line.period_start,
                order(&b.line.message_id),
            ))
    });
    let split_lines = counted.iter().filter(|c| !c.share.is_whole()).count();

    type Key = (String, String, String, u64);
    let mut by_municipality: BTreeMap<&str, BTreeMap<Key, ProductRow>> = BTreeMap::new();
    for c in &counted {
        let l = &c.line;
        let price = if l.unit == Eenheid::Euro.code() {
            100
        } else {
            l.tariff_cents.unwrap_or(0)
        };
        let key = (
            l.product_category.clone(),
            l.product_code.clone(),
            l.unit.clone(),
            price,
        );
        let category_description = ProductCategorie::from_code(&l.product_category)
            .map(|c| c.description().to_owned())
            .unwrap_or_default();
        let row = by_municipality
            .entry(&l.municipality)
            .or_default()
            .entry(key)
            .or_insert_with(|| ProductRow {
                category: l.product_category.clone(),
                description: input
                    .product_descriptions
                    .get(&l.product_code)
                    .cloned()
                    .unwrap_or_else(|| category_description.clone()),
                category_description,
                product_code: l.product_code.clone(),
                unit: l.unit.clone(),
                unit_name: Eenheid::from_code(&l.unit)
                    .map(|u| u.description().to_owned())
                    .unwrap_or_default(),
                price_cents: price,
                quantity: 0,
                quantity_granted: 0,
                amounts: Amounts::default(),
                lines: 0,
            });
        row.quantity += c.quantity;
        if l.verdict == Verdict::Granted {
            row.quantity_granted += c.quantity;
        }
        row.amounts.add(&l.verdict, c.amount_cents);
        row.lines += 1;
    }
    let municipalities: Vec<Municipality> = by_municipality
        .into_iter()
        .map(|(code, rows)| {
            let rows: Vec<ProductRow> = rows.into_values().collect();
            let mut totals = Amounts::default();
            for r in &rows {
                totals.add_all(&r.amounts);
            }
            Municipality {
                code: code.to_owned(),
                lines: rows.iter().map(|r| r.lines).sum(),
                rows,
                totals,
            }
        })
        .collect();
    let mut totals = Amounts::default();
    for m in &municipalities {
        totals.add_all(&m.totals);
    }
    let next = |month| NaiveDate::from_ymd_opt(input.year + 1, month, 1).unwrap_or(NaiveDate::MAX);
    let findings = reconcile(input, &counted);
    Report {
        year: input.year,
        law: input.law,
        agb_codes: input.agb_codes.clone(),
        organisation: input.organisation.clone(),
        as_of: input.as_of,
        threshold: Threshold::of(totals.granted),
        municipalities,
        totals,
        report_due: next(3),
        statement_due: next(4),
        lines: counted,
        split_lines,
        findings,
    }
}

fn finding(kind: FindingKind, l: &ClaimLine) -> Finding {
    Finding {
        kind,
        municipality: l.municipality.clone(),
        agb_code: l.agb_code.clone(),
        message_id: l.message_id.clone(),
        declaration_number: l.declaration_number.clone(),
        reference_number: l.reference_number.clone(),
        previous_reference_number: l.previous_reference_number.clone(),
        allocation_number: l.allocation_number,
        product_code: l.product_code.clone(),
        period: Some((l.period_start, l.period_end)),
        amount_cents: signed(l, l.amount_cents),
        due: None,
        codes: Vec::new(),
        excess: None,
    }
}

fn reconcile(input: &Input, counted: &[CountedLine]) -> Vec<Finding> {
    let calendar = WorkingDays::new();
    let mut findings = Vec::new();
    let debits: std::collections::HashSet<(&str, &str)> = input
        .lines
        .iter()
        .filter(|l| !l.credit)
        .map(|l| (l.agb_code.as_str(), l.reference_number.as_str()))
        .collect();
    for c in counted {
        let l = &c.line;
        match &l.verdict {
            Verdict::Open => {
                if let Some(delivered) = l.delivered_on {
                    let due = calendar.deadline(Deadline::DeclarationAnswer, delivered);
                    if input.as_of > due {
                        findings.push(Finding {
                            due: Some(due),
                            ..finding(FindingKind::OverdueAnswer, l)
                        });
                    }
                }
            }
            Verdict::Rejected(codes) if !l.credit => {
                let again = input.lines.iter().any(|m| {
                    !m.credit
                        && order(&m.message_id) > order(&l.message_id)
                        && m.agb_code == l.agb_code
                        && m.municipality == l.municipality
                        && m.allocation_number == l.allocation_number
                        && m.product_code == l.product_code
                        && m.period_start <= l.period_end
                        && l.period_start <= m.period_end
                });
                if !again {
                    findings.push(Finding {
                        codes: codes.clone(),
                        ..finding(FindingKind::RejectedNotClaimedAgain, l)
                    });
                }
            }
            _ => {}
        }
        if l.credit
            && !debits.contains(&(l.agb_code.as_str(), l.previous_reference_number.as_str()))
        {
            findings.push(finding(FindingKind::CreditWithoutDebit, l));
        }
    }
    findings.extend(beyond_allocations(input, counted));
    findings.sort_by(|a, b| {
        (
            a.kind,
            &a.municipality,
            order(&a.message_id),
            &a.reference_number,
        )
            .cmp(&(
                b.kind,
                &b.municipality,
                order(&b.message_id),
                &b.reference_number,
            ))
    });
    findings
}

/// Calendar months `[start, end]` touches.
fn months(start: NaiveDate, end: NaiveDate) -> u64 {
    let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    u64::try_from(index(end) - index(start) + 1).unwrap_or(0)
}

/// The largest total volume over the allocation's whole duration, in its unit (TR322,
/// IV077); `None` when unbounded (no end and a frequency other than in total).
fn max_total(a: &Allocation, volume: u64, unit: Eenheid, frequency: Frequentie) -> Option<u64> {
    if frequency == Frequentie::Totaal {
        return Some(volume);
    }
    let end = a.end?;
    match frequency {
        Frequentie::PerDag => u64::try_from(days(a.start, end)).ok()?.checked_mul(volume),
        Frequentie::PerMaand => months(a.start, end).checked_mul(volume),
        _ => money::max_weekly_volume(
            a.start,
            end,
            a.start,
            Some(end),
            volume,
            Variant::for_unit(unit),
        ),
    }
}

fn beyond_allocations(input: &Input, counted: &[CountedLine]) -> Vec<Finding> {
    let allocations: HashMap<(&str, &str, u64), &Allocation> = input
        .allocations
        .iter()
        .map(|a| {
            (
                (
                    a.agb_code.as_str(),
                    a.municipality.as_str(),
                    a.allocation_number,
                ),
                a,
            )
        })
        .collect();
    // The allocations with a line in the year, in the order of their first line.
    let mut keys: Vec<(&str, &str, u64)> = Vec::new();
    for c in counted {
        let k = (
            c.line.agb_code.as_str(),
            c.line.municipality.as_str(),
            c.line.allocation_number,
        );
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut out = Vec::new();
    for key in keys {
        let Some(a) = allocations.get(&key) else {
            continue;
        };
        let mut lines: Vec<&ClaimLine> = input
            .lines
            .iter()
            .filter(|l| {
                (
                    l.agb_code.as_str(),
                    l.municipality.as_str(),
                    l.allocation_number,
                ) == key
                    && !matches!(l.verdict, Verdict::Rejected(_))
            })
            .collect();
        lines.sort_by(|x, y| order(&x.message_id).cmp(&order(&y.message_id)));
        let Some(last) = lines.last() else { continue };
        let mut excess = None;
        if let Some((volume, unit, frequency)) = &a.extent
            && let (Some(unit), Some(frequency)) =
                (Eenheid::from_code(unit), Frequentie::from_code(frequency))
            && unit != Eenheid::Euro
            && let Some(max) = max_total(a, *volume, unit, frequency)
        {
            // An hourly allocation may be claimed in minutes (IV081): compare in minutes.
            let per_unit: u64 = if unit == Eenheid::Uur { 60 } else { 1 };
            let claimed: i64 = lines
                .iter()
                .map(|l| {
                    let factor = if unit == Eenheid::Uur && l.unit == Eenheid::Minuut.code() {
                        1
                    } else {
                        per_unit
                    };
                    signed(l, l.volume.saturating_mul(factor))
                })
                .sum();
            let allowed = i64::try_from(max.saturating_mul(per_unit)).unwrap_or(i64::MAX);
            if claimed > allowed {
                // In the allocation's unit, or in minutes when hours do not come out whole.
                let (claimed, allowed, unit) = if per_unit == 60 && claimed % 60 != 0 {
                    (claimed, allowed, Eenheid::Minuut.code())
                } else {
                    let per = i64::try_from(per_unit).unwrap_or(1);
                    (claimed / per, allowed / per, unit.code())
                };
                excess = Some(Excess {
                    claimed,
                    allowed,
                    unit: unit.to_owned(),
                });
            }
        }
        if excess.is_none()
            && let Some(budget) = a.budget_cents
        {
            let claimed: i64 = lines.iter().map(|l| signed(l, l.amount_cents)).sum();
            let allowed = i64::try_from(budget).unwrap_or(i64::MAX);
            if claimed > allowed {
                excess = Some(Excess {
                    claimed,
                    allowed,
                    unit: Eenheid::Euro.code().to_owned(),
                });
            }
        }
        if let Some(excess) = excess {
            out.push(Finding {
                reference_number: lines
                    .iter()
                    .map(|l| l.reference_number.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                previous_reference_number: String::new(),
                period: Some((a.start, a.end.unwrap_or(a.start))),
                amount_cents: lines.iter().map(|l| signed(l, l.amount_cents)).sum(),
                excess: Some(excess),
                ..finding(FindingKind::BeyondAllocation, last)
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn line(message: &str, reference: &str, start: &str, end: &str, cents: u64) -> ClaimLine {
        ClaimLine {
            message_id: message.into(),
            declaration_number: format!("D{message}"),
            agb_code: "12345678".into(),
            municipality: "0268".into(),
            delivered_on: Some(d("2025-02-03")),
            reference_number: reference.into(),
            previous_reference_number: String::new(),
            allocation_number: 100000001,
            product_category: "45".into(),
            product_code: "45A48".into(),
            period_start: d(start),
            period_end: d(end),
            volume: 4,
            unit: "04".into(),
            tariff_cents: Some(cents / 4),
            amount_cents: cents,
            credit: false,
            verdict: Verdict::Granted,
        }
    }

    fn input(lines: Vec<ClaimLine>) -> Input {
        Input {
            year: 2024,
            law: Law::Ijw,
            agb_codes: vec![],
            organisation: Organisation::default(),
            as_of: d("2025-02-04"),
            lines,
            allocations: vec![],
            product_descriptions: BTreeMap::new(),
        }
    }

    #[test]
    fn a_period_across_the_year_boundary_counts_by_its_days_in_the_year() {
        // 2024-12-29 .. 2025-01-04: 3 of 7 days in 2024.
        let s = share(2024, d("2024-12-29"), d("2025-01-04")).expect("overlaps");
        assert_eq!((s.days_in_year, s.days), (3, 7));
        // 100.00 × 3/7 = 42.857… → 42.86; the volume 4 hours × 3/7 = 1.714… → 1.71.
        let r = report(&input(vec![line(
            "1",
            "R1",
            "2024-12-29",
            "2025-01-04",
            10_000,
        )]));
        assert_eq!(r.split_lines, 1);
        assert_eq!(r.totals.granted, 4_286);
        assert_eq!(r.municipalities[0].rows[0].quantity, 171);
        assert!(share(2024, d("2025-01-01"), d("2025-01-31")).is_none());
        // Half a cent rounds away from zero, for credits too.
        let half = Share {
            days_in_year: 1,
            days: 2,
        };
        assert_eq!((half.apply(1), half.apply(-1), half.apply(3)), (1, -1, 2));
    }

    #[test]
    fn a_credit_nets_against_its_debit_and_each_verdict_has_its_column() {
        let mut credit = line("2", "R2", "2024-03-01", "2024-03-31", 10_000);
        credit.credit = true;
        credit.previous_reference_number = "R1".into();
        let mut rejected = line("2", "R3", "2024-03-01", "2024-03-31", 2_000);
        rejected.verdict = Verdict::Rejected(vec!["9338".into()]);
        let mut open = line("3", "R4", "2024-04-01", "2024-04-30", 700);
        open.verdict = Verdict::Open;
        let r = report(&input(vec![
            line("1", "R1", "2024-03-01", "2024-03-31", 10_000),
            credit,
            rejected,
            open,
        ]));
        assert_eq!(
            r.totals,
            Amounts {
                claimed: 2_700,
                granted: 0,
                rejected: 2_000,
                open: 700,
            }
        );
        let row = &r.municipalities[0].rows;
        // Different prices (tariffs) are different rows.
        assert_eq!(row.len(), 3, "{row:?}");
        let r1 = row.iter().find(|r| r.price_cents == 2_500).expect("row");
        assert_eq!((r1.quantity, r1.quantity_granted, r1.lines), (0, 0, 2));
    }

    #[test]
    fn the_threshold_is_reached_at_exactly_125000_euro() {
        assert_eq!(Threshold::of(12_499_999), Threshold::Below);
        assert_eq!(Threshold::of(12_500_000), Threshold::AtOrAbove);
        assert_eq!(Threshold::of(12_500_001), Threshold::AtOrAbove);
    }

    #[test]
    fn the_reconciliation_finds_each_kind_with_its_references() {
        // Open, delivered 2025-02-03 (Monday): due ten working days later, 2025-02-17.
        let mut open = line("1", "R1", "2024-12-01", "2024-12-31", 100);
        open.verdict = Verdict::Open;
        // Rejected and never claimed again; and one rejected but claimed again later.
        let mut lost = line("1", "R2", "2024-11-01", "2024-11-30", 100);
        lost.verdict = Verdict::Rejected(vec!["9338".into()]);
        lost.product_code = "45A49".into();
        let mut redone = line("1", "R3", "2024-10-01", "2024-10-31", 100);
        redone.verdict = Verdict::Rejected(vec!["9322".into()]);
        let again = line("2", "R4", "2024-10-01", "2024-10-31", 100);
        // A credit of a line nobody claimed.
        let mut stray = line("2", "R5", "2024-09-01", "2024-09-30", 100);
        stray.credit = true;
        stray.previous_reference_number = "R0".into();
        let lines = vec![open, lost, redone, again, stray];
        let mut inp = input(lines.clone());
        inp.as_of = d("2025-02-17");
        let kinds = |r: &Report| -> Vec<(FindingKind, String)> {
            r.findings
                .iter()
                .map(|f| (f.kind, f.reference_number.clone()))
                .collect()
        };
        assert_eq!(
            kinds(&report(&inp)),
            vec![
                (FindingKind::RejectedNotClaimedAgain, "R2".into()),
                (FindingKind::CreditWithoutDebit, "R5".into()),
            ],
            "on the due day itself nothing is late"
        );
        inp.as_of = d("2025-02-18");
        let r = report(&inp);
        assert_eq!(kinds(&r)[0], (FindingKind::OverdueAnswer, "R1".into()));
        assert_eq!(r.findings[0].due, Some(d("2025-02-17")));
        assert_eq!(r.findings[0].declaration_number, "D1");
    }

    #[test]
    fn an_allocation_claimed_beyond_its_volume_is_found_minutes_counted_as_hours() {
        // 10 hours in total; claimed 4 h + 240 min + 180 min = 11 h, one line rejected
        // (does not count), one credit of 1 h.
        let mut inp = input(vec![]);
        inp.allocations.push(Allocation {
            agb_code: "12345678".into(),
            municipality: "0268".into(),
            allocation_number: 100000001,
            start: d("2024-01-01"),
            end: Some(d("2024-12-31")),
            extent: Some((10, "04".into(), "6".into())),
            budget_cents: None,
        });
        let hours = line("1", "R1", "2024-01-01", "2024-01-31", 100);
        let mut minutes = line("2", "R2", "2024-02-01", "2024-02-29", 100);
        (minutes.volume, minutes.unit) = (240, "01".into());
        let mut more = line("3", "R3", "2024-03-01", "2024-03-31", 100);
        (more.volume, more.unit) = (180, "01".into());
        let mut rejected = line("3", "R4", "2024-04-01", "2024-04-30", 100);
        rejected.verdict = Verdict::Rejected(vec!["9322".into()]);
        rejected.volume = 50;
        inp.lines = vec![hours.clone(), minutes.clone(), more.clone(), rejected];
        let beyond = |r: &Report| -> Vec<Finding> {
            r.findings
                .iter()
                .filter(|f| f.kind == FindingKind::BeyondAllocation)
                .cloned()
                .collect()
        };
        let found = beyond(&report(&inp));
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(f.kind, FindingKind::BeyondAllocation);
        assert_eq!(f.reference_number, "R1 R2 R3");
        assert_eq!(
            f.excess,
            Some(Excess {
                claimed: 11,
                allowed: 10,
                unit: "04".into()
            })
        );
        // A credit of one hour brings it back within the allocation.
        let mut credit = line("4", "R5", "2024-01-01", "2024-01-31", 25);
        (credit.volume, credit.credit) = (1, true);
        credit.previous_reference_number = "R1".into();
        inp.lines.push(credit);
        assert!(beyond(&report(&inp)).is_empty());
    }
}
