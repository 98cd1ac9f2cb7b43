//! [`PgEngine`]: the store's [`Engine`] on the tables of `0001_init` (issue 16), so that the
//! store's one writer runs on PostgreSQL, from several replicas on one database.
//!
//! Every sled key maps to a row of its prefix's table ([`tables`]): `get` is a primary-key
//! lookup, `remove` a `DELETE … RETURNING`, `apply` one multi-row upsert (`INSERT … SELECT
//! FROM unnest(…) ON CONFLICT … DO UPDATE`, `DO NOTHING` for the queue, which is only a key)
//! and one delete per table, all sent at once (pipelined: one round trip for a batch).
//! `range` is translated into a range of each table's primary key, read lazily in pages
//! (keyset pagination: 8 rows, then four times as many up to 256).
//!
//! # Routing and groups
//!
//! The engine is synchronous; its calls go to a worker thread with a current-thread
//! runtime of its own, as `kv.rs`'s bridge does (see there why), which serves each call in a
//! task. Calls use a pooled connection and see what is committed, except on the thread that
//! opened a group ([`Engine::begin_group`]): until [`Engine::commit_group`] its calls run on
//! one dedicated connection inside the group's transaction (READ COMMITTED,
//! `synchronous_commit` on), so the writer reads its own writes. Its writes are buffered
//! and sent with its next read (or with the `COMMIT`) in the same round trip, so that
//! writes cost no round trip of their own; a write that the database refuses (a CHECK, a
//! unique key) is reported by that read or by `commit_group`, and fails the group (foreign
//! keys are checked at `COMMIT` anyway: `0003_writer` made them deferred). The group's
//! first statement is `UPDATE ketenpoort_writer SET generation = generation + 1`: its row
//! lock serialises the groups of all replicas, and the generation says whether another
//! wrote since this engine's last group. Writes outside a group run in a transaction of
//! their own that bumps the generation too (so that other replicas see them as writes of
//! another). `reserve` is one upsert of the counter's row, where the thread's calls run.
//!
//! # Keys without a table
//!
//! `z/format`, `z/store_id` and the format-2 tripwire are the sled store's own: they are
//! not stored here. Reading one answers nothing, writing one is an error (the store's writer
//! never writes them; opening a sled store does).

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::ops::Bound;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::thread::ThreadId;

use deadpool_postgres::{Object, Pool};
use tokio::sync::mpsc;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::tables::{self, Cell, Keyed, Prefix, TableError};
use super::{PgError, PgOptions};
use crate::error::Error;
use crate::store::EventRecord;
use crate::store::engine::{Batch, Direction, Engine, Entry, GroupStart, Scan, prefix_end};

/// Rows of a scan's first page: callers often take one entry.
pub const FIRST_PAGE: usize = 8;
/// Rows of a scan's largest page.
pub const PAGE: usize = 256;

/// The store's engine on PostgreSQL. See the module docs. Dropping it stops its worker,
/// which closes its connections (an open group is rolled back).
pub struct PgEngine {
    jobs: Option<mpsc::UnboundedSender<Job>>,
    worker: Option<std::thread::JoinHandle<()>>,
    /// The thread whose calls run in the open group, if one is open.
    group: Mutex<Option<ThreadId>>,
    /// The writer generation of this engine's last group (or write); `None`: unknown.
    generation: Mutex<Option<i64>>,
    /// Pages read by scans (statements), for tests.
    pages: AtomicU64,
    /// The open group's writes not sent yet (see [`Engine::apply`] below).
    pending: Mutex<Batch>,
    /// What the open group's commit announces to the other replicas ([`super::wake`]).
    announce: Mutex<Announce>,
    /// Set when a group could not begin or commit, cleared by the next commit: what
    /// [`Engine::writable`] answers (for `/readyz`).
    failing: std::sync::atomic::AtomicBool,
}

/// What a group wrote that other replicas want to hear of: the highest event cursor and
/// whether a message was queued.
#[derive(Debug, Default, Clone, Copy)]
struct Announce {
    last_cursor: u64,
    queued: bool,
}

impl Announce {
    fn note(&mut self, batch: &Batch) {
        for (key, value) in &batch.ops {
            if value.is_none() {
                continue;
            }
            if let Some(rest) = key.strip_prefix(b"e/")
                && let Ok(be) = <[u8; 8]>::try_from(rest)
            {
                self.last_cursor = self.last_cursor.max(u64::from_be_bytes(be));
            } else if key.starts_with(b"q/") {
                self.queued = true;
            }
        }
    }

    /// The `NOTIFY` that tells the other replicas, when there is anything to tell.
    fn statement(self) -> Option<Statement> {
        (self.last_cursor > 0 || self.queued).then(|| Statement {
            // The schema goes with it: the channel is the database's, and several stores
            // (schemas) may share one database.
            sql: format!(
                "SELECT pg_notify('{}', $1::text || ' ' || coalesce(current_schema(), ''))",
                super::wake::CHANNEL
            ),
            params: vec![Param::One(Cell::Text(
                super::wake::Commit {
                    last_cursor: self.last_cursor,
                    queue_changed: self.queued,
                }
                .payload(),
            ))],
        })
    }
}

impl std::fmt::Debug for PgEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgEngine")
            .field("pages_read", &self.pages_read())
            .finish_non_exhaustive()
    }
}

/// What the worker holds: the pool, the writer's own connection, the open group.
struct Conns {
    pool: Pool,
    /// One connection, for groups.
    writer: Pool,
    group: tokio::sync::Mutex<Option<GroupConn>>,
}

/// The connection of the open group.
struct GroupConn {
    client: Object,
    /// A statement failed: the transaction is aborted and cannot commit.
    failed: bool,
}

type Job = Box<dyn FnOnce(Arc<Conns>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Where a call runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Pool,
    Group,
}

/// A statement parameter: one value or an array of them (for `unnest`).
#[derive(Debug, Clone)]
enum Param {
    One(Cell),
    Many(Vec<Cell>),
}

impl ToSql for Param {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Param::One(c) => c.to_sql(ty, out),
            Param::Many(cs) => cs.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Every statement names its parameters' types (casts); a Param is built for them.
        true
    }

    to_sql_checked!();
}

/// A statement and its parameters.
#[derive(Debug, Clone)]
struct Statement {
    sql: String,
    params: Vec<Param>,
}

fn table_error(e: TableError) -> Error {
    Error::Store(e.to_string())
}

fn stopped() -> Error {
    Error::Store("the PostgreSQL engine has stopped".into())
}

