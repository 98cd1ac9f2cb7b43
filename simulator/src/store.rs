//! In-memory state: the accepted messages with their status history, the pull queues per
//! addressee (oldest first), the traceerId registry per AGB code (BRS114) and the
//! Identificatie registry per sender and message kind (BRS20).
//!
//! The store is a plain struct; [`crate::Simulator`] keeps it behind one mutex so that a
//! check and the registration it guards are atomic.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use ketenpoort_messages::MessageKind;
use uuid::Uuid;

use crate::keten::Verdict;
use crate::ontvangst::Seen;
use crate::wire::{Berichtstatus, Melding, PushMetadata};

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Record {
    /// Reception order.
    pub seq: u64,
    /// The envelope as pushed.
    pub metadata: PushMetadata,
    /// The payload as pushed.
    pub payload: Vec<u8>,
    /// SHA-256 of the payload, lowercase hex.
    pub checksum: String,
    /// Envelope afzender code.
    pub sender: String,
    /// Message kind, when the payload or the envelope named one.
    pub kind: Option<MessageKind>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Current state.
    pub status: Berichtstatus,
    /// When the state last changed.
    pub changed_at: DateTime<Utc>,
    /// Every state with the time it was entered, oldest first.
    pub history: Vec<(Berichtstatus, DateTime<Utc>)>,
    /// The ketencontrole's meldingen once AfgekeurdDoorDienst.
    pub meldingen: Vec<Melding>,
    /// The ketencontrole's verdict, revealed at the WordtVerwerkt → … transition.
    pub verdict: Verdict,
    /// When the next transition is due; `None` when it waits for someone (a DELETE) or is final.
    pub due: Option<DateTime<Utc>>,
    /// Addressees that have not confirmed receipt yet.
    pub unconfirmed: BTreeSet<String>,
    /// How often the message appeared in a listing.
    pub listed: u32,
    /// How often its payload was downloaded.
    pub downloaded: u32,
    /// How often its receipt was confirmed (DELETE).
    pub confirmed: u32,
}

impl Record {
    /// The traceerId.
    pub fn traceer_id(&self) -> Uuid {
        self.metadata.referentiegegevens.traceer_id
    }

    /// Enters `status` at `at`.
    pub fn enter(&mut self, status: Berichtstatus, at: DateTime<Utc>) {
        self.status = status;
        self.changed_at = at;
        self.history.push((status, at));
    }
}

/// A message ready for an addressee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// The record.
    pub seq: u64,
}

/// The state.
#[derive(Debug, Default)]
pub struct Store {
    records: BTreeMap<u64, Record>,
    next_seq: u64,
    traceer_ids: HashSet<(String, Uuid)>,
    identificaties: HashSet<(String, MessageKind, String)>,
    /// Ready messages per addressee code, in the order they were offered.
    queues: BTreeMap<String, Vec<u64>>,
    /// Messages for municipalities, for the municipality bot, in the order offered.
    ggk_inbox: Vec<u64>,
    /// Refusals (422) per traceerId: the codes, in order.
    refusals: BTreeMap<Uuid, Vec<&'static str>>,
}

impl Seen for Store {
    fn traceer_id_used(&self, afzender: &str, traceer_id: Uuid) -> bool {
        self.traceer_ids
            .contains(&(afzender.to_owned(), traceer_id))
    }
    fn identificatie_used(&self, sender: &str, kind: MessageKind, identificatie: &str) -> bool {
        self.identificaties
            .contains(&(sender.to_owned(), kind, identificatie.to_owned()))
    }
}

