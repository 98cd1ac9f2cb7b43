//! The provider's own 305/307 terms (OP271, OP272): a 305 or 307 submitted after its term is
//! accepted and reported once as a DeadlineMissed (rule, what was due and when, the message);
//! a retroactive allocation moves the 305's term to the day its 301 arrived; a 305 whose 301
//! the gateway did not collect is not judged; and a started product whose allocation ends is
//! owed a 307 within five working days of the Einddatum — the latest one the municipality
//! sent — reported once, and not again when the late 307 then comes.
//!
//! Working days are counted by hand in the comments (Dutch holidays: Goede Vrijdag 2025-04-18
//! is a working day, Tweede Paasdag 2025-04-21 is not).

use crate::common;

use std::sync::Arc;

use common::{AGB_A, TOKEN_A, TestClock, req};
use ketenpoort::config::VecozoMode;
use ketenpoort::proto;
use ketenpoort::proto::return_event::Event;

type Client = proto::gateway_client::GatewayClient<tonic::transport::Channel>;

/// A gateway on `clock` that sends nothing and checks deadlines only when the test asks
/// ([`common::check_duties`]).
async fn gateway(clock: Arc<TestClock>) -> common::TestServer {
    common::start_in_with_clock(tempfile::tempdir().expect("dir"), clock, |c| {
        c.vecozo.mode = Some(VecozoMode::Off);
        c.vecozo.deadline_check_interval_secs = 3600;
    })
    .await
}

/// Collects a JW301 for AGB_A allocating `nummer` from `start` to `end`, received on
/// 2025-`month`-`day`.
async fn allocated(
    server: &common::TestServer,
    id: &str,
    nummer: u64,
    start: &'static str,
    end: Option<&'static str>,
    received: (u32, u32),
) {
    let xml = common::allocation_xml(
        proto::Law::Ijw,
        AGB_A,
        "123456782",
        id,
        &[common::Allocated { nummer, start, end }],
    );
    common::collect(
        server,
        &xml,
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        common::noon_ms(2025, received.0, received.1),
        false,
    )
    .await;
}

async fn start(client: &mut Client, request_id: &str, nummer: u64, begin: &str) -> String {
    let mut r = common::care_start(proto::Law::Ijw, AGB_A, request_id);
    r.products[0].allocation_number = nummer;
    r.products[0].allocation_start_date = "2025-03-01".into();
    r.products[0].start_date = begin.into();
    client
        .submit_care_start(req(TOKEN_A, r))
        .await
        .expect("a late 305 is still accepted")
        .into_inner()
        .message_id
}

async fn stop(
    client: &mut Client,
    request_id: &str,
    nummer: u64,
    begin: &str,
    end: &str,
) -> String {
    let mut r = common::care_stop(proto::Law::Ijw, AGB_A, request_id);
    r.products[0].allocation_number = nummer;
    r.products[0].allocation_start_date = "2025-03-01".into();
    r.products[0].start_date = begin.into();
    r.products[0].end_date = end.into();
    client
        .submit_care_stop(req(TOKEN_A, r))
        .await
        .expect("a late 307 is still accepted")
        .into_inner()
        .message_id
}

/// The DeadlineMissed events of tenant A, through the public API: every event up to the
/// last durable one (all events of these tests are tenant A's).
async fn missed_events(
    server: &common::TestServer,
    client: &mut Client,
) -> Vec<(String, proto::DeadlineMissed)> {
    let last = *server
        .shared
        .upgrade()
        .expect("running")
        .store
        .watch_events()
        .borrow();
    let mut stream = common::events_from_start(client, TOKEN_A).await;
    let mut out = Vec::new();
    let mut cursor = 0;
    while cursor < last {
        let e = common::next_event(&mut stream).await;
        cursor = e.cursor;
        if let Some(Event::DeadlineMissed(d)) = e.event {
            out.push((e.message_id, d));
        }
    }
    out
}

fn metric(server: &common::TestServer) -> String {
    server.shared.upgrade().expect("running").metrics.render(0)
}

