//! Schema migrations, embedded in the binary and applied at start ([`migrate`]).
//!
//! All of them run in one transaction that first takes the advisory lock [`LOCK_KEY`]
//! (`pg_advisory_xact_lock`), so that replicas starting at once apply each migration once:
//! the second waits for the first to commit, then finds nothing left to do. What was applied
//! is recorded in `ketenpoort_schema(version, name, applied_at, checksum)`. A database whose
//! schema is newer than the binary's, or whose applied migration differs from the embedded
//! one (its SHA-256), is refused.

use tokio_postgres::Client;

use super::PgError;

/// One embedded migration: `migrations/NNNN_name.sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Its version, `NNNN`; the migrations are applied in this order.
    pub version: i32,
    /// Its name.
    pub name: &'static str,
    /// Its SQL.
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 of its SQL, hex: what `ketenpoort_schema.checksum` records.
    pub fn checksum(&self) -> String {
        checksum(self.sql)
    }
}

/// The migrations this binary knows, by version.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "queue_claims",
        sql: include_str!("migrations/0002_queue_claims.sql"),
    },
    Migration {
        version: 3,
        name: "writer",
        sql: include_str!("migrations/0003_writer.sql"),
    },
];

/// The key of the advisory lock migrations run under (`ketenpoo` in ASCII).
pub const LOCK_KEY: i64 = 0x6b65_7465_6e70_6f6f;

/// The table that records what was applied (in the connection's search_path).
const SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS ketenpoort_schema (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    checksum   text        NOT NULL
)";

/// SHA-256 of `sql`, lower-case hex.
pub fn checksum(sql: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, sql.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What [`migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// The versions this call applied (empty when the schema was up to date).
    pub applied: Vec<i32>,
    /// The schema's version now.
    pub version: i32,
}

/// Brings the schema of `client`'s search_path up to the binary's version, in one
/// transaction under [`LOCK_KEY`]; refuses a newer schema or a changed migration.
pub async fn migrate(client: &mut Client) -> Result<Migrated, PgError> {
    migrate_with(client, MIGRATIONS).await
}

/// Refuses a schema newer than the binary's, and an applied migration that is not the
/// embedded one.
fn check(
    done: &[(i32, String, String)],
    database: i32,
    binary: i32,
    migrations: &[Migration],
) -> Result<(), PgError> {
    if database > binary {
        return Err(PgError::NewerSchema { database, binary });
    }
    for (version, name, recorded) in done {
        let embedded = migrations
            .iter()
            .find(|m| m.version == *version)
            .map_or_else(|| "none (not embedded)".to_owned(), Migration::checksum);
        if *recorded != embedded {
            return Err(PgError::ChecksumMismatch {
                version: *version,
                name: name.clone(),
                database: recorded.clone(),
                binary: embedded,
            });
        }
    }
    Ok(())
}

/// As [`migrate`], with the given migrations (sorted by version).
async fn migrate_with(client: &mut Client, migrations: &[Migration]) -> Result<Migrated, PgError> {
    let binary = migrations.last().map_or(0, |m| m.version);
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    tx.batch_execute(SCHEMA_TABLE).await?;
    let rows = tx
        .query(
            "SELECT version, name, checksum FROM ketenpoort_schema ORDER BY version",
            &[],
        )
        .await?;
    let mut done = Vec::with_capacity(rows.len());
    for row in &rows {
        let version: i32 = row.try_get(0)?;
        let name: String = row.try_get(1)?;
        let recorded: String = row.try_get(2)?;
        done.push((version, name, recorded));
    }
    let database = done.iter().map(|(v, _, _)| *v).max().unwrap_or(0);
    if let Err(refused) = check(&done, database, binary, migrations) {
        // Ends the transaction (and frees the lock) now rather than when the dropped
        // transaction's ROLLBACK reaches the server.
        tx.rollback().await?;
        return Err(refused);
    }
    let mut applied = Vec::new();
    for migration in migrations {
        if done.iter().any(|(v, _, _)| *v == migration.version) {
            continue;
        }
        tx.batch_execute(migration.sql).await?;
        tx.execute(
            "INSERT INTO ketenpoort_schema (version, name, checksum) VALUES ($1, $2, $3)",
            &[&migration.version, &migration.name, &migration.checksum()],
        )
        .await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied schema migration"
        );
        applied.push(migration.version);
    }
    tx.commit().await?;
    Ok(Migrated {
        applied,
        version: database.max(binary),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_by_one_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(usize::try_from(m.version).ok(), Some(i + 1), "{}", m.name);
        }
    }

    #[test]
    fn the_checksum_is_sha256_hex() {
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            checksum("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_migrations_do_not_manage_their_own_transaction() {
        // migrate() runs them inside its transaction; a COMMIT in one would release the lock.
        for m in MIGRATIONS {
            let code: String = m
                .sql
                .lines()
                .map(|line| line.split("--").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n");
            let upper = code.to_ascii_uppercase();
            for word in ["COMMIT", "BEGIN", "ROLLBACK"] {
                assert!(
                    !upper
                        .split(|c: char| !c.is_ascii_alphabetic())
                        .any(|w| w == word),
                    "{} contains {word}",
                    m.name
                );
            }
        }
    }
}
