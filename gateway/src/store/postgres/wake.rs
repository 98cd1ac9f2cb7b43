//! Wake-ups across replicas: when a replica's writer commits a group that logged events or
//! changed the queue, it sends `NOTIFY ketenpoort_commits, '<last cursor> <queue> <schema>'`
//! in the same transaction (PostgreSQL delivers it at commit, and not at all on rollback).
//! Every replica listens ([`run`]) and raises its own watches, so that a returns stream on
//! one replica sees another's events, and a standby's pusher the queue, without polling.
//!
//! A channel belongs to the database, not to a schema: a listener takes only the
//! notifications of its own schema (`current_schema()`), so that stores in other schemas of
//! the database (other deployments, the tests' `kp_test_*` schemas) do not raise its event
//! watch to their cursors — a returns stream would skip its own events up to there.
//!
//! A notification is only a hint: streams read the event log after their cursor, and the
//! event head is read once after every (re)connect of the listener, since wake-ups may have
//! been lost while it was away.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::connect::PgOptions;
use super::events::listen_on;

/// The channel of commit notifications.
pub const CHANNEL: &str = "ketenpoort_commits";

/// How long the listener waits before connecting again after its connection failed.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// What a replica does when another one committed.
pub trait Wake: Send + Sync + 'static {
    /// Events up to `cursor` are committed.
    fn events_committed(&self, cursor: u64);
    /// The queue changed (messages added, or back for another attempt).
    fn queue_changed(&self);
}

impl Wake for crate::store::sled_store::SledStore {
    fn events_committed(&self, cursor: u64) {
        self.events_committed_elsewhere(cursor);
    }

    fn queue_changed(&self) {
        self.queue_changed_elsewhere();
    }
}

/// A commit as it is announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commit {
    /// The highest event cursor committed so far.
    pub last_cursor: u64,
    /// Whether the group changed the queue.
    pub queue_changed: bool,
}

impl Commit {
    /// The notification's payload.
    pub fn payload(&self) -> String {
        format!("{} {}", self.last_cursor, u8::from(self.queue_changed))
    }

    /// A payload read back; `None` for one this version does not know.
    pub fn parse(payload: &str) -> Option<Commit> {
        let (cursor, queue) = payload.split_once(' ')?;
        Some(Commit {
            last_cursor: cursor.parse().ok()?,
            queue_changed: match queue {
                "0" => false,
                "1" => true,
                _ => return None,
            },
        })
    }

    /// A payload as the writer sends it (`<payload> <schema>`) read back, when it is of the
    /// schema `schema`; `None` for another schema's commit or a payload not understood.
    /// A payload without a schema (a replica of an earlier version, or any gateway of an
    /// earlier version on another schema of the database) is not trusted: its cursor may be
    /// another store's, and a stream would skip its own events up to it.
    pub fn parse_for(payload: &str, schema: &str) -> Option<Commit> {
        let mut parts = payload.splitn(3, ' ');
        let (cursor, queue, of) = (parts.next()?, parts.next()?, parts.next()?);
        if of != schema {
            return None;
        }
        Commit::parse(&format!("{cursor} {queue}"))
    }
}

/// Listens until `stopping` turns true, passing every commit to `wake`; after each
/// (re)connect reads the event head once and wakes for it and for the queue.
pub async fn run(options: PgOptions, wake: Arc<dyn Wake>, mut stopping: watch::Receiver<bool>) {
    while !*stopping.borrow() {
        let mut listener = match listen_on(&options, CHANNEL).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "commit listener not connected; trying again");
                tokio::select! {
                    _ = tokio::time::sleep(RECONNECT_AFTER) => continue,
                    _ = stopping.wait_for(|s| *s) => return,
                }
            }
        };
        let schema = match head(&options).await {
            Ok((cursor, schema)) => {
                wake.events_committed(cursor);
                schema
            }
            Err(e) => {
                tracing::warn!(error = %e, "event head not read after (re)connect; trying again");
                tokio::select! {
                    _ = tokio::time::sleep(RECONNECT_AFTER) => continue,
                    _ = stopping.wait_for(|s| *s) => return,
                }
            }
        };
        wake.queue_changed();
        loop {
            tokio::select! {
                payload = listener.next() => match payload {
                    Some(p) => match Commit::parse_for(&p, &schema) {
                        Some(c) => {
                            wake.events_committed(c.last_cursor);
                            if c.queue_changed {
                                wake.queue_changed();
                            }
                        }
                        // Another schema's commit, or one this version does not know.
                        None => tracing::trace!("commit notification not for this store; ignored"),
                    },
                    None => {
                        tracing::warn!("commit listener's connection lost; connecting again");
                        break;
                    }
                },
                _ = stopping.wait_for(|s| *s) => return,
            }
        }
    }
}

/// The event head (the highest cursor committed) and the schema the store's tables are in
/// (`current_schema()`, as the writer's notifications name it).
async fn head(options: &PgOptions) -> Result<(u64, String), super::PgError> {
    let pool = super::connect(&PgOptions {
        pool_size: 1,
        ..options.clone()
    })
    .await?;
    let client = pool.get().await?;
    let row = client
        .query_one(
            "SELECT last_cursor, coalesce(current_schema(), '') FROM ketenpoort_event_head",
            &[],
        )
        .await?;
    let cursor: i64 = row.get(0);
    let schema: String = row.get(1);
    Ok((u64::try_from(cursor).unwrap_or(0), schema))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_reads_back_and_a_strange_one_is_refused() {
        for c in [
            Commit {
                last_cursor: 0,
                queue_changed: false,
            },
            Commit {
                last_cursor: u64::MAX,
                queue_changed: true,
            },
        ] {
            assert_eq!(Commit::parse(&c.payload()), Some(c));
        }
        for bad in ["", "12", "12 2", "x 1", "-1 0", "12 1 extra"] {
            assert_eq!(Commit::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_listener_takes_only_the_commits_of_its_own_schema() {
        let mine = Commit {
            last_cursor: 7,
            queue_changed: true,
        };
        assert_eq!(Commit::parse_for("7 1 kp_a", "kp_a"), Some(mine));
        assert_eq!(Commit::parse_for("7 1 kp_b", "kp_a"), None);
        assert_eq!(Commit::parse_for("7 1 kp_a", "kp_ab"), None);
        assert_eq!(Commit::parse_for("7 1 my schema", "my schema"), Some(mine));
        // Without a schema (an earlier version): whose it is cannot be told.
        for bad in ["", "7", "7 1", "7 2 kp_a", "x 1 kp_a"] {
            assert_eq!(Commit::parse_for(bad, "kp_a"), None, "{bad:?}");
        }
    }
}
