//! [`SledStore`]: the [`Store`] on sled 0.34, with group commit.
//!
//! Everything lives in sled's default tree under key prefixes, so that one submit (messages,
//! XML, request_id entry, counters, DeclaratieNummers, queue entries) is part of one atomic
//! `apply_batch`:
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `m/` | message id (u64 BE) | [`MessageMeta`] JSON (`purged_at_ms` once pruned) |
//! | `x/` | message id | the XML, LZ4-compressed ([`super::stored_xml`]); removed by [`prune`] |
//! | `i/` | tenant `\0` request_id | [`IdempotencyRecord`] JSON |
//! | `c/` | counter name | u64 BE |
//! | `e/` | cursor (u64 BE) | [`EventRecord`] JSON |
//! | `a/` | tenant | acknowledged cursor (u64 BE) |
//! | `q/` | message id | empty: the message is queued |
//! | `d/` | AGB `/` DeclaratieNummer | message id |
//! | `r/` | sequence (u64 BE) | a received message: [`ReceivedRecord`] JSON (XML emptied by [`prune`]) |
//! | `o/` | message id | [`super::OutboxRecord`] JSON: push identifiers, attempts |
//! | `t/` | VECOZO traceerId (16 bytes) | [`TraceRecord`] JSON: a collected message is stored |
//! | `p/` | sequence (as `r/`) | a quarantined payload, bytes as downloaded |
//! | `l/` | lease name (a puller's certificate label) | [`LeaseRecord`] JSON |
//! | `f/` | message id | [`super::FollowRecord`] JSON: delivered, final VECOZO status awaited |
//! | `w/` | message id + index (u32 BE) | [`super::expectations::Expectation`] JSON: an answer it is still owed |
//! | `v/` | see [`super::duties`] | the provider's own duties (302/320 by hand, 305/307 terms), written by `duties` below |
//! | `n/` | sequence (u64 BE) | [`super::access_log::AccessEntry`] JSON: the access log (NEN 7513), only ever added to |
//! | `h/` | see [`super::index`] and [`SentIndex`] | the message history the cross-message rules read, and the keys that find a sent message, written with the message |
//! | `z/format` | | the store's format version (u64 BE, [`format`]) |
//!
//! A collected message ([`Write::Incoming`]) is one batch: `t/` (idempotency on the
//! traceerId), `r/` (the XML as received; for a quarantined payload the reason, its bytes in
//! `p/`), `e/` (its event) and, when it answers a sent message, that message's `m/` (state
//! ANSWERED, the event's cursor, its satisfied `w/` expectations removed) and the retour
//! queued on it ([`super::QueuedRetour`]: `m/`, `x/`, `q/`, `o/`, `c/`). A delivery
//! ([`Write::Delivered`]) stores the message's expectations (`w/`) in its batch; a
//! [`Write::CheckDeadlines`] turns the overdue ones into events. The keys that find the sent message
//! ([`super::received::SentIndex`]) are `h/` keys written with the message and its push.
//!
//! The history the cross-message rules read ([`StoreHistory`]) is a set of `h/` indexes
//! ([`super::index`]) that the writer puts into the batch of the message they come from; it
//! also checks every submit against them once more before storing it, over the keys the
//! submits before it in the group wrote (see [`super::history`]). Opening the store reads
//! no message: a store written before the indexes existed (format 1) gets them once, at its
//! first open by this version ([`format`]).
//!
//! One writer thread owns all writes: it takes every write that is waiting (up to
//! [`MAX_GROUP`]), applies each atomically, calls `flush` once, and only then answers the
//! waiters. A submit therefore never hears OK before its record is flushed.
//!
//! The writer and the store's reads go through an [`Engine`], not sled itself, so that the
//! same logic runs on PostgreSQL ([`SledStore::open_engine`], several replicas on one
//! database): a group is [`Engine::begin_group`], the writes, [`Engine::commit_group`] (sled:
//! the one `flush`). When a group begins with [`GroupStart::OthersWrote`] (another replica
//! committed since), or after a commit of its own failed, the writer reads again what it keeps
//! in memory (next ids, cursors and sequences, the queue's length) and drops its caches (the
//! history's, the known request_ids, the reserved counters) before applying the group. What
//! only sled has stays on `sled::Db`: opening and its checks ([`super::open`]), the format
//! upgrade ([`format`], before the writer starts), the free-space guard, backup and export.
//!
//! The memory the store uses does not grow with what it holds: sled's page cache
//! ([`Options::cache_bytes`]) and the history's cache ([`Options::history_cache_entries`])
//! are bounded; the request_ids of [`KnownKeys`] (8 bytes each) are the one exception left.
//!
//! The submits of a group go into one sled batch, applied before any other write of the
//! group and at its end: sled 0.34 writes its log at every `apply_batch` (two `pwrite` +
//! `sync_file_range` per batch, each handed to its I/O thread pool, which wakes all seven of
//! its threads), so a batch per submit cost ten context switches per submit and held the JW315
//! at half its throughput (docs/PERFORMANCE.md). A submit reads what the submits before it in
//! the group wrote (request_id, DeclaratieNummer, counters) from the group, not from sled. If
//! sled refuses the batch, every submit in it gets the error, and the history (in the same
//! batch) does not hold them either.

mod duties;
pub mod format;
pub mod prune;

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::ops::Bound::{Excluded, Included};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::{mpsc, oneshot, watch};

use ketenpoort_messages::Message;
use ketenpoort_messages::calendar::WorkingDays;
use ketenpoort_messages::rules::cross::check_against;

use super::engine::{Batch, Direction, Engine, GroupStart, SledEngine};
use super::expectations::{self, Expectation, Missed};
use super::history::StoreHistory;
use super::index::{Changes, Indexed, Layer, Pending};
use super::open::{self, Create};
use super::received::{self, Correlation, SentIndex};
use super::stored_xml;
use super::write_guard::{MIN_FREE_BYTES, WriteGuard};
use super::{
    Commit, EventBody, EventRecord, FollowRecord, IdempotencyRecord, IncomingContent,
    IncomingWrite, LeaseOutcome, Melding, MessageMeta, MessageState, OutboxRecord, Outcome, Store,
    SubmitWrite, Write,
};
use crate::error::Error;

/// Most writes flushed together in one group commit.
pub const MAX_GROUP: usize = 512;

struct QueuedWrite {
    write: Write,
    reply: oneshot::Sender<Result<Outcome, Error>>,
}

/// The submits of one group, gathered into one sled batch. The keys later submits of the
/// group read (request_id, DeclaratieNummer, counters) are also kept here, so that they see
/// what the earlier ones wrote before the batch is applied.
#[derive(Default)]
struct GroupBatch {
    /// Writes no later submit reads (a message's `m/`, `x/`, `q/`); never a key that is
    /// also in `written`.
    batch: Batch,
    /// Keys written (`Some`) or removed (`None`) earlier in the group, readable by
    /// [`GroupBatch::get`]; they join `batch` in [`GroupBatch::finish`].
    written: Pending,
    /// The indexes in the group of the submits in `batch`.
    members: Vec<usize>,
}

impl GroupBatch {
    /// `k` as the group sees it: written earlier in the group, else stored.
    fn get(&self, engine: &dyn Engine, k: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        match self.written.get(k) {
            Some(v) => Ok(v.clone()),
            None => engine.get(k),
        }
    }

    /// Adds `k` = `v` to the batch, readable by [`GroupBatch::get`].
    fn insert(&mut self, k: Vec<u8>, v: Vec<u8>) {
        self.written.insert(k, Some(v));
    }

    /// Adds the removal of `k` to the batch, seen by [`GroupBatch::get`].
    fn remove(&mut self, k: Vec<u8>) {
        self.written.insert(k, None);
    }

    /// The whole batch (each key with its last write; moved, not copied), the history keys
    /// it writes (for the history's cache) and the members.
    fn finish(self) -> (Batch, Vec<Vec<u8>>, Vec<usize>) {
        let GroupBatch {
            mut batch,
            written,
            members,
        } = self;
        let mut history = Vec::new();
        batch.ops.reserve(written.len());
        for (k, v) in written {
            if k.starts_with(super::index::PREFIX) {
                history.push(k.clone());
            }
            batch.ops.push((k, v));
        }
        (batch, history, members)
    }
}

/// A received message as the store keeps it (`r/`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReceivedRecord {
    /// The id of the last message sent before it arrived (0: none), which places it among
    /// the sent messages when the history indexes are built from the XML ([`format`]).
    pub after_id: u64,
    /// The message's XML (empty for a quarantined payload: its bytes are in `p/`).
    pub xml: String,
    /// VECOZO's traceerId, for a collected message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceer_id: Option<uuid::Uuid>,
    /// Why the payload was quarantined; such records are not in the history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantined: Option<String>,
    /// The cursor of its event, for a collected message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<u64>,
    /// A second 325 for one 323 (IB019): kept, but not in the history and without an event.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
    /// When `ketenpoort prune` purged its XML (and a quarantined payload's bytes in `p/`),
    /// milliseconds since the Unix epoch; `xml` is empty then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purged_at_ms: Option<i64>,
}

/// What `t/` holds for a collected traceerId.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct TraceRecord {
    /// The `r/` sequence it was stored under.
    pub sequence: u64,
    /// The cursor of its event; 0 when it became none (a second 325 for one 323).
    pub cursor: u64,
}

/// A collection lease (`l/`): who pulls for a certificate, until when.
///
/// sled lets one process open a store, so a lease of an earlier session (a gateway that
/// stopped or crashed) is void; the lease keeps two collectors of one gateway apart. A
/// gateway on *another* store cannot see it: see [`crate::vecozo::collector`].
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct LeaseRecord {
    /// The holder.
    pub holder: uuid::Uuid,
    /// The store session (one per open) it was taken in.
    pub session: uuid::Uuid,
    /// Expiry, milliseconds since the Unix epoch (`i64::MIN` once released).
    pub until_ms: i64,
    /// The fencing token of this holding ([`LeaseOutcome::Granted`]); 0 in records written
    /// before tokens existed.
    #[serde(default)]
    pub token: u64,
}

/// How to open a [`SledStore`] (`[store]` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// History records kept in memory once read ([`StoreHistory`]'s cache).
    pub history_cache_entries: usize,
    /// sled's page cache, in bytes (sled's own default is 1 GiB).
    pub cache_bytes: u64,
    /// The largest store checked on a copy after an unclean shutdown ([`open::verify`]).
    pub verify_copy_max_bytes: u64,
}

