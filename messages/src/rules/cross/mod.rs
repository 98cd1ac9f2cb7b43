//! Cross-message rules (controleniveau 3, berichtoverstijgend): the technical rules that check
//! a message against the messages exchanged before it — a claim against its allocations and
//! earlier claims, a start or stop of care against earlier ones, a request against open
//! requests, an answer against the claim or request it answers.
//!
//! [`check_against`] runs them for one message with a [`History`] of what came before. One
//! implementation serves the gateway (checking what a provider is about to send, and what it
//! receives) and the simulator (checking as the municipality would). Each violation carries
//! the rule id, the retourcode of [`super::retourcode`], the element path and a plain message
//! that never quotes a BSN or a name.
//!
//! Families: claims (`declaration.rs`: 323 against allocations and earlier claims, 325 against
//! its 323), care (`care.rs`: 305/307 against allocations and earlier starts and stops),
//! requests (`request.rs`: 315/317/319 — references, open requests, current allocations) and
//! allocations (`allocation.rs`: 301 against requests and claims). [`NOT_CHECKED`] lists the
//! rules of the berichtoverstijgend set left out or checked in part, and why.

mod allocation;
mod care;
mod declaration;
pub mod history;
mod request;

pub use history::{
    AllocationRecord, CareEvent, ClaimedLine, DeclarationRecord, DeclarationStatus, History,
    LineStatus, MemoryHistory, Recorder, RequestRecord, Scope, StartKey, StopDetails,
    claim_answer_verdict, record, refused_line_references,
};

use crate::error::Violation;
use crate::message::{Content, Message};
use crate::xml::{Ctx, Report};

/// Every rule id [`check_against`] checks, for the rules catalog and its test.
pub const CROSS_MESSAGE_RULES: &[&str] = &[
    "TR019", "TR056", "TR063", "TR071", "TR074", "TR304", "TR307", "TR308", "TR314", "TR318",
    "TR319", "TR321", "TR322", "TR323", "TR326", "TR332", "TR333", "TR337", "TR338", "TR339",
    "TR340", "TR341", "TR347", "TR349", "TR350", "TR351", "TR355", "TR357", "TR359", "TR360",
    "TR361", "TR365", "TR366", "TR367", "TR369", "TR371", "TR373", "TR374", "TR375", "TR376",
    "TR379", "TR382", "TR384", "TR385", "TR387", "TR388", "TR389", "TR390", "TR411", "TR412",
    "TR413", "TR414", "TR415",
];

/// Why a berichtoverstijgend rule is not (fully) checked by [`check_against`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotChecked {
    /// The rule needs data that is not in the messages (contracts, the provider's own record
    /// of delivered care): the condition is not checked, or only the part the messages show.
    NeedsExternalData,
    /// Only the municipality has the data (e.g. allocations to other providers): a provider
    /// can check at most its own part.
    NotTheProvidersToCheck,
}

/// Berichtoverstijgend rules that [`check_against`] leaves out or checks only in part, with
/// the reason. A rule in both this list and [`CROSS_MESSAGE_RULES`] is checked in part.
pub const NOT_CHECKED: &[(&str, NotChecked, &str)] = &[
    (
        "TR418",
        NotChecked::NeedsExternalData,
        "ProductTarief against the contract tariff: contracts are not in the messages; \
         checked by rules::amounts with a tariff table",
    ),
    (
        "TR318",
        NotChecked::NeedsExternalData,
        "whether care was delivered in every period is not in the messages; checked: the \
         DeclaratiePeriode is not before the latest one claimed (IV090)",
    ),
    (
        "TR341",
        NotChecked::NeedsExternalData,
        "for an allocation without Omvang (aspecific or generic) the unit follows the contract; \
         checked only against an allocation with Omvang",
    ),
    (
        "TR332",
        NotChecked::NotTheProvidersToCheck,
        "uniqueness over all allocations of a municipality; a provider sees only its own: \
         checked that a number it knows keeps its client and product",
    ),
    (
        "TR379",
        NotChecked::NotTheProvidersToCheck,
        "whether a 301 honours a request is the municipality's decision; checked: a filled \
         ReferentieAanbieder is one of an earlier 315/317 for the client",
    ),
];

/// Checks `message` against the earlier messages in `history` and returns every broken
/// cross-message rule (in document order per family; aggregate rules such as TR322 after the
/// per-line ones). Call it before recording `message` in the history.
///
/// Retour messages (302, 306, 308, 316, 318, 320) have no cross-message rules of their own.
pub fn check_against(history: &(impl History + ?Sized), message: &Message) -> Vec<Violation> {
    let scope = Scope::of(message);
    let mut rep = Report::new(Ctx {
        kind: message.kind(),
        retour: false,
    });
    rep.path.push("Bericht", None);
    identificatie(history, message, &mut rep);
    let header = message.content.header();
    match &message.content {
        Content::Declaration(m) => declaration::claim(history, &scope, &m.body, &mut rep),
        Content::DeclarationAnswer(a) => declaration::answer(history, &scope, a, &mut rep),
        Content::CareStart(m) => care::start(history, &scope, &m.body, &mut rep),
        Content::CareStop(m) => care::stop(history, &scope, &m.body, &mut rep),
        Content::RequestForAllocation(m) => request::request(history, &scope, &m.body, &mut rep),
        Content::ChangeRequest(m) => {
            let dagtekening = header.bericht_identificatie.dagtekening;
            request::change(history, &scope, &m.body, dagtekening, &mut rep)
        }
        Content::Answer(m) => request::answer(history, &scope, &m.body, &mut rep),
        Content::Allocation(m) => allocation::allocation(history, &scope, &m.body, &mut rep),
        Content::AllocationRetour(_)
        | Content::CareStartRetour(_)
        | Content::CareStopRetour(_)
        | Content::RequestForAllocationRetour(_)
        | Content::ChangeRequestRetour(_)
        | Content::AnswerRetour(_) => {}
    }
    rep.violations
}

/// TR056: Identificatie unique per message type for the sender.
fn identificatie(history: &(impl History + ?Sized), message: &Message, rep: &mut Report) {
    let message_type = message.content.message_type();
    if message_type.is_retour() {
        return;
    }
    let header = message.content.header();
    let id = &header.bericht_identificatie.identificatie.0;
    if history.identificatie_used(message.law, message_type, &header.afzender, id) {
        super::violation(
            rep,
            &[
                ("Header", None),
                ("BerichtIdentificatie", None),
                ("Identificatie", None),
            ],
            "TR056",
            format!(
                "this sender already sent a {} message with this Identificatie",
                message.kind()
            ),
        );
    }
}
