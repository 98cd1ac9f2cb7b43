//! Deadlines against the simulator: a 315 whose 316 arrives but whose 301 never does (the
//! fault `geen-antwoord`) is reported once as DeadlineMissed for 301/319 after the gateway's
//! clock passes the due date — not for the 316, not early, and not again after a restart.

use crate::both_backends;
use crate::common;
use crate::common::backend::Place;
use crate::vecozo_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{AGB_A, TOKEN_A, req};
use ketenpoort::config::VecozoMode;
use ketenpoort::header::Clock;
use ketenpoort::proto;
use ketenpoort::proto::return_event::Event;
use ketenpoort::store::{EventBody, Outcome, Write};

/// A clock the test moves.
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn set(&self, y: i32, m: u32, d: u32) {
        let t = Utc
            .with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .expect("a time");
        *self.0.lock().expect("clock") = t;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

/// The simulator answering at once, but never with a 301.
async fn sim_without_301() -> vecozo_support::Sim {
    vecozo_support::start_with(vecozo_support::fast_scenario(
        "[[storing]]\nsoort = \"geen-antwoord\"\nberichten = [\"301\"]\n",
    ))
    .await
}

async fn gateway(
    place: &Place,
    sim: &vecozo_support::Sim,
    dir: tempfile::TempDir,
    clock: Arc<TestClock>,
) -> common::TestServer {
    place
        .start_in_with_clock(dir, clock, |c| {
            sim.connect_gateway(c, AGB_A);
            c.vecozo.deadline_check_interval_secs = 1;
        })
        .await
}

fn missed(seen: &[proto::ReturnEvent]) -> Vec<&proto::ReturnEvent> {
    seen.iter()
        .filter(|e| matches!(e.event, Some(Event::DeadlineMissed(_))))
        .collect()
}

/// A deadline check now, through the store, as the periodic check makes it.
async fn check_now(server: &common::TestServer, clock: &TestClock) -> Outcome {
    let shared = server.shared.upgrade().expect("running");
    let write = Write::CheckDeadlines {
        today: clock.today(),
        at_ms: clock.now().timestamp_millis(),
    };
    shared.store.commit(write).wait().await.expect("check")
}

fn missed_in_store(server: &common::TestServer) -> usize {
    let shared = server.shared.upgrade().expect("running");
    shared
        .store
        .events_after(0, 1000, &|e| {
            matches!(e.body, EventBody::DeadlineMissed { .. })
        })
        .expect("events")
        .len()
}

async fn a_missing_301_is_reported_once_after_its_due_date_and_not_again_after_a_restart(
    place: &Place,
) {
    let sim = sim_without_301().await;
    // Wednesday 2025-04-02: the 316 is due by Monday 04-07, the decision by Wednesday 04-09.
    let clock = Arc::new(TestClock(Mutex::new(Utc::now())));
    clock.set(2025, 4, 2);
    let server = gateway(
        place,
        &sim,
        tempfile::tempdir().expect("dir"),
        clock.clone(),
    )
    .await;
    let mut client = server.client().await;
    let id315 = common::submit_315(&mut client, TOKEN_A, proto::Law::Ijw, AGB_A, "deadline-315")
        .await
        .expect("315 accepted");
    let mut stream = common::events_from_start(&mut client, TOKEN_A).await;
    let mut seen = Vec::new();
    common::until(
        &mut stream,
        &mut seen,
        "the 315 delivered and its 316",
        |s| {
            let delivered = s.iter().any(|e| {
                e.message_id == id315
                    && matches!(&e.event, Some(Event::Delivery(d))
                    if d.state == proto::MessageState::Delivered as i32)
            });
            delivered && s.iter().any(|e| e.kind == "JW316" && e.message_id == id315)
        },
    )
    .await;

    // Past the 316's due date, before the decision's: nothing is missed.
    clock.set(2025, 4, 8);
    assert_eq!(
        check_now(&server, &clock).await,
        Outcome::DeadlinesMissed(vec![])
    );
    // On the due date itself the decision may still come.
    clock.set(2025, 4, 9);
    assert_eq!(
        check_now(&server, &clock).await,
        Outcome::DeadlinesMissed(vec![])
    );

    // The day after: the periodic check reports the decision once.
    clock.set(2025, 4, 10);
    common::until(&mut stream, &mut seen, "a DeadlineMissed", |s| {
        !missed(s).is_empty()
    })
    .await;
    let reported = missed(&seen);
    assert_eq!(reported.len(), 1, "{seen:?}");
    assert_eq!(reported[0].message_id, id315);
    assert_eq!(reported[0].agb_code, AGB_A);
    match &reported[0].event {
        Some(Event::DeadlineMissed(d)) => {
            assert_eq!(d.expected_kind, "JW301/JW319");
            assert_eq!(d.due_date, "2025-04-09");
        }
        other => panic!("{other:?}"),
    }
    // The 316 answered the 315, so it stays ANSWERED; the event says what is missing.
    let m = client
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: id315.clone(),
            },
        ))
        .await
        .expect("get")
        .into_inner();
    assert_eq!(m.state, proto::MessageState::Answered as i32);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let shared = server.shared.upgrade().expect("running");
        let text = shared.metrics.render(0);
        if text.contains("ketenpoort_deadlines_missed_total{expected=\"301/319\"} 1") {
            assert!(!text.contains("expected=\"316\""), "{text}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no counter: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        check_now(&server, &clock).await,
        Outcome::DeadlinesMissed(vec![])
    );
    assert_eq!(missed_in_store(&server), 1);
    drop(stream);

    // After a restart (the clock still past the due date) nothing is reported again: any
    // check that ran — the periodic one at start, or this one — would have written it.
    let dir = server.stop_keeping_data().await;
    let server = gateway(place, &sim, dir, clock.clone()).await;
    assert_eq!(
        check_now(&server, &clock).await,
        Outcome::DeadlinesMissed(vec![])
    );
    assert_eq!(missed_in_store(&server), 1);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_missing_301_is_reported_once_after_its_due_date_and_not_again_after_a_restart
);