impl Options {
    /// What [`open::verify`] may do with these options.
    fn verify_limits(&self) -> open::VerifyLimits {
        open::VerifyLimits {
            max_copy_bytes: self.verify_copy_max_bytes,
            cache_bytes: self.cache_bytes,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        let verify = open::VerifyLimits::default();
        Options {
            history_cache_entries: 50_000,
            cache_bytes: verify.cache_bytes,
            verify_copy_max_bytes: verify.max_copy_bytes,
        }
    }
}

/// The [`Store`] over an [`Engine`]: sled ([`SledStore::open`]) or another engine
/// ([`SledStore::open_engine`]).
pub struct SledStore {
    engine: Arc<dyn Engine>,
    history: Arc<StoreHistory>,
    known: Arc<KnownKeys>,
    writes: mpsc::UnboundedSender<QueuedWrite>,
    /// Counter values reserved and not yet stored; dropped by the writer when its memory
    /// is stale (another writer wrote).
    counters: Arc<Mutex<HashMap<String, u64>>>,
    events: watch::Receiver<u64>,
    /// The sender of `events`, shared with the writer ([`SledStore::events_committed_elsewhere`]).
    events_tx: Arc<watch::Sender<u64>>,
    queue: watch::Receiver<u64>,
    /// The sender of `queue`, shared with the writer ([`SledStore::queue_changed_elsewhere`]).
    queue_tx: Arc<watch::Sender<u64>>,
    /// The number of `q/` keys, kept by the writer (counted once on open), so that
    /// `/readyz` and `/metrics` never scan the store.
    queued: Arc<AtomicU64>,
    /// Whether writes are taken now ([`super::write_guard`]); `None` on an engine without
    /// a directory (it never refuses).
    guard: Option<Arc<WriteGuard>>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").finish_non_exhaustive()
    }
}

fn be(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

fn key(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + rest.len());
    k.extend_from_slice(prefix);
    k.extend_from_slice(rest);
    k
}

fn read_u64(v: &[u8]) -> Result<u64, Error> {
    let bytes: [u8; 8] = v
        .try_into()
        .map_err(|_| Error::Store("a counter is not 8 bytes".into()))?;
    Ok(u64::from_be_bytes(bytes))
}

/// Which request_ids the store holds, as hashes of their `i/` keys, so that a submit with a
/// new request_id (nearly every submit) learns that without reading sled: once sled has
/// applied a batch, every read waits while the writer applies the next one, and a request
/// thread waiting there is one of the runtime's few. Only an optimisation: a hash present
/// may be a collision (sled is asked then), and a key missing here is still found by the
/// writer, which answers the retry with the original. Rebuilt from the `i/` keys by a thread
/// of its own after the store opened (so that opening does not read every request_id; until
/// it is done every lookup asks sled); the writer adds every key it writes.
#[derive(Default)]
struct KnownKeys {
    state: foldhash::fast::RandomState,
    hashes: RwLock<foldhash::HashSet<u64>>,
    /// Set once every `i/` key that was in the store at open is in `hashes`.
    complete: AtomicBool,
    /// Set when the store closes: [`KnownKeys::load`] stops, releasing its handle on sled.
    stop: AtomicBool,
    /// Set once another writer wrote to the store (replicas): from then on every lookup
    /// asks the store, since request_ids may be stored that this set never saw.
    abandoned: AtomicBool,
}

impl KnownKeys {
    /// Adds every `i/` key of `engine` and then marks the set complete; on a read error the
    /// set stays incomplete, so every lookup keeps asking the store.
    fn load(&self, engine: &dyn Engine) {
        let started = std::time::Instant::now();
        let mut n = 0u64;
        for kv in engine.scan_prefix(b"i/", Direction::Forward) {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            match kv {
                Ok((k, _)) => self.insert(&k),
                Err(e) => {
                    tracing::warn!(error = %e, "request_id index not loaded; submits ask the store");
                    return;
                }
            }
            n += 1;
        }
        self.complete.store(true, Ordering::Release);
        tracing::debug!(
            request_ids = n,
            ms = started.elapsed().as_millis() as u64,
            "request_id index loaded"
        );
    }

    fn insert(&self, key: &[u8]) {
        let hash = self.state.hash_one(key);
        if let Ok(mut hashes) = self.hashes.write() {
            hashes.insert(hash);
        }
    }

    /// Makes the set permanently incomplete: every lookup asks the store.
    fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
    }

    /// False only when `key` is certainly not stored.
    fn may_hold(&self, key: &[u8]) -> bool {
        if !self.complete.load(Ordering::Acquire) || self.abandoned.load(Ordering::Acquire) {
            return true;
        }
        let hash = self.state.hash_one(key);
        self.hashes.read().map_or(true, |h| h.contains(&hash))
    }
}

fn idem_key(tenant: &str, request_id: &str) -> Vec<u8> {
    let mut k = b"i/".to_vec();
    k.extend_from_slice(tenant.as_bytes());
    k.push(0);
    k.extend_from_slice(request_id.as_bytes());
    k
}

fn decl_key(agb: &str, number: &str) -> Vec<u8> {
    key(b"d/", format!("{agb}/{number}").as_bytes())
}

/// The id after the last key with `prefix` (8-byte big-endian ids), 1 when there is none.
fn next_after_last(engine: &dyn Engine, prefix: &[u8]) -> Result<u64, Error> {
    match engine.scan_prefix(prefix, Direction::Reverse).next() {
        Some(kv) => {
            let (k, _) = kv?;
            Ok(read_u64(&k[prefix.len()..])? + 1)
        }
        None => Ok(1),
    }
}

/// The number of `q/` keys (the queue is small: what waits for VECOZO).
fn count_queued(engine: &dyn Engine) -> Result<u64, Error> {
    let mut queued = 0u64;
    for kv in engine.scan_prefix(b"q/", Direction::Forward) {
        kv?;
        queued += 1;
    }
    Ok(queued)
}

/// What the writer keeps in memory of the store, read from it: the next message id, event
/// cursor, received sequence and access-log sequence.
struct Next {
    id: u64,
    cursor: u64,
    received: u64,
    access: u64,
}

impl Next {
    fn read(engine: &dyn Engine) -> Result<Next, Error> {
        Ok(Next {
            id: next_after_last(engine, b"m/")?,
            cursor: next_after_last(engine, b"e/")?,
            received: next_after_last(engine, b"r/")?,
            access: next_after_last(engine, super::access_log::PREFIX)?,
        })
    }
}

/// The parts of a store that live in a directory (sled): the free-space guard, and the
/// directory whose lock the closed future waits for.
struct Directory {
    path: std::path::PathBuf,
    guard: Arc<WriteGuard>,
}

impl SledStore {
    /// Opens the store in `dir` (creating it when there is none: [`Create::IfNew`]) and
    /// starts its writer thread.
    ///
    /// A store that fails to open is refused with [`Error::StoreOpen`] (see
    /// [`super::open`]); ketenpoort does not try to repair or remove it.
    pub fn open(dir: &Path) -> Result<Arc<SledStore>, Error> {
        Ok(SledStore::open_with_closed(dir)?.0)
    }

    /// [`SledStore::open_with_closed`] with default [`Options`].
    pub fn open_with_closed(dir: &Path) -> Result<(Arc<SledStore>, oneshot::Receiver<()>), Error> {
        SledStore::open_with(dir, &Options::default())
    }

    /// [`SledStore::open`], plus a receiver that completes once the store is closed: the last
    /// handle was dropped, the writer flushed and stopped, and sled released its lock on the
    /// directory (so that it can be opened again, e.g. by a restarted server).
    pub fn open_with(
        dir: &Path,
        options: &Options,
    ) -> Result<(Arc<SledStore>, oneshot::Receiver<()>), Error> {
        SledStore::open_in(dir, Create::IfNew, options)
    }

    /// [`SledStore::open_with`], creating a store only as `create` allows
    /// (`ketenpoort serve` without `--init` or dev mode: [`Create::Never`]).
    pub fn open_in(
        dir: &Path,
        create: Create,
        options: &Options,
    ) -> Result<(Arc<SledStore>, oneshot::Receiver<()>), Error> {
        let found = open::prepare(dir, create)?;
        if matches!(found, open::Found::Existing(_)) {
            open::verify(dir, options.verify_limits())?;
        }
        open::forget_clean_close(dir)?;
        let db = open::open_sled(dir, options.cache_bytes)?;
        let identity = open::settle(dir, &db, found)?;
        tracing::info!(store = %identity.store_id, created = %identity.created_at, "store opened");
        SledStore::start(dir, db, options).map_err(|e| match e {
            Error::StoreOpen { .. } => e,
            other => open::damaged(dir, &other.to_string()),
        })
    }

    /// The sled-only part of opening: the format upgrade (before the writer starts), then
    /// the store over [`SledEngine`], guarded by the free space of `dir`.
    fn start(
        dir: &Path,
        db: sled::Db,
        options: &Options,
    ) -> Result<(Arc<SledStore>, oneshot::Receiver<()>), Error> {
        format::open(&db, dir)?;
        let directory = Directory {
            path: dir.to_owned(),
            guard: Arc::new(WriteGuard::new(dir, MIN_FREE_BYTES)),
        };
        SledStore::launch(Arc::new(SledEngine::new(db)), Some(directory), options)
    }

    /// The store over `engine`, for engines without a directory (used by the PostgreSQL
    /// backend): no free-space guard, and the receiver completes once the writer flushed
    /// and stopped after the last handle was dropped.
    pub fn open_engine(
        engine: Arc<dyn Engine>,
        options: &Options,
    ) -> Result<(Arc<SledStore>, oneshot::Receiver<()>), Error> {
        SledStore::launch(engine, None, options)
    }

