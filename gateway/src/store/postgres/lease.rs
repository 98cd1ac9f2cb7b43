//! Leases with fencing tokens (issue 16, point 5): work that one replica at a time must do
//! (the collector of one certificate, the deadline check) is done under a lease of
//! `ketenpoort_leases`.
//!
//! A lease has a name, a holder, an expiry and a **fencing token**. [`acquire`] takes a
//! lease that is free or expired and gives the new holder a token one above the previous
//! one: the row is never deleted (not even by [`release`]), so tokens strictly increase per
//! name and are never reused. Expiry is judged by the database's clock
//! (`clock_timestamp()`), never by a replica's.
//!
//! The expiry alone does not stop a replica that paused (a long GC-like stall, a frozen VM)
//! from acting on a lease it has lost in the meantime. [`fenced`] does: called inside the
//! transaction that does the lease-protected work, it locks the lease row (`FOR SHARE`) and
//! fails with [`PgError::Fenced`] unless the caller's token is still current and unexpired.
//! While that transaction runs, the lock makes a new holder's [`acquire`] wait, so every
//! write under token N commits before token N+1 exists. docs/POSTGRES.md explains the design.
//!
//! All of it assumes READ COMMITTED (PostgreSQL's default): a waiting statement then
//! re-reads the row another transaction changed, instead of failing with a serialisation
//! error.

use std::fmt;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, Transaction};
use uuid::Uuid;

use super::PgError;

/// The database's clock in milliseconds since the Unix epoch. `clock_timestamp()` rather
/// than `now()`: `now()` stays at the start of the transaction, so a check late in a long
/// transaction would use a time long past.
pub(crate) const DB_NOW_MS: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

/// The longest lease (a bound so that `now + ttl` stays far from overflowing a `bigint`);
/// a longer TTL is shortened to it.
pub const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// A lease held: what [`acquire`] returns, and what [`renew`], [`fenced`] and [`release`]
/// are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// What is leased, e.g. a puller's certificate label.
    pub name: String,
    /// Who holds it (one id per replica and task).
    pub holder: Uuid,
    /// The fencing token: one above the token of the previous holder of this name.
    pub token: u64,
    /// Expiry by the database's clock, milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// The TTL it was taken with; [`renew`] extends by it.
    pub ttl: Duration,
    /// This replica's conservative expiry: the TTL counted from before the request was sent.
    local_deadline: Instant,
}

impl Lease {
    /// Whether the lease has surely not expired yet by this replica's monotonic clock
    /// (counted from before the request that took or renewed it). For work outside the
    /// database (a call to VECOZO), which [`fenced`] cannot guard; database work is guarded
    /// by [`fenced`] in its transaction.
    pub fn locally_valid(&self) -> bool {
        Instant::now() < self.local_deadline
    }
}

/// Why [`fenced`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fence {
    /// Another holder took the lease over: the current token is higher.
    Superseded {
        /// The current token.
        current: u64,
    },
    /// The lease expired (or was released) and nobody has taken it since.
    Expired,
    /// There is no such lease.
    Missing,
}

impl fmt::Display for Fence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fence::Superseded { current } => {
                write!(f, "taken over by another holder (token {current})")
            }
            Fence::Expired => f.write_str("expired"),
            Fence::Missing => f.write_str("no such lease"),
        }
    }
}

/// The TTL in whole milliseconds, at most [`MAX_TTL`].
fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.min(MAX_TTL).as_millis()).unwrap_or(i64::MAX)
}

fn to_token(token: i64) -> Result<u64, PgError> {
    u64::try_from(token).map_err(|_| PgError::Corrupt(format!("negative fencing token {token}")))
}

fn to_db_token(token: u64) -> Result<i64, PgError> {
    i64::try_from(token).map_err(|_| PgError::Corrupt(format!("fencing token {token} too large")))
}