impl PgEngine {
    /// Connects as `options` say, applies the migrations ([`super::migrate::migrate`]) and
    /// reads the writer generation. Blocks the calling thread meanwhile; may be called from
    /// any context.
    pub fn connect(options: &PgOptions) -> Result<Arc<PgEngine>, Error> {
        let (jobs, receiver) = mpsc::unbounded_channel();
        let (ready, started) = std_mpsc::channel();
        let options = options.clone();
        let worker = std::thread::Builder::new()
            .name("ketenpoort-pg-engine".into())
            .spawn(move || run(options, receiver, ready))
            .map_err(|e| Error::Store(format!("cannot start the PostgreSQL engine: {e}")))?;
        match started.recv() {
            Ok(Ok(generation)) => Ok(Arc::new(PgEngine {
                jobs: Some(jobs),
                worker: Some(worker),
                group: Mutex::new(None),
                generation: Mutex::new(Some(generation)),
                pages: AtomicU64::new(0),
                pending: Mutex::new(Batch::default()),
                announce: Mutex::new(Announce::default()),
                failing: std::sync::atomic::AtomicBool::new(false),
            })),
            Ok(Err(e)) => {
                let _ = worker.join();
                Err(e)
            }
            Err(_) => {
                let _ = worker.join();
                Err(stopped())
            }
        }
    }

    /// Statements run by scans so far (one per page), for tests and benchmarks.
    pub fn pages_read(&self) -> u64 {
        self.pages.load(Ordering::Relaxed)
    }

    /// The server process id of the open group's connection (`None` outside a group): for
    /// diagnostics and tests (`pg_blocking_pids`, `pg_stat_activity`).
    pub fn group_backend_pid(&self) -> Result<Option<i32>, Error> {
        self.call(|conns| async move {
            let group = conns.group.lock().await;
            let Some(g) = group.as_ref() else {
                return Ok(None);
            };
            let row = g
                .client
                .query_one("SELECT pg_backend_pid()", &[])
                .await
                .map_err(PgError::from)?;
            Ok(Some(row.try_get(0).map_err(PgError::from)?))
        })
    }

    /// Runs `f` on the worker and waits for its answer.
    fn call<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Conns>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let (reply, answer) = std_mpsc::channel();
        let job: Job = Box::new(move |conns| {
            Box::pin(async move {
                let _ = reply.send(f(conns).await);
            })
        });
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        jobs.send(job).map_err(|_| stopped())?;
        answer.recv().unwrap_or_else(|_| Err(stopped()))
    }

    /// Where a call of the current thread runs.
    fn route(&self) -> Route {
        let me = std::thread::current().id();
        match self.group.lock() {
            Ok(g) if *g == Some(me) => Route::Group,
            _ => Route::Pool,
        }
    }

    /// Notes a generation this engine's own write produced outside a group.
    fn wrote(&self, generation: i64) {
        if let Ok(mut last) = self.generation.lock() {
            *last = match *last {
                Some(g) if g + 1 == generation => Some(generation),
                _ => None,
            };
        }
    }

    fn forget_generation(&self) {
        if let Ok(mut last) = self.generation.lock() {
            *last = None;
        }
    }

    /// The writes buffered in the open group, as statements (and the buffer emptied).
    fn take_pending(&self) -> Result<Vec<Statement>, Error> {
        let batch = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Err(Error::Internal("the group's buffer lock poisoned".into())),
        };
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        plan(batch)
    }

    /// Runs `statements` where the current thread's calls run: on a pooled connection, or
    /// in the open group after the writes it buffered (sent together, one round trip).
    /// Answers the rows of each statement.
    fn run(&self, statements: Vec<Statement>) -> Result<Vec<Vec<tokio_postgres::Row>>, Error> {
        match self.route() {
            Route::Pool => self.call(move |conns| async move {
                let client = conns.pool.get().await.map_err(PgError::from)?;
                pipeline(&client, &statements, false, false).await
            }),
            Route::Group => {
                let mut all = self.take_pending()?;
                let buffered = all.len();
                all.extend(statements);
                let mut rows = self.call(move |conns| async move {
                    let mut group = conns.group.lock().await;
                    let g = group
                        .as_mut()
                        .ok_or_else(|| Error::Store("the writer's group has ended".into()))?;
                    let result = pipeline(&g.client, &all, false, false).await;
                    if result.is_err() {
                        g.failed = true;
                    }
                    result
                })?;
                Ok(rows.split_off(buffered))
            }
        }
    }

    /// Runs writing `statements` outside a group, in a transaction of their own that also
    /// bumps the writer generation (one round trip). Answers the rows of each statement.
    fn write_alone(
        &self,
        statements: Vec<Statement>,
    ) -> Result<Vec<Vec<tokio_postgres::Row>>, Error> {
        let (generation, rows) = self.call(move |conns| async move {
            let client = conns.pool.get().await.map_err(PgError::from)?;
            let mut all = Vec::with_capacity(statements.len() + 1);
            all.push(Statement {
                sql: BUMP.into(),
                params: Vec::new(),
            });
            all.extend(statements);
            let mut rows = pipeline(&client, &all, true, true).await?;
            let bumped = rows.remove(0);
            let generation = generation_of(&bumped)?;
            Ok((generation, rows))
        })?;
        self.wrote(generation);
        Ok(rows)
    }

    /// One page of a scan (counted in [`PgEngine::pages_read`]).
    fn page(&self, statement: Statement, prefix: Prefix) -> Result<Vec<Entry>, Error> {
        self.pages.fetch_add(1, Ordering::Relaxed);
        self.read(statement, prefix)
    }

    /// Runs one reading statement and maps its rows back to sled pairs.
    fn read(&self, statement: Statement, prefix: Prefix) -> Result<Vec<Entry>, Error> {
        self.run(vec![statement])?
            .into_iter()
            .flatten()
            .map(|row| prefix.from_row(&row).map_err(table_error))
            .collect()
    }
}

