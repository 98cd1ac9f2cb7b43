//! A PostgreSQL schema of its own per test (`kp_test_<random>`), for the tests of
//! `store::postgres`. The database: `KETENPOORT_TEST_PG_URL`, else the `PG*` variables when
//! one is set, else `postgres://postgres@127.0.0.1:5432/test`. When it cannot be reached the
//! tests skip with a message, or fail when `KETENPOORT_REQUIRE_POSTGRES=1` (as in CI).

use std::time::Duration;

use deadpool_postgres::Pool;
use ketenpoort::store::postgres::{PgOptions, connect};

/// Where the tests' database is when neither `KETENPOORT_TEST_PG_URL` nor `PG*` say.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The options of the tests' database, without a schema.
pub fn base_options() -> PgOptions {
    let url = match std::env::var("KETENPOORT_TEST_PG_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            let pg_set = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"]
                .iter()
                .any(|v| std::env::var_os(v).is_some());
            (!pg_set).then(|| DEFAULT_URL.to_owned())
        }
    };
    PgOptions {
        url,
        pool_size: 4,
        statement_timeout: Duration::from_secs(30),
        schema: None,
        tls: Default::default(),
    }
}

/// Whether a missing PostgreSQL is a failure (`KETENPOORT_REQUIRE_POSTGRES=1`).
pub fn required() -> bool {
    std::env::var("KETENPOORT_REQUIRE_POSTGRES").as_deref() == Ok("1")
}

/// A schema made for one test; dropped with everything in it when the `TestDb` is, also
/// when the test fails.
pub struct TestDb {
    /// The options of connections into the schema (search_path set).
    pub options: PgOptions,
    /// A pool of such connections.
    pub pool: Pool,
    /// The schema's name.
    pub schema: String,
    /// Whether [`TestDb::drop_schema`] ran.
    dropped: bool,
}

impl TestDb {
    /// A fresh empty schema; `None` (after saying so) when PostgreSQL cannot be reached and
    /// it is not required.
    pub async fn new(test: &str) -> Option<TestDb> {
        let base = base_options();
        let admin = match connect(&base).await {
            Ok(pool) => pool,
            Err(e) if required() => {
                panic!("{test}: PostgreSQL unreachable but KETENPOORT_REQUIRE_POSTGRES=1: {e}")
            }
            Err(e) => {
                eprintln!("{test}: skipped, PostgreSQL unreachable: {e}");
                return None;
            }
        };
        let schema = format!("kp_test_{}", uuid::Uuid::new_v4().simple());
        let client = admin.get().await.expect("admin connection");
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create the test schema");
        drop(client);
        admin.close();
        let options = PgOptions {
            schema: Some(schema.clone()),
            ..base
        };
        let pool = connect(&options)
            .await
            .expect("connect into the test schema");
        Some(TestDb {
            options,
            pool,
            schema,
            dropped: false,
        })
    }

    /// Drops the schema and everything in it. (Should a test fail before this, dropping
    /// the `TestDb` tries it on a thread of its own.)
    pub async fn drop_schema(mut self) {
        self.pool.close();
        if let Err(e) = drop_schema(&self.schema).await {
            eprintln!("could not drop test schema {}: {e}", self.schema);
        }
        self.dropped = true;
    }
}

async fn drop_schema(schema: &str) -> Result<(), String> {
    let pool = connect(&base_options()).await.map_err(|e| e.to_string())?;
    let client = pool.get().await.map_err(|e| e.to_string())?;
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .map_err(|e| e.to_string())
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        self.pool.close();
        let schema = self.schema.clone();
        // Not joined: the failing test's runtime must go on unwinding, so that its
        // connections close (and their transactions roll back) and the DROP can proceed.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime
                && let Err(e) = runtime.block_on(drop_schema(&schema))
            {
                eprintln!("could not drop test schema {schema}: {e}");
            }
        });
    }
}
