//! [`StoreHistory`]: the message history (berichtenhistorie) that the cross-message rules of
//! `ketenpoort_messages::rules::cross` read, derived from the store.
//!
//! The store is the record: the XML of every message ketenpoort sent (`x/`) and of every
//! message it received (`r/`, see [`Write::Received`]). The history is an index over that
//! record, held in memory as a [`MemoryHistory`]:
//!
//! - on open, the store reads every stored message back, in the order it took them (sent
//!   ones by message id, each received one after the last message id it followed), and
//!   records it;
//! - afterwards the store's single writer records each message right after it writes it,
//!   before it takes the next write, so the history never runs ahead of or behind the store
//!   by more than the write in progress. The writer is the only one that records: it checks
//!   under the read lock and takes the write lock only to record.
//!
//! A submit is checked by the writer just before it stores the messages, so that two
//! concurrent submits cannot both pass (two claims with one ReferentieNummer, TR314); a
//! `validate_only` call, which stores nothing, is checked in the request handler
//! ([`StoreHistory::check`]).
//!
//! Why in memory rather than a look-up per question in sled: the history's records are the
//! messages crate's types, which have no serialised form, and every look-up in sled would
//! decode a record again. The costs of this choice: opening the store parses every message it
//! holds (seconds per ten thousand small messages; a 25 MB claim takes a few hundred
//! milliseconds), and the memory grows with the number of claimed lines and allocations kept.
//! A persistent index (records as JSON under their own keys) is the way out when that
//! matters; the [`History`] trait does not change.

use std::borrow::Cow;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use ketenpoort_messages::message::ReadLimits;
use ketenpoort_messages::model::basis::GeslotenPeriode;
use ketenpoort_messages::rules::cross::{
    self, AllocationRecord, CareEvent, ClaimedLine, DeclarationRecord, History, MemoryHistory,
    RequestRecord, Scope,
};
use ketenpoort_messages::{Law, Message, MessageType, Violation};

use super::Write;
use crate::error::Error;

/// The reader's size limit for stored messages: above VECOZO's payload limit, since the
/// store holds only messages that passed it.
const STORED_LIMITS: ReadLimits = ReadLimits {
    max_bytes: 64 * 1024 * 1024,
};

/// Reads a stored or received message's XML.
pub fn parse(xml: &str) -> Result<Message, Error> {
    ketenpoort_messages::read(xml.as_bytes(), STORED_LIMITS)
        .map_err(|e| Error::Store(format!("a stored message does not read back: {e}")))
}

/// The history of the messages in the store; see the module docs.
#[derive(Debug, Default)]
pub struct StoreHistory {
    index: RwLock<Index>,
}

impl StoreHistory {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cross-message rules `message` breaks against the history as it is now.
    pub fn check(&self, message: &Message) -> Result<Vec<Violation>, Error> {
        Ok(cross::check_against(&*self.read()?, message))
    }

    pub(crate) fn read(&self) -> Result<RwLockReadGuard<'_, Index>, Error> {
        self.index
            .read()
            .map_err(|_| Error::Internal("history lock poisoned".into()))
    }

    pub(crate) fn write(&self) -> Result<RwLockWriteGuard<'_, Index>, Error> {
        self.index
            .write()
            .map_err(|_| Error::Internal("history lock poisoned".into()))
    }
}

/// Records a message ketenpoort received (today: a 301 allocation, for tests and for the
/// returns processing to come) in `store`: its XML is stored and the history learns it.
/// It is not checked and no event is logged for it.
pub async fn record_received(store: &dyn super::Store, xml: &str) -> Result<(), Error> {
    use ketenpoort_messages::MessageType as T;
    let message = parse(xml)?;
    let received = matches!(
        message.content.message_type(),
        T::M301 | T::M319 | T::M325 | T::M306 | T::M308 | T::M316 | T::M318
    );
    if !received {
        return Err(Error::Internal(format!(
            "{} is not a message a provider receives",
            message.kind()
        )));
    }
    store
        .commit(Write::Received {
            xml: xml.to_owned(),
            message: std::sync::Arc::new(message),
        })
        .wait()
        .await
        .map(drop)
}

