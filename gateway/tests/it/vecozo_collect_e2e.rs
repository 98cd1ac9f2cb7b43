//! The whole loop against the simulator: a gateway in mode `vecozo` pushes a 315, collects
//! the municipality's 316 and 301 as typed events correlated with the 315, accepts a 323 on
//! that allocation under the cross-message rules, and collects the 325 correlated with the
//! 323 — for both laws. After a restart on the same store the events and cursors are the
//! same and nothing arrives twice.

use crate::common;
use crate::vecozo_support;

use std::time::Duration;

use common::{AGB_A, TOKEN_A, req};
use ketenpoort::proto;
use ketenpoort::proto::return_event::Event;
use ketenpoort_sim::Scenario;
use tonic::transport::Channel;

type Client = proto::gateway_client::GatewayClient<Channel>;

/// The simulator answering at once: no working-day delays, no ketencontrole wait.
async fn fast_sim() -> vecozo_support::Sim {
    fast_sim_with("", |_| {}).await
}

/// [`fast_sim`] with `extra` TOML (faults) appended to the default scenario, changed by
/// `tweak`.
async fn fast_sim_with(extra: &str, tweak: impl FnOnce(&mut Scenario)) -> vecozo_support::Sim {
    let mut scenario = vecozo_support::fast_scenario(extra);
    tweak(&mut scenario);
    vecozo_support::start_with(scenario).await
}

/// A gateway in mode `vecozo` against `sim`, with the cross-message rules on, on the store
/// in `dir`.
async fn gateway(sim: &vecozo_support::Sim, dir: tempfile::TempDir) -> common::TestServer {
    gateway_with(sim, dir, true).await
}

/// [`gateway`] with `[vecozo] auto_answer` as given.
async fn gateway_with(
    sim: &vecozo_support::Sim,
    dir: tempfile::TempDir,
    auto_answer: bool,
) -> common::TestServer {
    common::start_in(dir, |c| {
        sim.connect_gateway(c, AGB_A);
        c.messages.cross_message_rules = true;
        c.vecozo.auto_answer = auto_answer;
    })
    .await
}

fn find<'a>(
    seen: &'a [proto::ReturnEvent],
    kind: &str,
    message_id: &str,
) -> Option<&'a proto::ReturnEvent> {
    seen.iter()
        .find(|e| e.kind == kind && e.message_id == message_id)
}

async fn state(client: &mut Client, id: &str) -> proto::MessageState {
    let m = client
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: id.into(),
            },
        ))
        .await
        .expect("get message")
        .into_inner();
    proto::MessageState::try_from(m.state).expect("state")
}

/// 315 → 316 + 301, then a 323 on the allocation → 325; returns the 315's and 323's ids.
async fn conversation(
    client: &mut Client,
    stream: &mut tonic::Streaming<proto::ReturnEvent>,
    seen: &mut Vec<proto::ReturnEvent>,
    law: proto::Law,
) -> (String, String) {
    let prefix = if law == proto::Law::Ijw { "JW" } else { "WMO" };
    let mut request = common::request_for_allocation(law, AGB_A, &format!("{prefix}-315"));
    request.products[0].start_date = "2025-01-01".into();
    let sent = client
        .submit_request_for_allocation(req(TOKEN_A, request))
        .await
        .expect("315 accepted")
        .into_inner();
    let id315 = sent.message_id.clone();

    let (k316, k301) = (format!("{prefix}316"), format!("{prefix}301"));
    common::until(stream, seen, "the 316 and the 301", |s| {
        find(s, &k316, &id315).is_some() && find(s, &k301, &id315).is_some()
    })
    .await;
    let delivered = seen.iter().any(|e| {
        e.message_id == id315
            && matches!(&e.event, Some(Event::Delivery(d))
                if d.state == proto::MessageState::Delivered as i32)
    });
    assert!(delivered, "a delivery event for the 315");
    let retour = find(seen, &k316, &id315).expect("316");
    match &retour.event {
        Some(Event::Retour(r)) => assert!(r.accepted, "{r:?}"),
        other => panic!("a 316 is a RetourReceived: {other:?}"),
    }
    assert_eq!(retour.agb_code, AGB_A);
    assert!(retour.raw_xml.contains("<"), "the 316 as received");
    let allocation = find(seen, &k301, &id315).expect("301");
    let allocated = match &allocation.event {
        Some(Event::Allocation(a)) => a.products.first().expect("a product").clone(),
        other => panic!("a 301 is an AllocationReceived: {other:?}"),
    };
    assert_eq!(allocated.provider_reference, "REF-1");
    assert_eq!(state(client, &id315).await, proto::MessageState::Answered);

    // A claim on the allocation passes the cross-message rules only if the 301 is known.
    let mut line = common::line("R1", allocated.allocation_number, law);
    line.period_start = "2025-03-01".into();
    line.product_code = allocated
        .product
        .as_ref()
        .map(|p| p.code.clone())
        .expect("product");
    let claim = proto::SubmitDeclarationRequest {
        common: Some(common::common(law, AGB_A, &format!("{prefix}-323"))),
        declaration_number: String::new(),
        month: "2025-03".into(),
        clients: vec![proto::DeclarationClient {
            bsn: "123456782".into(),
            lines: vec![line],
        }],
        split_when_too_large: false,
    };
    let sent = client
        .submit_declaration(req(TOKEN_A, claim))
        .await
        .expect("the claim on the collected allocation passes the cross-message rules")
        .into_inner();
    let id323 = sent.message_id.clone();
    let number = sent.declaration_numbers.first().cloned().expect("a number");

    let k325 = format!("{prefix}325");
    common::until(stream, seen, "the 325", |s| {
        find(s, &k325, &id323).is_some()
    })
    .await;
    match &find(seen, &k325, &id323).expect("325").event {
        Some(Event::DeclarationAnswer(a)) => {
            assert_eq!(a.declaration_number, number);
            assert_eq!(a.total_claimed_cents, 34896);
            assert_eq!(a.total_granted_cents, 34896, "{a:?}");
            assert!(a.rejected_lines.is_empty(), "{a:?}");
        }
        other => panic!("a 325 is a DeclarationAnswerReceived: {other:?}"),
    }
    assert_eq!(state(client, &id323).await, proto::MessageState::Answered);
    (id315, id323)
}

