//! In-message rules (controleniveau 2): the conditions (CD), constraints (CS) and technical
//! rules (TR) that VECOZO's XSLT check applies to one message on its own (BRS28, retourcode
//! 0001), checked on top of the schema.
//!
//! Each message family has its own module; [`check`] runs the ones for a message.

mod allocation_request;
mod bsn;
mod care;
mod declaration;
mod retourcode;

pub use bsn::bsn_valid;
pub use retourcode::retourcode;

use chrono::NaiveDate;

use crate::error::Violation;
use crate::message::{Content, Message};
use crate::xml::{Ctx, Report};

/// Every rule id this module checks, for the rules table and its test.
pub const IN_MESSAGE_RULES: &[&str] = &[
    "CS002", "CS058", "CS100", "CS325", "CS337", "CS339", "CS340", "CD043", "CD060", "CD066",
    "CD067", "CD068", "CD085", "CD086", "CD087", "TR002", "TR018", "TR134", "TR137", "TR315",
    "TR316", "TR335", "TR352", "TR353", "TR358", "TR377", "TR380", "TR383", "TR386", "TR409",
    "TR410", "TR416",
];

/// Runs the in-message rules for `message`. Schema-level problems are not repeated here:
/// call [`Message::validate`] (or read with [`crate::read`]) for those.
pub fn check(message: &Message) -> Vec<Violation> {
    let mut rep = Report::new(Ctx {
        kind: message.kind(),
        retour: false,
    });
    rep.path.push("Bericht", None);
    let dagtekening = message.content.header().bericht_identificatie.dagtekening;
    match &message.content {
        Content::Declaration(m) => declaration::check(&m.body, dagtekening, &mut rep),
        Content::RequestForAllocation(m) => {
            allocation_request::request(&m.body, dagtekening, &mut rep)
        }
        Content::ChangeRequest(m) => allocation_request::change(&m.body, dagtekening, &mut rep),
        Content::Answer(m) => allocation_request::answer(&m.body, &mut rep),
        Content::CareStart(m) => care::start(&m.body, dagtekening, &mut rep),
        Content::CareStop(m) => care::stop(&m.body, dagtekening, &mut rep),
        _ => {}
    }
    rep.violations
}

/// Runs `f` with the path extended by `segments` (name, 1-based index).
pub(crate) fn at(
    rep: &mut Report,
    segments: &[(&'static str, Option<usize>)],
    f: impl FnOnce(&mut Report),
) {
    for (name, index) in segments {
        rep.path.push(name, *index);
    }
    f(rep);
    for _ in segments {
        rep.path.pop();
    }
}

/// Records `rule` at `segments` below the current path.
pub(crate) fn violation(
    rep: &mut Report,
    segments: &[(&'static str, Option<usize>)],
    rule: &'static str,
    message: impl Into<String>,
) {
    let message = message.into();
    at(rep, segments, |rep| rep.violation(rule, message));
}

/// Two periods overlap; an open end runs for ever.
pub(crate) fn overlaps(
    a: (NaiveDate, Option<NaiveDate>),
    b: (NaiveDate, Option<NaiveDate>),
) -> bool {
    let a_end = a.1.unwrap_or(NaiveDate::MAX);
    let b_end = b.1.unwrap_or(NaiveDate::MAX);
    a.0 <= b_end && b.0 <= a_end
}

/// TR002: a birth date no more than 120 years before the message date, unless unknown
/// (DatumGebruik 3 with 1900-01-01).
pub(crate) fn birth_date(
    g: &crate::model::basis::Geboortedatum,
    dagtekening: NaiveDate,
    rep: &mut Report,
) {
    use crate::codes::DatumGebruik;
    let unknown = g.datum_gebruik == Some(DatumGebruik::Onbekend)
        && Some(g.datum) == NaiveDate::from_ymd_opt(1900, 1, 1);
    let limit = dagtekening
        .checked_sub_months(chrono::Months::new(120 * 12))
        .unwrap_or(NaiveDate::MIN);
    if !unknown && g.datum < limit {
        violation(
            rep,
            &[("Geboortedatum", None), ("Datum", None)],
            "TR002",
            "birth date is more than 120 years before the message date",
        );
    }
    if g.datum > dagtekening {
        violation(
            rep,
            &[("Geboortedatum", None), ("Datum", None)],
            "TR134",
            "birth date is after the message date",
        );
    }
}

/// CS002 on a BSN.
pub(crate) fn bsn(value: &crate::types::Bsn, rep: &mut Report) {
    if value.0.len() == 9 && !bsn_valid(&value.0) {
        violation(
            rep,
            &[("Bsn", None)],
            "CS002",
            "BSN does not pass the 11-proef",
        );
    }
}