impl Drop for PgEngine {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

const BUMP: &str =
    "UPDATE ketenpoort_writer SET generation = generation + 1 WHERE only_row RETURNING generation";

fn generation_of(rows: &[tokio_postgres::Row]) -> Result<i64, Error> {
    let row = rows
        .first()
        .ok_or_else(|| Error::Store("ketenpoort_writer has no row".into()))?;
    Ok(row.try_get::<_, i64>(0).map_err(PgError::from)?)
}

/// Runs `statements` on `client`, sent together (tokio-postgres pipelines the requests of
/// futures polled together; they are polled in order, so they are sent in order): one round
/// trip once each is prepared. With `begin`, after a `BEGIN`, with `commit` before a
/// `COMMIT`, both sent with them (should a statement fail, the server answers the `COMMIT`
/// with a rollback, and the error is the statement's).
/// Answers each statement's rows, or the first error.
async fn pipeline(
    client: &Object,
    statements: &[Statement],
    begin: bool,
    commit: bool,
) -> Result<Vec<Vec<tokio_postgres::Row>>, Error> {
    type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, tokio_postgres::Error>> + Send + 'a>>;
    // Prepared once per connection; the first time, all of them in one round trip.
    let prepared: Vec<Result<tokio_postgres::Statement, tokio_postgres::Error>> = ordered(
        statements
            .iter()
            .map(|s| Box::pin(client.prepare_cached(&s.sql)) as Fut<'_, _>)
            .collect(),
    )
    .await;
    let mut ready = Vec::with_capacity(prepared.len());
    for p in prepared {
        ready.push(p.map_err(PgError::from)?);
    }
    let refs: Vec<Vec<&(dyn ToSql + Sync)>> = statements
        .iter()
        .map(|s| s.params.iter().map(|p| p as &(dyn ToSql + Sync)).collect())
        .collect();
    let mut futures: Vec<Fut<'_, Vec<tokio_postgres::Row>>> = Vec::new();
    if begin {
        futures.push(Box::pin(async {
            client
                .batch_execute("BEGIN ISOLATION LEVEL READ COMMITTED")
                .await
                .map(|()| Vec::new())
        }));
    }
    for (st, params) in ready.iter().zip(&refs) {
        futures.push(Box::pin(client.query(st, params)));
    }
    if commit {
        futures.push(Box::pin(async {
            client.batch_execute("COMMIT").await.map(|()| Vec::new())
        }));
    }
    let mut results = ordered(futures).await.into_iter();
    if begin {
        results.next().transpose().map_err(PgError::from)?;
    }
    let mut out = Vec::with_capacity(statements.len() + 1);
    for r in results {
        out.push(r.map_err(PgError::from)?);
    }
    if commit {
        // The COMMIT's (empty) answer.
        out.pop();
    }
    Ok(out)
}

/// Awaits all `futures`, polled together and always in index order.
async fn ordered<'a, T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>) -> Vec<T> {
    let mut results: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, r) in futures.iter_mut().zip(results.iter_mut()) {
            if r.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *r = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

// === the worker ===

fn run(
    options: PgOptions,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    ready: std_mpsc::Sender<Result<i64, Error>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(Error::Store(format!(
                "cannot start a runtime for PostgreSQL: {e}"
            ))));
            return;
        }
    };
    runtime.block_on(async move {
        let conns = match open(&options).await {
            Ok((conns, generation)) => {
                if ready.send(Ok(generation)).is_err() {
                    return;
                }
                Arc::new(conns)
            }
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let mut tasks = tokio::task::JoinSet::new();
        while let Some(job) = jobs.recv().await {
            tasks.spawn(job(conns.clone()));
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        // An open group's connection closes here: the server rolls its transaction back.
        drop(conns.group.lock().await.take());
        conns.pool.close();
        conns.writer.close();
    });
}

async fn open(options: &PgOptions) -> Result<(Conns, i64), Error> {
    let pool = super::connect(options).await?;
    {
        let mut client = pool.get().await.map_err(PgError::from)?;
        super::migrate::migrate(&mut client).await?;
    }
    let writer = super::connect(&PgOptions {
        pool_size: 1,
        ..options.clone()
    })
    .await?;
    let client = pool.get().await.map_err(PgError::from)?;
    let row = client
        .query_one(
            "SELECT generation FROM ketenpoort_writer WHERE only_row",
            &[],
        )
        .await
        .map_err(PgError::from)?;
    let generation: i64 = row.try_get(0).map_err(PgError::from)?;
    drop(client);
    Ok((
        Conns {
            pool,
            writer,
            group: tokio::sync::Mutex::new(None),
        },
        generation,
    ))
}

/// Opens a group on the writer's connection: BEGIN, and the generation's bump (which
/// waits for any other replica's open group). Answers the new generation.
async fn begin(conns: &Conns) -> Result<i64, Error> {
    let mut group = conns.group.lock().await;
    if let Some(old) = group.take() {
        tracing::warn!("a writer group was begun while another was open: rolled back");
        if old.client.batch_execute("ROLLBACK").await.is_err() {
            drop(Object::take(old.client));
        }
    }
    let client = conns.writer.get().await.map_err(PgError::from)?;
    let begun = async {
        client
            .batch_execute(
                "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit TO on",
            )
            .await?;
        let statement = client.prepare_cached(BUMP).await?;
        client.query(&statement, &[]).await
    }
    .await;
    match begun {
        Ok(rows) => {
            let generation = generation_of(&rows)?;
            *group = Some(GroupConn {
                client,
                failed: false,
            });
            Ok(generation)
        }
        Err(e) => {
            // Not back into the pool in an unknown state.
            drop(Object::take(client));
            Err(PgError::from(e).into())
        }
    }
}

/// Commits the open group, sending its buffered writes (`pending`) with the `COMMIT`; on
/// failure rolls it back and answers why.
async fn commit(conns: &Conns, pending: Vec<Statement>) -> Result<(), Error> {
    let Some(g) = conns.group.lock().await.take() else {
        return Err(Error::Store("no writer group is open".into()));
    };
    if g.failed {
        if g.client.batch_execute("ROLLBACK").await.is_err() {
            drop(Object::take(g.client));
        }
        return Err(Error::Store(
            "a statement of the writer's group failed: the group was rolled back".into(),
        ));
    }
    match pipeline(&g.client, &pending, false, true).await {
        Ok(_) => Ok(()),
        Err(e) => {
            // A failed statement or COMMIT (a deferred foreign key, a lost connection) has
            // ended the transaction; the connection is not reused all the same.
            let _ = g.client.batch_execute("ROLLBACK").await;
            drop(Object::take(g.client));
            Err(e)
        }
    }
}

// === writes ===

/// The statements of `batch`: per table one upsert of the rows it sets and one delete of the
/// keys it removes (a key written twice counts with its last write), the event head moved
/// up to the highest cursor written.
fn plan(batch: Batch) -> Result<Vec<Statement>, Error> {
    let mut last: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
    for (k, v) in batch.ops {
        last.insert(k, v);
    }
    let mut sets: BTreeMap<Prefix, Vec<Vec<Cell>>> = BTreeMap::new();
    let mut removes: BTreeMap<Prefix, Vec<Vec<Cell>>> = BTreeMap::new();
    // Events' AGB codes (for their tenant) and the tenants of the messages written here.
    let mut event_agbs: Vec<Cell> = Vec::new();
    let mut tenants: BTreeMap<i64, String> = BTreeMap::new();
    for (key, value) in &last {
        let prefix = match tables::classify(key).map_err(table_error)? {
            Keyed::Table(p) => p,
            Keyed::NoTable(which) => {
                if value.is_none() {
                    continue;
                }
                return Err(Error::Store(format!(
                    "the sled store's own key {which:?} has no table: the PostgreSQL engine \
                     does not store it"
                )));
            }
        };
        match value {
            Some(value) => {
                let row = prefix.to_row(key, value).map_err(table_error)?;
                if prefix == Prefix::Messages
                    && let (Some(Cell::Int8(id)), Some(Cell::Text(tenant))) =
                        (row.first(), row.get(1))
                    && !tenant.is_empty()
                {
                    tenants.insert(*id, tenant.clone());
                }
                if prefix == Prefix::Events {
                    let e: EventRecord = serde_json::from_slice(value)
                        .map_err(|_| Error::Store("an e/ value is no event record".into()))?;
                    event_agbs.push(Cell::Text(e.agb));
                }
                sets.entry(prefix).or_default().push(row);
            }
            None => {
                // A key no row can have is not stored: nothing to remove.
                if let Ok(cells) = prefix.key_cells(key) {
                    removes.entry(prefix).or_default().push(cells);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (prefix, rows) in sets {
        let columns = prefix.columns();
        let mut arrays: Vec<Vec<Cell>> = columns
            .iter()
            .map(|_| Vec::with_capacity(rows.len()))
            .collect();
        let mut max_cursor = 0i64;
        for row in rows {
            for (array, cell) in arrays.iter_mut().zip(row) {
                array.push(cell);
            }
        }
        if prefix == Prefix::Events {
            // The tenant: the message's (written here, else stored), else the one tenant
            // whose messages have the event's AGB code (as `ketenpoort migrate` fills it).
            let cursors = &arrays[0];
            for c in cursors {
                if let Cell::Int8(c) = c {
                    max_cursor = max_cursor.max(*c);
                }
            }
            let from_batch: Vec<Cell> = arrays[2]
                .iter()
                .map(|m| match m {
                    Cell::Int8(id) => tenants
                        .get(id)
                        .map_or(Cell::Null, |t| Cell::Text(t.clone())),
                    _ => Cell::Null,
                })
                .collect();
            arrays[1] = from_batch;
            let mut params: Vec<Param> = arrays.into_iter().map(Param::Many).collect();
            params.push(Param::Many(std::mem::take(&mut event_agbs)));
            out.push(Statement {
                sql: "INSERT INTO ketenpoort_events (cursor, tenant, message_id, payload) \
                      SELECT u.c, COALESCE(u.t, \
                        (SELECT m.tenant FROM ketenpoort_messages m \
                          WHERE m.id = u.m AND m.tenant <> ''), \
                        (SELECT min(m.tenant) FROM ketenpoort_messages m \
                          WHERE m.agb = u.a AND m.tenant <> '' \
                          HAVING count(DISTINCT m.tenant) = 1), ''), u.m, u.p \
                      FROM unnest($1::int8[], $2::text[], $3::int8[], $4::bytea[], $5::text[]) \
                        AS u(c, t, m, p, a) \
                      ON CONFLICT (cursor) DO UPDATE SET tenant = excluded.tenant, \
                        message_id = excluded.message_id, payload = excluded.payload"
                    .into(),
                params,
            });
            out.push(Statement {
                sql: "UPDATE ketenpoort_event_head SET last_cursor = \
                      GREATEST(last_cursor, $1::int8) WHERE only_row"
                    .into(),
                params: vec![Param::One(Cell::Int8(max_cursor))],
            });
            continue;
        }
        let types = prefix.types();
        let unnest: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(i, t)| format!("${}::{}[]", i + 1, t.name()))
            .collect();
        let key = prefix.key_columns();
        let rest: Vec<String> = columns[key.len()..]
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let conflict = if rest.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            format!("DO UPDATE SET {}", rest.join(", "))
        };
        out.push(Statement {
            sql: format!(
                "INSERT INTO {} ({}) SELECT * FROM unnest({}) ON CONFLICT ({}) {}",
                prefix.table(),
                columns.join(", "),
                unnest.join(", "),
                key.join(", "),
                conflict
            ),
            params: arrays.into_iter().map(Param::Many).collect(),
        });
    }
    for (prefix, keys) in removes {
        let key = prefix.key_columns();
        let types = prefix.key_types();
        let mut arrays: Vec<Vec<Cell>> =
            key.iter().map(|_| Vec::with_capacity(keys.len())).collect();
        for cells in keys {
            for (array, cell) in arrays.iter_mut().zip(cells) {
                array.push(cell);
            }
        }
        let unnest: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(i, t)| format!("${}::{}[]", i + 1, t.name()))
            .collect();
        out.push(Statement {
            sql: format!(
                "DELETE FROM {} WHERE ({}) IN (SELECT * FROM unnest({}))",
                prefix.table(),
                key.join(", "),
                unnest.join(", ")
            ),
            params: arrays.into_iter().map(Param::Many).collect(),
        });
    }
    Ok(out)
}

/// `WHERE` over the key columns of `prefix` equal to `cells`, parameters from `$1`.
fn key_equals(prefix: Prefix) -> String {
    prefix
        .key_columns()
        .iter()
        .zip(prefix.key_types())
        .enumerate()
        .map(|(i, (c, t))| format!("{c} = ${}::{}", i + 1, t.name()))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The table and primary-key cells of `key`; `None` for a key no row can have: one of the
/// sled store's own keys (no table), or one `key_cells` cannot split (not stored, then).
fn row_key(key: &[u8]) -> Result<Option<(Prefix, Vec<Cell>)>, Error> {
    let prefix = match tables::classify(key).map_err(table_error)? {
        Keyed::Table(p) => p,
        Keyed::NoTable(_) => return Ok(None),
    };
    Ok(prefix.key_cells(key).ok().map(|cells| (prefix, cells)))
}

impl Engine for PgEngine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let Some((prefix, cells)) = row_key(key)? else {
            return Ok(None);
        };
        let statement = Statement {
            sql: format!(
                "SELECT {} FROM {} WHERE {}",
                prefix.columns().join(", "),
                prefix.table(),
                key_equals(prefix)
            ),
            params: cells.into_iter().map(Param::One).collect(),
        };
        Ok(self.read(statement, prefix)?.pop().map(|(_, v)| v))
    }

    fn get_many(&self, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, Error> {
        // One statement per table (`WHERE key IN (…)`), all in one round trip.
        let mut by_table: BTreeMap<Prefix, Vec<Vec<Cell>>> = BTreeMap::new();
        for key in keys {
            if let Some((p, cells)) = row_key(key)? {
                by_table.entry(p).or_default().push(cells);
            }
        }
        let prefixes: Vec<Prefix> = by_table.keys().copied().collect();
        let statements: Vec<Statement> = by_table
            .into_iter()
            .map(|(prefix, rows)| {
                let key = prefix.key_columns();
                let mut arrays: Vec<Vec<Cell>> =
                    key.iter().map(|_| Vec::with_capacity(rows.len())).collect();
                for cells in rows {
                    for (array, cell) in arrays.iter_mut().zip(cells) {
                        array.push(cell);
                    }
                }
                let unnest: Vec<String> = prefix
                    .key_types()
                    .iter()
                    .enumerate()
                    .map(|(i, t)| format!("${}::{}[]", i + 1, t.name()))
                    .collect();
                Statement {
                    sql: format!(
                        "SELECT {} FROM {} WHERE ({}) IN (SELECT * FROM unnest({}))",
                        prefix.columns().join(", "),
                        prefix.table(),
                        key.join(", "),
                        unnest.join(", ")
                    ),
                    params: arrays.into_iter().map(Param::Many).collect(),
                }
            })
            .collect();
        let mut found: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        if !statements.is_empty() {
            for (prefix, rows) in prefixes.into_iter().zip(self.run(statements)?) {
                for row in rows {
                    let (k, v) = prefix.from_row(&row).map_err(table_error)?;
                    found.insert(k, v);
                }
            }
        }
        Ok(keys.iter().map(|k| found.get(*k).cloned()).collect())
    }

    fn contains_key(&self, key: &[u8]) -> Result<bool, Error> {
        let Some((prefix, cells)) = row_key(key)? else {
            return Ok(false);
        };
        // Only whether the row is there: its record is neither sent nor decoded.
        let statement = Statement {
            sql: format!(
                "SELECT true FROM {} WHERE {}",
                prefix.table(),
                key_equals(prefix)
            ),
            params: cells.into_iter().map(Param::One).collect(),
        };
        Ok(self
            .run(vec![statement])?
            .into_iter()
            .flatten()
            .next()
            .is_some())
    }

    fn range(&self, lower: Bound<&[u8]>, upper: Bound<&[u8]>, direction: Direction) -> Scan<'_> {
        let lower = lower.map(<[u8]>::to_vec);
        let upper = upper.map(<[u8]>::to_vec);
        match segments(&lower, &upper, direction) {
            Ok(segments) => Box::new(PgScan {
                engine: self,
                segments,
                direction,
                size: FIRST_PAGE,
                page: VecDeque::new(),
                failed: false,
            }),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let Some((prefix, cells)) = row_key(key)? else {
            return Ok(None);
        };
        let statement = Statement {
            sql: format!(
                "DELETE FROM {} WHERE {} RETURNING {}",
                prefix.table(),
                key_equals(prefix),
                prefix.columns().join(", ")
            ),
            params: cells.into_iter().map(Param::One).collect(),
        };
        let rows = match self.route() {
            Route::Group => self.run(vec![statement])?,
            Route::Pool => self.write_alone(vec![statement])?,
        };
        match rows.into_iter().flatten().next() {
            Some(row) => Ok(Some(prefix.from_row(&row).map_err(table_error)?.1)),
            None => Ok(None),
        }
    }

    fn apply(&self, batch: Batch) -> Result<(), Error> {
        if self.route() == Route::Group {
            // Buffered until the group's next read or its commit, which send it with them;
            // mapped now, so that a key or value without a row is refused here.
            plan(batch.clone())?;
            if let Ok(mut a) = self.announce.lock() {
                a.note(&batch);
            }
            let mut pending = self
                .pending
                .lock()
                .map_err(|_| Error::Internal("the group's buffer lock poisoned".into()))?;
            pending.ops.extend(batch.ops);
            return Ok(());
        }
        let statements = plan(batch)?;
        if statements.is_empty() {
            return Ok(());
        }
        self.write_alone(statements).map(|_| ())
    }

    fn begin_group(&self) -> Result<GroupStart, Error> {
        let me = std::thread::current().id();
        if let Ok(mut g) = self.group.lock() {
            *g = None;
        }
        if let Ok(mut pending) = self.pending.lock() {
            *pending = Batch::default();
        }
        if let Ok(mut a) = self.announce.lock() {
            *a = Announce::default();
        }
        let generation = match self.call(|conns| async move { begin(&conns).await }) {
            Ok(g) => g,
            Err(e) => {
                self.forget_generation();
                self.failing.store(true, Ordering::Relaxed);
                return Err(e);
            }
        };
        if let Ok(mut g) = self.group.lock() {
            *g = Some(me);
        }
        let mut last = self
            .generation
            .lock()
            .map_err(|_| Error::Internal("writer generation lock poisoned".into()))?;
        let alone = *last == Some(generation - 1);
        *last = Some(generation);
        Ok(if alone {
            GroupStart::Alone
        } else {
            GroupStart::OthersWrote
        })
    }

    fn commit_group(&self) -> Result<(), Error> {
        let announce = self
            .announce
            .lock()
            .map(|mut a| std::mem::take(&mut *a).statement())
            .unwrap_or_default();
        let pending = self.take_pending().map(|mut p| {
            // Delivered by PostgreSQL at the commit, and not at all on a rollback.
            p.extend(announce);
            p
        });
        if let Ok(mut g) = self.group.lock() {
            *g = None;
        }
        let result = pending
            .and_then(|pending| self.call(|conns| async move { commit(&conns, pending).await }));
        if result.is_err() {
            self.forget_generation();
        }
        self.failing.store(result.is_err(), Ordering::Relaxed);
        result
    }

    fn writable(&self) -> Result<(), String> {
        if self.failing.load(Ordering::Relaxed) {
            Err(
                "the last write to PostgreSQL failed (see the log); not ready until one succeeds"
                    .into(),
            )
        } else {
            Ok(())
        }
    }

    fn flush(&self) -> Result<(), Error> {
        // Outside a group every write was committed when it returned.
        Ok(())
    }

    fn shared(&self) -> bool {
        true
    }

    fn queue_depth(&self) -> Option<Result<u64, Error>> {
        // The queue holds what waits for VECOZO: a small table, counted on its key.
        let statement = Statement {
            sql: "SELECT count(*) FROM ketenpoort_queue".into(),
            params: Vec::new(),
        };
        let counted = self.run(vec![statement]).and_then(|rows| {
            let row = rows
                .into_iter()
                .flatten()
                .next()
                .ok_or_else(|| Error::Store("counting the queue answered no row".into()))?;
            let n: i64 = row.try_get(0).map_err(PgError::from)?;
            Ok(u64::try_from(n).unwrap_or(0))
        });
        Some(counted)
    }

    fn reserve(&self, counter: &str) -> Result<Option<u64>, Error> {
        let statement = Statement {
            sql: "INSERT INTO ketenpoort_counters (name, value) VALUES ($1::text, 1) \
                  ON CONFLICT (name) DO UPDATE SET value = ketenpoort_counters.value + 1 \
                  RETURNING value"
                .into(),
            params: vec![Param::One(Cell::Text(counter.to_owned()))],
        };
        let rows = self.run(vec![statement])?;
        let row = rows
            .into_iter()
            .flatten()
            .next()
            .ok_or_else(|| Error::Store("reserving a counter answered no row".into()))?;
        let value: i64 = row.try_get(0).map_err(PgError::from)?;
        u64::try_from(value)
            .map(Some)
            .map_err(|_| Error::Store("a counter below zero".into()))
    }
}

// === ranges ===

type Owned = Bound<Vec<u8>>;

/// The part of a range that lies in one table.
#[derive(Debug, Clone)]
struct Segment {
    prefix: Prefix,
    lower: Owned,
    upper: Owned,
}

fn bound_key(b: &Owned) -> Option<(&[u8], bool)> {
    match b {
        Bound::Included(k) => Some((k, false)),
        Bound::Excluded(k) => Some((k, true)),
        Bound::Unbounded => None,
    }
}

/// The tighter of two lower bounds.
fn max_lower(a: Owned, b: Owned) -> Owned {
    match (bound_key(&a), bound_key(&b)) {
        (None, _) => b,
        (_, None) => a,
        (Some((ka, ea)), Some((kb, eb))) => match ka.cmp(kb) {
            std::cmp::Ordering::Less => b,
            std::cmp::Ordering::Greater => a,
            std::cmp::Ordering::Equal => {
                if ea || !eb {
                    a
                } else {
                    b
                }
            }
        },
    }
}

/// The tighter of two upper bounds.
fn min_upper(a: Owned, b: Owned) -> Owned {
    match (bound_key(&a), bound_key(&b)) {
        (None, _) => b,
        (_, None) => a,
        (Some((ka, ea)), Some((kb, eb))) => match ka.cmp(kb) {
            std::cmp::Ordering::Less => a,
            std::cmp::Ordering::Greater => b,
            std::cmp::Ordering::Equal => {
                if ea || !eb {
                    a
                } else {
                    b
                }
            }
        },
    }
}

fn is_empty(lower: &Owned, upper: &Owned) -> bool {
    match (bound_key(lower), bound_key(upper)) {
        (None, _) | (_, None) => false,
        (Some((l, false)), Some((u, false))) => l > u,
        (Some((l, _)), Some((u, _))) => l >= u,
    }
}

/// The tables a range touches, in `direction`'s order, each with the range clipped to its
/// keys; an error when a bound cannot be expressed on a table's key.
fn segments(
    lower: &Owned,
    upper: &Owned,
    direction: Direction,
) -> Result<VecDeque<Segment>, Error> {
    let mut prefixes = Prefix::ALL.to_vec();
    prefixes.sort_by_key(|p| p.key_prefix());
    let mut out = VecDeque::new();
    for prefix in prefixes {
        let p = prefix.key_prefix();
        let seg_lower = max_lower(lower.clone(), Bound::Included(p.to_vec()));
        let seg_upper = min_upper(
            upper.clone(),
            prefix_end(p).map_or(Bound::Unbounded, Bound::Excluded),
        );
        if is_empty(&seg_lower, &seg_upper) {
            continue;
        }
        let segment = Segment {
            prefix,
            lower: seg_lower,
            upper: seg_upper,
        };
        // Checked now: a range the mapping cannot express fails before any row is read.
        select(&segment, direction, FIRST_PAGE)?;
        match direction {
            Direction::Forward => out.push_back(segment),
            Direction::Reverse => out.push_front(segment),
        }
    }
    Ok(out)
}

/// A condition on a table's key.
enum Cond {
    /// Every row.
    All,
    /// No row.
    Nothing,
    /// `expression op (params)`.
    Op(String, Vec<Cell>),
}

/// A bound of fixed-length keys (`n` bytes after the prefix), normalised to a key of that
/// length: the keys of the table that are in the original bound are the ones in this one.
fn fixed(bound: &Owned, n: usize, lower: bool) -> Bound<Vec<u8>> {
    let pad = |r: &[u8]| {
        let mut k = r.to_vec();
        k.resize(n, 0);
        k
    };
    match bound {
        Bound::Unbounded => Bound::Unbounded,
        Bound::Included(r) | Bound::Excluded(r) if r.len() < n => {
            // Every n-byte key that starts with r is above r: compare with r padded.
            if lower {
                Bound::Included(pad(r))
            } else {
                Bound::Excluded(pad(r))
            }
        }
        Bound::Included(r) if r.len() == n => Bound::Included(r.clone()),
        Bound::Excluded(r) if r.len() == n => Bound::Excluded(r.clone()),
        // Longer than a key: the key equal to its first n bytes is below it.
        Bound::Included(r) | Bound::Excluded(r) => {
            if lower {
                Bound::Excluded(r[..n].to_vec())
            } else {
                Bound::Included(r[..n].to_vec())
            }
        }
    }
}

fn be_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

/// The operator of a bound.
fn op(lower: bool, excluded: bool) -> &'static str {
    match (lower, excluded) {
        (true, false) => ">=",
        (true, true) => ">",
        (false, false) => "<=",
        (false, true) => "<",
    }
}

/// A bound (the part after the prefix) as a condition on `prefix`'s key.
fn cond(prefix: Prefix, rest: &Owned, lower: bool) -> Result<Cond, Error> {
    let untranslatable = |why: &str| {
        Error::Store(format!(
            "a range of {} ({}) that the table's key cannot express: {why}",
            prefix.name(),
            prefix.table()
        ))
    };
    let text = |b: &[u8]| -> Result<String, Error> {
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| untranslatable("a bound that is not UTF-8"))
    };
    let Some((r, excluded)) = bound_key(rest) else {
        return Ok(Cond::All);
    };
    let o = op(lower, excluded);
    Ok(match prefix {
        Prefix::Messages
        | Prefix::MessageXml
        | Prefix::Quarantine
        | Prefix::Events
        | Prefix::Queue
        | Prefix::Outbox
        | Prefix::Follows
        | Prefix::Received
        | Prefix::AccessLog => {
            let column = prefix.key_columns()[0];
            let (v, excluded) = match fixed(rest, 8, lower) {
                Bound::Included(k) => (be_u64(&k), false),
                Bound::Excluded(k) => (be_u64(&k), true),
                Bound::Unbounded => return Ok(Cond::All),
            };
            match i64::try_from(v) {
                Ok(v) if !(lower && excluded && v == i64::MAX) => Cond::Op(
                    format!("{column} {} $", op(lower, excluded)),
                    vec![Cell::Int8(v)],
                ),
                // Above every bigint: no row above it, every row below it.
                _ if lower => Cond::Nothing,
                _ => Cond::All,
            }
        }
        Prefix::Expectations => {
            let (k, excluded) = match fixed(rest, 12, lower) {
                Bound::Included(k) => (k, false),
                Bound::Excluded(k) => (k, true),
                Bound::Unbounded => return Ok(Cond::All),
            };
            let id = be_u64(&k);
            let idx = u32::from_be_bytes([k[8], k[9], k[10], k[11]]);
            let Ok(id) = i64::try_from(id) else {
                return Ok(if lower { Cond::Nothing } else { Cond::All });
            };
            let (idx, excluded) = match i32::try_from(idx) {
                Ok(i) => (i, excluded),
                // No index above integer's range: the bound sits above the id's last one.
                Err(_) => (i32::MAX, lower),
            };
            Cond::Op(
                format!("(message_id, idx) {} ($, $)", op(lower, excluded)),
                vec![Cell::Int8(id), Cell::Int4(idx)],
            )
        }
        Prefix::Traces => {
            let (k, excluded) = match fixed(rest, 16, lower) {
                Bound::Included(k) => (k, false),
                Bound::Excluded(k) => (k, true),
                Bound::Unbounded => return Ok(Cond::All),
            };
            let id = uuid::Uuid::from_slice(&k).map_err(|_| untranslatable("not 16 bytes"))?;
            Cond::Op(
                format!("traceer_id {} $", op(lower, excluded)),
                vec![Cell::Uuid(id)],
            )
        }
        Prefix::Duties | Prefix::History => {
            // The whole sled key is the column: the bound as it is.
            let mut key = prefix.key_prefix().to_vec();
            key.extend_from_slice(r);
            Cond::Op(format!("key {o} $"), vec![Cell::Bytes(key)])
        }
        Prefix::Counters | Prefix::Acks | Prefix::Leases => {
            let column = prefix.key_columns()[0];
            let (t, o) = text_op(r, lower, excluded);
            Cond::Op(
                format!("{column} COLLATE \"C\" {o} $"),
                vec![Cell::Text(text(t)?)],
            )
        }
        Prefix::DeclarationNumbers => {
            let (t, o) = text_op(r, lower, excluded);
            Cond::Op(
                format!("(agb || '/' || number) COLLATE \"C\" {o} $"),
                vec![Cell::Text(text(t)?)],
            )
        }
        Prefix::RequestIds => match r.iter().position(|b| *b == 0) {
            // tenant \0 request_id against a bound without NUL: only the tenant counts
            // (a key whose tenant equals the bound is longer than it, hence above it).
            None => {
                let o = if lower { ">=" } else { "<" };
                Cond::Op(
                    format!("tenant COLLATE \"C\" {o} $"),
                    vec![Cell::Text(text(r)?)],
                )
            }
            // The NUL sorts below every byte of a tenant: (tenant, request_id) in order.
            Some(nul) => {
                let (request_id, o) = text_op(&r[nul + 1..], lower, excluded);
                Cond::Op(
                    format!("(tenant COLLATE \"C\", request_id COLLATE \"C\") {o} ($, $)"),
                    vec![Cell::Text(text(&r[..nul])?), Cell::Text(text(request_id)?)],
                )
            }
        },
    })
}

