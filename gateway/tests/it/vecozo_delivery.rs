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
//! - a 422 with a BRS code is REJECTED_BY_VECOZO with that melding, never retried;
//! - a status API that answers 503 with Retry-After is not asked again before then (cut to
//!   the configured maximum).

use crate::common;
use crate::delivery_support;
use crate::vecozo_support;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use delivery_support::*;
use ketenpoort::header::FixedClock;
use ketenpoort::proto::{self, MessageState};
use ketenpoort::store::sled_store::SledStore;
use ketenpoort::store::{Outcome, Store, Write};
use ketenpoort::vecozo::client::Timeouts;
use ketenpoort::vecozo::clients::Clients;
use ketenpoort::vecozo::follow::{StatusFollower, Throttle};
use ketenpoort::vecozo::identity::Identities;
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
    let store = gw.shared.upgrade().expect("running").store.clone();
    let id = put_in_outbox(&*store, "ZZ000001", xml).await.to_string();
    drop(store);
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

/// Stores `xml` (a JW315 of PROVIDER to 0268 with Header Identificatie `identificatie`) as
/// a submit that passed, without the gateway's checks; returns its message id.
async fn put_in_outbox(store: &dyn Store, identificatie: &str, xml: String) -> u64 {
    let request_id = format!("direct-{identificatie}");
    let write =
        vecozo_support::jw315_submit("a", &request_id, identificatie, xml, None, Vec::new());
    let outcome = store.commit(write).wait().await.expect("stored");
    let Outcome::Stored(ids) = outcome else {
        panic!("{outcome:?}")
    };
    ids[0]
}

const PUSHED_AT: (i32, u32, u32) = (2025, 4, 2);

/// A store with `n` delivered, followed messages (pushed at [`PUSHED_AT`] noon) that VECOZO
/// never saw, and a client for PROVIDER: what the status follower works on.
async fn followed_store(sim: &Sim, dir: &Path, n: usize) -> (Arc<dyn Store>, Arc<Clients>) {
    let store: Arc<dyn Store> = SledStore::open(dir).expect("store");
    for k in 0..n {
        let identificatie = format!("ZZ1{k:05}");
        let xml = vecozo_support::jw315_string(&identificatie);
        let id = put_in_outbox(&*store, &identificatie, xml).await;
        store
            .commit(Write::Attempt {
                message_id: id,
                traceer_id: uuid::Uuid::new_v4(),
                conversatie_id: uuid::Uuid::new_v4(),
            })
            .wait()
            .await
            .expect("attempt");
        store
            .commit(Write::Delivered {
                message_id: id,
                at_ms: pushed_at().timestamp_millis(),
            })
            .wait()
            .await
            .expect("delivered");
    }
    assert_eq!(store.followed(None, 100).expect("read").len(), n);
    let cert = sim.certificate(vecozo_support::PROVIDER);
    let identities = Identities::new(
        None,
        [(vecozo_support::PROVIDER.to_owned(), cert)]
            .into_iter()
            .collect(),
        30,
    );
    let clients = Clients::new(
        &sim.environment(),
        &identities,
        &sim.roots(),
        Timeouts::default(),
    )
    .expect("clients");
    (store, Arc::new(clients))
}

fn pushed_at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(PUSHED_AT.0, PUSHED_AT.1, PUSHED_AT.2, 12, 0, 0)
        .single()
        .expect("time")
}

fn follower(
    store: &Arc<dyn Store>,
    clients: &Arc<Clients>,
    now: chrono::DateTime<Utc>,
    per_round: usize,
) -> StatusFollower {
    StatusFollower {
        store: store.clone(),
        clock: Arc::new(FixedClock(now)),
        clients: clients.clone(),
        interval: std::time::Duration::from_millis(50),
        per_round,
        max_age: std::time::Duration::from_secs(14 * 24 * 3600),
        max_retry_after: std::time::Duration::from_secs(3600),
    }
}

