//! The PostgreSQL store's foundation (issue 16): migrations, the event log readers cannot
//! skip through, its wake-ups, and connection errors without the password. Each test works
//! in a schema of its own (`crate::common::pg`); without PostgreSQL they skip, unless
//! `KETENPOORT_REQUIRE_POSTGRES=1`.

use std::time::{Duration, Instant};

use ketenpoort::store::postgres::events::{self, Event};
use ketenpoort::store::postgres::migrate::{MIGRATIONS, Migrated, migrate};
use ketenpoort::store::postgres::{PgError, PgOptions, connect};
use tokio_postgres::{Client, Transaction};

use crate::common::pg::{TestDb, base_options};

fn binary_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

async fn schema_rows(client: &Client) -> Vec<(i32, String)> {
    client
        .query(
            "SELECT version, checksum FROM ketenpoort_schema ORDER BY version",
            &[],
        )
        .await
        .expect("read ketenpoort_schema")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

fn embedded_rows() -> Vec<(i32, String)> {
    MIGRATIONS
        .iter()
        .map(|m| (m.version, m.checksum()))
        .collect()
}

#[tokio::test]
async fn migrations_apply_on_an_empty_schema_and_again_as_a_no_op() {
    let Some(db) = TestDb::new("migrations_apply_on_an_empty_schema").await else {
        return;
    };
    let mut client = db.pool.get().await.expect("connection");
    let all: Vec<i32> = MIGRATIONS.iter().map(|m| m.version).collect();
    let first = migrate(&mut client).await.expect("first migrate");
    assert_eq!(
        first,
        Migrated {
            applied: all,
            version: binary_version()
        }
    );
    // The tables are in the test's schema, the event log's head in place.
    let head: i64 = client
        .query_one("SELECT last_cursor FROM ketenpoort_event_head", &[])
        .await
        .expect("event head")
        .get(0);
    assert_eq!(head, 0);
    let in_schema: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'ketenpoort_history'",
            &[&db.schema],
        )
        .await
        .expect("pg_tables")
        .get(0);
    assert_eq!(in_schema, 1);
    let second = migrate(&mut client).await.expect("second migrate");
    assert_eq!(
        second,
        Migrated {
            applied: vec![],
            version: binary_version()
        }
    );
    assert_eq!(schema_rows(&client).await, embedded_rows());
    drop(client);
    db.drop_schema().await;
}

#[tokio::test]
async fn two_replicas_migrating_at_once_apply_each_migration_once() {
    let Some(db) = TestDb::new("two_replicas_migrating_at_once").await else {
        return;
    };
    let mut a = db.pool.get().await.expect("connection a");
    let mut b = db.pool.get().await.expect("connection b");
    let (ra, rb) = tokio::join!(migrate(&mut a), migrate(&mut b));
    let (ra, rb) = (ra.expect("replica a"), rb.expect("replica b"));
    let mut applied = [ra.applied.clone(), rb.applied.clone()].concat();
    applied.sort_unstable();
    let all: Vec<i32> = MIGRATIONS.iter().map(|m| m.version).collect();
    assert_eq!(applied, all, "a: {ra:?}, b: {rb:?}");
    assert!(
        ra.applied.is_empty() || rb.applied.is_empty(),
        "one of them did it all"
    );
    assert_eq!(schema_rows(&a).await, embedded_rows());
    drop((a, b));
    db.drop_schema().await;
}