#[tokio::test]
async fn a_305_or_307_after_its_term_is_accepted_and_reported_once() {
    let clock = TestClock::at(2025, 4, 2);
    let server = gateway(clock.clone()).await;
    allocated(&server, "GGK000000011", 2001, "2025-03-01", None, (3, 24)).await;
    allocated(&server, "GGK000000012", 2002, "2025-03-01", None, (3, 31)).await;
    allocated(&server, "GGK000000013", 2003, "2025-03-01", None, (2, 10)).await;
    let mut client = server.client().await;

    // Care started Tue 2025-03-04; its 301 arrived Mon 03-24 (retroactive): due 5 working
    // days after 03-24: Tue 25, Wed 26, Thu 27, Fri 28, Mon 31. Submitted Wed 04-02: late.
    let retroactive = start(&mut client, "s1", 2001, "2025-03-04").await;
    // Its 301 arrived Mon 03-31: Tue 04-01, Wed 2, Thu 3, Fri 4, Mon 7: on time on 04-02.
    start(&mut client, "s2", 2002, "2025-03-04").await;
    // No 301 collected for 9999: whether it was retroactive is unknown, so not judged.
    start(&mut client, "s3", 9999, "2025-03-04").await;
    // The 301 came 02-10, long before: 5 working days after Tue 03-04: Wed 5, Thu 6, Fri 7,
    // Mon 10, Tue 11.
    let plain = start(&mut client, "s4", 2003, "2025-03-04").await;
    // Care ended Thu 03-20: Fri 21, Mon 24, Tue 25, Wed 26, Thu 27: late on 04-02.
    let late_stop = stop(&mut client, "p1", 9998, "2025-03-04", "2025-03-20").await;
    // Care ended Mon 03-31: Tue 04-01, Wed 2, Thu 3, Fri 4, Mon 7: on time.
    stop(&mut client, "p2", 9997, "2025-03-04", "2025-03-31").await;

    let missed = common::check_duties(&server, clock.clone()).await;
    let got: Vec<(String, String, Option<String>, String)> = missed
        .iter()
        .map(|m| {
            (
                m.name.clone(),
                m.rule.clone(),
                m.message_id.map(|i| i.to_string()),
                m.due.to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "305".into(),
                "OP271".into(),
                Some(retroactive.clone()),
                "2025-03-31".into()
            ),
            (
                "305".into(),
                "OP271".into(),
                Some(plain.clone()),
                "2025-03-11".into()
            ),
            (
                "307".into(),
                "OP272".into(),
                Some(late_stop.clone()),
                "2025-03-27".into()
            ),
        ]
    );
    assert!(
        common::check_duties(&server, clock.clone())
            .await
            .is_empty(),
        "once"
    );

    let events = missed_events(&server, &mut client).await;
    assert_eq!(events.len(), 3, "{events:?}");
    let (id, first) = &events[0];
    assert_eq!(id, &retroactive);
    assert_eq!(first.expected_kind, "JW305");
    assert_eq!(first.due_date, "2025-03-31");
    assert_eq!(first.rule, "OP271");
    assert!(first.provider_duty);
    assert_eq!(first.answers_cursor, 0);
    assert_eq!(events[2].1.expected_kind, "JW307");
    assert_eq!(events[2].1.rule, "OP272");
    let text = metric(&server);
    assert!(
        text.contains("ketenpoort_deadlines_missed_total{expected=\"305\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("ketenpoort_deadlines_missed_total{expected=\"307\"} 1"),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_ended_allocation_is_owed_a_307_within_five_working_days_reported_once() {
    let clock = TestClock::at(2025, 4, 2);
    let server = gateway(clock.clone()).await;
    allocated(
        &server,
        "GGK000000021",
        3001,
        "2025-04-01",
        Some("2025-04-10"),
        (4, 1),
    )
    .await;
    allocated(
        &server,
        "GGK000000022",
        3002,
        "2025-04-01",
        Some("2025-04-10"),
        (4, 1),
    )
    .await;
    allocated(&server, "GGK000000023", 3003, "2025-04-01", None, (4, 1)).await;
    let mut client = server.client().await;
    // Started Tue 04-01, 301 that day: due Wed 2, Thu 3, Fri 4, Mon 7, Tue 8: on time.
    let start_3001 = start(&mut client, "s1", 3001, "2025-04-01").await;
    start(&mut client, "s2", 3002, "2025-04-01").await;
    let start_3003 = start(&mut client, "s3", 3003, "2025-04-01").await;
    assert!(
        common::check_duties(&server, clock.clone())
            .await
            .is_empty()
    );

    // The allocations of 3001 and 3002 end Thu 04-10: a 307 is due by Fri 11, Mon 14,
    // Tue 15, Wed 16, Thu 17.
    clock.set(2025, 4, 17);
    assert!(
        common::check_duties(&server, clock.clone())
            .await
            .is_empty()
    );
    // 3002's 307 comes on the last day: on time, and nothing is awaited any more.
    stop(&mut client, "p2", 3002, "2025-04-01", "2025-04-10").await;

    clock.set(2025, 4, 18);
    let missed = common::check_duties(&server, clock.clone()).await;
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(missed[0].name, "307");
    assert_eq!(missed[0].rule, "OP272");
    assert_eq!(
        missed[0].message_id.map(|i| i.to_string()),
        Some(start_3001.clone())
    );
    assert_eq!(missed[0].due.to_string(), "2025-04-17");
    assert!(
        common::check_duties(&server, clock.clone())
            .await
            .is_empty(),
        "once"
    );

    // The 307 then comes, late: reported already, so not a second time.
    stop(&mut client, "p1", 3001, "2025-04-01", "2025-04-10").await;
    assert!(
        common::check_duties(&server, clock.clone())
            .await
            .is_empty()
    );

    // 3003 had no Einddatum; a new version of its 301 (received 04-18) ends it Fri 04-11:
    // due Mon 14, Tue 15, Wed 16, Thu 17, Fri 18.
    allocated(
        &server,
        "GGK000000024",
        3003,
        "2025-04-01",
        Some("2025-04-11"),
        (4, 18),
    )
    .await;
    assert!(
        common::check_duties(&server, clock.clone())
            .await
            .is_empty()
    );
    clock.set(2025, 4, 22);
    let missed = common::check_duties(&server, clock.clone()).await;
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(
        missed[0].message_id.map(|i| i.to_string()),
        Some(start_3003)
    );
    assert_eq!(missed[0].due.to_string(), "2025-04-18");

    let events = missed_events(&server, &mut client).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].0, start_3001);
    assert_eq!(events[0].1.expected_kind, "JW307");
    assert_eq!(events[0].1.due_date, "2025-04-17");
    assert!(events[0].1.provider_duty);
    server.stop().await;
}
