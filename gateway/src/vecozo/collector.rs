//! The collection loop: per pulling certificate ([`Clients::pullers`]) one task that runs a
//! [`collect_round`] every `poll_interval` (at once again while VECOZO's listing was full),
//! stores each message through [`Write::Incoming`] — durable before the round confirms it —
//! and stops when `stopping` turns true.
//!
//! ## One puller per AGB code
//!
//! VECOZO hands a message to whoever lists it first; two systems pulling for one AGB code
//! take each other's messages. Inside one gateway there is one task per certificate, and
//! each task holds a lease in the store (`l/`, renewed every round, given up on stop): a
//! second collector on the same store is refused with an error naming the holder.
//!
//! Each holding of the lease has a fencing token ([`LeaseOutcome::Granted`]), and every
//! message the round stores carries it ([`crate::store::Fence`]): a collector whose lease
//! ran out or was taken over (a long pause) has its writes refused ([`Outcome::Fenced`]),
//! and since it then stores nothing it confirms nothing to VECOZO either; the holder of the
//! lease collects those messages. With a store that replicas share (PostgreSQL, issue 16)
//! this is what keeps a woken replica from acting on a lease it lost; there the lease runs
//! one and a quarter poll intervals, renewed every third of that while held, and the other
//! replicas stand by, asking eight times per interval, so that a replica that died is taken
//! over within two poll intervals ([`super::lease`]).
//!
//! The limit, honestly: a gateway on *another* store (another machine, another data
//! directory) cannot see this lease — there is no shared storage to hold it, and VECOZO
//! offers no lock. Running two gateways with the same certificate is an operator error the
//! gateway cannot detect; the deployment must make sure only one runs (see
//! docs/ARCHITECTURE.md). What two such gateways would lose is not the messages (each
//! stores what it took) but the completeness of each one's event stream.
//!
//! A certificate acting for several AGB codes (an indiener with toestemmingsverklaringen)
//! and an AGB code's own certificate, both configured, list overlapping messages. Were their
//! rounds to run at the same time, both would download a message that one of them then
//! confirms, and the other's download would fail with 404 (a warning and a failed round for
//! nothing lost). So the rounds of one gateway's certificates take turns: one collection
//! per listing at a time, and a message the first round confirmed is no longer listed to
//! the next. Storing stays idempotent on the traceerId in any case.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::client::VecozoClient;
use super::clients::Clients;
use super::collect::{Content, Incoming, RoundReport, collect_round};
use super::lease::{self, Taken, WorkLease};
use crate::header::{Clock, HeaderFactory};
use crate::metrics::Metrics;
use crate::retour::{AnswerMode, AnswerModes};
use crate::store::{
    Fence, IncomingContent, IncomingWrite, Outcome, OwedRetour, QueuedRetour, Store, Write,
};

/// Messages listed per round: VECOZO's maximum.
pub const LIST_LIMIT: u16 = 250;

/// What the collection loop needs.
pub struct Collector {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Timestamps of the events.
    pub clock: Arc<dyn Clock>,
    /// Counters for /metrics.
    pub metrics: Arc<Metrics>,
    /// One client per certificate: the pullers.
    pub clients: Arc<Clients>,
    /// Time between rounds.
    pub poll_interval: Duration,
    /// The headers of the 302/320 queued automatically.
    pub headers: Arc<HeaderFactory>,
    /// Per AGB code: queue the 302/320 on a collected 301/319 ([`crate::retour`]), or record
    /// the provider's duty to send it (`[vecozo] auto_answer`, `[[tenants]] auto_answer`).
    pub answers: Arc<AnswerModes>,
}

impl Collector {
    /// Collects for every pulling certificate until `stopping` turns true.
    pub async fn run(self, stopping: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let holder = Uuid::new_v4();
        // One round at a time across the certificates (see the module docs).
        let turns = Arc::new(tokio::sync::Mutex::new(()));
        let mut tasks = JoinSet::new();
        let pullers: Vec<(String, VecozoClient)> = this
            .clients
            .pullers()
            .map(|(label, client)| (label.to_owned(), client.clone()))
            .collect();
        for (label, client) in pullers {
            tasks.spawn(
                this.clone()
                    .pull(label, client, holder, turns.clone(), stopping.clone()),
            );
        }
        while tasks.join_next().await.is_some() {}
    }

