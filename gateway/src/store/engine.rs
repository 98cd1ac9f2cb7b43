//! The key-value engine under the store's writer and reads: what the store's logic
//! (`sled_store`: submits, collected messages, retours, expectations, duties, deadlines,
//! prune) needs of the database it runs on, so that one implementation of that logic runs
//! on sled ([`SledEngine`], embedded) and on PostgreSQL
//! (`postgres::engine::PgEngine`, several replicas on one database).
//!
//! Keys are the sled store's keys (a prefix such as `m/` and the rest, see
//! `sled_store`); they are ordered as unsigned bytes. An engine offers point reads,
//! ordered range scans both ways, writes (one key, or a [`Batch`] applied atomically), and
//! groups: the writer thread opens a group with [`Engine::begin_group`], makes its reads
//! and writes, and ends it with [`Engine::commit_group`], after which everything the group
//! wrote is durable. Only then does the writer answer its callers.
//!
//! What a reader on another thread sees of a group before it is committed differs per
//! engine (sled: what is applied; PostgreSQL: nothing until the commit), and the store's
//! reads never depend on it: `events_after` reads only up to the cursor the writer
//! announced after its commit.

use std::ops::Bound;

use crate::error::Error;

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// The entries of a scan, in the order asked for.
pub type Scan<'a> = Box<dyn Iterator<Item = Result<Entry, Error>> + Send + 'a>;

/// Scan direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Lowest key first.
    Forward,
    /// Highest key first.
    Reverse,
}

/// Writes applied together: all of them or none.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// The writes in the order made: `Some(value)` sets the key, `None` removes it. A key
    /// written twice ends with its last write.
    pub ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), Some(value.into())));
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), None));
    }

    /// True when the batch writes nothing.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The number of writes.
    pub fn len(&self) -> usize {
        self.ops.len()
    }
}

/// How a group started ([`Engine::begin_group`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupStart {
    /// Nothing but this writer wrote since its last group: what it keeps in memory (next
    /// ids, counters, caches) is still true.
    Alone,
    /// Another writer (another replica on the same database) committed since this writer's
    /// last group (or since the engine connected): what the writer keeps in memory must be
    /// read again before the group's writes are made.
    OthersWrote,
}

/// The database under the store. See the module docs.
pub trait Engine: Send + Sync + 'static {
    /// The value of `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error>;

    /// Whether `key` is stored.
    fn contains_key(&self, key: &[u8]) -> Result<bool, Error> {
        Ok(self.get(key)?.is_some())
    }

    /// The values of `keys`, in their order: what a writer reads ahead for a whole group
    /// (request_ids, history keys) in one go. PostgreSQL answers it in one round trip; the
    /// default asks [`Engine::get`] for each.
    fn get_many(&self, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, Error> {
        keys.iter().map(|k| self.get(k)).collect()
    }

    /// The entries between the bounds, in `direction`. Lazy: a caller that stops early
    /// reads little. The scan does not borrow the bounds (implementations copy them).
    fn range(&self, lower: Bound<&[u8]>, upper: Bound<&[u8]>, direction: Direction) -> Scan<'_>;

    /// The entries whose key starts with `prefix`, in `direction`.
    fn scan_prefix(&self, prefix: &[u8], direction: Direction) -> Scan<'_> {
        let end = prefix_end(prefix);
        let upper = match &end {
            Some(end) => Bound::Excluded(end.as_slice()),
            None => Bound::Unbounded,
        };
        self.range(Bound::Included(prefix), upper, direction)
    }

    /// Sets `key` to `value`.
    fn insert(&self, key: &[u8], value: &[u8]) -> Result<(), Error> {
        let mut batch = Batch::default();
        batch.insert(key, value);
        self.apply(batch)
    }

    /// Removes `key`, answering the value it had.
    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error>;

    /// Applies `batch`: all of its writes or none.
    fn apply(&self, batch: Batch) -> Result<(), Error>;

    /// Starts a group of the writer (called on the writer's thread only, before the group's
    /// first read or write).
    fn begin_group(&self) -> Result<GroupStart, Error>;

    /// Ends the group begun last: once this returns `Ok`, everything written since is
    /// durable. On `Err` the group's writes may be lost (PostgreSQL: rolled back; sled: a
    /// failed flush), and the writer must treat its memory as stale.
    fn commit_group(&self) -> Result<(), Error>;

    /// Makes everything written so far durable outside a group (closing the store).
    fn flush(&self) -> Result<(), Error>;

    /// `Ok` when, as far as the engine knows without asking the database, it takes writes
    /// now; else why not (for `/readyz`; no personal data). Answers at once.
    fn writable(&self) -> Result<(), String> {
        Ok(())
    }

    /// The number of queued messages (`q/` keys) when the engine counts them itself: an
    /// engine shared by replicas, where one process's count of its own writes says nothing.
    /// `None`: the store keeps the count (sled).
    fn queue_depth(&self) -> Option<Result<u64, Error>> {
        None
    }

    /// Whether other processes write to the same database (replicas). The store then
    /// keeps no lease bound to one process's session, and trusts none of its memory across
    /// groups that [`Engine::begin_group`] reports [`GroupStart::OthersWrote`] for.
    fn shared(&self) -> bool {
        false
    }

    /// Reserves the next value of a durable counter in the database itself, for engines
    /// shared by several replicas (so that two replicas never hand out one value). `None`
    /// when the engine leaves counters to the store's memory (sled: one process).
    fn reserve(&self, counter: &str) -> Result<Option<u64>, Error> {
        let _ = counter;
        Ok(None)
    }
}