// === impl Index ===

/// A [`MemoryHistory`] that also keeps the latest claimed period per scope.
///
/// `MemoryHistory::last_declaration_period` walks every claim of the scope; asked for every
/// claim submitted (twice: in the handler and in the writer), that made a submit's cost grow
/// with the number of claims sent before (15% of the CPU after 3,000 claims in
/// `bench_submit`). Here the answer is kept per scope: raised when a claim is recorded, and
/// asked afresh from the history only when a 325 may have voided a claim.
#[derive(Debug, Default)]
pub struct Index {
    history: MemoryHistory,
    last_period: foldhash::HashMap<Scope, Option<GeslotenPeriode>>,
}

impl Index {
    /// Records a message sent or received (see [`MemoryHistory::record`]).
    pub fn record(&mut self, message: &Message) {
        if !self.history.record(message) {
            return;
        }
        let scope = Scope::of(message);
        match message.content.message_type() {
            MessageType::M323 => {
                if let ketenpoort_messages::Content::Declaration(h) = &message.content {
                    let period = &h.body.declaratie_periode;
                    let entry = self.last_period.entry(scope).or_insert_with(|| None);
                    if entry
                        .as_ref()
                        .is_none_or(|last| period.begindatum >= last.begindatum)
                    {
                        *entry = Some(period.clone());
                    }
                }
            }
            MessageType::M325 => {
                let fresh = self.history.last_declaration_period(&scope);
                self.last_period.insert(scope, fresh);
            }
            _ => {}
        }
    }
}

impl History for Index {
    fn allocation(&self, scope: &Scope, nummer: u64) -> Option<Cow<'_, AllocationRecord>> {
        self.history.allocation(scope, nummer)
    }

    fn client_allocations(&self, scope: &Scope, bsn: &str) -> Vec<Cow<'_, AllocationRecord>> {
        self.history.client_allocations(scope, bsn)
    }

    fn allocation_lines(&self, scope: &Scope, nummer: u64) -> Vec<Cow<'_, ClaimedLine>> {
        self.history.allocation_lines(scope, nummer)
    }

    fn allocation_and_lines(
        &self,
        scope: &Scope,
        nummer: u64,
    ) -> (Option<Cow<'_, AllocationRecord>>, Vec<Cow<'_, ClaimedLine>>) {
        self.history.allocation_and_lines(scope, nummer)
    }

    fn line(&self, scope: &Scope, referentie_nummer: &str) -> Option<Cow<'_, ClaimedLine>> {
        self.history.line(scope, referentie_nummer)
    }

    fn credit_of(&self, scope: &Scope, referentie_nummer: &str) -> Option<Cow<'_, ClaimedLine>> {
        self.history.credit_of(scope, referentie_nummer)
    }

    fn declaration(&self, scope: &Scope, nummer: &str) -> Option<Cow<'_, DeclarationRecord>> {
        self.history.declaration(scope, nummer)
    }

    fn last_declaration_period(&self, scope: &Scope) -> Option<GeslotenPeriode> {
        self.last_period.get(scope).cloned().flatten()
    }

    fn request(&self, scope: &Scope, referentie: &str) -> Option<Cow<'_, RequestRecord>> {
        self.history.request(scope, referentie)
    }

    fn client_requests(&self, scope: &Scope, bsn: &str) -> Vec<Cow<'_, RequestRecord>> {
        self.history.client_requests(scope, bsn)
    }

    fn care_events(&self, scope: &Scope, bsn: &str) -> Cow<'_, [CareEvent]> {
        self.history.care_events(scope, bsn)
    }

    fn identificatie_used(
        &self,
        law: Law,
        message_type: MessageType,
        afzender: &str,
        identificatie: &str,
    ) -> bool {
        self.history
            .identificatie_used(law, message_type, afzender, identificatie)
    }
}

#[cfg(test)]
mod tests;
