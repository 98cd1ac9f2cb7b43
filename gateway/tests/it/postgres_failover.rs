//! Issue 16's failover test: two `ketenpoort serve` replicas on one PostgreSQL schema, the
//! simulator as VECOZO (in this test process, apart from both replicas), 2,000 JW315s from
//! concurrent clients spread over both replicas, and three times a `kill -9` of one replica
//! (restarted each time). A client whose submit got no answer sends it again, with the same
//! request_id, to the other replica. Then:
//!
//! - every submit answered OK is stored, and each request_id is stored once;
//! - every message was pushed under one traceerId, accepted by VECOZO once (the
//!   simulator's counts), and VECOZO holds nothing else;
//! - each 301 the municipality sent is answered by exactly one 302;
//! - when a killed replica held the collector's lease, the other took it over within two
//!   poll intervals;
//! - a client reading the returns stream, moving to the other replica when its replica
//!   dies, sees every event cursor once, in order, without a gap.
//!
//! The kill moments are drawn from a seed printed at the start (`KETENPOORT_FAILOVER_SEED`
//! repeats a run).

use crate::common;
use crate::delivery_support;
use crate::vecozo_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::child::{self, ChildServer};
use common::pg::TestDb;
use delivery_support::{DEADLINE, ca_file, password_file, wait_for};
use ketenpoort::proto;
use ketenpoort::proto::gateway_client::GatewayClient;
use tonic::transport::Channel;
use vecozo_support::Sim;

/// JW315s sent.
const REQUESTS: usize = 2000;
/// Concurrent clients.
const CLIENTS: usize = 16;
/// Kills of a replica.
const KILLS: usize = 3;
/// How long the replicas may take, after the last answer, to push everything and answer
/// every 301 (the debug build on a loaded 2-core machine: about 10 groups of the store's
/// writer per message, one group at a time across the replicas).
const SETTLE: Duration = Duration::from_secs(900);
/// The gateways' `[vecozo] poll_interval_secs`.
const POLL: Duration = Duration::from_secs(1);

/// The simulator answering at once, on the real time (the gateways date their messages
/// with it).
async fn sim() -> Sim {
    vecozo_support::start_with_clock(
        vecozo_support::fast_scenario(""),
        ketenpoort_sim::Clock::new(chrono::Utc::now(), 1.0),
    )
    .await
}

/// A replica's `ketenpoort.toml` in `home`: mode vecozo against `sim` with PROVIDER's
/// certificate, tenant A, the cross-message rules on, rounds every [`POLL`], 16 pushes at
/// once, and `store` (the `[store]` tables).
fn replica_config(home: &Path, sim: &Sim, store: &str) -> PathBuf {
    let text = format!(
        r#"[server]
grpc_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
data_dir = '{data}'
allow_plaintext = true

[messages]
cross_message_rules = true

[vecozo]
mode = "vecozo"
environment = {{ simulator = {{ origin = "https://localhost:{port}" }} }}
trust_roots = '{ca}'
poll_interval_secs = {poll}
max_concurrent_deliveries = 16
status_poll_interval_ms = 1000

[vecozo.identity.default]
pkcs12 = {{ path = '{p12}', password_file = '{pw}' }}

[[tenants]]
name = "a"
api_token_sha256 = "{a}"
agb_codes = ["{agb}"]

{store}
"#,
        data = home.join("data").display(),
        port = sim.port,
        ca = ca_file(sim).display(),
        poll = POLL.as_secs(),
        p12 = sim
            .config
            .pki
            .client_files(vecozo_support::PROVIDER)
            .2
            .display(),
        pw = password_file(sim).display(),
        a = ketenpoort::tenant::token_digest(common::TOKEN_A),
        agb = common::AGB_A,
    );
    let path = home.join("ketenpoort.toml");
    std::fs::write(&path, text).expect("write the config");
    path
}

/// One replica: its configuration, log and, while it runs, the process.
struct Replica {
    config: PathBuf,
    log: PathBuf,
    server: Option<ChildServer>,
}

/// The replicas' gRPC addresses as clients see them: `None` while a replica is down.
type Addresses = Arc<Mutex<[Option<String>; 2]>>;

