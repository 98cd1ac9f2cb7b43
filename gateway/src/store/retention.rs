//! Retention (`[store] retention`): the pure rules of what `ketenpoort prune` may purge and
//! when. The store-side work (reading the conversations, the batches) is in
//! `sled_store::prune`; see [`crate::manual`] (Retention) for the operator's view.
//!
//! - **Age** of a conversation: the latest of the dates in it — the acceptance of each sent
//!   message, the time of each event about it, the Dagtekening of each message, the end of the
//!   period a 323 claims (DeclaratiePeriode) and the end of every product a 301 allocates —
//!   rounded up to the end of its calendar year, as fiscal law counts the seven years. A 301
//!   with a product without Einddatum is still in force: its conversation has no age and is
//!   never purged.
//! - **Eligible**: every message of the conversation is finished (nothing queued, followed,
//!   expected or owed) and the calendar year of its age plus `xml_years` has ended before
//!   today.
//! - **Horizon**: `xml_years` may not be below [`LOOK_BACK_YEARS`], the furthest a rule looks
//!   back (TR335: a claim line's ProductPeriode may end up to five years before the
//!   DeclaratieDagtekening, so a credit can still name a line of five years ago).

use chrono::{Datelike, NaiveDate};
use ketenpoort_messages::Message;
use ketenpoort_messages::message::Content;
use serde::Deserialize;

/// The furthest any rule looks back, in years (TR335).
pub const LOOK_BACK_YEARS: u32 = 5;

/// The rule that looks back furthest ([`LOOK_BACK_YEARS`]).
pub const LOOK_BACK_RULE: &str = "TR335";

/// Default years the XML and other personal records of a finished conversation are kept
/// (fiscal law: seven years for financial records).
pub const DEFAULT_XML_YEARS: u32 = 7;

/// `[store.retention]`: how long records are kept before `ketenpoort prune` may purge them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Years after the end of the calendar year of a finished conversation's age before its
    /// XML (sent `x/`, received `r/`, quarantined `p/`) and the personal data in its events
    /// (`e/`: the XML, the Bsn of an allocation) may be purged. Default 7; at least
    /// [`LOOK_BACK_YEARS`].
    pub xml_years: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            xml_years: DEFAULT_XML_YEARS,
        }
    }
}

impl Retention {
    /// `Err` with the reason when a value would cut into a rule's look-back horizon.
    pub fn check(&self) -> Result<(), String> {
        if self.xml_years < LOOK_BACK_YEARS {
            return Err(format!(
                "must be at least {LOOK_BACK_YEARS}: rule {LOOK_BACK_RULE} looks back \
                 {LOOK_BACK_YEARS} years (a credit may name a claim line whose period ended \
                 {LOOK_BACK_YEARS} years before its DeclaratieDagtekening)"
            ));
        }
        Ok(())
    }

    /// Whether a finished conversation of age `age` may be purged on `today`: the calendar
    /// year of `age` plus `xml_years` has ended.
    pub fn expired(&self, age: NaiveDate, today: NaiveDate) -> bool {
        i64::from(today.year()) > i64::from(age.year()) + i64::from(self.xml_years)
    }

    /// The first day on which a conversation of age `age` may be purged.
    pub fn purge_from(&self, age: NaiveDate) -> Option<NaiveDate> {
        let year = i32::try_from(i64::from(age.year()) + i64::from(self.xml_years) + 1).ok()?;
        NaiveDate::from_ymd_opt(year, 1, 1)
    }
}

/// The dates of a conversation, gathered one by one; its age is the latest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Age {
    latest: Option<NaiveDate>,
    /// A message in it is about a period without end (a 301 product without Einddatum).
    open: bool,
}

impl Age {
    /// Adds a date.
    pub fn date(&mut self, d: NaiveDate) {
        self.latest = Some(self.latest.map_or(d, |l| l.max(d)));
    }

    /// Adds a time, milliseconds since the Unix epoch (UTC).
    pub fn at_ms(&mut self, ms: i64) {
        if let Some(t) = chrono::DateTime::from_timestamp_millis(ms) {
            self.date(t.date_naive());
        }
    }

    /// Adds a message's dates: its Dagtekening and the end of the period it is about.
    pub fn message(&mut self, m: &Message) {
        self.date(m.content.header().bericht_identificatie.dagtekening);
        match &m.content {
            Content::Declaration(d) => self.date(d.body.declaratie_periode.einddatum),
            Content::Allocation(a) => {
                for p in &a.body.toegewezen_producten {
                    match p.einddatum {
                        Some(end) => self.date(end),
                        None => self.open = true,
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds another conversation part's dates.
    pub fn merge(&mut self, other: Age) {
        if let Some(d) = other.latest {
            self.date(d);
        }
        self.open |= other.open;
    }

    /// The age: the latest date, `None` when there is none or a period has no end.
    pub fn get(&self) -> Option<NaiveDate> {
        if self.open { None } else { self.latest }
    }
}

/// Groups items (0..n) that belong to one conversation: a union-find.
#[derive(Debug, Clone)]
pub struct Conversations {
    parent: Vec<usize>,
}

impl Conversations {
    /// `n` items, each its own conversation.
    pub fn new(n: usize) -> Self {
        Conversations {
            parent: (0..n).collect(),
        }
    }

    /// The representative of `i`'s conversation.
    pub fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Puts `a` and `b` into one conversation.
    pub fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    #[test]
    fn a_retention_below_the_look_back_of_tr335_is_refused_naming_the_rule() {
        let e = Retention { xml_years: 4 }.check().expect_err("refused");
        assert!(e.contains("TR335"), "{e}");
        assert!(Retention { xml_years: 5 }.check().is_ok());
        assert!(Retention::default().check().is_ok());
        assert_eq!(Retention::default().xml_years, 7);
    }

    #[test]
    fn seven_years_count_from_the_end_of_the_calendar_year() {
        let r = Retention { xml_years: 7 };
        // Accepted on 2 January 2018: kept through 2025, purged from 1 January 2026.
        assert!(!r.expired(d(2018, 1, 2), d(2025, 12, 31)));
        assert!(r.expired(d(2018, 1, 2), d(2026, 1, 1)));
        assert!(r.expired(d(2018, 12, 31), d(2026, 1, 1)));
        assert_eq!(r.purge_from(d(2018, 6, 1)), Some(d(2026, 1, 1)));
    }

    #[test]
    fn the_age_is_the_latest_date_and_an_open_period_has_none() {
        let mut a = Age::default();
        assert_eq!(a.get(), None);
        a.date(d(2019, 3, 1));
        a.at_ms(1_262_347_200_000); // 2010-01-01 12:00 UTC
        a.date(d(2020, 5, 1));
        assert_eq!(a.get(), Some(d(2020, 5, 1)));
        let mut b = Age::default();
        b.date(d(2021, 1, 1));
        b.open = true;
        a.merge(b);
        assert_eq!(a.get(), None);
    }

    #[test]
    fn conversations_join_transitively() {
        let mut c = Conversations::new(5);
        c.join(0, 3);
        c.join(3, 4);
        assert_eq!(c.find(4), c.find(0));
        assert_ne!(c.find(1), c.find(0));
        assert_ne!(c.find(1), c.find(2));
    }
}
