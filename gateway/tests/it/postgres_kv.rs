//! The history's keys in PostgreSQL (`store::postgres::kv`, issue 16): `PgKv` reads as a
//! `BTreeMap` would, a reverse scan reads only the pages it is asked for, the bridge answers
//! from every kind of caller (multi-thread and current-thread runtimes, plain threads), and
//! the cross-message rules over the history in PostgreSQL judge random histories exactly as
//! `MemoryHistory` does (the generators of `history_differential.rs`). Each test works in a
//! schema of its own; without PostgreSQL they skip, unless `KETENPOORT_REQUIRE_POSTGRES=1`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ketenpoort::error::Error;
use ketenpoort::store::index::{Cache, Cached, Changes, Entry, Indexed, Kv, Pending};
use ketenpoort::store::postgres::PgOptions;
use ketenpoort::store::postgres::kv::{PgKv, apply};
use ketenpoort::store::postgres::migrate::migrate;
use ketenpoort_messages::Message;
use ketenpoort_messages::rules::cross::{MemoryHistory, check_against};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::common::pg::TestDb;
use crate::history_differential::{KINDS, make, same_answers, sent_by_provider};

/// A runtime for the test's own async work (the schema, writes), and a migrated schema.
fn setup(test: &str) -> Option<(tokio::runtime::Runtime, TestDb)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let db = rt.block_on(TestDb::new(test))?;
    rt.block_on(async {
        let mut client = db.pool.get().await.expect("connection");
        migrate(&mut client).await.expect("migrate");
    });
    Some((rt, db))
}

/// Applies `pending` in one transaction, as the store will with a message's changes.
fn write(rt: &tokio::runtime::Runtime, db: &TestDb, pending: &Pending) {
    rt.block_on(async {
        let mut client = db.pool.get().await.expect("connection");
        let tx = client.transaction().await.expect("begin");
        apply(&*tx, pending).await.expect("apply");
        tx.commit().await.expect("commit");
    });
}

fn truncate(rt: &tokio::runtime::Runtime, db: &TestDb) {
    rt.block_on(async {
        let client = db.pool.get().await.expect("connection");
        client
            .batch_execute("TRUNCATE ketenpoort_history")
            .await
            .expect("truncate");
    });
}

fn finish(rt: tokio::runtime::Runtime, db: TestDb) {
    rt.block_on(db.drop_schema());
}

fn rev(kv: &PgKv, prefix: &[u8]) -> Vec<Entry> {
    kv.scan_rev(prefix)
        .collect::<Result<_, _>>()
        .expect("scan_rev")
}

// === PgKv against a BTreeMap ===

/// Bytes that sort at the edges and in the middle: keys made of them share prefixes, and
/// prefixes ending in 0xFF (whose successor is not the prefix plus one) are common.
const BYTES: [u8; 4] = [0x00, 0x01, 0xFE, 0xFF];

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(BYTES.to_vec()), 0..5)
}

/// Every prefix over [`BYTES`] up to three bytes long, the empty one included.
fn prefixes() -> Vec<Vec<u8>> {
    let mut all = vec![Vec::new()];
    let mut last = vec![Vec::new()];
    for _ in 0..3 {
        last = last
            .iter()
            .flat_map(|p: &Vec<u8>| {
                BYTES.iter().map(move |b| {
                    let mut q = p.clone();
                    q.push(*b);
                    q
                })
            })
            .collect();
        all.extend(last.iter().cloned());
    }
    all
}

fn same_as_the_map(kv: &PgKv, oracle: &BTreeMap<Vec<u8>, Vec<u8>>) -> Result<(), TestCaseError> {
    for prefix in prefixes() {
        let expected: Vec<Entry> = oracle
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        prop_assert_eq!(
            kv.scan(&prefix).expect("scan"),
            expected.clone(),
            "scan {:x?}",
            prefix
        );
        let mut reversed = expected;
        reversed.reverse();
        prop_assert_eq!(rev(kv, &prefix), reversed, "scan_rev {:x?}", prefix);
        prop_assert_eq!(kv.get(&prefix).expect("get"), oracle.get(&prefix).cloned());
    }
    Ok(())
}

