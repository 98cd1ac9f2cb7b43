//! The PostgreSQL store's foundation (issue 16): migrations, the event log readers cannot
//! skip through, its wake-ups, connection errors without the password, leases with fencing
//! tokens and the push queue replicas claim from. Each test works
//! in a schema of its own (`crate::common::pg`); without PostgreSQL they skip, unless
//! `KETENPOORT_REQUIRE_POSTGRES=1`.

use std::time::{Duration, Instant};

use ketenpoort::store::postgres::events::{self, Event};
use ketenpoort::store::postgres::migrate::{MIGRATIONS, Migrated, migrate};
use ketenpoort::store::postgres::{PgError, PgOptions, connect};
use ketenpoort::store::postgres::{lease, push_queue};
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
    let mut expected = embedded_rows();
    expected[0].1 = "edited".to_owned();
    assert_eq!(rows, expected);
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

// === leases with fencing tokens, and the push queue (issue 16 point 5) ===

/// A pool of `size` connections into the test's schema, migrated: enough connections for
/// tasks that race to really run at once.
async fn migrated_pool(db: &TestDb, size: usize) -> deadpool_postgres::Pool {
    let pool = connect(&PgOptions {
        pool_size: size,
        ..db.options.clone()
    })
    .await
    .expect("pool");
    let mut client = pool.get().await.expect("connection");
    migrate(&mut client).await.expect("migrate");
    pool
}

/// Moves lease `name`'s expiry to just before the database's now: it has expired.
async fn expire_lease(client: &Client, name: &str) {
    let changed = client
        .execute(
            "UPDATE ketenpoort_leases \
             SET until_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint - 1 \
             WHERE name = $1",
            &[&name],
        )
        .await
        .expect("expire the lease");
    assert_eq!(changed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_many_racing_acquirers_one_wins_and_tokens_increase_across_expiries() {
    const NAME: &str = "certificate-a";
    const TASKS: usize = 16;
    let Some(db) = TestDb::new("racing_acquirers").await else {
        return;
    };
    let pool = migrated_pool(&db, TASKS + 1).await;
    let holders = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()];
    // Every task has its connection before any of them asks.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..TASKS {
        let (pool, start, holder) = (pool.clone(), start.clone(), holders[i % 2]);
        tasks.spawn(async move {
            let client = pool.get().await.expect("connection");
            start.wait().await;
            lease::acquire(&client, NAME, holder, Duration::from_secs(60))
                .await
                .expect("acquire")
        });
    }
    let mut won = Vec::new();
    while let Some(result) = tasks.join_next().await {
        if let Some(lease) = result.expect("task") {
            won.push(lease);
        }
    }
    assert_eq!(won.len(), 1, "exactly one acquirer wins: {won:?}");
    let first = won.remove(0);
    assert_eq!(first.token, 1);
    assert!(first.locally_valid());
    let client = pool.get().await.expect("connection");
    let (holder, token): (uuid::Uuid, i64) = {
        let row = client
            .query_one(
                "SELECT holder, fencing_token FROM ketenpoort_leases WHERE name = $1",
                &[&NAME],
            )
            .await
            .expect("the lease row");
        (row.get(0), row.get(1))
    };
    assert_eq!((holder, token), (first.holder, 1));

    // 100 cycles: the lease ends (its expiry moved by the database, or a release); both
    // holders race for it again; one wins, with the next token, never a used one.
    let mut current = first;
    for cycle in 0..100u64 {
        let (c1, c2) = (
            pool.get().await.expect("connection"),
            pool.get().await.expect("connection"),
        );
        let race = || async {
            let (r1, r2) = tokio::join!(
                lease::acquire(&c1, NAME, holders[0], Duration::from_secs(60)),
                lease::acquire(&c2, NAME, holders[1], Duration::from_secs(60)),
            );
            [r1.expect("acquire"), r2.expect("acquire")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
        };
        // Unexpired: nobody takes it, its holder neither.
        assert_eq!(race().await, vec![], "cycle {cycle}");
        if cycle % 2 == 0 {
            expire_lease(&client, NAME).await;
        } else {
            assert!(
                lease::release(&client, current.clone())
                    .await
                    .expect("release")
            );
        }
        let won = race().await;
        assert_eq!(won.len(), 1, "cycle {cycle}: {won:?}");
        let next = won.into_iter().next().expect("one winner");
        assert_eq!(next.token, current.token + 1, "cycle {cycle}");
        current = next;
    }
    assert_eq!(current.token, 101);
    // A zero TTL gives a lease that has expired at once: the next acquire takes it over.
    assert!(lease::release(&client, current).await.expect("release"));
    let instant = lease::acquire(&client, NAME, holders[0], Duration::ZERO)
        .await
        .expect("acquire")
        .expect("released: free");
    assert!(!instant.locally_valid());
    let after = lease::acquire(&client, NAME, holders[1], Duration::from_secs(60))
        .await
        .expect("acquire")
        .expect("a zero TTL has expired");
    assert_eq!((instant.token, after.token), (102, 103));
    drop(client);
    pool.close();
    db.drop_schema().await;
}

/// Lease-protected work: one row written in a transaction that [`lease::fenced`] guards.
async fn write_under(client: &mut Client, lease: &lease::Lease, who: &str) -> Result<(), PgError> {
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO lease_work (who, token) VALUES ($1, $2)",
        &[&who, &i64::try_from(lease.token).expect("small token")],
    )
    .await?;
    lease::fenced(&tx, lease).await?;
    tx.commit().await?;
    Ok(())
}

