//! Working days (werkdagen) and the answer deadlines (termijnen) of the iJw/iWmo message traffic.
//!
//! The standard counts its terms in working days (OP090, OP090x4, OP271, OP272, OP274, OP346)
//! without defining them beyond "Monday to Friday except recognised holidays" (Begrippenlijst,
//! "werkdag"). This module takes the holidays of article 3 of the Algemene termijnenwet:
//! Nieuwjaarsdag, Tweede Paasdag, Koningsdag, Bevrijdingsdag (every 5 May), Hemelvaartsdag,
//! Tweede Pinksterdag and both Kerstdagen. Goede Vrijdag is not one of them. Further closing
//! days (a day equated by AMvB, a regional agreement) are added with
//! [`WorkingDays::with_extra_holidays`].
//!
//! A term of `n` working days "after" a day counts from the next day: a message received on
//! Friday 26 April 2024 must be answered within three working days, by Wednesday 1 May 2024.
//! Easter is computed with the anonymous Gregorian algorithm, so the Easter-based holidays
//! exist from 1583 on.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::law::MessageType;

/// A generally recognised holiday (algemeen erkende feestdag) of the Algemene termijnenwet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Holiday {
    /// New Year's Day (Nieuwjaarsdag), 1 January.
    Nieuwjaarsdag,
    /// Easter Monday (Tweede Paasdag), the day after Easter Sunday.
    TweedePaasdag,
    /// King's Day (Koningsdag): 27 April, or 26 April when 27 April is a Sunday (from 2014).
    /// Before 2014 Queen's Day (Koninginnedag): 30 April, or 29 April when that is a Sunday
    /// (the 1980–2013 rule, also applied to earlier years).
    Koningsdag,
    /// Liberation Day (Bevrijdingsdag), 5 May, every year.
    Bevrijdingsdag,
    /// Ascension Day (Hemelvaartsdag), 39 days after Easter Sunday.
    Hemelvaartsdag,
    /// Whit Monday (Tweede Pinksterdag), 50 days after Easter Sunday.
    TweedePinksterdag,
    /// Christmas Day (Eerste Kerstdag), 25 December.
    EersteKerstdag,
    /// Boxing Day (Tweede Kerstdag), 26 December.
    TweedeKerstdag,
}

/// Easter Sunday (Eerste Paasdag) of `year` by the anonymous Gregorian algorithm
/// (Meeus/Jones/Butcher); `None` before 1583 or outside chrono's date range.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    if year < 1583 {
        return None;
    }
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The date of Koningsdag (Koninginnedag before 2014) in `year`.
fn kings_day(year: i32) -> Option<NaiveDate> {
    let (usual, fallback) = if year >= 2014 { (27, 26) } else { (30, 29) };
    let date = NaiveDate::from_ymd_opt(year, 4, usual)?;
    if date.weekday() == Weekday::Sun {
        NaiveDate::from_ymd_opt(year, 4, fallback)
    } else {
        Some(date)
    }
}

/// The statutory holiday (feestdag) on `date`, if any. When two fall on one day (Hemelvaartsdag
/// on 5 May, as in 2016), the one not tied to Easter is returned.
pub fn holiday(date: NaiveDate) -> Option<Holiday> {
    match (date.month(), date.day()) {
        (1, 1) => return Some(Holiday::Nieuwjaarsdag),
        (5, 5) => return Some(Holiday::Bevrijdingsdag),
        (12, 25) => return Some(Holiday::EersteKerstdag),
        (12, 26) => return Some(Holiday::TweedeKerstdag),
        _ => {}
    }
    if kings_day(date.year()) == Some(date) {
        return Some(Holiday::Koningsdag);
    }
    let easter = easter_sunday(date.year())?;
    match date.signed_duration_since(easter).num_days() {
        1 => Some(Holiday::TweedePaasdag),
        39 => Some(Holiday::Hemelvaartsdag),
        50 => Some(Holiday::TweedePinksterdag),
        _ => None,
    }
}

