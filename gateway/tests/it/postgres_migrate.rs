//! `ketenpoort migrate` (issue 16 point 6): a sled store filled through the store's own
//! writes goes to PostgreSQL and back into a new sled store, which holds what the first did.
//! Each test has a PostgreSQL schema of its own; without PostgreSQL they skip, unless
//! `KETENPOORT_REQUIRE_POSTGRES=1`.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use common::filled::filled_store;
use common::pg::TestDb;
use common::*;

fn ketenpoort(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(args)
        .output()
        .expect("run ketenpoort")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn migrate(from: &str, to: &str, schema: &str) -> Output {
    ketenpoort(&["migrate", "--from", from, "--to", to, "--schema", schema])
}

fn export(dir: &Path) -> Vec<u8> {
    let out = ketenpoort(&["export", "--data-dir", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    out.stdout
}

use crate::common::dump;

fn url(db: &TestDb) -> Option<String> {
    let url = db.options.url.clone();
    if url.is_none() {
        eprintln!("skipped: the test database is given by PG* variables, migrate needs a url");
    }
    url
}

#[tokio::test]
async fn a_store_goes_to_postgres_and_back_unchanged() {
    let Some(db) = TestDb::new("a_store_goes_to_postgres_and_back_unchanged").await else {
        return;
    };
    let Some(url) = url(&db) else { return };
    let source = filled_store().await;
    let src = source.path().display().to_string();
    let before = dump(source.path());
    for prefix in [
        "m/", "x/", "i/", "c/", "e/", "a/", "q/", "o/", "f/", "w/", "d/", "r/", "p/", "t/", "l/",
        "v/", "n/", "h/",
    ] {
        assert!(
            before.keys().any(|k| k.starts_with(prefix.as_bytes())),
            "the filled store has no {prefix} key"
        );
    }

    let out = migrate(&src, &url, &db.schema);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches(" ok\n").count(), 18, "{}", text(&out));
    assert!(!stdout.contains("MISMATCH"), "{}", text(&out));

    // The database holds the rows, the event head at the highest cursor, tenants filled.
    let client = db.pool.get().await.expect("connection");
    let count = |table: &'static str| {
        let client = &client;
        async move {
            let n: i64 = client
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await
                .expect("count")
                .get(0);
            n as usize
        }
    };
    let n_messages = before.keys().filter(|k| k.starts_with(b"m/")).count();
    assert_eq!(count("ketenpoort_messages").await, n_messages);
    let events = before.keys().filter(|k| k.starts_with(b"e/")).count();
    assert_eq!(count("ketenpoort_events").await, events);
    let head: i64 = client
        .query_one("SELECT last_cursor FROM ketenpoort_event_head", &[])
        .await
        .expect("head")
        .get(0);
    assert_eq!(head as usize, events, "cursors are dense from 1");
    let tenants: Vec<String> = client
        .query(
            "SELECT DISTINCT tenant FROM ketenpoort_events ORDER BY tenant",
            &[],
        )
        .await
        .expect("tenants")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let orphans: Vec<String> = client
        .query(
            "SELECT convert_from(payload, 'UTF8') FROM ketenpoort_events WHERE tenant = ''",
            &[],
        )
        .await
        .expect("orphans")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let of_messages: Vec<(String, String)> = client
        .query("SELECT DISTINCT tenant, agb FROM ketenpoort_messages", &[])
        .await
        .expect("tenants")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(tenants, ["a", "b"], "{of_messages:?} {orphans:?}");
    let state: String = client
        .query_one(
            "SELECT state FROM ketenpoort_messages ORDER BY id DESC LIMIT 1",
            &[],
        )
        .await
        .expect("a message")
        .get(0);
    assert_eq!(state, "Queued", "the record's own name of the state");

    // A second migration into the filled schema is refused and writes nothing.
    let again = migrate(&src, &url, &db.schema);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        text(&again)
    );
    assert_eq!(count("ketenpoort_messages").await, n_messages);

    // Back into a new sled store.
    let back = tempfile::tempdir().expect("temp dir");
    let target = back.path().join("store");
    let out = migrate(&url, &target.display().to_string(), &db.schema);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches(" ok\n")
            .count(),
        18,
        "{}",
        text(&out)
    );

    assert!(
        export(source.path()) == export(&target),
        "`ketenpoort export` differs"
    );
    let after = dump(&target);
    let keys = |m: &BTreeMap<Vec<u8>, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&before), keys(&after), "the same keys");
    for (k, v) in &before {
        let w = &after[k];
        if k.as_slice() == ketenpoort::store::open::ID_KEY {
            assert_ne!(v, w, "a copy is a store of its own");
        } else if k.starts_with(b"l/") {
            // A lease comes back without its sled session (no column): nil, i.e. void.
            let mut a: serde_json::Value = serde_json::from_slice(v).expect("a lease");
            let b: serde_json::Value = serde_json::from_slice(w).expect("a lease");
            assert_eq!(b["session"], uuid::Uuid::nil().to_string());
            a["session"] = b["session"].clone();
            assert_eq!(a, b);
        } else {
            assert!(
                v == w,
                "the value of {:?} differs",
                String::from_utf8_lossy(k)
            );
        }
    }

    // The filled sled store as a target is refused, and keeps every record as it was.
    let refused = migrate(&url, &src, &db.schema);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("holds records"),
        "{}",
        text(&refused)
    );
    assert_eq!(dump(source.path()), before);

    // A record in the database that no longer decodes stops the way back, with a message
    // that names the table and not the content. It is in a table copied late (the access
    // log), so the tables before it were written: they are taken out again, and the target
    // holds no record (only its own format keys).
    client
        .execute(
            "UPDATE ketenpoort_access_log SET entry = '{\"secret\": \"111222333\"}' \
             WHERE sequence = (SELECT min(sequence) FROM ketenpoort_access_log)",
            &[],
        )
        .await
        .expect("corrupt a row");
    let other = back.path().join("other");
    let broken = migrate(&url, &other.display().to_string(), &db.schema);
    assert_eq!(broken.status.code(), Some(2), "{}", text(&broken));
    let all = text(&broken);
    assert!(all.contains("ketenpoort_access_log"), "{all}");
    assert!(!all.contains("111222333"), "{all}");
    let left: Vec<Vec<u8>> = dump(&other)
        .into_keys()
        // The store's own keys: its format (`z/`) and the format tripwire (`o/` + u64::MAX).
        .filter(|k| !k.starts_with(b"z/") && k[..] != [b"o/".as_slice(), &[0xff; 8]].concat()[..])
        .collect();
    assert!(
        left.is_empty(),
        "a failed copy leaves no record: {} keys, e.g. {:?}",
        left.len(),
        left.first()
            .map(|k| String::from_utf8_lossy(&k[..k.len().min(3)]).into_owned())
    );
    drop(client);
    db.drop_schema().await;
}

#[tokio::test]
async fn migrate_needs_one_url_and_refuses_a_store_in_use() {
    let out = ketenpoort(&[
        "migrate",
        "--from",
        "/nonexistent-a",
        "--to",
        "/nonexistent-b",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("postgres:// url"),
        "{}",
        text(&out)
    );
    let server = start().await;
    let dir = server.dir.path().display().to_string();
    let out = ketenpoort(&[
        "migrate",
        "--from",
        &dir,
        "--to",
        "postgres://postgres@127.0.0.1:1/none",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in use"),
        "{}",
        text(&out)
    );
    server.stop().await;
}
