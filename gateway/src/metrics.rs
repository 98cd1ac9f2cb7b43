//! Counters for the admin `/metrics` endpoint, in the Prometheus text format.
//!
//! Labels are message kinds, results, rule ids and — on the certificate gauge — the AGB code
//! a system certificate is configured for (an organisation, not a person): never BSNs, names
//! or birth dates of clients (privacy, see ARCHITECTURE.md).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// The gateway's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// (kind, result) → count.
    submits: BTreeMap<(String, &'static str), u64>,
    /// rule id → count.
    rejections: BTreeMap<String, u64>,
    /// Deliveries and the sum of their latency (acceptance → delivery) in seconds.
    deliveries: u64,
    delivery_seconds: f64,
    /// kind → messages collected from VECOZO.
    received: BTreeMap<String, u64>,
    /// Collected payloads stored as quarantined.
    quarantined: u64,
    /// Collected messages already stored (VECOZO delivered them again).
    redelivered: u64,
    /// Collection failures: listings, and messages left unconfirmed for a later round.
    collect_failures: u64,
    /// Certificate label (AGB code or `default`) → whole days of validity left.
    certificate_days_left: BTreeMap<String, i64>,
    /// expected message (`316`, `301/319`, …; the provider's `302`, `305`, …) → deadlines
    /// missed.
    deadlines_missed: BTreeMap<String, u64>,
    /// Tariff table reloads: `ok` and `error`.
    tariff_reloads: BTreeMap<&'static str, u64>,
}

impl Metrics {
    /// Counts a submit of `kind` (e.g. `JW315`) with `result` (`ok`, `invalid`, …).
    pub fn submit(&self, kind: &str, result: &'static str) {
        if let Ok(mut m) = self.inner.lock() {
            *m.submits.entry((kind.to_owned(), result)).or_default() += 1;
        }
    }

    /// Counts a rejection by rule id.
    pub fn rejection(&self, rule: &str) {
        if let Ok(mut m) = self.inner.lock() {
            *m.rejections.entry(rule.to_owned()).or_default() += 1;
        }
    }

    /// Records a delivery that took `seconds` from acceptance.
    pub fn delivered(&self, seconds: f64) {
        if let Ok(mut m) = self.inner.lock() {
            m.deliveries += 1;
            m.delivery_seconds += seconds.max(0.0);
        }
    }

    /// Counts a message of `kind` (e.g. `JW316`) collected from VECOZO.
    pub fn received(&self, kind: &str) {
        if let Ok(mut m) = self.inner.lock() {
            *m.received.entry(kind.to_owned()).or_default() += 1;
        }
    }

    /// Counts a collected payload stored as quarantined.
    pub fn quarantined(&self) {
        if let Ok(mut m) = self.inner.lock() {
            m.quarantined += 1;
        }
    }

    /// Counts a collected message that was stored before (a redelivery).
    pub fn redelivered(&self) {
        if let Ok(mut m) = self.inner.lock() {
            m.redelivered += 1;
        }
    }

    /// Counts a failed listing or a message left unconfirmed.
    pub fn collect_failure(&self) {
        if let Ok(mut m) = self.inner.lock() {
            m.collect_failures += 1;
        }
    }

    /// Sets the days of validity left of the system certificate configured for `agb` (or
    /// `default`); negative once it has expired.
    pub fn certificate_days_left(&self, agb: &str, days: i64) {
        if let Ok(mut m) = self.inner.lock() {
            m.certificate_days_left.insert(agb.to_owned(), days);
        }
    }

    /// Counts a missed deadline of an expected answer named `expected` (e.g. `316`).
    pub fn deadline_missed(&self, expected: &str) {
        if let Ok(mut m) = self.inner.lock() {
            *m.deadlines_missed.entry(expected.to_owned()).or_default() += 1;
        }
    }

    /// Counts a reload of the tariff table (`ok`: in force; else the previous one stays).
    pub fn tariff_reload(&self, ok: bool) {
        if let Ok(mut m) = self.inner.lock() {
            *m.tariff_reloads
                .entry(if ok { "ok" } else { "error" })
                .or_default() += 1;
        }
    }

