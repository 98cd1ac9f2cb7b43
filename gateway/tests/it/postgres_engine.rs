//! The store's engine on PostgreSQL (`store::postgres::engine::PgEngine`, issue 16): the
//! pairs of a store filled through the store's own writes read back as sled reads them
//! (points, prefixes both ways, sub-ranges, ranges across tables, early stops), a group is
//! one transaction that only its writer thread sees before it commits, two engines on one
//! database take turns (the second learns that another wrote), and counters reserved from
//! two engines at once are never handed out twice. Each test works in a schema of its own;
//! without PostgreSQL they skip, unless `KETENPOORT_REQUIRE_POSTGRES=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ketenpoort::store::engine::{Batch, Direction, Engine, Entry, GroupStart, SledEngine};
use ketenpoort::store::postgres::engine::PgEngine;
use ketenpoort::store::postgres::tables::{Keyed, Prefix, classify};

use crate::common::dump;
use crate::common::filled::filled_store;
use crate::common::pg::TestDb;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn collect(scan: ketenpoort::store::engine::Scan<'_>) -> Vec<Entry> {
    scan.collect::<Result<_, _>>().expect("scan")
}

fn key(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    [prefix, rest].concat()
}

fn be(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

fn show(k: &[u8]) -> String {
    String::from_utf8_lossy(k).into_owned()
}

/// Both engines answer `range` alike.
fn same_range(pg: &PgEngine, sled: &SledEngine, lower: Bound<&[u8]>, upper: Bound<&[u8]>) {
    for d in [Direction::Forward, Direction::Reverse] {
        let want = collect(sled.range(lower, upper, d));
        let got = collect(pg.range(lower, upper, d));
        assert!(
            got == want,
            "range {:?}..{:?} {d:?}: {} entries, sled {} (first {:?} / {:?})",
            lower.map(show),
            upper.map(show),
            got.len(),
            want.len(),
            got.first().map(|e| show(&e.0)),
            want.first().map(|e| show(&e.0)),
        );
    }
}

#[test]
fn a_filled_store_reads_back_from_postgres_as_from_sled() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::new("a_filled_store_reads_back_as_from_sled")) else {
        return;
    };
    let source = rt.block_on(filled_store());
    // Every pair with a table, its value as it comes back from a row.
    let mut pairs = BTreeMap::new();
    for (k, v) in dump(source.path()) {
        if let Keyed::Table(p) = classify(&k).expect("a known key") {
            pairs.insert(k, p.canonical(&v).expect("maps"));
        }
    }
    for p in Prefix::ALL {
        assert!(
            pairs.keys().any(|k| k.starts_with(p.key_prefix())),
            "the filled store has no {} key",
            p.name()
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let sled = SledEngine::new(sled::Config::new().path(dir.path()).open().expect("sled"));
    let pg = PgEngine::connect(&db.options).expect("PgEngine");
    let mut batch = Batch::default();
    for (k, v) in &pairs {
        batch.insert(k.clone(), v.clone());
    }
    sled.apply(batch.clone()).expect("sled apply");
    assert_eq!(pg.begin_group().expect("begin"), GroupStart::Alone);
    pg.apply(batch).expect("pg apply");
    pg.commit_group().expect("commit");

    // Points: every key, and keys that are not there (some of which no row can have).
    for k in pairs.keys() {
        assert_eq!(
            pg.get(k).expect("get"),
            sled.get(k).expect("get"),
            "{}",
            show(k)
        );
        assert!(pg.contains_key(k).expect("contains"), "{}", show(k));
    }
    let absent: Vec<Vec<u8>> = vec![
        key(b"m/", &be(999_999)),
        key(b"m/", &be(u64::MAX)),
        key(b"m/", b"abc"),
        key(b"w/", &[&be(1)[..], &[0, 0, 0, 99]].concat()),
        key(b"i/", b"a\0no-such-request"),
        key(b"i/", b"no nul"),
        key(b"c/", b"no-such-counter"),
        key(b"t/", uuid::Uuid::new_v4().as_bytes()),
        key(b"h/", b"\xff\xfe"),
        b"z/format".to_vec(),
        b"k/unknown".to_vec(),
    ];
    for k in &absent {
        if k.starts_with(b"k/") {
            assert!(pg.get(k).is_err(), "an unknown prefix is refused");
            continue;
        }
        assert_eq!(pg.get(k).expect("get"), None, "{}", show(k));
        assert!(!pg.contains_key(k).expect("contains"));
    }

    // All of them at once (one statement per table, one round trip), in the order asked.
    let mut many: Vec<&[u8]> = pairs.keys().rev().map(Vec::as_slice).collect();
    many.extend(
        absent
            .iter()
            .filter(|k| !k.starts_with(b"k/"))
            .map(Vec::as_slice),
    );
    many.push(many[0]);
    let want: Vec<Option<Vec<u8>>> = many.iter().map(|k| sled.get(k).expect("get")).collect();
    assert!(pg.get_many(&many).expect("get_many") == want, "get_many");
    assert!(pg.get_many(&[b"k/unknown".as_slice()]).is_err());
    assert_eq!(
        pg.get_many(&[]).expect("nothing"),
        Vec::<Option<Vec<u8>>>::new()
    );

    // Every prefix both ways, everything, and the empty prefix.
    for p in Prefix::ALL {
        for d in [Direction::Forward, Direction::Reverse] {
            assert_eq!(
                collect(pg.scan_prefix(p.key_prefix(), d)),
                collect(sled.scan_prefix(p.key_prefix(), d)),
                "{} {d:?}",
                p.name()
            );
        }
    }
    same_range(&pg, &sled, Bound::Unbounded, Bound::Unbounded);

    // The shapes the store reads: messages before an id (newest first), events between
    // two cursors, the queue from an id with no upper bound (across the tables after it),
    // a message's expectations, sub-prefixes of the duties and the history.
    let ids: Vec<Vec<u8>> = pairs
        .keys()
        .filter(|k| k.starts_with(b"m/"))
        .cloned()
        .collect();
    let mid = &ids[ids.len() / 2];
    same_range(&pg, &sled, Bound::Included(b"m/"), Bound::Excluded(mid));
    same_range(
        &pg,
        &sled,
        Bound::Included(mid),
        Bound::Excluded(&key(b"m/", &be(u64::MAX))),
    );
    let cursors: Vec<Vec<u8>> = pairs
        .keys()
        .filter(|k| k.starts_with(b"e/"))
        .cloned()
        .collect();
    assert!(cursors.len() >= 4, "{} events", cursors.len());
    same_range(
        &pg,
        &sled,
        Bound::Included(&cursors[1]),
        Bound::Excluded(&cursors[cursors.len() - 2]),
    );
    same_range(
        &pg,
        &sled,
        Bound::Included(&key(b"q/", &be(2))),
        Bound::Unbounded,
    );
    let mut sub_prefixes = BTreeSet::new();
    for k in pairs.keys() {
        if k.starts_with(b"w/") {
            sub_prefixes.insert(k[..10].to_vec());
        }
        if k.starts_with(b"h/") || k.starts_with(b"v/") || k.starts_with(b"i/") {
            for n in 3..k.len() {
                sub_prefixes.insert(k[..n].to_vec());
            }
        }
    }
    for prefix in &sub_prefixes {
        for d in [Direction::Forward, Direction::Reverse] {
            assert_eq!(
                collect(pg.scan_prefix(prefix, d)),
                collect(sled.scan_prefix(prefix, d)),
                "{} {d:?}",
                show(prefix)
            );
        }
    }

    // Bounds made of the keys themselves, a byte longer (0x00) and a byte shorter, in both
    // kinds, pairwise over a sample of keys of every table (and across tables).
    let keys: Vec<&Vec<u8>> = pairs.keys().collect();
    let mut bounds: Vec<Vec<u8>> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        if i % 7 == 0 || keys.get(i + 1).is_none_or(|n| n[..2] != k[..2]) {
            bounds.push((*k).clone());
            bounds.push([&k[..], &[0]].concat());
            bounds.push(k[..k.len() - 1].to_vec());
        }
    }
    let (mut compared, mut skipped) = (0, 0);
    for (i, a) in bounds.iter().enumerate() {
        for b in bounds.iter().skip(i + 1).step_by(23) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            if lo == hi {
                continue;
            }
            for lower in [Bound::Included(&lo[..]), Bound::Excluded(&lo[..])] {
                for upper in [Bound::Included(&hi[..]), Bound::Excluded(&hi[..])] {
                    skipped += 1;
                    if lo[..2] != hi[..2] && skipped % 5 != 0 {
                        continue;
                    }
                    same_range(&pg, &sled, lower, upper);
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 100, "{compared} ranges");
    eprintln!("{compared} ranges compared over {} bounds", bounds.len());

    // Early stops read one page (8 rows), then the next (32).
    let history = collect(sled.scan_prefix(b"h/", Direction::Reverse));
    assert!(history.len() > 9, "{} history keys", history.len());
    for d in [Direction::Forward, Direction::Reverse] {
        let want = collect(sled.scan_prefix(b"h/", d));
        let before = pg.pages_read();
        let one: Vec<Entry> = pg
            .scan_prefix(b"h/", d)
            .take(1)
            .map(|e| e.expect("read"))
            .collect();
        assert_eq!(one[..], want[..1]);
        assert_eq!(pg.pages_read() - before, 1, "{d:?}: one page for one entry");
        let before = pg.pages_read();
        let nine: Vec<Entry> = pg
            .scan_prefix(b"h/", d)
            .take(9)
            .map(|e| e.expect("read"))
            .collect();
        assert_eq!(nine[..], want[..9]);
        assert_eq!(
            pg.pages_read() - before,
            2,
            "{d:?}: two pages for nine entries"
        );
    }

    // remove answers the old value; afterwards the key is gone from both.
    let xml = pairs
        .keys()
        .find(|k| k.starts_with(b"x/"))
        .expect("an x/ key");
    let counter = pairs
        .keys()
        .find(|k| k.starts_with(b"c/"))
        .expect("a c/ key");
    let request = pairs
        .keys()
        .find(|k| k.starts_with(b"i/"))
        .expect("an i/ key");
    for k in [xml, counter, request] {
        let old = sled.remove(k).expect("sled remove");
        assert!(old.is_some());
        assert_eq!(pg.remove(k).expect("pg remove"), old, "{}", show(k));
        assert_eq!(pg.get(k).expect("get"), None);
        assert_eq!(pg.remove(k).expect("pg remove again"), None);
    }
    assert_eq!(pg.remove(&key(b"m/", &be(u64::MAX))).expect("remove"), None);
    same_range(&pg, &sled, Bound::Unbounded, Bound::Unbounded);

    // The events' tenants are filled (from the messages written with them), the event head
    // is at the highest cursor; an event written after its message takes the stored
    // message's tenant, and moves the head.
    let client = rt.block_on(db.pool.get()).expect("connection");
    let query = |sql: &str| rt.block_on(client.query(sql, &[])).expect("query");
    let tenants: Vec<String> = query("SELECT DISTINCT tenant FROM ketenpoort_events ORDER BY 1")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tenants, ["a", "b"]);
    let head = |q: &dyn Fn(&str) -> Vec<tokio_postgres::Row>| -> i64 {
        q("SELECT last_cursor FROM ketenpoort_event_head")[0].get(0)
    };
    let last = cursors.last().expect("an event");
    assert_eq!(
        head(&query),
        i64::from_be_bytes(last[2..].try_into().expect("8 bytes"))
    );
    let (of_b, of_b_event) = pairs
        .iter()
        .filter(|(k, _)| k.starts_with(b"e/"))
        .map(|(k, v)| {
            (
                k,
                serde_json::from_slice::<serde_json::Value>(v).expect("json"),
            )
        })
        .find(|(_, e)| e["agb"] == "87654321" && e["message_id"].is_u64())
        .expect("an event of tenant b's message");
    let next = u64::from_be_bytes(last[2..].try_into().expect("8 bytes")) + 1;
    let mut event = of_b_event.clone();
    event["cursor"] = next.into();
    pg.insert(
        &key(b"e/", &be(next)),
        &serde_json::to_vec(&event).expect("json"),
    )
    .expect("insert");
    let tenant: String = query(&format!(
        "SELECT tenant FROM ketenpoort_events WHERE cursor = {next}"
    ))[0]
        .get(0);
    assert_eq!(tenant, "b", "as the event {} before it", show(of_b));
    assert_eq!(head(&query), next as i64);
    assert!(pg.remove(&key(b"e/", &be(next))).expect("remove").is_some());
    assert_eq!(head(&query), next as i64, "the head never goes back");
    drop(client);

    // A key of the sled store's own (no table) is not written.
    let mut own = Batch::default();
    own.insert(b"z/format".to_vec(), be(2).to_vec());
    let refused = pg.apply(own).expect_err("no table");
    assert!(refused.to_string().contains("Format"), "{refused}");

    drop(pg);
    rt.block_on(db.drop_schema());
}

#[test]
fn the_engine_answers_from_runtimes_of_both_flavours_and_is_dropped_inside_one() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::new("the_engine_answers_from_runtimes")) else {
        return;
    };
    let pg = PgEngine::connect(&db.options).expect("PgEngine");
    pg.insert(b"h/k", b"v").expect("insert");
    let pg = std::sync::Arc::clone(&pg);
    // A watchdog: a deadlock fails the test instead of hanging it.
    let (done, finished) = mpsc::channel();
    let options = db.options.clone();
    std::thread::spawn(move || {
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        current.block_on(async {
            assert_eq!(pg.get(b"h/k").expect("get"), Some(b"v".to_vec()));
            let tasks: Vec<_> = (0..4)
                .map(|_| {
                    let pg = pg.clone();
                    tokio::spawn(async move { pg.get(b"h/k").expect("get") })
                })
                .collect();
            for t in tasks {
                assert_eq!(t.await.expect("task"), Some(b"v".to_vec()));
            }
            // Connected and dropped inside a runtime.
            let other = PgEngine::connect(&options).expect("PgEngine");
            assert_eq!(other.get(b"h/k").expect("get"), Some(b"v".to_vec()));
            drop(other);
        });
        let multi = runtime();
        multi.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let pg = pg.clone();
                    tokio::spawn(
                        async move { collect(pg.scan_prefix(b"h/", Direction::Forward)).len() },
                    )
                })
                .collect();
            for t in tasks {
                assert_eq!(t.await.expect("task"), 1);
            }
        });
        drop(pg);
        done.send(()).expect("send");
    });
    finished
        .recv_timeout(Duration::from_secs(60))
        .expect("answered within a minute");
    rt.block_on(db.drop_schema());
}

