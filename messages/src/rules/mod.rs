//! In-message rules (controleniveau 2): the conditions (CD), constraints (CS) and technical
//! rules (TR) that VECOZO's XSLT check applies to one message on its own (BRS28, retourcode
//! 0001), checked on top of the schema.
//!
//! Each message family has its own module (`allocation` 301, `care` 305/307,
//! `allocation_request` 315/317/319, `declaration` 323, `answer325` 325); rules that several
//! messages share live in `common`. [`check`] runs the ones for a message. [`catalog`] lists
//! every rule id of the standard and where (or why not) ketenpoort checks it. [`amounts`]
//! checks a claim's amounts against the contract tariff (TR346, TR418), outside [`check`]:
//! those rules need a tariff table, or check only what the message shows without one.
//!
//! No CD/CS/TR rule of the standard names a retour message (302, 306, 308, 316, 318, 320):
//! a retour echoes the heen message it answers, so [`check`] finds nothing in one.

mod allocation;
mod allocation_request;
pub mod amounts;
mod answer325;
mod bsn;
mod care;
pub mod catalog;
pub mod clock;
mod common;
pub mod cross;
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
    "CD005", "CD007", "CD009", "CD025", "CD034", "CD041", "CD043", "CD060", "CD066", "CD067",
    "CD068", "CD075", "CD076", "CD077", "CD078", "CD079", "CD080", "CD085", "CD086", "CD087",
    "CD095", "CD096", "CS002", "CS003", "CS050", "CS058", "CS089", "CS100", "CS139", "CS318",
    "CS325", "CS335", "CS336", "CS337", "CS338", "CS339", "CS340", "CS343", "TR002", "TR006",
    "TR018", "TR061", "TR101", "TR134", "TR137", "TR302", "TR315", "TR316", "TR335", "TR342",
    "TR352", "TR353", "TR358", "TR377", "TR380", "TR383", "TR386", "TR409", "TR410", "TR416",
];

/// Runs the in-message rules for `message`. Schema-level problems are not repeated here:
/// call [`Message::validate`] (or read with [`crate::read`]) for those.
pub fn check(message: &Message) -> Vec<Violation> {
    run(message, usize::MAX).violations
}

/// [`check`] keeping at most `cap` violations: returns those, in document order, and how many
/// more were found (counted, not kept). For reports about messages from outside, which may be
/// crafted to break a rule millions of times (use [`crate::MAX_VIOLATIONS`]).
pub fn check_capped(message: &Message, cap: usize) -> (Vec<Violation>, usize) {
    let rep = run(message, cap);
    (rep.violations, rep.omitted)
}

fn run(message: &Message, cap: usize) -> Report {
    let mut rep = Report::capped(
        Ctx {
            kind: message.kind(),
            retour: false,
        },
        cap,
    );
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
        Content::Allocation(m) => allocation::check(&m.body, dagtekening, &mut rep),
        Content::DeclarationAnswer(m) => answer325::check(m, dagtekening, &mut rep),
        // Retours: see the module documentation.
        Content::AllocationRetour(_)
        | Content::CareStartRetour(_)
        | Content::CareStopRetour(_)
        | Content::RequestForAllocationRetour(_)
        | Content::ChangeRequestRetour(_)
        | Content::AnswerRetour(_) => {}
    }
    rep
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
