//! Working days (werkdagen) and deadlines against real calendar facts.
//!
//! Every expected date below is worked out from the calendar (weekday facts are asserted with
//! chrono first), not taken from the code under test.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use ketenpoort_messages::MessageType;
use ketenpoort_messages::calendar::{
    Deadline, Holiday, WorkingDays, easter_sunday, holiday, holidays,
};
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn assert_weekday(d: NaiveDate, w: Weekday) {
    assert_eq!(d.weekday(), w, "{d} should be a {w:?}");
}

// === Easter and the holidays ===

#[test]
fn easter_known_dates() {
    // Published Easter Sundays.
    for (y, m, d) in [
        (2000, 4, 23),
        (2019, 4, 21),
        (2024, 3, 31),
        (2025, 4, 20),
        (2026, 4, 5),
        (1818, 3, 22), // earliest possible date, 22 March
        (2285, 3, 22),
        (1943, 4, 25), // latest possible date, 25 April
        (2038, 4, 25),
    ] {
        let easter = date(y, m, d);
        assert_weekday(easter, Weekday::Sun);
        assert_eq!(easter_sunday(y), Some(easter), "Easter {y}");
    }
}

#[test]
fn easter_before_1583_is_not_computed() {
    assert_eq!(easter_sunday(1500), None);
    let easter_based = [
        Holiday::TweedePaasdag,
        Holiday::Hemelvaartsdag,
        Holiday::TweedePinksterdag,
    ];
    assert!(
        holidays(1500)
            .iter()
            .all(|(_, h)| !easter_based.contains(h))
    );
    assert_eq!(holiday(date(1500, 1, 1)), Some(Holiday::Nieuwjaarsdag));
}

#[test]
fn holidays_2024() {
    // Easter 2024 = Sunday 31 March: Tweede Paasdag Monday 1 April, Hemelvaart (Easter + 39)
    // Thursday 9 May, Pinksteren (Easter + 49) Sunday 19 May, Tweede Pinksterdag Monday 20 May.
    assert_weekday(date(2024, 4, 1), Weekday::Mon);
    assert_weekday(date(2024, 5, 9), Weekday::Thu);
    assert_weekday(date(2024, 5, 19), Weekday::Sun);
    assert_weekday(date(2024, 5, 20), Weekday::Mon);
    // 27 April 2024 is a Saturday, so Koningsdag stays on the 27th.
    assert_weekday(date(2024, 4, 27), Weekday::Sat);
    assert_eq!(
        holidays(2024),
        vec![
            (date(2024, 1, 1), Holiday::Nieuwjaarsdag),
            (date(2024, 4, 1), Holiday::TweedePaasdag),
            (date(2024, 4, 27), Holiday::Koningsdag),
            (date(2024, 5, 5), Holiday::Bevrijdingsdag),
            (date(2024, 5, 9), Holiday::Hemelvaartsdag),
            (date(2024, 5, 20), Holiday::TweedePinksterdag),
            (date(2024, 12, 25), Holiday::EersteKerstdag),
            (date(2024, 12, 26), Holiday::TweedeKerstdag),
        ]
    );
    assert_eq!(
        holiday(date(2024, 5, 19)),
        None,
        "Eerste Pinksterdag is a Sunday anyway"
    );
    assert_eq!(
        holiday(date(2024, 3, 31)),
        None,
        "Eerste Paasdag is a Sunday anyway"
    );
}

#[test]
fn good_friday_is_a_working_day() {
    // Goede Vrijdag is not in the Algemene termijnenwet: Friday 29 March 2024.
    let good_friday = date(2024, 3, 29);
    assert_weekday(good_friday, Weekday::Fri);
    assert_eq!(holiday(good_friday), None);
    assert!(WorkingDays::new().is_working_day(good_friday));
}

