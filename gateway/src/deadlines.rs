//! Which answers a sent message is owed, and by when (the terms of DOMAIN.md, computed with
//! the working-day calendar of `ketenpoort_messages::calendar`).
//!
//! A term counts from the day the municipality received the message. The gateway cannot see
//! that day; it counts from the day VECOZO accepted the push, which is the same day or the day
//! before it, so a deadline is never reported early. An answer is late once the due date
//! (the last day it may be sent) is over.

use chrono::NaiveDate;
use ketenpoort_messages::MessageType;
use ketenpoort_messages::calendar::{Deadline, WorkingDays};

/// An answer a sent message is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// The message types that satisfy it (any one of them), e.g. 301 or 319 on a 315.
    pub answers: &'static [MessageType],
    /// The term.
    pub deadline: Deadline,
}

impl Expected {
    /// The name of what is expected, e.g. `316` or `301/319`, for events and metrics.
    pub fn name(&self) -> String {
        self.answers
            .iter()
            .map(|t| t.number().to_string())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The last day the answer may be sent, for a message received on `from`.
    pub fn due(&self, calendar: &WorkingDays, from: NaiveDate) -> NaiveDate {
        calendar.deadline(self.deadline, from)
    }

    /// Whether an answer of type `answer` satisfies it.
    pub fn satisfied_by(&self, answer: MessageType) -> bool {
        self.answers.contains(&answer)
    }
}

const RETOUR_316: &[MessageType] = &[MessageType::M316];
const RETOUR_318: &[MessageType] = &[MessageType::M318];
const RETOUR_306: &[MessageType] = &[MessageType::M306];
const RETOUR_308: &[MessageType] = &[MessageType::M308];
const DECISION: &[MessageType] = &[MessageType::M301, MessageType::M319];
const CLAIM_ANSWER: &[MessageType] = &[MessageType::M325];

/// The answers a municipality owes for a message of type `sent` that a provider sent: a
/// retour in three working days (OP090) for every heen message, a decision (301 or 319) in
/// five on a 315 or 317 (OP274/OP346), and a 325 in ten on a 323 (OP090x4). The 302 and 320
/// are themselves retours and are owed nothing.
pub fn expected_answers(sent: MessageType) -> Vec<Expected> {
    let retour = |answers| Expected {
        answers,
        deadline: Deadline::Retour,
    };
    let decision = Expected {
        answers: DECISION,
        deadline: Deadline::Decision,
    };
    match sent {
        MessageType::M315 => vec![retour(RETOUR_316), decision],
        MessageType::M317 => vec![retour(RETOUR_318), decision],
        MessageType::M305 => vec![retour(RETOUR_306)],
        MessageType::M307 => vec![retour(RETOUR_308)],
        MessageType::M323 => vec![Expected {
            answers: CLAIM_ANSWER,
            deadline: Deadline::DeclarationAnswer,
        }],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn a_315_is_owed_a_316_in_three_and_a_decision_in_five_working_days() {
        let calendar = WorkingDays::new();
        let owed = expected_answers(MessageType::M315);
        assert_eq!(owed.len(), 2);
        // Received Thursday 2025-04-17: Good Friday is a working day, Easter Monday
        // (Tweede Paasdag, 04-21) is not.
        let from = date(2025, 4, 17);
        assert_eq!(owed[0].name(), "316");
        assert_eq!(owed[0].due(&calendar, from), date(2025, 4, 23));
        assert_eq!(owed[1].name(), "301/319");
        assert_eq!(owed[1].due(&calendar, from), date(2025, 4, 25));
        assert!(owed[1].satisfied_by(MessageType::M319));
        assert!(!owed[1].satisfied_by(MessageType::M316));
    }

    #[test]
    fn a_323_is_owed_a_325_in_ten_working_days_and_retours_are_owed_nothing() {
        let calendar = WorkingDays::new();
        let owed = expected_answers(MessageType::M323);
        assert_eq!(owed.len(), 1);
        // Received Friday 2025-12-19: Christmas (25th, 26th) and the weekends are skipped.
        assert_eq!(owed[0].due(&calendar, date(2025, 12, 19)), date(2026, 1, 7));
        assert!(expected_answers(MessageType::M302).is_empty());
        assert!(expected_answers(MessageType::M320).is_empty());
    }
}
