//! Money and period rules of a 323 against the worked examples of DOMAIN.md and IV076–IV081.
//!
//! Expected values are worked out by hand in the comments; weekday facts are asserted with
//! chrono before they are relied on.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use ketenpoort_messages::codes::{DebetCredit, Eenheid};
use ketenpoort_messages::money::{
    Variant, amount, amount_for_minutes, claim_month_of_day, declaration_period, euros,
    max_monthly_volume, max_weekly_volume, minute_tariff_shown, product_period, tariff_cents,
    total, unit_allowed,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

const MAX_BEDRAG: u64 = 99_999_999;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("valid decimal")
}

fn assert_weekday(d: NaiveDate, w: Weekday) {
    assert_eq!(d.weekday(), w, "{d} should be a {w:?}");
}

use Variant::{Inspanningsgericht as Inspanning, Outputgericht as Output};

// === Amounts ===

#[test]
fn hourly_tariff_in_minutes_worked_example() {
    // €87,24/h × 240 min = 8724 × 240 / 60 = 8724 × 4 = 34896 cents = €348,96.
    assert_eq!(amount_for_minutes(8724, 240), Some(34_896));
    // The shown minute tariff 8724 / 60 = 145.4 → 145 cents (€1,45) …
    assert_eq!(minute_tariff_shown(8724), 145);
    // … which must not be used: 145 × 240 = 34800 (€348,00) is wrong by 96 cents.
    assert_eq!(amount(240, minute_tariff_shown(8724)), Some(34_800));
    assert_ne!(amount_for_minutes(8724, 240), Some(34_800));
}

#[test]
fn amount_for_minutes_rounds_half_away_from_zero() {
    // 1 cent/h × 30 min = 0.5 → 1; × 29 min = 0.4833… → 0; × 90 min = 1.5 → 2.
    assert_eq!(amount_for_minutes(1, 30), Some(1));
    assert_eq!(amount_for_minutes(1, 29), Some(0));
    assert_eq!(amount_for_minutes(1, 90), Some(2));
    // €87,30/h × 1 min = 145.5 → 146; €87,24/h × 7 min = 61068 / 60 = 1017.8 → 1018.
    assert_eq!(amount_for_minutes(8730, 1), Some(146));
    assert_eq!(amount_for_minutes(8724, 7), Some(1018));
    assert_eq!(amount_for_minutes(8724, 0), Some(0));
}

#[test]
fn amount_for_minutes_refuses_what_ldt_bedrag_cannot_hold() {
    // 99 999 999 cents/h × 60 min = 99 999 999, the maximum: allowed; one minute more is not.
    assert_eq!(amount_for_minutes(MAX_BEDRAG, 60), Some(MAX_BEDRAG));
    assert_eq!(amount_for_minutes(MAX_BEDRAG, 61), None);
    // 1 cent/h: 60 × MAX + 29 minutes rounds down to MAX; + 30 rounds up past it.
    assert_eq!(
        amount_for_minutes(1, 60 * MAX_BEDRAG + 29),
        Some(MAX_BEDRAG)
    );
    assert_eq!(amount_for_minutes(1, 60 * MAX_BEDRAG + 30), None);
    assert_eq!(amount_for_minutes(u64::MAX, u64::MAX), None);
}

#[test]
fn minute_tariff_shown_follows_iv081() {
    // IV081: 1,455 → 1,46 and 1,454 → 1,45. 8730 / 60 = 145.5; 8724 / 60 = 145.4.
    assert_eq!(minute_tariff_shown(8730), 146);
    assert_eq!(minute_tariff_shown(8724), 145);
    // 6000 / 60 = 100 exactly; 29 / 60 = 0.48 → 0; 30 / 60 = 0.5 → 1.
    assert_eq!(minute_tariff_shown(6000), 100);
    assert_eq!(minute_tariff_shown(29), 0);
    assert_eq!(minute_tariff_shown(30), 1);
    assert_eq!(minute_tariff_shown(0), 0);
    // u64::MAX = 18446744073709551615 = 60 × 307445734561825860 + 15 → rounds down.
    assert_eq!(minute_tariff_shown(u64::MAX), 307_445_734_561_825_860);
}

