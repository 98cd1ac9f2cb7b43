//! Money and periods of a 323 Declaratie (claim): amounts in eurocent, product periods and the
//! maximum volume per period.
//!
//! Amounts (bedragen) are whole eurocents in `u64` with the sign in a separate [`DebetCredit`],
//! as in the messages; tariffs in euros are [`Decimal`]. Nothing here uses floating point.
//! A [`ContractTariff`] (cents per [`TariffUnit`]) prices a claim line ([`ContractTariff::price`]).
//! Sources: TR346 and IV081 (amounts), TR358 and CS325 (totals), IV076, IV077 and IV078
//! (weekly and monthly volumes), the Toewijzingsvarianten table (units per variant).

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::codes::{DebetCredit, Eenheid};
use crate::types::Bedrag;

/// Minutes in an hour, the divisor of an hourly tariff claimed in minutes.
const MINUTES_PER_HOUR: u64 = 60;

/// `numerator / denominator` rounded half away from zero to a whole number (IV081: "volgens de
/// rekenkundige regels"); `None` when it does not fit a `u64`.
fn div_round(numerator: Decimal, denominator: u64) -> Option<u64> {
    numerator
        .checked_div(Decimal::from(denominator))?
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_u64()
}

/// A tariff or amount in euros (euro) as an exact decimal, e.g. 8724 cents → 87.24.
pub fn euros(cents: u64) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(cents), 2)
}

/// A tariff in euros (tarief in euro) as eurocents; `None` when it is negative, has a fraction
/// of a cent, or exceeds the LDT_Bedrag maximum. Nothing is rounded.
pub fn tariff_cents(euros: Decimal) -> Option<u64> {
    if euros < Decimal::ZERO {
        return None;
    }
    let cents = euros.checked_mul(Decimal::ONE_HUNDRED)?;
    if !cents.fract().is_zero() {
        return None;
    }
    cents.to_u64().filter(|&c| c <= Bedrag::MAX)
}

/// IngediendBedrag (claimed amount) for an hourly tariff (uurtarief) claimed in minutes:
/// `hour_tariff_cents × minutes / 60`, computed exactly and then rounded half away from zero to
/// whole cents (TR346, IV081). `None` when the result exceeds the LDT_Bedrag maximum.
///
/// €87,24 per hour for 240 minutes is €348,96, not 240 × the shown minute tariff €1,45.
pub fn amount_for_minutes(hour_tariff_cents: u64, minutes: u64) -> Option<u64> {
    let product = Decimal::from(hour_tariff_cents).checked_mul(Decimal::from(minutes))?;
    // round(product / 60) <= MAX exactly when product < 60 × MAX + 30; refusing larger products
    // first also keeps the division exact (Decimal has 28 significant digits).
    let limit = Decimal::from(Bedrag::MAX * MINUTES_PER_HOUR + MINUTES_PER_HOUR / 2);
    if product >= limit {
        return None;
    }
    div_round(product, MINUTES_PER_HOUR)
}

/// ProductTarief shown for an hourly tariff claimed in minutes (getoond minuuttarief): the hour
/// tariff / 60 rounded half away from zero to cents (IV081: 1,455 → 1,46; 1,454 → 1,45). Shown
/// only; [`amount_for_minutes`] computes the amount.
pub fn minute_tariff_shown(hour_tariff_cents: u64) -> u64 {
    // The quotient is at most the u64 input, so the conversion cannot fail.
    div_round(Decimal::from(hour_tariff_cents), MINUTES_PER_HOUR).unwrap_or(u64::MAX)
}

/// IngediendBedrag (claimed amount) = GeleverdVolume × ProductTarief (TR346, for units other
/// than euro); `None` when it exceeds the LDT_Bedrag maximum 99 999 999.
pub fn amount(volume: u64, tariff_cents: u64) -> Option<u64> {
    volume
        .checked_mul(tariff_cents)
        .filter(|&cents| cents <= Bedrag::MAX)
}