/// All statutory holidays (feestdagen) of `year` in date order; two may share a date.
pub fn holidays(year: i32) -> Vec<(NaiveDate, Holiday)> {
    let fixed = [
        (1, 1, Holiday::Nieuwjaarsdag),
        (5, 5, Holiday::Bevrijdingsdag),
        (12, 25, Holiday::EersteKerstdag),
        (12, 26, Holiday::TweedeKerstdag),
    ];
    let mut all: Vec<(NaiveDate, Holiday)> = fixed
        .iter()
        .filter_map(|&(m, d, h)| Some((NaiveDate::from_ymd_opt(year, m, d)?, h)))
        .collect();
    all.extend(kings_day(year).map(|d| (d, Holiday::Koningsdag)));
    if let Some(easter) = easter_sunday(year) {
        let moving = [
            (1, Holiday::TweedePaasdag),
            (39, Holiday::Hemelvaartsdag),
            (50, Holiday::TweedePinksterdag),
        ];
        all.extend(
            moving
                .iter()
                .filter_map(|&(n, h)| Some((easter.checked_add_days(Days::new(n))?, h))),
        );
    }
    all.sort();
    all
}

/// Day number with Monday 1 January of year 1 as day 1, so `n % 7 == 0` is a Sunday.
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

/// Number of Monday–Friday days with a day number in `1..=n` (extended to n ≤ 0 as a prefix
/// count: `weekdays_upto(n) - weekdays_upto(n - 1)` is 1 exactly when day `n` is a weekday).
fn weekdays_upto(n: i64) -> i64 {
    5 * n.div_euclid(7) + n.rem_euclid(7).min(5)
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A working-day calendar (werkdagenkalender): Monday to Friday minus the holidays of the
/// Algemene termijnenwet and any extra closing days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingDays {
    extra: BTreeSet<NaiveDate>,
}

impl WorkingDays {
    /// The calendar with only the statutory holidays (wettelijke feestdagen).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds extra non-working days (extra vrije dagen), e.g. a day equated to a holiday.
    pub fn with_extra_holidays(mut self, dates: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.extra.extend(dates);
        self
    }

    /// The extra non-working days (extra vrije dagen), in date order.
    pub fn extra_holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.extra.iter().copied()
    }

    /// True when `date` is a statutory holiday (feestdag) or an extra non-working day.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.extra.contains(&date) || holiday(date).is_some()
    }

    /// True when `date` is a working day (werkdag): Monday to Friday and not a holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !is_weekend(date) && !self.is_holiday(date)
    }

    /// The `n`th working day after `date` (the last day of a term of `n` werkdagen), counting
    /// from the next day; `date` itself for `n == 0`. Saturates at [`NaiveDate::MAX`]. Takes
    /// time linear in `n`.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return NaiveDate::MAX,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Number of working days (werkdagen) `d` with `from < d <= to`; 0 when `to <= from`.
    /// The inverse of [`add_working_days`](Self::add_working_days).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u64 {
        if to <= from {
            return 0;
        }
        let in_range = |d: NaiveDate| from < d && d <= to && !is_weekend(d);
        let weekdays = weekdays_upto(day_number(to)) - weekdays_upto(day_number(from));
        let mut off = 0i64;
        for year in from.year()..=to.year() {
            let mut dates: Vec<NaiveDate> = holidays(year).into_iter().map(|(d, _)| d).collect();
            dates.dedup();
            off += dates.into_iter().filter(|&d| in_range(d)).count() as i64;
        }
        off += self
            .extra
            .range(from..=to)
            .filter(|&&d| in_range(d) && holiday(d).is_none())
            .count() as i64;
        u64::try_from(weekdays - off).unwrap_or(0)
    }

    /// The last day on which the message of `deadline` may be sent, for a term that starts on
    /// `from` (the day of receipt, of the real start or stop, or of the request; see
    /// [`Deadline`]). Saturates at [`NaiveDate::MAX`].
    pub fn deadline(&self, deadline: Deadline, from: NaiveDate) -> NaiveDate {
        match deadline.working_days() {
            Some(n) => self.add_working_days(from, n),
            None => from
                .checked_add_days(Days::new(DECISION_AFTER_INVESTIGATION_DAYS))
                .unwrap_or(NaiveDate::MAX),
        }
    }
}

/// Eight weeks in calendar days (OP274, OP346).
const DECISION_AFTER_INVESTIGATION_DAYS: u64 = 8 * 7;