fn address(addresses: &Addresses, i: usize) -> Option<String> {
    addresses.lock().ok().and_then(|a| a[i].clone())
}

fn set_address(addresses: &Addresses, i: usize, server: Option<&ChildServer>) {
    if let Ok(mut a) = addresses.lock() {
        a[i] = server.map(|s| format!("http://{}", s.grpc));
    }
}

async fn connect(url: &str) -> Option<GatewayClient<Channel>> {
    GatewayClient::connect(url.to_owned()).await.ok()
}

/// The 315 of request `n`: its own client (BSN), reference and request_id.
fn request(n: usize) -> proto::SubmitRequestForAllocationRequest {
    let mut r =
        common::request_for_allocation(proto::Law::Ijw, common::AGB_A, &format!("failover-{n}"));
    r.products[0].provider_reference = format!("F{n}");
    if let Some(client) = r.client.as_mut() {
        client.bsn = common::bsn(n as u64);
    }
    r
}

/// Sends request `n` to replica `n % 2` first and, while it gets no answer, to the other
/// one, then back, until one answers OK (or refuses it: a failure of the test).
async fn submit_until_answered(addresses: &Addresses, n: usize) -> String {
    let start = Instant::now();
    let mut target = n % 2;
    loop {
        assert!(
            start.elapsed() < DEADLINE,
            "request {n} got no answer from either replica"
        );
        if let Some(url) = address(addresses, target)
            && let Some(mut c) = connect(&url).await
        {
            match c
                .submit_request_for_allocation(common::req(common::TOKEN_A, request(n)))
                .await
            {
                Ok(r) => return r.into_inner().message_id,
                Err(s)
                    if matches!(
                        s.code(),
                        tonic::Code::Unavailable
                            | tonic::Code::Unknown
                            | tonic::Code::Cancelled
                            | tonic::Code::DeadlineExceeded
                    ) => {}
                Err(s) => panic!("request {n} refused: {s:?}"),
            }
        }
        target = 1 - target;
        // A retry's pace, not a synchronisation: the other replica may be restarting.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads tenant A's returns stream, acknowledging as it goes, from whichever replica is up;
/// when its replica dies it continues on the other after the last cursor it saw. Returns
/// the cursors in the order seen.
async fn read_stream(
    addresses: Addresses,
    stop: Arc<AtomicBool>,
    last: Arc<AtomicU64>,
    target: usize,
) -> Vec<u64> {
    let mut seen = Vec::new();
    let mut replica = target;
    while !stop.load(Ordering::SeqCst) {
        let Some(url) = address(&addresses, replica) else {
            replica = 1 - replica;
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let Some(mut c) = connect(&url).await else {
            replica = 1 - replica;
            continue;
        };
        let after = seen.last().copied().unwrap_or(0);
        let mut r = common::req(
            common::TOKEN_A,
            proto::StreamReturnsRequest {
                from_cursor: Some(after + 1),
                ..Default::default()
            },
        );
        r.set_timeout(Duration::from_secs(3600));
        let Ok(stream) = c.stream_returns(r).await else {
            replica = 1 - replica;
            continue;
        };
        let mut stream = stream.into_inner();
        loop {
            let next = tokio::time::timeout(Duration::from_millis(200), stream.message()).await;
            if stop.load(Ordering::SeqCst) {
                return seen;
            }
            match next {
                Err(_) => continue,
                Ok(Ok(Some(e))) => {
                    seen.push(e.cursor);
                    last.store(e.cursor, Ordering::SeqCst);
                    if e.cursor % 50 == 0 {
                        let _ = c
                            .ack_returns(common::req(
                                common::TOKEN_A,
                                proto::AckReturnsRequest { cursor: e.cursor },
                            ))
                            .await;
                    }
                }
                // The replica went away: on to the other one.
                Ok(_) => {
                    replica = 1 - replica;
                    break;
                }
            }
        }
    }
    seen
}

/// The holder of lease `name`, and whether it runs now.
async fn lease_holder(db: &TestDb, name: &str) -> Option<(uuid::Uuid, bool)> {
    let client = db.pool.get().await.expect("connection");
    let row = client
        .query_opt(
            "SELECT holder, until_ms > (extract(epoch FROM clock_timestamp()) * 1000)::bigint \
             FROM ketenpoort_leases WHERE name = $1",
            &[&name],
        )
        .await
        .expect("lease");
    row.map(|r| (r.get(0), r.get(1)))
}

/// The name of the collector's lease: the one lease that is not the outbox's.
async fn collector_lease(db: &TestDb) -> Option<String> {
    let client = db.pool.get().await.expect("connection");
    client
        .query_opt(
            "SELECT name FROM ketenpoort_leases WHERE name <> $1",
            &[&ketenpoort::vecozo::worker::OUTBOX_LEASE],
        )
        .await
        .expect("leases")
        .map(|r| r.get(0))
}

fn log_holds(log: &Path, holder: uuid::Uuid) -> bool {
    std::fs::read_to_string(log).is_ok_and(|l| l.contains(&holder.to_string()))
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let client = db.pool.get().await.expect("connection");
    client.query_one(sql, &[]).await.expect(sql).get(0)
}

/// A small deterministic generator for the kill moments (splitmix64).
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_survive_three_kills_losing_and_doubling_nothing() {
    let Some(db) = TestDb::new("postgres_failover").await else {
        return;
    };
    let mut seed: u64 = std::env::var("KETENPOORT_FAILOVER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand_seed);
    eprintln!("failover: seed {seed} (KETENPOORT_FAILOVER_SEED repeats this run)");
    let sim = sim().await;
    let dir = tempfile::tempdir().expect("dir");
    let url = db
        .options
        .url
        .clone()
        .unwrap_or_else(|| common::pg::DEFAULT_URL.to_owned());
    let store = format!(
        "[store]\nbackend = \"postgres\"\n[store.postgres]\nurl = '{url}'\nschema = \"{}\"\npool_size = 8\n",
        db.schema
    );
    let mut replicas: Vec<Replica> = (0..2)
        .map(|i| {
            let home = dir.path().join(format!("replica-{i}"));
            std::fs::create_dir_all(&home).expect("dir");
            Replica {
                config: replica_config(&home, &sim, &store),
                log: home.join("serve.log"),
                server: None,
            }
        })
        .collect();
    let addresses: Addresses = Arc::new(Mutex::new([None, None]));
    for (i, r) in replicas.iter_mut().enumerate() {
        r.server = Some(child::spawn(&r.config, &[], &r.log));
        set_address(&addresses, i, r.server.as_ref());
    }

    // The stream reader, and the clients.
    let stop = Arc::new(AtomicBool::new(false));
    let last_read = Arc::new(AtomicU64::new(0));
    let reader = tokio::spawn(read_stream(
        addresses.clone(),
        stop.clone(),
        last_read.clone(),
        1,
    ));
    let answered = Arc::new(AtomicUsize::new(0));
    let next_request = Arc::new(AtomicUsize::new(0));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (addresses, answered, next_request) =
            (addresses.clone(), answered.clone(), next_request.clone());
        clients.spawn(async move {
            let mut ok = Vec::new();
            loop {
                let n = next_request.fetch_add(1, Ordering::SeqCst);
                if n >= REQUESTS {
                    return ok;
                }
                ok.push((n, submit_until_answered(&addresses, n).await));
                answered.fetch_add(1, Ordering::SeqCst);
            }
        });
    }

    // Three kills at moments drawn from the seed, each at a later point of the burst; the
    // first kills the collector's lease holder, so that a takeover is always measured.
    let mut moments: Vec<usize> = (0..KILLS)
        .map(|_| REQUESTS / 10 + (next(&mut seed) as usize) % (REQUESTS * 7 / 10))
        .collect();
    moments.sort_unstable();
    let mut takeovers = Vec::new();
    for (k, moment) in moments.iter().enumerate() {
        wait_for("the clients to reach the kill moment", DEADLINE, || {
            let reached = answered.load(Ordering::SeqCst) >= *moment;
            async move { reached.then_some(()) }
        })
        .await;
        let label = wait_for("a collector lease", DEADLINE, || collector_lease(&db)).await;
        let (holder, _) = lease_holder(&db, &label).await.expect("the lease");
        let victim = if k == 0 {
            replicas
                .iter()
                .position(|r| log_holds(&r.log, holder))
                .expect("one replica logged the collector's holder id")
        } else {
            (next(&mut seed) % 2) as usize
        };
        let held_collector = log_holds(&replicas[victim].log, holder);
        set_address(&addresses, victim, None);
        if let Some(mut s) = replicas[victim].server.take() {
            s.kill9();
        }
        let killed_at = Instant::now();
        eprintln!(
            "failover: kill {} of replica {victim} at {} answered (collector holder: {held_collector})",
            k + 1,
            answered.load(Ordering::SeqCst)
        );
        if held_collector {
            let label = label.clone();
            let db = &db;
            wait_for(
                "another replica to take the collector lease",
                DEADLINE,
                || {
                    let label = label.clone();
                    async move {
                        lease_holder(db, &label)
                            .await
                            .filter(|(h, running)| *h != holder && *running)
                            .map(|_| ())
                    }
                },
            )
            .await;
            takeovers.push(killed_at.elapsed());
        }
        let r = &mut replicas[victim];
        r.server = Some(child::spawn(&r.config, &[], &r.log));
        set_address(&addresses, victim, r.server.as_ref());
    }

    let mut ok: BTreeMap<usize, String> = BTreeMap::new();
    while let Some(r) = clients.join_next().await {
        for (n, id) in r.expect("no panic") {
            assert!(ok.insert(n, id).is_none(), "request {n} answered twice");
        }
    }
    assert_eq!(ok.len(), REQUESTS, "every request was answered");

    // Everything pushed and answered: the queue empty, a 302 for each 301.
    let settle = Instant::now();
    let mut reported = Instant::now();
    loop {
        let queued = count(&db, "SELECT count(*) FROM ketenpoort_queue").await;
        let counts = sim.counts().await;
        let sent_301 = counts["gemeentebot"]["verzonden"]["JW301"]
            .as_u64()
            .unwrap_or(0);
        let got_302 = counts["gemeentebot"]["ontvangen"]["JW302"]
            .as_u64()
            .unwrap_or(0);
        let got_315 = counts["gemeentebot"]["ontvangen"]["JW315"]
            .as_u64()
            .unwrap_or(0);
        if queued == 0 && sent_301 == REQUESTS as u64 && got_302 >= sent_301 {
            break;
        }
        let state = format!(
            "{queued} queued, the municipality received {got_315} 315s and {got_302} 302s, sent {sent_301} 301s"
        );
        if settle.elapsed() > SETTLE {
            let logs: Vec<String> = replicas
                .iter()
                .map(|r| {
                    let log = std::fs::read_to_string(&r.log).unwrap_or_default();
                    let tail: Vec<&str> = log.lines().rev().take(30).collect();
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                })
                .collect();
            panic!(
                "not settled: {state}; the replicas' logs end:\n{}",
                logs.join("\n----\n")
            );
        }
        if reported.elapsed() > Duration::from_secs(15) {
            eprintln!("failover: settling after {:?}: {state}", settle.elapsed());
            reported = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "failover: settled {:?} after the last answer",
        settle.elapsed()
    );

    // The last event: the head stays put once nothing is left to do.
    let head = count(&db, "SELECT last_cursor FROM ketenpoort_event_head").await;
    wait_for(
        "the stream reader to reach the last event",
        DEADLINE,
        || {
            let read = last_read.load(Ordering::SeqCst) as i64;
            async move { (read >= head).then_some(()) }
        },
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    let cursors = reader.await.expect("reader");

    // Stored: every answered submit, each request_id once.
    let stored_315 = count(
        &db,
        "SELECT count(*) FROM ketenpoort_messages WHERE kind = 'JW315'",
    )
    .await;
    let request_ids = count(
        &db,
        "SELECT count(DISTINCT request_id) FROM ketenpoort_messages WHERE kind = 'JW315'",
    )
    .await;
    let answered_ids: BTreeSet<&String> = ok.values().collect();
    let client = db.pool.get().await.expect("connection");
    let stored_ids: BTreeSet<String> = client
        .query(
            "SELECT id FROM ketenpoort_messages WHERE kind = 'JW315'",
            &[],
        )
        .await
        .expect("ids")
        .iter()
        .map(|r| r.get::<_, i64>(0).to_string())
        .collect();
    let lost = answered_ids
        .iter()
        .filter(|id| !stored_ids.contains(id.as_str()))
        .count();

    // Pushed: one traceerId per message, each accepted once.
    let counts = sim.counts().await;
    let per = counts["perTraceerId"].as_object().expect("perTraceerId");
    let pushed: Vec<(String, u64)> = client
        .query("SELECT traceer_id::text FROM ketenpoort_outbox", &[])
        .await
        .expect("outbox")
        .iter()
        .map(|r| {
            let t: String = r.get(0);
            let n = per
                .get(&t)
                .and_then(|c| c["geaccepteerd"].as_u64())
                .unwrap_or(0);
            (t, n)
        })
        .collect();
    let twice = pushed.iter().filter(|(_, n)| *n > 1).count();
    let never = pushed.iter().filter(|(_, n)| *n == 0).count();
    let got_315 = counts["gemeentebot"]["ontvangen"]["JW315"]
        .as_u64()
        .unwrap_or(0);
    // Answered: one 302 per 301.
    let retours = count(
        &db,
        "SELECT count(*) FROM ketenpoort_outbox WHERE record->>'als_antwoord_op' IS NOT NULL",
    )
    .await;
    let answered_301s = count(
        &db,
        "SELECT count(DISTINCT record->>'als_antwoord_op') FROM ketenpoort_outbox \
         WHERE record->>'als_antwoord_op' IS NOT NULL",
    )
    .await;
    let sent_301 = counts["gemeentebot"]["verzonden"]["JW301"]
        .as_u64()
        .unwrap_or(0);
    let got_302 = counts["gemeentebot"]["ontvangen"]["JW302"]
        .as_u64()
        .unwrap_or(0);
    // The stream: every cursor once, in order.
    let gaps_or_doubles = cursors
        .iter()
        .zip(1u64..)
        .filter(|(c, expected)| **c != *expected)
        .count();

    eprintln!(
        "failover: {REQUESTS} requests, {} answered OK, {stored_315} JW315 stored ({request_ids} request_ids), {lost} lost; \
         {} pushed, {twice} accepted twice, {never} never accepted; the municipality received {got_315} 315s; {sent_301} 301s sent, {got_302} 302s received, {retours} 302s queued \
         for {answered_301s} 301s; collector takeovers {takeovers:?}; stream: {} events read up to cursor {head}, {gaps_or_doubles} out of place",
        ok.len(),
        pushed.len(),
        cursors.len(),
    );
    assert_eq!(lost, 0, "answered submits lost");
    assert_eq!(stored_315, REQUESTS as i64, "one JW315 per request");
    assert_eq!(request_ids, REQUESTS as i64, "each request_id once");
    assert_eq!(twice, 0, "traceerIds accepted twice");
    assert_eq!(never, 0, "messages never accepted");
    assert_eq!(
        got_315, REQUESTS as u64,
        "the municipality received each 315 once"
    );
    assert_eq!(sent_301, REQUESTS as u64);
    assert_eq!(retours, answered_301s, "one 302 per 301");
    assert_eq!(answered_301s, sent_301 as i64, "every 301 answered");
    assert_eq!(got_302, sent_301, "VECOZO received one 302 per 301");
    assert!(
        !takeovers.is_empty(),
        "the collector's holder was killed once"
    );
    for t in &takeovers {
        assert!(*t <= POLL * 2, "collector taken over after {t:?}");
    }
    assert_eq!(
        gaps_or_doubles, 0,
        "the stream skipped or repeated a cursor"
    );
    assert_eq!(cursors.len() as i64, head, "the stream read every event");

    for r in &mut replicas {
        if let Some(s) = r.server.as_mut() {
            assert_eq!(s.terminate(), Some(0), "a clean stop");
        }
    }
    db.drop_schema().await;
}

fn rand_seed() -> u64 {
    u64::from(uuid::Uuid::new_v4().as_fields().0)
}