impl Store {
    /// Registers an accepted message (status Ontvangen, next transition due at `due`).
    #[allow(clippy::too_many_arguments)]
    pub fn accept(
        &mut self,
        metadata: PushMetadata,
        payload: Vec<u8>,
        checksum: String,
        kind: Option<MessageKind>,
        identificatie: Option<(String, String)>,
        verdict: Verdict,
        now: DateTime<Utc>,
        due: DateTime<Utc>,
    ) -> u64 {
        let sender = metadata
            .routeringgegevens
            .afzender
            .code
            .clone()
            .unwrap_or_default();
        self.traceer_ids
            .insert((sender.clone(), metadata.referentiegegevens.traceer_id));
        if let (Some(k), Some((who, id))) = (kind, identificatie) {
            self.identificaties.insert((who, k, id));
        }
        let unconfirmed = metadata
            .routeringgegevens
            .geadresseerden
            .iter()
            .filter_map(|g| g.code.clone())
            .collect();
        self.next_seq += 1;
        let seq = self.next_seq;
        self.records.insert(
            seq,
            Record {
                seq,
                metadata,
                payload,
                checksum,
                sender,
                kind,
                received_at: now,
                status: Berichtstatus::Ontvangen,
                changed_at: now,
                history: vec![(Berichtstatus::Ontvangen, now)],
                meldingen: Vec::new(),
                verdict,
                due: Some(due),
                unconfirmed,
                listed: 0,
                downloaded: 0,
                confirmed: 0,
            },
        );
        seq
    }

    /// Notes a refusal of `traceer_id` with `code`.
    pub fn refused(&mut self, traceer_id: Uuid, code: &'static str) {
        self.refusals.entry(traceer_id).or_default().push(code);
    }

    /// The refusals per traceerId.
    pub fn refusals(&self) -> &BTreeMap<Uuid, Vec<&'static str>> {
        &self.refusals
    }

    /// A record.
    pub fn record(&self, seq: u64) -> Option<&Record> {
        self.records.get(&seq)
    }

    /// A record, mutable.
    pub fn record_mut(&mut self, seq: u64) -> Option<&mut Record> {
        self.records.get_mut(&seq)
    }

    /// Every record in reception order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records.values()
    }

    /// The records whose next transition is due at or before `now`, earliest first.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<u64> {
        let mut due: Vec<(DateTime<Utc>, u64)> = self
            .records
            .values()
            .filter_map(|r| r.due.filter(|d| *d <= now).map(|d| (d, r.seq)))
            .collect();
        due.sort();
        due.into_iter().map(|(_, s)| s).collect()
    }

    /// Puts `seq` in the pull queue of addressee `code`.
    pub fn offer(&mut self, code: &str, seq: u64) {
        self.queues.entry(code.to_owned()).or_default().push(seq);
    }

    /// Hands `seq` to the simulated GGK (municipality side).
    pub fn offer_ggk(&mut self, seq: u64) {
        self.ggk_inbox.push(seq);
    }

    /// Takes the messages waiting for the municipality bot.
    pub fn take_ggk_inbox(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.ggk_inbox)
    }

    /// The ready messages for any of `mailboxes`, oldest first: (addressee, seq).
    pub fn ready_for<'a>(
        &'a self,
        mailboxes: &'a BTreeSet<String>,
    ) -> impl Iterator<Item = (&'a str, u64)> + 'a {
        let mut all: Vec<(&str, u64)> = self
            .queues
            .iter()
            .filter(|(code, _)| mailboxes.contains(*code))
            .flat_map(|(code, q)| q.iter().map(move |s| (code.as_str(), *s)))
            .collect();
        all.sort_by_key(|(_, s)| {
            self.records
                .get(s)
                .map(|r| (r.changed_at, r.seq))
                .unwrap_or_default()
        });
        all.into_iter()
    }

    /// The ready message with `traceer_id` for one of `mailboxes`.
    pub fn find_ready(
        &self,
        mailboxes: &BTreeSet<String>,
        traceer_id: Uuid,
    ) -> Option<(String, u64)> {
        self.ready_for(mailboxes)
            .find(|(_, s)| {
                self.records
                    .get(s)
                    .is_some_and(|r| r.traceer_id() == traceer_id)
            })
            .map(|(c, s)| (c.to_owned(), s))
    }

    /// Removes `seq` from `code`'s queue (receipt confirmed). Returns whether it was there.
    pub fn confirm(&mut self, code: &str, seq: u64) -> bool {
        let Some(q) = self.queues.get_mut(code) else {
            return false;
        };
        let before = q.len();
        q.retain(|s| *s != seq);
        before != q.len()
    }
}
