//! The durable store behind a narrow trait: messages and their XML, the request_id index,
//! the event log with cursors, acknowledgements, counters and DeclaratieNummers.
//!
//! Writes go through [`Store::commit`]: the store applies each [`Write`] atomically and
//! answers only after the write is flushed to disk. Concurrent writes are flushed together
//! (group commit), so many submits share one flush. Reads see the latest applied state.
//!
//! [`sled_store::SledStore`] is the embedded implementation; see [`crate::manual`] (Durability)
//! for what its flush does and does not guarantee. The trait is what a multi-node engine
//! (PostgreSQL, NATS JetStream) would implement instead.
//!
//! What a second backend must provide beyond the trait's methods: the message history
//! ([`Store::history`]) as the indexes of [`index`] — point reads and ordered prefix scans
//! of its keys over what is committed ([`index::Kv`]), and the writes that
//! [`index::Changes::record`] makes for each stored message applied in the same
//! transaction as that message, with the cross-message check of a submit
//! ([`SubmitWrite::cross_message_rules`]) made over the committed keys plus those of the
//! submits committed with it, so that of two conflicting submits only the first is stored.
//! Opening must not read the messages back: the history's memory is its cache.
//!
//! And for retention ([`retention`], `ketenpoort prune`; today `sled_store::prune`): a way to
//! find the conversations whose XML may be purged — the messages sent and received, joined
//! by the events that correlate them and by the retours queued on received messages, with
//! the open work that holds them back (queued, followed, expected answers, the provider's
//! duties) — and to purge each conversation in one atomic, durable write: its sent XML
//! removed, its received XML and quarantined payloads emptied or removed, its events
//! stripped of XML and Bsn, and its message records kept with `purged_at_ms`
//! ([`MessageMeta::purged_at_ms`]), never one without the other. The history indexes, the
//! DeclaratieNummers and the request_ids are not touched, so the cross-message rules and
//! idempotency answer as before. Reads of a purged message answer its record with no XML
//! ([`Store::message_xml`] `None`), never an error.

pub mod access_log;
pub mod duties;
pub mod engine;
pub mod expectations;
pub mod history;
pub mod index;
pub mod open;
pub mod postgres;
pub mod received;
pub mod retention;
pub mod sled_store;
pub mod stored_xml;
pub mod write_guard;

use std::sync::Arc;

use ketenpoort_messages::{Message, Violation};
use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, watch};

use crate::error::Error;

/// Where a message is in its life (mirrors `ketenpoort.v1.MessageState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageState {
    /// Accepted and durably queued; not yet with VECOZO.
    Queued,
    /// VECOZO (or the loopback stand-in) accepted it.
    Delivered,
    /// VECOZO refused it; see the meldingen.
    RejectedByVecozo,
    /// The municipality answered.
    Answered,
    /// An expected answer did not come in time.
    DeadlineMissed,
}

/// A VECOZO notice (melding) on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Melding {
    /// Code, e.g. `BRS13`.
    pub code: String,
    /// Description.
    pub description: String,
}

/// What the store keeps about a message besides its XML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageMeta {
    /// ketenpoort's message id, increasing in acceptance order.
    pub id: u64,
    /// The kind, e.g. `JW315`.
    pub kind: String,
    /// Afzender AGB code.
    pub agb: String,
    /// Ontvanger CBS gemeentecode.
    pub municipality: String,
    /// Header Identificatie.
    pub identificatie: String,
    /// DeclaratieNummer of a 323.
    pub declaration_number: Option<String>,
    /// The tenant that submitted it.
    pub tenant: String,
    /// The client's request_id.
    pub request_id: String,
    /// When it was accepted, milliseconds since the Unix epoch.
    pub accepted_at_ms: i64,
    /// Its state.
    pub state: MessageState,
    /// VECOZO meldingen, when rejected.
    pub meldingen: Vec<Melding>,
    /// Cursors of the events about it.
    pub event_cursors: Vec<u64>,
    /// When `ketenpoort prune` purged its XML under `[store.retention]` (milliseconds since
    /// the Unix epoch); `None` while the XML is kept. The rest of this record stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purged_at_ms: Option<i64>,
}