async fn lease_work(client: &Client) -> Vec<(String, i64)> {
    client
        .query("SELECT who, token FROM lease_work ORDER BY token, who", &[])
        .await
        .expect("read lease_work")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn a_holder_that_lost_its_lease_is_fenced_off() {
    const NAME: &str = "deadline-check";
    let Some(db) = TestDb::new("a_holder_that_lost_its_lease").await else {
        return;
    };
    let pool = migrated_pool(&db, 3).await;
    let (mut a_conn, mut b_conn) = (
        pool.get().await.expect("connection"),
        pool.get().await.expect("connection"),
    );
    a_conn
        .batch_execute("CREATE TABLE lease_work (who text NOT NULL, token bigint NOT NULL)")
        .await
        .expect("work table");
    let (a_id, b_id) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let mut a = lease::acquire(&a_conn, NAME, a_id, Duration::from_secs(60))
        .await
        .expect("acquire")
        .expect("free");
    assert_eq!(a.token, 1);
    write_under(&mut a_conn, &a, "a").await.expect("A holds it");
    assert!(lease::renew(&a_conn, &mut a).await.expect("renew"));

    // A pauses; meanwhile its lease expires. Not yet taken over: A is fenced off as expired.
    expire_lease(&a_conn, NAME).await;
    let err = write_under(&mut a_conn, &a, "a")
        .await
        .expect_err("an expired lease");
    assert!(
        matches!(
            &err,
            PgError::Fenced {
                token: 1,
                reason: lease::Fence::Expired,
                ..
            }
        ),
        "{err:?}"
    );
    // B takes it over, with token 2.
    let b = lease::acquire(&b_conn, NAME, b_id, Duration::from_secs(60))
        .await
        .expect("acquire")
        .expect("expired: free");
    assert_eq!(b.token, 2);

    // A wakes up and acts on the lease it lost: refused, and its write is not committed.
    let err = write_under(&mut a_conn, &a, "a")
        .await
        .expect_err("a lease taken over");
    assert!(
        matches!(
            &err,
            PgError::Fenced {
                token: 1,
                reason: lease::Fence::Superseded { current: 2 },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(NAME), "{err}");
    write_under(&mut b_conn, &b, "b").await.expect("B holds it");
    assert_eq!(
        lease_work(&a_conn).await,
        vec![("a".to_owned(), 1), ("b".to_owned(), 2)],
        "A's write under the lost lease is not there"
    );
    // Neither can A renew or release B's lease.
    assert!(!lease::renew(&a_conn, &mut a).await.expect("renew"));
    assert!(!lease::release(&a_conn, a).await.expect("release"));
    write_under(&mut b_conn, &b, "b2")
        .await
        .expect("B still holds it");
    drop((a_conn, b_conn));
    pool.close();
    db.drop_schema().await;
}

/// Whether `waiter`'s backend is blocked by `holder`'s, as the server's lock table says.
async fn blocked_by(observer: &Client, holder: i32, waiter: i32) -> bool {
    observer
        .query_one(
            "SELECT $1 = ANY (pg_blocking_pids($2))",
            &[&holder, &waiter],
        )
        .await
        .expect("pg_blocking_pids")
        .get(0)
}

/// Drives `acquire` until the server shows it waiting for `holder_pid`'s lock (a bounded
/// poll of the lock table); panics if it finishes first. Returns it, still waiting.
async fn waiting_for<F>(
    observer: &Client,
    holder_pid: i32,
    waiter_pid: i32,
    acquire: F,
) -> std::pin::Pin<Box<F>>
where
    F: std::future::Future<Output = Result<Option<lease::Lease>, PgError>>,
{
    let mut acquire = Box::pin(acquire);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "the acquire never waited");
        tokio::select! {
            taken = &mut acquire => panic!("the acquire did not wait for the fence: {taken:?}"),
            () = tokio::time::sleep(Duration::from_millis(5)) => {
                if blocked_by(observer, holder_pid, waiter_pid).await {
                    return acquire;
                }
            }
        }
    }
}

#[tokio::test]
async fn a_take_over_waits_until_the_fenced_transaction_has_ended() {
    const NAME: &str = "certificate-b";
    let Some(db) = TestDb::new("a_take_over_waits").await else {
        return;
    };
    let pool = migrated_pool(&db, 3).await;
    let mut a_conn = pool.get().await.expect("connection");
    let b_conn = pool.get().await.expect("connection");
    let observer = pool.get().await.expect("connection");
    a_conn
        .batch_execute("CREATE TABLE lease_work (who text NOT NULL, token bigint NOT NULL)")
        .await
        .expect("work table");
    let (pid_a, pid_b) = (backend_pid(&a_conn).await, backend_pid(&b_conn).await);
    let a = lease::acquire(&a_conn, NAME, uuid::Uuid::new_v4(), Duration::from_secs(60))
        .await
        .expect("acquire")
        .expect("free");
    let b_id = uuid::Uuid::new_v4();

    // 1. While a transaction that passed the fence runs, the lease row is locked: B's
    // acquire waits for it (and then finds the lease running).
    let tx = a_conn.transaction().await.expect("begin");
    lease::fenced(&tx, &a).await.expect("A holds it");
    tx.execute("INSERT INTO lease_work VALUES ('a', 1)", &[])
        .await
        .expect("A's write");
    let b_take = waiting_for(
        &observer,
        pid_a,
        pid_b,
        lease::acquire(&b_conn, NAME, b_id, Duration::from_secs(60)),
    )
    .await;
    tx.commit().await.expect("A commits");
    assert_eq!(b_take.await.expect("acquire"), None, "A's lease still runs");

    // 2. The lease runs out while A's fenced transaction is still open (moved by another
    // session this would wait for the lock, which is the point; so A's transaction moves
    // it). B takes it over only after A's work has committed, as token 2.
    let tx = a_conn.transaction().await.expect("begin");
    lease::fenced(&tx, &a).await.expect("A holds it");
    tx.execute("INSERT INTO lease_work VALUES ('a', 1)", &[])
        .await
        .expect("A's write");
    tx.execute(
        "UPDATE ketenpoort_leases \
         SET until_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint - 1 \
         WHERE name = $1",
        &[&NAME],
    )
    .await
    .expect("expire within A's transaction");
    let b_take = waiting_for(
        &observer,
        pid_a,
        pid_b,
        lease::acquire(&b_conn, NAME, b_id, Duration::from_secs(60)),
    )
    .await;
    tx.commit()
        .await
        .expect("A commits under a token that was current");
    let b = b_take
        .await
        .expect("acquire")
        .expect("expired once A committed");
    assert_eq!(b.token, 2);
    assert_eq!(
        lease_work(&observer).await,
        vec![("a".to_owned(), 1), ("a".to_owned(), 1)]
    );
    drop((a_conn, observer));
    pool.close();
    db.drop_schema().await;
}

/// Messages 1..=n, each queued to be pushed.
async fn queue_messages(client: &Client, n: i64) {
    client
        .execute(
            "INSERT INTO ketenpoort_messages \
             (id, tenant, request_id, kind, agb, municipality, state, accepted_at_ms, meta) \
             SELECT g, 'tenant', 'request-' || g, 'JW315', '12345678', '0363', 'QUEUED', 0, \
                    '{}'::jsonb \
             FROM generate_series(1, $1::bigint) AS g",
            &[&n],
        )
        .await
        .expect("messages");
    client
        .execute(
            "INSERT INTO ketenpoort_queue (message_id) SELECT generate_series(1, $1::bigint)",
            &[&n],
        )
        .await
        .expect("queue");
}

/// Who has claimed message `id`, by the row.
async fn claimed_by(client: &Client, id: i64) -> Option<uuid::Uuid> {
    client
        .query_one(
            "SELECT claimed_by FROM ketenpoort_queue WHERE message_id = $1",
            &[&id],
        )
        .await
        .expect("queue row")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_replicas_claim_every_queued_message_exactly_once() {
    const MESSAGES: i64 = 200;
    const HOLDERS: usize = 4;
    let Some(db) = TestDb::new("four_replicas_claim").await else {
        return;
    };
    let pool = migrated_pool(&db, HOLDERS + 1).await;
    let client = pool.get().await.expect("connection");
    queue_messages(&client, MESSAGES).await;
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(HOLDERS));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..HOLDERS {
        let (pool, start, holder) = (pool.clone(), start.clone(), uuid::Uuid::new_v4());
        tasks.spawn(async move {
            let client = pool.get().await.expect("connection");
            start.wait().await;
            let mut mine = Vec::new();
            loop {
                let batch = push_queue::claim(&client, 7, holder, Duration::from_secs(60))
                    .await
                    .expect("claim");
                if batch.is_empty() {
                    break;
                }
                assert!(batch.windows(2).all(|w| w[0] < w[1]), "{batch:?}");
                mine.extend(batch);
            }
            (holder, mine)
        });
    }
    let mut all = Vec::new();
    let mut per_holder = Vec::new();
    while let Some(result) = tasks.join_next().await {
        let (holder, mine) = result.expect("task");
        for &id in &mine {
            let id = i64::try_from(id).expect("small id");
            assert_eq!(claimed_by(&client, id).await, Some(holder), "message {id}");
        }
        per_holder.push(mine.len());
        all.extend(mine);
    }
    all.sort_unstable();
    let expected: Vec<u64> = (1..=200).collect();
    assert_eq!(
        all, expected,
        "every message claimed once: none twice, none lost"
    );
    eprintln!("claims per holder: {per_holder:?}");
    // Nothing is left to claim while the claims run.
    let late = push_queue::claim(&client, 500, uuid::Uuid::new_v4(), Duration::from_secs(60))
        .await
        .expect("claim");
    assert_eq!(late, Vec::<u64>::new());
    drop(client);
    pool.close();
    db.drop_schema().await;
}

#[tokio::test]
async fn an_expired_claim_passes_to_another_replica_and_the_loser_cannot_finish_it() {
    let Some(db) = TestDb::new("an_expired_claim").await else {
        return;
    };
    let pool = migrated_pool(&db, 2).await;
    let mut client = pool.get().await.expect("connection");
    queue_messages(&client, 3).await;
    let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let minute = Duration::from_secs(60);
    assert_eq!(
        push_queue::claim(&client, 10, a, minute)
            .await
            .expect("claim"),
        vec![1, 2, 3]
    );
    assert_eq!(
        push_queue::claim(&client, 10, b, minute)
            .await
            .expect("claim"),
        Vec::<u64>::new(),
        "all claimed, none expired"
    );
    // A stalls; its claim on message 2 runs out (the database moves the time).
    client
        .execute(
            "UPDATE ketenpoort_queue \
             SET claimed_until_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint - 1 \
             WHERE message_id = 2",
            &[],
        )
        .await
        .expect("expire the claim");
    assert_eq!(
        push_queue::claim(&client, 10, b, minute)
            .await
            .expect("claim"),
        vec![2]
    );
    // A wakes: it can neither finish nor hand back what B has now.
    assert!(!push_queue::done(&**client, 2, a).await.expect("done"));
    assert!(!push_queue::release(&**client, 2, a).await.expect("release"));
    assert_eq!(claimed_by(&client, 2).await, Some(b));
    // B finishes it inside its own transaction (as the Store will, with the outcome).
    let tx = client.transaction().await.expect("begin");
    assert!(push_queue::done(&*tx, 2, b).await.expect("done"));
    tx.commit().await.expect("commit");
    // A finishes message 1 and hands 3 back; 3 is claimable at once, 1 and 2 are gone.
    assert!(push_queue::done(&**client, 1, a).await.expect("done"));
    assert!(push_queue::release(&**client, 3, a).await.expect("release"));
    assert_eq!(
        push_queue::claim(&client, 10, b, Duration::ZERO)
            .await
            .expect("claim"),
        vec![3]
    );
    // Claimed with a zero lease: expired at once, so another replica may take it.
    assert_eq!(
        push_queue::claim(&client, 10, a, minute)
            .await
            .expect("claim"),
        vec![3]
    );
    let left: i64 = client
        .query_one("SELECT count(*) FROM ketenpoort_queue", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 1);
    drop(client);
    pool.close();
    db.drop_schema().await;
}
