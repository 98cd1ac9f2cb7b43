//! The history's keys (`h/`, [`crate::store::index`]) in `ketenpoort_history`: [`PgKv`]
//! reads them as an [`index::Kv`], [`apply`] writes a message's [`Pending`] changes in the
//! caller's transaction.
//!
//! # The bridge: a thread of its own with its own runtime
//!
//! [`index::Kv`] is synchronous (the cross-message rules ask their questions one at a time,
//! deep inside `ketenpoort_messages`), and it is called from async code (the submit handler
//! checks a `validate_only` call inside a tokio task; the writer checks a group), from
//! current-thread runtimes (tests, tools) and from plain threads. The driver is async. So
//! [`PgKv`] owns a thread that runs a current-thread tokio runtime of its own, with a pool
//! of connections *created on that runtime*; a call sends a request over an unbounded tokio
//! channel (sending never blocks and works from any context) and waits for the answer on a
//! `std::sync::mpsc` channel (a plain blocking receive, which is allowed everywhere). The
//! worker serves each request in a task of its own, so concurrent callers use several
//! connections of the pool at once.
//!
//! Why not the alternatives:
//! - `Handle::block_on` / `futures::executor::block_on` on the caller's runtime panics
//!   inside a runtime ("cannot start a runtime from within a runtime") or, with
//!   `block_in_place`, panics on a current-thread runtime.
//! - Connections of a pool made on the caller's runtime have their connection tasks on that
//!   runtime: a caller that blocks a current-thread runtime waiting for an answer would stop
//!   the very task that reads the answer from the socket, a deadlock. Here every
//!   connection's task runs on the worker's runtime, which no caller ever blocks.
//! - An async twin of the trait would change `ketenpoort_messages`' synchronous `History`
//!   and every rule; the bridge keeps them as they are.
//!
//! The cost: a caller's thread blocks for one round trip per call (as a sled read blocks on
//! disk), plus two channel hops. A caller on a multi-thread runtime blocks one worker for
//! that time; the writer, which asks the most, runs on a thread of its own anyway. The
//! statement timeout of [`PgOptions`] bounds every wait; should the worker stop, a call
//! fails with [`Error::Store`] instead of waiting.
//!
//! # Queries
//!
//! `get` is a primary-key lookup. `scan(prefix)` reads `key >= prefix AND key <
//! successor(prefix)` ([`successor`]: the prefix with its trailing 0xFF bytes dropped and
//! the last byte left raised by one; none for an all-0xFF prefix, then there is no upper
//! bound), one range of the primary key's B-tree (bytea compares as unsigned bytes, as sled
//! orders its keys). `scan_rev` reads the same range descending, lazily, in pages by
//! keyset pagination (`key < the last key seen ORDER BY key DESC LIMIT n`; [`FIRST_PAGE`]
//! rows, then four times as many each time up to [`PAGE`]): callers often take only the
//! first entry, so only the small first page is ever read then.
//! Each page is a statement of its own, so a long reverse scan is not one snapshot, just as
//! sled's iterators are not.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;

use deadpool_postgres::Pool;
use tokio::sync::mpsc;
use tokio_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use super::{PgError, PgOptions};
use crate::error::Error;
use crate::store::index::{self, Entry, Pending};

/// Rows of the largest page of a reverse scan.
pub const PAGE: usize = 256;

/// Rows of a reverse scan's first page: most callers take only the first entry, and a page
/// of 256 rows took about three times as long as a `get` (docs/PERFORMANCE.md). Each
/// further page is four times the one before, up to [`PAGE`].
pub const FIRST_PAGE: usize = 8;

/// The key after every key that starts with `prefix`, `None` when there is none (the
/// prefix is empty or all 0xFF).
pub fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut s = prefix.to_vec();
    while let Some(last) = s.pop() {
        if last < 0xFF {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

/// What the worker is asked to do.
enum Request {
    Get {
        key: Vec<u8>,
        reply: std_mpsc::Sender<Result<Option<Vec<u8>>, PgError>>,
    },
    /// Keys in `[low, high)` (no upper bound when `high` is `None`), at most `limit` of
    /// them (all when `None`), ascending or descending.
    Range {
        low: Vec<u8>,
        high: Option<Vec<u8>>,
        descending: bool,
        limit: Option<usize>,
        reply: std_mpsc::Sender<Result<Vec<Entry>, PgError>>,
    },
}

/// The history's keys in PostgreSQL, read through a worker thread (see the module docs).
/// Dropping it stops the worker and closes its connections.
pub struct PgKv {
    requests: Option<mpsc::UnboundedSender<Request>>,
    worker: Option<std::thread::JoinHandle<()>>,
    page: usize,
    pages: Arc<AtomicU64>,
}

impl std::fmt::Debug for PgKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgKv")
            .field("page", &self.page)
            .field("pages_read", &self.pages_read())
            .finish_non_exhaustive()
    }
}

