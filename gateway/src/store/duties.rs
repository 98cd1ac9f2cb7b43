//! The provider's own duties (the terms the provider must keep, not the municipality), as the
//! store keeps them under `v/`, and the pure arithmetic of their due dates.
//!
//! | key | value | written by | removed by |
//! |---|---|---|---|
//! | `v/a/` scope `/` ToewijzingNummer | first receipt of a 301 with that number (ms, i64 BE) | a collected 301 | never |
//! | `v/r/` traceerId of a 301/319 | [`RetourDuty`]: the 302/320 the provider still owes (manual answering) | a collected 301/319 without an automatic retour | the retour queued through `SubmitRetour` |
//! | `v/d/` traceerId of a 301/319 | id of the 302/320 queued on it (u64 BE) | the automatic retour, or `SubmitRetour` | never |
//! | `v/s/` scope `/` ToewijzingNummer | [`StopWatch`]: a started product whose 307 is awaited | a 305 for a known allocation | a 307 for it, a 305 deleting the start |
//! | `v/l/` message id | [`LateSubmit`]: a 305/307 submitted after its term | the 305/307's submit | the deadline check that reports it |
//!
//! Every one of them is written in the same store batch as the message that causes it (the
//! submit, the collected message, the queued retour), so a crash never leaves a duty without
//! its cause or the other way round. The deadline check ([`crate::deadline_check`]) turns
//! them into DeadlineMissed events once ([`super::EventBody::DutyMissed`]):
//!
//! - a [`LateSubmit`] at the first check after the submit (it is late by then already);
//! - an open [`RetourDuty`] the day after its due date (OP090: three working days after
//!   receipt); it stays open, marked reported, so the provider can still answer (late);
//! - a [`StopWatch`] the day after the allocation's Einddatum + five working days (OP272), the
//!   Einddatum read from the history at the time of the check, so a later 301 that moves it
//!   moves the due date too; an allocation without Einddatum owes no 307 yet.
//!
//! ## What the gateway cannot know
//!
//! - **The real start and stop dates** exist only in the 305/307 itself, so their terms
//!   (OP271, OP272) can be judged only when they are submitted: a 305 or 307 that is never
//!   submitted is not reported, except through the [`StopWatch`] on an allocation with an
//!   Einddatum.
//! - **A retroactive allocation** (OP271: five working days after the 301 arrived, when that is
//!   later than the start): the day the 301 arrived is known only for a 301 this gateway
//!   collected itself (`v/a/`). A 305 for any other product — an allocation imported or
//!   collected before this record existed, or a start without ToewijzingNummer (taakgericht)
//!   — is not judged, rather than judged by a day the gateway would have to guess.
//! - **A definitive stop after a temporary one** (OP272): the casus of the standard fill the
//!   definitive 307's Einddatum with the day the stop became definitive, so its term counts
//!   from that Einddatum like every other stop.
//! - **A 305 the municipality refused** (306 with a rejecting code) still leaves its
//!   [`StopWatch`]; the corrected 305 replaces it.

use chrono::{DateTime, NaiveDate};
use ketenpoort_messages::calendar::{Deadline, WorkingDays};
use ketenpoort_messages::rules::cross::Scope;
use ketenpoort_messages::{Law, MessageKind, MessageType};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The prefix of every duty key.
pub const PREFIX: &[u8] = b"v/";
/// Prefix of the first receipts of allocations.
pub const RECEIPT: &[u8] = b"v/a/";
/// Prefix of the open retour duties.
pub const RETOUR: &[u8] = b"v/r/";
/// Prefix of the answered 301/319s.
pub const ANSWERED: &[u8] = b"v/d/";
/// Prefix of the awaited 307s.
pub const STOP: &[u8] = b"v/s/";
/// Prefix of the late 305/307s still to report.
pub const LATE: &[u8] = b"v/l/";

