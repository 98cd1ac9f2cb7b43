//! The outbox worker: pushes queued messages to VECOZO, oldest first, with at most
//! `max_concurrent_deliveries` pushes in flight.
//!
//! Per message: the traceerId and conversatieId are minted once and made durable
//! ([`Write::Attempt`]) before the first push; every later attempt — also after a restart —
//! reuses them, and the attempt counter is incremented durably before each push. Then
//! [`delivery::deliver`] decides:
//!
//! - delivered → [`Write::Delivered`] (state DELIVERED and a DeliveryStatusChanged event);
//! - rejected, conflict or unsendable → [`Write::Rejected`] (REJECTED_BY_VECOZO with the
//!   meldingen and an event), never retried;
//! - retry at → the message stays queued; the worker tries again at that time (kept in
//!   memory: after a restart, queued messages are tried at once, with their persisted ids).
//!
//! With replicas on one database ([`Store::shared`]) one replica pushes at a time: the
//! holder of the [`OUTBOX_LEASE`] lease ([`super::lease`]), renewed while it runs; the
//! others stand by and take it over once a holder that died let it run out. A holder that
//! loses the lease starts no new push; a push it had in flight finishes. Should two replicas
//! still push one message (a holder that paused past its lease), the message keeps its one
//! traceerId, and VECOZO refuses the second push (BRS114), which [`delivery`] resolves
//! through the status API: never two messages at VECOZO.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::clients::Clients;
use super::delivery::{self, Delivery, OutboxItem};
use super::envelope::{EnvelopeSettings, References};
use super::lease::{self, Taken, WorkLease};
use super::retry::{Backoff, SplitMix64};
use crate::header::Clock;
use crate::metrics::Metrics;
use crate::store::{Melding, Outcome, Store, Write};

/// The name of the lease whose holder pushes the queue when replicas share the store.
pub const OUTBOX_LEASE: &str = "outbox";

/// What the worker needs.
pub struct Worker {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Timestamps.
    pub clock: Arc<dyn Clock>,
    /// Counters for /metrics.
    pub metrics: Arc<Metrics>,
    /// One client per certificate.
    pub clients: Arc<Clients>,
    /// Envelope values not in the message.
    pub envelope: Arc<EnvelopeSettings>,
    /// Backoff between attempts.
    pub backoff: Backoff,
    /// Pushes in flight at once (at least 1).
    pub max_concurrent: usize,
    /// The longest the worker sleeps without looking at the queue.
    pub poll_interval: Duration,
}

/// What one attempt came to.
enum Step {
    /// Done with the message (delivered or rejected).
    Done,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
}