    /// The Prometheus text exposition, with the current queue depth.
    pub fn render(&self, queue_depth: usize) -> String {
        let mut out = String::new();
        let Ok(m) = self.inner.lock() else {
            return out;
        };
        let _ = writeln!(
            out,
            "# HELP ketenpoort_submits_total Submits by message kind and result."
        );
        let _ = writeln!(out, "# TYPE ketenpoort_submits_total counter");
        for ((kind, result), n) in &m.submits {
            let _ = writeln!(
                out,
                "ketenpoort_submits_total{{kind=\"{kind}\",result=\"{result}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP ketenpoort_rejections_total Rejected submits by rule id."
        );
        let _ = writeln!(out, "# TYPE ketenpoort_rejections_total counter");
        for (rule, n) in &m.rejections {
            let _ = writeln!(out, "ketenpoort_rejections_total{{rule=\"{rule}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP ketenpoort_queue_depth Messages queued, not yet delivered."
        );
        let _ = writeln!(out, "# TYPE ketenpoort_queue_depth gauge");
        let _ = writeln!(out, "ketenpoort_queue_depth {queue_depth}");
        let _ = writeln!(
            out,
            "# HELP ketenpoort_delivery_latency_seconds Time from acceptance to delivery."
        );
        let _ = writeln!(out, "# TYPE ketenpoort_delivery_latency_seconds summary");
        let _ = writeln!(
            out,
            "ketenpoort_delivery_latency_seconds_sum {}",
            m.delivery_seconds
        );
        let _ = writeln!(
            out,
            "ketenpoort_delivery_latency_seconds_count {}",
            m.deliveries
        );
        let _ = writeln!(
            out,
            "# HELP ketenpoort_received_total Messages collected from VECOZO by kind."
        );
        let _ = writeln!(out, "# TYPE ketenpoort_received_total counter");
        for (kind, n) in &m.received {
            let _ = writeln!(out, "ketenpoort_received_total{{kind=\"{kind}\"}} {n}");
        }
        for (name, help, n) in [
            (
                "ketenpoort_quarantined_total",
                "Collected payloads stored as quarantined.",
                m.quarantined,
            ),
            (
                "ketenpoort_redelivered_total",
                "Collected messages VECOZO delivered again (stored once).",
                m.redelivered,
            ),
            (
                "ketenpoort_collect_failures_total",
                "Failed listings and messages left unconfirmed for a later round.",
                m.collect_failures,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP ketenpoort_tariff_reloads_total Reloads of the tariff table (SIGHUP) by \
             result; after an error the previous table stays in force."
        );
        let _ = writeln!(out, "# TYPE ketenpoort_tariff_reloads_total counter");
        for (result, n) in &m.tariff_reloads {
            let _ = writeln!(
                out,
                "ketenpoort_tariff_reloads_total{{result=\"{result}\"}} {n}"
            );
        }
        if !m.certificate_days_left.is_empty() {
            let _ = writeln!(
                out,
                "# HELP ketenpoort_vecozo_certificate_days_left Days until the VECOZO system \
                 certificate configured for an AGB code (or the default) expires."
            );
            let _ = writeln!(out, "# TYPE ketenpoort_vecozo_certificate_days_left gauge");
            for (agb, days) in &m.certificate_days_left {
                let _ = writeln!(
                    out,
                    "ketenpoort_vecozo_certificate_days_left{{agb=\"{agb}\"}} {days}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP ketenpoort_deadlines_missed_total Expected messages not sent by their due date: the municipality's answers (316, 301/319, 325, ...) and the provider's own (302, 320, 305, 307)."
        );
        let _ = writeln!(out, "# TYPE ketenpoort_deadlines_missed_total counter");
        for (expected, n) in &m.deadlines_missed {
            let _ = writeln!(
                out,
                "ketenpoort_deadlines_missed_total{{expected=\"{expected}\"}} {n}"
            );
        }
        out
    }
}
