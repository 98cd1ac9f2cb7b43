//! The daily certificate check: the system certificates are checked at start-up (an expired
//! or not-yet-valid one stops the gateway, see [`super::identity::Identities::load`]) and
//! then once a day while the gateway runs, because a gateway that runs for months outlives
//! its certificate.
//!
//! Each check sets `ketenpoort_vecozo_certificate_days_left{agb="…"}` on /metrics (the AGB
//! code the certificate is configured for, or `default`; AGB codes identify organisations,
//! not persons), logs a warning from `vecozo.identity.warning_days` (default 30) days before
//! the end of the validity, and an error once it has ended. A running gateway does not stop
//! then: it keeps accepting and queueing submits, and the pushes fail (and are retried)
//! until the certificate is replaced and the gateway restarted.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::identity::Identities;
use crate::metrics::Metrics;

/// How often the running gateway checks its certificates.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// Checks every certificate of `identities` at `now`: sets the days-left metric, logs a
/// warning or an error where due. Returns the number of certificates that are expired, not
/// yet valid, or within the warning period.
pub fn check(identities: &Identities, metrics: &Metrics, now: DateTime<Utc>) -> usize {
    let mut attention = 0;
    for cert in identities.iter() {
        let (_, not_after) = cert.validity();
        let days_left = (not_after - now).num_days();
        metrics.certificate_days_left(cert.label(), days_left);
        match cert.check(now, identities.warning_days()) {
            Ok(e) if e.warning => {
                attention += 1;
                tracing::warn!(agb = cert.label(), file = cert.source_name(), %not_after, days_left,
                    "the VECOZO system certificate expires soon: renew it at VECOZO");
            }
            Ok(_) => {
                tracing::info!(agb = cert.label(), %not_after, days_left, "VECOZO system certificate valid");
            }
            Err(e) => {
                attention += 1;
                tracing::error!(error = %e, "a VECOZO system certificate is not valid: pushes will fail");
            }
        }
    }
    attention
}

/// Checks the certificates now and then every `interval` until `stopping` turns true.
pub async fn run(
    identities: Arc<Identities>,
    metrics: Arc<Metrics>,
    interval: Duration,
    mut stopping: watch::Receiver<bool>,
) {
    loop {
        check(&identities, &metrics, Utc::now());
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stopping.wait_for(|s| *s) => break,
        }
    }
}