/// The unit a contract prices a product in (tariefeenheid): what one contract tariff is for.
///
/// The standard's Eenheid codes of a claim line (minuut 01, uur 04, etmaal 14, dagdeel 16,
/// stuks 82/84) plus the periods municipalities publish tariffs for (per week, per maand),
/// which a claim counts in stuks. Euro (83) has no tariff (CD087).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TariffUnit {
    /// Per minuut (minute), claimed in Eenheid 01.
    Minuut,
    /// Per uur (hour), claimed in Eenheid 04, or in minuut 01 (IV081).
    Uur,
    /// Per dagdeel (part of a day), claimed in Eenheid 16.
    Dagdeel,
    /// Per etmaal or dag (day), claimed in Eenheid 14.
    Etmaal,
    /// Per week, claimed in stuks (82 or 84), one stuk a week.
    Week,
    /// Per maand (month), claimed in stuks (82 or 84), one stuk a month.
    Maand,
    /// Per stuk (piece: a ride, a session, a trajectory), claimed in Eenheid 82 or 84.
    Stuks,
}

impl TariffUnit {
    /// Every unit, in the order of the documentation.
    pub const ALL: [TariffUnit; 7] = [
        TariffUnit::Minuut,
        TariffUnit::Uur,
        TariffUnit::Dagdeel,
        TariffUnit::Etmaal,
        TariffUnit::Week,
        TariffUnit::Maand,
        TariffUnit::Stuks,
    ];

    /// The unit written as a contract or a published list writes it, case and a leading
    /// `per ` ignored: an Eenheid code (`01`, `04`, `14`, `16`, `82`, `84`) or a word
    /// (`minuut`, `uur`, `dagdeel`, `etmaal`/`dag`, `week`, `maand`, `stuks`/`stuk`/`rit`,
    /// and their plurals or English names).
    pub fn parse(text: &str) -> Option<TariffUnit> {
        let t = text.trim().to_lowercase();
        let t = t.strip_prefix("per ").unwrap_or(&t).trim();
        Some(match t {
            "01" | "minuut" | "minuten" | "min" | "minute" | "minutes" => TariffUnit::Minuut,
            "04" | "uur" | "uren" | "hour" | "hours" => TariffUnit::Uur,
            "16" | "dagdeel" | "dagdelen" | "daypart" => TariffUnit::Dagdeel,
            "14" | "etmaal" | "etmalen" | "dag" | "dagen" | "day" | "days" => TariffUnit::Etmaal,
            "week" | "weken" | "weeks" => TariffUnit::Week,
            "maand" | "maanden" | "month" | "months" => TariffUnit::Maand,
            "82" | "84" | "stuk" | "stuks" | "rit" | "ritten" | "piece" | "pieces" | "traject"
            | "trajecten" => TariffUnit::Stuks,
            _ => return None,
        })
    }

    /// The unit's name in the documentation (`uur`, `etmaal`, …).
    pub fn name(self) -> &'static str {
        match self {
            TariffUnit::Minuut => "minuut",
            TariffUnit::Uur => "uur",
            TariffUnit::Dagdeel => "dagdeel",
            TariffUnit::Etmaal => "etmaal",
            TariffUnit::Week => "week",
            TariffUnit::Maand => "maand",
            TariffUnit::Stuks => "stuks",
        }
    }

    /// How a claim line in `claim` (its Eenheid) is priced under a tariff in this unit;
    /// `None` when the tariff cannot price such a line (OP267, IV081: the claim's unit
    /// follows the allocation, and only uur may be claimed in minuut).
    pub fn pricing(self, claim: Eenheid) -> Option<Pricing> {
        use Eenheid::*;
        match (self, claim) {
            (TariffUnit::Uur, Minuut) => Some(Pricing::HourInMinutes),
            (TariffUnit::Minuut, Minuut)
            | (TariffUnit::Uur, Uur)
            | (TariffUnit::Dagdeel, Dagdeel)
            | (TariffUnit::Etmaal, Etmaal)
            | (
                TariffUnit::Week | TariffUnit::Maand | TariffUnit::Stuks,
                StuksOutput | StuksInspanning,
            ) => Some(Pricing::PerUnit),
            _ => None,
        }
    }
}

impl std::fmt::Display for TariffUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a claim line is priced under a contract tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pricing {
    /// ProductTarief is the contract tariff; IngediendBedrag = GeleverdVolume × it (TR346).
    PerUnit,
    /// An hourly tariff claimed in minutes (IV081): ProductTarief is the tariff / 60 rounded
    /// ([`minute_tariff_shown`]); IngediendBedrag is [`amount_for_minutes`], not the volume
    /// × that rounded tariff.
    HourInMinutes,
}

/// A contract tariff (contracttarief): whole eurocents per [`TariffUnit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContractTariff {
    /// The tariff in eurocent per unit.
    pub cents: u64,
    /// The unit it is agreed in.
    pub unit: TariffUnit,
}