/// A term (termijn) within which a message must be sent, with the day it counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Deadline {
    /// Retour message (retourbericht) 302, 306, 308, 316, 318 or 320: three working days after
    /// receipt of the message it answers (OP090).
    Retour,
    /// 301 Toewijzing or 319 Antwoordbericht on a 315 or 317 (besluit op verzoek): five working
    /// days after receipt of the request (OP274, OP346).
    Decision,
    /// 301 or 319 "afgewezen" after a 319 "in onderzoek" (besluit na onderzoek): eight
    /// calendar weeks after the date of the request (OP274, OP346).
    DecisionAfterInvestigation,
    /// 305 Start zorg (startbericht): five working days after the real start of care, or after
    /// receipt of the 301 when care was allocated retroactively (OP271).
    StartCare,
    /// 307 Stop zorg (stopbericht): five working days after the real end of care, or after it
    /// became known that a temporary stop is final (OP272).
    StopCare,
    /// 325 Declaratie-antwoord (claim answer): ten working days after receipt of the 323
    /// (OP090x4).
    DeclarationAnswer,
}

impl Deadline {
    /// Every deadline (alle termijnen).
    pub const ALL: [Deadline; 6] = [
        Deadline::Retour,
        Deadline::Decision,
        Deadline::DecisionAfterInvestigation,
        Deadline::StartCare,
        Deadline::StopCare,
        Deadline::DeclarationAnswer,
    ];

    /// The term in working days (werkdagen); `None` for the eight calendar weeks of
    /// [`Deadline::DecisionAfterInvestigation`].
    pub fn working_days(self) -> Option<u32> {
        match self {
            Deadline::Retour => Some(3),
            Deadline::Decision | Deadline::StartCare | Deadline::StopCare => Some(5),
            Deadline::DeclarationAnswer => Some(10),
            Deadline::DecisionAfterInvestigation => None,
        }
    }

    /// The rule (bedrijfsregel) that sets the term, e.g. `OP090`.
    pub fn rule(self) -> &'static str {
        match self {
            Deadline::Retour => "OP090",
            Deadline::Decision | Deadline::DecisionAfterInvestigation => "OP274/OP346",
            Deadline::StartCare => "OP271",
            Deadline::StopCare => "OP272",
            Deadline::DeclarationAnswer => "OP090x4",
        }
    }

    /// The usual term for sending a message of type `sent` (verzonden berichttype): 301 and 319
    /// get [`Deadline::Decision`] (a 301 sent without a request has no term); 315, 317 and 323
    /// have none in the standard.
    pub fn for_message(sent: MessageType) -> Option<Deadline> {
        match sent {
            MessageType::M302
            | MessageType::M306
            | MessageType::M308
            | MessageType::M316
            | MessageType::M318
            | MessageType::M320 => Some(Deadline::Retour),
            MessageType::M301 | MessageType::M319 => Some(Deadline::Decision),
            MessageType::M305 => Some(Deadline::StartCare),
            MessageType::M307 => Some(Deadline::StopCare),
            MessageType::M325 => Some(Deadline::DeclarationAnswer),
            MessageType::M315 | MessageType::M317 | MessageType::M323 => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn day_number_one_is_a_monday() {
        let first = date(1, 1, 1);
        assert_eq!(day_number(first), 1);
        assert_eq!(first.weekday(), Weekday::Mon);
    }

    #[test]
    fn weekdays_upto_steps_by_one_exactly_on_weekdays() {
        let start = date(2023, 12, 20);
        for offset in 0..400u64 {
            let d = start + Days::new(offset);
            let n = day_number(d);
            let step = weekdays_upto(n) - weekdays_upto(n - 1);
            assert_eq!(step == 1, !is_weekend(d), "{d}");
        }
        // Before year 1 as well (negative day numbers).
        assert_eq!(weekdays_upto(0) - weekdays_upto(-1), 0); // day 0 is a Sunday
        assert_eq!(weekdays_upto(-1) - weekdays_upto(-2), 0); // day -1 a Saturday
        assert_eq!(weekdays_upto(-2) - weekdays_upto(-3), 1); // day -2 a Friday
    }

    #[test]
    fn easter_before_the_gregorian_calendar_is_none() {
        assert_eq!(easter_sunday(1582), None);
        assert!(easter_sunday(1583).is_some());
    }
}