/// A bound on a text key (no key holds a NUL byte): a bound with a NUL is cut before it,
/// and a key that starts with what is left is above the bound, the one equal to it below.
fn text_op(r: &[u8], lower: bool, excluded: bool) -> (&[u8], &'static str) {
    match r.iter().position(|b| *b == 0) {
        Some(nul) => (&r[..nul], if lower { ">" } else { "<=" }),
        None => (r, op(lower, excluded)),
    }
}

/// `ORDER BY` of `prefix`'s key in sled's order.
fn order(prefix: Prefix, direction: Direction) -> String {
    let d = match direction {
        Direction::Forward => "",
        Direction::Reverse => " DESC",
    };
    let columns: Vec<String> = match prefix {
        Prefix::Counters | Prefix::Acks | Prefix::Leases | Prefix::RequestIds => prefix
            .key_columns()
            .iter()
            .map(|c| format!("{c} COLLATE \"C\"{d}"))
            .collect(),
        Prefix::DeclarationNumbers => vec![format!("(agb || '/' || number) COLLATE \"C\"{d}")],
        _ => prefix
            .key_columns()
            .iter()
            .map(|c| format!("{c}{d}"))
            .collect(),
    };
    columns.join(", ")
}

/// The part of a bound after the prefix; an upper bound at the prefix's end is none.
fn rest(prefix: Prefix, bound: &Owned, lower: bool) -> Result<Owned, Error> {
    let p = prefix.key_prefix();
    if !lower
        && let Some(end) = prefix_end(p)
        && *bound == Bound::Excluded(end)
    {
        return Ok(Bound::Unbounded);
    }
    let strip = |k: &Vec<u8>| {
        k.strip_prefix(p).map(<[u8]>::to_vec).ok_or_else(|| {
            Error::Internal(format!(
                "a range bound outside the {} segment",
                prefix.name()
            ))
        })
    };
    Ok(match bound {
        Bound::Included(k) => Bound::Included(strip(k)?),
        Bound::Excluded(k) => Bound::Excluded(strip(k)?),
        Bound::Unbounded => Bound::Unbounded,
    })
}

