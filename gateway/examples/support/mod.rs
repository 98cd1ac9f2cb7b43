//! What the benchmark programs share: their command-line arguments and the process's RSS.
//! Included by each with `#[path = "support/mod.rs"] mod support;` (a directory without a
//! `main.rs` is not an example of its own).

#![allow(dead_code)]

use std::sync::Arc;

use ketenpoort::store::{NewMessage, stored_xml};
use ketenpoort_messages::{Content, Message};

/// The value after `name` on the command line, if any.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The value after `name` on the command line, parsed; `default` when it is missing or
/// does not parse.
pub fn arg_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// This process's resident set size in MiB (`VmRSS` of `/proc/self/status`), 0 when unknown.
pub fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `m` as a submit stores it, its XML compressed up front (as a request thread does).
pub fn new_message(m: &Message) -> NewMessage {
    let xml = m.to_xml().unwrap_or_default();
    let header = m.content.header();
    NewMessage {
        message: Arc::new(m.clone()),
        kind: m.kind().code(),
        agb: header.afzender.clone(),
        municipality: header.ontvanger.clone(),
        identificatie: header.bericht_identificatie.identificatie.0.clone(),
        declaration_number: match &m.content {
            Content::Declaration(h) => Some(h.body.declaratie_nummer.0.clone()),
            _ => None,
        },
        compressed_xml: stored_xml::encode(&xml),
        xml,
    }
}
