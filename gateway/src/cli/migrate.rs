//! `ketenpoort migrate --from <sled data dir> --to <postgres url>` and back: copies a store
//! between the sled store and PostgreSQL through the mapping of
//! [`crate::store::postgres::tables`], then verifies it.
//!
//! - The sled store is opened offline as `backup`/`export` do: sled's lock refuses a store
//!   in use. A PostgreSQL source is read in one `REPEATABLE READ READ ONLY` transaction (one
//!   snapshot); stop every gateway on it first.
//! - The migrations are applied to a PostgreSQL target ([`migrate`]); a PostgreSQL source
//!   must be at this binary's schema version.
//! - A non-empty target is refused before anything is written: any row in a table of
//!   [`Prefix::ALL`] or an event head above 0; a sled store with any key that has a table.
//! - PostgreSQL target: one transaction, a `COPY … (FORMAT binary)` per table; the event
//!   head is set to the highest cursor. It is verified *inside* that transaction and
//!   committed only when everything matches, so a failed run leaves the target empty.
//!   sled target: batches of 10,000 records, flushed, then read back; a failed copy removes
//!   what it wrote, so the target is left as empty as it was.
//! - Verification, per prefix: the count and a SHA-256 over the (key, value) pairs as sled
//!   bytes, sorted by key, from the source (sled values as they come back through the
//!   table: [`Prefix::canonical`]) and read back from the target. Printed as a table on
//!   stdout; exit code 1 on any mismatch.
//!
//! Nothing printed names a key or value: only prefixes, tables, counts and checksums.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use tokio_postgres::types::ToSql;
use tokio_stream::StreamExt;

use crate::error::Error;
use crate::store::EventRecord;
use crate::store::open::{self, Create};
use crate::store::postgres::migrate::{MIGRATIONS, migrate};
use crate::store::postgres::tables::{Cell, Keyed, NoTable, Prefix, TableError, classify};
use crate::store::postgres::{PgError, PgOptions, connect};
use crate::store::sled_store::{self, format};

/// Arguments of `ketenpoort migrate`.
#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {
    /// The source: a sled store directory, or a `postgres://` / `postgresql://` url.
    #[arg(long, value_name = "DIR|URL")]
    pub from: String,
    /// The target: a `postgres://` url, or a sled store directory (new, or a store without
    /// records). Exactly one of --from and --to is a url.
    #[arg(long, value_name = "URL|DIR")]
    pub to: String,
    /// The PostgreSQL schema the tables are in (its `search_path`); default: the database's.
    #[arg(long, value_name = "NAME")]
    pub schema: Option<String>,
    /// Rows between progress lines on stderr.
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    pub progress_every: u64,
}

/// What can stop a migration.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The sled store.
    #[error("{0}")]
    Store(#[from] Error),
    /// PostgreSQL.
    #[error("{0}")]
    Pg(#[from] PgError),
    /// A key, value or row that does not map.
    #[error("{0}")]
    Table(#[from] TableError),
    /// The target is not empty, or the source cannot be migrated as it is.
    #[error("{0}")]
    Refused(String),
    /// A failure while copying or reading one table.
    #[error("{table}: {source}")]
    At {
        /// The table.
        table: &'static str,
        /// What failed.
        source: Box<MigrateError>,
    },
}

impl MigrateError {
    fn at(table: &'static str) -> impl FnOnce(MigrateError) -> MigrateError {
        move |e| match e {
            e @ MigrateError::At { .. } => e,
            e => MigrateError::At {
                table,
                source: Box::new(e),
            },
        }
    }
}

impl From<tokio_postgres::Error> for MigrateError {
    fn from(e: tokio_postgres::Error) -> Self {
        MigrateError::Pg(PgError::Db(e))
    }
}

impl From<sled::Error> for MigrateError {
    fn from(e: sled::Error) -> Self {
        MigrateError::Store(Error::from(e))
    }
}

impl From<deadpool_postgres::PoolError> for MigrateError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        MigrateError::Pg(PgError::Connect(e))
    }
}

