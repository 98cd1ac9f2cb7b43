//! Two gateways (replicas) on one PostgreSQL schema, in this process: what issue 16 asks of
//! submits that arrive at two replicas at the same moment, and of the wake-ups between them.
//!
//! - one request_id sent to both at once is stored once, and both answer with that message;
//! - of two conflicting claims (one DeclaratieNummer; one ReferentieNummer), one at each
//!   replica at once, exactly one is stored, the other refused with its rule (TR333, TR314);
//! - a commit on one replica wakes the other's event watch (what its returns streams wait
//!   on) within 100 ms;
//! - the deadline check run by both at once reports each missed answer once.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::pg::TestDb;
use common::*;
use ketenpoort::config::{StoreBackend, VecozoMode};
use ketenpoort::proto::Law;
use ketenpoort::store::Store;
use ketenpoort::store::postgres::engine::PgEngine;
use ketenpoort::store::postgres::wake::{self, Wake};
use ketenpoort::store::sled_store::{Options, SledStore};
use tonic::Code;

/// The client of [`declaration`].
const CLAIM_BSN: &str = "111222333";
type Client = ketenpoort::proto::gateway_client::GatewayClient<tonic::transport::Channel>;

/// Rounds of each race.
const ROUNDS: usize = 12;

/// A gateway on `db`'s schema: cross-message rules on, nothing pushed (VECOZO off), so
/// that the two replicas differ only in the submits they are sent.
async fn replica(db: &TestDb) -> TestServer {
    replica_in(db, VecozoMode::Off).await
}