/// A message to store, as built by a submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The message as sent (its XML is `xml`), for the cross-message rules and the history.
    pub message: Arc<Message>,
    /// The kind, e.g. `JW323`.
    pub kind: String,
    /// Afzender AGB code.
    pub agb: String,
    /// Ontvanger CBS gemeentecode.
    pub municipality: String,
    /// Header Identificatie.
    pub identificatie: String,
    /// DeclaratieNummer of a 323 (checked unique per AGB code, TR333).
    pub declaration_number: Option<String>,
    /// The XML to send.
    pub xml: String,
    /// `xml` as the store keeps it ([`stored_xml::encode`]), made by the caller on a request
    /// thread, so that the store's single writer thread need not; empty: the writer makes it
    /// (see [`NewMessage::stored_xml`]).
    pub compressed_xml: Vec<u8>,
}

impl NewMessage {
    /// The XML as the store keeps it: `compressed_xml`, or made now when that is empty.
    pub fn stored_xml(&self) -> std::borrow::Cow<'_, [u8]> {
        if self.compressed_xml.is_empty() {
            std::borrow::Cow::Owned(stored_xml::encode(&self.xml))
        } else {
            std::borrow::Cow::Borrowed(&self.compressed_xml)
        }
    }
}

/// One accepted submit: all its messages (several for a split claim), stored atomically
/// with its request_id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitWrite {
    /// The tenant.
    pub tenant: String,
    /// The client's idempotency key.
    pub request_id: String,
    /// SHA-256 of the request's content, to tell a retry from a conflicting reuse.
    pub content_hash: String,
    /// Acceptance time, milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The messages, in order.
    pub messages: Vec<NewMessage>,
    /// Counters reserved for these messages ([`Store::reserve`]) and their values, so that
    /// they are durable together with the messages that use them.
    pub counters: Vec<(String, u64)>,
    /// Check the messages against the history (cross-message rules) before storing them.
    pub cross_message_rules: bool,
}

/// What the outbox worker persists about a message before pushing it: the identifiers it
/// minted once (reused on every retry, also after a restart) and how many pushes it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    /// The traceerId of every push of the message.
    pub traceer_id: uuid::Uuid,
    /// Its conversatieId.
    pub conversatie_id: uuid::Uuid,
    /// Pushes begun (including the one about to be made after [`Write::Attempt`]).
    pub attempts: u32,
    /// For a retour ketenpoort queued itself (302, 320): the traceerId of the received
    /// message it answers, sent as alsAntwoordOp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub als_antwoord_op: Option<uuid::Uuid>,
}

/// A delivered message whose final VECOZO status (ketencontrole verdict, delivery to the
/// addressee) the status follower still waits for. Written together with
/// [`Write::Delivered`] for a message that was pushed (it has an [`OutboxRecord`]), removed
/// by [`Write::Rejected`], [`Write::Settled`] or [`Write::Unfollow`]; so a restart continues
/// where it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowRecord {
    /// The traceerId to ask the status API for.
    pub traceer_id: uuid::Uuid,
    /// The afzender AGB code: picks the certificate (and so the rate-limit budget).
    pub agb: String,
    /// When the push was accepted, milliseconds since the Unix epoch.
    pub since_ms: i64,
}

/// What the request_id index holds for an accepted submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// SHA-256 of the request's content.
    pub content_hash: String,
    /// The message ids it created.
    pub message_ids: Vec<u64>,
}