#[test]
fn get_scan_and_scan_rev_read_as_a_btreemap_with_00_and_ff_keys() {
    let Some((rt, db)) = setup("pg_kv_btreemap") else {
        return;
    };
    // Pages of three rows, so that reverse scans cross page boundaries.
    let kv = PgKv::connect_paged(&db.options, 3).expect("PgKv");
    let rounds = prop::collection::vec(
        prop::collection::vec((key(), prop::option::weighted(0.7, any::<u8>())), 0..40),
        1..4,
    );
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&rounds, |rounds| {
        truncate(&rt, &db);
        let mut oracle = BTreeMap::new();
        for round in rounds {
            let mut pending = Pending::new();
            for (k, v) in round {
                let v = v.map(|b| vec![b; usize::from(b % 5)]);
                match &v {
                    Some(v) => oracle.insert(k.clone(), v.clone()),
                    None => oracle.remove(&k),
                };
                pending.insert(k, v);
            }
            write(&rt, &db, &pending);
            same_as_the_map(&kv, &oracle)?;
        }
        Ok(())
    });
    drop(kv);
    finish(rt, db);
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Keys `prefix` + 0..n (u64 BE), each with `value(i)`.
fn numbered(prefix: &[u8], n: u64, value: impl Fn(u64) -> Vec<u8>) -> Pending {
    (0..n)
        .map(|i| ([prefix, &i.to_be_bytes()].concat(), Some(value(i))))
        .collect()
}

#[test]
fn the_first_entry_of_a_reverse_scan_reads_one_page() {
    let Some((rt, db)) = setup("pg_kv_first_page") else {
        return;
    };
    let mut pending = numbered(b"h/P/x", 2000, |_| vec![1]);
    // Neighbours on both sides of the range, which no scan of it may return.
    pending.insert(b"h/P/w\xff".to_vec(), Some(vec![2]));
    pending.insert(b"h/P/y".to_vec(), Some(vec![3]));
    write(&rt, &db, &pending);
    let kv = PgKv::connect(&db.options).expect("PgKv");

    let first = kv
        .scan_rev(b"h/P/x")
        .next()
        .expect("an entry")
        .expect("read");
    assert_eq!(
        first.0,
        [b"h/P/x".as_slice(), &1999u64.to_be_bytes()].concat()
    );
    assert_eq!(kv.pages_read(), 1, "taking the first entry read one page");

    let all = rev(&kv, b"h/P/x");
    assert_eq!(all.len(), 2000);
    // 2000 rows in pages of 8, 32, 128 and then 256: seven full pages of 256 (1960 rows
    // in all) and a short one that ends the scan.
    assert_eq!(kv.pages_read(), 1 + 11);
    assert_eq!(kv.scan(b"h/P/x").expect("scan").len(), 2000);
    drop(kv);
    finish(rt, db);
}

// === the bridge, from every kind of caller ===

/// Runs `f` on a thread of its own and fails, instead of hanging, should it not return
/// within a minute (a deadlocked bridge).
fn within_a_minute(what: &str, f: impl FnOnce() -> Result<(), String> + Send + 'static) {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(f());
    });
    match result.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{what}: {e}"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no answer within a minute"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

fn ask(kv: &PgKv, i: u64) -> Result<(), String> {
    let key = [b"h/k/".as_slice(), &i.to_be_bytes()].concat();
    let got = kv.get(&key).map_err(|e| e.to_string())?;
    if got != Some(i.to_be_bytes().to_vec()) {
        return Err(format!("key {i}: {got:?}"));
    }
    let first = kv
        .scan_rev(b"h/k/")
        .next()
        .transpose()
        .map_err(|e| e.to_string())?;
    if first.map(|(k, _)| k) != Some([b"h/k/".as_slice(), &99u64.to_be_bytes()].concat()) {
        return Err("scan_rev's first entry is not the last key".into());
    }
    Ok(())
}

#[test]
fn the_bridge_answers_in_runtimes_of_both_flavours_and_on_plain_threads() {
    let Some((rt, db)) = setup("pg_kv_bridge") else {
        return;
    };
    let pending = numbered(b"h/k/", 100, |i| i.to_be_bytes().to_vec());
    write(&rt, &db, &pending);
    // Made inside a current-thread runtime that is then dropped: its connections do not
    // belong to any caller's runtime.
    let kv = {
        let maker = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let options = db.options.clone();
        maker.block_on(async move { PgKv::connect(&options) })
    }
    .expect("PgKv");
    let kv = Arc::new(kv);

    let k = Arc::clone(&kv);
    within_a_minute("multi-thread runtime, 16 tasks", move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let tasks: Vec<_> = (0..16u64)
                .map(|i| {
                    let k = Arc::clone(&k);
                    tokio::spawn(async move { ask(&k, i) })
                })
                .collect();
            for t in tasks {
                t.await.map_err(|e| e.to_string())??;
            }
            Ok(())
        })
    });

    let k = Arc::clone(&kv);
    within_a_minute(
        "current-thread runtime, in block_on and in tasks",
        move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async move {
                ask(&k, 1)?;
                // A task waiting on a timer while another blocks in the bridge: the blocked
                // runtime is not needed for the answer.
                let sleeper = tokio::spawn(tokio::time::sleep(Duration::from_millis(5)));
                let tasks: Vec<_> = (0..8u64)
                    .map(|i| {
                        let k = Arc::clone(&k);
                        tokio::spawn(async move { ask(&k, i) })
                    })
                    .collect();
                for t in tasks {
                    t.await.map_err(|e| e.to_string())??;
                }
                sleeper.await.map_err(|e| e.to_string())
            })
        },
    );

    let k = Arc::clone(&kv);
    within_a_minute("plain threads at once", move || {
        let threads: Vec<_> = (0..8u64)
            .map(|t| {
                let k = Arc::clone(&k);
                std::thread::spawn(move || (0..25).try_for_each(|i| ask(&k, (t * 25 + i) % 100)))
            })
            .collect();
        for t in threads {
            t.join().map_err(|_| "a thread panicked".to_string())??;
        }
        Ok(())
    });

    // Dropped inside a runtime: the worker's runtime is dropped on its own thread.
    let k = Arc::clone(&kv);
    drop(kv);
    within_a_minute("dropped inside a current-thread runtime", move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            drop(k);
        });
        Ok(())
    });
    finish(rt, db);
}