async fn open_stream(client: &mut Client, after: u64) -> tonic::Streaming<proto::ReturnEvent> {
    client
        .stream_returns(req(
            TOKEN_A,
            proto::StreamReturnsRequest {
                after_cursor: after,
                ..Default::default()
            },
        ))
        .await
        .expect("stream")
        .into_inner()
}

#[tokio::test]
async fn received_messages_become_correlated_events_for_both_laws_and_survive_a_restart() {
    let sim = fast_sim().await;
    let server = gateway(&sim, tempfile::tempdir().expect("dir")).await;
    let mut client = server.client().await;
    let mut stream = open_stream(&mut client, 0).await;
    let mut seen = Vec::new();
    for law in [proto::Law::Ijw, proto::Law::Iwmo] {
        conversation(&mut client, &mut stream, &mut seen, law).await;
    }
    let last = seen.iter().map(|e| e.cursor).max().expect("events");
    // Every message the municipality sent was collected once and confirmed.
    let counts = sim.counts().await;
    let bot_sent: u64 = counts["gemeentebot"]["verzonden"]
        .as_object()
        .expect("verzonden")
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    let arrived = seen.iter().filter(|e| !e.raw_xml.is_empty()).count() as u64;
    assert_eq!(
        arrived, bot_sent,
        "one event per message the municipality sent"
    );
    drop(stream);

    let dir = server.stop_keeping_data().await;
    let server = gateway(&sim, dir).await;
    let mut client = server.client().await;
    let mut stream = open_stream(&mut client, 0).await;
    let mut again = Vec::new();
    common::until(
        &mut stream,
        &mut again,
        "the same events after the restart",
        |s| s.iter().any(|e| e.cursor == last),
    )
    .await;
    assert_eq!(again, seen, "the same events, cursors and correlations");
    // Nothing arrives twice: the restarted collector's first round (at start) finds nothing
    // at VECOZO, and the stored events are not written again. (The status follower may still
    // report VECOZO's final status of a push — Bezorgd — as a new delivery event.)
    let quiet = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(next) = tokio::time::timeout_at(quiet, stream.message()).await {
        let e = next.expect("stream ok").expect("stream open");
        assert!(
            matches!(&e.event, Some(Event::Delivery(d)) if !d.vecozo_status.is_empty()),
            "no new event after the restart but VECOZO's final status: {e:?}"
        );
    }
    server.stop().await;
}

/// The messages of tenant A, newest first.
async fn messages(client: &mut Client) -> Vec<proto::MessageRecord> {
    client
        .list_messages(req(
            TOKEN_A,
            proto::ListMessagesRequest {
                page_size: 100,
                ..Default::default()
            },
        ))
        .await
        .expect("list")
        .into_inner()
        .messages
}

/// Submits a JW315 and reads events until its 301 arrived; returns the 315's id.
async fn until_allocated(
    client: &mut Client,
    stream: &mut tonic::Streaming<proto::ReturnEvent>,
    seen: &mut Vec<proto::ReturnEvent>,
) -> String {
    let id315 = common::submit_315(client, TOKEN_A, proto::Law::Ijw, AGB_A, "auto-315")
        .await
        .expect("315 accepted");
    common::until(stream, seen, "the 301", |s| {
        find(s, "JW301", &id315).is_some()
    })
    .await;
    id315
}