/// What happened, in an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventBody {
    /// The message moved to another state.
    Delivery {
        /// The new state.
        state: MessageState,
        /// VECOZO's meldingen, if any.
        meldingen: Vec<Melding>,
        /// VECOZO's berichtstatus behind the change, when the status API reported it (e.g.
        /// `Bezorgd`, `AfgekeurdDoorDienst`); `None` for the push's own answer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vecozo_status: Option<String>,
    },
    /// A retour (302/306/308/316/318/320) arrived.
    Retour {
        /// No retourcode other than 0200 (accepted).
        accepted: bool,
        /// Every retourcode with the path of the part it judges.
        codes: Vec<received::RetourCodeAt>,
    },
    /// A 301 allocation (toewijzing) arrived.
    Allocation {
        /// The client's Bsn (for the provider's software; never logged).
        bsn: String,
        /// The allocated products.
        products: Vec<received::AllocatedProduct>,
    },
    /// A 319 answer (antwoordbericht) arrived.
    Answer {
        /// ReferentieAanbieder of the request answered.
        provider_reference: String,
        /// VerzoekAntwoord code.
        answer: String,
        /// RedenAfwijzingVerzoek code (empty when absent).
        refusal_reason: String,
    },
    /// A 325 declaration answer (declaratie-antwoord) arrived.
    DeclarationAnswer {
        /// DeclaratieNummer (empty when the claim was rejected as a whole).
        declaration_number: String,
        /// TotaalIngediendBedrag in eurocent, negative for credit.
        total_claimed_cents: i64,
        /// TotaalToegekendBedrag in eurocent, negative for credit.
        total_granted_cents: i64,
        /// Retourcodes of the header and the DeclaratieAntwoord.
        codes: Vec<String>,
        /// The lines the municipality lists (rejected or changed), with their codes.
        rejected_lines: Vec<received::LineVerdict>,
    },
    /// An answer the message was owed did not arrive by its due date
    /// ([`expectations`]).
    DeadlineMissed {
        /// The kinds that would have satisfied it, e.g. `JW301/JW319`.
        expected_kind: String,
        /// The last day it was due (YYYY-MM-DD).
        due_date: String,
    },
    /// A duty of the provider itself was not met in time ([`duties`]): a 302/320 it answers
    /// by hand (OP090), a 305/307 submitted after its term (OP271, OP272), or a 307 that did
    /// not follow the end of an allocation (OP272). Streamed as a DeadlineMissed like the
    /// municipality's, with the rule.
    DutyMissed {
        /// What was owed, e.g. `JW302` or `WMO307`.
        expected_kind: String,
        /// The last day it was due (YYYY-MM-DD).
        due_date: String,
        /// The rule of the term: `OP090`, `OP271` or `OP272`.
        rule: String,
        /// For a retour: the cursor of the event of the 301/319 it answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answers_cursor: Option<u64>,
    },
    /// A payload arrived that ketenpoort could not read or place; kept for an operator.
    Quarantined {
        /// Why, without message content.
        reason: String,
    },
}

/// One entry of the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Position in the log; increases by one per event, across restarts.
    pub cursor: u64,
    /// The AGB code the event is for (tenants see only their own).
    pub agb: String,
    /// When it happened, milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The message it is about.
    pub message_id: Option<u64>,
    /// Kind of the message that arrived (empty for status events).
    pub kind: String,
    /// The XML that arrived, when the event is a message.
    pub raw_xml: Option<String>,
    /// VECOZO's traceerId of the message that arrived (collected messages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceer_id: Option<uuid::Uuid>,
    /// What happened.
    pub body: EventBody,
}

