//! A whole conversation with the gateway and the simulator as separate processes
//! (`ketenpoort serve` as a child, the simulator in the test process) over mutual TLS with
//! the simulator's generated PKCS#12 certificates, through the public gRPC API, for both
//! laws, with the cross-message rules on:
//!
//! 315 → DELIVERED, 316 and 301 as typed events linked to the 315, the automatic 302 pushed
//! once; 323 claiming that allocation → its 325 linked to the 323 — exactly once, although
//! the simulator's municipality sends every 325 twice under two traceerIds (`dubbel-325`,
//! VECOZO's IB019 situation).

use crate::common;
use crate::delivery_support;
use crate::vecozo_support;

use std::collections::BTreeMap;

use common::child;
use delivery_support::*;
use ketenpoort::proto::return_event::Event;
use ketenpoort::proto::{self, Law};
use vecozo_support::Sim;

/// The simulator answering at once, sending every 325 twice, on the real time (the gateway
/// process dates its messages with it).
async fn sim() -> Sim {
    let clock = ketenpoort_sim::Clock::new(chrono::Utc::now(), 1.0);
    let scenario = vecozo_support::fast_scenario("[[storing]]\nsoort = \"dubbel-325\"\n");
    vecozo_support::start_with_clock(scenario, clock).await
}

type Client = proto::gateway_client::GatewayClient<tonic::transport::Channel>;

/// Reads events (keeping each) until one of `kind` about message `id` came.
async fn until(
    events: &mut tonic::Streaming<proto::ReturnEvent>,
    seen: &mut Vec<proto::ReturnEvent>,
    id: &str,
    kind: &str,
) -> proto::ReturnEvent {
    let end = tokio::time::Instant::now() + DEADLINE;
    loop {
        let e = tokio::time::timeout_at(end, events.message())
            .await
            .unwrap_or_else(|_| panic!("a {kind} for message {id} in time; seen: {seen:?}"))
            .expect("stream ok")
            .expect("stream open");
        seen.push(e.clone());
        if e.message_id == id && e.kind == kind {
            return e;
        }
    }
}