/// The 302/320 the provider owes on a received 301/319 that ketenpoort did not answer itself
/// (`v/r/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetourDuty {
    /// The traceerId of the 301/319 (the retour's alsAntwoordOp).
    pub traceer_id: Uuid,
    /// Its conversatieId, which the retour carries too.
    pub conversatie_id: Uuid,
    /// The cursor of the 301/319's event (what `SubmitRetour` names).
    pub cursor: u64,
    /// The provider's AGB code (whose tenant sees the events).
    pub agb: String,
    /// The kind owed, e.g. `JW302`.
    pub kind: String,
    /// The last day it may be sent (OP090).
    pub due: NaiveDate,
    /// Reported missed already (then it stays open: the retour is still owed).
    #[serde(default)]
    pub missed: bool,
}

/// A started product whose 307 the provider owes once its allocation ends (`v/s/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopWatch {
    /// The law's code prefix, `JW` or `WMO`.
    pub law: String,
    /// The provider's AGB code.
    pub agb: String,
    /// The municipality's CBS code.
    pub municipality: String,
    /// ToewijzingNummer of the allocation.
    pub allocation_number: u64,
    /// The 305 that started it.
    pub start_message: u64,
    /// Reported missed already.
    #[serde(default)]
    pub missed: bool,
}

impl StopWatch {
    /// The history scope of the allocation.
    pub fn scope(&self) -> Scope {
        Scope {
            law: law_of(&self.law),
            aanbieder: self.agb.clone(),
            gemeente: self.municipality.clone(),
        }
    }

    /// The kind that satisfies it, e.g. `JW307`.
    pub fn kind(&self) -> String {
        format!("{}{}", self.law, MessageType::M307.number())
    }
}

/// A 305/307 submitted after its term, to be reported by the next deadline check (`v/l/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateSubmit {
    /// The 305/307.
    pub message_id: u64,
    /// Its AGB code.
    pub agb: String,
    /// Its kind, e.g. `JW305`.
    pub kind: String,
    /// The rule of the term, `OP271` or `OP272`.
    pub rule: String,
    /// The last day it could have been sent on time (of its products the earliest missed).
    pub due: NaiveDate,
}

/// A duty a deadline check reported missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyMissed {
    /// What was owed, for the metric: `302`, `320`, `305` or `307`.
    pub name: String,
    /// The rule of the term: `OP090`, `OP271` or `OP272`.
    pub rule: String,
    /// The message it is about (the late 305/307, or the 305 whose 307 is missing); `None`
    /// for a retour, which has no message yet.
    pub message_id: Option<u64>,
    /// Its due date.
    pub due: NaiveDate,
    /// The cursor of its event.
    pub cursor: u64,
}

/// What the store holds about the retour a received 301/319 is owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetourState {
    /// Owed, and to be sent through `SubmitRetour`.
    Open(RetourDuty),
    /// Answered by this message (automatically or through `SubmitRetour`).
    Answered(u64),
    /// No duty is held: not a collected 301/319, or one collected before duties were kept.
    Unknown,
}

/// The law of a code prefix (`JW` → iJw, anything else iWmo).
pub fn law_of(prefix: &str) -> Law {
    if prefix == Law::Ijw.code_prefix() {
        Law::Ijw
    } else {
        Law::Iwmo
    }
}

/// The kind `message_type` under the law with code prefix `prefix`.
pub fn kind_of(law: Law, message_type: MessageType) -> String {
    MessageKind::new(law, message_type).code()
}

/// The UTC day of `at_ms` (as [`crate::header::Clock::today`] counts); `None` out of range.
pub fn day(at_ms: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp_millis(at_ms).map(|t| t.date_naive())
}

/// The last day a 305 for care that started on `begindatum` may be sent (OP271): five working
/// days after the start, or after `received`, the day its 301 arrived, when that is later (an
/// allocation with retroactive effect).
pub fn start_due(calendar: &WorkingDays, begindatum: NaiveDate, received: NaiveDate) -> NaiveDate {
    calendar.deadline(Deadline::StartCare, begindatum.max(received))
}

/// The last day a 307 for care that ended on `einddatum` may be sent (OP272).
pub fn stop_due(calendar: &WorkingDays, einddatum: NaiveDate) -> NaiveDate {
    calendar.deadline(Deadline::StopCare, einddatum)
}