#[test]
fn amount_is_volume_times_tariff() {
    // TR346: 12 units × €45,50 = 54600 cents.
    assert_eq!(amount(12, 4550), Some(54_600));
    assert_eq!(amount(0, 4550), Some(0));
    assert_eq!(amount(MAX_BEDRAG, 1), Some(MAX_BEDRAG));
    assert_eq!(amount(MAX_BEDRAG + 1, 1), None);
    assert_eq!(amount(10_000, 10_000), None); // 100 000 000 > 99 999 999
    assert_eq!(amount(u64::MAX, 2), None); // overflows u64
}

#[test]
fn euro_tariffs_convert_exactly() {
    assert_eq!(euros(8724), dec("87.24"));
    assert_eq!(euros(5), dec("0.05"));
    assert_eq!(tariff_cents(dec("87.24")), Some(8724));
    assert_eq!(tariff_cents(dec("87.2")), Some(8720));
    assert_eq!(tariff_cents(dec("87.2400")), Some(8724));
    assert_eq!(tariff_cents(dec("0")), Some(0));
    assert_eq!(tariff_cents(dec("999999.99")), Some(MAX_BEDRAG));
    // Refused, never rounded: sub-cent, negative, too large.
    assert_eq!(tariff_cents(dec("87.245")), None);
    assert_eq!(tariff_cents(dec("-1.00")), None);
    assert_eq!(tariff_cents(dec("1000000.00")), None);
    assert_eq!(tariff_cents(Decimal::MAX), None);
}

// === Periods ===

#[test]
fn declaration_period_is_the_calendar_month() {
    assert_eq!(
        declaration_period(date(2025, 3, 17)),
        (date(2025, 3, 1), date(2025, 3, 31))
    );
    assert_eq!(
        declaration_period(date(2025, 3, 1)),
        (date(2025, 3, 1), date(2025, 3, 31))
    );
    assert_eq!(
        declaration_period(date(2024, 2, 29)),
        (date(2024, 2, 1), date(2024, 2, 29))
    );
    assert_eq!(
        declaration_period(date(2023, 2, 1)),
        (date(2023, 2, 1), date(2023, 2, 28))
    );
    assert_eq!(
        declaration_period(date(2025, 12, 31)),
        (date(2025, 12, 1), date(2025, 12, 31))
    );
    assert_eq!(declaration_period(NaiveDate::MAX).1, NaiveDate::MAX);
}

#[test]
fn product_period_worked_example() {
    // Allocation from 4 March 2025, open-ended, claimed for March 2025 → 4–31 March; the
    // declaration period is still 1–31 March.
    let start = date(2025, 3, 4);
    assert_eq!(
        product_period(start, None, date(2025, 3, 15)),
        Some((date(2025, 3, 4), date(2025, 3, 31)))
    );
    assert_eq!(
        declaration_period(date(2025, 3, 15)),
        (date(2025, 3, 1), date(2025, 3, 31))
    );
    // April: the whole month.
    assert_eq!(
        product_period(start, None, date(2025, 4, 1)),
        Some((date(2025, 4, 1), date(2025, 4, 30)))
    );
}

#[test]
fn product_period_cut_at_both_ends_or_absent() {
    let start = date(2025, 3, 4);
    let end = Some(date(2025, 3, 20));
    assert_eq!(
        product_period(start, end, date(2025, 3, 1)),
        Some((date(2025, 3, 4), date(2025, 3, 20)))
    );
    // One-day overlap at either edge.
    assert_eq!(
        product_period(date(2025, 3, 31), None, date(2025, 3, 1)),
        Some((date(2025, 3, 31), date(2025, 3, 31)))
    );
    assert_eq!(
        product_period(date(2025, 1, 1), Some(date(2025, 3, 1)), date(2025, 3, 9)),
        Some((date(2025, 3, 1), date(2025, 3, 1)))
    );
    // No overlap: month before the start, month after the end, end before start.
    assert_eq!(product_period(start, end, date(2025, 2, 28)), None);
    assert_eq!(product_period(start, end, date(2025, 4, 1)), None);
    assert_eq!(
        product_period(date(2025, 3, 20), Some(date(2025, 3, 4)), date(2025, 3, 1)),
        None
    );
}

// === Weekly allocations ===

#[test]
fn may_2024_calendar_facts() {
    assert_weekday(date(2024, 5, 1), Weekday::Wed);
    assert_weekday(date(2024, 4, 29), Weekday::Mon);
    assert_weekday(date(2024, 6, 2), Weekday::Sun);
    for sunday in [5, 12, 19, 26] {
        assert_weekday(date(2024, 5, sunday), Weekday::Sun);
    }
    assert_weekday(date(2024, 5, 31), Weekday::Fri);
}

