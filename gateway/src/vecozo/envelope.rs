//! The VECOZO envelope of a message we push: routeringgegevens (afzender, geadresseerden,
//! berichtstroom) and referentiegegevens (conversatieId, traceerId, alsAntwoordOp).
//!
//! The routing is read from the XML header of the message itself, never taken from the
//! caller: VECOZO refuses an envelope whose afzender differs from the payload's (BRS26), and
//! the payload is what the municipality acts on. The sending provider is the header's
//! Afzender in the messages it writes (305, 307, 315, 317, 323), and the Ontvanger in the
//! retours 302 and 320, whose header is the municipality's 301/319 header copied unchanged.
//!
//! The berichtstroom values are not in VECOZO's public documentation ("zie
//! berichtuitwisselingsdocumentatie"); these defaults follow the legacy SOAP envelope
//! (berichttype `JW`/`WMO`, berichtsubtype `JW315`, versie 3, subversie 2, an `actie` per
//! message type) and every value can be overridden per kind in [`EnvelopeSettings`].
//!
//! Only the identifiers come from the caller ([`References`]): they are minted once, when the
//! message is queued, and persisted, so that every retry carries the same traceerId.

use std::collections::BTreeMap;

use ketenpoort_messages::{
    Content, Message, MessageKind, MessageType, ReadLimits, VECOZO_MAX_PAYLOAD_BYTES,
};
use serde::Deserialize;
use uuid::Uuid;

use super::error::Error;
use super::wire::{Berichtstroom, PushMetadata, Referentiegegevens, Relatie, Routeringgegevens};

/// The identifiers of a message to push, minted once and persisted with the outbox record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct References {
    /// Unique per message and AGB code (BRS114); the same on every retry.
    pub traceer_id: Uuid,
    /// The conversation: new for a heen message, the heen message's for a retour.
    pub conversatie_id: Uuid,
    /// For a retour (302, 320): the traceerId of the message it answers (IB021 otherwise).
    pub als_antwoord_op: Option<Uuid>,
}

impl References {
    /// Fresh identifiers for a heen message that starts a conversation.
    pub fn new_conversation() -> References {
        References {
            traceer_id: Uuid::new_v4(),
            conversatie_id: Uuid::new_v4(),
            als_antwoord_op: None,
        }
    }

    /// Fresh identifiers for a retour on a received message.
    pub fn answering(heen_traceer_id: Uuid, heen_conversatie_id: Uuid) -> References {
        References {
            traceer_id: Uuid::new_v4(),
            conversatie_id: heen_conversatie_id,
            als_antwoord_op: Some(heen_traceer_id),
        }
    }
}

/// Overrides of the berichtstroom of one kind; unset fields keep the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BerichtstroomOverride {
    /// Instead of `JW`/`WMO`.
    #[serde(default)]
    pub berichttype: Option<String>,
    /// Instead of e.g. `JW315`.
    #[serde(default)]
    pub berichtsubtype: Option<String>,
    /// Instead of 3.
    #[serde(default)]
    pub berichtversie: Option<i32>,
    /// Instead of 2.
    #[serde(default)]
    pub berichtsubversie: Option<i32>,
    /// Instead of the default actie of the message type.
    #[serde(default)]
    pub actie: Option<String>,
}

/// The envelope values that are not in the message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSettings {
    /// The provider's rol as afzender (BRS01 checks AGB code + rol): `Instelling`,
    /// `Zorgverlener` or `Praktijk`.
    #[serde(default = "instelling")]
    pub afzender_rol: String,
    /// The municipality's rol as geadresseerde.
    #[serde(default = "gemeente")]
    pub geadresseerde_rol: String,
    /// Per kind (`JW315`, `WMO323`, …), values that differ from the defaults.
    #[serde(default)]
    pub berichtstroom: BTreeMap<String, BerichtstroomOverride>,
}

fn instelling() -> String {
    "Instelling".into()
}

fn gemeente() -> String {
    "Gemeente".into()
}

impl Default for EnvelopeSettings {
    fn default() -> Self {
        EnvelopeSettings {
            afzender_rol: instelling(),
            geadresseerde_rol: gemeente(),
            berichtstroom: BTreeMap::new(),
        }
    }
}

/// The default `actie` of a message type.
pub fn actie(t: MessageType) -> &'static str {
    match t {
        MessageType::M301 => "Toewijzing",
        MessageType::M302 => "ToewijzingRetour",
        MessageType::M305 => "StartZorg",
        MessageType::M306 => "StartZorgRetour",
        MessageType::M307 => "StopZorg",
        MessageType::M308 => "StopZorgRetour",
        MessageType::M315 => "VerzoekToewijzing",
        MessageType::M316 => "VerzoekToewijzingRetour",
        MessageType::M317 => "VerzoekWijziging",
        MessageType::M318 => "VerzoekWijzigingRetour",
        MessageType::M319 => "Antwoord",
        MessageType::M320 => "AntwoordRetour",
        MessageType::M323 => "Declaratie",
        MessageType::M325 => "DeclaratieAntwoord",
    }
}

