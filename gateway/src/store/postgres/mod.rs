//! The PostgreSQL backend of the [`super::Store`] (issue 16): several gateways (replicas) on
//! one database. The store's logic is the one of [`super::sled_store`], run over
//! [`engine::PgEngine`] (every sled key a row of its table, [`tables`]; a writer group one
//! transaction, the groups of all replicas serialised by one row). Around it: connecting
//! ([`connect`]), the schema and its embedded migrations ([`migrate`]), wake-ups across
//! replicas ([`wake`]), the history's keys as a table ([`kv`]), and two designs the store
//! chose between and does not use: an event log with a one-row head ([`events`]; its
//! listener serves [`wake`]) and leases in statements of their own ([`lease`]), with row
//! claims on the queue ([`push_queue`]). docs/POSTGRES.md explains the design, REPLICAS.md
//! how to run it.

pub mod connect;
pub mod engine;
pub mod events;
pub mod kv;
pub mod lease;
pub mod migrate;
pub mod push_queue;
pub mod tables;
pub mod wake;

pub use connect::{PgOptions, PgTls, connect};

/// What can go wrong with the PostgreSQL store. No variant prints a password: a url that
/// does not parse is not shown, and the driver's errors do not contain the password.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The database url does not parse; not shown, as it may hold a password.
    #[error("the PostgreSQL url does not parse (not shown: it may hold a password)")]
    Url,
    /// A `PG*` environment variable holds a value that cannot be used.
    #[error("environment variable {var} is invalid: {reason}")]
    Env {
        /// The variable's name, e.g. `PGPORT`.
        var: &'static str,
        /// Why it cannot be used (never its value when it could be secret).
        reason: String,
    },
    /// The schema name (search_path) is not a plain lower-case identifier.
    #[error("invalid PostgreSQL schema name {0:?}: use lower-case letters, digits and _")]
    Schema(String),
    /// The pool could not be built.
    #[error("cannot build the PostgreSQL pool: {0}")]
    Pool(String),
    /// TLS to the database cannot be set up (the trust roots file).
    #[error("TLS to PostgreSQL: {0}")]
    Tls(String),
    /// No connection could be taken from the pool (connecting failed or timed out).
    #[error("cannot connect to PostgreSQL: {}", describe_pool(.0))]
    Connect(#[from] deadpool_postgres::PoolError),
    /// A statement failed.
    #[error("PostgreSQL: {}", describe(.0))]
    Db(#[from] tokio_postgres::Error),
    /// The database's schema is newer than this binary knows.
    #[error(
        "the database schema is at version {database}, newer than this binary's {binary}: \
         run a ketenpoort that knows version {database}"
    )]
    NewerSchema {
        /// The highest version applied to the database.
        database: i32,
        /// The highest version embedded in this binary.
        binary: i32,
    },
    /// An applied migration differs from the one embedded in this binary.
    #[error(
        "migration {version} ({name}) applied to the database differs from this binary's \
         (checksum {database} in the database, {binary} embedded)"
    )]
    ChecksumMismatch {
        /// Its version.
        version: i32,
        /// Its name.
        name: String,
        /// The checksum recorded in the database.
        database: String,
        /// The checksum of the embedded SQL.
        binary: String,
    },
    /// Lease-protected work was refused ([`lease::fenced`]): the lease is no longer the
    /// caller's. Its transaction must not commit.
    #[error("lease {name:?} with fencing token {token} is no longer held: {reason}")]
    Fenced {
        /// The lease's name.
        name: String,
        /// The caller's (stale) token.
        token: u64,
        /// Why.
        reason: lease::Fence,
    },
    /// A value read from the database is out of range (e.g. a negative cursor).
    #[error("PostgreSQL: {0}")]
    Corrupt(String),
}

impl From<PgError> for crate::error::Error {
    /// A store error: its text is [`PgError`]'s, which shows no password and no row values.
    fn from(e: PgError) -> Self {
        crate::error::Error::Store(e.to_string())
    }
}

/// The driver's error with the server's message and SQLSTATE (its `Display` says only
/// "db error"). The server's DETAIL is left out: it can quote row values.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

/// As [`describe`], for an error of the pool.
fn describe_pool(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(e) => describe(e),
        other => other.to_string(),
    }
}