#[tokio::test]
async fn a_message_without_a_final_status_is_followed_for_at_most_the_configured_time() {
    let sim = vecozo_support::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let (store, clients) = followed_store(&sim, dir.path(), 1).await;
    // VECOZO does not know the traceerId (it was never pushed): not final, still followed.
    let mut positions = HashMap::new();
    let later = pushed_at() + TimeDelta::days(13);
    assert_eq!(
        follower(&store, &clients, later, 10)
            .round(&mut positions)
            .await,
        0
    );
    let followed = store.followed(None, 10).expect("read");
    assert_eq!(followed.len(), 1);
    let id = followed[0].0;
    // After the maximum it is dropped, without an event; the message stays DELIVERED.
    let much_later = pushed_at() + TimeDelta::days(15);
    assert_eq!(
        follower(&store, &clients, much_later, 10)
            .round(&mut positions)
            .await,
        0
    );
    assert!(store.followed(None, 10).expect("read").is_empty());
    let meta = store.message(id).expect("read").expect("there");
    assert_eq!(meta.state, ketenpoort::store::MessageState::Delivered);
    assert_eq!(meta.event_cursors.len(), 1);
}

#[tokio::test]
async fn the_follower_makes_at_most_its_budget_of_status_requests_per_certificate_and_round() {
    // A fault that does nothing but count the status requests.
    let sim = vecozo_support::start_with_toml(
        r#"
        [[storing]]
        soort = "traag"
        api = ["status"]
        vertraging_ms = 0
        "#,
    )
    .await;
    let status_requests = || status_requests_hit(&sim);
    let dir = tempfile::tempdir().expect("dir");
    let (store, clients) = followed_store(&sim, dir.path(), 5).await;
    let f = follower(&store, &clients, pushed_at(), 2);
    let mut positions = HashMap::new();
    f.round(&mut positions).await;
    assert_eq!(status_requests().await, 2);
    f.round(&mut positions).await;
    f.round(&mut positions).await;
    assert_eq!(status_requests().await, 6, "2 per round");
    // Taking turns: the third round reached the fifth message and went on with the first.
    assert_eq!(positions.get(vecozo_support::PROVIDER), Some(&1));
}

#[tokio::test]
async fn the_follower_waits_as_long_as_a_retry_after_asks_cut_to_the_maximum() {
    let sim = vecozo_support::start_with_toml(
        r#"
        [[storing]]
        soort = "http-fout"
        api = ["status"]
        status = 503
        retry_after_seconden = 3600
        "#,
    )
    .await;
    let status_requests = || status_requests_hit(&sim);
    // The client reads the hint.
    let e = sim
        .client(vecozo_support::PROVIDER)
        .statuses(ketenpoort::vecozo::client::StatusQuery::TraceerId(
            uuid::Uuid::new_v4(),
        ))
        .await
        .expect_err("503");
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(3600)));
    assert!(e.is_transient());
    assert_eq!(status_requests().await, 1);

    let dir = tempfile::tempdir().expect("dir");
    let (store, clients) = followed_store(&sim, dir.path(), 3).await;
    let f = follower(&store, &clients, pushed_at(), 10);
    let mut positions = HashMap::new();
    let mut throttle = Throttle::default();
    // The first request is answered 503 + Retry-After: the round stops there ...
    assert_eq!(f.round_throttled(&mut positions, &mut throttle).await, 0);
    assert_eq!(status_requests().await, 2);
    // ... and the next rounds (an hour has not passed) ask nothing.
    f.round_throttled(&mut positions, &mut throttle).await;
    f.round_throttled(&mut positions, &mut throttle).await;
    assert_eq!(status_requests().await, 2, "held back for the hour");
    assert_eq!(store.followed(None, 10).expect("read").len(), 3);

    // Cut to the configured maximum: with none allowed, every round asks again.
    let mut eager = follower(&store, &clients, pushed_at(), 10);
    eager.max_retry_after = std::time::Duration::ZERO;
    let mut throttle = Throttle::default();
    eager.round_throttled(&mut positions, &mut throttle).await;
    eager.round_throttled(&mut positions, &mut throttle).await;
    assert_eq!(status_requests().await, 4);
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

/// How many requests the first fault of `sim`'s scenario (on the status API in these tests)
/// has met.
async fn status_requests_hit(sim: &Sim) -> u64 {
    sim.counts().await["storingen"][0]["getroffen"]
        .as_u64()
        .expect("a count")
}