    /// Starts the writer over `engine` (and `directory`, for sled).
    fn launch(
        engine: Arc<dyn Engine>,
        directory: Option<Directory>,
        options: &Options,
    ) -> Result<(Arc<SledStore>, oneshot::Receiver<()>), Error> {
        let next = Next::read(&*engine)?;
        let history = Arc::new(StoreHistory::new(
            Arc::new(engine.clone()),
            options.history_cache_entries,
        ));
        let known = Arc::new(KnownKeys::default());
        let loader = {
            let (known, engine) = (known.clone(), engine.clone());
            std::thread::Builder::new()
                .name("store-request-ids".to_owned())
                .spawn(move || known.load(&*engine))
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "request_id index not loaded; submits ask the store");
                })
                .ok()
        };
        // The queue is small (what waits for VECOZO): counted once here, then kept by the
        // writer, so that health and readiness never scan the store.
        let queued = Arc::new(AtomicU64::new(count_queued(&*engine)?));
        let guard = directory.as_ref().map(|d| d.guard.clone());
        let (events_tx, events) = watch::channel(next.cursor - 1);
        let events_tx = Arc::new(events_tx);
        let (queue_tx, queue) = watch::channel(0);
        let queue_tx = Arc::new(queue_tx);
        let (writes, rx) = mpsc::unbounded_channel();
        let (closed_tx, closed) = oneshot::channel();
        let counters = Arc::new(Mutex::new(HashMap::new()));
        // Replicas share the lease records: a lease is not bound to one process's session.
        let session = if engine.shared() {
            uuid::Uuid::nil()
        } else {
            uuid::Uuid::new_v4()
        };
        let dir = directory.map(|d| d.path);
        let writer = Writer {
            engine: engine.clone(),
            history: history.clone(),
            known: known.clone(),
            counters: counters.clone(),
            next_id: next.id,
            next_cursor: next.cursor,
            next_received: next.received,
            next_access: next.access,
            stale: false,
            events: events_tx.clone(),
            queue: queue_tx.clone(),
            session,
            calendar: WorkingDays::new(),
            queued: queued.clone(),
            guard: guard.clone(),
        };
        std::thread::Builder::new()
            .name("ketenpoort-store-writer".into())
            .spawn(move || {
                let known = writer.known.clone();
                writer.run(rx);
                // The loader's handle on the engine must go before the store counts as closed.
                known.stop.store(true, Ordering::Relaxed);
                if let Some(loader) = loader {
                    let _ = loader.join();
                }
                if let Some(dir) = dir {
                    // Closed means it opens again: sled's threads let go of its lock a
                    // moment after the last handle goes.
                    open::wait_unlocked(&dir, std::time::Duration::from_secs(10));
                    open::record_clean_close(&dir);
                }
                let _ = closed_tx.send(());
            })
            .map_err(|e| Error::Store(format!("could not start the writer thread: {e}")))?;
        let store = Arc::new(SledStore {
            engine,
            history,
            known,
            writes,
            counters,
            events,
            events_tx,
            queue,
            queue_tx,
            queued,
            guard,
        });
        Ok((store, closed))
    }

    /// Raises the events watch to `cursor` (if higher): another replica committed events up
    /// to it, so that this replica's streams read them.
    pub fn events_committed_elsewhere(&self, cursor: u64) {
        self.events_tx.send_if_modified(|v| {
            if cursor > *v {
                *v = cursor;
                true
            } else {
                false
            }
        });
    }

    /// Wakes this replica's pushers: another replica changed the queue.
    pub fn queue_changed_elsewhere(&self) {
        self.queue_tx.send_modify(|g| *g = g.wrapping_add(1));
    }

    fn stored_counter(&self, counter: &str) -> Result<u64, Error> {
        match self.engine.get(&key(b"c/", counter.as_bytes()))? {
            Some(v) => read_u64(&v),
            None => Ok(0),
        }
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, k: &[u8]) -> Result<Option<T>, Error> {
        match self.engine.get(k)? {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }
}

impl Store for SledStore {
    fn commit(&self, write: Write) -> Commit {
        let (reply, rx) = oneshot::channel();
        if let Err(mpsc::error::SendError(p)) = self.writes.send(QueuedWrite { write, reply }) {
            let _ = p
                .reply
                .send(Err(Error::Store("the store's writer stopped".into())));
        }
        Commit(rx)
    }

    fn idempotency(
        &self,
        tenant: &str,
        request_id: &str,
    ) -> Result<Option<IdempotencyRecord>, Error> {
        let k = idem_key(tenant, request_id);
        if !self.known.may_hold(&k) {
            return Ok(None);
        }
        self.get_json(&k)
    }

    fn message(&self, id: u64) -> Result<Option<MessageMeta>, Error> {
        self.get_json(&key(b"m/", &be(id)))
    }

    fn message_xml(&self, id: u64) -> Result<Option<String>, Error> {
        match self.engine.get(&key(b"x/", &be(id)))? {
            Some(v) => stored_xml::decode(&v).map(Some),
            None => Ok(None),
        }
    }

