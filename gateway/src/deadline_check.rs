//! The periodic deadline check (every mode): every `[vecozo] deadline_check_interval_secs`
//! (default 60) it asks the store to report the expected answers whose due date is over
//! ([`Write::CheckDeadlines`], "today" from the gateway's [`Clock`]) and the provider's own
//! duties that were not met in time ([`Write::CheckDuties`]: a 302/320 sent by hand, a late
//! 305/307, a 307 missing after an allocation ended; see [`crate::store::duties`]). The store
//! reports each one once, as a DeadlineMissed event, in the same write that removes it or
//! marks it reported; the check counts them in
//! `ketenpoort_deadlines_missed_total{expected="316"}` (`302`, `305`, … for the provider's).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::error::Error;
use crate::header::Clock;
use crate::metrics::Metrics;
use crate::store::duties::DutyMissed;
use crate::store::expectations::Missed;
use crate::store::{Outcome, Store, Write};

/// What the check needs.
pub struct DeadlineCheck {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Today.
    pub clock: Arc<dyn Clock>,
    /// Counters for /metrics.
    pub metrics: Arc<Metrics>,
    /// Time between checks.
    pub interval: Duration,
}

impl DeadlineCheck {
    /// Checks at once and then every `interval`, until `stopping` turns true.
    pub async fn run(self, mut stopping: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.check().await {
                tracing::error!(error = %e, "deadline check failed; tried again later");
            }
            if let Err(e) = self.check_duties().await {
                tracing::error!(error = %e, "check of the provider's duties failed; tried again later");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = stopping.wait_for(|s| *s) => break,
            }
        }
    }

    /// One check: what it reported missed (each expectation once, ever).
    pub async fn check(&self) -> Result<Vec<Missed>, Error> {
        let write = Write::CheckDeadlines {
            today: self.clock.today(),
            at_ms: self.clock.now().timestamp_millis(),
        };
        match self.store.commit(write).wait().await? {
            Outcome::DeadlinesMissed(missed) => {
                for m in &missed {
                    tracing::warn!(
                        message_id = m.message_id,
                        expected = %m.name,
                        due = %m.due,
                        "an expected answer did not arrive by its due date"
                    );
                    self.metrics.deadline_missed(&m.name);
                }
                Ok(missed)
            }
            other => Err(Error::Internal(format!(
                "unexpected store outcome {other:?}"
            ))),
        }
    }

    /// One check of the provider's own duties: what it reported missed (each once, ever).
    pub async fn check_duties(&self) -> Result<Vec<DutyMissed>, Error> {
        let write = Write::CheckDuties {
            today: self.clock.today(),
            at_ms: self.clock.now().timestamp_millis(),
        };
        match self.store.commit(write).wait().await? {
            Outcome::DutiesMissed(missed) => {
                for m in &missed {
                    tracing::warn!(
                        message_id = ?m.message_id,
                        owed = %m.name,
                        rule = %m.rule,
                        due = %m.due,
                        "the provider did not send a message it owed by its due date"
                    );
                    self.metrics.deadline_missed(&m.name);
                }
                Ok(missed)
            }
            other => Err(Error::Internal(format!(
                "unexpected store outcome {other:?}"
            ))),
        }
    }
}