/// The last day the retour on a 301/319 received on `received` may be sent (OP090).
pub fn retour_due(calendar: &WorkingDays, received: NaiveDate) -> NaiveDate {
    calendar.deadline(Deadline::Retour, received)
}

fn scoped(prefix: &[u8], scope: &Scope, nummer: u64) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(
        format!(
            "{}/{}/{}/",
            scope.law.code_prefix(),
            scope.aanbieder,
            scope.gemeente
        )
        .as_bytes(),
    );
    k.extend_from_slice(&nummer.to_be_bytes());
    k
}

/// `v/a/` key of allocation `nummer` in `scope`.
pub fn receipt_key(scope: &Scope, nummer: u64) -> Vec<u8> {
    scoped(RECEIPT, scope, nummer)
}

/// `v/s/` key of allocation `nummer` in `scope`.
pub fn stop_key(scope: &Scope, nummer: u64) -> Vec<u8> {
    scoped(STOP, scope, nummer)
}

/// `v/r/` key of the 301/319 with `traceer_id`.
pub fn retour_key(traceer_id: Uuid) -> Vec<u8> {
    let mut k = RETOUR.to_vec();
    k.extend_from_slice(traceer_id.as_bytes());
    k
}

/// `v/d/` key of the 301/319 with `traceer_id`.
pub fn answered_key(traceer_id: Uuid) -> Vec<u8> {
    let mut k = ANSWERED.to_vec();
    k.extend_from_slice(traceer_id.as_bytes());
    k
}

/// `v/l/` key of message `id`.
pub fn late_key(id: u64) -> Vec<u8> {
    let mut k = LATE.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn a_305_is_due_five_working_days_after_the_start() {
        let calendar = WorkingDays::new();
        // Care started Tuesday 2025-03-04, the 301 came long before: Wed 5, Thu 6, Fri 7,
        // Mon 10, Tue 11.
        assert_eq!(
            start_due(&calendar, date(2025, 3, 4), date(2025, 2, 10)),
            date(2025, 3, 11)
        );
    }

    #[test]
    fn a_retroactive_allocation_moves_the_305_term_to_its_receipt() {
        let calendar = WorkingDays::new();
        // Care started 2025-03-04; the 301 allocating it arrived Thursday 2025-04-24: Fri 25,
        // (Sat, Sun), Mon 28, Tue 29, Wed 30, Thu 1 May. Koningsdag (Sat 26 April 2025) falls
        // on a Saturday anyway.
        assert_eq!(
            start_due(&calendar, date(2025, 3, 4), date(2025, 4, 24)),
            date(2025, 5, 1)
        );
    }

    #[test]
    fn a_307_is_due_five_working_days_after_the_stop_skipping_holidays() {
        let calendar = WorkingDays::new();
        // Care ended Thursday 2025-05-01: Fri 2, (Sat, Sun), Bevrijdingsdag Mon 5 is not a
        // working day, Tue 6, Wed 7, Thu 8, Fri 9.
        assert_eq!(stop_due(&calendar, date(2025, 5, 1)), date(2025, 5, 9));
    }

    #[test]
    fn a_retour_is_due_three_working_days_after_receipt() {
        let calendar = WorkingDays::new();
        // Received Wednesday 2025-04-02: Thu 3, Fri 4, (Sat, Sun), Mon 7.
        assert_eq!(retour_due(&calendar, date(2025, 4, 2)), date(2025, 4, 7));
    }

    #[test]
    fn keys_keep_their_families_apart() {
        let scope = Scope {
            law: Law::Iwmo,
            aanbieder: "12345678".into(),
            gemeente: "0268".into(),
        };
        assert!(receipt_key(&scope, 7).starts_with(b"v/a/WMO/12345678/0268/"));
        assert!(stop_key(&scope, 7).starts_with(b"v/s/WMO/"));
        assert_ne!(receipt_key(&scope, 7), receipt_key(&scope, 8));
        let t = Uuid::from_u128(1);
        assert_ne!(retour_key(t), answered_key(t));
        assert_eq!(law_of("JW"), Law::Ijw);
        assert_eq!(law_of("WMO"), Law::Iwmo);
    }
}