/// The statement reading `limit` rows of `segment` in `direction`; `None` when it has none.
fn select(
    segment: &Segment,
    direction: Direction,
    limit: usize,
) -> Result<Option<Statement>, Error> {
    let prefix = segment.prefix;
    let mut wheres = Vec::new();
    let mut params = Vec::new();
    for (bound, lower) in [(&segment.lower, true), (&segment.upper, false)] {
        match cond(prefix, &rest(prefix, bound, lower)?, lower)? {
            Cond::All => {}
            Cond::Nothing => return Ok(None),
            Cond::Op(sql, cells) => {
                // Number the placeholders `$` in order.
                let mut numbered = String::with_capacity(sql.len() + 4);
                for ch in sql.chars() {
                    numbered.push(ch);
                    if ch == '$' {
                        params.push(Param::One(Cell::Null));
                        numbered.push_str(&params.len().to_string());
                    }
                }
                let n = params.len();
                for (slot, cell) in params[n - cells.len()..].iter_mut().zip(cells) {
                    *slot = Param::One(cell);
                }
                wheres.push(numbered);
            }
        }
    }
    params.push(Param::One(Cell::Int8(
        i64::try_from(limit).unwrap_or(i64::MAX),
    )));
    let where_sql = if wheres.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wheres.join(" AND "))
    };
    Ok(Some(Statement {
        sql: format!(
            "SELECT {} FROM {}{} ORDER BY {} LIMIT ${}::int8",
            prefix.columns().join(", "),
            prefix.table(),
            where_sql,
            order(prefix, direction),
            params.len()
        ),
        params,
    }))
}