impl PgKv {
    /// Starts the worker with a pool of `options.pool_size` connections as `options` say,
    /// and waits until one connection is open (so that an unreachable database is reported
    /// here). Blocks the calling thread meanwhile; may be called from any context.
    pub fn connect(options: &PgOptions) -> Result<PgKv, Error> {
        Self::connect_paged(options, PAGE)
    }

    /// As [`PgKv::connect`], with reverse scans read in pages of at most `page` rows (at
    /// least 1).
    pub fn connect_paged(options: &PgOptions, page: usize) -> Result<PgKv, Error> {
        let (requests, receiver) = mpsc::unbounded_channel();
        let (ready, started) = std_mpsc::channel();
        let options = options.clone();
        let worker = std::thread::Builder::new()
            .name("ketenpoort-pg-kv".into())
            .spawn(move || run(options, receiver, ready))
            .map_err(|e| Error::Store(format!("cannot start the PostgreSQL reader: {e}")))?;
        match started.recv() {
            Ok(Ok(())) => Ok(PgKv {
                requests: Some(requests),
                worker: Some(worker),
                page: page.max(1),
                pages: Arc::new(AtomicU64::new(0)),
            }),
            Ok(Err(e)) => {
                let _ = worker.join();
                Err(e.into())
            }
            Err(_) => {
                let _ = worker.join();
                Err(stopped())
            }
        }
    }

    /// How many statements reverse scans have run so far (pages read), for tests and
    /// benchmarks: taking the first entry of a reverse scan reads one page.
    pub fn pages_read(&self) -> u64 {
        self.pages.load(Ordering::Relaxed)
    }

    fn ask<T>(
        &self,
        make: impl FnOnce(std_mpsc::Sender<Result<T, PgError>>) -> Request,
    ) -> Result<T, Error> {
        let (reply, answer) = std_mpsc::channel();
        let requests = self.requests.as_ref().ok_or_else(stopped)?;
        requests.send(make(reply)).map_err(|_| stopped())?;
        match answer.recv() {
            Ok(result) => result.map_err(Error::from),
            Err(_) => Err(stopped()),
        }
    }

    fn range(
        &self,
        low: &[u8],
        high: Option<Vec<u8>>,
        descending: bool,
        limit: Option<usize>,
    ) -> Result<Vec<Entry>, Error> {
        self.ask(|reply| Request::Range {
            low: low.to_vec(),
            high,
            descending,
            limit,
            reply,
        })
    }
}

impl Drop for PgKv {
    fn drop(&mut self) {
        // Closing the channel ends the worker's loop; it closes the pool and its runtime on
        // its own thread (never on the caller's, where dropping a runtime may panic).
        drop(self.requests.take());
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn stopped() -> Error {
    Error::Store("the PostgreSQL history reader has stopped".into())
}

impl index::Kv for PgKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        self.ask(|reply| Request::Get {
            key: key.to_vec(),
            reply,
        })
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, Error> {
        self.range(prefix, successor(prefix), false, None)
    }

    fn scan_rev<'s>(
        &'s self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 's> {
        Box::new(ScanRev {
            kv: self,
            prefix: prefix.to_vec(),
            below: successor(prefix),
            size: FIRST_PAGE.min(self.page),
            page: VecDeque::new(),
            done: false,
        })
    }
}

/// A reverse scan, read a page at a time as it is consumed.
struct ScanRev<'s> {
    kv: &'s PgKv,
    prefix: Vec<u8>,
    /// The exclusive upper bound of the next page: the last key returned.
    below: Option<Vec<u8>>,
    /// The rows of the next page.
    size: usize,
    page: VecDeque<Entry>,
    done: bool,
}