#[test]
fn max_weekly_volume_may_2024_whole_month() {
    let (begin, end) = declaration_period(date(2024, 5, 1));
    let (start, stop) = (date(2024, 1, 1), Some(date(2024, 12, 31)));
    // Inspanningsgericht: weeks touched, Mon 29 Apr–Sun 5 May, 6–12, 13–19, 20–26,
    // 27 May–Sun 2 Jun = 5 weeks × 3 = 15.
    assert_eq!(
        max_weekly_volume(begin, end, start, stop, 3, Inspanning),
        Some(15)
    );
    // Outputgericht: Sundays 5, 12, 19, 26 May = 4 × 3 = 12 (the allocation ends in December).
    assert_eq!(
        max_weekly_volume(begin, end, start, stop, 3, Output),
        Some(12)
    );
}

#[test]
fn max_weekly_volume_may_2024_allocation_ending_mid_month() {
    // Allocation ends Wednesday 15 May 2024; product period 1–15 May.
    assert_weekday(date(2024, 5, 15), Weekday::Wed);
    let start = date(2024, 1, 1);
    let stop = Some(date(2024, 5, 15));
    let (begin, end) = product_period(start, stop, date(2024, 5, 1)).expect("overlap");
    assert_eq!(end, date(2024, 5, 15));
    // Inspanningsgericht: 29 Apr–5 May, 6–12, 13–19 = 3 weeks × 2 = 6.
    assert_eq!(
        max_weekly_volume(begin, end, start, stop, 2, Inspanning),
        Some(6)
    );
    // Outputgericht: Sundays 5 and 12 May = 2, + 1 because the allocation ends on a Wednesday
    // and its last Sunday (12 May) lies in this period = 3 × 2 = 6.
    assert_eq!(
        max_weekly_volume(begin, end, start, stop, 2, Output),
        Some(6)
    );
    // Passing the whole month gives the same: the period is cut to the allocation.
    assert_eq!(
        max_weekly_volume(date(2024, 5, 1), date(2024, 5, 31), start, stop, 2, Output),
        Some(6)
    );
}

#[test]
fn max_weekly_volume_iv077_inspanning_example() {
    // IV077: 3 hours a week, 7 Oct 2025 (Tuesday) – 30 Dec 2025 (Tuesday).
    assert_weekday(date(2025, 10, 7), Weekday::Tue);
    assert_weekday(date(2025, 12, 30), Weekday::Tue);
    let (start, stop) = (date(2025, 10, 7), Some(date(2025, 12, 30)));
    let max = |month: NaiveDate| {
        let (b, e) = product_period(start, stop, month).expect("overlap");
        max_weekly_volume(b, e, start, stop, 3, Inspanning)
    };
    // October 7–31: weeks of 6 Oct, 13, 20, 27 Oct = 4 → 12.
    assert_eq!(max(date(2025, 10, 1)), Some(12));
    // November 1 (Sat)–30 (Sun): weeks of 27 Oct, 3, 10, 17, 24 Nov = 5 → 15.
    assert_eq!(max(date(2025, 11, 1)), Some(15));
    // December 1 (Mon)–30: weeks of 1, 8, 15, 22, 29 Dec = 5 → 15.
    assert_eq!(max(date(2025, 12, 1)), Some(15));
    // Whole allocation: week of 6 Oct to week of 29 Dec = 84 days / 7 + 1 = 13 → 39.
    assert_eq!(
        max_weekly_volume(start, date(2025, 12, 30), start, stop, 3, Inspanning),
        Some(39)
    );
}

#[test]
fn max_weekly_volume_iv076_output_allocation_ending_on_saturday() {
    // IV076/IV077 voorbeeld 2: €300 a week (volume 300), 7 Jul 2025 (Mon) – 6 Sep 2025 (Sat).
    assert_weekday(date(2025, 7, 7), Weekday::Mon);
    assert_weekday(date(2025, 9, 6), Weekday::Sat);
    assert_weekday(date(2025, 8, 31), Weekday::Sun);
    let (start, stop) = (date(2025, 7, 7), Some(date(2025, 9, 6)));
    let max = |month: NaiveDate| match product_period(start, stop, month) {
        Some((b, e)) => max_weekly_volume(b, e, start, stop, 300, Output),
        None => Some(0),
    };
    // July 7–31: Sundays 13, 20, 27 = 3 → 900.
    assert_eq!(max(date(2025, 7, 1)), Some(900));
    // August: Sundays 3, 10, 17, 24, 31 = 5, + 1 for the broken last week whose allocation's
    // last Sunday (31 Aug) is in August = 6 → 1800.
    assert_eq!(max(date(2025, 8, 1)), Some(1800));
    // September 1–6: no Sunday and the last week was claimed in August → 0.
    assert_eq!(max(date(2025, 9, 1)), Some(0));
}