#[tokio::test]
async fn a_schema_newer_than_the_binary_is_refused_with_both_versions() {
    let Some(db) = TestDb::new("a_schema_newer_than_the_binary").await else {
        return;
    };
    let mut client = db.pool.get().await.expect("connection");
    migrate(&mut client).await.expect("migrate");
    client
        .execute(
            "INSERT INTO ketenpoort_schema (version, name, checksum) VALUES (9999, 'future', 'x')",
            &[],
        )
        .await
        .expect("a future migration");
    let err = migrate(&mut client).await.expect_err("a newer schema");
    assert!(
        matches!(
            err,
            PgError::NewerSchema {
                database: 9999,
                binary
            } if binary == binary_version()
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("9999"), "{text}");
    assert!(
        text.contains(&format!("binary's {}", binary_version())),
        "{text}"
    );
    drop(client);
    db.drop_schema().await;
}

#[tokio::test]
async fn a_changed_migration_is_refused() {
    let Some(db) = TestDb::new("a_changed_migration_is_refused").await else {
        return;
    };
    let mut client = db.pool.get().await.expect("connection");
    migrate(&mut client).await.expect("migrate");
    client
        .execute(
            "UPDATE ketenpoort_schema SET checksum = 'edited' WHERE version = 1",
            &[],
        )
        .await
        .expect("edit the checksum");
    let err = migrate(&mut client).await.expect_err("a changed migration");
    assert!(
        matches!(&err, PgError::ChecksumMismatch { version: 1, database, .. } if database == "edited"),
        "{err:?}"
    );
    assert!(err.to_string().contains("migration 1 (init)"), "{err}");
    // Refused before anything was written: the record is as it was.
    let rows = schema_rows(&client).await;
    assert_eq!(rows, vec![(1, "edited".to_owned())]);
    drop(client);
    db.drop_schema().await;
}

/// An event log under test: how it appends and how a reader reads after a cursor.
trait Log {
    async fn append(&self, tx: &Transaction<'_>, tenant: &str, payload: &[u8]) -> u64;
    async fn read_after(&self, client: &Client, tenant: &str, after: u64) -> Vec<u64>;
}

/// The log of `store::postgres::events`.
struct GatewayLog;

impl Log for GatewayLog {
    async fn append(&self, tx: &Transaction<'_>, tenant: &str, payload: &[u8]) -> u64 {
        events::append(tx, tenant, payload).await.expect("append")
    }

    async fn read_after(&self, client: &Client, tenant: &str, after: u64) -> Vec<u64> {
        events::read_after(client, tenant, after, 100)
            .await
            .expect("read")
            .iter()
            .map(|e| e.cursor)
            .collect()
    }
}

/// The trap, deliberately: a `bigserial` cursor and `WHERE id > $last`.
struct NaiveLog;

impl NaiveLog {
    async fn create(client: &Client) {
        client
            .batch_execute(
                "CREATE TABLE naive_events (
                    id bigserial PRIMARY KEY, tenant text NOT NULL, payload bytea NOT NULL)",
            )
            .await
            .expect("naive table");
    }
}

impl Log for NaiveLog {
    async fn append(&self, tx: &Transaction<'_>, tenant: &str, payload: &[u8]) -> u64 {
        let id: i64 = tx
            .query_one(
                "INSERT INTO naive_events (tenant, payload) VALUES ($1, $2) RETURNING id",
                &[&tenant, &payload],
            )
            .await
            .expect("naive append")
            .get(0);
        u64::try_from(id).expect("bigserial is positive")
    }

    async fn read_after(&self, client: &Client, tenant: &str, after: u64) -> Vec<u64> {
        let after = i64::try_from(after).expect("small cursor");
        client
            .query(
                "SELECT id FROM naive_events WHERE tenant = $1 AND id > $2 ORDER BY id",
                &[&tenant, &after],
            )
            .await
            .expect("naive read")
            .iter()
            .map(|r| u64::try_from(r.get::<_, i64>(0)).expect("positive"))
            .collect()
    }
}

/// What a reader saw while two appends committed out of order.
#[derive(Debug)]
struct Run {
    /// Cursor of A's event (appended first, committed last).
    a: u64,
    /// Cursor of B's event.
    b: u64,
    /// Whether B's append waited for A (seen in `pg_blocking_pids`) instead of committing.
    b_waited_for_a: bool,
    /// Every cursor the reader met, in the order it met them.
    seen: Vec<u64>,
}

async fn backend_pid(client: &Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0)
}

