//! The delivery step: one push of an outbox message, turned into a decision the worker
//! records — [`Delivery::Delivered`], [`Delivery::Rejected`], [`Delivery::RetryAt`],
//! [`Delivery::Conflict`] or [`Delivery::Unsendable`].
//!
//! The worker persists the message's traceerId and conversatieId when it is queued and
//! increments its attempt counter durably *before* each push (so that after a crash a push
//! that may have reached VECOZO counts). Then [`deliver`]:
//!
//! 1. builds the envelope from the XML header ([`envelope::build`]); a payload that cannot
//!    be enveloped is [`Delivery::Unsendable`] — a bug, never retried;
//! 2. pushes; 204 → delivered; 400/422 → rejected with VECOZO's meldingen;
//!    no answer / 408 / 429 / 5xx → retry at `now + backoff(attempt)` (or `Retry-After`);
//! 3. on BRS114 ("TraceerID is niet uniek") asks the status API for the traceerId: if the
//!    message there is ours (same conversatieId, alsAntwoordOp, referentieId and
//!    berichtsubtype), an earlier push landed and the message is delivered; if another
//!    message holds the traceerId it is a conflict; if the status API does not (yet) show it,
//!    or cannot be reached, retry later.
//!
//! BRS114 is resolved on every attempt, not only after a retry: the attempt counter is the
//! worker's bookkeeping, and a push whose answer was lost may precede a crash that the
//! counter does not show. The status check is cheap and makes the outcome independent of it.
//!
//! The decision functions [`after_push`] and [`resolve_brs114`] are pure; [`deliver`] only
//! adds the two calls.

use chrono::{DateTime, TimeDelta, Utc};

use super::client::{PushApi, PushOutcome, StatusQuery, Transient};
use super::envelope::{self, Envelope, EnvelopeSettings, References};
use super::error::Error;
use super::retry::{Backoff, Jitter};
use super::wire::{Berichtstatus, BerichtstatusGegevens, Melding, PushMetadata};

/// The VECOZO code for a traceerId used before by the same AGB code.
pub const BRS114: &str = "BRS114";

/// One outbox message as the delivery step needs it.
#[derive(Debug, Clone, Copy)]
pub struct OutboxItem<'a> {
    /// The XML, exactly as stored.
    pub payload: &'a [u8],
    /// The persisted identifiers.
    pub refs: References,
    /// How many pushes were made before this one (0 for the first).
    pub attempt: u32,
}

/// How a delivery was confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// VECOZO answered 204 to this push.
    Accepted,
    /// VECOZO answered BRS114 and its status API shows our message (in this state): an
    /// earlier push of it landed.
    StatusApi(Berichtstatus),
}

/// What the worker records after a delivery step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// VECOZO has the message.
    Delivered(Confirmation),
    /// VECOZO refused the message for good (400/422): show the meldingen, do not retry.
    Rejected {
        /// The HTTP status.
        status: u16,
        /// VECOZO's meldingen (BRS codes, or invalid fields for 400).
        meldingen: Vec<Melding>,
    },
    /// Try again at `at` with attempt number `attempt`.
    RetryAt {
        /// When.
        at: DateTime<Utc>,
        /// The attempt number of the next push (persist it before pushing).
        attempt: u32,
        /// Why, for logs and the admin view (no message content).
        reason: String,
    },
    /// BRS114: the traceerId belongs to another message at VECOZO. Never retried with it.
    Conflict {
        /// What the status API showed, in words.
        reason: String,
        /// The meldingen of the refusal.
        meldingen: Vec<Melding>,
    },
    /// The stored XML cannot be put in an envelope (a bug upstream); never retried.
    Unsendable(String),
}

/// The decision after a push, before any status check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterPush {
    /// Final or retry: record it.
    Decided(Delivery),
    /// BRS114: ask the status API, then [`resolve_brs114`].
    ResolveBrs114 {
        /// The meldingen of the refusal.
        meldingen: Vec<Melding>,
    },
}

/// Maps a push outcome to a decision (pure).
pub fn after_push(
    outcome: PushOutcome,
    attempt: u32,
    backoff: &Backoff,
    rng: &mut dyn Jitter,
    now: DateTime<Utc>,
) -> AfterPush {
    match outcome {
        PushOutcome::Accepted => AfterPush::Decided(Delivery::Delivered(Confirmation::Accepted)),
        PushOutcome::Rejected { meldingen, .. } if meldingen.iter().any(|m| m.code == BRS114) => {
            AfterPush::ResolveBrs114 { meldingen }
        }
        PushOutcome::Rejected { status, meldingen } => {
            AfterPush::Decided(Delivery::Rejected { status, meldingen })
        }
        PushOutcome::Transient(t) => {
            let hint = match &t {
                Transient::Status { retry_after, .. } => *retry_after,
                Transient::Transport(_) => None,
            };
            AfterPush::Decided(retry(attempt, hint, t.to_string(), backoff, rng, now))
        }
    }
}

