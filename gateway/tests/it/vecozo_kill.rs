//! `kill -9` of `ketenpoort serve` in `[vecozo] mode = "vecozo"` while it delivers: a burst
//! of submits from 8 clients, the kill once the simulated VECOZO has accepted some pushes
//! (and while more are queued and in flight), a restart on the same data directory, and
//! then:
//!
//! - every submit that was answered OK is stored and DELIVERED — none lost;
//! - every stored message (also those whose submit the kill cut off) has one traceerId, and
//!   the simulator accepted each of those exactly once and nothing else: a push the kill cut
//!   off is pushed again with the same traceerId after the restart, and its BRS114 resolved
//!   through the status API, never sent under a new traceerId.
//!
//! The pushes are slowed down (the simulator's `traag` fault, two at a time) so that the kill
//! finds submits coming in and messages queued, in flight and delivered.

use crate::common;
use crate::delivery_support;
use crate::vecozo_support;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::child::{self, ChildServer};
use delivery_support::*;
use ketenpoort::store::Store;
use ketenpoort::store::{MessageState, sled_store::SledStore};
use ketenpoort::tenant::token_digest;
use serde_json::Value;
use vecozo_support::{PROVIDER, Sim};

/// Submits in the burst, if the kill does not end it first.
const BURST: usize = 1000;
/// Concurrent clients.
const CLIENTS: usize = 8;
/// The kill comes once VECOZO accepted this many pushes and at least as many more submits
/// were answered OK (so that messages are queued and in flight at the kill).
const KILL_AFTER_ACCEPTED: u64 = 40;

/// Writes the configuration with `concurrency` pushes in flight at once.
fn write_config(dir: &Path, data: &Path, sim: &Sim, concurrency: usize) -> std::path::PathBuf {
    let text = format!(
        r#"[server]
grpc_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
data_dir = '{data}'
allow_plaintext = true

[messages]
cross_message_rules = false

[vecozo]
mode = "vecozo"
environment = {{ simulator = {{ origin = "https://localhost:{port}" }} }}
trust_roots = '{ca}'
poll_interval_secs = 1
max_concurrent_deliveries = {concurrency}
status_poll_interval_ms = 500

[vecozo.backoff]
base_ms = 5
cap_ms = 100
max_retry_after_ms = 200

[vecozo.identity.default]
pkcs12 = {{ path = '{p12}', password_file = '{pw}' }}

[[tenants]]
name = "a"
api_token_sha256 = "{a}"
agb_codes = ["{agb}"]
"#,
        data = data.display(),
        port = sim.port,
        ca = ca_file(sim).display(),
        p12 = sim.config.pki.client_files(PROVIDER).2.display(),
        pw = password_file(sim).display(),
        a = token_digest(common::TOKEN_A),
        agb = common::AGB_A,
    );
    let path = dir.join("ketenpoort.toml");
    std::fs::write(&path, text).expect("write the config");
    path
}

fn accepted_total(counts: &Value) -> u64 {
    counts["perStatus"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

/// The burst: `CLIENTS` clients take request numbers from a shared counter until `BURST` or
/// their first failed submit (the kill). Returns the message ids answered OK.
async fn burst(
    server: &ChildServer,
    answered: Arc<AtomicUsize>,
) -> tokio::task::JoinSet<Vec<String>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let mut c = server.client().await;
        let next = next.clone();
        let answered = answered.clone();
        tasks.spawn(async move {
            let mut ok = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= BURST {
                    return ok;
                }
                match submit_315(&mut c, n).await {
                    Ok(r) => {
                        ok.push(r.message_id);
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => return ok,
                }
            }
        });
    }
    tasks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_delivering_loses_nothing_and_pushes_each_message_once() {
    let sim = vecozo_support::start_with_toml(
        r#"
        [[storing]]
        soort = "traag"
        api = ["push"]
        vertraging_ms = 50
        "#,
    )
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    // Slow delivery at first, so that the kill finds a backlog while submits still come in.
    let config = write_config(dir.path(), &data, &sim, 2);
    let log = dir.path().join("serve.log");

    let mut server = child::spawn(&config, &[], &log);
    let answered = Arc::new(AtomicUsize::new(0));
    let mut tasks = burst(&server, answered.clone()).await;
    wait_for(
        "VECOZO to accept some pushes, with more queued",
        DEADLINE,
        || async {
            let accepted = accepted_total(&sim.counts().await);
            let ok = answered.load(Ordering::SeqCst) as u64;
            (accepted >= KILL_AFTER_ACCEPTED && ok >= accepted + KILL_AFTER_ACCEPTED).then_some(())
        },
    )
    .await;
    server.kill9();
    let accepted_at_kill = accepted_total(&sim.counts().await);
    let mut ok: Vec<String> = Vec::new();
    while let Some(r) = tasks.join_next().await {
        ok.extend(r.expect("no panic"));
    }
    assert!(
        (accepted_at_kill as usize) < ok.len(),
        "the kill came while messages were still queued ({accepted_at_kill} accepted, {} OK)",
        ok.len()
    );

    // The restart delivers the backlog faster.
    let config = write_config(dir.path(), &data, &sim, 8);
    let mut server = child::spawn(&config, &[], &log);
    wait_for("an empty queue after the restart", DEADLINE, || async {
        let m = metrics(server.admin).await;
        (sample(&m, "ketenpoort_queue_depth") == Some(0.0)).then_some(())
    })
    .await;
    assert_eq!(server.terminate(), Some(0), "a clean stop");

    // The store as the gateway left it.
    let store = SledStore::open(&data).expect("the store opens");
    let all = store
        .list_messages(None, 10 * BURST, &|_| true)
        .expect("list");
    let stored: HashSet<String> = all.iter().map(|m| m.id.to_string()).collect();
    for id in &ok {
        assert!(
            stored.contains(id),
            "message {id} was answered OK and is lost"
        );
    }
    let counts = sim.counts().await;
    let mut traceer_ids = BTreeSet::new();
    for m in &all {
        assert_eq!(m.state, MessageState::Delivered, "message {}", m.id);
        let t = store
            .outbox(m.id)
            .expect("store")
            .expect("an outbox record")
            .traceer_id;
        assert!(traceer_ids.insert(t), "one traceerId per message");
        let c = &counts["perTraceerId"][t.to_string()];
        assert_eq!(c["geaccepteerd"], 1, "message {}: {c}", m.id);
    }
    let brs114 = counts["perTraceerId"].as_object().map_or(0, |m| {
        m.values()
            .filter(|c| c["geweigerd"] != serde_json::json!([]))
            .count()
    });
    eprintln!(
        "kill: {} answered OK, {} stored, {accepted_at_kill} accepted at the kill, {brs114} \
         pushed again after the restart (BRS114)",
        ok.len(),
        all.len()
    );
    assert_eq!(
        accepted_total(&counts),
        all.len() as u64,
        "VECOZO holds nothing else"
    );
}