#[test]
fn max_weekly_volume_iv076_output_allocation_ending_on_sunday() {
    // IV076 voorbeeld 1: 7 Jul 2025 – Sunday 7 Sep 2025: 900, 1500, 300.
    assert_weekday(date(2025, 9, 7), Weekday::Sun);
    let (start, stop) = (date(2025, 7, 7), Some(date(2025, 9, 7)));
    let max = |month: NaiveDate| {
        let (b, e) = product_period(start, stop, month).expect("overlap");
        max_weekly_volume(b, e, start, stop, 300, Output)
    };
    assert_eq!(max(date(2025, 7, 1)), Some(900));
    assert_eq!(max(date(2025, 8, 1)), Some(1500));
    assert_eq!(max(date(2025, 9, 1)), Some(300));
}

#[test]
fn max_weekly_volume_iv077_output_december() {
    // IV077 voorbeeld 1, December 2025 of an allocation ending Wednesday 31 Dec 2025: Sundays
    // 7, 14, 21, 28 = 4, + 1 (ends on a non-Sunday, last Sunday 28 Dec in December) = 5 → 1500.
    assert_weekday(date(2025, 12, 31), Weekday::Wed);
    let (start, stop) = (date(2025, 10, 1), Some(date(2025, 12, 31)));
    let (b, e) = declaration_period(date(2025, 12, 1));
    assert_eq!(
        max_weekly_volume(b, e, start, stop, 300, Output),
        Some(1500)
    );
    // November 2025: Sundays 2, 9, 16, 23, 30 = 5 → 1500.
    let (b, e) = declaration_period(date(2025, 11, 1));
    assert_eq!(
        max_weekly_volume(b, e, start, stop, 300, Output),
        Some(1500)
    );
}

#[test]
fn max_weekly_volume_edges() {
    let start = date(2024, 1, 1);
    // Empty period (begin after end) and a period outside the allocation: 0.
    assert_eq!(
        max_weekly_volume(
            date(2024, 5, 31),
            date(2024, 5, 1),
            start,
            None,
            3,
            Inspanning
        ),
        Some(0)
    );
    assert_eq!(
        max_weekly_volume(date(2023, 5, 1), date(2023, 5, 31), start, None, 3, Output),
        Some(0)
    );
    // Overflow of the volume.
    assert_eq!(
        max_weekly_volume(
            date(2024, 5, 1),
            date(2024, 5, 31),
            start,
            None,
            u64::MAX,
            Inspanning
        ),
        None
    );
    // An allocation without any Sunday, Wed 30 Apr – Fri 2 May 2025 (output): the broken
    // week is claimed where the allocation ends, May.
    assert_weekday(date(2025, 4, 30), Weekday::Wed);
    let (s, e) = (date(2025, 4, 30), Some(date(2025, 5, 2)));
    assert_eq!(
        max_weekly_volume(date(2025, 4, 1), date(2025, 4, 30), s, e, 1, Output),
        Some(0)
    );
    assert_eq!(
        max_weekly_volume(date(2025, 5, 1), date(2025, 5, 31), s, e, 1, Output),
        Some(1)
    );
    // Inspanningsgericht: one week, split over April and May → 1 in each.
    assert_eq!(
        max_weekly_volume(date(2025, 4, 1), date(2025, 4, 30), s, e, 1, Inspanning),
        Some(1)
    );
    assert_eq!(
        max_weekly_volume(date(2025, 5, 1), date(2025, 5, 31), s, e, 1, Inspanning),
        Some(1)
    );
}

