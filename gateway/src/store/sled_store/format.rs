//! The store's format version (`z/format`) and the one upgrade there is: building the
//! history indexes (`h/`, [`crate::store::index`]) of a store written before they existed.
//!
//! - Format 1 (no `z/format`): the history was rebuilt in memory from the XML at every open.
//! - Format 2: the history and the keys that correlate received messages with sent ones are
//!   indexes in the store, written with the messages.
//!
//! A store with a newer format than this binary knows is refused with a message that says
//! so. A binary from before format 2 has no such check; so that it too refuses an upgraded
//! store instead of writing messages without their indexes, the upgrade stores a record
//! under `o/` (the outbox records, which those binaries decode at open) that does not
//! decode and whose text says why: [`TRIPWIRE_KEY`].

use std::path::Path;
use std::time::{Duration, Instant};

use ketenpoort_messages::Message;

use super::{ReceivedRecord, key, read_u64};
use crate::error::Error;
use crate::store::history;
use crate::store::index::{Changes, Layer, Pending};
use crate::store::received::SentIndex;
use crate::store::{OutboxRecord, stored_xml};

/// The format this binary writes.
pub const CURRENT: u64 = 2;

/// The key of the format version (u64 BE).
pub const FORMAT_KEY: &[u8] = b"z/format";

/// An `o/` key no message has (id `u64::MAX`): its value stops binaries from before
/// format 2 at open.
pub fn tripwire_key() -> Vec<u8> {
    key(b"o/", &u64::MAX.to_be_bytes())
}

/// [`tripwire_key`], for the docs.
pub const TRIPWIRE_KEY: &str = "o/ + u64::MAX";

const TRIPWIRE_TEXT: &str = "this store was upgraded to format 2 (history indexes) by a \
newer ketenpoort; this version cannot open it: run the newer version";

/// Messages recorded per batch while upgrading.
const UPGRADE_BATCH: usize = 2_000;

/// Checks the format of the store `db` (at `dir`) and upgrades a format-1 store; a new,
/// empty store gets the current format.
pub fn open(db: &sled::Db, dir: &Path) -> Result<(), Error> {
    if let Some(v) = db.get(FORMAT_KEY)? {
        let version = read_u64(&v)?;
        if version > CURRENT {
            return Err(Error::StoreOpen {
                path: dir.to_owned(),
                detail: format!(
                    "the store has format {version}, written by a newer ketenpoort; this \
                     version reads format {CURRENT} and older: run the newer version"
                ),
            });
        }
        if version == CURRENT {
            return Ok(());
        }
    }
    let holds_messages =
        db.scan_prefix(b"x/").next().is_some() || db.scan_prefix(b"r/").next().is_some();
    if holds_messages {
        upgrade(db, dir)?;
    }
    let mut batch = sled::Batch::default();
    mark(&mut batch)?;
    db.apply_batch(batch)?;
    db.flush()?;
    Ok(())
}

fn mark(batch: &mut sled::Batch) -> Result<(), Error> {
    batch.insert(FORMAT_KEY, &CURRENT.to_be_bytes());
    batch.insert(tripwire_key(), serde_json::to_vec(TRIPWIRE_TEXT)?);
    Ok(())
}

/// Progress of the upgrade, on stderr: count and rate, once a second and at the end.
struct Progress {
    total: u64,
    done: u64,
    started: Instant,
    shown: Instant,
}

impl Progress {
    fn step(&mut self) {
        self.done += 1;
        if self.shown.elapsed() >= Duration::from_secs(1) {
            self.show();
        }
    }

    fn show(&mut self) {
        self.shown = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        eprintln!(
            "ketenpoort: history indexes: {} of {} messages ({:.0} messages/s)",
            self.done,
            self.total,
            self.done as f64 / secs
        );
    }
}