/// One prefix's count and checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Pairs.
    pub count: u64,
    /// SHA-256 (hex) over the pairs sorted by key.
    pub sha256: String,
}

/// Count and checksum per prefix.
pub type Summary = BTreeMap<Prefix, Tally>;

/// Gathers one prefix's pairs in any order and gives their [`Tally`].
#[derive(Default)]
pub struct Checksum {
    pairs: Vec<(Vec<u8>, ring::digest::Digest)>,
}

impl Checksum {
    /// Adds the pair (`key`, `value`).
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&(key.len() as u64).to_be_bytes());
        ctx.update(key);
        ctx.update(&(value.len() as u64).to_be_bytes());
        ctx.update(value);
        self.pairs.push((key.to_vec(), ctx.finish()));
    }

    /// The count and SHA-256 over the pairs sorted by key (as sled orders them).
    pub fn finish(mut self) -> Tally {
        self.pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for (k, d) in &self.pairs {
            ctx.update(&(k.len() as u64).to_be_bytes());
            ctx.update(k);
            ctx.update(d.as_ref());
        }
        Tally {
            count: self.pairs.len() as u64,
            sha256: ctx
                .finish()
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        }
    }
}

/// Writes the verification table (prefix, table, counts, checksums, verdict) to `out`;
/// `true` when every prefix matches.
pub fn verify(source: &Summary, target: &Summary, out: &mut dyn Write) -> io::Result<bool> {
    writeln!(
        out,
        "{:<7} {:<31} {:>10} {:>10}  {:<16} {:<16}  result",
        "prefix", "table", "source", "target", "sha256 source", "sha256 target"
    )?;
    let mut all = true;
    for p in Prefix::ALL {
        let s = source.get(&p);
        let t = target.get(&p);
        let ok = s.is_some() && s == t;
        all &= ok;
        let count = |x: Option<&Tally>| x.map_or("-".to_owned(), |x| x.count.to_string());
        let sum = |x: Option<&Tally>| x.map_or("-".to_owned(), |x| x.sha256[..16].to_owned());
        writeln!(
            out,
            "{:<7} {:<31} {:>10} {:>10}  {:<16} {:<16}  {}",
            p.name(),
            p.table(),
            count(s),
            count(t),
            sum(s),
            sum(t),
            if ok { "ok" } else { "MISMATCH" }
        )?;
    }
    Ok(all)
}

/// Where a side of the migration is.
enum End {
    Sled(PathBuf),
    Pg(String),
}

fn end(s: &str) -> End {
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        End::Pg(s.to_owned())
    } else {
        End::Sled(PathBuf::from(s))
    }
}

/// Runs `migrate`; the result is the exit code: 0 copied and verified, 1 verification found
/// a mismatch, 2 refused or failed (nothing written to a PostgreSQL target).
pub fn run(args: &MigrateArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "ketenpoort migrate: cannot start a runtime: {e}")?;
            return Ok(2);
        }
    };
    let options = |url: &str| {
        // What is not said here (e.g. TLS) as the defaults say.
        let mut options = PgOptions {
            url: Some(url.to_owned()),
            schema: args.schema.clone(),
            ..PgOptions::default()
        };
        options.pool_size = 2;
        options.statement_timeout = std::time::Duration::ZERO;
        options
    };
    let started = Instant::now();
    let result = match (end(&args.from), end(&args.to)) {
        (End::Sled(from), End::Pg(to)) => {
            runtime.block_on(sled_to_pg(&from, &options(&to), args.progress_every, err))
        }
        (End::Pg(from), End::Sled(to)) => {
            runtime.block_on(pg_to_sled(&options(&from), &to, args.progress_every, err))
        }
        _ => {
            writeln!(
                err,
                "ketenpoort migrate: exactly one of --from and --to must be a postgres:// url"
            )?;
            return Ok(2);
        }
    };
    match result {
        Ok((source, target, notes)) => {
            let ok = verify(&source, &target, out)?;
            for n in notes {
                writeln!(out, "{n}")?;
            }
            let pairs: u64 = source.values().map(|t| t.count).sum();
            if ok {
                writeln!(
                    out,
                    "migrated and verified: {pairs} records in {:.1} s",
                    started.elapsed().as_secs_f64()
                )?;
                Ok(0)
            } else {
                writeln!(
                    err,
                    "ketenpoort migrate: verification FAILED (see MISMATCH above); a PostgreSQL \
                     target was rolled back, a sled target must be removed"
                )?;
                Ok(1)
            }
        }
        Err(e) => {
            writeln!(err, "ketenpoort migrate: {e}")?;
            Ok(2)
        }
    }
}

