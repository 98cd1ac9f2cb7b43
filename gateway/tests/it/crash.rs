//! Crash safety of `ketenpoort serve` as a process: a burst of submits from 32 concurrent
//! clients, `kill -9` at a moment chosen by a seeded generator (after the N-th acknowledged
//! submit, N different each round), a restart on the same data directory, and then:
//!
//! - every submit that was answered OK is there exactly once (ListMessages by request_id,
//!   GetMessage by message_id, with its XML);
//! - every submit that was refused (a rule violation) is not there;
//! - a submit cut off by the kill has an unknown outcome: it is there at most once, and its
//!   retry with the same request_id after the restart answers consistently (the same message
//!   when it was there, a new one when not), after which it is there exactly once;
//! - the acknowledged cursor of the returns stream is at least the last one acknowledged
//!   with OK before the crash;
//! - the event log holds one delivery event per message, with cursors 1..=n, strictly
//!   increasing and without duplicates, and a stream resumes after the acknowledged cursor.
//!
//! The messages are valid against the cross-message rules too: each 315 has its own client
//! and reference, each 323 its own allocation, recorded as received 301s before the first
//! start. The rounds share one data directory, so later rounds restart a store that has been
//! crashed before. At the end the server is stopped with SIGTERM and `ketenpoort export`
//! checks the event log once more. Set `KETENPOORT_CRASH_SEED` to replay other kill moments.

use crate::common;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::child::{self, ChildServer};
use common::*;
use ketenpoort::proto::{self, Law};
use tonic::Code;
use tonic::transport::Channel;

type Client = proto::gateway_client::GatewayClient<Channel>;

/// Submits per round, if the kill does not come first.
const BURST: usize = 2000;
/// Concurrent clients, each with its own connection.
const CLIENTS: usize = 32;
/// Rounds, each with its own kill moment.
const ROUNDS: usize = 6;
/// The default seed of the kill moments.
const SEED: u64 = 0x6b65_7465_6e70_6f6f;
/// A BSN that fails the elfproef: a request with it is refused (INVALID_ARGUMENT).
const BAD_BSN: &str = "123456789";

/// xorshift64*: enough to spread kill moments, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn request_id(g: usize) -> String {
    format!("crash-{g}")
}

/// Every 97th request breaks an in-message rule and must be refused, never stored.
fn refused(g: usize) -> bool {
    g % 97 == 41
}

/// The `g`-th request of the test (global over the rounds): even ones a 315 (both laws), odd
/// ones a 323 with one line. Each has its own client, reference numbers and allocation.
async fn submit(c: &mut Client, g: usize) -> Result<proto::SubmitResponse, tonic::Status> {
    let rid = request_id(g);
    if g % 2 == 0 {
        let law = if g % 4 == 0 { Law::Ijw } else { Law::Iwmo };
        let mut r = request_for_allocation(law, AGB_A, &rid);
        if let Some(c) = r.client.as_mut() {
            c.bsn = if refused(g) {
                BAD_BSN.into()
            } else {
                bsn(1_000_000 + g as u64)
            };
        }
        r.products[0].provider_reference = format!("V{g}");
        c.submit_request_for_allocation(req(TOKEN_A, r))
            .await
            .map(|r| r.into_inner())
    } else {
        let mut r = declaration(Law::Ijw, AGB_A, &rid);
        r.clients = vec![proto::DeclarationClient {
            bsn: if refused(g) {
                BAD_BSN.into()
            } else {
                claim_client(g)
            },
            lines: vec![line(&format!("D{g}"), 100_000 + g as u64, Law::Ijw)],
        }];
        c.submit_declaration(req(TOKEN_A, r))
            .await
            .map(|r| r.into_inner())
    }
}

/// The client of claim `g`: one per hundred requests, each with a 301 (see [`allocations`]).
fn claim_client(g: usize) -> String {
    bsn((g / 100) as u64)
}

/// The 301s the claims need, recorded before the first start: for each block of a hundred
/// requests one client, with an allocation per claim (ToewijzingNummer 100000 + g) from
/// 2025-03-04, the first day of the claimed period (TR387).
fn allocations() -> Vec<String> {
    (0..ROUNDS * BURST / 100)
        .map(|b| {
            let products: Vec<Allocated> = (b * 100..b * 100 + 100)
                .filter(|g| g % 2 == 1)
                .map(|g| Allocated {
                    nummer: 100_000 + g as u64,
                    start: "2025-03-04",
                    end: Some("2025-12-31"),
                })
                .collect();
            let client = claim_client(b * 100);
            allocation_xml(Law::Ijw, AGB_A, &client, &format!("A{b}"), &products)
        })
        .collect()
}

/// What a submit's client knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Known {
    /// Answered OK with this message id.
    Stored(String),
    /// Refused with INVALID_ARGUMENT.
    Refused,
    /// Cut off by the kill: no answer.
    Unknown,
}

