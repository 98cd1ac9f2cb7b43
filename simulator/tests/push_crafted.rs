//! The push endpoint and the ketencontrole on the crafted input of issue 13: a 24 MB payload
//! with six million unexpected elements is accepted, refused with at most 100 meldingen (the
//! last counting the rest), and the simulator's peak memory grows by at most 4× the input.
//! One test in this binary, so that the process's peak memory (`VmHWM`) is this test's.

mod common;

use common::*;
use serde_json::Value;
use uuid::Uuid;

/// The process's peak resident set size in bytes, from `/proc/self/status`.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[tokio::test]
async fn a_crafted_24mb_payload_costs_bounded_memory_and_few_meldingen() {
    let h = start().await;
    let client = h.client(PROVIDER);
    // Warm up: one ordinary push, so that the server's buffers and threads exist.
    let m = metadata(PROVIDER, GEMEENTE, "JW315", Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(
        h.push(&client, &m, request_315("ID0001")).await.status(),
        204
    );

    // Built in place, so that making it does not raise the peak beyond one copy.
    let message = request_315("ID0002");
    let at = message
        .windows(14)
        .position(|w| w == b"<jw315:Client>")
        .expect("Client")
        + 14;
    let mut payload = Vec::with_capacity(message.len() + 4 * 6_000_000);
    payload.extend_from_slice(&message[..at]);
    for _ in 0..6_000_000 {
        payload.extend_from_slice(b"<a/>");
    }
    payload.extend_from_slice(&message[at..]);
    let size = payload.len() as u64;
    assert!(size > 20_000_000, "{size}");
    // The base includes the test's own copy of the payload.
    let base = peak_rss();
    let t = Uuid::new_v4();
    let m = metadata(PROVIDER, GEMEENTE, "JW315", t, Uuid::new_v4());
    assert_eq!(h.push(&client, &m, payload).await.status(), 204);
    h.advance(3600).await;
    let after = peak_rss();

    let statuses = h.status_of(&client, t).await;
    let s: &Value = statuses.last().expect("a status");
    assert_eq!(s["berichtstatus"], "AfgekeurdDoorDienst", "{s}");
    let meldingen = s["meldingen"].as_array().expect("meldingen");
    assert_eq!(meldingen.len(), 100, "the v3 schema allows at most 100");
    assert!(meldingen.iter().all(|m| m["code"] == "BRS13"));
    let last = meldingen[99]["toelichting"].as_str().unwrap_or_default();
    let more: u64 = last
        .strip_prefix("… and ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the last melding counts the rest: {last}"));
    assert!(99 + more >= 6_000_000, "{last}");

    match (base, after) {
        (Some(base), Some(after)) => {
            println!(
                "push of {size} bytes: peak RSS {} KiB -> {} KiB (+{:.2}x the input)",
                base / 1024,
                after / 1024,
                after.saturating_sub(base) as f64 / size as f64
            );
            assert!(
                after <= base + 4 * size,
                "peak RSS grew from {base} to {after} bytes for a {size}-byte payload"
            );
        }
        _ => eprintln!("peak RSS not measured: no /proc/self/status"),
    }
}