type Outcome = Result<(Summary, Summary, Vec<String>), MigrateError>;

fn progress(err: &mut dyn Write, every: u64, p: Prefix, n: u64) {
    if every > 0 && n > 0 && n % every == 0 {
        // Progress is best effort: a closed stderr must not stop the copy.
        let _ = writeln!(err, "ketenpoort migrate: {} {n} records", p.name());
    }
}

/// Keys of the sled store outside every known prefix (a key nothing maps is refused, not
/// dropped): the ranges between the known prefixes must be empty.
fn unknown_keys(db: &sled::Db) -> Result<(), MigrateError> {
    let mut known: Vec<&[u8]> = Prefix::ALL.iter().map(|p| p.key_prefix()).collect();
    known.push(b"z/");
    known.sort();
    let mut from: Vec<u8> = Vec::new();
    for p in known {
        if let Some(kv) = db.range(from.clone()..p.to_vec()).next() {
            let (k, _) = kv?;
            classify(&k)?;
        }
        let mut next = p.to_vec();
        // The prefixes are two ASCII bytes ending in '/': the successor of all keys under it.
        if let Some(last) = next.last_mut() {
            *last += 1;
        }
        from = next;
    }
    if let Some(kv) = db.range(from..).next() {
        let (k, _) = kv?;
        classify(&k)?;
    }
    for kv in db.scan_prefix(b"z/") {
        let (k, _) = kv?;
        classify(&k)?;
    }
    Ok(())
}

async fn sled_to_pg(from: &Path, options: &PgOptions, every: u64, err: &mut dyn Write) -> Outcome {
    let source = sled_store::open_existing(from)?;
    let db = &source.db;
    let version = db
        .get(format::FORMAT_KEY)?
        .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
        .map(u64::from_be_bytes);
    if version != Some(format::CURRENT) {
        return Err(MigrateError::Refused(format!(
            "the store has format {}, this binary migrates format {}: start `ketenpoort serve` \
             on it once (it upgrades the store), stop it, then migrate",
            version.map_or("1".to_owned(), |v| v.to_string()),
            format::CURRENT
        )));
    }
    unknown_keys(db)?;
    let pool = connect(options).await?;
    let mut client = pool.get().await?;
    migrate(&mut client).await?;
    refuse_filled_pg(&client).await?;
    let tx = client.transaction().await?;
    let mut sources = Summary::new();
    let mut by_agb = (Vec::new(), Vec::new());
    for p in Prefix::ALL {
        let tally = copy_table(&tx, db, p, every, err, &mut by_agb)
            .await
            .map_err(MigrateError::at(p.table()))?;
        sources.insert(p, tally);
    }
    let mut notes = Vec::new();
    tx.batch_execute(
        "UPDATE ketenpoort_events e SET tenant = m.tenant FROM ketenpoort_messages m \
             WHERE e.message_id = m.id AND m.tenant <> '';
         UPDATE ketenpoort_event_head SET last_cursor = \
             COALESCE((SELECT max(cursor) FROM ketenpoort_events), 0) WHERE only_row;",
    )
    .await?;
    // Events of no message, or of one without a tenant (a retour the gateway queued): the
    // tenant whose messages have their AGB code, if only one has.
    tx.execute(
        "UPDATE ketenpoort_events e SET tenant = t.tenant \
             FROM unnest($1::bigint[], $2::text[]) AS x(cursor, agb) \
             JOIN (SELECT agb, min(tenant) AS tenant FROM ketenpoort_messages WHERE tenant <> '' GROUP BY agb \
                   HAVING count(DISTINCT tenant) = 1) t ON t.agb = x.agb \
             WHERE e.cursor = x.cursor AND e.tenant = ''",
        &[&by_agb.0, &by_agb.1],
    )
    .await?;
    let orphans: i64 = tx
        .query_one(
            "SELECT count(*) FROM ketenpoort_events WHERE tenant = ''",
            &[],
        )
        .await?
        .get(0);
    if orphans > 0 {
        notes.push(format!(
            "note: {orphans} events belong to no message and to an AGB code of no single \
             tenant; their tenant column is empty"
        ));
    }
    let head: i64 = tx
        .query_one("SELECT last_cursor FROM ketenpoort_event_head", &[])
        .await?
        .get(0);
    notes.push(format!("event head: {head} (the highest cursor)"));
    let mut targets = Summary::new();
    for p in Prefix::ALL {
        targets.insert(
            p,
            read_pg(&tx, p).await.map_err(MigrateError::at(p.table()))?,
        );
    }
    if sources == targets {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
        notes.push("nothing committed: the target is as it was".to_owned());
    }
    source.close();
    Ok((sources, targets, notes))
}

