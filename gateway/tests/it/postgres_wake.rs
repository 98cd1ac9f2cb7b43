//! The commit notifications of stores in different schemas of one database
//! (`store::postgres::wake`): a listener takes its own schema's commits only. Before, a
//! gateway raised its event watch to another schema's cursor, and its returns streams
//! skipped their own events up to there (found by the store suite on both backends). A
//! notification without a schema (an earlier version's) is taken by none.

use std::sync::Arc;
use std::time::Duration;

use ketenpoort::store::engine::Engine;
use ketenpoort::store::postgres::engine::PgEngine;
use ketenpoort::store::postgres::wake::{self, Wake};
use ketenpoort::store::sled_store::{Options, SledStore};
use ketenpoort::store::{IncomingContent, IncomingWrite, Outcome, Store, Write};
use tokio::sync::{mpsc, watch};

use crate::common::backend::close;
use crate::common::pg::TestDb;

/// Passes on what the listener hears.
struct Recorder(mpsc::UnboundedSender<u64>);

impl Wake for Recorder {
    fn events_committed(&self, cursor: u64) {
        let _ = self.0.send(cursor);
    }

    fn queue_changed(&self) {}
}

fn quarantined(n: u8) -> Write {
    Write::Incoming(Box::new(IncomingWrite {
        traceer_id: uuid::Uuid::from_bytes([n; 16]),
        als_antwoord_op: None,
        at_ms: 1_700_000_000_000,
        addressee: "12345678".into(),
        payload: vec![0xff, n],
        content: IncomingContent::Quarantined {
            reason: "test".into(),
        },
        retour: None,
        owed: None,
        fence: None,
    }))
}

async fn heard(rx: &mut mpsc::UnboundedReceiver<u64>) -> u64 {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a wake-up within 10 s")
        .expect("the listener runs")
}

async fn store_events(store: &SledStore, from: u8, to: u8) {
    for n in from..=to {
        let out = store.commit(quarantined(n)).wait().await.expect("stored");
        assert!(matches!(out, Outcome::Incoming { .. }), "{out:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_is_not_woken_by_another_schemas_commits() {
    let Some(a) = TestDb::new("postgres_wake::a").await else {
        return;
    };
    let Some(b) = TestDb::new("postgres_wake::b").await else {
        return;
    };
    let open = |db: &TestDb| {
        let engine = PgEngine::connect(&db.options).expect("engine");
        SledStore::open_engine(engine as Arc<dyn Engine>, &Options::default()).expect("opens")
    };
    let (store_a, closed_a) = open(&a);
    let (store_b, closed_b) = open(&b);
    let (stop, stopping) = watch::channel(false);
    let (tx_a, mut rx_a) = mpsc::unbounded_channel();
    let (tx_b, mut rx_b) = mpsc::unbounded_channel();
    let listen_a = tokio::spawn(wake::run(
        a.options.clone(),
        Arc::new(Recorder(tx_a)),
        stopping.clone(),
    ));
    let listen_b = tokio::spawn(wake::run(
        b.options.clone(),
        Arc::new(Recorder(tx_b)),
        stopping,
    ));
    // Each listener reads its head once it listens.
    assert_eq!(heard(&mut rx_a).await, 0);
    assert_eq!(heard(&mut rx_b).await, 0);

    // A's cursors run ahead of B's, so that what A hears says whose commit it was.
    store_events(&store_a, 1, 10).await;
    let mut last_a = 0;
    while last_a < 10 {
        last_a = heard(&mut rx_a).await;
    }
    store_events(&store_b, 1, 3).await;
    let mut last_b = 0;
    while last_b < 3 {
        last_b = heard(&mut rx_b).await;
    }
    // A gateway of an earlier version announces without a schema: whose it is cannot be
    // told, so no listener takes it.
    let client = a.pool.get().await.expect("connection");
    client
        .execute("SELECT pg_notify($1, '99 1')", &[&wake::CHANNEL])
        .await
        .expect("notify");
    drop(client);
    // A's next commit comes after those on A's connection: had A heard them, they would
    // come first.
    store_events(&store_a, 11, 11).await;
    assert_eq!(
        heard(&mut rx_a).await,
        11,
        "A hears its own commit, not B's cursors"
    );
    assert!(rx_a.try_recv().is_err(), "nothing else for A");

    let _ = stop.send(true);
    listen_a.await.expect("listener a");
    listen_b.await.expect("listener b");
    close(store_a, closed_a).await;
    close(store_b, closed_b).await;
    a.drop_schema().await;
    b.drop_schema().await;
}
