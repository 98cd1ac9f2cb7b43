//! Manual answering against the simulator, through the public gRPC API: tenant A says
//! `auto_answer = false` (the gateway's default stays automatic). A 315 is answered with a 316
//! and a 301; the gateway queues no 302. Three working days after the 301 arrived the tenant
//! is told (DeadlineMissed, rule OP090, naming the 301's event); it then answers with
//! SubmitRetour, and exactly one 302 reaches the simulated municipality, with alsAntwoordOp =
//! the 301's traceerId in the 301's conversation. A second SubmitRetour is refused.

use crate::both_backends;
use crate::common;
use crate::common::backend::Place;
use crate::vecozo_support;

use std::sync::Arc;

use common::{AGB_A, TOKEN_A, TOKEN_B, TestClock, req};
use ketenpoort::proto;
use ketenpoort::proto::return_event::Event;
use tonic::Code;

async fn gateway(
    place: &Place,
    sim: &vecozo_support::Sim,
    clock: Arc<TestClock>,
) -> common::TestServer {
    place
        .start_in_with_clock(tempfile::tempdir().expect("dir"), clock, |c| {
            sim.connect_gateway(c, AGB_A);
            c.vecozo.status_poll_interval_ms = 100;
            // The test checks the deadlines itself (common::check_duties).
            c.vecozo.deadline_check_interval_secs = 3600;
            c.vecozo.auto_answer = true;
            c.tenants[0].auto_answer = Some(false);
        })
        .await
}

fn retour(cursor: u64, request_id: &str, validate_only: bool) -> proto::SubmitRetourRequest {
    proto::SubmitRetourRequest {
        request_id: request_id.into(),
        validate_only,
        event_cursor: cursor,
    }
}

async fn kinds(
    client: &mut proto::gateway_client::GatewayClient<tonic::transport::Channel>,
) -> Vec<String> {
    client
        .list_messages(req(TOKEN_A, proto::ListMessagesRequest::default()))
        .await
        .expect("list")
        .into_inner()
        .messages
        .into_iter()
        .map(|m| m.kind)
        .collect()
}

