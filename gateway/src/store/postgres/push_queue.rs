//! The push queue shared by replicas (issue 16, point 5): each queued message is pushed by
//! one replica at a time.
//!
//! A row of `ketenpoort_queue` is a message waiting to be pushed to VECOZO. A replica
//! [`claim`]s a batch: one statement picks the oldest rows whose claim is free or expired
//! (`FOR UPDATE SKIP LOCKED`, so replicas claiming at once take different rows instead of
//! waiting for each other) and marks them `claimed_by` the replica until the database's
//! `now + lease`. When the push is settled the replica removes the row with [`done`], in the
//! transaction that records the outcome; only the claim's holder can. A claim that is not
//! settled in time (the replica died or stalled) becomes claimable by another replica;
//! [`release`] hands one back at once. docs/POSTGRES.md explains the design and its limit.

use std::time::Duration;

use tokio_postgres::{Client, GenericClient};
use uuid::Uuid;

use super::PgError;
use super::lease::{DB_NOW_MS, MAX_TTL};

fn to_id(id: i64) -> Result<u64, PgError> {
    u64::try_from(id).map_err(|_| PgError::Corrupt(format!("negative message id {id}")))
}

fn to_db_id(id: u64) -> Result<i64, PgError> {
    i64::try_from(id).map_err(|_| PgError::Corrupt(format!("message id {id} too large")))
}

/// Claims up to `limit` queued messages, oldest first, whose claim is free or expired, for
/// `holder` until the database's clock plus `lease` (at most [`super::lease::MAX_TTL`]);
/// returns their ids in ascending order. Rows another replica is claiming at this moment
/// are skipped, not waited for; so a batch can be smaller than `limit` while more is queued.
///
/// The lease must outlast a push attempt (its timeouts included): a claim that expires
/// mid-push can be claimed and pushed again by another replica.
pub async fn claim(
    client: &Client,
    limit: usize,
    holder: Uuid,
    lease: Duration,
) -> Result<Vec<u64>, PgError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let lease_ms = i64::try_from(lease.min(MAX_TTL).as_millis()).unwrap_or(i64::MAX);
    let rows = client
        .query(
            &format!(
                "WITH picked AS ( \
                     SELECT message_id FROM ketenpoort_queue \
                     WHERE claimed_until_ms IS NULL OR claimed_until_ms <= {DB_NOW_MS} \
                     ORDER BY message_id LIMIT $1 \
                     FOR UPDATE SKIP LOCKED) \
                 UPDATE ketenpoort_queue AS q \
                 SET claimed_by = $2, claimed_until_ms = {DB_NOW_MS} + $3 \
                 FROM picked WHERE q.message_id = picked.message_id \
                 RETURNING q.message_id"
            ),
            &[&limit, &holder, &lease_ms],
        )
        .await?;
    let mut ids = rows
        .iter()
        .map(|row| to_id(row.try_get(0)?))
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// Removes message `id` from the queue if `holder` still has its claim (also when that
/// claim has expired but nobody claimed the message since); true when removed. False, and
/// nothing changed, when another replica claimed it meanwhile or it is no longer queued.
/// Call it in the transaction that records the push's outcome (`client` can be one).
pub async fn done<C>(client: &C, id: u64, holder: Uuid) -> Result<bool, PgError>
where
    C: GenericClient + Sync,
{
    let removed = client
        .execute(
            "DELETE FROM ketenpoort_queue WHERE message_id = $1 AND claimed_by = $2",
            &[&to_db_id(id)?, &holder],
        )
        .await?;
    Ok(removed == 1)
}

/// Gives the claim of `holder` on message `id` up, so that any replica can claim it at
/// once (a push that could not be attempted); true when it was `holder`'s claim.
pub async fn release<C>(client: &C, id: u64, holder: Uuid) -> Result<bool, PgError>
where
    C: GenericClient + Sync,
{
    let changed = client
        .execute(
            "UPDATE ketenpoort_queue SET claimed_by = NULL, claimed_until_ms = NULL \
             WHERE message_id = $1 AND claimed_by = $2",
            &[&to_db_id(id)?, &holder],
        )
        .await?;
    Ok(changed == 1)
}