fn access_entry(sequence: u64) -> (Vec<u8>, Vec<u8>) {
    let entry = ketenpoort::store::access_log::AccessEntry {
        sequence,
        at_ms: 1_743_595_200_000,
        tenant: "a".into(),
        user: "operator".into(),
        credential: "console".into(),
        message_id: 1,
        agb: "12345678".into(),
        kind: "JW315".into(),
        clients: Vec::new(),
    };
    (
        key(b"n/", &be(sequence)),
        serde_json::to_vec(&entry).expect("encodes"),
    )
}

#[test]
fn a_group_is_seen_by_its_writer_and_by_others_only_once_committed() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::new("a_group_is_seen_by_its_writer")) else {
        return;
    };
    let pg = PgEngine::connect(&db.options).expect("PgEngine");
    let h1 = b"h/one".to_vec();
    let h2 = b"h/two".to_vec();
    assert_eq!(pg.begin_group().expect("begin"), GroupStart::Alone);
    let mut batch = Batch::default();
    batch.insert(h1.clone(), b"1".to_vec());
    batch.insert(h2.clone(), b"2".to_vec());
    pg.apply(batch).expect("apply");
    pg.insert(b"c/next", &be(7)).expect("insert");
    // The writer reads its own writes ...
    assert_eq!(pg.get(&h1).expect("get"), Some(b"1".to_vec()));
    assert_eq!(collect(pg.scan_prefix(b"h/", Direction::Reverse)).len(), 2);
    assert_eq!(pg.get(b"c/next").expect("get"), Some(be(7).to_vec()));
    // Buffered writes keep their order: the last write of a key wins, across applies, and
    // a remove answers what the group wrote before it.
    pg.insert(b"c/next", &be(8)).expect("insert");
    let mut batch = Batch::default();
    batch.remove(b"c/next".to_vec());
    batch.insert(b"c/next".to_vec(), be(9).to_vec());
    pg.apply(batch).expect("apply");
    assert_eq!(pg.remove(b"c/next").expect("remove"), Some(be(9).to_vec()));
    assert_eq!(pg.get(b"c/next").expect("get"), None);
    assert!(!pg.contains_key(b"c/next").expect("contains"));
    pg.insert(b"c/next", &be(7)).expect("insert");
    assert!(pg.contains_key(b"c/next").expect("contains"));
    assert_eq!(pg.get(b"c/next").expect("get"), Some(be(7).to_vec()));
    pg.insert(b"h/three", b"3").expect("insert");
    pg.remove(&h2).expect("remove");
    assert_eq!(
        pg.get_many(&[b"h/three".as_slice(), &h2, &h1, b"c/next"])
            .expect("get_many"),
        [
            Some(b"3".to_vec()),
            None,
            Some(b"1".to_vec()),
            Some(be(7).to_vec())
        ]
    );
    pg.remove(b"h/three").expect("remove");
    pg.insert(&h2, b"2").expect("insert");
    // ... another thread does not.
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(pg.get(&h1).expect("get"), None);
            assert!(collect(pg.scan_prefix(b"h/", Direction::Forward)).is_empty());
            assert_eq!(pg.get(b"c/next").expect("get"), None);
            assert_eq!(
                pg.get_many(&[h1.as_slice(), &h2]).expect("get_many"),
                [None, None]
            );
        });
    });
    pg.commit_group().expect("commit");
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(pg.get(&h2).expect("get"), Some(b"2".to_vec()));
            assert_eq!(collect(pg.scan_prefix(b"h/", Direction::Forward)).len(), 2);
        });
    });

    // A group whose COMMIT fails (the XML of a message that does not exist, caught by the
    // deferred foreign key) leaves nothing.
    assert_eq!(pg.begin_group().expect("begin"), GroupStart::Alone);
    let orphan = key(b"x/", &be(424_242));
    let mut batch = Batch::default();
    batch.insert(orphan.clone(), b"lz4".to_vec());
    batch.insert(b"h/three".to_vec(), b"3".to_vec());
    pg.apply(batch)
        .expect("the foreign key waits for the commit");
    assert_eq!(pg.get(&orphan).expect("get"), Some(b"lz4".to_vec()));
    assert!(pg.commit_group().is_err(), "the deferred foreign key fails");
    assert_eq!(pg.get(&orphan).expect("get"), None);
    assert_eq!(pg.get(b"h/three").expect("get"), None);

    // A group with a statement that fails (a sequence 0 breaks a CHECK) cannot commit what
    // came before it either.
    let (bad_key, bad_value) = access_entry(0);
    // After a failed group the writer's memory is stale: not Alone.
    assert_eq!(pg.begin_group().expect("begin"), GroupStart::OthersWrote);
    pg.insert(b"h/four", b"4").expect("insert");
    // Writes in a group are sent with its next read (or its commit): the CHECK fails there.
    pg.insert(&bad_key, &bad_value)
        .expect("buffered until the next read");
    assert!(
        pg.get(b"h/four").is_err(),
        "sequence 0, sent before the read"
    );
    assert!(pg.commit_group().is_err(), "the group failed");
    assert_eq!(pg.get(b"h/four").expect("get"), None);

    // The next group works.
    assert_eq!(pg.begin_group().expect("begin"), GroupStart::OthersWrote);
    let (good_key, good_value) = access_entry(1);
    pg.insert(&good_key, &good_value).expect("insert");
    pg.commit_group().expect("commit");
    assert_eq!(pg.begin_group().expect("begin"), GroupStart::Alone);
    pg.commit_group().expect("an empty group commits");
    std::thread::scope(|s| {
        s.spawn(|| assert_eq!(pg.get(&good_key).expect("get"), Some(good_value.clone())));
    });
    // Outside a group a write is committed when it returns; flush has nothing to do.
    pg.insert(b"h/five", b"5").expect("insert");
    pg.flush().expect("flush");
    std::thread::scope(|s| {
        s.spawn(|| assert_eq!(pg.get(b"h/five").expect("get"), Some(b"5".to_vec())));
    });
    assert!(pg.shared());

    // A group whose connection is lost fails; the next one works on a new connection.
    assert_eq!(pg.begin_group().expect("begin"), GroupStart::Alone);
    pg.insert(b"h/lost", b"x").expect("insert");
    let pid = pg.group_backend_pid().expect("pid").expect("in a group");
    let admin = rt.block_on(db.pool.get()).expect("connection");
    let ended: bool = rt
        .block_on(admin.query_one("SELECT pg_terminate_backend($1)", &[&pid]))
        .expect("terminate")
        .get(0);
    assert!(ended);
    assert!(pg.writable().is_ok());
    assert!(pg.commit_group().is_err(), "the connection is gone");
    // Not ready (/readyz) until a write succeeds again.
    assert!(pg.writable().is_err());
    assert_eq!(pg.begin_group().expect("begin"), GroupStart::OthersWrote);
    assert_ne!(pg.group_backend_pid().expect("pid"), Some(pid));
    pg.insert(b"h/after", b"y").expect("insert");
    pg.commit_group().expect("commit");
    assert!(pg.writable().is_ok());
    assert_eq!(pg.get(b"h/lost").expect("get"), None);
    assert_eq!(pg.get(b"h/after").expect("get"), Some(b"y".to_vec()));
    drop(admin);
    drop(pg);
    rt.block_on(db.drop_schema());
}