/// ProductTarief and IngediendBedrag of a claim line under a contract tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    /// ProductTarief in eurocent: the contract tariff, or for an hourly tariff claimed in
    /// minutes the rounded minute tariff (IV081).
    pub tariff_cents: u64,
    /// IngediendBedrag in eurocent (TR346).
    pub amount_cents: u64,
    /// How it was priced.
    pub pricing: Pricing,
}

/// Why a claim line cannot be priced under a contract tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// The tariff's unit does not price lines in this Eenheid.
    #[error("a tariff per {contract} cannot price a line in Eenheid {}", .claim.code())]
    Unit {
        /// The contract's unit.
        contract: TariffUnit,
        /// The line's Eenheid.
        claim: Eenheid,
    },
    /// The amount exceeds the LDT_Bedrag maximum (99 999 999 cents).
    #[error("the amount exceeds the largest amount a message can carry (99 999 999 cents)")]
    TooLarge,
}

impl ContractTariff {
    /// ProductTarief and IngediendBedrag of a line of `volume` in `claim` (its Eenheid):
    /// `volume × cents` for a line in the tariff's own unit, IV081's rounding for an hourly
    /// tariff claimed in minutes (€87,24/h × 240 min → ProductTarief 145, IngediendBedrag
    /// 34896).
    pub fn price(&self, claim: Eenheid, volume: u64) -> Result<Priced, PriceError> {
        let pricing = self.unit.pricing(claim).ok_or(PriceError::Unit {
            contract: self.unit,
            claim,
        })?;
        let (tariff_cents, amount_cents) = match pricing {
            Pricing::PerUnit => (self.cents, amount(volume, self.cents)),
            Pricing::HourInMinutes => (
                minute_tariff_shown(self.cents),
                amount_for_minutes(self.cents, volume),
            ),
        };
        let amount_cents = amount_cents.ok_or(PriceError::TooLarge)?;
        if tariff_cents > Bedrag::MAX {
            return Err(PriceError::TooLarge);
        }
        Ok(Priced {
            tariff_cents,
            amount_cents,
            pricing,
        })
    }
}

/// Whether some hourly tariff in whole cents whose shown minute tariff (IV081: / 60, rounded
/// half away from zero) is `shown_cents` gives IngediendBedrag `amount_cents` for `minutes`
/// ([`amount_for_minutes`]). This is TR346 for a minute line when the contract tariff is not
/// known: the message shows only the rounded tariff, so every amount some such hourly tariff
/// produces must pass, and no other. A per-minute contract (amount = minutes × shown) is
/// among them: the hourly tariff 60 × shown rounds to shown.
pub fn minute_amount_possible(shown_cents: u64, minutes: u64, amount_cents: u64) -> bool {
    let (p, v, a) = (
        u128::from(shown_cents),
        u128::from(minutes),
        u128::from(amount_cents),
    );
    // Hour tariffs h with round(h / 60) = p: 60p − 30 ≤ h ≤ 60p + 29 (and h ≥ 0).
    let h_lo = (60 * p).saturating_sub(30);
    let h_hi = 60 * p + 29;
    // round(h·v / 60) = a  ⇔  60a − 30 ≤ h·v ≤ 60a + 29 (for a = 0: h·v ≤ 29).
    let x_lo = (60 * a).saturating_sub(30);
    let x_hi = 60 * a + 29;
    if v == 0 {
        return x_lo == 0;
    }
    // The h with x_lo ≤ h·v ≤ x_hi: ceil(x_lo / v) ..= floor(x_hi / v).
    let lo = h_lo.max(x_lo.div_ceil(v));
    let hi = h_hi.min(x_hi / v);
    lo <= hi
}

/// First and last day of the calendar month holding `date`.
fn month_bounds(date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let (y, m) = (date.year(), date.month());
    // Day 1 and the last of 31..=28 exist in every month of a valid date; `date` is never used.
    let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(date);
    let last = (28..=31)
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(y, m, d))
        .unwrap_or(date);
    (first, last)
}

/// Declaratieperiode (declaration period): the whole calendar month holding `month` (any day of
/// it), as `(first day, last day)`.
pub fn declaration_period(month: NaiveDate) -> (NaiveDate, NaiveDate) {
    month_bounds(month)
}