#[test]
fn koningsdag_moves_to_saturday_when_27_april_is_a_sunday() {
    // 2025: 27 April is a Sunday → Koningsdag Saturday 26 April.
    assert_weekday(date(2025, 4, 27), Weekday::Sun);
    assert_eq!(holiday(date(2025, 4, 26)), Some(Holiday::Koningsdag));
    assert_eq!(holiday(date(2025, 4, 27)), None);
    // 2014, the first Koningsdag: 27 April 2014 is a Sunday as well.
    assert_weekday(date(2014, 4, 27), Weekday::Sun);
    assert_eq!(holiday(date(2014, 4, 26)), Some(Holiday::Koningsdag));
    // 2026: 27 April is a Monday, a non-working day.
    assert_weekday(date(2026, 4, 27), Weekday::Mon);
    assert_eq!(holiday(date(2026, 4, 27)), Some(Holiday::Koningsdag));
    assert!(!WorkingDays::new().is_working_day(date(2026, 4, 27)));
    // Before 2014, Koninginnedag on 30 April (29 April when the 30th is a Sunday, as in 2006).
    assert_eq!(holiday(date(2013, 4, 30)), Some(Holiday::Koningsdag));
    assert_eq!(holiday(date(2013, 4, 27)), None);
    assert_weekday(date(2006, 4, 30), Weekday::Sun);
    assert_eq!(holiday(date(2006, 4, 29)), Some(Holiday::Koningsdag));
}

#[test]
fn holidays_2025() {
    // Easter Sunday 20 April 2025: Tweede Paasdag Monday 21 April, Hemelvaart Thursday 29 May,
    // Tweede Pinksterdag Monday 9 June. Bevrijdingsdag 5 May 2025 is a Monday.
    assert_weekday(date(2025, 4, 21), Weekday::Mon);
    assert_weekday(date(2025, 5, 29), Weekday::Thu);
    assert_weekday(date(2025, 6, 9), Weekday::Mon);
    assert_weekday(date(2025, 5, 5), Weekday::Mon);
    assert_eq!(holiday(date(2025, 4, 21)), Some(Holiday::TweedePaasdag));
    assert_eq!(holiday(date(2025, 5, 29)), Some(Holiday::Hemelvaartsdag));
    assert_eq!(holiday(date(2025, 6, 9)), Some(Holiday::TweedePinksterdag));
    assert_eq!(holiday(date(2025, 5, 5)), Some(Holiday::Bevrijdingsdag));
    assert!(!WorkingDays::new().is_working_day(date(2025, 5, 5)));
}

#[test]
fn hemelvaart_on_bevrijdingsdag() {
    // 2016: Easter 27 March, Hemelvaart 27 March + 39 days = 5 May, also Bevrijdingsdag.
    assert_eq!(easter_sunday(2016), Some(date(2016, 3, 27)));
    assert_eq!(holiday(date(2016, 5, 5)), Some(Holiday::Bevrijdingsdag));
    let h = holidays(2016);
    assert!(h.contains(&(date(2016, 5, 5), Holiday::Hemelvaartsdag)));
    assert!(h.contains(&(date(2016, 5, 5), Holiday::Bevrijdingsdag)));
    // Counted once: from Wed 4 May 2016 to Fri 6 May 2016 is one working day (the 6th).
    assert_eq!(
        WorkingDays::new().working_days_between(date(2016, 5, 4), date(2016, 5, 6)),
        1
    );
}

#[test]
fn christmas_on_weekends() {
    let cal = WorkingDays::new();
    // 2021: 25 December a Saturday, 26 December a Sunday — no weekday lost.
    assert_weekday(date(2021, 12, 25), Weekday::Sat);
    assert_eq!(holiday(date(2021, 12, 25)), Some(Holiday::EersteKerstdag));
    assert_eq!(holiday(date(2021, 12, 26)), Some(Holiday::TweedeKerstdag));
    // Fri 24 Dec 2021 + 1 working day = Monday 27 December (no substitute day).
    assert_eq!(
        cal.add_working_days(date(2021, 12, 24), 1),
        date(2021, 12, 27)
    );
    // 2022: 25 December a Sunday, 26 December a Monday.
    assert_weekday(date(2022, 12, 26), Weekday::Mon);
    assert!(!cal.is_working_day(date(2022, 12, 26)));
    // Fri 23 Dec 2022 + 1 = Tue 27 Dec 2022.
    assert_eq!(
        cal.add_working_days(date(2022, 12, 23), 1),
        date(2022, 12, 27)
    );
}

// === Working days ===

#[test]
fn weekends_and_holidays_are_not_working_days() {
    let cal = WorkingDays::new();
    assert!(cal.is_working_day(date(2024, 5, 8))); // Wednesday
    assert!(!cal.is_working_day(date(2024, 5, 4))); // Saturday
    assert!(!cal.is_working_day(date(2024, 5, 5))); // Sunday (and Bevrijdingsdag)
    assert!(!cal.is_working_day(date(2024, 5, 9))); // Hemelvaartsdag
    assert!(!cal.is_working_day(date(2024, 1, 1))); // Nieuwjaarsdag, a Monday
}

