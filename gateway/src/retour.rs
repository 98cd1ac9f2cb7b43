//! The retours the provider owes the municipality: a 302 on every 301 and a 320 on every 319,
//! within three working days (OP090).
//!
//! ## Who sends them: automatic or manual, per AGB code
//!
//! [`AnswerModes`] decides per AGB code the 301/319 is addressed to (its Ontvanger):
//!
//! - **automatic** (`[vecozo] auto_answer = true`, the default): the collection loop queues
//!   the retour itself, in the same store write that stores the 301 or 319
//!   ([`crate::store::IncomingWrite::retour`]), so a crash neither loses nor doubles one and a
//!   redelivered 301 (same traceerId) answers nothing twice;
//! - **manual**: the 301/319 is stored and streamed as always, no retour is queued, and the
//!   store records the provider's duty to send one within three working days
//!   ([`crate::store::duties::RetourDuty`], reported as a DeadlineMissed when the term
//!   passes). The tenant sends it with the `SubmitRetour` RPC ([`crate::api::retour`]), which
//!   builds it exactly as the automatic one ([`queued`]) and ends the duty in the same write,
//!   so a 301 is answered once: a second call, concurrent or after a restart, is refused.
//!
//! An automatic retour that cannot be built (a counter exhausted, a bug) leaves the duty
//! recorded instead, so the provider can still send it through `SubmitRetour`.
//!
//! How a retour is built (IV028):
//!
//! - the Header is the heen header copied unchanged (Afzender stays the municipality,
//!   Ontvanger the provider), with BerichtCode of the retour, IdentificatieRetour (the
//!   provider's counter `ident/<AGB>/302`, unique per type per sender, TR056),
//!   DagtekeningRetour (today) and XsdVersieRetour (the configured versions);
//! - no errors found: only the Header, without RetourCodes (IV028: "Het retourbericht bevat
//!   in dat geval alleen een Header, zonder retourcodes");
//! - an in-message rule broken (controleniveau 2, [`rules::check`]): only the Header, with
//!   the retourcode those rules give (0001). XsltVersie is left out: it is required when the
//!   published XSLTs did the rejecting, and ketenpoort checks with its own implementation of
//!   the rules, not with those XSLTs;
//! - the automatic retour also judges the cross-message rules of a received 301 (TR332,
//!   TR379, TR385) or 319 (TR355, TR359, TR360, TR365) against the store's history, before
//!   the 301/319 is recorded in it ([`crate::store::history`]): a rule broken in the Header
//!   gives only the Header with its code; one broken in a class gives every class with its
//!   code or 0200 ([`retour_body`], IV028). A retour sent by hand (`SubmitRetour`) is built
//!   after the 301/319 was recorded, so it carries the in-message findings only.
//!
//! The envelope of the push carries alsAntwoordOp = the traceerId of the 301/319 and its
//! conversatieId (persisted in the message's outbox record before the first push).

use chrono::NaiveDate;
use ketenpoort_messages::codes::RetourCode;
use ketenpoort_messages::model::basis::XsdVersie;
use ketenpoort_messages::model::header::RetourHeader;
use ketenpoort_messages::{
    Content, Message, MessageKind, MessageType, Violation, retour_body, rules,
};

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::config::Config;
use crate::error::Error;
use crate::header::HeaderFactory;
use crate::store::{NewMessage, QueuedRetour, Store};

/// The retour type a received message of type `received` is owed by the provider, if any.
pub fn owed(received: MessageType) -> Option<MessageType> {
    match received {
        MessageType::M301 => Some(MessageType::M302),
        MessageType::M319 => Some(MessageType::M320),
        _ => None,
    }
}

/// The kind of the retour `message` is owed (e.g. `JW302` on a `JW301`), if any.
pub fn owed_kind(message: &Message) -> Option<MessageKind> {
    owed(message.kind().message_type).map(|t| MessageKind::new(message.law, t))
}