/// Copies the keys of prefix `p` into its table; the [`Tally`] of the source.
async fn copy_table(
    tx: &tokio_postgres::Transaction<'_>,
    db: &sled::Db,
    p: Prefix,
    every: u64,
    err: &mut dyn Write,
    by_agb: &mut (Vec<i64>, Vec<String>),
) -> Result<Tally, MigrateError> {
    let sink = tx.copy_in(&p.copy_in()).await?;
    let writer = tokio_postgres::binary_copy::BinaryCopyInWriter::new(sink, p.types());
    let mut writer = std::pin::pin!(writer);
    let mut sum = Checksum::default();
    let mut n = 0u64;
    for kv in db.scan_prefix(p.key_prefix()) {
        let (k, v) = kv?;
        if let Keyed::NoTable(_) = classify(&k)? {
            continue;
        }
        let row = p.to_row(&k, &v)?;
        if p == Prefix::Events
            && let Some(Cell::Int8(cursor)) = row.first()
            && let Ok(e) = serde_json::from_slice::<EventRecord>(&v)
        {
            by_agb.0.push(*cursor);
            by_agb.1.push(e.agb);
        }
        let refs: Vec<&(dyn ToSql + Sync)> = row.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
        writer.as_mut().write(&refs).await?;
        sum.add(&k, &p.canonical(&v)?);
        n += 1;
        progress(err, every, p, n);
    }
    writer.as_mut().finish().await?;
    Ok(sum.finish())
}

/// The [`Tally`] of table `p` read back as sled pairs.
async fn read_pg(tx: &tokio_postgres::Transaction<'_>, p: Prefix) -> Result<Tally, MigrateError> {
    let mut sum = Checksum::default();
    let rows = tx
        .query_raw(&p.select_all(), std::iter::empty::<&(dyn ToSql + Sync)>())
        .await?;
    let mut rows = std::pin::pin!(rows);
    while let Some(row) = rows.next().await {
        let (k, v) = p.from_row(&row?)?;
        sum.add(&k, &v);
    }
    Ok(sum.finish())
}

/// Refuses a database with any row in a table of the store (or an event head above 0).
async fn refuse_filled_pg(client: &tokio_postgres::Client) -> Result<(), MigrateError> {
    let mut filled = Vec::new();
    for p in Prefix::ALL {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", p.table());
        let any: bool = client.query_one(&sql, &[]).await?.get(0);
        if any {
            filled.push(p.table());
        }
    }
    let head: i64 = client
        .query_one("SELECT last_cursor FROM ketenpoort_event_head", &[])
        .await?
        .get(0);
    if head != 0 {
        filled.push("ketenpoort_event_head");
    }
    if filled.is_empty() {
        Ok(())
    } else {
        Err(MigrateError::Refused(format!(
            "the target database is not empty ({} hold rows); nothing was written",
            filled.join(", ")
        )))
    }
}