/// A appends and stays open; B appends and commits (or waits for A, if the log makes it);
/// a reader reads; A commits; B ends; the reader reads again after the last cursor it saw.
async fn out_of_order<L: Log>(db: &TestDb, log: &L) -> Run {
    const TENANT: &str = "12345678";
    let mut conn_a = db.pool.get().await.expect("connection a");
    let mut conn_b = db.pool.get().await.expect("connection b");
    let reader = db.pool.get().await.expect("reader");
    let observer = db.pool.get().await.expect("observer");
    let (pid_a, pid_b) = (backend_pid(&conn_a).await, backend_pid(&conn_b).await);

    let tx_a = conn_a.transaction().await.expect("begin a");
    let a = log.append(&tx_a, TENANT, b"a").await;

    let b_run = async {
        let tx_b = conn_b.transaction().await.expect("begin b");
        let b = log.append(&tx_b, TENANT, b"b").await;
        tx_b.commit().await.expect("commit b");
        b
    };
    tokio::pin!(b_run);
    // Drive B until it has committed or is seen waiting for A: a bounded poll of the
    // server's lock table, not a sleep that hopes B got somewhere.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut b_done = None;
    let mut b_waited_for_a = false;
    while b_done.is_none() && !b_waited_for_a {
        assert!(
            Instant::now() < deadline,
            "B neither committed nor waited for A"
        );
        tokio::select! {
            b = &mut b_run => b_done = Some(b),
            () = tokio::time::sleep(Duration::from_millis(5)) => {
                b_waited_for_a = observer
                    .query_one("SELECT $1 = ANY (pg_blocking_pids($2))", &[&pid_a, &pid_b])
                    .await
                    .expect("pg_blocking_pids")
                    .get(0);
            }
        }
    }

    let mut seen = log.read_after(&reader, TENANT, 0).await;
    tx_a.commit().await.expect("commit a");
    let b = match b_done {
        Some(b) => b,
        None => b_run.await,
    };
    let last = seen.last().copied().unwrap_or(0);
    seen.extend(log.read_after(&reader, TENANT, last).await);
    Run {
        a,
        b,
        b_waited_for_a,
        seen,
    }
}

#[tokio::test]
async fn a_reader_meets_every_event_once_in_cursor_order_when_commits_come_out_of_order() {
    let Some(db) = TestDb::new("out_of_order_commits").await else {
        return;
    };
    {
        let mut client = db.pool.get().await.expect("connection");
        migrate(&mut client).await.expect("migrate");
    }
    let run = out_of_order(&db, &GatewayLog).await;
    assert!(run.b_waited_for_a, "{run:?}");
    assert_eq!((run.a, run.b), (1, 2), "dense cursors in commit order");
    assert_eq!(run.seen, vec![run.a, run.b], "every event once, in order");
    db.drop_schema().await;
}

#[tokio::test]
async fn the_naive_log_loses_the_event_that_commits_late() {
    let Some(db) = TestDb::new("the_naive_log_loses_an_event").await else {
        return;
    };
    NaiveLog::create(&db.pool.get().await.expect("connection")).await;
    let run = out_of_order(&db, &NaiveLog).await;
    // The trap the test above guards against: B commits past A, the reader moves past A's id.
    assert!(!run.b_waited_for_a, "{run:?}");
    assert!(run.a < run.b, "{run:?}");
    assert_eq!(
        run.seen,
        vec![run.b],
        "the naive log skips A's event: {run:?}"
    );
    db.drop_schema().await;
}