/// A write for [`Store::commit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Store an accepted submit (unless its request_id is known, or a DeclaratieNummer is
    /// used).
    Submit(SubmitWrite),
    /// Move the tenant's acknowledged cursor forward (never back).
    Ack {
        /// The tenant.
        tenant: String,
        /// Every event up to and including this one is acknowledged.
        cursor: u64,
    },
    /// A queued message was delivered; logs a [`EventBody::Delivery`] event. A message that
    /// was pushed (it has an [`OutboxRecord`]) is also followed: a [`FollowRecord`] is
    /// written in the same batch, for the status follower.
    Delivered {
        /// The message.
        message_id: u64,
        /// When, milliseconds since the Unix epoch.
        at_ms: i64,
    },
    /// The outbox worker is about to push a queued message: keep `traceer_id` and
    /// `conversatie_id` if the message has none yet (the first attempt), else keep the
    /// persisted ones; count the attempt. Answers [`Outcome::Attempt`] with what is stored.
    Attempt {
        /// The message.
        message_id: u64,
        /// A fresh traceerId, used only if none is persisted.
        traceer_id: uuid::Uuid,
        /// A fresh conversatieId, used only if none is persisted.
        conversatie_id: uuid::Uuid,
    },
    /// VECOZO refused a queued message for good (push answered 400/422), or a delivered one
    /// that is followed (the ketencontrole refused it: AfgekeurdDoorDienst): state
    /// REJECTED_BY_VECOZO with the meldingen, a [`EventBody::Delivery`] event, and it is no
    /// longer followed. Answers [`Outcome::Delivered`] (false: neither queued nor followed).
    Rejected {
        /// The message.
        message_id: u64,
        /// When, milliseconds since the Unix epoch.
        at_ms: i64,
        /// VECOZO's meldingen.
        meldingen: Vec<Melding>,
        /// The berichtstatus reported by the status API, when the refusal came from there.
        vecozo_status: Option<String>,
    },
    /// The status API reports a followed message final and fine (`Bezorgd`: the addressee
    /// fetched it): a [`EventBody::Delivery`] event (state unchanged, DELIVERED unless the
    /// answer came first) with the berichtstatus, and it is no longer followed. Answers
    /// [`Outcome::Delivered`] (false: not followed, nothing written).
    Settled {
        /// The message.
        message_id: u64,
        /// When, milliseconds since the Unix epoch.
        at_ms: i64,
        /// The berichtstatus, e.g. `Bezorgd`.
        vecozo_status: String,
    },
    /// Stop following a message without an event: VECOZO reported no final state within
    /// `vecozo.status_follow_max_hours`. Answers [`Outcome::Delivered`] (false: it was not
    /// followed).
    Unfollow {
        /// The message.
        message_id: u64,
    },
    /// A message received outside the collection loop (seeding, import; a 301, 319, 325 or
    /// a retour): stored and recorded in the history ([`history::record_received`] builds
    /// it), without an event, correlation or traceerId. Collected messages use
    /// [`Write::Incoming`].
    Received {
        /// The message's XML as received.
        xml: String,
        /// The message read from `xml`.
        message: Arc<Message>,
    },
    /// A message collected from VECOZO: stored as received, with its event, unless its
    /// traceerId is known (then nothing is written: [`Outcome::AlreadyReceived`]).
    Incoming(Box<IncomingWrite>),
    /// Takes or renews the collection lease `name` for `holder` until `until_ms`, unless
    /// another holder of this store session holds it unexpired. Answers [`Outcome::Lease`]
    /// with the holding's fencing token ([`LeaseOutcome::Granted`]).
    Lease {
        /// What is leased, e.g. the certificate label of a puller.
        name: String,
        /// Who asks.
        holder: uuid::Uuid,
        /// Now, milliseconds since the Unix epoch.
        now_ms: i64,
        /// Until when.
        until_ms: i64,
    },
    /// Gives lease `name` up if `holder` holds it (its token is kept, so the next holder's is
    /// higher). Answers [`Outcome::Lease`] with [`LeaseOutcome::Released`].
    ReleaseLease {
        /// What is leased.
        name: String,
        /// Who gives it up.
        holder: uuid::Uuid,
    },
    /// Puts a message VECOZO refused back into the queue (a resend): state QUEUED, its
    /// meldingen cleared, its push identifiers dropped so that the worker mints a new
    /// traceerId, and a [`EventBody::Delivery`] event. Answers [`Outcome::Requeued`]; a
    /// message whose XML was purged ([`MessageMeta::purged_at_ms`]) is not queued again.
    Requeue {
        /// The message.
        message_id: u64,
        /// When, milliseconds since the Unix epoch.
        at_ms: i64,
    },
    /// Reports every open expectation ([`expectations`]) whose due date is before `today`
    /// as missed: one [`EventBody::DeadlineMissed`] event each, the expectation removed (so
    /// never reported twice), and the message's state DEADLINE_MISSED unless an answer
    /// arrived (ANSWERED stays). Answers [`Outcome::DeadlinesMissed`].
    CheckDeadlines {
        /// Today (the gateway's clock).
        today: chrono::NaiveDate,
        /// Now, milliseconds since the Unix epoch, for the events.
        at_ms: i64,
    },
    /// Reports the provider's own duties ([`duties`]) that are overdue: every late 305/307
    /// ([`duties::LateSubmit`], removed), every open retour duty due before `today` and every
    /// awaited 307 whose allocation ended more than its term before `today` (both kept,
    /// marked reported): one [`EventBody::DutyMissed`] event each, once. Answers
    /// [`Outcome::DutiesMissed`].
    CheckDuties {
        /// Today (the gateway's clock).
        today: chrono::NaiveDate,
        /// Now, milliseconds since the Unix epoch, for the events.
        at_ms: i64,
    },
    /// Queues the 302/320 a tenant sends on a received 301/319 (`SubmitRetour`), unless its
    /// request_id is known ([`Outcome::Duplicate`]) or the 301/319 is owed no retour any more
    /// ([`Outcome::RetourNotOwed`]): the retour, its request_id and the end of the duty are
    /// one batch, so the 301/319 is answered once, whatever runs concurrently or restarts.
    /// Answers [`Outcome::Stored`] with the retour's id.
    Retour(Box<RetourWrite>),
    /// Writes nothing; resolves once every write queued before it is flushed. A reader that
    /// found a record another request has not yet heard OK for (a retry racing its original)
    /// waits on this before answering from that record.
    Barrier,
    /// Adds an entry to the access log ([`access_log`]; NEN 7513), under the next sequence.
    /// Answers [`Outcome::AccessLogged`] once it is flushed.
    AccessLog(Box<access_log::AccessEntry>),
}

