//! [`StoreHistory`]: the message history (berichtenhistorie) that the cross-message rules of
//! `ketenpoort_messages::rules::cross` read, derived from the store.
//!
//! The store is the record: the XML of every message ketenpoort sent (`x/`) and of every
//! message it received (`r/`, see [`Write::Received`]). The history is an index over that
//! record, kept in the store itself under `h/` keys ([`super::index`]): the writer records
//! each message into the same atomic batch that stores it, so the history is never ahead of
//! or behind the store. Questions are answered on demand from those keys, through a bounded
//! cache of the records read ([`StoreHistory::new`]: `[store] history_cache_entries`), so
//! neither opening the store nor its memory grows with the number of stored messages.
//!
//! A submit is checked by the writer just before it stores the messages, against the store
//! plus the submits before it in the same group commit, so that two concurrent submits
//! cannot both pass (two claims with one ReferentieNummer, TR314); a `validate_only` call,
//! which stores nothing, is checked in the request handler ([`StoreHistory::check`]).

use std::sync::Arc;

use ketenpoort_messages::message::ReadLimits;
use ketenpoort_messages::rules::cross;
use ketenpoort_messages::{Message, Violation};

use super::Write;
use super::index::{Cache, Cached, Indexed, Kv};
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
pub struct StoreHistory {
    kv: Arc<dyn Kv + Send + Sync>,
    cache: Cache,
}

impl std::fmt::Debug for StoreHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreHistory")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// The history as read now: answers the [`cross::History`] questions from the store.
pub type Reader<'a> = Indexed<Cached<'a>>;

impl StoreHistory {
    /// The history kept in `kv` under `h/`, read through a cache of at most
    /// `cache_entries` records.
    pub fn new(kv: Arc<dyn Kv + Send + Sync>, cache_entries: usize) -> Self {
        StoreHistory {
            kv,
            cache: Cache::new(cache_entries),
        }
    }

    /// The cross-message rules `message` breaks against the history as it is now.
    pub fn check(&self, message: &Message) -> Result<Vec<Violation>, Error> {
        let reader = self.read()?;
        let violations = cross::check_against(&reader, message);
        reader.finish(violations)
    }

    /// The history as it is now, for questions of its own (a read error makes the
    /// answers empty; [`Indexed::finish`] reports it).
    pub fn read(&self) -> Result<Reader<'_>, Error> {
        Ok(Indexed::new(self.cached()))
    }

    /// The store's keys read through the cache.
    pub fn cached(&self) -> Cached<'_> {
        Cached {
            kv: &*self.kv,
            cache: &self.cache,
        }
    }

    /// The cache of records read.
    pub fn cache(&self) -> &Cache {
        &self.cache
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

#[cfg(test)]
mod tests;