/// Every message of tenant A, by ListMessages pages.
async fn list_all(c: &mut Client, state: proto::MessageState) -> Vec<proto::MessageRecord> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_messages(req(
                TOKEN_A,
                proto::ListMessagesRequest {
                    page_size: 500,
                    page_token: token.clone(),
                    state: state as i32,
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner();
        out.extend(page.messages);
        if page.next_page_token.is_empty() {
            return out;
        }
        token = page.next_page_token;
    }
}

/// Runs one burst against `server` and kills it after the `kill_after`-th OK (or when the
/// burst is over, if that comes first). Returns what each client learnt, and the highest
/// cursor acknowledged with OK during the burst.
async fn burst(
    server: &mut ChildServer,
    round: usize,
    kill_after: usize,
    known: &mut HashMap<usize, Known>,
) -> u64 {
    let next = Arc::new(AtomicUsize::new(0));
    let oks = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let results = Arc::new(Mutex::new(Vec::new()));
    let (kill_tx, kill_rx) = tokio::sync::oneshot::channel::<()>();
    let kill_tx = Arc::new(Mutex::new(Some(kill_tx)));

    // The returns stream, read and acknowledged (every 25th event) while the burst runs.
    let acked = Arc::new(AtomicU64::new(0));
    let mut stream_client = server.client().await;
    let mut ack_client = server.client().await;
    let acker = {
        let acked = acked.clone();
        tokio::spawn(async move {
            let Ok(s) = stream_client
                .stream_returns(req(TOKEN_A, proto::StreamReturnsRequest::default()))
                .await
            else {
                return;
            };
            let mut s = s.into_inner();
            let mut seen = 0u64;
            while let Ok(Some(event)) = s.message().await {
                seen += 1;
                if seen % 25 != 0 {
                    continue;
                }
                let ack = proto::AckReturnsRequest {
                    cursor: event.cursor,
                };
                match ack_client.ack_returns(req(TOKEN_A, ack)).await {
                    Ok(r) => {
                        acked.fetch_max(r.into_inner().acked_cursor, Ordering::SeqCst);
                    }
                    Err(_) => return,
                }
            }
        })
    };

    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let mut c = server.client().await;
        let (next, oks, killed, results, kill_tx) = (
            next.clone(),
            oks.clone(),
            killed.clone(),
            results.clone(),
            kill_tx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while !killed.load(Ordering::SeqCst) {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= BURST {
                    return;
                }
                let g = round * BURST + i;
                let result = submit(&mut c, g).await;
                let after_kill = killed.load(Ordering::SeqCst);
                if result.is_ok() && oks.fetch_add(1, Ordering::SeqCst) + 1 == kill_after {
                    let tx = kill_tx.lock().expect("lock").take();
                    if let Some(tx) = tx {
                        let _ = tx.send(());
                    }
                }
                results.lock().expect("lock").push((g, result, after_kill));
            }
        }));
    }
    drop(kill_tx);
    // The kill moment: right after the kill_after-th OK, with up to 31 submits in flight.
    let _ = tokio::time::timeout(Duration::from_secs(120), kill_rx).await;
    killed.store(true, Ordering::SeqCst);
    server.kill9();
    for t in tasks {
        t.await.expect("client task");
    }
    let _ = acker.await;

    let results = std::mem::take(&mut *results.lock().expect("lock"));
    for (g, result, after_kill) in results {
        let k = match result {
            Ok(r) => Known::Stored(r.message_id),
            Err(_) if after_kill => Known::Unknown,
            Err(s) if refused(g) && s.code() == Code::InvalidArgument => Known::Refused,
            Err(s) => panic!("submit {g} failed before the kill: {s:?}"),
        };
        known.insert(g, k);
    }
    acked.load(Ordering::SeqCst)
}