#[test]
fn claim_month_of_day_both_variants() {
    let (start, stop) = (date(2024, 1, 1), Some(date(2024, 12, 31)));
    // Fri 31 May 2024: its week's Sunday is 2 June.
    assert_eq!(
        claim_month_of_day(date(2024, 5, 31), Inspanning, start, stop),
        Some(date(2024, 5, 1))
    );
    assert_eq!(
        claim_month_of_day(date(2024, 5, 31), Output, start, stop),
        Some(date(2024, 6, 1))
    );
    // Mon 29 Apr 2024: its week's Sunday is 5 May.
    assert_eq!(
        claim_month_of_day(date(2024, 4, 29), Inspanning, start, stop),
        Some(date(2024, 4, 1))
    );
    assert_eq!(
        claim_month_of_day(date(2024, 4, 29), Output, start, stop),
        Some(date(2024, 5, 1))
    );
    // A Sunday is claimed in its own month in both variants.
    assert_eq!(
        claim_month_of_day(date(2024, 6, 30), Output, start, stop),
        Some(date(2024, 6, 1))
    );
    // Across the year end: Tue 31 Dec 2024 belongs to the week ending Sun 5 Jan 2025.
    let open = None;
    assert_eq!(
        claim_month_of_day(date(2024, 12, 31), Output, start, open),
        Some(date(2025, 1, 1))
    );
}

#[test]
fn claim_month_of_day_iv076_broken_last_week() {
    // Allocation 7 Jul – Sat 6 Sep 2025 (output): 1–6 September go to August, the month of the
    // allocation's last Sunday (31 Aug).
    let (start, stop) = (date(2025, 7, 7), Some(date(2025, 9, 6)));
    for day in 1..=6 {
        assert_eq!(
            claim_month_of_day(date(2025, 9, day), Output, start, stop),
            Some(date(2025, 8, 1)),
            "{day} September"
        );
        assert_eq!(
            claim_month_of_day(date(2025, 9, day), Inspanning, start, stop),
            Some(date(2025, 9, 1))
        );
    }
    // Ending on Sunday 7 September instead: September.
    let stop = Some(date(2025, 9, 7));
    assert_eq!(
        claim_month_of_day(date(2025, 9, 3), Output, start, stop),
        Some(date(2025, 9, 1))
    );
}

#[test]
fn claim_month_of_day_outside_the_allocation_is_none() {
    let (start, stop) = (date(2025, 7, 7), Some(date(2025, 9, 6)));
    assert_eq!(
        claim_month_of_day(date(2025, 7, 6), Output, start, stop),
        None
    );
    assert_eq!(
        claim_month_of_day(date(2025, 9, 7), Inspanning, start, stop),
        None
    );
    // An allocation without any Sunday: claimed in the month it ends.
    let (s, e) = (date(2025, 4, 30), Some(date(2025, 5, 2)));
    assert_eq!(
        claim_month_of_day(date(2025, 4, 30), Output, s, e),
        Some(date(2025, 5, 1))
    );
}

// === Monthly allocations ===

#[test]
fn max_monthly_volume_full_in_a_partial_month() {
    // IV078 voorbeeld 2: 15 hours a month, 14 Oct 2026 – 13 Dec 2026.
    let (start, stop) = (date(2026, 10, 14), Some(date(2026, 12, 13)));
    let (b, e) = product_period(start, stop, date(2026, 10, 1)).expect("overlap");
    assert_eq!((b, e), (date(2026, 10, 14), date(2026, 10, 31)));
    assert_eq!(max_monthly_volume(b, e, 15), 15);
    let (b, e) = product_period(start, stop, date(2026, 12, 1)).expect("overlap");
    assert_eq!((b, e), (date(2026, 12, 1), date(2026, 12, 13)));
    assert_eq!(max_monthly_volume(b, e, 15), 15);
    // A single day still gets the full volume; an empty period gets nothing.
    assert_eq!(
        max_monthly_volume(date(2026, 10, 31), date(2026, 10, 31), 15),
        15
    );
    assert_eq!(
        max_monthly_volume(date(2026, 11, 2), date(2026, 11, 1), 15),
        0
    );
}

// === Units ===