/// The terms still open, as [`Store::open_terms`] reads them (the operator console's
/// Termijnen page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenTerms {
    /// Answers the municipality still owes (`w/`).
    pub expectations: Vec<expectations::Expectation>,
    /// Retours (302/320) the provider sends by hand and has not sent yet (`v/r/`).
    pub retours: Vec<duties::RetourDuty>,
    /// 307s awaited after a 305 (`v/s/`), with their due date once the allocation has an
    /// Einddatum (OP272), read from the history as the deadline check reads it.
    pub stops: Vec<(duties::StopWatch, Option<chrono::NaiveDate>)>,
}

/// What a collected payload is, for [`Write::Incoming`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingContent {
    /// A readable message that fits its envelope.
    Message(Arc<Message>),
    /// Anything else.
    Quarantined {
        /// Why, without message content.
        reason: String,
    },
}

/// A message collected from VECOZO, for [`Write::Incoming`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingWrite {
    /// VECOZO's traceerId: the store is idempotent on it.
    pub traceer_id: uuid::Uuid,
    /// The envelope's alsAntwoordOp: the traceerId of the message it answers, if given.
    pub als_antwoord_op: Option<uuid::Uuid>,
    /// When it was collected, milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The AGB code a quarantined payload's event is for (the envelope's addressee, else the
    /// puller's); a readable message's event is for the provider its header names.
    pub addressee: String,
    /// The payload exactly as downloaded.
    pub payload: Vec<u8>,
    /// What it is.
    pub content: IncomingContent,
    /// The retour (302, 320) to queue on it, stored in the same batch (see [`crate::retour`]);
    /// dropped with the rest when the traceerId is known or the payload is quarantined.
    pub retour: Option<QueuedRetour>,
    /// No retour is queued on it but the provider owes one (manual answering, or an automatic
    /// retour that could not be built): the duty is recorded with it ([`duties::RetourDuty`]).
    pub owed: Option<OwedRetour>,
    /// The collection lease it was collected under: the store writes nothing unless that
    /// lease is still held with this token ([`Outcome::Fenced`]). `None`: not checked.
    pub fence: Option<Fence>,
}

/// A lease a write is made under ([`IncomingWrite::fence`]): the store applies the write only
/// while lease `name` is held unexpired with fencing token `token`, so that a holder that
/// lost its lease (a long pause, another holder since) cannot write as if it held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The lease, e.g. the certificate label of a puller.
    pub name: String,
    /// The token [`LeaseOutcome::Granted`] answered.
    pub token: u64,
    /// Now, milliseconds since the Unix epoch: the lease must expire after it.
    pub now_ms: i64,
}

/// The retour a collected 301/319 is owed and the provider sends itself
/// ([`IncomingWrite::owed`]); the store dates the duty from the collection time (OP090).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwedRetour {
    /// The conversatieId of the 301/319, which the retour must carry.
    pub conversatie_id: uuid::Uuid,
}

/// A retour a tenant sends on a received 301/319, for [`Write::Retour`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetourWrite {
    /// The tenant.
    pub tenant: String,
    /// The client's idempotency key.
    pub request_id: String,
    /// SHA-256 of the request's content.
    pub content_hash: String,
    /// Acceptance time, milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The traceerId of the 301/319 it answers.
    pub answers: uuid::Uuid,
    /// The retour (its traceerId minted once, its conversatieId the 301/319's).
    pub retour: QueuedRetour,
}

/// A retour on a collected message, queued with it ([`IncomingWrite::retour`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedRetour {
    /// The retour as it is queued (tenant empty: ketenpoort queued it, not a client).
    pub message: NewMessage,
    /// The Identificatie counter it uses ([`Store::reserve`]) and its value.
    pub counter: (String, u64),
    /// Its own traceerId, minted once.
    pub traceer_id: uuid::Uuid,
    /// The conversatieId of the message it answers.
    pub conversatie_id: uuid::Uuid,
}