#[test]
fn two_engines_take_turns_and_the_second_learns_that_another_wrote() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::new("two_engines_take_turns")) else {
        return;
    };
    let a = PgEngine::connect(&db.options).expect("engine A");
    let b = PgEngine::connect(&db.options).expect("engine B");
    assert_eq!(a.begin_group().expect("begin"), GroupStart::Alone);
    a.insert(b"h/from-a", b"a").expect("insert");
    let pid_a = a.group_backend_pid().expect("pid").expect("in a group");

    std::thread::scope(|s| {
        let (started_tx, started) = mpsc::channel();
        let b = &b;
        let waiter = s.spawn(move || {
            let start = b.begin_group();
            // What B reads in its group once it has begun: A's committed write.
            let seen = b.get(b"h/from-a").expect("get");
            started_tx.send(()).expect("send");
            b.commit_group().expect("commit B");
            (start.expect("begin B"), seen)
        });
        // B waits for A's group: seen in pg_blocking_pids, and B has not returned.
        let observer = rt.block_on(db.pool.get()).expect("observer");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let blocked: i64 = rt
                .block_on(observer.query_one(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE $1 = ANY (pg_blocking_pids(pid)) AND query LIKE '%ketenpoort_writer%'",
                    &[&pid_a],
                ))
                .expect("pg_blocking_pids")
                .get(0);
            if blocked == 1 {
                break;
            }
            assert!(Instant::now() < deadline, "B never waited for A");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            matches!(started.try_recv(), Err(mpsc::TryRecvError::Empty)),
            "B began while A's group was open"
        );
        a.commit_group().expect("commit A");
        let (start, seen) = waiter.join().expect("B");
        assert_eq!(start, GroupStart::OthersWrote, "A wrote since B connected");
        assert_eq!(seen, Some(b"a".to_vec()));
    });
    // A learns that B wrote, then is alone.
    assert_eq!(a.begin_group().expect("begin"), GroupStart::OthersWrote);
    a.commit_group().expect("commit");
    for _ in 0..3 {
        assert_eq!(a.begin_group().expect("begin"), GroupStart::Alone);
        a.insert(b"h/again", b"x").expect("insert");
        a.commit_group().expect("commit");
    }
    // A write of B outside a group counts as a write too; A's own do not.
    a.insert(b"h/outside-a", b"x").expect("insert");
    assert_eq!(a.begin_group().expect("begin"), GroupStart::Alone);
    a.commit_group().expect("commit");
    b.insert(b"h/outside-b", b"x").expect("insert");
    assert_eq!(a.begin_group().expect("begin"), GroupStart::OthersWrote);
    a.commit_group().expect("commit");
    drop(a);
    drop(b);
    rt.block_on(db.drop_schema());
}

#[test]
fn counters_reserved_from_two_engines_at_once_are_never_handed_out_twice() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::new("counters_reserved_from_two_engines")) else {
        return;
    };
    let a = PgEngine::connect(&db.options).expect("engine A");
    let b = PgEngine::connect(&db.options).expect("engine B");
    let values: Vec<u64> = std::thread::scope(|s| {
        let workers: Vec<_> = [&a, &b, &a, &b]
            .into_iter()
            .map(|e| {
                s.spawn(move || {
                    (0..100)
                        .map(|_| e.reserve("message_id").expect("reserve").expect("Some"))
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    let distinct: BTreeSet<u64> = values.iter().copied().collect();
    assert_eq!(distinct.len(), 400, "every value once");
    assert_eq!(distinct, (1..=400).collect(), "and none skipped");
    // The row holds the last value handed out, as sled's c/ key would (u64 BE).
    assert_eq!(a.get(b"c/message_id").expect("get"), Some(be(400).to_vec()));
    drop(a);
    drop(b);
    rt.block_on(db.drop_schema());
}