    fn list_messages(
        &self,
        before: Option<u64>,
        limit: usize,
        filter: &dyn Fn(&MessageMeta) -> bool,
    ) -> Result<Vec<MessageMeta>, Error> {
        let end = key(b"m/", &be(before.unwrap_or(u64::MAX)));
        let mut out = Vec::new();
        for kv in self.engine.range(
            Included(&b"m/"[..]),
            Excluded(end.as_slice()),
            Direction::Reverse,
        ) {
            let (_, v) = kv?;
            let meta: MessageMeta = serde_json::from_slice(&v)?;
            if filter(&meta) {
                out.push(meta);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn events_after(
        &self,
        after: u64,
        limit: usize,
        filter: &dyn Fn(&EventRecord) -> bool,
    ) -> Result<Vec<EventRecord>, Error> {
        let start = key(b"e/", &be(after.saturating_add(1)));
        // The writer publishes the last cursor only after the flush that made it durable.
        let durable = *self.events.borrow();
        let end = key(b"e/", &be(durable.saturating_add(1)));
        let mut out = Vec::new();
        for kv in self.engine.range(
            Included(start.as_slice()),
            Excluded(end.as_slice()),
            Direction::Forward,
        ) {
            let (_, v) = kv?;
            let event: EventRecord = serde_json::from_slice(&v)?;
            if filter(&event) {
                out.push(event);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn watch_events(&self) -> watch::Receiver<u64> {
        self.events.clone()
    }

    fn acked(&self, tenant: &str) -> Result<u64, Error> {
        match self.engine.get(&key(b"a/", tenant.as_bytes()))? {
            Some(v) => read_u64(&v),
            None => Ok(0),
        }
    }

    fn next_queued(&self) -> Result<Option<MessageMeta>, Error> {
        let Some(kv) = self.engine.scan_prefix(b"q/", Direction::Forward).next() else {
            return Ok(None);
        };
        let (k, _) = kv?;
        self.message(read_u64(&k[2..])?)
    }

    fn queued_ids(&self, after: Option<u64>, limit: usize) -> Result<Vec<u64>, Error> {
        let start = match after {
            Some(a) => key(b"q/", &be(a.saturating_add(1))),
            None => b"q/".to_vec(),
        };
        let mut ids = Vec::new();
        for kv in self.engine.range(
            Included(start.as_slice()),
            Excluded(&b"q0"[..]),
            Direction::Forward,
        ) {
            let (k, _) = kv?;
            if !k.starts_with(b"q/") || ids.len() >= limit {
                break;
            }
            ids.push(read_u64(&k[2..])?);
        }
        Ok(ids)
    }

    fn outbox(&self, id: u64) -> Result<Option<OutboxRecord>, Error> {
        self.get_json(&key(b"o/", &be(id)))
    }

    fn followed(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, FollowRecord)>, Error> {
        let start = match after {
            Some(a) => key(b"f/", &be(a.saturating_add(1))),
            None => b"f/".to_vec(),
        };
        let mut out = Vec::new();
        for kv in self.engine.range(
            Included(start.as_slice()),
            Excluded(&b"f0"[..]),
            Direction::Forward,
        ) {
            let (k, v) = kv?;
            if !k.starts_with(b"f/") || out.len() >= limit {
                break;
            }
            out.push((read_u64(&k[2..])?, serde_json::from_slice(&v)?));
        }
        Ok(out)
    }

    fn watch_queue(&self) -> watch::Receiver<u64> {
        self.queue.clone()
    }

    fn queue_depth(&self) -> Result<usize, Error> {
        let n = match self.engine.queue_depth() {
            Some(counted) => counted?,
            None => self.queued.load(Ordering::Acquire),
        };
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn shared(&self) -> bool {
        self.engine.shared()
    }

    fn writable(&self) -> Result<(), String> {
        match &self.guard {
            Some(guard) => guard.check(),
            None => self.engine.writable(),
        }
    }

    fn reserve(&self, counter: &str) -> Result<u64, Error> {
        // An engine shared by replicas hands out the values itself.
        if let Some(next) = self.engine.reserve(counter)? {
            self.counters
                .lock()
                .map_err(|_| Error::Internal("counter lock poisoned".into()))?
                .insert(counter.to_owned(), next);
            return Ok(next);
        }
        let mut counters = self
            .counters
            .lock()
            .map_err(|_| Error::Internal("counter lock poisoned".into()))?;
        let current = match counters.get(counter) {
            Some(v) => *v,
            None => self.stored_counter(counter)?,
        };
        let next = current + 1;
        counters.insert(counter.to_owned(), next);
        Ok(next)
    }

    fn peek(&self, counter: &str) -> Result<u64, Error> {
        let counters = self
            .counters
            .lock()
            .map_err(|_| Error::Internal("counter lock poisoned".into()))?;
        let current = match counters.get(counter) {
            Some(v) => *v,
            None => self.stored_counter(counter)?,
        };
        Ok(current + 1)
    }

    fn declaration_number_used(&self, agb: &str, number: &str) -> Result<bool, Error> {
        self.engine.contains_key(&decl_key(agb, number))
    }

    fn history(&self) -> &StoreHistory {
        &self.history
    }

    fn retour_state(&self, traceer_id: uuid::Uuid) -> Result<super::duties::RetourState, Error> {
        self.read_retour_state(traceer_id)
    }

    fn messages_after(&self, after: u64, limit: usize) -> Result<Vec<MessageMeta>, Error> {
        let mut out = Vec::new();
        let (start, end) = (
            key(b"m/", &be(after.saturating_add(1))),
            key(b"m/", &be(u64::MAX)),
        );
        for kv in self.engine.range(
            Included(start.as_slice()),
            Excluded(end.as_slice()),
            Direction::Forward,
        ) {
            if out.len() >= limit {
                break;
            }
            let (_, v) = kv?;
            out.push(serde_json::from_slice(&v)?);
        }
        Ok(out)
    }

    fn open_terms(&self) -> Result<super::OpenTerms, Error> {
        self.read_open_terms()
    }

    fn access_log(
        &self,
        before: Option<u64>,
        limit: usize,
        filter: &dyn Fn(&super::access_log::AccessEntry) -> bool,
    ) -> Result<Vec<super::access_log::AccessEntry>, Error> {
        let prefix = super::access_log::PREFIX;
        let end = super::access_log::key(before.unwrap_or(u64::MAX));
        let mut out = Vec::new();
        for kv in self.engine.range(
            Included(prefix),
            Excluded(end.as_slice()),
            Direction::Reverse,
        ) {
            let (_, v) = kv?;
            let entry: super::access_log::AccessEntry = serde_json::from_slice(&v)?;
            if filter(&entry) {
                out.push(entry);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}

/// About how many bytes `write` adds to the store, for the free-space check
/// ([`WriteGuard::room_for`]).
fn payload_bytes(write: &Write) -> u64 {
    let n = match write {
        Write::Submit(s) => s
            .messages
            .iter()
            .map(|m| m.xml.len() + m.compressed_xml.len())
            .sum(),
        Write::Incoming(w) => 2 * w.payload.len(),
        Write::Received { xml, .. } => xml.len(),
        Write::Retour(r) => r.retour.message.xml.len(),
        _ => 4096,
    };
    n as u64
}

/// The text of a store error without its `store error:` prefix (what sled said).
fn detail(e: &Error) -> String {
    match e {
        Error::Store(s) => s.clone(),
        other => other.to_string(),
    }
}

// === impl Writer ===

/// The single writer: owns id and cursor assignment, and the history's updates.
struct Writer {
    engine: Arc<dyn Engine>,
    history: Arc<StoreHistory>,
    /// The request_ids stored, for [`SledStore::idempotency`].
    known: Arc<KnownKeys>,
    /// The Store's reserved counters ([`SledStore::reserve`]), dropped with the rest of
    /// the writer's memory when it is stale.
    counters: Arc<Mutex<HashMap<String, u64>>>,
    next_id: u64,
    next_cursor: u64,
    next_received: u64,
    /// The next access-log sequence (`n/`).
    next_access: u64,
    /// Set when a group failed to commit: what this writer keeps in memory may not be what
    /// the store holds, and is read again before the next group.
    stale: bool,
    events: Arc<watch::Sender<u64>>,
    queue: Arc<watch::Sender<u64>>,
    /// This open of the store: leases of other sessions are void.
    session: uuid::Uuid,
    /// Working days, for the due dates of expectations.
    calendar: WorkingDays,
    /// The number of `q/` keys ([`SledStore::queue_depth`]): each write that adds or removes
    /// one changes it once sled applied the write.
    queued: Arc<AtomicU64>,
    /// Refuses a group when the disk is (nearly) full or a write failed before (sled only).
    guard: Option<Arc<WriteGuard>>,
}

impl Writer {
    /// Applies writes until every [`SledStore`] handle is gone, then flushes and drops the
    /// last database handle, which releases sled's lock.
    fn run(mut self, mut rx: mpsc::UnboundedReceiver<QueuedWrite>) {
        self.serve(&mut rx);
        if let Err(e) = self.engine.flush() {
            tracing::error!(error = %e, "store flush at close failed");
        }
    }

    /// Reads again what the writer keeps in memory, after another writer wrote (or a group
    /// of its own failed to commit): the next ids and cursors, the queue's length; the
    /// history's cache, the known request_ids and the reserved counters are dropped.
    fn reload(&mut self) -> Result<(), Error> {
        self.history.cache().clear();
        self.known.abandon();
        if let Ok(mut counters) = self.counters.lock() {
            counters.clear();
        }
        let next = Next::read(&*self.engine)?;
        self.next_id = next.id;
        self.next_cursor = next.cursor;
        self.next_received = next.received;
        self.next_access = next.access;
        self.queued
            .store(count_queued(&*self.engine)?, Ordering::Release);
        self.stale = false;
        Ok(())
    }

    /// A write or commit failed: sled refuses writes from now on (its guard), and the
    /// writer's memory is read again before the next group.
    fn write_failed(&mut self, error: &Error) {
        if let Some(guard) = &self.guard {
            guard.failed(&detail(error));
        }
        self.stale = true;
    }

    /// Begins a group on the engine and, when another writer wrote since the last one (or
    /// this writer's memory is stale), reads its memory again. `Ok(true)`: others wrote.
    fn begin_group(&mut self) -> Result<bool, Error> {
        let others = self.engine.begin_group()? == GroupStart::OthersWrote;
        if others || self.stale {
            if let Err(e) = self.reload() {
                // The group is ended without writes; the next one tries again.
                self.stale = true;
                let _ = self.engine.commit_group();
                return Err(e);
            }
        }
        Ok(others)
    }

    fn serve(&mut self, rx: &mut mpsc::UnboundedReceiver<QueuedWrite>) {
        while let Some(first) = rx.blocking_recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(p) => group.push(p),
                    Err(_) => break,
                }
            }
            // Not applied at all when the disk cannot take it: sled keeps a failed log write
            // as an error for every later write (see `super::write_guard`).
            if let Some(guard) = &self.guard {
                let need = group.iter().map(|p| payload_bytes(&p.write)).sum();
                if guard.room_for(need).is_err() {
                    let reason = guard.public_reason();
                    for p in group {
                        let _ = p
                            .reply
                            .send(Err(Error::Store(format!("nothing written: {reason}"))));
                    }
                    continue;
                }
            }
            let others = match self.begin_group() {
                Ok(others) => others,
                Err(e) => {
                    tracing::error!(error = %e, "store group could not begin");
                    self.stale = true;
                    for p in group {
                        let _ = p
                            .reply
                            .send(Err(Error::Store(format!("nothing written: {e}"))));
                    }
                    continue;
                }
            };
            let mut results: Vec<Result<Outcome, Error>> = Vec::with_capacity(group.len());
            // The submits of a group share one sled batch: sled writes its log at every
            // `apply_batch`, so one batch per submit cost two log writes each. The batch is
            // applied before any other write, and at the end of the group.
            let mut batch = GroupBatch::default();
            for p in &group {
                let submit = matches!(p.write, Write::Submit(_));
                if !submit {
                    self.apply_group_batch(&mut batch, &mut results);
                }
                let result = self.apply(&p.write, &mut batch);
                if submit && matches!(result, Ok(Outcome::Stored(_))) {
                    batch.members.push(results.len());
                }
                results.push(result);
            }
            self.apply_group_batch(&mut batch, &mut results);
            let committed = self.engine.commit_group();
            if let Err(e) = &committed {
                tracing::error!(error = %e, "store flush failed");
                self.write_failed(e);
                for r in &mut results {
                    *r = Err(Error::Store(format!("flush failed: {}", detail(e))));
                }
            }
            // Raised, never lowered: a listener may have raised it for another replica's
            // events. What a failed commit wrote is announced only where readers see it
            // anyway (sled applies writes at once; a shared engine rolled them back).
            if committed.is_ok() || !self.engine.shared() {
                let last = self.next_cursor - 1;
                self.events.send_modify(|v| *v = (*v).max(last));
            }
            if others
                || results.iter().any(|r| {
                    matches!(
                        r,
                        Ok(Outcome::Stored(_)
                            | Outcome::Requeued(Some(MessageState::RejectedByVecozo))
                            | Outcome::Incoming {
                                retour: Some(_),
                                ..
                            })
                    )
                })
            {
                self.queue.send_modify(|g| *g = g.wrapping_add(1));
            }
            for (p, r) in group.into_iter().zip(results) {
                let _ = p.reply.send(r);
            }
        }
    }

    /// Applies the submits gathered in `batch`, if any; when sled refuses the batch, each of
    /// them gets the error instead of its outcome.
    fn apply_group_batch(
        &mut self,
        batch: &mut GroupBatch,
        results: &mut [Result<Outcome, Error>],
    ) {
        let taken = std::mem::take(batch);
        if taken.members.is_empty() {
            return;
        }
        let (writes, history, members) = taken.finish();
        let applied = self.engine.apply(writes);
        self.history
            .cache()
            .invalidate(history.iter().map(Vec::as_slice));
        if let Err(e) = applied {
            tracing::error!(error = %e, "store write failed");
            self.write_failed(&e);
            for i in members {
                if let Some(r) = results.get_mut(i) {
                    *r = Err(Error::Store(format!("write failed: {}", detail(&e))));
                }
            }
            return;
        }
        let added: usize = members
            .iter()
            .filter_map(|i| match results.get(*i) {
                Some(Ok(Outcome::Stored(ids))) => Some(ids.len()),
                _ => None,
            })
            .sum();
        self.queued.fetch_add(added as u64, Ordering::AcqRel);
    }

    /// Applies one write; a submit only adds its keys to `group` (see [`Writer::serve`]).
    fn apply(&mut self, write: &Write, group: &mut GroupBatch) -> Result<Outcome, Error> {
        match write {
            Write::Barrier => Ok(Outcome::Flushed),
            Write::AccessLog(entry) => {
                let sequence = self.next_access;
                let entry = super::access_log::AccessEntry {
                    sequence,
                    ..(**entry).clone()
                };
                self.engine.insert(
                    &super::access_log::key(sequence),
                    &serde_json::to_vec(&entry)?,
                )?;
                self.next_access += 1;
                Ok(Outcome::AccessLogged(sequence))
            }
            Write::CheckDeadlines { today, at_ms } => self.check_deadlines(*today, *at_ms),
            Write::CheckDuties { today, at_ms } => self.check_duties(*today, *at_ms),
            Write::Retour(r) => self.manual_retour(r),
            Write::Received { xml, message } => self.received(xml, message),
            Write::Incoming(w) => self.incoming(w),
            Write::Lease {
                name,
                holder,
                now_ms,
                until_ms,
            } => self.lease(name, *holder, *now_ms, Some(*until_ms)),
            Write::ReleaseLease { name, holder } => self.lease(name, *holder, i64::MIN, None),
            Write::Submit(s) => self.submit(s, group),
            Write::Requeue { message_id, at_ms } => self.requeue(*message_id, *at_ms),
            Write::Ack { tenant, cursor } => {
                let k = key(b"a/", tenant.as_bytes());
                let current = match self.engine.get(&k)? {
                    Some(v) => read_u64(&v)?,
                    None => 0,
                };
                let new = current.max((*cursor).min(self.next_cursor - 1));
                if new != current {
                    self.engine.insert(&k, &be(new))?;
                }
                Ok(Outcome::Acked(new))
            }
            Write::Attempt {
                message_id,
                traceer_id,
                conversatie_id,
            } => {
                if !self.engine.contains_key(&key(b"q/", &be(*message_id)))? {
                    return Ok(Outcome::Attempt(None));
                }
                let ok = key(b"o/", &be(*message_id));
                let record = match self.engine.get(&ok)? {
                    Some(v) => {
                        let mut r: OutboxRecord = serde_json::from_slice(&v)?;
                        r.attempts = r.attempts.saturating_add(1);
                        r
                    }
                    None => OutboxRecord {
                        traceer_id: *traceer_id,
                        conversatie_id: *conversatie_id,
                        attempts: 1,
                        als_antwoord_op: None,
                    },
                };
                let mut batch = Batch::default();
                batch.insert(ok, serde_json::to_vec(&record)?);
                let (tk, tv) = SentIndex::pushed(record.traceer_id, *message_id);
                batch.insert(tk, tv);
                self.engine.apply(batch)?;
                Ok(Outcome::Attempt(Some(record)))
            }
            Write::Rejected {
                message_id,
                at_ms,
                meldingen,
                vecozo_status,
            } => self.finish(
                *message_id,
                *at_ms,
                Some(MessageState::RejectedByVecozo),
                meldingen,
                vecozo_status.clone(),
            ),
            Write::Delivered { message_id, at_ms } => self.finish(
                *message_id,
                *at_ms,
                Some(MessageState::Delivered),
                &[],
                None,
            ),
            Write::Unfollow { message_id } => {
                let old = self.engine.remove(&key(b"f/", &be(*message_id)))?;
                Ok(Outcome::Delivered(old.is_some()))
            }
            Write::Settled {
                message_id,
                at_ms,
                vecozo_status,
            } => self.finish(*message_id, *at_ms, None, &[], Some(vecozo_status.clone())),
        }
    }

    /// One `q/` key fewer.
    fn unqueued(&self) {
        let _ = self
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(1))
            });
    }

    /// Moves a message on, with an event:
    ///
    /// - `Some(Delivered)`: a queued message leaves the queue; if it was pushed (`o/`) it is
    ///   followed from now on (`f/`);
    /// - `Some(RejectedByVecozo)`: a queued message leaves the queue, or a followed one is no
    ///   longer followed;
    /// - `None` (settled): a followed message is no longer followed; its state stays.
    fn finish(
        &mut self,
        message_id: u64,
        at_ms: i64,
        state: Option<MessageState>,
        meldingen: &[Melding],
        vecozo_status: Option<String>,
    ) -> Result<Outcome, Error> {
        let qk = key(b"q/", &be(message_id));
        let mk = key(b"m/", &be(message_id));
        let fk = key(b"f/", &be(message_id));
        let Some(v) = self.engine.get(&mk)? else {
            return Ok(Outcome::Delivered(false));
        };
        let queued = self.engine.contains_key(&qk)?;
        let followed = self.engine.contains_key(&fk)?;
        let applies = match state {
            Some(MessageState::Delivered) => queued,
            Some(_) => queued || followed,
            None => followed,
        };
        if !applies {
            return Ok(Outcome::Delivered(false));
        }
        let mut meta: MessageMeta = serde_json::from_slice(&v)?;
        let cursor = self.next_cursor;
        let mut batch = Batch::default();
        match state {
            // An answer may be stored before the push that it answers is recorded.
            Some(MessageState::Delivered) if meta.state != MessageState::Answered => {
                meta.state = MessageState::Delivered;
            }
            Some(MessageState::Delivered) => {}
            // An answer that came before the final status keeps the message ANSWERED.
            Some(s) if meta.state != MessageState::Answered => {
                meta.state = s;
                meta.meldingen = meldingen.to_vec();
            }
            _ => {}
        }
        if state == Some(MessageState::Delivered) {
            self.expect_answers(&mut batch, &meta, at_ms)?;
            if let Some(o) = self.engine.get(&key(b"o/", &be(message_id)))? {
                let outbox: OutboxRecord = serde_json::from_slice(&o)?;
                let follow = FollowRecord {
                    traceer_id: outbox.traceer_id,
                    agb: meta.agb.clone(),
                    since_ms: at_ms,
                };
                batch.insert(fk, serde_json::to_vec(&follow)?);
            }
        } else {
            batch.remove(fk);
        }
        if state.is_some_and(|s| s != MessageState::Delivered) {
            // Refused after all (AfgekeurdDoorDienst): no answer will come.
            self.forget_expectations(&mut batch, message_id)?;
        }
        meta.event_cursors.push(cursor);
        let event = EventRecord {
            cursor,
            agb: meta.agb.clone(),
            at_ms,
            message_id: Some(meta.id),
            kind: String::new(),
            raw_xml: None,
            traceer_id: None,
            body: EventBody::Delivery {
                state: state.unwrap_or(meta.state),
                meldingen: meldingen.to_vec(),
                vecozo_status,
            },
        };
        batch.remove(qk);
        batch.insert(mk, serde_json::to_vec(&meta)?);
        batch.insert(key(b"e/", &be(cursor)), serde_json::to_vec(&event)?);
        self.engine.apply(batch)?;
        if queued {
            self.unqueued();
        }
        self.next_cursor += 1;
        Ok(Outcome::Delivered(true))
    }

    /// Puts a message VECOZO refused back into the queue, with new push identifiers to come.
    fn requeue(&mut self, message_id: u64, at_ms: i64) -> Result<Outcome, Error> {
        let mk = key(b"m/", &be(message_id));
        let Some(v) = self.engine.get(&mk)? else {
            return Ok(Outcome::Requeued(None));
        };
        let mut meta: MessageMeta = serde_json::from_slice(&v)?;
        let before = meta.state;
        // A purged message has no XML left to send.
        if before != MessageState::RejectedByVecozo || meta.purged_at_ms.is_some() {
            return Ok(Outcome::Requeued(Some(before)));
        }
        let cursor = self.next_cursor;
        meta.state = MessageState::Queued;
        meta.meldingen.clear();
        meta.event_cursors.push(cursor);
        let event = EventRecord {
            cursor,
            agb: meta.agb.clone(),
            at_ms,
            message_id: Some(message_id),
            kind: String::new(),
            raw_xml: None,
            traceer_id: None,
            body: EventBody::Delivery {
                state: MessageState::Queued,
                meldingen: Vec::new(),
                vecozo_status: None,
            },
        };
        let mut batch = Batch::default();
        batch.insert(key(b"q/", &be(message_id)), &[] as &[u8]);
        // A new push gets a new traceerId. A retour keeps what it answers (alsAntwoordOp)
        // and its conversation; other messages mint both anew at the next attempt.
        let ok = key(b"o/", &be(message_id));
        let retour = match self.engine.get(&ok)? {
            Some(v) => {
                let old: OutboxRecord = serde_json::from_slice(&v)?;
                old.als_antwoord_op.map(|als_antwoord_op| OutboxRecord {
                    traceer_id: uuid::Uuid::new_v4(),
                    conversatie_id: old.conversatie_id,
                    attempts: 0,
                    als_antwoord_op: Some(als_antwoord_op),
                })
            }
            None => None,
        };
        match retour {
            Some(record) => batch.insert(ok, serde_json::to_vec(&record)?),
            None => batch.remove(ok),
        }
        batch.remove(key(b"f/", &be(message_id)));
        self.forget_expectations(&mut batch, message_id)?;
        let was_queued = self.engine.contains_key(&key(b"q/", &be(message_id)))?;
        batch.insert(mk, serde_json::to_vec(&meta)?);
        batch.insert(key(b"e/", &be(cursor)), serde_json::to_vec(&event)?);
        self.engine.apply(batch)?;
        if !was_queued {
            self.queued.fetch_add(1, Ordering::AcqRel);
        }
        self.next_cursor += 1;
        Ok(Outcome::Requeued(Some(before)))
    }

    /// Checks a submit and adds its keys to `group` (applied by the caller).
    fn submit(&mut self, s: &SubmitWrite, group: &mut GroupBatch) -> Result<Outcome, Error> {
        let ik = idem_key(&s.tenant, &s.request_id);
        if let Some(v) = group.get(&*self.engine, &ik)? {
            return Ok(Outcome::Duplicate(serde_json::from_slice(&v)?));
        }
        for m in &s.messages {
            if let Some(n) = &m.declaration_number
                && group.get(&*self.engine, &decl_key(&m.agb, n))?.is_some()
            {
                return Ok(Outcome::DeclarationNumberUsed(n.clone()));
            }
        }
        // The cross-message rules, here where no other write can come between the check
        // and the store (the handler checks only validate_only calls). The parts of a split
        // claim are checked each against the history without the others: they share no
        // numbers by construction, and the lines of an allocation are in one part
        // (`api::submit::split_claim`). Only this thread records in the history, so the check
        // needs no more than a read lock, and the write lock is taken only to record:
        // validate_only handlers checking meanwhile do not wait for the store's write.
        if s.cross_message_rules {
            let cached = self.history.cached();
            let index = Indexed::new(Layer {
                base: &cached,
                pending: &group.written,
            });
            let violations: Vec<_> = s
                .messages
                .iter()
                .flat_map(|m| check_against(&index, &m.message))
                .collect();
            let violations = index.finish(violations)?;
            if !violations.is_empty() {
                return Ok(Outcome::CrossRules(violations));
            }
        }
        let mut ids = Vec::with_capacity(s.messages.len());
        for (i, m) in s.messages.iter().enumerate() {
            let id = self.next_id + i as u64;
            ids.push(id);
            let meta = MessageMeta {
                id,
                kind: m.kind.clone(),
                agb: m.agb.clone(),
                municipality: m.municipality.clone(),
                identificatie: m.identificatie.clone(),
                declaration_number: m.declaration_number.clone(),
                tenant: s.tenant.clone(),
                request_id: s.request_id.clone(),
                accepted_at_ms: s.at_ms,
                state: MessageState::Queued,
                meldingen: Vec::new(),
                event_cursors: Vec::new(),
                purged_at_ms: None,
            };
            group
                .batch
                .insert(key(b"m/", &be(id)), serde_json::to_vec(&meta)?);
            group
                .batch
                .insert(key(b"x/", &be(id)), m.stored_xml().as_ref());
            group.batch.insert(key(b"q/", &be(id)), &[][..]);
            if let Some(n) = &m.declaration_number {
                group.insert(decl_key(&m.agb, n), be(id).to_vec());
            }
        }
        for (name, value) in &s.counters {
            let ck = key(b"c/", name.as_bytes());
            let stored = match group.get(&*self.engine, &ck)? {
                Some(v) => read_u64(&v)?,
                None => 0,
            };
            if *value > stored {
                group.insert(ck, be(*value).to_vec());
            }
        }
        self.submit_duties(group, s, &ids)?;
        let record = IdempotencyRecord {
            content_hash: s.content_hash.clone(),
            message_ids: ids.clone(),
        };
        self.known.insert(&ik);
        group.insert(ik, serde_json::to_vec(&record)?);
        let sent: Vec<(Option<u64>, &Message)> = ids
            .iter()
            .zip(&s.messages)
            .map(|(id, m)| (Some(*id), &*m.message))
            .collect();
        let pending = self.changes(&group.written, &sent)?;
        for (k, v) in pending {
            match v {
                Some(v) => group.insert(k, v),
                None => group.remove(k),
            }
        }
        self.next_id += ids.len() as u64;
        Ok(Outcome::Stored(ids))
    }

    fn received(&mut self, xml: &str, message: &Message) -> Result<Outcome, Error> {
        let record = ReceivedRecord {
            after_id: self.next_id - 1,
            xml: xml.to_owned(),
            traceer_id: None,
            quarantined: None,
            cursor: None,
            duplicate: false,
            purged_at_ms: None,
        };
        let mut batch = Batch::default();
        batch.insert(
            key(b"r/", &be(self.next_received)),
            serde_json::to_vec(&record)?,
        );
        let pending = self.changes(&Pending::new(), &[(None, message)])?;
        self.apply_with_history(batch, pending)?;
        self.next_received += 1;
        Ok(Outcome::Received)
    }
    /// Stores a collected message once per traceerId: record, event, correlation, history.
    fn incoming(&mut self, w: &IncomingWrite) -> Result<Outcome, Error> {
        if let Some(fence) = &w.fence
            && let Some(refused) = self.fenced(fence)?
        {
            return Ok(refused);
        }
        let tk = key(b"t/", w.traceer_id.as_bytes());
        if self.engine.contains_key(&tk)? {
            return Ok(Outcome::AlreadyReceived);
        }
        let sequence = self.next_received;
        let cursor = self.next_cursor;
        let mut batch = Batch::default();
        // A readable message whose bytes are not UTF-8 cannot be kept as XML text: it is
        // quarantined, its bytes kept as they came.
        let readable = match &w.content {
            IncomingContent::Message(m) => match std::str::from_utf8(&w.payload) {
                Ok(xml) => Ok((m.clone(), xml)),
                Err(_) => Err("the payload is not UTF-8".to_owned()),
            },
            IncomingContent::Quarantined { reason } => Err(reason.clone()),
        };
        let mut learnt = None;
        let (event, correlated, quarantined) = match readable {
            Ok((message, xml)) => {
                let meaning = received::meaning(&message, xml);
                let quarantined = matches!(meaning.body, EventBody::Quarantined { .. });
                let correlated = if quarantined {
                    None
                } else {
                    self.correlate(&meaning, &message, w.als_antwoord_op)?
                };
                if let Some(id) = correlated
                    && meaning.kind.ends_with("325")
                    && self.answered_by(id, &meaning.kind)?
                {
                    // A 323 gets one 325 (IB019): a second one, under a new traceerId, is
                    // kept as received but becomes no event and no history.
                    let record = ReceivedRecord {
                        after_id: self.next_id - 1,
                        xml: xml.to_owned(),
                        traceer_id: Some(w.traceer_id),
                        quarantined: None,
                        cursor: None,
                        duplicate: true,
                        purged_at_ms: None,
                    };
                    batch.insert(key(b"r/", &be(sequence)), serde_json::to_vec(&record)?);
                    let trace = TraceRecord {
                        sequence,
                        cursor: 0,
                    };
                    batch.insert(tk, serde_json::to_vec(&trace)?);
                    self.engine.apply(batch)?;
                    self.next_received += 1;
                    return Ok(Outcome::DuplicateAnswer(id));
                }
                if let Some(id) = correlated {
                    self.satisfy(&mut batch, id, &meaning.kind)?;
                    let mk = key(b"m/", &be(id));
                    if let Some(v) = self.engine.get(&mk)? {
                        let mut meta: MessageMeta = serde_json::from_slice(&v)?;
                        meta.state = MessageState::Answered;
                        meta.event_cursors.push(cursor);
                        batch.insert(mk, serde_json::to_vec(&meta)?);
                    }
                }
                let record = ReceivedRecord {
                    after_id: self.next_id - 1,
                    xml: xml.to_owned(),
                    traceer_id: Some(w.traceer_id),
                    quarantined: None,
                    cursor: Some(cursor),
                    duplicate: false,
                    purged_at_ms: None,
                };
                batch.insert(key(b"r/", &be(sequence)), serde_json::to_vec(&record)?);
                let event = EventRecord {
                    cursor,
                    agb: meaning.agb,
                    at_ms: w.at_ms,
                    message_id: correlated,
                    kind: meaning.kind,
                    raw_xml: Some(xml.to_owned()),
                    traceer_id: Some(w.traceer_id),
                    body: meaning.body,
                };
                if !quarantined {
                    learnt = Some(message);
                }
                (event, correlated, quarantined)
            }
            Err(reason) => {
                let record = ReceivedRecord {
                    after_id: self.next_id - 1,
                    xml: String::new(),
                    traceer_id: Some(w.traceer_id),
                    quarantined: Some(reason.clone()),
                    cursor: Some(cursor),
                    duplicate: false,
                    purged_at_ms: None,
                };
                batch.insert(key(b"r/", &be(sequence)), serde_json::to_vec(&record)?);
                batch.insert(key(b"p/", &be(sequence)), w.payload.as_slice());
                let event = EventRecord {
                    cursor,
                    agb: w.addressee.clone(),
                    at_ms: w.at_ms,
                    message_id: None,
                    kind: String::new(),
                    raw_xml: String::from_utf8(w.payload.clone()).ok(),
                    traceer_id: Some(w.traceer_id),
                    body: EventBody::Quarantined { reason },
                };
                (event, None, true)
            }
        };
        batch.insert(key(b"e/", &be(cursor)), serde_json::to_vec(&event)?);
        let trace = TraceRecord { sequence, cursor };
        batch.insert(tk, serde_json::to_vec(&trace)?);
        let retour = match (&w.retour, quarantined) {
            (Some(r), false) => Some(self.queue_retour(&mut batch, r, w)?),
            _ => None,
        };
        if !quarantined {
            self.incoming_duties(&mut batch, w, cursor, retour)?;
        }
        let mut recorded: Vec<(Option<u64>, &Message)> = Vec::new();
        if let Some(message) = &learnt {
            recorded.push((None, &**message));
        }
        if let (Some(id), Some(r)) = (retour, &w.retour) {
            recorded.push((Some(id), &*r.message.message));
            let (tk, tv) = SentIndex::pushed(r.traceer_id, id);
            batch.insert(tk, tv);
        }
        let pending = self.changes(&Pending::new(), &recorded)?;
        self.apply_with_history(batch, pending)?;
        if retour.is_some() {
            self.queued.fetch_add(1, Ordering::AcqRel);
            self.next_id += 1;
        }
        self.next_received += 1;
        self.next_cursor += 1;
        Ok(Outcome::Incoming {
            cursor,
            correlated,
            quarantined,
            retour,
        })
    }

    /// The writes to the history and the sent index that recording `messages` in order
    /// makes (`Some(id)`: sent, as message `id`), over the store plus `base` (writes of the
    /// group not applied yet).
    pub(super) fn changes(
        &self,
        base: &Pending,
        messages: &[(Option<u64>, &Message)],
    ) -> Result<Pending, Error> {
        let cached = self.history.cached();
        let view = Layer {
            base: &cached,
            pending: base,
        };
        let mut changes = Changes::new(&view);
        for (_, m) in messages {
            changes.record(m)?;
        }
        let mut pending = changes.into_pending();
        for (id, m) in messages {
            if let Some(id) = id {
                for (k, v) in SentIndex::sent(*id, m) {
                    pending.insert(k, Some(v));
                }
            }
        }
        Ok(pending)
    }

    /// Applies `batch` with the history's `pending` writes, atomically, and then drops the
    /// records they replace from the history's cache.
    pub(super) fn apply_with_history(
        &self,
        mut batch: Batch,
        pending: Pending,
    ) -> Result<(), Error> {
        let written: Vec<Vec<u8>> = pending.keys().cloned().collect();
        // After the batch's own writes: a key in both ends with the history's.
        batch.ops.extend(pending);
        let applied = self.engine.apply(batch);
        self.history
            .cache()
            .invalidate(written.iter().map(Vec::as_slice));
        applied
    }

    /// Adds to `batch` the answers `meta` (just delivered at `at_ms`) is owed, except those
    /// an answer that arrived before the delivery was recorded already satisfies.
    fn expect_answers(
        &self,
        batch: &mut Batch,
        meta: &MessageMeta,
        at_ms: i64,
    ) -> Result<(), Error> {
        let owed = expectations::on_delivery(meta.id, &meta.kind, &meta.agb, at_ms, &self.calendar);
        if owed.is_empty() {
            return Ok(());
        }
        let mut arrived = Vec::new();
        for cursor in &meta.event_cursors {
            if let Some(v) = self.engine.get(&key(b"e/", &be(*cursor)))? {
                let event: EventRecord = serde_json::from_slice(&v)?;
                arrived.push(event.kind);
            }
        }
        for (i, e) in owed.iter().enumerate() {
            if !arrived.iter().any(|k| e.satisfied_by(k)) {
                batch.insert(expectations::key(meta.id, i), serde_json::to_vec(e)?);
            }
        }
        Ok(())
    }

    /// Whether sent message `id` already has an event of a received message of `kind`.
    fn answered_by(&self, id: u64, kind: &str) -> Result<bool, Error> {
        let Some(v) = self.engine.get(&key(b"m/", &be(id)))? else {
            return Ok(false);
        };
        let meta: MessageMeta = serde_json::from_slice(&v)?;
        for cursor in &meta.event_cursors {
            if let Some(e) = self.engine.get(&key(b"e/", &be(*cursor)))? {
                let event: EventRecord = serde_json::from_slice(&e)?;
                if event.kind == kind {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Removes in `batch` every expectation of message `id`.
    fn forget_expectations(&self, batch: &mut Batch, id: u64) -> Result<(), Error> {
        for kv in self
            .engine
            .scan_prefix(&expectations::prefix(id), Direction::Forward)
        {
            let (k, _) = kv?;
            batch.remove(k);
        }
        Ok(())
    }

    /// Removes in `batch` the expectations of message `id` that an answer of `kind` meets.
    fn satisfy(&self, batch: &mut Batch, id: u64, kind: &str) -> Result<(), Error> {
        for kv in self
            .engine
            .scan_prefix(&expectations::prefix(id), Direction::Forward)
        {
            let (k, v) = kv?;
            let e: Expectation = serde_json::from_slice(&v)?;
            if e.satisfied_by(kind) {
                batch.remove(k);
            }
        }
        Ok(())
    }

    /// [`Write::CheckDeadlines`]: one batch with an event per expectation due before
    /// `today`, the expectations removed and the states of unanswered messages set.
    fn check_deadlines(&mut self, today: chrono::NaiveDate, at_ms: i64) -> Result<Outcome, Error> {
        let mut batch = Batch::default();
        let mut metas: HashMap<u64, MessageMeta> = HashMap::new();
        let mut missed = Vec::new();
        let mut cursor = self.next_cursor;
        for kv in self
            .engine
            .scan_prefix(expectations::PREFIX, Direction::Forward)
        {
            let (k, v) = kv?;
            let e: Expectation = serde_json::from_slice(&v)?;
            if e.due >= today {
                continue;
            }
            batch.remove(k);
            let meta = match metas.entry(e.message_id) {
                std::collections::hash_map::Entry::Occupied(o) => Some(o.into_mut()),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    match self.engine.get(&key(b"m/", &be(e.message_id)))? {
                        Some(v) => Some(slot.insert(serde_json::from_slice(&v)?)),
                        None => None,
                    }
                }
            };
            if let Some(meta) = meta {
                if meta.state != MessageState::Answered {
                    meta.state = MessageState::DeadlineMissed;
                }
                meta.event_cursors.push(cursor);
            }
            let event = EventRecord {
                cursor,
                agb: e.agb.clone(),
                at_ms,
                message_id: Some(e.message_id),
                kind: String::new(),
                raw_xml: None,
                traceer_id: None,
                body: EventBody::DeadlineMissed {
                    expected_kind: e.expected_kind(),
                    due_date: e.due.to_string(),
                },
            };
            batch.insert(key(b"e/", &be(cursor)), serde_json::to_vec(&event)?);
            missed.push(Missed {
                message_id: e.message_id,
                name: e.name,
                due: e.due,
                cursor,
            });
            cursor += 1;
        }
        if missed.is_empty() {
            return Ok(Outcome::DeadlinesMissed(missed));
        }
        for (id, meta) in &metas {
            batch.insert(key(b"m/", &be(*id)), serde_json::to_vec(meta)?);
        }
        self.engine.apply(batch)?;
        self.next_cursor = cursor;
        Ok(Outcome::DeadlinesMissed(missed))
    }

    /// Adds the retour `r` on the collected message `w` to `batch` as a queued message with
    /// its outbox record (its traceerId, the conversatieId and alsAntwoordOp of what it
    /// answers) and its Identificatie counter; returns its id.
    fn queue_retour(
        &self,
        batch: &mut Batch,
        r: &super::QueuedRetour,
        w: &IncomingWrite,
    ) -> Result<u64, Error> {
        let id = self.next_id;
        let outbox = OutboxRecord {
            traceer_id: r.traceer_id,
            conversatie_id: r.conversatie_id,
            attempts: 0,
            als_antwoord_op: Some(w.traceer_id),
        };
        let owner = (String::new(), format!("retour/{}", w.traceer_id), w.at_ms);
        self.put_retour(batch, id, &r.message, owner, &outbox, &r.counter)?;
        Ok(id)
    }

    /// Adds a queued retour (302/320) as message `id` to `batch`: its metadata for
    /// `owner` (tenant, request_id, accepted at), XML, queue entry, outbox record (with
    /// alsAntwoordOp) and Identificatie `counter`. Automatic and by-hand retours share it.
    pub(super) fn put_retour(
        &self,
        batch: &mut Batch,
        id: u64,
        m: &super::NewMessage,
        owner: (String, String, i64),
        outbox: &OutboxRecord,
        counter: &(String, u64),
    ) -> Result<(), Error> {
        let (tenant, request_id, accepted_at_ms) = owner;
        let meta = MessageMeta {
            id,
            kind: m.kind.clone(),
            agb: m.agb.clone(),
            municipality: m.municipality.clone(),
            identificatie: m.identificatie.clone(),
            declaration_number: None,
            tenant,
            request_id,
            accepted_at_ms,
            state: MessageState::Queued,
            meldingen: Vec::new(),
            event_cursors: Vec::new(),
            purged_at_ms: None,
        };
        batch.insert(key(b"m/", &be(id)), serde_json::to_vec(&meta)?);
        batch.insert(key(b"x/", &be(id)), m.stored_xml().as_ref());
        batch.insert(key(b"q/", &be(id)), &[][..]);
        batch.insert(key(b"o/", &be(id)), serde_json::to_vec(outbox)?);
        let (name, value) = counter;
        let ck = key(b"c/", name.as_bytes());
        let stored = match self.engine.get(&ck)? {
            Some(v) => read_u64(&v)?,
            None => 0,
        };
        if *value > stored {
            batch.insert(ck, be(*value));
        }
        Ok(())
    }

    /// The sent message a received one answers: a 325 by DeclaratieNummer (`d/`) first,
    /// everything else through [`SentIndex`].
    fn correlate(
        &self,
        meaning: &received::Meaning,
        message: &Message,
        als_antwoord_op: Option<uuid::Uuid>,
    ) -> Result<Option<u64>, Error> {
        if let Correlation::Declaration {
            number: Some(number),
            ..
        } = &meaning.correlation
            && let Some(v) = self.engine.get(&decl_key(&meaning.agb, number))?
        {
            return Ok(Some(read_u64(&v)?));
        }
        let prefix = message.kind().law.code_prefix();
        SentIndex::find(
            &self.engine,
            &meaning.correlation,
            &meaning.agb,
            prefix,
            als_antwoord_op,
        )
    }

    /// Takes (`until_ms` given) or gives up (`None`) lease `name` for `holder`.
    fn lease(
        &mut self,
        name: &str,
        holder: uuid::Uuid,
        now_ms: i64,
        until_ms: Option<i64>,
    ) -> Result<Outcome, Error> {
        let lk = key(b"l/", name.as_bytes());
        let current = self.lease_record(name)?;
        let Some(until_ms) = until_ms else {
            // Released, not removed: the token stays, so the next holding's is higher.
            if let Some(c) = current.filter(|c| c.holder == holder) {
                let released = LeaseRecord {
                    until_ms: i64::MIN,
                    ..c
                };
                self.engine.insert(&lk, &serde_json::to_vec(&released)?)?;
            }
            return Ok(Outcome::Lease(LeaseOutcome::Released));
        };
        let running = |c: &LeaseRecord| c.session == self.session && c.until_ms > now_ms;
        if let Some(c) = current
            && c.holder != holder
            && running(&c)
        {
            return Ok(Outcome::Lease(LeaseOutcome::Held {
                holder: c.holder,
                until_ms: c.until_ms,
            }));
        }
        let token = match current {
            Some(c) if c.holder == holder && running(&c) => c.token,
            Some(c) => c.token.saturating_add(1),
            None => 1,
        };
        let record = LeaseRecord {
            holder,
            session: self.session,
            until_ms,
            token,
        };
        self.engine.insert(&lk, &serde_json::to_vec(&record)?)?;
        Ok(Outcome::Lease(LeaseOutcome::Granted { token }))
    }

    /// The record of lease `name`, if it was ever taken.
    fn lease_record(&self, name: &str) -> Result<Option<LeaseRecord>, Error> {
        match self.engine.get(&key(b"l/", name.as_bytes()))? {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    /// `None` when `fence` is the current, unexpired holding of its lease in this session;
    /// else the [`Outcome::Fenced`] to answer instead of writing.
    fn fenced(&self, fence: &super::Fence) -> Result<Option<Outcome>, Error> {
        let current = self.lease_record(&fence.name)?;
        let holds = current.is_some_and(|c| {
            c.token == fence.token && c.session == self.session && c.until_ms > fence.now_ms
        });
        Ok((!holds).then(|| Outcome::Fenced {
            name: fence.name.clone(),
            current: current.map(|c| c.token).filter(|t| *t > 0),
        }))
    }
}

// === backup and export ===

/// A store opened for reading by `backup` or `export`: never created, never given a
/// marker; a store this process cannot write is read from a private temporary copy.
pub(crate) struct ForReading {
    pub(crate) db: sled::Db,
    identity: Option<open::Identity>,
    /// The copy, removed when this is dropped (after `db`).
    _copy: Option<tempfile::TempDir>,
    /// The store, when it was opened in place (not a copy).
    in_place: Option<std::path::PathBuf>,
}

impl ForReading {
    /// Closes the store; one opened in place is recorded as closed cleanly (an early return
    /// on an error leaves no record: the next open checks it on a copy).
    pub(crate) fn close(self) {
        let ForReading { db, in_place, .. } = self;
        drop(db);
        if let Some(dir) = in_place {
            open::record_clean_close(&dir);
        }
    }
}

pub(crate) fn open_existing(dir: &Path) -> Result<ForReading, Error> {
    let copy = if dir.join("db").is_file() && !open::writable(dir) {
        tracing::info!(dir = %dir.display(), "the store is not writable here; reading a copy");
        Some(open::copy_for_reading(dir)?)
    } else {
        None
    };
    let at = copy.as_ref().map_or(dir, |c| c.path());
    let named = |e: Error| match e {
        Error::StoreOpen { detail, .. } => Error::StoreOpen {
            path: dir.to_owned(),
            detail,
        },
        other => other,
    };
    let found = open::prepare(at, Create::Never).map_err(named)?;
    if copy.is_none() {
        open::verify(at, Options::default().verify_limits())?;
        open::forget_clean_close(at)?;
    }
    let db = open::open_sled(at, Options::default().cache_bytes).map_err(named)?;
    let identity = open::check_identity(at, &db, &found).map_err(named)?;
    let in_place = copy.is_none().then(|| dir.to_owned());
    Ok(ForReading {
        db,
        identity,
        _copy: copy,
        in_place,
    })
}

/// Copies the store in `data_dir` into a new store at `target` (which must not exist), record
/// by record, and flushes it. The copy is itself a store: start a gateway on it to restore.
/// Run it while the gateway is stopped (sled allows one process per store).
pub fn backup(data_dir: &Path, target: &Path) -> Result<u64, Error> {
    let source = open_existing(data_dir)?;
    let src = &source.db;
    if target.exists() {
        return Err(Error::Store(format!(
            "backup target {} exists; choose a new path",
            target.display()
        )));
    }
    let dst = sled::Config::new()
        .path(target)
        .create_new(true)
        .open()
        .map_err(|e| Error::Store(format!("cannot create {}: {e}", target.display())))?;
    let mut n = 0;
    for kv in src.iter() {
        let (k, v) = kv.map_err(|e| open::classify(data_dir, &e))?;
        dst.insert(k, v)?;
        n += 1;
    }
    dst.flush()?;
    drop(dst);
    if let Some(identity) = &source.identity {
        open::write_marker(target, identity)?;
    }
    open::record_clean_close(target);
    source.close();
    Ok(n)
}

/// One line of `ketenpoort export`.
#[derive(serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ExportLine {
    Message {
        #[serde(flatten)]
        meta: MessageMeta,
        xml: String,
    },
    Event(EventRecord),
    Received {
        sequence: u64,
        #[serde(flatten)]
        record: ReceivedRecord,
    },
    /// A quarantined payload (`p/`), its bytes in lowercase hex.
    Payload {
        sequence: u64,
        hex: String,
    },
}

/// Writes every message (with its XML), every event, every received message and every
/// quarantined payload of the store in `data_dir` to `out` as JSON lines
/// (`{"type":"message",…,"xml":…}`, `{"type":"event",…}`,
/// `{"type":"received","sequence":…,"after_id":…,"xml":…}`, `{"type":"payload","sequence":…,
/// "hex":…}`), in that order, each in id/cursor/sequence order. The output holds personal
/// data (the XML): treat it like the store. `ketenpoort prune --archive` writes the same lines.
pub fn export(data_dir: &Path, out: &mut dyn std::io::Write) -> Result<u64, Error> {
    let store = open_existing(data_dir)?;
    let db = &store.db;
    let mut n = 0;
    let io = |e: std::io::Error| Error::Store(format!("cannot write the export: {e}"));
    for kv in db.scan_prefix(b"m/") {
        let (k, v) = kv?;
        let meta: MessageMeta = serde_json::from_slice(&v)?;
        let xml = match db.get(key(b"x/", &k[2..]))? {
            Some(x) => stored_xml::decode(&x)?,
            None => String::new(),
        };
        serde_json::to_writer(&mut *out, &ExportLine::Message { meta, xml })?;
        out.write_all(b"\n").map_err(io)?;
        n += 1;
    }
    for kv in db.scan_prefix(b"e/") {
        let (_, v) = kv?;
        let event: EventRecord = serde_json::from_slice(&v)?;
        serde_json::to_writer(&mut *out, &ExportLine::Event(event))?;
        out.write_all(b"\n").map_err(io)?;
        n += 1;
    }
    for kv in db.scan_prefix(b"r/") {
        let (k, v) = kv?;
        let record: ReceivedRecord = serde_json::from_slice(&v)?;
        let line = ExportLine::Received {
            sequence: read_u64(&k[2..])?,
            record,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n").map_err(io)?;
        n += 1;
    }
    for kv in db.scan_prefix(b"p/") {
        let (k, v) = kv?;
        let line = ExportLine::Payload {
            sequence: read_u64(&k[2..])?,
            hex: prune::hex(&v),
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n").map_err(io)?;
        n += 1;
    }
    out.flush().map_err(io)?;
    store.close();
    Ok(n)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::{GroupBatch, KnownKeys, Options, ReceivedRecord, SledStore, be, key};
    use crate::error::Error;
    use crate::store::engine::{Batch, Direction, Engine, GroupStart, Scan, SledEngine};
    use crate::store::{IncomingContent, IncomingWrite, Outcome, Store, Write};

    #[test]
    fn request_ids_count_as_unknown_only_once_all_stored_ones_are_loaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(dir.path()).open().expect("sled");
        db.insert(b"i/t\0stored", b"{}".as_slice()).expect("insert");
        let known = KnownKeys::default();
        // Before the load every key may be stored: the caller asks sled.
        assert!(known.may_hold(b"i/t\0new"));
        assert!(known.may_hold(b"i/t\0stored"));
        let engine = SledEngine::new(db.clone());
        known.load(&engine);
        assert!(known.may_hold(b"i/t\0stored"));
        assert!(!known.may_hold(b"i/t\0new"));
        known.insert(b"i/t\0new");
        assert!(known.may_hold(b"i/t\0new"));
        // Abandoned (another writer wrote): every lookup asks the store again.
        assert!(!known.may_hold(b"i/t\0other"));
        known.abandon();
        assert!(known.may_hold(b"i/t\0other"));
        // A load told to stop leaves the set incomplete: lookups keep asking sled.
        let stopped = KnownKeys::default();
        stopped
            .stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        stopped.load(&engine);
        assert!(stopped.may_hold(b"i/t\0new"));
    }

    #[test]
    fn a_group_batch_reads_its_own_writes_and_removals_over_the_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(dir.path()).open().expect("sled");
        let engine = SledEngine::new(db.clone());
        db.insert(b"k/stored", b"old".as_slice()).expect("insert");
        db.insert(b"k/removed", b"there".as_slice())
            .expect("insert");
        let mut group = GroupBatch::default();
        assert_eq!(
            group.get(&engine, b"k/stored").expect("get"),
            Some(b"old".to_vec())
        );
        group.insert(b"k/stored".to_vec(), b"new".to_vec());
        group.insert(b"k/added".to_vec(), b"1".to_vec());
        group.remove(b"k/removed".to_vec());
        group.insert(b"k/back".to_vec(), b"2".to_vec());
        group.remove(b"k/back".to_vec());
        assert_eq!(
            group.get(&engine, b"k/stored").expect("get"),
            Some(b"new".to_vec())
        );
        assert_eq!(
            group.get(&engine, b"k/added").expect("get"),
            Some(b"1".to_vec())
        );
        assert_eq!(group.get(&engine, b"k/removed").expect("get"), None);
        assert_eq!(group.get(&engine, b"k/back").expect("get"), None);
        // Nothing reaches the database before the batch is applied, then all of it does.
        assert_eq!(
            db.get(b"k/stored").expect("get").as_deref(),
            Some(&b"old"[..])
        );
        group.batch.insert(b"k/direct".to_vec(), b"3".to_vec());
        group.insert(b"h/x".to_vec(), b"4".to_vec());
        let (batch, history, members) = group.finish();
        // The history keys, for the cache to forget once the batch is applied.
        assert_eq!(history, vec![b"h/x".to_vec()]);
        assert!(members.is_empty());
        engine.apply(batch).expect("apply");
        assert_eq!(
            db.get(b"k/stored").expect("get").as_deref(),
            Some(&b"new"[..])
        );
        assert_eq!(db.get(b"k/added").expect("get").as_deref(), Some(&b"1"[..]));
        assert_eq!(db.get(b"k/removed").expect("get"), None);
        assert_eq!(db.get(b"k/back").expect("get"), None);
        assert_eq!(
            db.get(b"k/direct").expect("get").as_deref(),
            Some(&b"3"[..])
        );
    }

    /// SledEngine, but the next group begins with [`GroupStart::OthersWrote`] once `others`
    /// is set, and the next commit fails once `fail_commit` is set.
    struct Replica {
        inner: SledEngine,
        others: AtomicBool,
        fail_commit: AtomicBool,
    }

    impl Engine for Replica {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
            self.inner.get(key)
        }
        fn range(
            &self,
            l: std::ops::Bound<&[u8]>,
            u: std::ops::Bound<&[u8]>,
            d: Direction,
        ) -> Scan<'_> {
            self.inner.range(l, u, d)
        }
        fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
            self.inner.remove(key)
        }
        fn apply(&self, batch: Batch) -> Result<(), Error> {
            self.inner.apply(batch)
        }
        fn begin_group(&self) -> Result<GroupStart, Error> {
            if self.others.swap(false, Ordering::SeqCst) {
                return Ok(GroupStart::OthersWrote);
            }
            self.inner.begin_group()
        }
        fn commit_group(&self) -> Result<(), Error> {
            if self.fail_commit.swap(false, Ordering::SeqCst) {
                return Err(Error::Store("commit refused by the test".into()));
            }
            self.inner.commit_group()
        }
        fn flush(&self) -> Result<(), Error> {
            self.inner.flush()
        }
    }

    fn replica() -> (tempfile::TempDir, sled::Db, Arc<Replica>, Arc<SledStore>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(dir.path()).open().expect("sled");
        let engine = Arc::new(Replica {
            inner: SledEngine::new(db.clone()),
            others: AtomicBool::new(false),
            fail_commit: AtomicBool::new(false),
        });
        let (store, _closed) =
            SledStore::open_engine(engine.clone(), &Options::default()).expect("store opens");
        (dir, db, engine, store)
    }

    /// A collected payload that does not read: it gets an event cursor and a received
    /// sequence, and its record names the last message id.
    fn quarantined(n: u8) -> Write {
        Write::Incoming(Box::new(IncomingWrite {
            traceer_id: uuid::Uuid::from_bytes([n; 16]),
            als_antwoord_op: None,
            at_ms: 1_700_000_000_000,
            addressee: "12345678".into(),
            payload: vec![0xff, n],
            content: IncomingContent::Quarantined {
                reason: "test".into(),
            },
            retour: None,
            owed: None,
            fence: None,
        }))
    }

    /// The cursor a collected write got, and its `r/` record.
    fn stored(db: &sled::Db, outcome: Outcome, sequence: u64) -> (u64, ReceivedRecord) {
        let Outcome::Incoming { cursor, .. } = outcome else {
            panic!("not stored: {outcome:?}");
        };
        let record = db
            .get(key(b"r/", &be(sequence)))
            .expect("read")
            .expect("the record is stored under the expected sequence");
        (cursor, serde_json::from_slice(&record).expect("record"))
    }

    /// What another replica wrote straight into the database: message 41 (queued), event
    /// 10, received sequence 7, counter `counter` at 5.
    fn others_write(db: &sled::Db) {
        db.insert(key(b"c/", b"counter"), be(5).as_slice())
            .expect("c/");
        db.insert(key(b"m/", &be(41)), b"{}".as_slice())
            .expect("m/");
        db.insert(key(b"q/", &be(41)), b"".as_slice()).expect("q/");
        db.insert(key(b"e/", &be(10)), b"{}".as_slice())
            .expect("e/");
        db.insert(key(b"r/", &be(7)), b"{}".as_slice()).expect("r/");
    }

    #[tokio::test]
    async fn a_group_after_others_wrote_reads_ids_cursors_and_the_queue_again() {
        let (_dir, db, engine, store) = replica();
        let first = store.commit(quarantined(1)).wait().await.expect("stored");
        let (cursor, record) = stored(&db, first, 1);
        assert_eq!((cursor, record.after_id), (1, 0));
        let queue_before = *store.watch_queue().borrow();
        assert_eq!(store.reserve("counter").expect("reserve"), 1);

        others_write(&db);
        engine.others.store(true, Ordering::SeqCst);
        let second = store.commit(quarantined(2)).wait().await.expect("stored");
        let (cursor, record) = stored(&db, second, 8);
        assert_eq!(
            cursor, 11,
            "the cursor follows the other replica's event 10"
        );
        assert_eq!(
            record.after_id, 41,
            "the last message id is the other replica's"
        );
        assert_eq!(store.queue_depth().expect("depth"), 1);
        assert_eq!(*store.watch_events().borrow(), 11);
        assert_ne!(
            *store.watch_queue().borrow(),
            queue_before,
            "the pushers are woken for the other replica's queue"
        );
        assert_eq!(
            store.reserve("counter").expect("reserve"),
            6,
            "the reserved counter follows the other replica's stored 5"
        );
    }

    #[tokio::test]
    async fn a_group_after_a_failed_commit_reads_the_store_again() {
        let (_dir, db, engine, store) = replica();
        engine.fail_commit.store(true, Ordering::SeqCst);
        let failed = store.commit(quarantined(1)).wait().await;
        assert!(
            failed.is_err(),
            "a failed commit fails the group: {failed:?}"
        );
        // The engine lost nothing here, but another writer went on from it.
        others_write(&db);
        let next = store.commit(quarantined(2)).wait().await.expect("stored");
        let (cursor, record) = stored(&db, next, 8);
        assert_eq!((cursor, record.after_id), (11, 41));
    }

    #[tokio::test]
    async fn leases_on_a_shared_engine_belong_to_no_session() {
        struct Shared(SledEngine);
        impl Engine for Shared {
            fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
                self.0.get(key)
            }
            fn range(
                &self,
                l: std::ops::Bound<&[u8]>,
                u: std::ops::Bound<&[u8]>,
                d: Direction,
            ) -> Scan<'_> {
                self.0.range(l, u, d)
            }
            fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
                self.0.remove(key)
            }
            fn apply(&self, batch: Batch) -> Result<(), Error> {
                self.0.apply(batch)
            }
            fn begin_group(&self) -> Result<GroupStart, Error> {
                self.0.begin_group()
            }
            fn commit_group(&self) -> Result<(), Error> {
                self.0.commit_group()
            }
            fn flush(&self) -> Result<(), Error> {
                self.0.flush()
            }
            fn shared(&self) -> bool {
                true
            }
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(dir.path()).open().expect("sled");
        let (store, _closed) = SledStore::open_engine(
            Arc::new(Shared(SledEngine::new(db.clone()))),
            &Options::default(),
        )
        .expect("store opens");
        let granted = store
            .commit(Write::Lease {
                name: "cert".into(),
                holder: uuid::Uuid::from_bytes([7; 16]),
                now_ms: 0,
                until_ms: 1_000,
            })
            .wait()
            .await
            .expect("lease");
        assert!(matches!(granted, Outcome::Lease(_)), "{granted:?}");
        let record: super::LeaseRecord =
            serde_json::from_slice(&db.get(b"l/cert").expect("read").expect("stored"))
                .expect("record");
        assert_eq!(record.session, uuid::Uuid::nil());
    }
}