async fn conversation(
    c: &mut Client,
    events: &mut tonic::Streaming<proto::ReturnEvent>,
    seen: &mut Vec<proto::ReturnEvent>,
    law: Law,
    n: u64,
) -> (String, String) {
    let code = if law == Law::Ijw { "JW" } else { "WMO" };
    let bsn = common::bsn(n);
    let mut r = common::request_for_allocation(law, common::AGB_A, &format!("{code}-315"));
    r.products[0].provider_reference = format!("CONV-{code}");
    if let Some(client) = r.client.as_mut() {
        client.bsn = bsn.clone();
    }
    let request = c
        .submit_request_for_allocation(common::req(common::TOKEN_A, r))
        .await
        .expect("the 315 is accepted")
        .into_inner()
        .message_id;
    let retour = until(events, seen, &request, &format!("{code}316")).await;
    assert!(
        matches!(&retour.event, Some(Event::Retour(r)) if r.accepted),
        "{retour:?}"
    );
    let allocation = until(events, seen, &request, &format!("{code}301")).await;
    let Some(Event::Allocation(a)) = allocation.event else {
        panic!("a 301 is an allocation: {allocation:?}");
    };
    assert_eq!(a.bsn, bsn);
    let number = a.products[0].allocation_number;

    let claim = proto::SubmitDeclarationRequest {
        common: Some(common::common(law, common::AGB_A, &format!("{code}-323"))),
        declaration_number: String::new(),
        month: "2025-06".into(),
        clients: vec![proto::DeclarationClient {
            bsn,
            lines: vec![proto::DeclarationLine {
                reference_number: format!("CONV-{code}-06"),
                period_start: "2025-06-01".into(),
                period_end: "2025-06-30".into(),
                delivered_volume: 960,
                // 960 minutes at 87,24 an hour: 145 a minute shown, 139584 claimed (IV081).
                tariff_cents: Some(145),
                amount_cents: Some(139_584),
                ..common::line("unused", number, law)
            }],
        }],
        split_when_too_large: false,
    };
    let declaration = c
        .submit_declaration(common::req(common::TOKEN_A, claim))
        .await
        .expect("the claim on the allocation passes the cross-message rules")
        .into_inner()
        .message_id;
    let answer = until(events, seen, &declaration, &format!("{code}325")).await;
    let Some(Event::DeclarationAnswer(d)) = answer.event else {
        panic!("a 325 is a declaration answer: {answer:?}");
    };
    assert_eq!(d.total_claimed_cents, 139_584);
    assert_eq!(d.total_granted_cents, 139_584, "{d:?}");
    // A verdict for every line of the claim, joined with the 323 ketenpoort sent.
    assert_eq!(d.lines.len(), 1, "{d:?}");
    let line = &d.lines[0];
    assert_eq!(line.reference_number, format!("CONV-{code}-06"));
    assert!(line.accepted && line.codes.is_empty(), "{line:?}");
    assert_eq!((line.claimed_cents, line.granted_cents), (139_584, 139_584));
    assert_eq!(line.allocation_number, number);
    (request, declaration)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_laws_end_to_end_between_two_processes_with_one_event_per_325() {
    let sim = sim().await;
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let config = child_config(dir.path(), &data, &sim, true, "");
    let log = dir.path().join("serve.log");
    let mut server = child::spawn(&config, &[], &log);
    let mut c = server.client().await;
    let mut events = stream(&mut c).await;
    let mut seen = Vec::new();

    let mut declarations = Vec::new();
    for (n, law) in [Law::Ijw, Law::Iwmo].into_iter().enumerate() {
        let (_, declaration) = conversation(&mut c, &mut events, &mut seen, law, n as u64).await;
        declarations.push(declaration);
    }

    // Both 325s were sent twice and collected twice (the second of each became no event),
    // and the 302s are pushed.
    wait_for(
        "both second 325s collected, the queue empty",
        DEADLINE,
        || async {
            let m = metrics(server.admin).await;
            (sample(&m, "ketenpoort_redelivered_total").unwrap_or(0.0) >= 2.0
                && sample(&m, "ketenpoort_queue_depth") == Some(0.0))
            .then_some(())
        },
    )
    .await;
    let counts = sim.counts().await;
    let mut answers: BTreeMap<(String, String), usize> = BTreeMap::new();
    for e in seen.iter().filter(|e| e.kind.ends_with("325")) {
        *answers
            .entry((e.message_id.clone(), e.kind.clone()))
            .or_default() += 1;
    }
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert!(answers.values().all(|n| *n == 1), "{answers:?}");
    assert_eq!(server.terminate(), Some(0));

    // In the store: one 325 event per claim, and each 315's 302 pushed once.
    let store = ketenpoort::store::sled_store::SledStore::open(&data).expect("the store opens");
    use ketenpoort::store::Store as _;
    let all = store.events_after(0, 10_000, &|_| true).expect("events");
    for id in &declarations {
        let n = all
            .iter()
            .filter(|e| {
                e.kind.ends_with("325") && e.message_id.map(|m| m.to_string()) == Some(id.clone())
            })
            .count();
        assert_eq!(n, 1, "one 325 event for claim {id}");
    }
    let retours = store
        .list_messages(None, 100, &|m| m.kind.ends_with("302"))
        .expect("list");
    assert_eq!(retours.len(), 2, "one 302 per 301");
    for r in &retours {
        let t = store
            .outbox(r.id)
            .expect("store")
            .expect("pushed")
            .traceer_id;
        assert_eq!(
            counts["perTraceerId"][t.to_string()]["geaccepteerd"],
            1,
            "the 302 {} accepted once",
            r.id
        );
    }
}