/// The first key after every key that starts with `prefix`; `None` when there is none
/// (the prefix is empty or all `0xff`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The embedded engine: sled. Writes are applied at once (readers on other threads see
/// them), a group is made durable by one `flush`.
#[derive(Clone)]
pub struct SledEngine {
    db: sled::Db,
}

impl SledEngine {
    /// The engine over an open sled database.
    pub fn new(db: sled::Db) -> SledEngine {
        SledEngine { db }
    }

    /// The sled database (for what only sled has: its format, backup, export).
    pub fn db(&self) -> &sled::Db {
        &self.db
    }
}

fn owned(kv: sled::Result<(sled::IVec, sled::IVec)>) -> Result<Entry, Error> {
    let (k, v) = kv?;
    Ok((k.to_vec(), v.to_vec()))
}

impl Engine for SledEngine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.db.get(key)?.map(|v| v.to_vec()))
    }

    fn contains_key(&self, key: &[u8]) -> Result<bool, Error> {
        Ok(self.db.contains_key(key)?)
    }

    fn range(&self, lower: Bound<&[u8]>, upper: Bound<&[u8]>, direction: Direction) -> Scan<'_> {
        let lower = lower.map(<[u8]>::to_vec);
        let upper = upper.map(<[u8]>::to_vec);
        let iter = self.db.range::<Vec<u8>, _>((lower, upper));
        match direction {
            Direction::Forward => Box::new(iter.map(owned)),
            Direction::Reverse => Box::new(iter.rev().map(owned)),
        }
    }

    fn scan_prefix(&self, prefix: &[u8], direction: Direction) -> Scan<'_> {
        let iter = self.db.scan_prefix(prefix);
        match direction {
            Direction::Forward => Box::new(iter.map(owned)),
            Direction::Reverse => Box::new(iter.rev().map(owned)),
        }
    }

    fn insert(&self, key: &[u8], value: &[u8]) -> Result<(), Error> {
        self.db.insert(key, value)?;
        Ok(())
    }

    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.db.remove(key)?.map(|v| v.to_vec()))
    }

    fn apply(&self, batch: Batch) -> Result<(), Error> {
        let mut b = sled::Batch::default();
        for (k, v) in batch.ops {
            match v {
                Some(v) => b.insert(k, v),
                None => b.remove(k),
            }
        }
        self.db.apply_batch(b)?;
        Ok(())
    }

    fn begin_group(&self) -> Result<GroupStart, Error> {
        // One process owns the directory (sled's lock): nobody else writes.
        Ok(GroupStart::Alone)
    }

    fn commit_group(&self) -> Result<(), Error> {
        self.db.flush()?;
        Ok(())
    }

    fn flush(&self) -> Result<(), Error> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> (tempfile::TempDir, SledEngine) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new()
            .path(dir.path())
            .open()
            .expect("sled opens");
        (dir, SledEngine::new(db))
    }

    fn keys(scan: Scan<'_>) -> Vec<Vec<u8>> {
        scan.map(|e| e.expect("read").0).collect()
    }

    #[test]
    fn prefix_end_carries_past_0xff_and_has_none_for_all_0xff() {
        assert_eq!(prefix_end(b"m/"), Some(b"m0".to_vec()));
        assert_eq!(prefix_end(&[b'a', 0xff]), Some(vec![b'b']));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn the_default_prefix_scan_agrees_with_sleds_both_ways() {
        // The trait's own scan_prefix (over `range`) is what other engines inherit.
        struct OnlyRange(SledEngine);
        impl Engine for OnlyRange {
            fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
                self.0.get(key)
            }
            fn range(&self, l: Bound<&[u8]>, u: Bound<&[u8]>, d: Direction) -> Scan<'_> {
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
        }
        let (_dir, e) = engine();
        let mut b = Batch::default();
        for k in [
            &b"a/\xff"[..],
            b"a/1",
            b"a/2",
            b"a0",
            b"a.",
            b"b/1",
            &[b'a', b'/', 0xff, 0xff],
        ] {
            b.insert(k, b"v");
        }
        e.apply(b).expect("apply");
        let only = OnlyRange(e.clone());
        for prefix in [&b"a/"[..], b"a", b"a/\xff", b"", b"b/1", b"c"] {
            for d in [Direction::Forward, Direction::Reverse] {
                assert_eq!(
                    keys(only.scan_prefix(prefix, d)),
                    keys(e.scan_prefix(prefix, d)),
                    "prefix {prefix:?} {d:?}"
                );
            }
        }
    }

    #[test]
    fn a_batch_ends_with_the_last_write_of_a_key_and_remove_answers_the_old_value() {
        let (_dir, e) = engine();
        let mut b = Batch::default();
        b.insert(b"k".as_slice(), b"1".as_slice());
        b.remove(b"k".as_slice());
        b.insert(b"k".as_slice(), b"2".as_slice());
        b.insert(b"gone".as_slice(), b"x".as_slice());
        b.remove(b"gone".as_slice());
        e.apply(b).expect("apply");
        assert_eq!(e.get(b"k").expect("get"), Some(b"2".to_vec()));
        assert!(!e.contains_key(b"gone").expect("contains"));
        assert_eq!(e.remove(b"k").expect("remove"), Some(b"2".to_vec()));
        assert_eq!(e.remove(b"k").expect("remove"), None);
    }
}