/// ProductPeriode (product period) of an allocation in the month holding `claim_month`:
/// begin = max(first of the month, allocation start), end = min(last of the month, allocation
/// end). `None` when the allocation does not overlap the month.
pub fn product_period(
    allocation_start: NaiveDate,
    allocation_end: Option<NaiveDate>,
    claim_month: NaiveDate,
) -> Option<(NaiveDate, NaiveDate)> {
    let (first, last) = month_bounds(claim_month);
    let begin = first.max(allocation_start);
    let end = allocation_end.map_or(last, |e| e.min(last));
    (begin <= end).then_some((begin, end))
}

/// Execution variant (uitvoeringsvariant) of an allocation; it decides how weekly volumes map
/// onto monthly periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// Effort-oriented (inspanningsgericht): units minuut, uur, dagdeel, etmaal, stuks (84).
    Inspanningsgericht,
    /// Output-oriented (outputgericht): units stuks (82) and euro (83).
    Outputgericht,
}

impl Variant {
    /// The variant (uitvoeringsvariant) a unit belongs to, per the Toewijzingsvarianten table.
    pub fn for_unit(unit: Eenheid) -> Variant {
        match unit {
            Eenheid::StuksOutput | Eenheid::Euro => Variant::Outputgericht,
            Eenheid::Minuut
            | Eenheid::Uur
            | Eenheid::Etmaal
            | Eenheid::Dagdeel
            | Eenheid::StuksInspanning => Variant::Inspanningsgericht,
        }
    }
}

/// Day number with Monday 1 January of year 1 as day 1, so `n % 7 == 0` is a Sunday.
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

/// Index of the Monday–Sunday week holding day number `n`.
fn week_index(n: i64) -> i64 {
    (n - 1).div_euclid(7)
}

/// The Sunday ending the week of `date`, if the calendar has it.
fn sunday_of_week(date: NaiveDate) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(
        6 - u64::from(date.weekday().num_days_from_monday()),
    ))
}

/// The last Sunday on or before `end` that is not before `start`: the last Sunday of an
/// allocation, if it has one.
fn last_sunday(start: NaiveDate, end: NaiveDate) -> Option<NaiveDate> {
    let back = u64::from(end.weekday().num_days_from_sunday());
    end.checked_sub_days(Days::new(back))
        .filter(|&sunday| sunday >= start)
}

/// The month (first day) in which care delivered on `date` under a weekly allocation
/// (frequentie per week) is claimed (IV076); `None` when `date` is outside the allocation.
///
/// - Inspanningsgericht: the month of `date` itself.
/// - Outputgericht: the month holding the Sunday of `date`'s week. When the allocation ends
///   before that Sunday, the month of the allocation's last Sunday (IV076 voorbeeld 2); for an
///   allocation without any Sunday, the month of its end (not covered by IV076).
pub fn claim_month_of_day(
    date: NaiveDate,
    variant: Variant,
    allocation_start: NaiveDate,
    allocation_end: Option<NaiveDate>,
) -> Option<NaiveDate> {
    if date < allocation_start || allocation_end.is_some_and(|end| date > end) {
        return None;
    }
    let day = match variant {
        Variant::Inspanningsgericht => date,
        Variant::Outputgericht => {
            let sunday = sunday_of_week(date)?;
            match allocation_end {
                Some(end) if sunday > end => last_sunday(allocation_start, end).unwrap_or(end),
                _ => sunday,
            }
        }
    };
    Some(month_bounds(day).0)
}

/// Maximum volume (maximaal te declareren volume) in a product period for a weekly allocation
/// (frequentie per week), IV077. The period is first cut to the allocation.
///
/// - Inspanningsgericht: the number of (possibly partial) Monday–Sunday calendar weeks the period
///   touches × `weekly_volume`.
/// - Outputgericht: the number of Sundays in the period, plus 1 when the allocation ends on a
///   weekday other than Sunday and its last Sunday lies in the period (for an allocation without
///   any Sunday: when its end lies in the period), × `weekly_volume`.
///
/// `Some(0)` for an empty period; `None` on `u64` overflow.
pub fn max_weekly_volume(
    period_begin: NaiveDate,
    period_end: NaiveDate,
    allocation_start: NaiveDate,
    allocation_end: Option<NaiveDate>,
    weekly_volume: u64,
    variant: Variant,
) -> Option<u64> {
    let begin = period_begin.max(allocation_start);
    let end = allocation_end.map_or(period_end, |e| e.min(period_end));
    if begin > end {
        return Some(0);
    }
    let (b, e) = (day_number(begin), day_number(end));
    let weeks = match variant {
        Variant::Inspanningsgericht => week_index(e) - week_index(b) + 1,
        Variant::Outputgericht => {
            let sundays = e.div_euclid(7) - (b - 1).div_euclid(7);
            let broken_last_week = allocation_end.filter(|end| end.weekday() != Weekday::Sun);
            let extra = broken_last_week.is_some_and(|alloc_end| {
                let claimed_on = last_sunday(allocation_start, alloc_end).unwrap_or(alloc_end);
                begin <= claimed_on && claimed_on <= end
            });
            sundays + i64::from(extra)
        }
    };
    u64::try_from(weeks).ok()?.checked_mul(weekly_volume)
}