async fn a_manual_301_gets_no_302_until_the_tenant_sends_one_and_then_exactly_one(place: &Place) {
    let sim = vecozo_support::start_with(vecozo_support::fast_scenario("")).await;
    // Wednesday 2025-04-02: a 301 received today must be answered by Thu 3, Fri 4, Mon 7.
    let clock = TestClock::at(2025, 4, 2);
    let server = gateway(place, &sim, clock.clone()).await;
    let mut client = server.client().await;
    let id315 = common::submit_315(&mut client, TOKEN_A, proto::Law::Ijw, AGB_A, "manual-315")
        .await
        .expect("315 accepted");
    let mut stream = common::events_from_start(&mut client, TOKEN_A).await;
    let mut seen = Vec::new();
    common::until(&mut stream, &mut seen, "the 316 and the 301", |s| {
        ["JW316", "JW301"]
            .iter()
            .all(|k| s.iter().any(|e| e.kind == *k && e.message_id == id315))
    })
    .await;
    let c301 = seen.iter().find(|e| e.kind == "JW301").expect("301").cursor;
    let c316 = seen.iter().find(|e| e.kind == "JW316").expect("316").cursor;
    // A 302 would have been stored in the write that stored the 301.
    assert_eq!(kinds(&mut client).await, vec!["JW315".to_owned()]);

    // On the due date the 302 may still come; the day after, the tenant is told once.
    clock.set(2025, 4, 7);
    assert!(
        common::check_duties(&server, clock.clone())
            .await
            .is_empty()
    );
    clock.set(2025, 4, 8);
    let missed = common::check_duties(&server, clock.clone()).await;
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(
        (missed[0].name.as_str(), missed[0].rule.as_str()),
        ("302", "OP090")
    );
    common::until(&mut stream, &mut seen, "a DeadlineMissed", |s| {
        s.iter()
            .any(|e| matches!(e.event, Some(Event::DeadlineMissed(_))))
    })
    .await;
    let event = seen
        .iter()
        .find(|e| matches!(e.event, Some(Event::DeadlineMissed(_))))
        .expect("missed");
    assert_eq!(event.agb_code, AGB_A);
    match &event.event {
        Some(Event::DeadlineMissed(d)) => {
            assert_eq!(d.expected_kind, "JW302");
            assert_eq!(d.due_date, "2025-04-07");
            assert_eq!(d.rule, "OP090");
            assert!(d.provider_duty);
            assert_eq!(d.answers_cursor, c301, "names the 301 to answer");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        common::check_duties(&server, clock.clone())
            .await
            .is_empty(),
        "once"
    );
    let text = server.shared.upgrade().expect("running").metrics.render(0);
    assert!(
        text.contains("ketenpoort_deadlines_missed_total{expected=\"302\"} 1"),
        "{text}"
    );

    // Who may answer what.
    let status = client
        .submit_retour(req(TOKEN_B, retour(c301, "b", false)))
        .await
        .expect_err("tenant B");
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .submit_retour(req(TOKEN_A, retour(c316, "on-316", false)))
        .await
        .expect_err("a 316 is no 301");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let preview = client
        .submit_retour(req(TOKEN_A, retour(c301, "", true)))
        .await
        .expect("validate_only")
        .into_inner();
    assert_eq!(preview.kind, "JW302");
    assert!(preview.message_id.is_empty());
    assert!(
        preview.xml.contains("IdentificatieRetour>"),
        "{}",
        preview.xml
    );
    assert_eq!(
        kinds(&mut client).await,
        vec!["JW315".to_owned()],
        "nothing stored"
    );

    // Late is still required: the answer is queued and pushed.
    let sent = client
        .submit_retour(req(TOKEN_A, retour(c301, "answer-301", false)))
        .await
        .expect("the 302 is queued")
        .into_inner();
    assert_eq!(sent.kind, "JW302");
    assert_eq!(sent.state, proto::MessageState::Queued as i32);
    assert_eq!(sent.identificatie, preview.identificatie);
    let id302 = sent.message_id.clone();
    let again = client
        .submit_retour(req(TOKEN_A, retour(c301, "answer-301", false)))
        .await
        .expect("a retry")
        .into_inner();
    assert_eq!(again.message_id, id302, "idempotent on request_id");
    let second = client
        .submit_retour(req(TOKEN_A, retour(c301, "answer-301-again", false)))
        .await
        .expect_err("a second 302");
    assert_eq!(second.code(), Code::FailedPrecondition);
    assert!(
        second.message().contains(&format!("message {id302}")),
        "{second:?}"
    );

    common::until(
        &mut stream,
        &mut seen,
        "the 302 fetched by the municipality",
        |s| {
            s.iter().any(|e| {
                e.message_id == id302
                    && matches!(&e.event, Some(Event::Delivery(d)) if d.vecozo_status == "Bezorgd")
            })
        },
    )
    .await;
    let shared = server.shared.upgrade().expect("running");
    let t301 = shared
        .store
        .events_after(c301 - 1, 1, &|_| true)
        .expect("events")
        .first()
        .and_then(|e| e.traceer_id)
        .expect("the 301's traceerId");
    drop(shared);
    sim.assert_one_302_answers(AGB_A, t301).await;
    let counts = sim.counts().await;
    assert_eq!(
        counts["gemeentebot"]["ontvangen"]["JW302"].as_u64(),
        Some(1),
        "{counts}"
    );
    // Answered: nothing more is owed.
    clock.set(2025, 4, 9);
    assert!(
        common::check_duties(&server, clock.clone())
            .await
            .is_empty()
    );
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_manual_301_gets_no_302_until_the_tenant_sends_one_and_then_exactly_one
);