/// A range read lazily, a page at a time, table after table.
struct PgScan<'e> {
    engine: &'e PgEngine,
    segments: VecDeque<Segment>,
    direction: Direction,
    size: usize,
    page: VecDeque<Entry>,
    failed: bool,
}

impl PgScan<'_> {
    /// Reads the next page into `self.page`; false when nothing is left.
    fn fill(&mut self) -> Result<bool, Error> {
        while self.page.is_empty() {
            let Some(segment) = self.segments.front_mut() else {
                return Ok(false);
            };
            let size = self.size;
            let Some(statement) = select(segment, self.direction, size)? else {
                self.segments.pop_front();
                continue;
            };
            let rows = self.engine.page(statement, segment.prefix)?;
            self.size = size.saturating_mul(4).min(PAGE);
            if rows.len() < size {
                self.segments.pop_front();
            } else if let Some((last, _)) = rows.last() {
                match self.direction {
                    Direction::Forward => segment.lower = Bound::Excluded(last.clone()),
                    Direction::Reverse => segment.upper = Bound::Excluded(last.clone()),
                }
            }
            self.page = rows.into();
        }
        Ok(true)
    }
}

impl Iterator for PgScan<'_> {
    type Item = Result<Entry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.fill() {
            Ok(true) => self.page.pop_front().map(Ok),
            Ok(false) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(prefix: Prefix, lower: Owned, upper: Owned) -> Segment {
        Segment {
            prefix,
            lower,
            upper,
        }
    }

    #[test]
    fn a_range_is_cut_into_the_tables_it_touches_in_order() {
        let all =
            segments(&Bound::Unbounded, &Bound::Unbounded, Direction::Forward).expect("segments");
        let names: Vec<&str> = all.iter().map(|s| s.prefix.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), Prefix::ALL.len());
        let q = segments(
            &Bound::Included(b"q/\0\0\0\0\0\0\0\x05".to_vec()),
            &Bound::Unbounded,
            Direction::Reverse,
        )
        .expect("segments");
        let names: Vec<&str> = q.iter().map(|s| s.prefix.name()).collect();
        assert_eq!(names, ["x/", "w/", "v/", "t/", "r/", "q/"]);
        let none = segments(
            &Bound::Included(b"m/1".to_vec()),
            &Bound::Excluded(b"m/1".to_vec()),
            Direction::Forward,
        )
        .expect("segments");
        assert!(none.is_empty());
    }

    #[test]
    fn fixed_length_bounds_keep_exactly_the_keys_they_admit() {
        // Against every 2-byte key over a few bytes, bounds of 0 to 3 bytes.
        let bytes = [0u8, 1, 0x7f, 0xff];
        let keys: Vec<Vec<u8>> = bytes
            .iter()
            .flat_map(|a| bytes.iter().map(move |b| vec![*a, *b]))
            .collect();
        let mut bounds: Vec<Vec<u8>> = vec![Vec::new()];
        for k in &keys {
            bounds.push(vec![k[0]]);
            bounds.push(k.clone());
            let mut longer = k.clone();
            longer.push(0);
            bounds.push(longer);
        }
        for b in &bounds {
            for lower in [true, false] {
                for original in [Bound::Included(b.clone()), Bound::Excluded(b.clone())] {
                    let normal = fixed(&original, 2, lower);
                    for k in &keys {
                        let inside = |bound: &Bound<Vec<u8>>| match (bound, lower) {
                            (Bound::Unbounded, _) => true,
                            (Bound::Included(x), true) => k >= x,
                            (Bound::Excluded(x), true) => k > x,
                            (Bound::Included(x), false) => k <= x,
                            (Bound::Excluded(x), false) => k < x,
                        };
                        assert_eq!(
                            inside(&original),
                            inside(&normal),
                            "key {k:?} bound {original:?} lower {lower}: {normal:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn an_untranslatable_text_bound_is_an_error_naming_the_prefix() {
        let e = select(
            &seg(
                Prefix::Counters,
                Bound::Included(b"c/\xff\xfe".to_vec()),
                Bound::Excluded(b"c0".to_vec()),
            ),
            Direction::Forward,
            8,
        )
        .expect_err("not UTF-8");
        assert!(e.to_string().contains("c/"), "{e}");
    }

    #[test]
    fn a_statement_numbers_its_placeholders() {
        let s = select(
            &seg(
                Prefix::Expectations,
                Bound::Included(b"w/\0\0\0\0\0\0\0\x07".to_vec()),
                Bound::Excluded(b"w/\0\0\0\0\0\0\0\x08".to_vec()),
            ),
            Direction::Reverse,
            8,
        )
        .expect("translates")
        .expect("not empty");
        assert_eq!(
            s.sql,
            "SELECT message_id, idx, record FROM ketenpoort_expectations WHERE (message_id, idx) \
             >= ($1, $2) AND (message_id, idx) < ($3, $4) ORDER BY message_id DESC, idx DESC \
             LIMIT $5::int8"
        );
        assert_eq!(s.params.len(), 5);
    }
}