/// The retourcodes of the header of the retour on `message`: none when it passes the
/// in-message rules, else the distinct codes of the broken rules (0001 for each of them).
pub fn header_codes(message: &Message) -> Vec<RetourCode> {
    let mut codes: Vec<RetourCode> = Vec::new();
    for v in rules::check(message) {
        let code = v
            .retourcode
            .and_then(RetourCode::from_code)
            .unwrap_or(RetourCode::R0001);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// The retour (302 or 320) on the received 301 or 319 `message`, with IdentificatieRetour
/// `identificatie`, DagtekeningRetour `today` and XsdVersieRetour `xsd`, as a message and
/// its XML; `cross` are the cross-message rules `message` breaks (judged only when it
/// passes the in-message rules). `Ok(None)` when `message` is owed no retour.
pub fn build(
    message: &Message,
    identificatie: &str,
    today: NaiveDate,
    xsd: XsdVersie,
    cross: &[Violation],
) -> Result<Option<(Message, String)>, Error> {
    if owed(message.kind().message_type).is_none() {
        return Ok(None);
    }
    let in_message = header_codes(message);
    let header = RetourHeader {
        heen: message.content.header().clone(),
        identificatie_retour: identificatie.into(),
        dagtekening_retour: today,
        xslt_versie: None,
        xsd_versie_retour: xsd,
        retour_codes: in_message.clone(),
    };
    let found = if in_message.is_empty() { cross } else { &[] };
    let Some(mut content) = retour_body::retour(message, header, found) else {
        return Ok(None);
    };
    if !in_message.is_empty() {
        match &mut content {
            Content::AllocationRetour(r) => r.header.retour_codes = in_message,
            Content::AnswerRetour(r) => r.header.retour_codes = in_message,
            _ => {}
        }
    }
    let retour = Message {
        law: message.law,
        content,
    };
    let xml = retour.to_xml().map_err(|e| {
        Error::Internal(format!(
            "the {} on a received message does not validate: {e}",
            retour.kind()
        ))
    })?;
    Ok(Some((retour, xml)))
}

/// The retour to queue with the collected `message` (conversatieId `conversatie_id`): built
/// with the next IdentificatieRetour of the provider (reserved in `store`, made durable by the
/// write that queues it) and DagtekeningRetour `today`. `Ok(None)` when it is owed none.
pub fn queued(
    store: &dyn Store,
    headers: &HeaderFactory,
    today: NaiveDate,
    message: &Message,
    conversatie_id: Uuid,
) -> Result<Option<QueuedRetour>, Error> {
    // Judged before the 301/319 is recorded: the collector builds the retour first.
    let cross = store.history().check(message)?;
    prepared(store, headers, today, message, conversatie_id, true, &cross)
}

/// [`queued`], with the IdentificatieRetour only peeked, not reserved, when `reserve` is
/// false (`validate_only`: what would be sent), and `cross` the cross-message findings to
/// carry (none for a retour sent by hand, see the module docs).
pub fn prepared(
    store: &dyn Store,
    headers: &HeaderFactory,
    today: NaiveDate,
    message: &Message,
    conversatie_id: Uuid,
    reserve: bool,
    cross: &[Violation],
) -> Result<Option<QueuedRetour>, Error> {
    let Some(kind) = owed_kind(message) else {
        return Ok(None);
    };
    let heen = message.content.header();
    // The provider sends the retour: the Ontvanger of the municipality's header.
    let agb = heen.ontvanger.clone();
    let (identificatie, counter) = headers.identificatie(store, &agb, kind, reserve)?;
    let xsd = headers.header(&agb, &heen.afzender, today).xsd_versie;
    let Some((retour, xml)) = build(message, &identificatie, today, xsd, cross)? else {
        return Ok(None);
    };
    Ok(Some(QueuedRetour {
        message: NewMessage {
            message: Arc::new(retour),
            kind: kind.code(),
            agb,
            municipality: heen.afzender.clone(),
            identificatie,
            declaration_number: None,
            compressed_xml: crate::store::stored_xml::encode(&xml),
            xml,
        },
        counter,
        traceer_id: Uuid::new_v4(),
        conversatie_id,
    }))
}

/// Who sends the retour on a 301/319.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerMode {
    /// ketenpoort queues it with the 301/319.
    Automatic,
    /// The provider sends it through `SubmitRetour`; ketenpoort watches the term.
    Manual,
}

impl AnswerMode {
    fn of(auto: bool) -> AnswerMode {
        if auto {
            AnswerMode::Automatic
        } else {
            AnswerMode::Manual
        }
    }
}

/// The [`AnswerMode`] of every AGB code, from the configuration.
///
/// A tenant's `auto_answer` applies to every AGB code it may act for (all of them for a tenant
/// with `all_agb_codes`); an AGB code no tenant sets it for follows `[vecozo] auto_answer`.
/// When tenants that share an AGB code disagree, **manual wins**: a tenant that said it
/// answers by hand would otherwise find the 302 it is about to send refused as a second one,
/// while a tenant that expected automatic answers is only told, by a DeadlineMissed, that one
/// is still owed (and can send it with `SubmitRetour`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerModes {
    default: AnswerMode,
    every_agb: Option<AnswerMode>,
    per_agb: HashMap<String, AnswerMode>,
}

impl AnswerModes {
    /// Every AGB code in `mode`.
    pub fn uniform(mode: AnswerMode) -> AnswerModes {
        AnswerModes {
            default: mode,
            every_agb: None,
            per_agb: HashMap::new(),
        }
    }

    /// The modes `config` sets (its tenants in force, dev tenant included).
    pub fn from_config(config: &Config) -> AnswerModes {
        let mut modes = AnswerModes::uniform(AnswerMode::of(config.vecozo.auto_answer));
        let merge = |slot: &mut Option<AnswerMode>, mode: AnswerMode| {
            *slot = Some(match (*slot, mode) {
                (Some(AnswerMode::Manual), _) | (_, AnswerMode::Manual) => AnswerMode::Manual,
                _ => AnswerMode::Automatic,
            });
        };
        for t in config.effective_tenants() {
            let Some(auto) = t.auto_answer else {
                continue;
            };
            let mode = AnswerMode::of(auto);
            if t.all_agb_codes {
                merge(&mut modes.every_agb, mode);
            }
            for agb in &t.agb_codes {
                let mut slot = modes.per_agb.get(agb).copied();
                merge(&mut slot, mode);
                if let Some(m) = slot {
                    modes.per_agb.insert(agb.clone(), m);
                }
            }
        }
        modes
    }

    /// Who answers the 301s and 319s addressed to `agb`.
    pub fn for_agb(&self, agb: &str) -> AnswerMode {
        match (self.per_agb.get(agb), self.every_agb) {
            (Some(AnswerMode::Manual), _) | (_, Some(AnswerMode::Manual)) => AnswerMode::Manual,
            (Some(m), _) => *m,
            (None, Some(m)) => m,
            (None, None) => self.default,
        }
    }
}

#[cfg(test)]
mod tests;
