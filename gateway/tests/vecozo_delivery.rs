//! Delivery through the real serve path: a gateway in `[vecozo] mode = "vecozo"` (outbox
//! worker, status follower, certificate check) against the simulated VECOZO in-process,
//! driven through the public gRPC API. What VECOZO holds is read from the simulator's admin
//! counts per traceerId.
//!
//! - a submit is pushed once, DELIVERED (GetMessage and a DeliveryStatusChanged event), and
//!   followed through the status API to `Bezorgd` — also across a restart;
//! - a message VECOZO's ketencontrole refuses after accepting the push becomes
//!   REJECTED_BY_VECOZO with the meldingen (AfgekeurdDoorDienst);
//! - a 1,000-message burst during an outage is accepted and queued (the queue-depth metric
//!   grows), then delivered with each traceerId accepted exactly once;
//! - a storm of 5xx, dropped connections and slow answers ends in one delivery each;
//! - a 422 with a BRS code is REJECTED_BY_VECOZO with that melding, never retried.

mod common;
mod delivery_support;
mod vecozo_support;

use std::collections::BTreeSet;
use std::sync::Arc;

use delivery_support::*;
use ketenpoort::proto::{self, MessageState};
use ketenpoort::store::{NewMessage, Outcome, SubmitWrite, Write};
use serde_json::Value;
use vecozo_support::Sim;

/// The simulator's count of accepted pushes of `traceer_id`.
fn accepted(counts: &Value, traceer_id: uuid::Uuid) -> u64 {
    counts["perTraceerId"][traceer_id.to_string()]["geaccepteerd"]
        .as_u64()
        .unwrap_or(0)
}