#[test]
fn add_over_koningsdag_on_a_saturday() {
    // Fri 26 Apr 2024 + 3: Mon 29 Apr (1), Tue 30 Apr (2), Wed 1 May (3). Koningsdag is
    // Saturday 27 April and changes nothing.
    assert_weekday(date(2024, 4, 26), Weekday::Fri);
    assert_eq!(
        WorkingDays::new().add_working_days(date(2024, 4, 26), 3),
        date(2024, 5, 1)
    );
}

#[test]
fn add_skips_hemelvaart() {
    // Fri 3 May 2024 + 5: Mon 6 (1), Tue 7 (2), Wed 8 (3), Thu 9 Hemelvaart skipped, Fri 10 (4),
    // weekend, Mon 13 May (5).
    assert_weekday(date(2024, 5, 3), Weekday::Fri);
    assert_weekday(date(2024, 5, 13), Weekday::Mon);
    assert_eq!(
        WorkingDays::new().add_working_days(date(2024, 5, 3), 5),
        date(2024, 5, 13)
    );
}

#[test]
fn add_skips_christmas() {
    // Mon 23 Dec 2024 + 3: Tue 24 (1), Wed 25 and Thu 26 skipped, Fri 27 (2), weekend,
    // Mon 30 Dec (3).
    assert_weekday(date(2024, 12, 23), Weekday::Mon);
    assert_weekday(date(2024, 12, 25), Weekday::Wed);
    assert_eq!(
        WorkingDays::new().add_working_days(date(2024, 12, 23), 3),
        date(2024, 12, 30)
    );
}

#[test]
fn add_over_easter_counts_good_friday() {
    // Thu 28 Mar 2024 + 2: Fri 29 (Goede Vrijdag, 1), weekend, Mon 1 Apr Tweede Paasdag
    // skipped, Tue 2 Apr (2).
    assert_weekday(date(2024, 3, 28), Weekday::Thu);
    assert_eq!(
        WorkingDays::new().add_working_days(date(2024, 3, 28), 2),
        date(2024, 4, 2)
    );
}

#[test]
fn add_over_new_year() {
    // Tue 31 Dec 2024 + 1: Wed 1 Jan 2025 is Nieuwjaarsdag → Thu 2 Jan 2025.
    assert_weekday(date(2024, 12, 31), Weekday::Tue);
    assert_eq!(
        WorkingDays::new().add_working_days(date(2024, 12, 31), 1),
        date(2025, 1, 2)
    );
}

#[test]
fn add_from_a_weekend_day_counts_from_monday() {
    // Received Saturday 27 Apr 2024: Mon 29 (1), Tue 30 (2), Wed 1 May (3).
    assert_eq!(
        WorkingDays::new().add_working_days(date(2024, 4, 27), 3),
        date(2024, 5, 1)
    );
}

#[test]
fn add_zero_is_the_day_itself() {
    let cal = WorkingDays::new();
    assert_eq!(cal.add_working_days(date(2024, 5, 9), 0), date(2024, 5, 9));
    assert_eq!(cal.add_working_days(date(2024, 5, 4), 0), date(2024, 5, 4));
}

#[test]
fn add_saturates_at_the_end_of_the_calendar() {
    let cal = WorkingDays::new();
    assert_eq!(cal.add_working_days(NaiveDate::MAX, 1), NaiveDate::MAX);
    let near_end = NaiveDate::MAX - Days::new(3);
    assert_eq!(cal.add_working_days(near_end, 100), NaiveDate::MAX);
}