#[test]
fn errors_are_store_errors_without_the_password() {
    let Some((rt, db)) = setup("pg_kv_errors") else {
        return;
    };
    // A database that cannot be reached: an error, no panic, no password.
    let closed = PgOptions {
        url: Some("postgres://u:kv-secret-pw@127.0.0.1:1/x".into()),
        ..PgOptions::default()
    };
    match PgKv::connect(&closed) {
        Err(Error::Store(text)) => assert!(!text.contains("kv-secret-pw"), "{text}"),
        other => panic!("expected a store error: {other:?}"),
    }
    // A schema without the table: each call fails with the server's message, the scan
    // once and then ends.
    let bare = PgOptions {
        schema: Some("pg_catalog".into()),
        ..db.options.clone()
    };
    let kv = PgKv::connect(&bare).expect("PgKv");
    let e = kv.get(b"h/x").expect_err("no table");
    assert!(e.to_string().contains("42P01"), "{e}");
    let mut scan = kv.scan_rev(b"h/");
    assert!(matches!(scan.next(), Some(Err(Error::Store(_)))));
    assert!(scan.next().is_none());
    drop(scan);
    drop(kv);
    finish(rt, db);
}

// === the cross-message rules over PostgreSQL, against MemoryHistory ===

/// `steps` recorded one message at a time with `Changes::record` over the history in
/// PostgreSQL and applied in one transaction per message; before each, the history judges
/// it as `MemoryHistory` does, and after each answers the same questions.
fn run(
    rt: &tokio::runtime::Runtime,
    db: &TestDb,
    kv: &PgKv,
    steps: &[(usize, u64)],
    cache_entries: usize,
) -> Result<(), TestCaseError> {
    truncate(rt, db);
    let cache = Cache::new(cache_entries);
    let cached = Cached { kv, cache: &cache };
    let mut memory = MemoryHistory::new();
    let mut sent: Vec<Message> = Vec::new();
    for (step, (kind, seed)) in steps.iter().enumerate() {
        let m = make(*kind, *seed, &sent);
        let expected = check_against(&memory, &m);
        let judge = Indexed::new(&cached);
        let found = judge
            .finish(check_against(&judge, &m))
            .expect("history read");
        prop_assert_eq!(&found, &expected, "step {} ({})", step, m.kind());
        memory.record(&m);
        let mut changes = Changes::new(&cached);
        changes.record(&m).expect("record");
        let pending = changes.into_pending();
        write(rt, db, &pending);
        cache.invalidate(pending.keys().map(Vec::as_slice));
        if sent_by_provider(m.content.message_type()) {
            sent.push(m);
        }
        let reader = Indexed::new(&cached);
        same_answers(&memory, &reader, sent.len())?;
        reader.finish(()).expect("history read");
    }
    Ok(())
}

#[test]
fn the_history_in_postgresql_judges_as_the_memory_history() {
    let Some((rt, db)) = setup("pg_kv_differential") else {
        return;
    };
    let kv = PgKv::connect(&db.options).expect("PgKv");
    let strategy = (
        prop::collection::vec((0usize..KINDS.len(), any::<u64>()), 1..40),
        prop_oneof![Just(0usize), Just(7), Just(50_000)],
    );
    let mut runner = TestRunner::new(Config {
        // Each step asks a few hundred questions, each a round trip: 8 histories take
        // 10-20 s on a busy 2-core machine. PROPTEST_CASES=n runs more.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(8),
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    let result = runner.run(&strategy, |(steps, cache)| {
        run(&rt, &db, &kv, &steps, cache)
    });
    eprintln!("differential on PostgreSQL: {:?}", started.elapsed());
    drop(kv);
    finish(rt, db);
    if let Err(e) = result {
        panic!("{e}");
    }
}
