//! The loopback stand-in for VECOZO, used in dev mode (`vecozo.mode = "loopback"`).
//!
//! **This is not VECOZO and sends nothing anywhere.** It takes queued messages in order,
//! marks each as delivered, and logs a `DeliveryStatusChanged` event, so that a client can
//! exercise the whole submit → stream → ack cycle on one machine before the VECOZO client
//! and the simulator (`ketenpoort-sim`) exist. It never produces answers (316, 301, 325…).

use std::sync::Arc;

use tokio::sync::watch;

use crate::header::Clock;
use crate::metrics::Metrics;
use crate::store::{Store, Write};

/// Delivers queued messages until `stopping` turns true.
pub async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut queue = store.watch_queue();
    tracing::warn!("VECOZO stand-in: loopback (dev mode); messages are marked delivered, not sent");
    loop {
        queue.borrow_and_update();
        loop {
            let meta = match store.next_queued() {
                Ok(Some(meta)) => meta,
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(error = %e, "loopback: could not read the queue");
                    break;
                }
            };
            let at_ms = clock.now().timestamp_millis();
            let write = Write::Delivered {
                message_id: meta.id,
                at_ms,
            };
            match store.commit(write).wait().await {
                Ok(_) => {
                    metrics.delivered((at_ms - meta.accepted_at_ms) as f64 / 1000.0);
                    tracing::debug!(message_id = meta.id, kind = %meta.kind, "loopback: delivered");
                }
                Err(e) => {
                    tracing::error!(error = %e, "loopback: could not mark a message delivered");
                    break;
                }
            }
        }
        tokio::select! {
            changed = queue.changed() => if changed.is_err() { return },
            _ = stopping.wait_for(|s| *s) => return,
        }
    }
}
