//! One collection round: list the ready messages, and for each one download it, verify its
//! SHA-256, read it, hand it to the caller's store, and — only once that returned `Ok`,
//! which it may do only after the record is durable — confirm its receipt (DELETE).
//!
//! - Nothing is dropped. A payload that is not a readable 3.2 message, or does not fit its
//!   envelope (another kind, another addressee, a kind providers send), goes to the store
//!   as [`Content::Quarantined`] with the reason, is stored like any other, and is then
//!   acknowledged: an operator looks at it, VECOZO does not send it again.
//! - What fails before or while storing (download, checksum, the store itself) is not
//!   acknowledged, so VECOZO lists it again in the next round.
//! - VECOZO redelivers until it has the confirmation, and a crash between storing and
//!   confirming makes the next round hand the same message over again: the store callback
//!   must be idempotent on the traceerId (it gets it, and decides: "already have it" is `Ok`).

use std::fmt::Display;
use std::future::Future;

use ketenpoort_messages::{Message, MessageKind, ReadLimits};
use uuid::Uuid;

use super::client::{Acknowledgement, PullApi};
use super::envelope::sent_by_provider;
use super::error::Error;
use super::wire::PullMetadata;

/// What a downloaded payload turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A schema-valid iJw/iWmo 3.2 message that fits its envelope.
    Message(Box<Message>),
    /// Anything else, kept for an operator.
    Quarantined {
        /// Why, in words without message content (safe to log and show).
        reason: String,
    },
}

/// A downloaded, verified message for the store callback.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The listing entry: routing, identifiers, reception time, checksum.
    pub metadata: PullMetadata,
    /// The payload bytes exactly as downloaded (SHA-256 verified).
    pub payload: Vec<u8>,
    /// What the payload is.
    pub content: Content,
}

impl Incoming {
    /// The traceerId: the key the store is idempotent on.
    pub fn traceer_id(&self) -> Uuid {
        self.metadata.traceer_id()
    }
}

/// Where handling a listed message stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Download or verification (checksum, size, 404).
    Download,
    /// The store callback returned an error.
    Store,
    /// Stored, but the confirmation failed: it comes back and the store sees it again.
    Acknowledge,
}

/// A listed message that was not acknowledged in this round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The message.
    pub traceer_id: Uuid,
    /// Where it stopped.
    pub stage: Stage,
    /// Why (no message content).
    pub error: String,
}

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Messages listed.
    pub listed: usize,
    /// Stored and confirmed (including confirmations VECOZO answered with 404: already gone).
    pub acknowledged: Vec<Uuid>,
    /// Of those, the ones stored as quarantined.
    pub quarantined: Vec<Uuid>,
    /// Not confirmed: they come back in a later round.
    pub failed: Vec<Failure>,
    /// The listing was full (`listed == limit`): more may be waiting.
    pub more: bool,
}

/// Reads a payload and checks it against its envelope.
pub fn classify(metadata: &PullMetadata, payload: &[u8]) -> Content {
    let message = match ketenpoort_messages::read(payload, ReadLimits::default()) {
        Ok(m) => m,
        Err(e) => {
            return Content::Quarantined {
                reason: format!("not a valid iJw/iWmo 3.2 message: {e}"),
            };
        }
    };
    match mismatch(metadata, &message) {
        Some(reason) => Content::Quarantined { reason },
        None => Content::Message(Box::new(message)),
    }
}

fn mismatch(metadata: &PullMetadata, message: &Message) -> Option<String> {
    let kind: MessageKind = message.kind();
    if sent_by_provider(kind.message_type) {
        return Some(format!(
            "{kind} is a message providers send, not one they receive"
        ));
    }
    if let Some(subtype) = &metadata.routeringgegevens.berichtstroom.berichtsubtype
        && !subtype.eq_ignore_ascii_case(&kind.code())
    {
        let shown: String = subtype.chars().take(20).collect();
        return Some(format!("the envelope says {shown}, the payload is {kind}"));
    }
    let header = message.content.header();
    // 301/319/325 carry the municipality's header (provider = Ontvanger); the retours
    // 306/308/316/318 copy the provider's heen header (provider = Afzender).
    let provider = if kind.message_type.municipality_header() {
        &header.ontvanger
    } else {
        &header.afzender
    };
    let addressees = &metadata.routeringgegevens.geadresseerden;
    if !addressees.is_empty()
        && !addressees
            .iter()
            .any(|g| g.code.as_deref() == Some(provider.as_str()))
    {
        return Some(format!(
            "the payload's provider differs from the envelope's geadresseerden ({kind})"
        ));
    }
    None
}

/// One round: up to `limit` (1–250) messages. `store` is called once per verified message
/// and must return only after the record is durably stored (`Ok`), or fail (`Err`: the
/// message is not acknowledged and comes back).
pub async fn collect_round<C, F, Fut, E>(
    client: &C,
    limit: u16,
    mut store: F,
) -> Result<RoundReport, Error>
where
    C: PullApi,
    F: FnMut(Incoming) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let listing = client.list(limit).await?;
    let mut report = RoundReport {
        listed: listing.len(),
        more: listing.len() >= usize::from(limit),
        ..RoundReport::default()
    };
    for metadata in listing {
        let traceer_id = metadata.traceer_id();
        let payload = match client.download(&metadata).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(%traceer_id, error = %e, "VECOZO payload not downloaded; it stays listed");
                report.failed.push(Failure {
                    traceer_id,
                    stage: Stage::Download,
                    error: e.to_string(),
                });
                continue;
            }
        };
        let content = classify(&metadata, &payload);
        let quarantined = matches!(content, Content::Quarantined { .. });
        if let Content::Quarantined { reason } = &content {
            tracing::warn!(%traceer_id, %reason, "VECOZO message quarantined");
        }
        let incoming = Incoming {
            metadata,
            payload,
            content,
        };
        if let Err(e) = store(incoming).await {
            tracing::warn!(%traceer_id, error = %e, "VECOZO message not stored; not acknowledged");
            report.failed.push(Failure {
                traceer_id,
                stage: Stage::Store,
                error: e.to_string(),
            });
            continue;
        }
        match client.acknowledge(traceer_id).await {
            Ok(ack) => {
                if ack == Acknowledgement::NotFound {
                    tracing::info!(%traceer_id, "VECOZO no longer lists the message (404 on confirm)");
                }
                report.acknowledged.push(traceer_id);
                if quarantined {
                    report.quarantined.push(traceer_id);
                }
            }
            Err(e) => {
                tracing::warn!(%traceer_id, error = %e, "stored, but the receipt was not confirmed; it comes back");
                report.failed.push(Failure {
                    traceer_id,
                    stage: Stage::Acknowledge,
                    error: e.to_string(),
                });
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
