//! A lease in the store for work that one gateway does at a time: collecting with one
//! certificate ([`super::collector`]) and, when replicas share the store
//! ([`Store::shared`]), pushing the queue ([`super::worker`]).
//!
//! The lease is a record of the store (`l/`, PostgreSQL `ketenpoort_leases`) written by the
//! store's writer, so that of two replicas asking at once exactly one gets it. It runs for a
//! time to live and is renewed by its holder each time it takes it again; a holder that dies
//! (kill -9, a lost machine) holds it until it runs out, and then another replica takes it.
//! Each new holding gets a higher fencing token ([`LeaseOutcome::Granted`]), which the
//! collector's writes carry, so that a holder that paused past its lease stores nothing.
//! Expiry is compared with the asking gateway's real clock (never the dev clock offset):
//! replicas must keep their clocks in sync (NTP), as the docs say.

use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use crate::store::{LeaseOutcome, Outcome, Store, Write};

/// One lease as one holder asks for it.
#[derive(Debug, Clone)]
pub struct WorkLease {
    /// The lease's name (the certificate's label, `outbox`).
    pub name: String,
    /// Who asks: one id per gateway process and task kind.
    pub holder: Uuid,
    /// How long a holding runs unless renewed.
    pub ttl: Duration,
}

/// What asking for a lease came to.
#[derive(Debug)]
pub enum Taken {
    /// Held by the asker now, with this fencing token.
    Granted(u64),
    /// Held by another holder until `until_ms` (milliseconds since the epoch).
    Held {
        /// The other holder.
        holder: Uuid,
        /// When its holding runs out unless renewed.
        until_ms: i64,
    },
    /// The store did not answer (logged by the caller).
    Failed(String),
}

impl WorkLease {
    /// Takes the lease, or renews it when the asker holds it already.
    pub async fn take(&self, store: &dyn Store) -> Taken {
        let now_ms = Utc::now().timestamp_millis();
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        let write = Write::Lease {
            name: self.name.clone(),
            holder: self.holder,
            now_ms,
            until_ms: now_ms.saturating_add(ttl_ms),
        };
        match store.commit(write).wait().await {
            Ok(Outcome::Lease(LeaseOutcome::Granted { token })) => Taken::Granted(token),
            Ok(Outcome::Lease(LeaseOutcome::Held { holder, until_ms })) => {
                Taken::Held { holder, until_ms }
            }
            Ok(other) => Taken::Failed(format!("unexpected lease outcome {other:?}")),
            Err(e) => Taken::Failed(e.to_string()),
        }
    }

    /// Renews the lease every third of its time to live until the returned task is
    /// aborted (for work that may take longer than the lease: a collection round). A renewal
    /// that finds the lease lost stops renewing; the work's fenced writes then fail.
    pub fn keep_renewed(&self, store: std::sync::Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
        let lease = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease.ttl / 3).await;
                match lease.take(store.as_ref()).await {
                    Taken::Granted(_) => {}
                    Taken::Held { .. } => return,
                    Taken::Failed(e) => {
                        tracing::warn!(lease = %lease.name, error = %e, "lease not renewed");
                    }
                }
            }
        })
    }

    /// Gives the lease up at once (on stop), so that another replica need not wait for it
    /// to run out; answers why not when the store did not take it.
    pub async fn release(&self, store: &dyn Store) -> Result<(), String> {
        let write = Write::ReleaseLease {
            name: self.name.clone(),
            holder: self.holder,
        };
        store
            .commit(write)
            .wait()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// How long a standby replica waits before asking for a lease again: an eighth of the
/// work's poll interval (at least 100 ms), so that a lease that ran out is taken over well
/// within the holder's next round would have been.
pub fn standby_interval(poll_interval: Duration) -> Duration {
    (poll_interval / 8).max(Duration::from_millis(100))
}

/// The time to live of a lease whose holder renews it every third of it: one and a quarter
/// poll intervals (at least a second), so that a dead holder's lease runs out, and a standby
/// asking every [`standby_interval`] takes it, well within two intervals (what is left of
/// them is the margin for a loaded machine's writes).
pub fn ttl(poll_interval: Duration) -> Duration {
    (poll_interval.saturating_mul(5) / 4).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_holders_lease_is_taken_over_within_two_poll_intervals() {
        for secs in [1u64, 2, 5, 30, 300] {
            let poll = Duration::from_secs(secs);
            // Worst case: the holder renewed just before it died; a standby asked just
            // before the lease ran out and asks again one standby interval later.
            let takeover = ttl(poll) + standby_interval(poll);
            assert!(
                takeover * 10 <= poll * 14,
                "poll {secs} s: takeover {takeover:?}"
            );
            // A holder renewing every third of it has two renewals' room before a lapse.
            assert!(ttl(poll) / 3 < poll, "poll {secs} s");
        }
    }
}
