//! One store test, two backends (issue 16): [`both_backends!`] turns
//! `async fn name(place: &Place)` into the tests `name::sled` and `name::postgres`, from one
//! body. A [`Place`] is where the test's stores live: a temp data directory, and for
//! PostgreSQL a fresh `kp_test_*` schema ([`TestDb`]) kept across restarts within the test
//! and dropped after it. It opens the store directly ([`Place::open_store`], again after a
//! close with [`Place::reopen`]) or starts in-process gateways on it ([`Place::start_with`],
//! [`Place::start_in`], [`Place::start_in_with_clock`], [`Place::configure`] for
//! `delivery_support::start`). When PostgreSQL is absent and not required
//! (`KETENPOORT_REQUIRE_POSTGRES` unset) the `postgres` twin says so and passes.

use std::sync::Arc;
use std::time::Duration;

use ketenpoort::config::{Config, StoreBackend};
use ketenpoort::store::engine::Engine;
use ketenpoort::store::postgres::engine::PgEngine;
use ketenpoort::store::sled_store::{Options, SledStore};
use tokio::sync::oneshot;

use super::TestServer;
use super::pg::TestDb;

/// The store's database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// sled, in the place's temp directory.
    Sled,
    /// PostgreSQL, in a schema of the test's own.
    Postgres,
}

/// Where one test's stores live; see the module's documentation.
pub struct Place {
    /// Which backend.
    pub backend: Backend,
    /// The data directory of a store opened directly (sled's database; unused by
    /// PostgreSQL).
    pub dir: tempfile::TempDir,
    /// The schema, with PostgreSQL.
    pub db: Option<TestDb>,
}

/// An open store and the receiver that completes once it is closed.
pub type Opened = (Arc<SledStore>, oneshot::Receiver<()>);

impl Place {
    /// A fresh place on `backend` for the test `test`; `None` (after saying so) when
    /// PostgreSQL is absent and not required.
    pub async fn new(backend: Backend, test: &str) -> Option<Place> {
        let db = match backend {
            Backend::Sled => None,
            Backend::Postgres => Some(TestDb::new(test).await?),
        };
        Some(Place {
            backend,
            dir: tempfile::tempdir().expect("temp dir"),
            db,
        })
    }

    /// Points `c`'s store at this place's database (for PostgreSQL: backend, url and
    /// schema; a small pool, as tests run side by side). A gateway's data directory stays
    /// what `c` says.
    pub fn configure(&self, c: &mut Config) {
        if let Some(db) = &self.db {
            c.store.backend = StoreBackend::Postgres;
            c.store.postgres.url = db.options.url.clone();
            c.store.postgres.schema = Some(db.schema.clone());
            c.store.postgres.pool_size = 4;
        }
    }

    /// [`super::start_with`] on this place's database.
    pub async fn start_with(&self, tweak: impl FnOnce(&mut Config)) -> TestServer {
        self.start_in(tempfile::tempdir().expect("temp dir"), tweak)
            .await
    }

    /// [`super::start`] on this place's database.
    pub async fn start(&self) -> TestServer {
        self.start_with(|_| {}).await
    }

    /// [`super::start_in`] on this place's database (with sled: on the store in `dir`).
    pub async fn start_in(
        &self,
        dir: tempfile::TempDir,
        tweak: impl FnOnce(&mut Config),
    ) -> TestServer {
        super::start_in(dir, |c| {
            self.configure(c);
            tweak(c);
        })
        .await
    }

    /// [`super::start_in_with_clock`] on this place's database.
    pub async fn start_in_with_clock(
        &self,
        dir: tempfile::TempDir,
        clock: Arc<dyn ketenpoort::header::Clock>,
        tweak: impl FnOnce(&mut Config),
    ) -> TestServer {
        super::start_in_with_clock(dir, clock, |c| {
            self.configure(c);
            tweak(c);
        })
        .await
    }

    /// Opens the place's store with default options.
    pub fn open_store(&self) -> Opened {
        self.open_store_with(&Options::default())
    }

    /// Opens the place's store with `options`: sled in [`Place::dir`], or the store over a
    /// new [`PgEngine`] in the schema.
    pub fn open_store_with(&self, options: &Options) -> Opened {
        match &self.db {
            None => {
                // sled's lock can outlive the close signal by a moment under load (as
                // `super::open_raw_sled` knows): retried, bounded.
                let deadline = std::time::Instant::now() + Duration::from_secs(10);
                loop {
                    match SledStore::open_with(self.dir.path(), options) {
                        Ok(opened) => break opened,
                        Err(e) if std::time::Instant::now() < deadline => {
                            let _ = e;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        Err(e) => panic!("the store does not open: {e}"),
                    }
                }
            }
            Some(db) => {
                let engine = PgEngine::connect(&db.options).expect("PgEngine connects");
                SledStore::open_engine(engine as Arc<dyn Engine>, options).expect("store opens")
            }
        }
    }

    /// Closes `store` (its last handle) and waits until it is, then opens it again.
    pub async fn reopen(&self, store: Arc<SledStore>, closed: oneshot::Receiver<()>) -> Opened {
        close(store, closed).await;
        self.open_store()
    }

    /// Drops the schema (with PostgreSQL).
    pub async fn finish(self) {
        if let Some(db) = self.db {
            db.drop_schema().await;
        }
    }
}

/// Drops `store` (which must be its last handle) and waits until it is closed.
pub async fn close(store: Arc<SledStore>, closed: oneshot::Receiver<()>) {
    drop(store);
    tokio::time::timeout(Duration::from_secs(10), closed)
        .await
        .expect("the store closes within 10 s")
        .expect("closed");
}

/// Runs `body` on a fresh place on `backend`, then drops the place; a skipped PostgreSQL
/// returns at once.
pub async fn run<F>(backend: Backend, test: &str, body: F)
where
    F: AsyncFnOnce(&Place),
{
    let Some(place) = Place::new(backend, test).await else {
        return;
    };
    body(&place).await;
    place.finish().await;
}

/// `both_backends!(#[tokio::test] name);` after `async fn name(place: &Place) { … }` makes
/// the tests `name::sled` and `name::postgres` of that one body; the attributes (e.g. a
/// multi-thread flavour) go on both. `both_backends!(#[tokio::test] name, ignore_postgres =
/// "why");` ignores the PostgreSQL twin only.
#[macro_export]
macro_rules! both_backends {
    ($(#[$attr:meta])* $name:ident) => {
        $crate::both_backends!(@twins [$(#[$attr])*] [] $name);
    };
    ($(#[$attr:meta])* $name:ident, ignore_postgres = $why:literal) => {
        $crate::both_backends!(@twins [$(#[$attr])*] [#[ignore = $why]] $name);
    };
    (@twins [$(#[$attr:meta])*] [$(#[$pg:meta])*] $name:ident) => {
        mod $name {
            use $crate::common::backend::{Backend, run};

            $(#[$attr])*
            async fn sled() {
                run(Backend::Sled, concat!(module_path!(), "::sled"), super::$name).await
            }

            $(#[$attr])*
            $(#[$pg])*
            async fn postgres() {
                run(Backend::Postgres, concat!(module_path!(), "::postgres"), super::$name).await
            }
        }
    };
}