    /// The loop of one certificate.
    async fn pull(
        self: Arc<Self>,
        label: String,
        client: VecozoClient,
        holder: Uuid,
        turns: Arc<tokio::sync::Mutex<()>>,
        mut stopping: watch::Receiver<bool>,
    ) {
        tracing::info!(certificate = %label, "collecting VECOZO messages");
        let mut held = false;
        // While the lease is held it is renewed every third of its time to live, also
        // during a long round and between rounds (a lapse would fence the round's writes and
        // hand the certificate to another replica for nothing).
        let mut renewal: Option<tokio::task::JoinHandle<()>> = None;
        loop {
            if *stopping.borrow() {
                break;
            }
            let token = self.take_lease(&label, holder).await;
            if token.is_some() != held {
                held = token.is_some();
                tracing::info!(certificate = %label, %holder, token, held, "collection lease");
            }
            let (more, wait) = match token {
                Some(token) => {
                    if renewal.as_ref().is_none_or(|r| r.is_finished()) {
                        renewal = Some(self.lease(&label, holder).keep_renewed(self.store.clone()));
                    }
                    let _turn = turns.lock().await;
                    let more = self
                        .round(&label, token, &client)
                        .await
                        .is_some_and(|r| r.more);
                    (more, self.poll_interval)
                }
                None => {
                    if let Some(r) = renewal.take() {
                        r.abort();
                    }
                    // A standby replica asks more often than it would collect, so that it
                    // takes over soon after the holder's lease ran out.
                    let wait = if self.store.shared() {
                        lease::standby_interval(self.poll_interval)
                    } else {
                        self.poll_interval
                    };
                    (false, wait)
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stopping.wait_for(|s| *s) => break,
            }
        }
        if let Some(r) = renewal.take() {
            r.abort();
        }
        if let Err(e) = self
            .lease(&label, holder)
            .release(self.store.as_ref())
            .await
        {
            tracing::warn!(certificate = %label, error = %e, "collection lease not given up; it expires");
        }
    }

    /// The lease of certificate `label`. Alone on its store (sled) a collector's lease runs
    /// long (three poll intervals and 30 s), so that a slow round is never fenced; with
    /// replicas on one database it runs [`lease::ttl`], renewed while held, so that a
    /// replica that died is taken over within two poll intervals (a holder that stalls past
    /// it has its late writes fenced, and the next holder collects those messages).
    fn lease(&self, label: &str, holder: Uuid) -> WorkLease {
        let ttl = if self.store.shared() {
            lease::ttl(self.poll_interval)
        } else {
            self.poll_interval.saturating_mul(3) + Duration::from_secs(30)
        };
        WorkLease {
            name: label.to_owned(),
            holder,
            ttl,
        }
    }

    /// Takes or renews the lease of `label` and answers its fencing token; `None` when
    /// another collector holds it (an error when the store is not shared: two collectors
    /// on one store; a replica standing by when it is).
    async fn take_lease(&self, label: &str, holder: Uuid) -> Option<u64> {
        match self.lease(label, holder).take(self.store.as_ref()).await {
            Taken::Granted(token) => Some(token),
            Taken::Held { holder, until_ms } if self.store.shared() => {
                tracing::debug!(
                    certificate = %label,
                    %holder,
                    until_ms,
                    "standing by: another replica collects with this certificate"
                );
                None
            }
            Taken::Held { holder, until_ms } => {
                tracing::error!(
                    certificate = %label,
                    %holder,
                    until_ms,
                    "refusing to collect: another collector pulls with this certificate \
                     (only one system may pull per AGB code; two take each other's messages)"
                );
                None
            }
            Taken::Failed(e) => {
                tracing::error!(certificate = %label, error = %e, "collection lease not taken");
                None
            }
        }
    }

    /// What `w` is owed: for a 301/319 addressed to an AGB code in automatic mode, the retour
    /// to queue with it; in manual mode the duty to record. A retour that cannot be built (a
    /// counter exhausted, a bug) is logged and recorded as a duty instead: the provider then
    /// has to send it (`SubmitRetour`).
    fn answer(
        &self,
        w: &IncomingWrite,
        conversatie_id: Uuid,
    ) -> (Option<QueuedRetour>, Option<OwedRetour>) {
        let IncomingContent::Message(message) = &w.content else {
            return (None, None);
        };
        if crate::retour::owed_kind(message).is_none() {
            return (None, None);
        }
        let owed = Some(OwedRetour { conversatie_id });
        let agb = &message.content.header().ontvanger;
        if self.answers.for_agb(agb) == AnswerMode::Manual {
            return (None, owed);
        }
        let today = self.clock.today();
        match crate::retour::queued(&*self.store, &self.headers, today, message, conversatie_id) {
            Ok(Some(r)) => (Some(r), None),
            Ok(None) => (None, None),
            Err(e) => {
                tracing::error!(
                    traceer_id = %w.traceer_id,
                    kind = %message.kind(),
                    error = %e,
                    "no retour queued on a received message; the provider must send it \
                     (SubmitRetour)"
                );
                (None, owed)
            }
        }
    }

    /// One round for one certificate under the lease holding `token`; `None` when the
    /// listing failed. What the store refuses as fenced (the lease was lost meanwhile) is not
    /// confirmed to VECOZO: the collector that holds the lease now collects it.
    async fn round(&self, label: &str, token: u64, client: &VecozoClient) -> Option<RoundReport> {
        let store = |incoming: Incoming| {
            let kind = match &incoming.content {
                Content::Message(m) => Some(m.kind().code()),
                Content::Quarantined { .. } => None,
            };
            let conversatie_id = incoming.metadata.referentiegegevens.conversatie_id;
            let mut write = incoming_write(incoming, self.clock.now().timestamp_millis(), label);
            if let Write::Incoming(w) = &mut write {
                (w.retour, w.owed) = self.answer(w, conversatie_id);
                // The lease's clock (real time, as in `take_lease`), not `at_ms`: that is
                // the gateway's clock, which a dev clock offset moves (the lease would look
                // expired to a gateway two years ahead).
                w.fence = Some(Fence {
                    name: label.to_owned(),
                    token,
                    now_ms: Utc::now().timestamp_millis(),
                });
            }
            async move {
                match self.store.commit(write).wait().await? {
                    Outcome::Incoming { quarantined, .. } => {
                        match (quarantined, kind) {
                            (false, Some(kind)) => self.metrics.received(&kind),
                            _ => self.metrics.quarantined(),
                        }
                        Ok(())
                    }
                    Outcome::AlreadyReceived => {
                        self.metrics.redelivered();
                        Ok(())
                    }
                    Outcome::DuplicateAnswer(id) => {
                        tracing::warn!(
                            message = id,
                            "a second 325 for one 323 (IB019): kept, no second event"
                        );
                        self.metrics.redelivered();
                        Ok(())
                    }
                    Outcome::Fenced { name, current } => {
                        tracing::warn!(
                            certificate = %name,
                            token,
                            ?current,
                            "collection lease lost during a round; not storing or confirming"
                        );
                        Err(crate::error::Error::Store(format!(
                            "the collection lease of {name} was lost"
                        )))
                    }
                    other => Err(crate::error::Error::Internal(format!(
                        "unexpected store outcome {other:?}"
                    ))),
                }
            }
        };
        match collect_round(client, LIST_LIMIT, store).await {
            Ok(report) => {
                if report.listed > 0 {
                    tracing::info!(
                        certificate = %label,
                        listed = report.listed,
                        confirmed = report.acknowledged.len(),
                        quarantined = report.quarantined.len(),
                        failed = report.failed.len(),
                        "VECOZO collection round"
                    );
                }
                for _ in &report.failed {
                    self.metrics.collect_failure();
                }
                Some(report)
            }
            Err(e) => {
                tracing::warn!(certificate = %label, error = %e, "VECOZO listing failed; next round later");
                self.metrics.collect_failure();
                None
            }
        }
    }
}

/// The store write for a collected message, stamped `at_ms`, pulled with certificate
/// `puller`: a quarantined payload's event goes to the envelope's (first 8-digit) addressee,
/// else to the puller's label.
pub fn incoming_write(incoming: Incoming, at_ms: i64, puller: &str) -> Write {
    let addressee = incoming
        .metadata
        .routeringgegevens
        .geadresseerden
        .iter()
        .filter_map(|g| g.code.as_deref())
        .find(|c| c.len() == 8 && c.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(puller)
        .to_owned();
    let content = match incoming.content {
        Content::Message(m) => IncomingContent::Message(Arc::new(*m)),
        Content::Quarantined { reason } => IncomingContent::Quarantined { reason },
    };
    Write::Incoming(Box::new(IncomingWrite {
        traceer_id: incoming.metadata.traceer_id(),
        als_antwoord_op: incoming.metadata.referentiegegevens.als_antwoord_op,
        at_ms,
        addressee,
        payload: incoming.payload,
        content,
        retour: None,
        owed: None,
        fence: None,
    }))
}