impl Iterator for ScanRev<'_> {
    type Item = Result<Entry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty() && !self.done {
            self.kv.pages.fetch_add(1, Ordering::Relaxed);
            let high = self.below.take();
            let size = self.size;
            self.size = size.saturating_mul(4).min(self.kv.page);
            match self.kv.range(&self.prefix, high, true, Some(size)) {
                Ok(rows) => {
                    self.done = rows.len() < size;
                    self.below = rows.last().map(|(k, _)| k.clone());
                    self.page = rows.into();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        self.page.pop_front().map(Ok)
    }
}

// === the worker ===

fn run(
    options: PgOptions,
    mut requests: mpsc::UnboundedReceiver<Request>,
    ready: std_mpsc::Sender<Result<(), PgError>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(PgError::Pool(format!("cannot start a runtime: {e}"))));
            return;
        }
    };
    runtime.block_on(async move {
        let pool = match super::connect(&options).await {
            Ok(pool) => pool,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        if ready.send(Ok(())).is_err() {
            return;
        }
        let mut tasks = tokio::task::JoinSet::new();
        while let Some(request) = requests.recv().await {
            tasks.spawn(serve(pool.clone(), request));
            // Reap the finished ones so that the set does not grow.
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        pool.close();
    });
}

async fn serve(pool: Pool, request: Request) {
    match request {
        Request::Get { key, reply } => {
            let _ = reply.send(get(&pool, &key).await);
        }
        Request::Range {
            low,
            high,
            descending,
            limit,
            reply,
        } => {
            let _ = reply.send(range(&pool, &low, high.as_deref(), descending, limit).await);
        }
    }
}

async fn get(pool: &Pool, key: &[u8]) -> Result<Option<Vec<u8>>, PgError> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached("SELECT value FROM ketenpoort_history WHERE key = $1")
        .await?;
    match client.query_opt(&statement, &[&key]).await? {
        Some(row) => Ok(Some(row.try_get(0)?)),
        None => Ok(None),
    }
}

async fn range(
    pool: &Pool,
    low: &[u8],
    high: Option<&[u8]>,
    descending: bool,
    limit: Option<usize>,
) -> Result<Vec<Entry>, PgError> {
    let client = pool.get().await?;
    let order = if descending { "DESC" } else { "ASC" };
    let upper = if high.is_some() { "AND key < $2" } else { "" };
    let limit_at = if high.is_some() { "$3" } else { "$2" };
    let limit_clause = if limit.is_some() {
        format!("LIMIT {limit_at}")
    } else {
        String::new()
    };
    // At most eight distinct texts, each prepared once per connection.
    let sql = format!(
        "SELECT key, value FROM ketenpoort_history WHERE key >= $1 {upper} \
         ORDER BY key {order} {limit_clause}"
    );
    let statement = client.prepare_cached(&sql).await?;
    let limit = limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&low];
    if let Some(high) = &high {
        params.push(high);
    }
    if let Some(limit) = &limit {
        params.push(limit);
    }
    let rows = client.query(&statement, &params).await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}

// === writing ===

/// Applies `pending` (keys written and removed by [`index::Changes`]) in `client`, meant to
/// be the transaction that stores the messages they come from: two statements whatever the
/// number of keys, an upsert of the written keys from two arrays and a delete of the
/// removed ones.
pub async fn apply<C>(client: &C, pending: &Pending) -> Result<(), PgError>
where
    C: GenericClient + Sync,
{
    let mut keys: Vec<&[u8]> = Vec::new();
    let mut values: Vec<&[u8]> = Vec::new();
    let mut removed: Vec<&[u8]> = Vec::new();
    for (k, v) in pending {
        match v {
            Some(v) => {
                keys.push(k);
                values.push(v);
            }
            None => removed.push(k),
        }
    }
    if !keys.is_empty() {
        client
            .execute(
                "INSERT INTO ketenpoort_history (key, value) \
                 SELECT * FROM unnest($1::bytea[], $2::bytea[]) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&keys, &values],
            )
            .await?;
    }
    if !removed.is_empty() {
        client
            .execute(
                "DELETE FROM ketenpoort_history WHERE key = ANY($1::bytea[])",
                &[&removed],
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn the_successor_skips_trailing_ff_and_an_all_ff_prefix_has_none() {
        assert_eq!(successor(b"h/a"), Some(b"h/b".to_vec()));
        assert_eq!(successor(&[0x01, 0xFF, 0xFF]), Some(vec![0x02]));
        assert_eq!(successor(&[0x00]), Some(vec![0x01]));
        assert_eq!(successor(&[0xFF, 0xFF]), None);
        assert_eq!(successor(&[]), None);
    }
}