/// Takes lease `name` for `holder` for `ttl` if it is free or expired (by the database's
/// clock), with a fencing token one above the last one handed out for `name` (1 for the
/// first). `None` while anybody holds it unexpired, `holder` itself included: a holder
/// extends with [`renew`]. A TTL of zero gives a lease that has already expired.
///
/// One statement (`INSERT … ON CONFLICT DO UPDATE … WHERE expired`): of acquirers racing
/// for one name exactly one wins. It waits while a [`fenced`] transaction of the current
/// holder runs (at most the statement timeout).
pub async fn acquire(
    client: &Client,
    name: &str,
    holder: Uuid,
    ttl: Duration,
) -> Result<Option<Lease>, PgError> {
    let started = Instant::now();
    let ttl = ttl.min(MAX_TTL);
    let row = client
        .query_opt(
            &format!(
                "INSERT INTO ketenpoort_leases AS l (name, holder, fencing_token, until_ms) \
                 VALUES ($1, $2, 1, {DB_NOW_MS} + $3) \
                 ON CONFLICT (name) DO UPDATE \
                 SET holder = excluded.holder, fencing_token = l.fencing_token + 1, \
                     until_ms = {DB_NOW_MS} + $3 \
                 WHERE l.until_ms <= {DB_NOW_MS} \
                 RETURNING fencing_token, until_ms"
            ),
            &[&name, &holder, &ttl_ms(ttl)],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let lease = Lease {
        name: name.to_owned(),
        holder,
        token: to_token(row.try_get(0)?)?,
        expires_at_ms: row.try_get(1)?,
        ttl,
        local_deadline: started + ttl,
    };
    tracing::debug!(lease = %lease.name, token = lease.token, "lease acquired");
    Ok(Some(lease))
}

/// Extends `lease` by its TTL from now (the database's clock) and updates its expiry; true
/// when done. False when it is no longer the holder's: another holder took it over, or it
/// expired (a lapsed lease is over; take a new one, with a new token, with [`acquire`]).
pub async fn renew(client: &Client, lease: &mut Lease) -> Result<bool, PgError> {
    let started = Instant::now();
    let row = client
        .query_opt(
            &format!(
                "UPDATE ketenpoort_leases SET until_ms = {DB_NOW_MS} + $4 \
                 WHERE name = $1 AND holder = $2 AND fencing_token = $3 \
                   AND until_ms > {DB_NOW_MS} \
                 RETURNING until_ms"
            ),
            &[
                &lease.name,
                &lease.holder,
                &to_db_token(lease.token)?,
                &ttl_ms(lease.ttl),
            ],
        )
        .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    lease.expires_at_ms = row.try_get(0)?;
    lease.local_deadline = started + lease.ttl;
    Ok(true)
}

/// Gives `lease` up: it expires now, so that another holder can take it at once. The row
/// stays (its token is where the next holder's counts on from). True when the lease was
/// still the holder's token; false when it had been taken over already (nothing changes).
pub async fn release(client: &Client, lease: Lease) -> Result<bool, PgError> {
    let changed = client
        .execute(
            &format!(
                "UPDATE ketenpoort_leases SET until_ms = least(until_ms, {DB_NOW_MS}) \
                 WHERE name = $1 AND holder = $2 AND fencing_token = $3"
            ),
            &[&lease.name, &lease.holder, &to_db_token(lease.token)?],
        )
        .await?;
    Ok(changed == 1)
}

/// The guard of lease-protected work: call it inside the transaction `tx` that does the
/// work, before committing. Locks the lease row (`FOR SHARE`, held until `tx` ends) and
/// fails with [`PgError::Fenced`] unless `lease`'s holder and token are still current and
/// unexpired by the database's clock; then roll `tx` back (dropping it does).
///
/// Once it has passed, no other holder can take the lease over before `tx` ends (its
/// [`acquire`] waits for the lock), so what `tx` writes commits under a token that was
/// current. Several transactions of one holder can pass at once (a shared lock); each one
/// delays a take-over, so keep them short. `tx` must be READ COMMITTED (the default).
pub async fn fenced(tx: &Transaction<'_>, lease: &Lease) -> Result<(), PgError> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT holder, fencing_token, until_ms > {DB_NOW_MS} \
                 FROM ketenpoort_leases WHERE name = $1 FOR SHARE"
            ),
            &[&lease.name],
        )
        .await?;
    let refuse = |reason| {
        tracing::warn!(lease = %lease.name, token = lease.token, %reason, "fenced off: lease lost");
        Err(PgError::Fenced {
            name: lease.name.clone(),
            token: lease.token,
            reason,
        })
    };
    let Some(row) = row else {
        return refuse(Fence::Missing);
    };
    let holder: Uuid = row.try_get(0)?;
    let current = to_token(row.try_get(1)?)?;
    let unexpired: bool = row.try_get(2)?;
    if current != lease.token || holder != lease.holder {
        return refuse(Fence::Superseded { current });
    }
    if !unexpired {
        return refuse(Fence::Expired);
    }
    Ok(())
}