#[tokio::test]
async fn a_collected_301_is_answered_with_one_302_that_carries_als_antwoord_op() {
    let sim = fast_sim().await;
    let server = gateway(&sim, tempfile::tempdir().expect("dir")).await;
    let mut client = server.client().await;
    let mut stream = open_stream(&mut client, 0).await;
    let mut seen = Vec::new();
    let id315 = until_allocated(&mut client, &mut stream, &mut seen).await;

    // The 302 was queued with the 301 (one store write) and is pushed by the outbox worker.
    let listed = messages(&mut client).await;
    let retours: Vec<_> = listed.iter().filter(|m| m.kind == "JW302").collect();
    assert_eq!(retours.len(), 1, "{listed:?}");
    let id302 = retours[0].message_id.clone();
    assert_eq!(retours[0].agb_code, AGB_A);
    assert_eq!(retours[0].municipality, common::MUNICIPALITY);
    common::until(&mut stream, &mut seen, "the 302 delivered", |s| {
        s.iter().any(|e| {
            e.message_id == id302
                && matches!(&e.event, Some(Event::Delivery(d))
                    if d.state == proto::MessageState::Delivered as i32)
        })
    })
    .await;
    assert_eq!(
        state(&mut client, &id315).await,
        proto::MessageState::Answered
    );

    // VECOZO (the simulator) has exactly one 302, answering the 301's traceerId in its
    // conversation; the municipality received it.
    let shared = server.shared.upgrade().expect("running");
    let allocation = shared
        .store
        .events_after(0, 100, &|e| e.kind == "JW301")
        .expect("events");
    let t301 = allocation
        .first()
        .and_then(|e| e.traceer_id)
        .expect("the 301's traceerId");
    drop(shared);
    sim.assert_one_302_answers(AGB_A, t301).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let counts = sim.counts().await;
        let received = counts["gemeentebot"]["ontvangen"]["JW302"].as_u64();
        if received == Some(1) {
            break;
        }
        assert!(
            received.is_none() && tokio::time::Instant::now() < deadline,
            "the municipality received {received:?} 302s: {counts}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn with_auto_answer_off_no_302_is_queued() {
    let sim = fast_sim().await;
    let server = gateway_with(&sim, tempfile::tempdir().expect("dir"), false).await;
    let mut client = server.client().await;
    let mut stream = open_stream(&mut client, 0).await;
    let mut seen = Vec::new();
    let id315 = until_allocated(&mut client, &mut stream, &mut seen).await;
    // A 302 would have been stored in the write that stored the 301.
    let listed = messages(&mut client).await;
    let ids: Vec<_> = listed.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids, vec![id315], "only the 315: {listed:?}");
    server.stop().await;
}

#[tokio::test]
async fn answers_without_als_antwoord_op_are_correlated_by_their_own_keys() {
    // A municipality's 301 is a heen message: VECOZO carries no alsAntwoordOp on it, so it
    // must be found by ReferentieAanbieder; the 316 by the copied header's Identificatie.
    let sim = fast_sim_with(
        "[[storing]]\nsoort = \"zonder-als-antwoord-op\"\nberichten = [\"316\", \"301\"]\n",
        |_| {},
    )
    .await;
    let server = gateway(&sim, tempfile::tempdir().expect("dir")).await;
    let mut client = server.client().await;
    let mut stream = open_stream(&mut client, 0).await;
    let mut seen = Vec::new();
    let id315 = until_allocated(&mut client, &mut stream, &mut seen).await;
    common::until(&mut stream, &mut seen, "the 316", |s| {
        find(s, "JW316", &id315).is_some()
    })
    .await;
    let shared = server.shared.upgrade().expect("running");
    let answers = shared
        .store
        .events_after(0, 100, &|e| e.kind == "JW316" || e.kind == "JW301")
        .expect("events");
    drop(shared);
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(
        state(&mut client, &id315).await,
        proto::MessageState::Answered
    );
    server.stop().await;
}

#[tokio::test]
async fn a_collected_319_is_answered_with_one_320() {
    // The municipality refuses requests from referrer type 02 (the test request's) with a 319.
    let sim = fast_sim_with("", |s| {
        s.gemeentebot.weiger_verwijzertypen = vec!["02".into()];
    })
    .await;
    let server = gateway(&sim, tempfile::tempdir().expect("dir")).await;
    let mut client = server.client().await;
    let mut stream = open_stream(&mut client, 0).await;
    let mut seen = Vec::new();
    let id315 = common::submit_315(&mut client, TOKEN_A, proto::Law::Ijw, AGB_A, "refused-315")
        .await
        .expect("315 accepted");
    common::until(&mut stream, &mut seen, "the 319", |s| {
        find(s, "JW319", &id315).is_some()
    })
    .await;
    let listed = messages(&mut client).await;
    let retours: Vec<_> = listed.iter().filter(|m| m.kind == "JW320").collect();
    assert_eq!(retours.len(), 1, "{listed:?}");
    assert!(listed.iter().all(|m| m.kind != "JW302"), "{listed:?}");
    let id320 = retours[0].message_id.clone();
    common::until(&mut stream, &mut seen, "the 320 delivered", |s| {
        s.iter().any(|e| {
            e.message_id == id320
                && matches!(&e.event, Some(Event::Delivery(d))
                    if d.state == proto::MessageState::Delivered as i32)
        })
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let counts = sim.counts().await;
        let received = counts["gemeentebot"]["ontvangen"]["JW320"].as_u64();
        if received == Some(1) {
            break;
        }
        assert!(
            received.is_none() && tokio::time::Instant::now() < deadline,
            "the municipality received {received:?} 320s: {counts}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await;
}