async fn a_message_nobody_answered_goes_to_deadline_missed_once_per_expected_answer(place: &Place) {
    // The loopback stand-in delivers on 2025-04-02 (the test clock) and nothing answers.
    let server = place.start().await;
    let mut client = server.client().await;
    let id315 = common::submit_315(
        &mut client,
        TOKEN_A,
        proto::Law::Iwmo,
        AGB_A,
        "unanswered-315",
    )
    .await
    .expect("315 accepted");
    let get = |client: &mut proto::gateway_client::GatewayClient<_>| {
        let r = req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: id315.clone(),
            },
        );
        let mut client = client.clone();
        async move { client.get_message(r).await.expect("get").into_inner().state }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while get(&mut client).await != proto::MessageState::Delivered as i32 {
        assert!(tokio::time::Instant::now() < deadline, "not delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let clock = TestClock(Mutex::new(Utc::now()));
    clock.set(2025, 4, 10);
    let missed = match check_now(&server, &clock).await {
        Outcome::DeadlinesMissed(m) => m,
        other => panic!("{other:?}"),
    };
    let names: Vec<&str> = missed.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["316", "301/319"]);
    assert_eq!(
        get(&mut client).await,
        proto::MessageState::DeadlineMissed as i32
    );
    let events = {
        let shared = server.shared.upgrade().expect("running");
        shared
            .store
            .events_after(0, 100, &|e| {
                matches!(e.body, EventBody::DeadlineMissed { .. })
            })
            .expect("events")
    };
    let bodies: Vec<_> = events.iter().map(|e| e.body.clone()).collect();
    assert_eq!(
        bodies,
        vec![
            EventBody::DeadlineMissed {
                expected_kind: "WMO316".into(),
                due_date: "2025-04-07".into()
            },
            EventBody::DeadlineMissed {
                expected_kind: "WMO301/WMO319".into(),
                due_date: "2025-04-09".into()
            },
        ]
    );
    assert_eq!(
        check_now(&server, &clock).await,
        Outcome::DeadlinesMissed(vec![])
    );
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_message_nobody_answered_goes_to_deadline_missed_once_per_expected_answer
);

async fn an_answer_stored_before_the_delivery_is_recorded_still_counts(place: &Place) {
    use ketenpoort::store::{IncomingContent, IncomingWrite};
    use ketenpoort_messages::model::header::RetourHeader;
    use ketenpoort_messages::{Content, Message, Retour};

    // Mode off: the 315 stays queued until this test records its delivery.
    let server = place
        .start_with(|c| c.vecozo.mode = Some(VecozoMode::Off))
        .await;
    let mut client = server.client().await;
    let request = common::request_for_allocation(proto::Law::Ijw, AGB_A, "early-316");
    let id: u64 = client
        .submit_request_for_allocation(req(TOKEN_A, request))
        .await
        .expect("315 accepted")
        .into_inner()
        .message_id
        .parse()
        .expect("a numeric id");
    let shared = server.shared.upgrade().expect("running");
    let store = shared.store.clone();
    let xml = store.message_xml(id).expect("read").expect("the 315");
    let sent = ketenpoort_messages::read(xml.as_bytes(), Default::default()).expect("315 reads");
    let heen = sent.content.header().clone();
    let retour = Message {
        law: sent.law,
        content: Content::RequestForAllocationRetour(Retour {
            header: RetourHeader {
                xsd_versie_retour: heen.xsd_versie.clone(),
                heen,
                identificatie_retour: "GGK000000001".into(),
                dagtekening_retour: chrono::NaiveDate::from_ymd_opt(2025, 4, 2).expect("date"),
                xslt_versie: None,
                retour_codes: Vec::new(),
            },
            body: None,
        }),
    };
    let payload = retour.to_xml().expect("316 writes").into_bytes();
    let at_ms = Utc
        .with_ymd_and_hms(2025, 4, 2, 12, 0, 0)
        .single()
        .expect("time")
        .timestamp_millis();
    let incoming = Write::Incoming(Box::new(IncomingWrite {
        traceer_id: uuid::Uuid::new_v4(),
        als_antwoord_op: None,
        at_ms,
        addressee: AGB_A.into(),
        payload,
        content: IncomingContent::Message(Arc::new(retour)),
        retour: None,
        owed: None,
        fence: None,
    }));
    match store.commit(incoming).wait().await.expect("stored") {
        Outcome::Incoming { correlated, .. } => assert_eq!(correlated, Some(id)),
        other => panic!("{other:?}"),
    }
    let delivered = Write::Delivered {
        message_id: id,
        at_ms,
    };
    assert_eq!(
        store.commit(delivered).wait().await.expect("delivered"),
        Outcome::Delivered(true)
    );
    drop(shared);
    let clock = TestClock(Mutex::new(Utc::now()));
    clock.set(2025, 4, 10);
    let names: Vec<String> = match check_now(&server, &clock).await {
        Outcome::DeadlinesMissed(m) => m.into_iter().map(|m| m.name).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        names,
        ["301/319"],
        "the 316 came, before the delivery was recorded"
    );
    drop(store);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    an_answer_stored_before_the_delivery_is_recorded_still_counts
);