/// The answer to a [`Write::Lease`] or [`Write::ReleaseLease`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    /// The asker holds the lease now, with this fencing token: the same while one holder
    /// renews it, one higher for every new holding (after another holder, an expiry, a
    /// release or a new store session). Tokens of one name are never handed out twice.
    Granted {
        /// The fencing token, for [`Fence`].
        token: u64,
    },
    /// A [`Write::ReleaseLease`] was applied: the asker does not hold the lease (any more).
    Released,
    /// Another holder has it until `until_ms`.
    Held {
        /// The holder.
        holder: uuid::Uuid,
        /// Its expiry, milliseconds since the Unix epoch.
        until_ms: i64,
    },
}

/// The result of a [`Write`], available once it is flushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The submit was stored with these message ids.
    Stored(Vec<u64>),
    /// The request_id was already used; nothing was written.
    Duplicate(IdempotencyRecord),
    /// A DeclaratieNummer was already used by this AGB code (TR333); nothing was written.
    DeclarationNumberUsed(String),
    /// A message of the submit breaks cross-message rules against the history as the writer
    /// found it (a concurrent submit got there first); nothing was written.
    CrossRules(Vec<Violation>),
    /// A received message was stored.
    Received,
    /// A collected message was stored with the event at `cursor`, correlated with the sent
    /// message `correlated` (`None`: no sent message found).
    Incoming {
        /// Its event.
        cursor: u64,
        /// The sent message it answers.
        correlated: Option<u64>,
        /// It was stored as quarantined.
        quarantined: bool,
        /// The id of the retour queued on it ([`IncomingWrite::retour`]).
        retour: Option<u64>,
    },
    /// The traceerId was stored before (a redelivery); nothing was written.
    AlreadyReceived,
    /// The write's [`Fence`] is not the current holding of its lease (taken over, expired,
    /// released); nothing was written.
    Fenced {
        /// The lease.
        name: String,
        /// The lease's current token, if any holding was ever granted.
        current: Option<u64>,
    },
    /// The answer to a lease write.
    Lease(LeaseOutcome),
    /// The acknowledged cursor after the write.
    Acked(u64),
    /// The message was marked delivered (false: it was not queued; nothing changed).
    Delivered(bool),
    /// After a [`Write::Requeue`]: `None` when there is no such message, else its state
    /// before the write (it was queued again only if that is REJECTED_BY_VECOZO).
    Requeued(Option<MessageState>),
    /// The outbox record after a [`Write::Attempt`] (`None`: the message is not queued).
    Attempt(Option<OutboxRecord>),
    /// The expectations a [`Write::CheckDeadlines`] reported missed.
    DeadlinesMissed(Vec<expectations::Missed>),
    /// A collected 325 for a 323 that already has its 325 (sent again under a new traceerId,
    /// IB019): kept as received, but no event and no history. Carries the 323's id.
    DuplicateAnswer(u64),
    /// A [`Write::Barrier`] passed: everything before it is flushed.
    Flushed,
    /// The duties a [`Write::CheckDuties`] reported missed.
    DutiesMissed(Vec<duties::DutyMissed>),
    /// A [`Write::AccessLog`] entry was stored under this sequence.
    AccessLogged(u64),
    /// A [`Write::Retour`] found no retour owed any more; nothing was written.
    RetourNotOwed {
        /// The retour already queued on the 301/319, if the store knows it.
        answered_by: Option<u64>,
    },
}

/// A pending [`Write`]: resolves once it is flushed.
#[derive(Debug)]
pub struct Commit(pub(crate) oneshot::Receiver<Result<Outcome, Error>>);

impl Commit {
    /// Waits until the write is flushed (or failed).
    pub async fn wait(self) -> Result<Outcome, Error> {
        self.0
            .await
            .map_err(|_| Error::Store("the store's writer stopped".into()))?
    }
}