async fn pg_to_sled(options: &PgOptions, to: &Path, every: u64, err: &mut dyn Write) -> Outcome {
    let pool = connect(options).await?;
    let mut client = pool.get().await?;
    let binary = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
    let version: Option<i32> = client
        .query_one("SELECT max(version) FROM ketenpoort_schema", &[])
        .await
        .map_err(|_| {
            MigrateError::Refused(
                "the source database has no ketenpoort schema (ketenpoort_schema)".to_owned(),
            )
        })?
        .get(0);
    if version != Some(binary) {
        return Err(MigrateError::Refused(format!(
            "the source database's schema is at version {}, this binary's at {binary}: use the \
             ketenpoort that matches it",
            version.unwrap_or(0)
        )));
    }
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;

    let found = open::prepare(to, Create::IfNew)?;
    if matches!(found, open::Found::Existing(_)) {
        // As `serve` opens a store: one not closed cleanly is read through on a copy first.
        open::verify(to, open::VerifyLimits::default())?;
    }
    open::forget_clean_close(to)?;
    let db = open::open_sled(to, sled_store::Options::default().cache_bytes)?;
    let result = fill_sled(&tx, &db, to, found, every, err).await;
    drop(db);
    open::record_clean_close(to);
    tx.rollback().await?;
    result
}

async fn fill_sled(
    tx: &tokio_postgres::Transaction<'_>,
    db: &sled::Db,
    to: &Path,
    found: open::Found,
    every: u64,
    err: &mut dyn Write,
) -> Outcome {
    open::settle(to, db, found)?;
    for kv in db.iter() {
        let (k, _) = kv?;
        if !matches!(classify(&k), Ok(Keyed::NoTable(_))) {
            return Err(MigrateError::Refused(format!(
                "the target store {} holds records; nothing was written",
                to.display()
            )));
        }
    }
    format::open(db, to)?;
    let written = copy_into_sled(tx, db, every, err).await;
    if written.is_err() {
        // All or nothing, as towards PostgreSQL: the target held no key with a table, so
        // every such key is one this run wrote.
        remove_copied(db)?;
    }
    let sources = written?;
    let mut targets = Summary::new();
    for p in Prefix::ALL {
        let mut sum = Checksum::default();
        for kv in db.scan_prefix(p.key_prefix()) {
            let (k, v) = kv?;
            if classify(&k)? == Keyed::NoTable(NoTable::Tripwire) {
                continue;
            }
            sum.add(&k, &v);
        }
        targets.insert(p, sum.finish());
    }
    let head: i64 = tx
        .query_one("SELECT last_cursor FROM ketenpoort_event_head", &[])
        .await?
        .get(0);
    let mut notes = vec![format!("event head of the source: {head}")];
    let last = db
        .scan_prefix(b"e/")
        .next_back()
        .transpose()?
        .and_then(|(k, _)| <[u8; 8]>::try_from(&k[2..]).ok())
        .map_or(0, u64::from_be_bytes);
    if u64::try_from(head).ok() != Some(last) {
        notes.push(format!(
            "note: the source's event head ({head}) is not its highest cursor ({last})"
        ));
    }
    Ok((sources, targets, notes))
}

/// Records per sled batch when copying into sled.
const SLED_BATCH: u64 = 10_000;