/// Messages the simulator accepted in total.
fn accepted_total(counts: &Value) -> u64 {
    counts["perStatus"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

async fn queue_depth(gw: &Gw) -> f64 {
    sample(&gw.metrics().await, "ketenpoort_queue_depth").expect("queue depth on /metrics")
}

#[tokio::test]
async fn a_submit_is_pushed_once_delivered_and_followed_to_bezorgd_across_a_restart() {
    let sim = vecozo_support::start().await;
    let gw = start(tempfile::tempdir().expect("dir"), config(&sim)).await;
    let mut c = gw.client().await;
    let mut events = stream(&mut c).await;

    let id = submit_315(&mut c, 1).await.expect("submit").message_id;
    let d = next_delivery(&mut events, &id, |d| {
        d.state == MessageState::Delivered as i32
    })
    .await;
    assert_eq!(d.vecozo_status, "", "the push's own answer");
    assert_eq!(get(&mut c, &id).await.state, MessageState::Delivered as i32);
    let traceer_id = gw.traceer_id(&id).expect("a persisted traceerId");
    let counts = sim.counts().await;
    assert_eq!(accepted(&counts, traceer_id), 1, "{counts}");
    assert_eq!(accepted_total(&counts), 1);
    assert_eq!(gw.attempts(&id), 1);
    // The certificate check ran at start-up: the gauge names the configured certificates.
    let m = gw.metrics().await;
    let days = sample(
        &m,
        "ketenpoort_vecozo_certificate_days_left{agb=\"default\"}",
    )
    .expect("days left of the default certificate");
    assert!(days > 30.0, "{m}");
    assert!(m.contains("ketenpoort_vecozo_certificate_days_left{agb=\"87654321\"}"));

    // Stopped before VECOZO reports the final state: the follow record survives the restart.
    let dir = gw.stop().await;
    sim.advance(3600).await;
    let gw = start(dir, config(&sim)).await;
    let mut c = gw.client().await;
    let mut events = stream(&mut c).await;
    let d = next_delivery(&mut events, &id, |d| d.vecozo_status == "Bezorgd").await;
    assert_eq!(d.state, MessageState::Delivered as i32);
    let record = get(&mut c, &id).await;
    assert_eq!(record.state, MessageState::Delivered as i32);
    assert_eq!(record.event_cursors.len(), 2, "delivered, then Bezorgd");
    let counts = sim.counts().await;
    assert_eq!(accepted(&counts, traceer_id), 1, "{counts}");
    assert_eq!(
        counts["perTraceerId"][traceer_id.to_string()]["status"],
        "Bezorgd"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_message_the_ketencontrole_refuses_after_the_push_becomes_rejected_by_vecozo() {
    let sim = vecozo_support::start().await;
    let gw = start(tempfile::tempdir().expect("dir"), config(&sim)).await;
    let mut c = gw.client().await;
    let mut events = stream(&mut c).await;

    // A message our checks would refuse (the BSN fails the elfproef, CS002) but that VECOZO
    // accepts at the door: what a rule VECOZO has and ketenpoort lacks looks like. It is put
    // in the outbox directly, as a submit that passed would be.
    let xml = vecozo_support::JW315
        .replace("123456782", "123456789")
        .replace("KP000001", "ZZ000001");
    let message = ketenpoort_messages::read(
        xml.as_bytes(),
        ketenpoort_messages::ReadLimits {
            max_bytes: usize::MAX,
        },
    )
    .expect("schema-valid");
    let store = gw.shared.upgrade().expect("running").store.clone();
    let outcome = store
        .commit(Write::Submit(SubmitWrite {
            tenant: "a".into(),
            request_id: "refused-later".into(),
            content_hash: "0".repeat(64),
            at_ms: 0,
            messages: vec![NewMessage {
                message: Arc::new(message),
                kind: "JW315".into(),
                agb: vecozo_support::PROVIDER.into(),
                municipality: "0268".into(),
                identificatie: "ZZ000001".into(),
                declaration_number: None,
                xml,
            }],
            counters: Vec::new(),
            cross_message_rules: false,
        }))
        .wait()
        .await
        .expect("stored");
    let Outcome::Stored(ids) = outcome else {
        panic!("{outcome:?}")
    };
    drop(store);
    let id = ids[0].to_string();
    next_delivery(&mut events, &id, |d| {
        d.state == MessageState::Delivered as i32
    })
    .await;

    // The ketencontrole takes minutes at VECOZO: move the simulated clock past it.
    sim.advance(3600).await;
    let d = next_delivery(&mut events, &id, |d| {
        d.state == MessageState::RejectedByVecozo as i32
    })
    .await;
    assert_eq!(d.vecozo_status, "AfgekeurdDoorDienst");
    assert_eq!(d.meldingen[0].code, "BRS28", "{d:?}");
    assert!(d.meldingen[0].description.contains("CS002"), "{d:?}");
    let record = get(&mut c, &id).await;
    assert_eq!(record.state, MessageState::RejectedByVecozo as i32);
    assert_eq!(record.meldingen[0].code, "BRS28");
    let traceer_id = gw.traceer_id(&id).expect("traceerId");
    let counts = sim.counts().await;
    assert_eq!(accepted(&counts, traceer_id), 1);
    assert_eq!(
        counts["perTraceerId"][traceer_id.to_string()]["status"],
        "AfgekeurdDoorDienst"
    );
    gw.stop().await;
}

/// Submits `n` 315s numbered from `from`, 16 at a time; returns the message ids.
async fn burst(gw: &Gw, from: usize, n: usize) -> Vec<String> {
    let mut tasks = tokio::task::JoinSet::new();
    let per = n.div_ceil(16);
    for k in 0..16 {
        let mut c = gw.client().await;
        let range = (from + k * per)..(from + ((k + 1) * per).min(n));
        tasks.spawn(async move {
            let mut ids = Vec::new();
            for i in range {
                ids.push(submit_315(&mut c, i).await.expect("submit OK").message_id);
            }
            ids
        });
    }
    let mut ids = Vec::new();
    while let Some(r) = tasks.join_next().await {
        ids.extend(r.expect("no panic"));
    }
    ids
}

/// Waits until nothing is queued, then checks that every message is DELIVERED and that the
/// simulator accepted each traceerId exactly once and nothing else.
async fn all_delivered_once(gw: &Gw, sim: &Sim, ids: &[String]) {
    wait_for("an empty queue", DEADLINE, || async {
        (queue_depth(gw).await == 0.0).then_some(())
    })
    .await;
    let mut c = gw.client().await;
    let counts = sim.counts().await;
    let mut traceer_ids = BTreeSet::new();
    for id in ids {
        assert_eq!(get(&mut c, id).await.state, MessageState::Delivered as i32);
        let t = gw.traceer_id(id).expect("traceerId");
        assert_eq!(accepted(&counts, t), 1, "message {id}");
        assert!(traceer_ids.insert(t), "one traceerId per message");
    }
    assert_eq!(accepted_total(&counts), ids.len() as u64);
}

#[tokio::test]
async fn a_burst_of_1000_during_an_outage_is_queued_then_delivered_once_each() {
    // The simulator's clock is frozen at 2025-04-02T08:00:00Z: inside the window.
    let sim = vecozo_support::start_with_toml(
        r#"
        [[storing]]
        soort = "onderhoud"
        api = ["push"]
        van = "2025-04-02T07:00:00Z"
        tot = "2025-04-02T09:00:00Z"
        "#,
    )
    .await;
    let mut cfg = config(&sim);
    cfg.vecozo.max_concurrent_deliveries = 16;
    cfg.vecozo.status_poll_interval_ms = 1000;
    let gw = start(tempfile::tempdir().expect("dir"), cfg).await;

    let mut ids = Vec::new();
    let mut depths = Vec::new();
    for wave in 0..10 {
        ids.extend(burst(&gw, wave * 100, 100).await);
        depths.push(queue_depth(&gw).await);
    }
    assert_eq!(ids.len(), 1000);
    // Nothing gets through the outage, so the queue holds every accepted submit.
    let expected: Vec<f64> = (1..=10).map(|w| (w * 100) as f64).collect();
    assert_eq!(depths, expected);
    // ... while the worker kept trying.
    let counts = sim.counts().await;
    assert!(
        counts["storingen"][0]["toegepast"].as_u64().unwrap_or(0) > 0,
        "{}",
        counts["storingen"]
    );
    assert_eq!(accepted_total(&counts), 0);

    sim.advance(2 * 3600).await;
    all_delivered_once(&gw, &sim, &ids).await;
    gw.stop().await;
}

#[tokio::test]
async fn a_storm_of_5xx_resets_and_slow_answers_ends_in_one_delivery_each() {
    let sim = vecozo_support::start_with_toml(
        r#"
        [[storing]]
        soort = "traag"
        api = ["push"]
        vertraging_ms = 30
        kans = 0.3
        zaad = 9

        [[storing]]
        soort = "http-fout"
        api = ["push"]
        status = 500
        kans = 0.4
        zaad = 3

        [[storing]]
        soort = "http-fout"
        api = ["push"]
        status = 502
        kans = 0.2
        zaad = 4

        [[storing]]
        soort = "verbreek"
        api = ["push"]
        kans = 0.3
        zaad = 5
        "#,
    )
    .await;
    let gw = start(tempfile::tempdir().expect("dir"), config(&sim)).await;
    let ids = burst(&gw, 0, 64).await;
    all_delivered_once(&gw, &sim, &ids).await;
    let counts = sim.counts().await;
    for (i, f) in counts["storingen"]
        .as_array()
        .expect("storingen")
        .iter()
        .enumerate()
    {
        assert!(f["toegepast"].as_u64().unwrap_or(0) > 0, "fault {i}: {f}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn a_422_with_a_brs_code_is_rejected_by_vecozo_with_that_melding_and_not_retried() {
    let sim = vecozo_support::start().await;
    let gw = start(tempfile::tempdir().expect("dir"), config(&sim)).await;
    let mut c = gw.client().await;
    let mut events = stream(&mut c).await;

    let submit = |law: proto::Law, agb: &str, municipality: &str, rid: &str| {
        let mut r = common::request_for_allocation(law, agb, rid);
        if let Some(common) = r.common.as_mut() {
            common.municipality = municipality.into();
        }
        r
    };
    let cases = [
        // An afzender VECOZO does not know (pushed with the default certificate).
        (
            submit(proto::Law::Ijw, common::AGB_A2, "0268", "brs01"),
            "BRS01",
        ),
        // A municipality that is not connected.
        (
            submit(proto::Law::Ijw, common::AGB_A, "0209", "brs04"),
            "BRS04",
        ),
        // A municipality that takes iJw messages only.
        (
            submit(proto::Law::Iwmo, common::AGB_A, "1945", "brs05"),
            "BRS05",
        ),
    ];
    for (request, code) in cases {
        let id = c
            .submit_request_for_allocation(common::req(common::TOKEN_A, request))
            .await
            .expect("accepted by the gateway")
            .into_inner()
            .message_id;
        let d = next_delivery(&mut events, &id, |d| {
            d.state == MessageState::RejectedByVecozo as i32
        })
        .await;
        assert_eq!(d.meldingen[0].code, code, "{d:?}");
        let record = get(&mut c, &id).await;
        assert_eq!(record.state, MessageState::RejectedByVecozo as i32);
        assert_eq!(record.meldingen[0].code, code);
        let t = gw.traceer_id(&id).expect("traceerId");
        let counts = sim.counts().await;
        assert_eq!(
            counts["perTraceerId"][t.to_string()]["geweigerd"],
            serde_json::json!([code]),
            "refused once, never pushed again"
        );
        assert_eq!(accepted(&counts, t), 0);
        assert_eq!(gw.attempts(&id), 1);
    }
    assert_eq!(queue_depth(&gw).await, 0.0);
    gw.stop().await;
}