#[tokio::test]
async fn a_tenant_reads_its_own_events_in_pages() {
    let Some(db) = TestDb::new("a_tenant_reads_its_own_events").await else {
        return;
    };
    let mut client = db.pool.get().await.expect("connection");
    migrate(&mut client).await.expect("migrate");
    let tx = client.transaction().await.expect("begin");
    for (tenant, payload) in [
        ("t1", "one"),
        ("t2", "two"),
        ("t1", "three"),
        ("t1", "four"),
    ] {
        events::append(&tx, tenant, payload.as_bytes())
            .await
            .expect("append");
    }
    tx.commit().await.expect("commit");
    let page = events::read_after(&client, "t1", 0, 2).await.expect("read");
    let expected = |cursor: u64, payload: &str| Event {
        cursor,
        tenant: "t1".into(),
        payload: payload.as_bytes().to_vec(),
    };
    assert_eq!(page, vec![expected(1, "one"), expected(3, "three")]);
    let rest = events::read_after(&client, "t1", 3, 2).await.expect("read");
    assert_eq!(rest, vec![expected(4, "four")]);
    // A rolled-back append leaves no gap: the next cursor is 5.
    let tx = client.transaction().await.expect("begin");
    events::append(&tx, "t2", b"gone").await.expect("append");
    tx.rollback().await.expect("rollback");
    let tx = client.transaction().await.expect("begin");
    let cursor = events::append(&tx, "t2", b"five").await.expect("append");
    tx.commit().await.expect("commit");
    assert_eq!(cursor, 5);
    drop(client);
    db.drop_schema().await;
}

#[tokio::test]
async fn a_listener_on_another_connection_is_woken_at_the_commit() {
    let Some(db) = TestDb::new("a_listener_is_woken_at_the_commit").await else {
        return;
    };
    let mut client = db.pool.get().await.expect("connection");
    migrate(&mut client).await.expect("migrate");
    let mut listener = events::listen(&db.options).await.expect("listen");

    // A rolled-back append wakes no one: the first wake-up is the committed one's.
    let tx = client.transaction().await.expect("begin");
    events::append(&tx, "rolled-back", b"x")
        .await
        .expect("append");
    tx.rollback().await.expect("rollback");

    let tx = client.transaction().await.expect("begin");
    events::append(&tx, "87654321", b"y").await.expect("append");
    let committing = Instant::now();
    tx.commit().await.expect("commit");
    let woken = tokio::time::timeout(Duration::from_secs(1), listener.next())
        .await
        .expect("woken within 1 s of the commit");
    let latency = committing.elapsed();
    eprintln!("NOTIFY: listener woken {latency:?} after the commit began");
    assert_eq!(woken.as_deref(), Some("87654321"));
    assert!(latency <= Duration::from_secs(1), "{latency:?}");
    drop(client);
    drop(listener);
    db.drop_schema().await;
}

#[tokio::test]
async fn connection_errors_never_show_the_password() {
    const SECRET: &str = "pw-that-must-never-show";
    // A closed port: nothing listens on port 1.
    let closed = PgOptions {
        url: Some(format!("postgres://postgres:{SECRET}@127.0.0.1:1/test")),
        ..base_options()
    };
    let err = connect(&closed).await.expect_err("port 1 is closed");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(SECRET), "{text}");
    }
    // A url that does not parse (the port is not a number).
    let bad = PgOptions {
        url: Some(format!("postgres://postgres:{SECRET}@127.0.0.1:port/test")),
        ..base_options()
    };
    let err = connect(&bad).await.expect_err("a bad url");
    assert!(matches!(err, PgError::Url), "{err:?}");
    assert!(!err.to_string().contains(SECRET));
    // A role the server refuses, when there is a server.
    let Some(db) = TestDb::new("connection_errors_never_show_the_password").await else {
        return;
    };
    let mut config = db.options.pg_config().expect("config");
    config.user("kp_no_such_role").password(SECRET);
    let refused = config.connect(tokio_postgres::NoTls).await;
    let err = match refused {
        Ok(_) => panic!("a role that does not exist was let in"),
        Err(e) => PgError::from(e),
    };
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("kp_no_such_role"), "names the role: {text}");
    }
    db.drop_schema().await;
}