/// Decides a BRS114 from what the status API said about our traceerId (pure).
pub fn resolve_brs114(
    ours: &PushMetadata,
    statuses: Result<Vec<BerichtstatusGegevens>, Error>,
    meldingen: Vec<Melding>,
    attempt: u32,
    backoff: &Backoff,
    rng: &mut dyn Jitter,
    now: DateTime<Utc>,
) -> Delivery {
    let traceer_id = ours.referentiegegevens.traceer_id;
    let statuses = match statuses {
        Ok(s) => s,
        Err(e) => {
            let reason = format!("BRS114; the status API could not be asked: {e}");
            return retry(attempt, None, reason, backoff, rng, now);
        }
    };
    // A traceerId query also lists the messages answering it: keep the one that has it.
    let same_id: Vec<&BerichtstatusGegevens> = statuses
        .iter()
        .filter(|s| s.referentiegegevens.traceer_id == traceer_id)
        .collect();
    if let Some(mine) = same_id.iter().find(|s| is_ours(s, ours)) {
        return Delivery::Delivered(Confirmation::StatusApi(mine.berichtstatus));
    }
    if same_id.is_empty() {
        let reason = "BRS114, but the status API does not show the traceerId (yet)".to_owned();
        return retry(attempt, None, reason, backoff, rng, now);
    }
    Delivery::Conflict {
        reason: format!(
            "traceerId {traceer_id} is held by another message at VECOZO (other conversatieId, \
             referentieId or berichtstroom)"
        ),
        meldingen,
    }
}

/// Whether a status entry describes the message we pushed with `ours`.
pub fn is_ours(entry: &BerichtstatusGegevens, ours: &PushMetadata) -> bool {
    let a = &entry.referentiegegevens;
    let b = &ours.referentiegegevens;
    let stroom = &ours.routeringgegevens.berichtstroom;
    a.traceer_id == b.traceer_id
        && a.conversatie_id == b.conversatie_id
        && a.als_antwoord_op == b.als_antwoord_op
        // VECOZO may leave out what it does not echo; what it does show must match.
        && a.referentie_id.as_ref().is_none_or(|r| Some(r) == b.referentie_id.as_ref())
        && entry
            .berichtstroom
            .berichtsubtype
            .as_ref()
            .is_none_or(|s| Some(s) == stroom.berichtsubtype.as_ref())
        && entry.berichtstroom.berichttype == stroom.berichttype
}

fn retry(
    attempt: u32,
    hint: Option<std::time::Duration>,
    reason: String,
    backoff: &Backoff,
    rng: &mut dyn Jitter,
    now: DateTime<Utc>,
) -> Delivery {
    let wait = backoff.delay_with_hint(attempt, hint, rng);
    let at = TimeDelta::from_std(wait)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    Delivery::RetryAt {
        at,
        attempt: attempt.saturating_add(1),
        reason,
    }
}

/// Builds the envelope of `item` (exposed so the worker can log the kind and AGB code, and
/// pick the certificate, before pushing).
pub fn prepare(item: &OutboxItem<'_>, settings: &EnvelopeSettings) -> Result<Envelope, Error> {
    envelope::build(item.payload, &item.refs, settings)
}

/// One delivery step: envelope, push, and on BRS114 the status check.
pub async fn deliver<C: PushApi>(
    client: &C,
    item: &OutboxItem<'_>,
    settings: &EnvelopeSettings,
    backoff: &Backoff,
    rng: &mut (dyn Jitter + Send),
    now: DateTime<Utc>,
) -> Delivery {
    let envelope = match prepare(item, settings) {
        Ok(e) => e,
        Err(e) => return Delivery::Unsendable(e.to_string()),
    };
    let outcome = client.push(&envelope.metadata, item.payload.to_vec()).await;
    match after_push(outcome, item.attempt, backoff, rng, now) {
        AfterPush::Decided(d) => d,
        AfterPush::ResolveBrs114 { meldingen } => {
            let traceer_id = envelope.metadata.referentiegegevens.traceer_id;
            let statuses = client.statuses(StatusQuery::TraceerId(traceer_id)).await;
            resolve_brs114(
                &envelope.metadata,
                statuses,
                meldingen,
                item.attempt,
                backoff,
                rng,
                now,
            )
        }
    }
}

#[cfg(test)]
mod tests;