/// [`replica`] with VECOZO mode `mode`.
async fn replica_in(db: &TestDb, mode: VecozoMode) -> TestServer {
    let url = db
        .options
        .url
        .clone()
        .unwrap_or_else(|| common::pg::DEFAULT_URL.to_owned());
    let schema = db.schema.clone();
    start_with(move |c| {
        c.messages.cross_message_rules = true;
        c.vecozo.mode = Some(mode);
        c.store.backend = StoreBackend::Postgres;
        c.store.postgres.url = Some(url);
        c.store.postgres.schema = Some(schema);
        c.store.postgres.pool_size = 4;
    })
    .await
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let client = db.pool.get().await.expect("connection");
    client.query_one(sql, &[]).await.expect(sql).get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_id_at_two_replicas_at_once_is_stored_once() {
    let Some(db) = TestDb::new("one_request_id_at_two_replicas").await else {
        return;
    };
    let (a, b) = (replica(&db).await, replica(&db).await);
    let (ca, cb) = (a.client().await, b.client().await);
    for round in 0..ROUNDS {
        let request_id = format!("twice-{round}");
        let send = |mut client: Client| {
            let request_id = request_id.clone();
            async move {
                let mut r = request_for_allocation(Law::Ijw, AGB_A, &request_id);
                r.products[0].provider_reference = format!("TWICE{round}");
                // A client of its own per round (TR374: one open request per client).
                if let Some(client) = r.client.as_mut() {
                    client.bsn = common::bsn(round as u64);
                }
                client
                    .submit_request_for_allocation(req(TOKEN_A, r))
                    .await
                    .expect("both replicas accept it")
                    .into_inner()
                    .message_id
            }
        };
        let (at_a, at_b) = tokio::join!(send(ca.clone()), send(cb.clone()));
        assert_eq!(
            at_a, at_b,
            "round {round}: both answer with the one message"
        );
    }
    let stored = count(&db, "SELECT count(*) FROM ketenpoort_messages").await;
    let ids = count(&db, "SELECT count(*) FROM ketenpoort_request_ids").await;
    assert_eq!(stored, ROUNDS as i64, "one message per request_id");
    assert_eq!(ids, ROUNDS as i64);
    // Nothing is pushed (VECOZO off): both replicas count every queued message, not only
    // those they stored themselves.
    for server in [&a, &b] {
        let shared = server.shared.upgrade().expect("runs");
        assert_eq!(shared.store.queue_depth().expect("depth"), ROUNDS);
    }
    a.stop().await;
    b.stop().await;
    db.drop_schema().await;
}

/// The refusal's (field, rule) pairs; asserts FAILED_PRECONDITION.
fn refused(status: &tonic::Status) -> Vec<(String, String)> {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    field_violations(status)
        .into_iter()
        .map(|(f, r, _)| (f, r))
        .collect()
}

/// Asserts that of the two answers exactly one is a refusal, with `rule` on `field`.
fn one_refused<T>(answers: [Result<T, tonic::Status>; 2], field: &str, rule: &str, round: usize) {
    let refusals: Vec<_> = answers.into_iter().filter_map(Result::err).collect();
    assert_eq!(
        refusals.len(),
        1,
        "round {round}: exactly one of two stored"
    );
    assert!(
        refused(&refusals[0])
            .iter()
            .any(|(f, r)| f == field && r == rule),
        "{:?}",
        refusals[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_conflicting_claims_at_two_replicas_exactly_one_is_stored() {
    let Some(db) = TestDb::new("conflicting_claims_at_two_replicas").await else {
        return;
    };
    let (a, b) = (replica(&db).await, replica(&db).await);
    // Allocations for every claim line, recorded once (through replica A) for both.
    // Four allocations per round: a line per claim of each race (TR389: one debit line per
    // allocation, product and period).
    let numbers: Vec<u64> = (0..4 * ROUNDS as u64).map(|i| 5001 + i).collect();
    let products: Vec<Allocated> = numbers
        .iter()
        .map(|n| Allocated {
            nummer: *n,
            start: "2025-03-04",
            end: Some("2025-12-31"),
        })
        .collect();
    record_allocations(
        &a,
        &[allocation_xml(
            Law::Ijw,
            AGB_A,
            CLAIM_BSN,
            "REPL",
            &products,
        )],
    )
    .await;
    let (ca, cb) = (a.client().await, b.client().await);
    let (mut tr333, mut tr314) = (0, 0);
    for round in 0..ROUNDS {
        // One DeclaratieNummer, two claims with their own lines: TR333.
        let n = &numbers[4 * round..4 * round + 4];
        let claim = |mut client: Client, tag: &str, number: &str, reference: String, n: u64| {
            let mut r = declaration(Law::Ijw, AGB_A, &format!("{tag}-{round}"));
            r.declaration_number = number.to_owned();
            r.clients[0].lines = vec![line(&reference, n, Law::Ijw)];
            async move { client.submit_declaration(req(TOKEN_A, r)).await }
        };
        let number = format!("DREPL{round}");
        let (x, y) = tokio::join!(
            claim(ca.clone(), "num-a", &number, format!("RA-{round}"), n[0]),
            claim(cb.clone(), "num-b", &number, format!("RB-{round}"), n[1]),
        );
        one_refused([x, y], "declaration_number", "TR333", round);
        tr333 += 1;
        // Two DeclaratieNummers, one ReferentieNummer on both: TR314.
        let reference = format!("RSAME-{round}");
        let (x, y) = tokio::join!(
            claim(
                ca.clone(),
                "ref-a",
                &format!("DRA{round}"),
                reference.clone(),
                n[2]
            ),
            claim(
                cb.clone(),
                "ref-b",
                &format!("DRB{round}"),
                reference.clone(),
                n[3]
            ),
        );
        one_refused(
            [x, y],
            "clients[0].lines[0].reference_number",
            "TR314",
            round,
        );
        tr314 += 1;
    }
    let claims = count(
        &db,
        "SELECT count(*) FROM ketenpoort_messages WHERE kind = 'JW323'",
    )
    .await;
    assert_eq!(claims, 2 * ROUNDS as i64, "one claim per race");
    eprintln!("two replicas: {tr333} TR333 and {tr314} TR314 races, one claim stored each");
    a.stop().await;
    b.stop().await;
    db.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_on_one_replica_wakes_the_others_streams_within_100_ms() {
    let Some(db) = TestDb::new("wake_within_100_ms").await else {
        return;
    };
    let open = || {
        let engine = PgEngine::connect(&db.options).expect("engine");
        SledStore::open_engine(engine, &Options::default()).expect("store")
    };
    let (a, _a_closed) = open();
    let (b, _b_closed) = open();
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let listener = tokio::spawn(wake::run(
        db.options.clone(),
        b.clone() as Arc<dyn Wake>,
        stopping,
    ));
    let mut watch = b.watch_events();
    // The listener has connected once it has read the head (0) and woken the queue.
    let mut queue = b.watch_queue();
    tokio::time::timeout(Duration::from_secs(10), queue.changed())
        .await
        .expect("the listener connects")
        .expect("watch");
    let mut delays = Vec::new();
    for i in 0..20u64 {
        let xml = allocation_xml(
            Law::Ijw,
            AGB_A,
            &common::bsn(i),
            &format!("WAKE{i}"),
            &[Allocated {
                nummer: 9000 + i,
                start: "2025-03-04",
                end: None,
            }],
        );
        // A collects a 301: one event, at `cursor`.
        let cursor = collect_into(
            a.as_ref(),
            &xml,
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4(),
            noon_ms(2025, 4, 2),
            false,
        )
        .await;
        let committed = Instant::now();
        tokio::time::timeout(
            Duration::from_secs(10),
            watch.wait_for(|seen| *seen >= cursor),
        )
        .await
        .expect("B is woken")
        .expect("watch");
        delays.push(committed.elapsed());
        // B's stream reads what A committed.
        let seen = b.events_after(cursor - 1, 10, &|_| true).expect("events");
        assert_eq!(seen.first().map(|e| e.cursor), Some(cursor));
    }
    let _ = stop.send(true);
    let _ = listener.await;
    delays.sort();
    let (median, max) = (delays[delays.len() / 2], delays[delays.len() - 1]);
    eprintln!("wake-up across replicas: median {median:?}, max {max:?} (20 commits)");
    assert!(max < Duration::from_millis(100), "woken after {max:?}");
    drop((a, b));
    db.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_check_at_two_replicas_at_once_reports_each_missed_answer_once() {
    use ketenpoort::store::{Outcome, Write};
    let Some(db) = TestDb::new("deadline_check_at_two_replicas").await else {
        return;
    };
    // A delivers (the loopback stand-in), B only takes part in the check.
    let a = replica_in(&db, VecozoMode::Loopback).await;
    let b = replica(&db).await;
    let mut c = a.client().await;
    for n in 0..6u64 {
        let mut r = request_for_allocation(Law::Ijw, AGB_A, &format!("due-{n}"));
        r.products[0].provider_reference = format!("DUE{n}");
        if let Some(client) = r.client.as_mut() {
            client.bsn = common::bsn(100 + n);
        }
        c.submit_request_for_allocation(req(TOKEN_A, r))
            .await
            .expect("accepted");
    }
    let start = Instant::now();
    while count(&db, "SELECT count(*) FROM ketenpoort_queue").await > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "delivered in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expected = count(&db, "SELECT count(*) FROM ketenpoort_expectations").await;
    assert!(
        expected >= 6,
        "each delivered 315 is owed answers: {expected}"
    );
    let check = |server: &TestServer| {
        let store = server.shared.upgrade().expect("runs").store.clone();
        async move {
            let write = Write::CheckDeadlines {
                today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a day"),
                at_ms: noon_ms(2026, 1, 1),
            };
            match store.commit(write).wait().await.expect("checked") {
                Outcome::DeadlinesMissed(m) => m.len(),
                other => panic!("{other:?}"),
            }
        }
    };
    let (at_a, at_b) = tokio::join!(check(&a), check(&b));
    let events = count(
        &db,
        "SELECT count(*) FROM ketenpoort_events WHERE convert_from(payload, 'UTF8') LIKE '%DeadlineMissed%'",
    )
    .await;
    eprintln!("deadline check at two replicas: {at_a} + {at_b} of {expected} reported");
    assert_eq!(
        (at_a + at_b) as i64,
        expected,
        "each missed answer reported once"
    );
    assert_eq!(events, expected, "one DeadlineMissed event each");
    assert_eq!(
        count(&db, "SELECT count(*) FROM ketenpoort_expectations").await,
        0
    );
    a.stop().await;
    b.stop().await;
    db.drop_schema().await;
}
