//! The retours the provider owes the municipality: a 302 on every 301 and a 320 on every 319,
//! within three working days (OP090). With `[vecozo] auto_answer = true` (the default) the
//! collection loop queues them itself, in the same store write that stores the 301 or 319
//! ([`crate::store::IncomingWrite::retour`]), so a crash neither loses nor doubles one and a
//! redelivered 301 (same traceerId) answers nothing twice.
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
//!   the rules, not with those XSLTs.
//!
//! The envelope of the push carries alsAntwoordOp = the traceerId of the 301/319 and its
//! conversatieId (persisted in the message's outbox record before the first push).

use chrono::NaiveDate;
use ketenpoort_messages::codes::RetourCode;
use ketenpoort_messages::model::basis::XsdVersie;
use ketenpoort_messages::model::header::RetourHeader;
use ketenpoort_messages::{Content, Message, MessageKind, MessageType, Retour, rules};

use std::sync::Arc;

use uuid::Uuid;

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
/// its XML. `Ok(None)` when `message` is owed no retour.
pub fn build(
    message: &Message,
    identificatie: &str,
    today: NaiveDate,
    xsd: XsdVersie,
) -> Result<Option<(Message, String)>, Error> {
    let header = RetourHeader {
        heen: message.content.header().clone(),
        identificatie_retour: identificatie.into(),
        dagtekening_retour: today,
        xslt_versie: None,
        xsd_versie_retour: xsd,
        retour_codes: header_codes(message),
    };
    let content = match &message.content {
        Content::Allocation(_) => Content::AllocationRetour(Retour { header, body: None }),
        Content::Answer(_) => Content::AnswerRetour(Retour { header, body: None }),
        _ => return Ok(None),
    };
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
    let Some(kind) = owed_kind(message) else {
        return Ok(None);
    };
    let heen = message.content.header();
    // The provider sends the retour: the Ontvanger of the municipality's header.
    let agb = heen.ontvanger.clone();
    let (identificatie, counter) = headers.identificatie(store, &agb, kind, true)?;
    let xsd = headers.header(&agb, &heen.afzender, today).xsd_versie;
    let Some((retour, xml)) = build(message, &identificatie, today, xsd)? else {
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
            xml,
        },
        counter,
        traceer_id: Uuid::new_v4(),
        conversatie_id,
    }))
}

#[cfg(test)]
mod tests;