#[test]
fn extra_holidays_are_skipped() {
    // Mon 29 Apr 2024 as an extra closing day: Fri 26 Apr + 3 → Tue 30 (1), Wed 1 May (2),
    // Thu 2 May (3).
    let cal = WorkingDays::new().with_extra_holidays([date(2024, 4, 29)]);
    assert!(cal.is_holiday(date(2024, 4, 29)));
    assert!(!cal.is_working_day(date(2024, 4, 29)));
    assert!(WorkingDays::new().is_working_day(date(2024, 4, 29)));
    assert_eq!(cal.add_working_days(date(2024, 4, 26), 3), date(2024, 5, 2));
    assert_eq!(
        cal.extra_holidays().collect::<Vec<_>>(),
        vec![date(2024, 4, 29)]
    );
    // An extra day on a weekend or on a statutory holiday changes nothing.
    let cal = WorkingDays::new().with_extra_holidays([date(2024, 4, 27), date(2024, 5, 9)]);
    assert_eq!(cal.add_working_days(date(2024, 5, 3), 5), date(2024, 5, 13));
    assert_eq!(
        cal.working_days_between(date(2024, 5, 3), date(2024, 5, 13)),
        5
    );
}

#[test]
fn working_days_in_2024_and_2025() {
    let cal = WorkingDays::new();
    // 2024 (leap, starts Monday): 52 weeks + Mon 30 and Tue 31 Dec = 262 weekdays; holidays on
    // weekdays: 1 Jan, 1 Apr, 9 May, 20 May, 25 Dec, 26 Dec = 6 (27 Apr Sat, 5 May Sun) → 256.
    assert_weekday(date(2024, 1, 1), Weekday::Mon);
    assert_eq!(
        cal.working_days_between(date(2023, 12, 31), date(2024, 12, 31)),
        256
    );
    // 2025 (starts Wednesday): 52 weeks + Wed 31 Dec = 261 weekdays; holidays on weekdays:
    // 1 Jan, 21 Apr, 5 May, 29 May, 9 Jun, 25 Dec, 26 Dec = 7 (26 Apr Sat) → 254.
    assert_weekday(date(2025, 1, 1), Weekday::Wed);
    assert_eq!(
        cal.working_days_between(date(2024, 12, 31), date(2025, 12, 31)),
        254
    );
}

#[test]
fn working_days_between_edges() {
    let cal = WorkingDays::new();
    let d = date(2024, 5, 3);
    assert_eq!(cal.working_days_between(d, d), 0);
    assert_eq!(
        cal.working_days_between(date(2024, 5, 13), d),
        0,
        "reversed range"
    );
    // Fri 3 May → Mon 13 May 2024: 6, 7, 8, 10, 13 = 5 (9 May Hemelvaart).
    assert_eq!(cal.working_days_between(d, date(2024, 5, 13)), 5);
    // A whole weekend: Fri → Sun is 0.
    assert_eq!(cal.working_days_between(d, date(2024, 5, 5)), 0);
    // Across the whole calendar, without panicking.
    assert!(cal.working_days_between(NaiveDate::MIN, NaiveDate::MAX) > 0);
}

// === Deadlines ===

#[test]
fn deadlines_from_the_domain_table() {
    let cal = WorkingDays::new();
    // A retour (OP090) on a message received Fri 26 Apr 2024: Wed 1 May.
    assert_eq!(
        cal.deadline(Deadline::Retour, date(2024, 4, 26)),
        date(2024, 5, 1)
    );
    // 301/319 on a 315 received Fri 3 May 2024: Mon 13 May (see add_skips_hemelvaart).
    assert_eq!(
        cal.deadline(Deadline::Decision, date(2024, 5, 3)),
        date(2024, 5, 13)
    );
    // 325 on a 323 received Mon 6 May 2024: 7 (1), 8 (2), [9 Hemelvaart], 10 (3), 13 (4),
    // 14 (5), 15 (6), 16 (7), 17 (8), [20 Tweede Pinksterdag], 21 (9), 22 May (10).
    assert_eq!(
        cal.deadline(Deadline::DeclarationAnswer, date(2024, 5, 6)),
        date(2024, 5, 22)
    );
    // 305 for care that really started Mon 23 Dec 2024: 24 (1), [25, 26], 27 (2), 30 (3),
    // 31 (4), [1 Jan], Thu 2 Jan 2025 (5).
    assert_eq!(
        cal.deadline(Deadline::StartCare, date(2024, 12, 23)),
        date(2025, 1, 2)
    );
    // 307 for care that really ended Fri 3 May 2024: Mon 13 May.
    assert_eq!(
        cal.deadline(Deadline::StopCare, date(2024, 5, 3)),
        date(2024, 5, 13)
    );
    // After "in onderzoek": eight calendar weeks from the request of Fri 3 May 2024:
    // 3 May + 28 days = 31 May, + 28 days = Fri 28 June 2024 (holidays do not matter).
    assert_eq!(
        cal.deadline(Deadline::DecisionAfterInvestigation, date(2024, 5, 3)),
        date(2024, 6, 28)
    );
}

