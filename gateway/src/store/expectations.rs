//! The answers a delivered message is still owed, as the store keeps them (`w/`): created when
//! the message is delivered (from [`crate::deadlines::expected_answers`], counting from the
//! day of the delivery), removed when a correlated answer of a satisfying kind arrives, and
//! removed — with a [`super::EventBody::DeadlineMissed`] event — by the deadline check once
//! the due date is over. An expectation is therefore reported missed at most once.

use chrono::{DateTime, NaiveDate};
use ketenpoort_messages::MessageKind;
use ketenpoort_messages::calendar::WorkingDays;
use serde::{Deserialize, Serialize};

use crate::deadlines::expected_answers;

/// One answer a delivered message is owed (`w/` + message id + index).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    /// The sent message.
    pub message_id: u64,
    /// Its AGB code (whose tenant sees the event).
    pub agb: String,
    /// The kinds that satisfy it, e.g. `["JW301", "JW319"]`.
    pub answers: Vec<String>,
    /// What is expected as [`crate::deadlines::Expected::name`] gives it, e.g. `301/319`
    /// (the label of `ketenpoort_deadlines_missed_total`).
    pub name: String,
    /// The last day the answer may be sent.
    pub due: NaiveDate,
}

impl Expectation {
    /// Whether a received message of `kind` (e.g. `JW316`) satisfies it.
    pub fn satisfied_by(&self, kind: &str) -> bool {
        self.answers.iter().any(|a| a == kind)
    }

    /// What was expected as the event names it, e.g. `JW301/JW319`.
    pub fn expected_kind(&self) -> String {
        self.answers.join("/")
    }
}

/// The answers message `message_id` of `kind` (e.g. `JW315`) for `agb` is owed when it was
/// delivered at `at_ms` (the UTC day of it, as [`crate::header::Clock::today`] counts).
/// Empty for a kind that is owed nothing or does not parse.
pub fn on_delivery(
    message_id: u64,
    kind: &str,
    agb: &str,
    at_ms: i64,
    calendar: &WorkingDays,
) -> Vec<Expectation> {
    let Some(kind) = MessageKind::parse(kind) else {
        return Vec::new();
    };
    let Some(from) = DateTime::from_timestamp_millis(at_ms).map(|t| t.date_naive()) else {
        return Vec::new();
    };
    expected_answers(kind.message_type)
        .into_iter()
        .map(|e| Expectation {
            message_id,
            agb: agb.to_owned(),
            answers: e
                .answers
                .iter()
                .map(|t| MessageKind::new(kind.law, *t).code())
                .collect(),
            name: e.name(),
            due: e.due(calendar, from),
        })
        .collect()
}

/// The store key of expectation `index` of message `message_id`.
pub fn key(message_id: u64, index: usize) -> Vec<u8> {
    let mut k = prefix(message_id);
    k.extend_from_slice(&(index as u32).to_be_bytes());
    k
}

/// The key prefix of every expectation of message `message_id`.
pub fn prefix(message_id: u64) -> Vec<u8> {
    let mut k = PREFIX.to_vec();
    k.extend_from_slice(&message_id.to_be_bytes());
    k
}

/// The key prefix of all expectations.
pub const PREFIX: &[u8] = b"w/";

/// An expectation reported missed by a deadline check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missed {
    /// The sent message.
    pub message_id: u64,
    /// What was expected, e.g. `301/319`.
    pub name: String,
    /// Its due date.
    pub due: NaiveDate,
    /// The cursor of its event.
    pub cursor: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_315_delivered_on_a_wednesday_is_owed_a_316_and_a_decision() {
        // 2025-04-02 12:00 UTC, a Wednesday.
        let at_ms = 1_743_595_200_000;
        let owed = on_delivery(7, "JW315", "12345678", at_ms, &WorkingDays::new());
        assert_eq!(owed.len(), 2);
        assert_eq!(owed[0].name, "316");
        assert_eq!(
            owed[0].due,
            NaiveDate::from_ymd_opt(2025, 4, 7).expect("date")
        );
        assert!(owed[0].satisfied_by("JW316"));
        assert!(!owed[0].satisfied_by("WMO316"));
        assert_eq!(owed[1].expected_kind(), "JW301/JW319");
        assert_eq!(
            owed[1].due,
            NaiveDate::from_ymd_opt(2025, 4, 9).expect("date")
        );
        assert!(on_delivery(8, "JW302", "12345678", at_ms, &WorkingDays::new()).is_empty());
        assert!(on_delivery(9, "nonsense", "12345678", at_ms, &WorkingDays::new()).is_empty());
    }
}