#[test]
fn unit_mapping_allocation_to_claim() {
    use Eenheid::*;
    assert!(unit_allowed(Uur, Uur));
    assert!(unit_allowed(Uur, Minuut));
    assert!(unit_allowed(Minuut, Minuut));
    assert!(!unit_allowed(Minuut, Uur));
    assert!(unit_allowed(Dagdeel, Dagdeel));
    assert!(!unit_allowed(Dagdeel, Uur));
    assert!(unit_allowed(Etmaal, Etmaal));
    assert!(!unit_allowed(Etmaal, Dagdeel));
    assert!(unit_allowed(Euro, Euro));
    assert!(!unit_allowed(Euro, StuksOutput));
    assert!(!unit_allowed(StuksInspanning, StuksOutput));
    assert!(!unit_allowed(StuksOutput, StuksInspanning));
    // The whole table: the same unit, or uur → minuut, nothing else.
    for &a in Eenheid::ALL {
        for &c in Eenheid::ALL {
            assert_eq!(
                unit_allowed(a, c),
                a == c || (a, c) == (Uur, Minuut),
                "{a:?} → {c:?}"
            );
        }
    }
}

#[test]
fn variant_for_each_unit() {
    use Eenheid::*;
    for unit in [Minuut, Uur, Etmaal, Dagdeel, StuksInspanning] {
        assert_eq!(Variant::for_unit(unit), Inspanning, "{unit:?}");
    }
    assert_eq!(Variant::for_unit(StuksOutput), Output);
    assert_eq!(Variant::for_unit(Euro), Output);
}

// === Totals ===

#[test]
fn total_of_mixed_lines() {
    use DebetCredit::{Credit as C, Debet as D};
    // 1000 + 300 − 250 = 1050 D.
    assert_eq!(total([(1000, D), (250, C), (300, D)]), (1050, D));
    // 100 − 400 = −300 → 300 C.
    assert_eq!(total([(100, D), (400, C)]), (300, C));
    // Only credits: 34896 C (a full credit of the worked example).
    assert_eq!(total([(34_896, C)]), (34_896, C));
}

#[test]
fn total_zero_is_debet() {
    use DebetCredit::{Credit as C, Debet as D};
    assert_eq!(total([(500, D), (500, C)]), (0, D));
    assert_eq!(total([(0, C)]), (0, D));
    assert_eq!(total(Vec::<(u64, DebetCredit)>::new()), (0, D));
    // Beyond u64 the total saturates (far above LDT_TotaalBedrag, so validation still fails).
    assert_eq!(total([(u64::MAX, D), (u64::MAX, D)]), (u64::MAX, D));
}

// === Properties ===

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..20_000).prop_map(|n| date(2000, 1, 1) + Days::new(n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Against an integer reference: round(t × m / 60) half up = (t × m + 30) / 60.
    #[test]
    fn amount_for_minutes_matches_integer_rounding(t in 0u64..10_000_000, m in 0u64..100_000) {
        let exact = (u128::from(t) * u128::from(m) + 30) / 60;
        let expected = u64::try_from(exact).ok().filter(|&c| c <= MAX_BEDRAG);
        prop_assert_eq!(amount_for_minutes(t, m), expected);
        prop_assert_eq!(u128::from(minute_tariff_shown(t)), (u128::from(t) + 30) / 60);
    }

    /// The maximum of every product period equals the number of weeks whose days are claimed
    /// in it (claim_month_of_day), for both variants: the two functions agree.
    #[test]
    fn max_weekly_volume_counts_the_weeks_claimed_in_the_period(
        start in any_date(),
        len in 0u64..120,
        open in any::<bool>(),
    ) {
        let stop = if open { None } else { Some(start + Days::new(len)) };
        // For an open allocation, look at whole months up to the one holding start + len.
        let horizon = stop.unwrap_or(declaration_period(start + Days::new(len)).1);
        let days: Vec<NaiveDate> = start.iter_days().take_while(|d| *d <= horizon).collect();
        for variant in [Inspanning, Output] {
            let mut month = declaration_period(start).0;
            let mut claimed = 0u64;
            while month <= horizon {
                let (b, e) = product_period(start, stop, month).expect("month inside allocation");
                let weeks: BTreeSet<_> = days
                    .iter()
                    .filter(|d| claim_month_of_day(**d, variant, start, stop) == Some(month))
                    .map(|d| d.iso_week())
                    .collect();
                let max = max_weekly_volume(b, e, start, stop, 1, variant).expect("no overflow");
                prop_assert_eq!(max, weeks.len() as u64, "{:?} {}", variant, month);
                claimed += max;
                month = e + Days::new(1);
            }
            // Output, closed allocation: every week with a day in it is claimed exactly once.
            if variant == Output && stop.is_some() {
                let weeks: BTreeSet<_> = days.iter().map(|d| d.iso_week()).collect();
                prop_assert_eq!(claimed, weeks.len() as u64);
            }
        }
    }
}