/// True for the message types a provider sends (and so ketenpoort pushes).
pub fn sent_by_provider(t: MessageType) -> bool {
    matches!(
        t,
        MessageType::M302
            | MessageType::M305
            | MessageType::M307
            | MessageType::M315
            | MessageType::M317
            | MessageType::M320
            | MessageType::M323
    )
}

/// The berichtstroom of `kind` under `settings`.
pub fn berichtstroom(kind: MessageKind, settings: &EnvelopeSettings) -> Berichtstroom {
    let o = settings
        .berichtstroom
        .get(&kind.code())
        .cloned()
        .unwrap_or_default();
    Berichtstroom {
        berichttype: o
            .berichttype
            .unwrap_or_else(|| kind.law.code_prefix().to_owned()),
        berichtsubtype: Some(o.berichtsubtype.unwrap_or_else(|| kind.code())),
        berichtversie: o.berichtversie.unwrap_or(3),
        berichtsubversie: o.berichtsubversie.unwrap_or(2),
        actie: o
            .actie
            .unwrap_or_else(|| actie(kind.message_type).to_owned()),
    }
}

/// A built envelope with what it was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The kind read from the payload.
    pub kind: MessageKind,
    /// The sending provider's AGB code (selects the system certificate).
    pub afzender: String,
    /// The municipality's gemeentecode.
    pub geadresseerde: String,
    /// The `berichtMetadata` part.
    pub metadata: PushMetadata,
}

/// Builds the push metadata of `payload` (the message's XML, as stored in the outbox) with
/// the persisted `refs`.
///
/// Refuses a payload that is not a valid 3.2 message, a kind providers do not send, a retour
/// without alsAntwoordOp (VECOZO: IB021) and a heen message with one.
pub fn build(
    payload: &[u8],
    refs: &References,
    settings: &EnvelopeSettings,
) -> Result<Envelope, Error> {
    let limits = ReadLimits {
        max_bytes: VECOZO_MAX_PAYLOAD_BYTES,
    };
    let message = ketenpoort_messages::read(payload, limits)
        .map_err(|e| Error::Envelope(format!("the payload is not a valid 3.2 message: {e}")))?;
    build_for(&message, refs, settings)
}

/// As [`build`] for a message already read.
pub fn build_for(
    message: &Message,
    refs: &References,
    settings: &EnvelopeSettings,
) -> Result<Envelope, Error> {
    let kind = message.kind();
    let t = kind.message_type;
    if !sent_by_provider(t) {
        return Err(Error::Envelope(format!(
            "{kind} is sent by municipalities, not by providers"
        )));
    }
    match (t.is_retour(), refs.als_antwoord_op) {
        (true, None) => {
            return Err(Error::Envelope(format!(
                "{kind} is a retour and needs alsAntwoordOp, the traceerId of the message it \
                 answers (VECOZO: IB021)"
            )));
        }
        (false, Some(_)) => {
            return Err(Error::Envelope(format!(
                "{kind} is not a retour; it cannot answer another message (alsAntwoordOp)"
            )));
        }
        _ => {}
    }
    if refs.traceer_id.is_nil() || refs.conversatie_id.is_nil() {
        return Err(Error::Envelope(
            "traceerId and conversatieId must not be the nil UUID".into(),
        ));
    }
    if refs.als_antwoord_op == Some(refs.traceer_id) {
        return Err(Error::Envelope(
            "a message cannot answer itself (alsAntwoordOp = traceerId)".into(),
        ));
    }
    let header = message.content.header();
    // 302 and 320 copy the municipality's header: the provider is its Ontvanger.
    let (afzender, geadresseerde) = if t.municipality_header() {
        (&header.ontvanger, &header.afzender)
    } else {
        (&header.afzender, &header.ontvanger)
    };
    let own_identificatie = match &message.content {
        Content::AllocationRetour(r) => r.header.identificatie_retour.as_str(),
        Content::AnswerRetour(r) => r.header.identificatie_retour.as_str(),
        _ => header.bericht_identificatie.identificatie.as_str(),
    };
    let metadata = PushMetadata {
        routeringgegevens: Routeringgegevens {
            afzender: Relatie {
                rol: settings.afzender_rol.clone(),
                code: Some(afzender.clone()),
            },
            geadresseerden: vec![Relatie {
                rol: settings.geadresseerde_rol.clone(),
                code: Some(geadresseerde.clone()),
            }],
            berichtstroom: berichtstroom(kind, settings),
        },
        referentiegegevens: Referentiegegevens {
            conversatie_id: refs.conversatie_id,
            traceer_id: refs.traceer_id,
            als_antwoord_op: refs.als_antwoord_op,
            // Kind and the sender's own Identificatie (≤ 12 characters, made by ketenpoort,
            // no personal data): lets the status API tell our message from another.
            referentie_id: Some(referentie_id(kind, own_identificatie)),
        },
        verwerkingscontext: None,
    };
    Ok(Envelope {
        kind,
        afzender: afzender.clone(),
        geadresseerde: geadresseerde.clone(),
        metadata,
    })
}

/// The referentieId ketenpoort sets: `JW315:KP000001`.
pub fn referentie_id(kind: MessageKind, identificatie: &str) -> String {
    format!("{kind}:{identificatie}")
}

#[cfg(test)]
mod tests;
