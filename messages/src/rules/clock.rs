//! TR135 (controleniveau 4, externe bron: the system date): "Vullen met een bestaande datum
//! die niet in de toekomst ligt" — the Dagtekening of a message is not after the receiver's
//! system date (retourcode 8848).
//!
//! The receiver judges it with its own clock: the simulated municipality on every message it
//! receives. The gateway writes the Dagtekening of what it sends from its own clock, so a
//! message it sends never breaks it.

use chrono::NaiveDate;

use crate::error::Violation;
use crate::message::Message;
use crate::xml::{Ctx, Report};

/// TR135 on the header Dagtekening of `message`, against the receiver's date `today`.
pub fn check(message: &Message, today: NaiveDate) -> Vec<Violation> {
    let mut rep = Report::new(Ctx {
        kind: message.kind(),
        retour: false,
    });
    let dagtekening = message.content.header().bericht_identificatie.dagtekening;
    if dagtekening > today {
        super::violation(
            &mut rep,
            &[
                ("Bericht", None),
                ("Header", None),
                ("BerichtIdentificatie", None),
                ("Dagtekening", None),
            ],
            "TR135",
            "Dagtekening is after the receiver's system date",
        );
    }
    rep.violations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{Gen, Shape};
    use crate::{Law, MessageKind, MessageType};

    #[test]
    fn tr135_dagtekening_not_after_the_system_date() {
        let kind = MessageKind::new(Law::Ijw, MessageType::M305);
        let message = Message::generate(kind, &mut Gen::new(1, Shape::Minimal));
        let date = message.content.header().bericht_identificatie.dagtekening;
        assert!(
            check(&message, date).is_empty(),
            "today is not in the future"
        );
        let day_before = date.pred_opt().expect("a day before");
        let v = check(&message, day_before);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule, "TR135");
        assert_eq!(v[0].retourcode, Some("8848"));
        assert_eq!(
            v[0].path,
            "/Bericht/Header/BerichtIdentificatie/Dagtekening"
        );
    }
}