impl Worker {
    /// Pushes queued messages until `stopping` turns true.
    pub async fn run(self, mut stopping: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut queue = this.store.watch_queue();
        let mut in_flight: JoinSet<(u64, Step)> = JoinSet::new();
        let mut busy: HashMap<u64, ()> = HashMap::new();
        let mut not_before: HashMap<u64, DateTime<Utc>> = HashMap::new();
        let max = this.max_concurrent.max(1);
        // With replicas on one database, one of them pushes at a time (see the module docs).
        let lease = this.store.shared().then(|| WorkLease {
            name: OUTBOX_LEASE.to_owned(),
            holder: uuid::Uuid::new_v4(),
            ttl: lease::ttl(this.poll_interval),
        });
        let mut held_until: Option<Instant> = None;
        loop {
            queue.borrow_and_update();
            if let Some(lease) = &lease {
                // Renewed once half of it ran, and asked for again while another holds it.
                if held_until
                    .is_none_or(|t| t.saturating_duration_since(Instant::now()) < lease.ttl / 2)
                {
                    let asked = Instant::now();
                    held_until = match lease.take(this.store.as_ref()).await {
                        Taken::Granted(_) => {
                            if held_until.is_none() {
                                tracing::info!(holder = %lease.holder, "outbox: this replica pushes the queue now");
                            }
                            Some(asked + lease.ttl)
                        }
                        Taken::Held { .. } => None,
                        Taken::Failed(e) => {
                            tracing::error!(error = %e, "outbox: lease not taken; not pushing");
                            None
                        }
                    };
                }
            }
            let pushing = lease.is_none() || held_until.is_some_and(|t| t > Instant::now());
            let now = Utc::now();
            let mut after = None;
            'scan: while pushing && in_flight.len() < max {
                let ids = match this.store.queued_ids(after, 256) {
                    Ok(ids) => ids,
                    Err(e) => {
                        tracing::error!(error = %e, "outbox: could not read the queue");
                        break;
                    }
                };
                let Some(&last) = ids.last() else { break };
                after = Some(last);
                for id in ids {
                    if in_flight.len() >= max {
                        break 'scan;
                    }
                    if busy.contains_key(&id) || not_before.get(&id).is_some_and(|t| *t > now) {
                        continue;
                    }
                    not_before.remove(&id);
                    busy.insert(id, ());
                    let w = this.clone();
                    in_flight.spawn(async move { (id, w.attempt(id).await) });
                }
            }
            let wake = not_before
                .values()
                .min()
                .and_then(|t| (*t - now).to_std().ok())
                .unwrap_or(this.poll_interval)
                .min(match &lease {
                    None => this.poll_interval,
                    // The holder wakes in time to renew; a standby asks again soon.
                    Some(l) if pushing => l.ttl / 3,
                    Some(_) => lease::standby_interval(this.poll_interval),
                });
            tokio::select! {
                done = in_flight.join_next(), if !in_flight.is_empty() => {
                    if let Some(Ok((id, step))) = done {
                        busy.remove(&id);
                        if let Step::RetryAt(at) = step {
                            not_before.insert(id, at);
                        }
                    } else if let Some(Err(e)) = done {
                        tracing::error!(error = %e, "outbox: a delivery task failed");
                        busy.clear();
                    }
                }
                changed = queue.changed() => if changed.is_err() { break },
                _ = tokio::time::sleep(wake) => {}
                _ = stopping.wait_for(|s| *s) => break,
            }
        }
        in_flight.shutdown().await;
        if let Some(lease) = lease.filter(|_| held_until.is_some())
            && let Err(e) = lease.release(this.store.as_ref()).await
        {
            tracing::warn!(error = %e, "outbox: lease not given up; it expires");
        }
    }

    /// One delivery attempt of message `id`.
    async fn attempt(&self, id: u64) -> Step {
        let later = || Step::RetryAt(Utc::now() + self.poll_interval);
        let (meta, xml) = match (self.store.message(id), self.store.message_xml(id)) {
            (Ok(Some(m)), Ok(Some(x))) => (m, x),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(message_id = id, error = %e, "outbox: could not read a message");
                return later();
            }
            _ => return Step::Done,
        };
        let fresh = References::new_conversation();
        let write = Write::Attempt {
            message_id: id,
            traceer_id: fresh.traceer_id,
            conversatie_id: fresh.conversatie_id,
        };
        let record = match self.store.commit(write).wait().await {
            Ok(Outcome::Attempt(Some(r))) => r,
            Ok(_) => return Step::Done,
            Err(e) => {
                tracing::error!(message_id = id, error = %e, "outbox: could not record an attempt");
                return later();
            }
        };
        let client = match self.clients.for_agb(&meta.agb) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(message_id = id, error = %e, "outbox: no VECOZO client");
                return later();
            }
        };
        let item = OutboxItem {
            payload: xml.as_bytes(),
            refs: References {
                traceer_id: record.traceer_id,
                conversatie_id: record.conversatie_id,
                // Set for the retours ketenpoort queues on a received 301/319.
                als_antwoord_op: record.als_antwoord_op,
            },
            attempt: record.attempts.saturating_sub(1),
        };
        let mut rng = SplitMix64::from_entropy();
        let decision = delivery::deliver(
            client,
            &item,
            &self.envelope,
            &self.backoff,
            &mut rng,
            Utc::now(),
        )
        .await;
        let at_ms = self.clock.now().timestamp_millis();
        let traceer_id = record.traceer_id;
        let write = match decision {
            Delivery::Delivered(_) => Write::Delivered {
                message_id: id,
                at_ms,
            },
            Delivery::Rejected { status, meldingen } => {
                tracing::warn!(message_id = id, %traceer_id, status, "VECOZO refused a message");
                Write::Rejected {
                    message_id: id,
                    at_ms,
                    meldingen: convert(meldingen),
                    vecozo_status: None,
                }
            }
            Delivery::Conflict { reason, meldingen } => {
                tracing::error!(message_id = id, %traceer_id, %reason, "traceerId conflict at VECOZO");
                Write::Rejected {
                    message_id: id,
                    at_ms,
                    meldingen: convert(meldingen),
                    vecozo_status: None,
                }
            }
            Delivery::Unsendable(reason) => {
                tracing::error!(message_id = id, %reason, "a stored message cannot be sent");
                Write::Rejected {
                    message_id: id,
                    at_ms,
                    meldingen: vec![Melding {
                        code: "UNSENDABLE".into(),
                        description: reason,
                    }],
                    vecozo_status: None,
                }
            }
            Delivery::RetryAt { at, reason, .. } => {
                tracing::info!(message_id = id, %traceer_id, %reason, %at, "VECOZO push will be retried");
                return Step::RetryAt(at);
            }
        };
        let delivered = matches!(write, Write::Delivered { .. });
        match self.store.commit(write).wait().await {
            Ok(_) => {
                if delivered {
                    self.metrics
                        .delivered((at_ms - meta.accepted_at_ms) as f64 / 1000.0);
                }
                Step::Done
            }
            Err(e) => {
                tracing::error!(message_id = id, error = %e, "outbox: could not record a delivery");
                later()
            }
        }
    }
}

fn convert(meldingen: Vec<super::wire::Melding>) -> Vec<Melding> {
    meldingen
        .into_iter()
        .map(|m| Melding {
            code: m.code,
            description: match m.toelichting {
                Some(t) => format!("{} ({t})", m.omschrijving),
                None => m.omschrijving,
            },
        })
        .collect()
}

/// The VECOZO clients of `config`: certificates loaded and checked, trust roots read.
pub fn clients_from_config(config: &crate::config::VecozoConfig) -> Result<Clients, String> {
    load(config, Utc::now()).map(|(clients, _)| clients)
}

/// The certificates of `config`, checked at `now` (an expired or not-yet-valid one is an
/// error naming the AGB code, the file and the dates), and a client for each.
pub fn load(
    config: &crate::config::VecozoConfig,
    now: DateTime<Utc>,
) -> Result<(Clients, Arc<super::identity::Identities>), String> {
    let environment = config
        .environment
        .as_ref()
        .ok_or("vecozo.environment is not set")?;
    let roots_path = config
        .trust_roots
        .as_ref()
        .ok_or("vecozo.trust_roots is not set")?;
    let roots = super::identity::trust_roots_from_file(roots_path)
        .map_err(|e| format!("vecozo.trust_roots: {e}"))?;
    let identities = super::identity::Identities::load(&config.identity, now)
        .map_err(|e| format!("vecozo.identity: {e}"))?;
    let clients = Clients::new(
        environment,
        &identities,
        &roots,
        super::client::Timeouts::default(),
    )
    .map_err(|e| format!("vecozo: {e}"))?;
    Ok((clients, Arc::new(identities)))
}
