//! The event log readers cannot skip through (issue 16, point 4).
//!
//! A PostgreSQL sequence hands out its values at insert, not at commit: with a `bigserial`
//! cursor, a transaction that took cursor 7 can commit after one that took 8, and a reader
//! that saw 8 and then asks for `cursor > 8` never sees 7. Here the cursor comes from the
//! one row of `ketenpoort_event_head`, updated inside the appending transaction
//! ([`append`]). The update locks that row until the transaction ends, so a second appender
//! waits for the first to commit (or roll back) before it takes the next cursor: cursors
//! become visible in cursor order, with no gaps, and `cursor > last` skips nothing.
//!
//! The cost: appending transactions are serialised from their append to their commit, the
//! commit's flush included. Append last, just before committing, and put many events into
//! one transaction (as the sled store's group commit does) to keep that short.
//! docs/POSTGRES.md compares the alternative (reading below the oldest running transaction).
//!
//! Wake-ups: [`append`] also sends `NOTIFY ketenpoort_events, '<tenant>'`, which PostgreSQL
//! delivers at commit (and not at all on a rollback); [`listen`] receives them.

use std::future::poll_fn;

use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls, Transaction};

use super::{PgError, PgOptions};

/// The channel [`append`] notifies and [`listen`] listens on.
pub const CHANNEL: &str = "ketenpoort_events";

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its position in the log: 1, 2, 3, ... in the order the events became visible.
    pub cursor: u64,
    /// The tenant it is for.
    pub tenant: String,
    /// What the gateway stored.
    pub payload: Vec<u8>,
}

/// Appends an event for `tenant` in `tx` and returns its cursor. Holds the log's head row
/// until `tx` ends: call it last before committing. Notifies [`CHANNEL`] with the tenant
/// (delivered at commit). `tx` must be READ COMMITTED (the default): under REPEATABLE READ
/// a concurrent appender fails with a serialisation error instead of waiting.
pub async fn append(tx: &Transaction<'_>, tenant: &str, payload: &[u8]) -> Result<u64, PgError> {
    let row = tx
        .query_one(
            "UPDATE ketenpoort_event_head SET last_cursor = last_cursor + 1 \
             WHERE only_row RETURNING last_cursor",
            &[],
        )
        .await?;
    let cursor: i64 = row.try_get(0)?;
    tx.execute(
        "INSERT INTO ketenpoort_events (cursor, tenant, payload) VALUES ($1, $2, $3)",
        &[&cursor, &tenant, &payload],
    )
    .await?;
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &tenant])
        .await?;
    to_cursor(cursor)
}

/// Up to `limit` events of `tenant` with a cursor above `after`, in cursor order.
pub async fn read_after(
    client: &Client,
    tenant: &str,
    after: u64,
    limit: usize,
) -> Result<Vec<Event>, PgError> {
    let after = i64::try_from(after).map_err(|_| PgError::Corrupt("cursor too large".into()))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = client
        .query(
            "SELECT cursor, tenant, payload FROM ketenpoort_events \
             WHERE tenant = $1 AND cursor > $2 ORDER BY cursor LIMIT $3",
            &[&tenant, &after, &limit],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Event {
                cursor: to_cursor(row.try_get(0)?)?,
                tenant: row.try_get(1)?,
                payload: row.try_get(2)?,
            })
        })
        .collect()
}

fn to_cursor(cursor: i64) -> Result<u64, PgError> {
    u64::try_from(cursor).map_err(|_| PgError::Corrupt(format!("negative cursor {cursor}")))
}

/// A connection of its own that listens on [`CHANNEL`] (LISTEN holds a session, so it is
/// not taken from a pool). Dropping it closes the connection.
pub struct Listener {
    /// Kept so that the connection stays open.
    _client: Client,
    tenants: mpsc::UnboundedReceiver<String>,
}

impl Listener {
    /// The payload of the next notification (for [`CHANNEL`]: the tenant of a committed
    /// append); `None` once the connection is gone (then open a new listener and read the
    /// log once, since wake-ups may have been missed).
    pub async fn next(&mut self) -> Option<String> {
        self.tenants.recv().await
    }
}

/// Drives `connection` (and so the client's queries) and sends the payload of every
/// notification on `channel` to `send`; ends with the client or the connection.
async fn forward_notifications<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    channel: &'static str,
    send: mpsc::UnboundedSender<String>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(message) = poll_fn(|cx| connection.poll_message(cx)).await {
        match message {
            Ok(AsyncMessage::Notification(n)) if n.channel() == channel => {
                if send.send(n.payload().to_owned()).is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the event listener's connection failed");
                break;
            }
        }
    }
}

/// Opens a connection as `options` says (TLS included) and listens on [`CHANNEL`].
pub async fn listen(options: &PgOptions) -> Result<Listener, PgError> {
    listen_on(options, CHANNEL).await
}

/// Opens a connection as `options` says (TLS included) and listens on `channel` (an SQL
/// identifier the caller chose, never input); [`Listener::next`] yields the payloads.
pub async fn listen_on(options: &PgOptions, channel: &'static str) -> Result<Listener, PgError> {
    let config = options.pg_config()?;
    let (send, tenants) = mpsc::unbounded_channel();
    let client = match options.tls_connector()? {
        None => {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(forward_notifications(connection, channel, send));
            client
        }
        Some(tls) => {
            let (client, connection) = config.connect(tls).await?;
            tokio::spawn(forward_notifications(connection, channel, send));
            client
        }
    };
    client.batch_execute(&format!("LISTEN {channel}")).await?;
    Ok(Listener {
        _client: client,
        tenants,
    })
}