/// Builds the indexes of a format-1 store from its XML: every stored message in the order
/// the store took them (sent ones by id, each received one after the last sent one it
/// followed), as the old open did, in batches of [`UPGRADE_BATCH`]; then the traceerIds of
/// the outbox records. Indexes left by an interrupted upgrade are removed first, so an
/// upgrade killed at any point is run again from the start at the next open.
fn upgrade(db: &sled::Db, dir: &Path) -> Result<(), Error> {
    let mut stale = sled::Batch::default();
    let mut n_stale = 0u64;
    for k in db.scan_prefix(crate::store::index::PREFIX).keys() {
        stale.remove(k?);
        n_stale += 1;
    }
    if n_stale > 0 {
        db.apply_batch(stale)?;
    }
    let total = db.scan_prefix(b"x/").count() as u64 + db.scan_prefix(b"r/").count() as u64;
    eprintln!(
        "ketenpoort: the store at {} has no history indexes yet (format 1); building them \
         once from its {total} messages",
        dir.display()
    );
    let started = Instant::now();
    let mut progress = Progress {
        total,
        done: 0,
        started,
        shown: started,
    };
    let mut pending = Pending::new();
    let mut in_batch = 0usize;
    let record =
        |pending: &mut Pending, what: &str, xml: &str, id: Option<u64>| match history::parse(xml) {
            Ok(m) => record_one(db, pending, &m, id),
            Err(e) => {
                tracing::warn!(
                    message = what,
                    error = %e,
                    "left out of the message history: does not read back"
                );
                Ok(())
            }
        };
    let mut received = db.scan_prefix(b"r/");
    let mut next_received = || -> Result<Option<(u64, ReceivedRecord)>, Error> {
        match received.next() {
            Some(kv) => {
                let (k, v) = kv?;
                Ok(Some((read_u64(&k[2..])?, serde_json::from_slice(&v)?)))
            }
            None => Ok(None),
        }
    };
    let flush = |pending: &mut Pending, in_batch: &mut usize| -> Result<(), Error> {
        if *in_batch >= UPGRADE_BATCH {
            apply(db, std::mem::take(pending))?;
            *in_batch = 0;
        }
        Ok(())
    };
    let mut pending_received = next_received()?;
    for kv in db.scan_prefix(b"x/") {
        let (k, v) = kv?;
        let id = read_u64(&k[2..])?;
        while let Some((seq, r)) = pending_received.take_if(|(_, r)| r.after_id < id) {
            if r.quarantined.is_none() && !r.duplicate {
                record(&mut pending, &format!("received {seq}"), &r.xml, None)?;
            }
            progress.step();
            in_batch += 1;
            flush(&mut pending, &mut in_batch)?;
            pending_received = next_received()?;
        }
        match stored_xml::decode(&v) {
            Ok(xml) => record(&mut pending, &format!("message {id}"), &xml, Some(id))?,
            Err(e) => tracing::warn!(message = id, error = %e, "stored XML not read"),
        }
        progress.step();
        in_batch += 1;
        flush(&mut pending, &mut in_batch)?;
    }
    while let Some((seq, r)) = pending_received {
        if r.quarantined.is_none() && !r.duplicate {
            record(&mut pending, &format!("received {seq}"), &r.xml, None)?;
        }
        progress.step();
        in_batch += 1;
        flush(&mut pending, &mut in_batch)?;
        pending_received = next_received()?;
    }
    let tripwire = tripwire_key();
    for kv in db.scan_prefix(b"o/") {
        let (k, v) = kv?;
        if k.as_ref() == tripwire.as_slice() {
            continue;
        }
        let outbox: OutboxRecord = serde_json::from_slice(&v)?;
        let (tk, tv) = SentIndex::pushed(outbox.traceer_id, read_u64(&k[2..])?);
        pending.insert(tk, Some(tv));
    }
    apply(db, pending)?;
    progress.show();
    Ok(())
}

/// Adds to `pending` what recording `m` (sent as `id`, or received) writes.
fn record_one(
    db: &sled::Db,
    pending: &mut Pending,
    m: &Message,
    id: Option<u64>,
) -> Result<(), Error> {
    let view = Layer { base: db, pending };
    let mut changes = Changes::new(&view);
    changes.record(m)?;
    let mut written = changes.into_pending();
    if let Some(id) = id {
        for (k, v) in SentIndex::sent(id, m) {
            written.insert(k, Some(v));
        }
    }
    pending.extend(written);
    Ok(())
}

fn apply(db: &sled::Db, pending: Pending) -> Result<(), Error> {
    let mut batch = sled::Batch::default();
    for (k, v) in pending {
        match v {
            Some(v) => batch.insert(k, v),
            None => batch.remove(k),
        }
    }
    db.apply_batch(batch)?;
    Ok(())
}
