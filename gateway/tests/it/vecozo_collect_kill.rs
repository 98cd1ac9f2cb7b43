//! `kill -9` of `ketenpoort serve` in `[vecozo] mode = "vecozo"` while it collects the
//! municipality's answers: 100 requests (315) are answered with a 316 and a 301 each; the
//! simulator's pull API is slowed down so that the kill lands while the collection loop is
//! downloading, storing and confirming; a client streams the events and acknowledges each one
//! before it reads the next. After a restart on the same data:
//!
//! - every answer arrives as exactly one event in the store — none lost (also those stored
//!   but not yet confirmed at VECOZO when the kill came, which VECOZO hands over again), none
//!   doubled;
//! - the acknowledging client gets every answer, and never one it acknowledged before.

use crate::common;
use crate::delivery_support;
use crate::vecozo_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::child;
use delivery_support::*;
use ketenpoort::proto;
use ketenpoort::store::sled_store::SledStore;
use ketenpoort::store::{EventBody, Store};
use vecozo_support::Sim;

/// Requests; each is answered with a 316 and a 301.
const REQUESTS: usize = 100;
/// The kill comes once the client acknowledged this many answers.
const KILL_AFTER: usize = 70;

/// The simulator answering at once, with every pull request slowed down, on the real time:
/// the gateway process dates its messages with it, and the municipality answers a message
/// dated after its own date with 8848 (TR135) instead of a 301.
async fn sim() -> Sim {
    vecozo_support::start_with_clock(
        vecozo_support::fast_scenario(
            "[[storing]]\nsoort = \"traag\"\napi = [\"pull\"]\nvertraging_ms = 40\n",
        ),
        ketenpoort_sim::Clock::new(chrono::Utc::now(), 1.0),
    )
    .await
}

/// An answer: the request it answers and its kind.
type Answer = (String, String);

fn answer(e: &proto::ReturnEvent) -> Option<Answer> {
    (e.kind == "JW316" || e.kind == "JW301").then(|| (e.message_id.clone(), e.kind.clone()))
}

/// Reads events, acknowledging each before the next, until `done` says stop; every answer
/// goes into `seen`, and one that is there already fails the test.
async fn consume(
    server: &child::ChildServer,
    log: &Path,
    seen: &mut BTreeSet<Answer>,
    done: impl Fn(&BTreeSet<Answer>) -> bool,
) {
    let mut c = server.client().await;
    let mut events = stream(&mut c).await;
    let end = tokio::time::Instant::now() + DEADLINE;
    while !done(seen) {
        let Ok(next) = tokio::time::timeout_at(end, events.message()).await else {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            let m = metrics(server.admin).await;
            let depth = sample(&m, "ketenpoort_queue_depth");
            panic!(
                "answers stopped coming: {} of them ({} 316s); queue depth {depth:?}; the log ends:\n{}",
                seen.len(),
                seen.iter().filter(|(_, k)| k == "JW316").count(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
        };
        let e = next.expect("stream ok").expect("stream open");
        if let Some(a) = answer(&e) {
            assert!(
                seen.insert(a.clone()),
                "an acknowledged answer came again: {a:?}"
            );
        }
        c.ack_returns(common::req(
            common::TOKEN_A,
            proto::AckReturnsRequest { cursor: e.cursor },
        ))
        .await
        .expect("ack");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_collecting_loses_and_doubles_no_answer() {
    let sim = sim().await;
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let config = child_config(dir.path(), &data, &sim, false, "");
    let log = dir.path().join("serve.log");

    let mut server = child::spawn(&config, &[], &log);
    let mut c = server.client().await;
    let mut requests = BTreeSet::new();
    for n in 0..REQUESTS {
        // One client each: the municipality allocates a product to a client once.
        let mut r =
            common::request_for_allocation(proto::Law::Ijw, common::AGB_A, &format!("collect-{n}"));
        r.products[0].provider_reference = format!("R{n}");
        if let Some(client) = r.client.as_mut() {
            client.bsn = common::bsn(n as u64);
        }
        let r = c
            .submit_request_for_allocation(common::req(common::TOKEN_A, r))
            .await
            .expect("the 315 is accepted")
            .into_inner();
        requests.insert(r.message_id);
    }
    let mut seen = BTreeSet::new();
    consume(&server, &log, &mut seen, |s| s.len() >= KILL_AFTER).await;
    server.kill9();
    let at_kill = seen.len();
    assert!(
        at_kill < 2 * REQUESTS,
        "the kill came while answers were still being collected"
    );

    let mut server = child::spawn(&config, &[], &log);
    consume(&server, &log, &mut seen, |s| s.len() >= 2 * REQUESTS).await;
    assert_eq!(server.terminate(), Some(0), "a clean stop");

    // Each request got its 316 and its 301, once each, in the client's view ...
    let expected: BTreeSet<Answer> = requests
        .iter()
        .flat_map(|id| [(id.clone(), "JW316".into()), (id.clone(), "JW301".into())])
        .collect();
    assert_eq!(seen, expected);
    // ... and in the store.
    let store = SledStore::open(&data).expect("the store opens");
    let events = store
        .events_after(0, 100 * REQUESTS, &|_| true)
        .expect("events");
    let mut stored: BTreeMap<Answer, usize> = BTreeMap::new();
    for e in &events {
        if matches!(e.body, EventBody::Delivery { .. }) {
            continue;
        }
        let id = e.message_id.map(|i| i.to_string()).unwrap_or_default();
        *stored.entry((id, e.kind.clone())).or_default() += 1;
    }
    let doubled: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "answers stored twice: {doubled:?}");
    assert_eq!(
        stored.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "exactly the answers, nothing quarantined or unlinked"
    );
    eprintln!(
        "collect kill: {at_kill} of {} answers acknowledged before the kill",
        2 * REQUESTS
    );
}