/// Checks the restarted server against what the clients know, and resolves the unknown
/// outcomes by retrying them.
async fn verify(server: &ChildServer, round: usize, known: &mut HashMap<usize, Known>, acked: u64) {
    let mut c = server.client().await;
    let by_rid = |records: &[proto::MessageRecord]| {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for r in records {
            m.entry(r.request_id.clone())
                .or_default()
                .push(r.message_id.clone());
        }
        m
    };
    let listed = by_rid(&list_all(&mut c, proto::MessageState::Unspecified).await);
    let mut gs: Vec<usize> = known.keys().copied().collect();
    gs.sort_unstable();
    let (mut unknown, mut landed) = (0, 0);
    for g in gs {
        let rid = request_id(g);
        let present = listed.get(&rid).cloned().unwrap_or_default();
        match known[&g].clone() {
            Known::Stored(id) => assert_eq!(
                present,
                vec![id],
                "round {round}: {rid} was answered OK and must be there exactly once"
            ),
            Known::Refused => assert!(present.is_empty(), "{rid} was refused but is stored"),
            Known::Unknown => {
                unknown += 1;
                assert!(present.len() <= 1, "{rid} is there {} times", present.len());
                landed += present.len();
                let retry = submit(&mut c, g).await;
                let now = match retry {
                    Err(s) if refused(g) && s.code() == Code::InvalidArgument => {
                        assert!(present.is_empty(), "{rid}: a refused request is stored");
                        Known::Refused
                    }
                    Ok(r) => {
                        if let Some(id) = present.first() {
                            assert_eq!(&r.message_id, id, "{rid}: the retry names the original");
                        }
                        Known::Stored(r.message_id)
                    }
                    Err(s) => panic!("{rid}: the retry after the restart failed: {s:?}"),
                };
                known.insert(g, now);
            }
        }
    }

    // After the retries: exactly the stored ones, each once.
    let all = list_all(&mut c, proto::MessageState::Unspecified).await;
    let listed = by_rid(&all);
    let stored: HashMap<String, String> = known
        .iter()
        .filter_map(|(g, k)| match k {
            Known::Stored(id) => Some((request_id(*g), id.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(all.len(), stored.len(), "round {round}: no stray messages");
    for (rid, id) in &stored {
        assert_eq!(listed.get(rid), Some(&vec![id.clone()]), "{rid} once");
    }
    for (g, k) in known.iter() {
        if let Known::Stored(id) = k
            && *g >= round * BURST
        {
            let m = c
                .get_message(req(
                    TOKEN_A,
                    proto::GetMessageRequest {
                        message_id: id.clone(),
                    },
                ))
                .await
                .expect("an acknowledged message is there")
                .into_inner();
            assert_eq!(m.request_id, request_id(*g));
            assert!(m.xml.starts_with("<?xml"), "{id} has its XML");
        }
    }

    // The acknowledged cursor survived (an ack never moves it back, so acking 1 reads it).
    let now_acked = c
        .ack_returns(req(TOKEN_A, proto::AckReturnsRequest { cursor: 1 }))
        .await
        .expect("ack")
        .into_inner()
        .acked_cursor;
    assert!(
        now_acked >= acked,
        "round {round}: acked cursor {now_acked} is below {acked}, acknowledged before the crash"
    );

    // The event log: once the loopback has delivered everything, one event per message with
    // cursors 1..=n.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !list_all(&mut c, proto::MessageState::Queued)
        .await
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "messages still queued after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = list_all(&mut c, proto::MessageState::Unspecified).await;
    let mut cursors = BTreeSet::new();
    for m in &all {
        assert_eq!(
            m.event_cursors.len(),
            1,
            "{}: one delivery event",
            m.message_id
        );
        assert!(cursors.insert(m.event_cursors[0]), "cursor used twice");
    }
    let n = all.len() as u64;
    assert_eq!(cursors, (1..=n).collect(), "round {round}: cursors 1..={n}");
    let mut s = events_from_start(&mut c, TOKEN_A).await;
    let mut last = now_acked;
    for _ in now_acked..n {
        let e = next_event(&mut s).await;
        assert_eq!(
            e.cursor,
            last + 1,
            "round {round}: strictly increasing, no gap"
        );
        last = e.cursor;
    }
    eprintln!(
        "round {round}: {n} messages; {unknown} cut off by the kill ({landed} had landed); \
         acked cursor {now_acked}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_burst_loses_no_acknowledged_submit() {
    let started = Instant::now();
    let seed = std::env::var("KETENPOORT_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let mut rng = Rng(seed.max(1));
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let log = dir.path().join("serve.log");
    let config = child::write_config(dir.path(), &data, "");
    seed_allocations(&data, &allocations()).await;

    let mut known: HashMap<usize, Known> = HashMap::new();
    let mut server = child::spawn(&config, &[], &log);
    let mut moments = BTreeSet::new();
    for round in 0..ROUNDS {
        // Spread over the burst; the first round kills early.
        let kill_after = if round == 0 {
            1 + (rng.next() % 20) as usize
        } else {
            1 + (rng.next() % 1900) as usize
        };
        moments.insert(kill_after);
        eprintln!("round {round}: kill -9 after the {kill_after}-th OK (seed {seed})");
        let acked = burst(&mut server, round, kill_after, &mut known).await;
        server = child::spawn(&config, &[], &log);
        verify(&server, round, &mut known, acked).await;
    }
    assert!(moments.len() >= 5, "at least 5 different kill moments");

    // A clean stop, then the event log as `ketenpoort export` reads it.
    assert_eq!(server.terminate(), Some(0), "a clean stop after SIGTERM");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(["export", "--data-dir"])
        .arg(&data)
        .output()
        .expect("run export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cursors = Vec::new();
    let mut messages = 0;
    for line in String::from_utf8(out.stdout).expect("utf-8").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        match v["type"].as_str() {
            Some("event") => cursors.push(v["cursor"].as_u64().expect("a cursor")),
            Some("message") => messages += 1,
            Some("received") => {}
            other => panic!("unexpected export line type {other:?}"),
        }
    }
    let stored = known
        .values()
        .filter(|k| matches!(k, Known::Stored(_)))
        .count();
    assert_eq!(messages, stored, "export: every stored message, once");
    assert!(
        cursors.windows(2).all(|w| w[1] == w[0] + 1) && cursors.first() == Some(&1),
        "export: cursors 1..=n strictly increasing"
    );
    assert_eq!(cursors.len(), stored, "export: one event per message");
    eprintln!(
        "{ROUNDS} crashes, {stored} messages, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