/// Copies every table of the source transaction into `db` in batches of [`SLED_BATCH`],
/// flushes, and answers the source's count and checksum per prefix.
async fn copy_into_sled(
    tx: &tokio_postgres::Transaction<'_>,
    db: &sled::Db,
    every: u64,
    err: &mut dyn Write,
) -> Result<Summary, MigrateError> {
    let mut sources = Summary::new();
    for p in Prefix::ALL {
        let mut batch = sled::Batch::default();
        let mut sum = Checksum::default();
        let rows = tx
            .query_raw(&p.select_all(), std::iter::empty::<&(dyn ToSql + Sync)>())
            .await?;
        let mut rows = std::pin::pin!(rows);
        let mut n = 0u64;
        while let Some(row) = rows.next().await {
            let (k, v) = p.from_row(&row?)?;
            if !matches!(classify(&k)?, Keyed::Table(q) if q == p) {
                return Err(MigrateError::Refused(format!(
                    "a row of {} maps to a key of another prefix",
                    p.table()
                )));
            }
            sum.add(&k, &v);
            batch.insert(k, v);
            n += 1;
            // Applied in parts: one batch of the whole store held all of it in memory.
            if n % SLED_BATCH == 0 {
                db.apply_batch(std::mem::take(&mut batch))?;
            }
            progress(err, every, p, n);
        }
        db.apply_batch(batch)?;
        sources.insert(p, sum.finish());
    }
    db.flush()?;
    Ok(sources)
}

/// Removes every key with a table (what [`copy_into_sled`] writes) from `db`, and flushes.
fn remove_copied(db: &sled::Db) -> Result<(), MigrateError> {
    let mut batch = sled::Batch::default();
    let mut n = 0u64;
    for kv in db.iter() {
        let (k, _) = kv?;
        if matches!(classify(&k), Ok(Keyed::Table(_))) {
            batch.remove(k);
            n += 1;
            if n % SLED_BATCH == 0 {
                db.apply_batch(std::mem::take(&mut batch))?;
            }
        }
    }
    db.apply_batch(batch)?;
    db.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(pairs: &[(&[u8], &[u8])]) -> Summary {
        let mut out = Summary::new();
        for p in Prefix::ALL {
            let mut sum = Checksum::default();
            for (k, v) in pairs.iter().filter(|(k, _)| k.starts_with(p.key_prefix())) {
                sum.add(k, v);
            }
            out.insert(p, sum.finish());
        }
        out
    }

    #[test]
    fn the_checksum_ignores_order_but_sees_a_changed_value_or_a_moved_byte() {
        let a = summary(&[(b"m/1", b"{\"a\":1}"), (b"m/2", b"{}")]);
        let b = summary(&[(b"m/2", b"{}"), (b"m/1", b"{\"a\":1}")]);
        assert_eq!(a, b);
        let changed = summary(&[(b"m/1", b"{\"a\":2}"), (b"m/2", b"{}")]);
        assert_ne!(a[&Prefix::Messages], changed[&Prefix::Messages]);
        assert_eq!(a[&Prefix::Messages].count, changed[&Prefix::Messages].count);
        // Key and value are length-prefixed: a byte moved across the boundary differs.
        let moved = summary(&[(b"m/1{", b"\"a\":1}"), (b"m/2", b"{}")]);
        assert_ne!(a[&Prefix::Messages], moved[&Prefix::Messages]);
    }

    #[test]
    fn verify_prints_a_mismatch_and_fails() {
        let a = summary(&[(b"m/1", b"{}"), (b"x/1", b"xml")]);
        let mut out = Vec::new();
        assert!(verify(&a, &a, &mut out).expect("write"));
        let text = String::from_utf8(out).expect("utf-8");
        assert!(!text.contains("MISMATCH"), "{text}");
        assert_eq!(text.lines().count(), 1 + Prefix::ALL.len());

        let b = summary(&[(b"m/1", b"{}"), (b"x/1", b"xmk")]);
        let mut out = Vec::new();
        assert!(!verify(&a, &b, &mut out).expect("write"));
        let text = String::from_utf8(out).expect("utf-8");
        let bad: Vec<&str> = text.lines().filter(|l| l.contains("MISMATCH")).collect();
        assert_eq!(bad.len(), 1, "{text}");
        assert!(bad[0].starts_with("x/"), "{text}");
        // A prefix missing on one side is a mismatch too.
        let mut missing = a.clone();
        missing.remove(&Prefix::History);
        assert!(!verify(&a, &missing, &mut Vec::new()).expect("write"));
    }
}