/// Maximum volume (maximaal te declareren volume) in a product period for a monthly allocation
/// (frequentie per maand): the full monthly volume, however few days of the month the
/// allocation covers (IV078 voorbeeld 2); 0 for an empty period (`period_begin > period_end`).
/// IV078 fixes this for inspanningsgericht; for outputgericht it is left to local agreement.
pub fn max_monthly_volume(
    period_begin: NaiveDate,
    period_end: NaiveDate,
    monthly_volume: u64,
) -> u64 {
    if period_begin <= period_end {
        monthly_volume
    } else {
        0
    }
}

/// Whether a claim (prestatie) in `claim_unit` is allowed for an allocation in `allocation_unit`
/// (eenheid): uur may be claimed in uur or minuut (IV081); every other unit only in itself.
pub fn unit_allowed(allocation_unit: Eenheid, claim_unit: Eenheid) -> bool {
    allocation_unit == claim_unit
        || (allocation_unit == Eenheid::Uur && claim_unit == Eenheid::Minuut)
}

/// TotaalIngediendBedrag (claimed total) of amounts with their DebetCredit: Σ debit − Σ credit
/// as an amount and a sign, D for 0 (TR358, CS325). Saturates at `u64::MAX`, far above the
/// LDT_TotaalBedrag maximum, so an impossible total still fails validation.
pub fn total(lines: impl IntoIterator<Item = (u64, DebetCredit)>) -> (u64, DebetCredit) {
    let sum = lines
        .into_iter()
        .fold(0i128, |acc, (cents, sign)| match sign {
            DebetCredit::Debet => acc.saturating_add(i128::from(cents)),
            DebetCredit::Credit => acc.saturating_sub(i128::from(cents)),
        });
    let sign = if sum < 0 {
        DebetCredit::Credit
    } else {
        DebetCredit::Debet
    };
    let magnitude = u64::try_from(sum.unsigned_abs()).unwrap_or(u64::MAX);
    (magnitude, sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn month_bounds_of_every_month_length() {
        assert_eq!(
            month_bounds(date(2024, 2, 10)),
            (date(2024, 2, 1), date(2024, 2, 29))
        );
        assert_eq!(
            month_bounds(date(2023, 2, 28)),
            (date(2023, 2, 1), date(2023, 2, 28))
        );
        assert_eq!(
            month_bounds(date(2025, 4, 30)),
            (date(2025, 4, 1), date(2025, 4, 30))
        );
        assert_eq!(
            month_bounds(date(2025, 12, 1)),
            (date(2025, 12, 1), date(2025, 12, 31))
        );
    }

    #[test]
    fn week_index_changes_on_mondays_only() {
        let start = date(2024, 12, 20);
        for offset in 0..60u64 {
            let d = start + Days::new(offset);
            let next = d + Days::new(1);
            let changes = week_index(day_number(next)) != week_index(day_number(d));
            assert_eq!(changes, next.weekday() == Weekday::Mon, "{d}");
        }
    }

    #[test]
    fn last_sunday_is_none_for_an_allocation_without_sunday() {
        // Wed 30 Apr 2025 – Fri 2 May 2025 holds no Sunday.
        assert_eq!(last_sunday(date(2025, 4, 30), date(2025, 5, 2)), None);
        // Ending on a Sunday: that Sunday itself.
        assert_eq!(
            last_sunday(date(2025, 7, 7), date(2025, 9, 7)),
            Some(date(2025, 9, 7))
        );
    }

    #[test]
    fn div_round_rounds_half_away_from_zero() {
        assert_eq!(div_round(Decimal::from(30u64), 60), Some(1));
        assert_eq!(div_round(Decimal::from(29u64), 60), Some(0));
        assert_eq!(div_round(Decimal::from(90u64), 60), Some(2));
    }
}