/// The narrow interface the gateway needs from its store.
pub trait Store: Send + Sync + 'static {
    /// Queues a write for the next group commit; the returned [`Commit`] resolves after the
    /// flush that makes it durable.
    fn commit(&self, write: Write) -> Commit;
    /// The request_id index entry of a tenant, if any.
    fn idempotency(
        &self,
        tenant: &str,
        request_id: &str,
    ) -> Result<Option<IdempotencyRecord>, Error>;
    /// A message's metadata.
    fn message(&self, id: u64) -> Result<Option<MessageMeta>, Error>;
    /// A message's XML; `None` also once `ketenpoort prune` purged it (its record then has
    /// [`MessageMeta::purged_at_ms`]).
    fn message_xml(&self, id: u64) -> Result<Option<String>, Error>;
    /// Up to `limit` messages with an id below `before` (all when `None`) that pass
    /// `filter`, newest first.
    fn list_messages(
        &self,
        before: Option<u64>,
        limit: usize,
        filter: &dyn Fn(&MessageMeta) -> bool,
    ) -> Result<Vec<MessageMeta>, Error>;
    /// Up to `limit` durable events after cursor `after` that pass `filter`, in cursor order.
    /// Events applied but not yet flushed are left out: a client never sees (and acknowledges)
    /// a cursor that a crash could take back and hand out again.
    fn events_after(
        &self,
        after: u64,
        limit: usize,
        filter: &dyn Fn(&EventRecord) -> bool,
    ) -> Result<Vec<EventRecord>, Error>;
    /// Watches the cursor of the last durable event.
    fn watch_events(&self) -> watch::Receiver<u64>;
    /// The tenant's acknowledged cursor (0 when it never acknowledged).
    fn acked(&self, tenant: &str) -> Result<u64, Error>;
    /// The oldest queued message.
    fn next_queued(&self) -> Result<Option<MessageMeta>, Error>;
    /// Up to `limit` queued message ids after `after` (from the start when `None`), oldest
    /// first.
    fn queued_ids(&self, after: Option<u64>, limit: usize) -> Result<Vec<u64>, Error>;
    /// The outbox record of a message ([`Write::Attempt`]), if it was ever pushed.
    fn outbox(&self, id: u64) -> Result<Option<OutboxRecord>, Error>;
    /// Up to `limit` followed messages ([`FollowRecord`]) with an id after `after` (from the
    /// start when `None`), oldest first.
    fn followed(&self, after: Option<u64>, limit: usize)
    -> Result<Vec<(u64, FollowRecord)>, Error>;
    /// Watches a counter that changes whenever messages are queued.
    fn watch_queue(&self) -> watch::Receiver<u64>;
    /// The number of queued messages, from a counter: never a scan of the store.
    fn queue_depth(&self) -> Result<usize, Error>;
    /// Whether other gateway processes (replicas) share this store's database: work that
    /// must happen once (pushing the queue, collecting per certificate) is then done by the
    /// holder of a lease, and the others stand by.
    fn shared(&self) -> bool {
        false
    }
    /// `Ok` when the store takes writes now; else why not (for `/readyz`; no personal data).
    /// Answers at once, without reading the store.
    fn writable(&self) -> Result<(), String> {
        Ok(())
    }
    /// Reserves the next value of a durable counter (in memory until a [`SubmitWrite`]
    /// carrying it is flushed; a value whose submit never lands may be handed out again).
    fn reserve(&self, counter: &str) -> Result<u64, Error>;
    /// The value [`Store::reserve`] would hand out next, without reserving it.
    fn peek(&self, counter: &str) -> Result<u64, Error>;
    /// Whether `agb` already used DeclaratieNummer `number` (TR333).
    fn declaration_number_used(&self, agb: &str, number: &str) -> Result<bool, Error>;
    /// The history of the messages sent and received, for the cross-message rules: indexes
    /// in the store ([`index`]) read on demand through a bounded cache; see the module docs
    /// for what a backend provides for it.
    fn history(&self) -> &history::StoreHistory;
    /// What the store holds about the retour owed on the collected 301/319 `traceer_id`.
    fn retour_state(&self, traceer_id: uuid::Uuid) -> Result<duties::RetourState, Error>;
    /// Up to `limit` messages with an id after `after`, oldest first (for readers that follow
    /// the store, such as the operator console's index).
    fn messages_after(&self, after: u64, limit: usize) -> Result<Vec<MessageMeta>, Error>;
    /// The terms still open: expectations and the provider's open duties.
    fn open_terms(&self) -> Result<OpenTerms, Error>;
    /// Up to `limit` access-log entries with a sequence below `before` (all when `None`) that
    /// pass `filter`, newest first.
    fn access_log(
        &self,
        before: Option<u64>,
        limit: usize,
        filter: &dyn Fn(&access_log::AccessEntry) -> bool,
    ) -> Result<Vec<access_log::AccessEntry>, Error>;
}