#[test]
fn deadline_saturates_at_the_end_of_the_calendar() {
    let cal = WorkingDays::new();
    for d in Deadline::ALL {
        assert_eq!(cal.deadline(d, NaiveDate::MAX), NaiveDate::MAX, "{d:?}");
    }
}

#[test]
fn deadline_terms_and_rules() {
    assert_eq!(Deadline::Retour.working_days(), Some(3));
    assert_eq!(Deadline::Decision.working_days(), Some(5));
    assert_eq!(Deadline::StartCare.working_days(), Some(5));
    assert_eq!(Deadline::StopCare.working_days(), Some(5));
    assert_eq!(Deadline::DeclarationAnswer.working_days(), Some(10));
    assert_eq!(Deadline::DecisionAfterInvestigation.working_days(), None);
    assert_eq!(Deadline::DeclarationAnswer.rule(), "OP090x4");
    assert_eq!(Deadline::Retour.rule(), "OP090");
}

#[test]
fn deadline_for_each_message_type() {
    use MessageType::*;
    for retour in [M302, M306, M308, M316, M318, M320] {
        assert!(retour.is_retour());
        assert_eq!(
            Deadline::for_message(retour),
            Some(Deadline::Retour),
            "{retour:?}"
        );
    }
    assert_eq!(Deadline::for_message(M301), Some(Deadline::Decision));
    assert_eq!(Deadline::for_message(M319), Some(Deadline::Decision));
    assert_eq!(Deadline::for_message(M305), Some(Deadline::StartCare));
    assert_eq!(Deadline::for_message(M307), Some(Deadline::StopCare));
    assert_eq!(
        Deadline::for_message(M325),
        Some(Deadline::DeclarationAnswer)
    );
    for free in [M315, M317, M323] {
        assert_eq!(Deadline::for_message(free), None, "{free:?}");
    }
}

// === Properties ===

/// Working days in `(from, to]` counted one day at a time, as the reference.
fn naive_between(cal: &WorkingDays, from: NaiveDate, to: NaiveDate) -> u64 {
    from.iter_days()
        .skip(1)
        .take_while(|d| *d <= to)
        .filter(|d| cal.is_working_day(*d))
        .count() as u64
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 1990-01-01 .. about 2110.
    (0u64..44_000).prop_map(|n| date(1990, 1, 1) + Days::new(n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn add_and_between_are_inverse(from in any_date(), n in 0u32..40, extra in any_date()) {
        let cal = WorkingDays::new().with_extra_holidays([extra, from + Days::new(2)]);
        let end = cal.add_working_days(from, n);
        prop_assert_eq!(cal.working_days_between(from, end), u64::from(n));
        prop_assert_eq!(naive_between(&cal, from, end), u64::from(n));
        if n > 0 {
            prop_assert!(cal.is_working_day(end));
        }
    }

    #[test]
    fn between_matches_counting_day_by_day(from in any_date(), len in 0u64..800, extra in any_date()) {
        let cal = WorkingDays::new().with_extra_holidays([extra]);
        let to = from + Days::new(len);
        prop_assert_eq!(cal.working_days_between(from, to), naive_between(&cal, from, to));
    }

    #[test]
    fn every_year_has_eight_holidays_and_easter_on_a_sunday(year in 1583i32..4000) {
        let easter = easter_sunday(year).expect("Easter exists");
        prop_assert_eq!(easter.weekday(), Weekday::Sun);
        prop_assert!(easter >= date(year, 3, 22) && easter <= date(year, 4, 25));
        let all = holidays(year);
        prop_assert_eq!(all.len(), 8);
        for &(d, h) in &all {
            prop_assert!(d.year() == year);
            // Two holidays may share a day (Hemelvaartsdag on 5 May, or on Koninginnedag
            // 30 April as in 1598); holiday() names one of them.
            let shared = all.iter().filter(|(other, _)| *other == d).count() > 1;
            if shared {
                prop_assert!(holiday(d).is_some());
            } else {
                prop_assert_eq!(holiday(d), Some(h));
            }
        }
    }
}
