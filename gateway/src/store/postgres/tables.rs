//! The mapping between the sled store's keys and the tables of `0001_init`: for every key
//! prefix ([`Prefix`]) how a sled (key, value) becomes a row of its table ([`Prefix::to_row`])
//! and how a row becomes the (key, value) again ([`Prefix::from_row`]). `ketenpoort migrate`
//! is its first user; the PgEngine of the plan in docs/POSTGRES.md is meant to use it per key.
//!
//! - The key's parts are the table's key columns (`m/` + id → `id`, `i/` tenant `\0`
//!   request_id → (`tenant`, `request_id`), `w/` id + index → (`message_id`, `idx`), …).
//! - A JSON record is decoded into its Rust type; the columns the schema has for it are
//!   filled from it, and the record itself goes into the `jsonb` column (or, for `e/`, the
//!   `payload` bytea) as `serde_json::to_vec` of the decoded record. Reading back decodes the
//!   `jsonb` into the type and encodes it with `serde_json::to_vec` again: jsonb keeps
//!   neither key order nor whitespace, the Rust type's encoding is the one sled holds.
//! - Raw values stay bytes: `x/` (LZ4 XML), `p/` (payloads), `v/` and `h/` (key-value
//!   tables whose key is the whole sled key); u64 BE values (`c/`, `a/`, `d/`) are `bigint`.
//! - `t/` and `l/` have no record column: their JSON is rebuilt from the columns. A lease's
//!   `session` (which sled store session took it) has no column: it comes back as the nil
//!   UUID, which no session has, so the lease reads as one of an earlier session (void), as
//!   every lease of a closed sled store is. A token 0 (leases from before tokens) comes back
//!   as 1 (`fencing_token > 0`). [`Prefix::canonical`] is a value as it comes back.
//!
//! Keys without a table ([`Keyed::NoTable`]): `z/format` (the sled store's format version;
//! PostgreSQL versions its schema in `ketenpoort_schema`), `z/store_id` (the identity of one
//! sled store directory; a copy is another store) and the format-2 tripwire under `o/` +
//! `u64::MAX` ([`format::tripwire_key`]). A sled store made from PostgreSQL gets its own.
//!
//! `ketenpoort_events.tenant` is not part of the sled pair (an event names its AGB code;
//! sled filters a tenant's stream by it): [`to_row`](Prefix::to_row) leaves it empty and the
//! writer of the rows fills it (see `cli::migrate`).

use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use crate::store::expectations::Expectation;
use crate::store::sled_store::format;
use crate::store::sled_store::{LeaseRecord, ReceivedRecord, TraceRecord};
use crate::store::{
    EventRecord, FollowRecord, IdempotencyRecord, MessageMeta, OutboxRecord,
    access_log::AccessEntry,
};

/// Why a key, value or row does not map. The texts name the prefix and what is wrong,
/// never the key's or value's content (request_ids, AGB codes, JSON with personal data).
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// A key that does not have the shape of its prefix.
    #[error("a {prefix} key does not map to {table}: {reason}")]
    Key {
        /// The sled prefix, e.g. `m/`.
        prefix: &'static str,
        /// Its table.
        table: &'static str,
        /// What is wrong (no content).
        reason: &'static str,
    },
    /// A value that does not decode as its record, or is out of the column's range.
    #[error("a {prefix} value does not map to {table}: {reason}")]
    Value {
        /// The sled prefix.
        prefix: &'static str,
        /// Its table.
        table: &'static str,
        /// What is wrong (no content: serde's message can quote values, so only its
        /// category and position are given).
        reason: String,
    },
    /// A row read back that does not map to a sled pair.
    #[error("a row of {table} does not map back: {reason}")]
    Row {
        /// The table.
        table: &'static str,
        /// What is wrong (no content).
        reason: String,
    },
    /// A key of a prefix that no table and no rule covers.
    #[error("a key with the unknown prefix {0:?} (first two bytes, hex) has no table")]
    Unknown(String),
}

/// What a sled key is for the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyed {
    /// A key of this prefix's table.
    Table(Prefix),
    /// A key with no table, handled by the caller (see the module docs).
    NoTable(NoTable),
}

/// The sled keys that have no table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoTable {
    /// `z/format`: the sled store's format version.
    Format,
    /// `z/store_id`: the sled store's identity.
    StoreId,
    /// `o/` + `u64::MAX`: the format-2 tripwire ([`format::tripwire_key`]).
    Tripwire,
}

/// A key prefix of the sled store with its table of `0001_init`. [`Prefix::ALL`] lists
/// them in an order in which rows can be inserted (a table before those whose foreign keys
/// point at it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Prefix {
    /// `m/` → `ketenpoort_messages`.
    Messages,
    /// `x/` → `ketenpoort_message_xml`.
    MessageXml,
    /// `i/` → `ketenpoort_request_ids`.
    RequestIds,
    /// `c/` → `ketenpoort_counters`.
    Counters,
    /// `e/` → `ketenpoort_events`.
    Events,
    /// `a/` → `ketenpoort_acks`.
    Acks,
    /// `q/` → `ketenpoort_queue`.
    Queue,
    /// `o/` → `ketenpoort_outbox`.
    Outbox,
    /// `f/` → `ketenpoort_follows`.
    Follows,
    /// `w/` → `ketenpoort_expectations`.
    Expectations,
    /// `d/` → `ketenpoort_declaration_numbers`.
    DeclarationNumbers,
    /// `r/` → `ketenpoort_received`.
    Received,
    /// `p/` → `ketenpoort_quarantine`.
    Quarantine,
    /// `t/` → `ketenpoort_traces`.
    Traces,
    /// `l/` → `ketenpoort_leases`.
    Leases,
    /// `v/` → `ketenpoort_duties`.
    Duties,
    /// `n/` → `ketenpoort_access_log`.
    AccessLog,
    /// `h/` → `ketenpoort_history`.
    History,
}

/// A value for one column of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// `bigint`.
    Int8(i64),
    /// `integer`.
    Int4(i32),
    /// `text`.
    Text(String),
    /// `bytea`.
    Bytes(Vec<u8>),
    /// `jsonb`, as JSON text.
    Jsonb(Vec<u8>),
    /// `uuid`.
    Uuid(uuid::Uuid),
    /// SQL NULL.
    Null,
}

impl ToSql for Cell {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Cell::Int8(v) => v.to_sql(ty, out),
            Cell::Int4(v) => v.to_sql(ty, out),
            Cell::Text(v) => v.to_sql(ty, out),
            Cell::Bytes(v) => v.to_sql(ty, out),
            Cell::Uuid(v) => v.to_sql(ty, out),
            Cell::Jsonb(v) => {
                // jsonb's binary format: a version byte (1), then the JSON text.
                out.extend_from_slice(&[1]);
                out.extend_from_slice(v);
                Ok(IsNull::No)
            }
            Cell::Null => Ok(IsNull::Yes),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Each Prefix names its columns' types; a Cell is only written to its column.
        true
    }

    to_sql_checked!();
}

/// A jsonb column read as its JSON text.
struct JsonbText(Vec<u8>);

impl<'a> tokio_postgres::types::FromSql<'a> for JsonbText {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        match raw.split_first() {
            Some((1, json)) => Ok(JsonbText(json.to_vec())),
            _ => Err("not jsonb version 1".into()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB
    }
}

/// Everything a prefix needs, as data.
struct Spec {
    prefix: &'static [u8],
    table: &'static str,
    /// The columns `to_row` fills, in order (what `COPY` and `from_row`'s select name).
    columns: &'static [&'static str],
    types: &'static [Type],
    /// The primary key, for `ORDER BY`.
    order: &'static str,
    /// How many of `columns` (the first ones) are the primary key.
    key: usize,
}

const fn spec(p: Prefix) -> Spec {
    use Prefix::*;
    match p {
        Messages => Spec {
            prefix: b"m/",
            table: "ketenpoort_messages",
            columns: &[
                "id",
                "tenant",
                "request_id",
                "kind",
                "agb",
                "municipality",
                "state",
                "accepted_at_ms",
                "purged_at_ms",
                "meta",
            ],
            types: &[
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::INT8,
                Type::JSONB,
            ],
            order: "id",
            key: 1,
        },
        MessageXml => Spec {
            prefix: b"x/",
            table: "ketenpoort_message_xml",
            columns: &["message_id", "xml"],
            types: &[Type::INT8, Type::BYTEA],
            order: "message_id",
            key: 1,
        },
        RequestIds => Spec {
            prefix: b"i/",
            table: "ketenpoort_request_ids",
            columns: &["tenant", "request_id", "content_hash", "record"],
            types: &[Type::TEXT, Type::TEXT, Type::TEXT, Type::JSONB],
            order: "tenant, request_id",
            key: 2,
        },
        Counters => Spec {
            prefix: b"c/",
            table: "ketenpoort_counters",
            columns: &["name", "value"],
            types: &[Type::TEXT, Type::INT8],
            order: "name",
            key: 1,
        },
        Events => Spec {
            prefix: b"e/",
            table: "ketenpoort_events",
            columns: &["cursor", "tenant", "message_id", "payload"],
            types: &[Type::INT8, Type::TEXT, Type::INT8, Type::BYTEA],
            order: "cursor",
            key: 1,
        },
        Acks => Spec {
            prefix: b"a/",
            table: "ketenpoort_acks",
            columns: &["tenant", "cursor"],
            types: &[Type::TEXT, Type::INT8],
            order: "tenant",
            key: 1,
        },
        Queue => Spec {
            prefix: b"q/",
            table: "ketenpoort_queue",
            columns: &["message_id"],
            types: &[Type::INT8],
            order: "message_id",
            key: 1,
        },
        Outbox => Spec {
            prefix: b"o/",
            table: "ketenpoort_outbox",
            columns: &["message_id", "traceer_id", "record"],
            types: &[Type::INT8, Type::UUID, Type::JSONB],
            order: "message_id",
            key: 1,
        },
        Follows => Spec {
            prefix: b"f/",
            table: "ketenpoort_follows",
            columns: &["message_id", "record"],
            types: &[Type::INT8, Type::JSONB],
            order: "message_id",
            key: 1,
        },
        Expectations => Spec {
            prefix: b"w/",
            table: "ketenpoort_expectations",
            columns: &["message_id", "idx", "record"],
            types: &[Type::INT8, Type::INT4, Type::JSONB],
            order: "message_id, idx",
            key: 2,
        },
        DeclarationNumbers => Spec {
            prefix: b"d/",
            table: "ketenpoort_declaration_numbers",
            columns: &["agb", "number", "message_id"],
            types: &[Type::TEXT, Type::TEXT, Type::INT8],
            order: "agb, number",
            key: 2,
        },
        Received => Spec {
            prefix: b"r/",
            table: "ketenpoort_received",
            columns: &["sequence", "after_id", "record"],
            types: &[Type::INT8, Type::INT8, Type::JSONB],
            order: "sequence",
            key: 1,
        },
        Quarantine => Spec {
            prefix: b"p/",
            table: "ketenpoort_quarantine",
            columns: &["sequence", "payload"],
            types: &[Type::INT8, Type::BYTEA],
            order: "sequence",
            key: 1,
        },
        Traces => Spec {
            prefix: b"t/",
            table: "ketenpoort_traces",
            columns: &["traceer_id", "sequence", "cursor"],
            types: &[Type::UUID, Type::INT8, Type::INT8],
            order: "traceer_id",
            key: 1,
        },
        Leases => Spec {
            prefix: b"l/",
            table: "ketenpoort_leases",
            columns: &["name", "holder", "fencing_token", "until_ms"],
            types: &[Type::TEXT, Type::UUID, Type::INT8, Type::INT8],
            order: "name",
            key: 1,
        },
        Duties => Spec {
            prefix: b"v/",
            table: "ketenpoort_duties",
            columns: &["key", "value"],
            types: &[Type::BYTEA, Type::BYTEA],
            order: "key",
            key: 1,
        },
        AccessLog => Spec {
            prefix: b"n/",
            table: "ketenpoort_access_log",
            columns: &["sequence", "entry"],
            types: &[Type::INT8, Type::JSONB],
            order: "sequence",
            key: 1,
        },
        History => Spec {
            prefix: b"h/",
            table: "ketenpoort_history",
            columns: &["key", "value"],
            types: &[Type::BYTEA, Type::BYTEA],
            order: "key",
            key: 1,
        },
    }
}

/// What a row's mapping needs to say about failures.
struct Ctx {
    prefix: &'static str,
    table: &'static str,
}

impl Ctx {
    fn key(&self, reason: &'static str) -> TableError {
        TableError::Key {
            prefix: self.prefix,
            table: self.table,
            reason,
        }
    }

    fn value(&self, reason: impl Into<String>) -> TableError {
        TableError::Value {
            prefix: self.prefix,
            table: self.table,
            reason: reason.into(),
        }
    }

    fn json(&self, e: &serde_json::Error, what: &str) -> TableError {
        self.value(format!(
            "does not decode as {what} ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    }

    fn row(&self, reason: impl Into<String>) -> TableError {
        TableError::Row {
            table: self.table,
            reason: reason.into(),
        }
    }

    fn u64_key(&self, rest: &[u8]) -> Result<u64, TableError> {
        let b: [u8; 8] = rest
            .try_into()
            .map_err(|_| self.key("not a u64 (8 bytes)"))?;
        Ok(u64::from_be_bytes(b))
    }

    fn u64_value(&self, v: &[u8]) -> Result<u64, TableError> {
        let b: [u8; 8] = v
            .try_into()
            .map_err(|_| self.value("not a u64 (8 bytes)"))?;
        Ok(u64::from_be_bytes(b))
    }

    fn int8(&self, n: u64) -> Result<Cell, TableError> {
        i64::try_from(n)
            .map(Cell::Int8)
            .map_err(|_| self.value("a number above bigint's range"))
    }

    fn text(&self, b: &[u8]) -> Result<String, TableError> {
        let s = std::str::from_utf8(b).map_err(|_| self.key("not UTF-8"))?;
        if s.contains('\0') {
            return Err(self.key("holds a NUL byte, which text cannot"));
        }
        Ok(s.to_owned())
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        v: &[u8],
        what: &str,
    ) -> Result<T, TableError> {
        serde_json::from_slice(v).map_err(|e| self.json(&e, what))
    }

    fn encode<T: serde::Serialize>(&self, t: &T) -> Result<Vec<u8>, TableError> {
        serde_json::to_vec(t)
            .map_err(|e| self.value(format!("does not encode: {:?}", e.classify())))
    }

    /// Column `i` of `row` as `T`.
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
        &self,
        row: &'a tokio_postgres::Row,
        i: usize,
    ) -> Result<T, TableError> {
        row.try_get(i)
            .map_err(|_| self.row(format!("column {i} has an unexpected type or NULL")))
    }

    fn u64_col(&self, row: &tokio_postgres::Row, i: usize) -> Result<u64, TableError> {
        let n: i64 = self.get(row, i)?;
        u64::try_from(n).map_err(|_| self.row(format!("column {i} is negative")))
    }

    fn jsonb<T: serde::de::DeserializeOwned + serde::Serialize>(
        &self,
        row: &tokio_postgres::Row,
        i: usize,
        what: &str,
    ) -> Result<Vec<u8>, TableError> {
        let JsonbText(json) = self.get(row, i)?;
        let t: T = serde_json::from_slice(&json).map_err(|e| {
            self.row(format!(
                "column {i} does not decode as {what} ({:?} error)",
                e.classify()
            ))
        })?;
        self.encode(&t)
    }
}

fn with_prefix(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + rest.len());
    k.extend_from_slice(prefix);
    k.extend_from_slice(rest);
    k
}

/// A lease as it comes back from its row: no session (nil), a token of at least 1.
fn lease_canonical(mut l: LeaseRecord) -> LeaseRecord {
    l.session = uuid::Uuid::nil();
    l.token = l.token.max(1);
    l
}

/// A serde enum's name as the JSON holds it (`"QUEUED"` → `QUEUED`).
fn enum_name<T: serde::Serialize>(t: &T) -> Option<String> {
    match serde_json::to_value(t).ok()? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

/// What the sled key `key` is: a key of a table, or one of the keys without a table.
pub fn classify(key: &[u8]) -> Result<Keyed, TableError> {
    if key == format::FORMAT_KEY {
        return Ok(Keyed::NoTable(NoTable::Format));
    }
    if key == crate::store::open::ID_KEY {
        return Ok(Keyed::NoTable(NoTable::StoreId));
    }
    if key == format::tripwire_key().as_slice() {
        return Ok(Keyed::NoTable(NoTable::Tripwire));
    }
    Prefix::ALL
        .iter()
        .find(|p| key.starts_with(p.key_prefix()))
        .map(|p| Keyed::Table(*p))
        .ok_or_else(|| {
            let head: String = key.iter().take(2).map(|b| format!("{b:02x}")).collect();
            TableError::Unknown(head)
        })
}

impl Prefix {
    /// Every prefix, each table before the tables whose foreign keys point at it.
    pub const ALL: [Prefix; 18] = [
        Prefix::Messages,
        Prefix::MessageXml,
        Prefix::RequestIds,
        Prefix::Counters,
        Prefix::Events,
        Prefix::Acks,
        Prefix::Queue,
        Prefix::Outbox,
        Prefix::Follows,
        Prefix::Expectations,
        Prefix::DeclarationNumbers,
        Prefix::Received,
        Prefix::Quarantine,
        Prefix::Traces,
        Prefix::Leases,
        Prefix::Duties,
        Prefix::AccessLog,
        Prefix::History,
    ];

    /// The sled key prefix, e.g. `b"m/"`.
    pub fn key_prefix(self) -> &'static [u8] {
        spec(self).prefix
    }

    /// The sled key prefix as text, e.g. `m/`.
    pub fn name(self) -> &'static str {
        std::str::from_utf8(self.key_prefix()).unwrap_or("?")
    }

    /// The table, e.g. `ketenpoort_messages`.
    pub fn table(self) -> &'static str {
        spec(self).table
    }

    /// The columns [`Prefix::to_row`] fills, in its order.
    pub fn columns(self) -> &'static [&'static str] {
        spec(self).columns
    }

    /// The primary key's columns: the first ones of [`Prefix::columns`].
    pub fn key_columns(self) -> &'static [&'static str] {
        let s = spec(self);
        &s.columns[..s.key]
    }

    /// The primary key's types, as [`Prefix::key_columns`].
    pub fn key_types(self) -> &'static [Type] {
        let s = spec(self);
        &s.types[..s.key]
    }

    /// The types of [`Prefix::columns`] (for `COPY … (FORMAT binary)`).
    pub fn types(self) -> &'static [Type] {
        spec(self).types
    }

    /// `COPY table (columns) FROM STDIN (FORMAT binary)`.
    pub fn copy_in(self) -> String {
        format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            self.table(),
            self.columns().join(", ")
        )
    }

    /// `SELECT columns FROM table ORDER BY key`: the rows [`Prefix::from_row`] reads.
    pub fn select_all(self) -> String {
        format!(
            "SELECT {} FROM {} ORDER BY {}",
            self.columns().join(", "),
            self.table(),
            spec(self).order
        )
    }

    fn ctx(self) -> Ctx {
        Ctx {
            prefix: self.name(),
            table: self.table(),
        }
    }

    /// The row of sled's `key` (which starts with this prefix) and `value`, as
    /// [`Prefix::columns`]. `ketenpoort_events.tenant` is left empty (see the module docs).
    pub fn to_row(self, key: &[u8], value: &[u8]) -> Result<Vec<Cell>, TableError> {
        let c = self.ctx();
        let rest = key
            .strip_prefix(self.key_prefix())
            .ok_or_else(|| c.key("does not start with its prefix"))?;
        Ok(match self {
            Prefix::Messages => {
                let id = c.u64_key(rest)?;
                let m: MessageMeta = c.decode(value, "a message record")?;
                let state = enum_name(&m.state).ok_or_else(|| c.value("a state without a name"))?;
                vec![
                    c.int8(id)?,
                    Cell::Text(m.tenant.clone()),
                    Cell::Text(m.request_id.clone()),
                    Cell::Text(m.kind.clone()),
                    Cell::Text(m.agb.clone()),
                    Cell::Text(m.municipality.clone()),
                    Cell::Text(state),
                    Cell::Int8(m.accepted_at_ms),
                    m.purged_at_ms.map_or(Cell::Null, Cell::Int8),
                    Cell::Jsonb(c.encode(&m)?),
                ]
            }
            Prefix::MessageXml | Prefix::Quarantine => {
                vec![c.int8(c.u64_key(rest)?)?, Cell::Bytes(value.to_vec())]
            }
            Prefix::RequestIds => {
                let nul = rest
                    .iter()
                    .position(|b| *b == 0)
                    .ok_or_else(|| c.key("no NUL between tenant and request_id"))?;
                let r: IdempotencyRecord = c.decode(value, "an idempotency record")?;
                vec![
                    Cell::Text(c.text(&rest[..nul])?),
                    Cell::Text(c.text(&rest[nul + 1..])?),
                    Cell::Text(r.content_hash.clone()),
                    Cell::Jsonb(c.encode(&r)?),
                ]
            }
            Prefix::Counters | Prefix::Acks => {
                vec![Cell::Text(c.text(rest)?), c.int8(c.u64_value(value)?)?]
            }
            Prefix::Events => {
                let cursor = c.u64_key(rest)?;
                let e: EventRecord = c.decode(value, "an event record")?;
                let message = match e.message_id {
                    Some(id) => c.int8(id)?,
                    None => Cell::Null,
                };
                vec![
                    c.int8(cursor)?,
                    Cell::Text(String::new()),
                    message,
                    Cell::Bytes(c.encode(&e)?),
                ]
            }
            Prefix::Queue => {
                if !value.is_empty() {
                    return Err(c.value("a queue entry with a value (it is empty)"));
                }
                vec![c.int8(c.u64_key(rest)?)?]
            }
            Prefix::Outbox => {
                let id = c.u64_key(rest)?;
                let o: OutboxRecord = c.decode(value, "an outbox record")?;
                vec![
                    c.int8(id)?,
                    Cell::Uuid(o.traceer_id),
                    Cell::Jsonb(c.encode(&o)?),
                ]
            }
            Prefix::Follows => {
                let id = c.u64_key(rest)?;
                let f: FollowRecord = c.decode(value, "a follow record")?;
                vec![c.int8(id)?, Cell::Jsonb(c.encode(&f)?)]
            }
            Prefix::Expectations => {
                if rest.len() != 12 {
                    return Err(c.key("not a message id and an index (12 bytes)"));
                }
                let id = c.u64_key(&rest[..8])?;
                let idx = u32::from_be_bytes([rest[8], rest[9], rest[10], rest[11]]);
                let idx =
                    i32::try_from(idx).map_err(|_| c.key("an index above integer's range"))?;
                let w: Expectation = c.decode(value, "an expectation")?;
                vec![c.int8(id)?, Cell::Int4(idx), Cell::Jsonb(c.encode(&w)?)]
            }
            Prefix::DeclarationNumbers => {
                let slash = rest
                    .iter()
                    .position(|b| *b == b'/')
                    .ok_or_else(|| c.key("no / between AGB code and number"))?;
                vec![
                    Cell::Text(c.text(&rest[..slash])?),
                    Cell::Text(c.text(&rest[slash + 1..])?),
                    c.int8(c.u64_value(value)?)?,
                ]
            }
            Prefix::Received => {
                let seq = c.u64_key(rest)?;
                let r: ReceivedRecord = c.decode(value, "a received record")?;
                vec![
                    c.int8(seq)?,
                    c.int8(r.after_id)?,
                    Cell::Jsonb(c.encode(&r)?),
                ]
            }
            Prefix::Traces => {
                let id =
                    uuid::Uuid::from_slice(rest).map_err(|_| c.key("not a UUID (16 bytes)"))?;
                let t: TraceRecord = c.decode(value, "a trace record")?;
                vec![Cell::Uuid(id), c.int8(t.sequence)?, c.int8(t.cursor)?]
            }
            Prefix::Leases => {
                let l: LeaseRecord = c.decode(value, "a lease record")?;
                let l = lease_canonical(l);
                vec![
                    Cell::Text(c.text(rest)?),
                    Cell::Uuid(l.holder),
                    c.int8(l.token)?,
                    Cell::Int8(l.until_ms),
                ]
            }
            Prefix::Duties | Prefix::History => {
                vec![Cell::Bytes(key.to_vec()), Cell::Bytes(value.to_vec())]
            }
            Prefix::AccessLog => {
                let seq = c.u64_key(rest)?;
                let a: AccessEntry = c.decode(value, "an access log entry")?;
                vec![c.int8(seq)?, Cell::Jsonb(c.encode(&a)?)]
            }
        })
    }

    /// The primary key's cells ([`Prefix::key_columns`]) of sled's `key`, which starts with
    /// this prefix: what [`Prefix::to_row`] would make of it. An error when no row of the
    /// table can have this key (a wrong length, a number above bigint's range, text that is
    /// not UTF-8 or holds a NUL byte).
    pub fn key_cells(self, key: &[u8]) -> Result<Vec<Cell>, TableError> {
        let c = self.ctx();
        let rest = key
            .strip_prefix(self.key_prefix())
            .ok_or_else(|| c.key("does not start with its prefix"))?;
        let int = |n: u64| {
            i64::try_from(n)
                .map(Cell::Int8)
                .map_err(|_| c.key("a number above bigint's range"))
        };
        Ok(match self {
            Prefix::Messages
            | Prefix::MessageXml
            | Prefix::Quarantine
            | Prefix::Events
            | Prefix::Queue
            | Prefix::Outbox
            | Prefix::Follows
            | Prefix::Received
            | Prefix::AccessLog => vec![int(c.u64_key(rest)?)?],
            Prefix::RequestIds => {
                let nul = rest
                    .iter()
                    .position(|b| *b == 0)
                    .ok_or_else(|| c.key("no NUL between tenant and request_id"))?;
                vec![
                    Cell::Text(c.text(&rest[..nul])?),
                    Cell::Text(c.text(&rest[nul + 1..])?),
                ]
            }
            Prefix::Counters | Prefix::Acks | Prefix::Leases => vec![Cell::Text(c.text(rest)?)],
            Prefix::Expectations => {
                if rest.len() != 12 {
                    return Err(c.key("not a message id and an index (12 bytes)"));
                }
                let idx = u32::from_be_bytes([rest[8], rest[9], rest[10], rest[11]]);
                let idx =
                    i32::try_from(idx).map_err(|_| c.key("an index above integer's range"))?;
                vec![int(c.u64_key(&rest[..8])?)?, Cell::Int4(idx)]
            }
            Prefix::DeclarationNumbers => {
                let slash = rest
                    .iter()
                    .position(|b| *b == b'/')
                    .ok_or_else(|| c.key("no / between AGB code and number"))?;
                vec![
                    Cell::Text(c.text(&rest[..slash])?),
                    Cell::Text(c.text(&rest[slash + 1..])?),
                ]
            }
            Prefix::Traces => {
                let id =
                    uuid::Uuid::from_slice(rest).map_err(|_| c.key("not a UUID (16 bytes)"))?;
                vec![Cell::Uuid(id)]
            }
            Prefix::Duties | Prefix::History => vec![Cell::Bytes(key.to_vec())],
        })
    }

    /// The sled (key, value) of a row read with [`Prefix::select_all`]'s columns.
    pub fn from_row(self, row: &tokio_postgres::Row) -> Result<(Vec<u8>, Vec<u8>), TableError> {
        let c = self.ctx();
        let p = self.key_prefix();
        let be_key = |n: u64| with_prefix(p, &n.to_be_bytes());
        Ok(match self {
            Prefix::Messages => (
                be_key(c.u64_col(row, 0)?),
                c.jsonb::<MessageMeta>(row, 9, "a message record")?,
            ),
            Prefix::MessageXml | Prefix::Quarantine => {
                (be_key(c.u64_col(row, 0)?), c.get::<Vec<u8>>(row, 1)?)
            }
            Prefix::RequestIds => {
                let tenant: String = c.get(row, 0)?;
                let request_id: String = c.get(row, 1)?;
                let mut k = with_prefix(p, tenant.as_bytes());
                k.push(0);
                k.extend_from_slice(request_id.as_bytes());
                (
                    k,
                    c.jsonb::<IdempotencyRecord>(row, 3, "an idempotency record")?,
                )
            }
            Prefix::Counters | Prefix::Acks => {
                let name: String = c.get(row, 0)?;
                let v = c.u64_col(row, 1)?;
                (with_prefix(p, name.as_bytes()), v.to_be_bytes().to_vec())
            }
            Prefix::Events => {
                let payload: Vec<u8> = c.get(row, 3)?;
                let e: EventRecord = serde_json::from_slice(&payload).map_err(|e| {
                    c.row(format!(
                        "payload does not decode ({:?} error)",
                        e.classify()
                    ))
                })?;
                (be_key(c.u64_col(row, 0)?), c.encode(&e)?)
            }
            Prefix::Queue => (be_key(c.u64_col(row, 0)?), Vec::new()),
            Prefix::Outbox => (
                be_key(c.u64_col(row, 0)?),
                c.jsonb::<OutboxRecord>(row, 2, "an outbox record")?,
            ),
            Prefix::Follows => (
                be_key(c.u64_col(row, 0)?),
                c.jsonb::<FollowRecord>(row, 1, "a follow record")?,
            ),
            Prefix::Expectations => {
                let idx: i32 = c.get(row, 1)?;
                let idx = u32::try_from(idx).map_err(|_| c.row("idx is negative"))?;
                let mut k = be_key(c.u64_col(row, 0)?);
                k.extend_from_slice(&idx.to_be_bytes());
                (k, c.jsonb::<Expectation>(row, 2, "an expectation")?)
            }
            Prefix::DeclarationNumbers => {
                let agb: String = c.get(row, 0)?;
                let number: String = c.get(row, 1)?;
                let k = with_prefix(p, format!("{agb}/{number}").as_bytes());
                (k, c.u64_col(row, 2)?.to_be_bytes().to_vec())
            }
            Prefix::Received => (
                be_key(c.u64_col(row, 0)?),
                c.jsonb::<ReceivedRecord>(row, 2, "a received record")?,
            ),
            Prefix::Traces => {
                let id: uuid::Uuid = c.get(row, 0)?;
                let t = TraceRecord {
                    sequence: c.u64_col(row, 1)?,
                    cursor: c.u64_col(row, 2)?,
                };
                (with_prefix(p, id.as_bytes()), c.encode(&t)?)
            }
            Prefix::Leases => {
                let name: String = c.get(row, 0)?;
                let l = LeaseRecord {
                    holder: c.get(row, 1)?,
                    session: uuid::Uuid::nil(),
                    token: c.u64_col(row, 2)?,
                    until_ms: c.get(row, 3)?,
                };
                (with_prefix(p, name.as_bytes()), c.encode(&l)?)
            }
            Prefix::Duties | Prefix::History => {
                let k: Vec<u8> = c.get(row, 0)?;
                if !k.starts_with(p) {
                    return Err(c.row("a key without the table's prefix"));
                }
                (k, c.get::<Vec<u8>>(row, 1)?)
            }
            Prefix::AccessLog => (
                be_key(c.u64_col(row, 0)?),
                c.jsonb::<AccessEntry>(row, 1, "an access log entry")?,
            ),
        })
    }

    /// The value sled's (`key`, `value`) has after a round trip through the table: for JSON
    /// records `serde_json::to_vec` of the decoded record (for `l/` without its session, see
    /// the module docs), else `value` itself. What `migrate` checksums on the sled side.
    pub fn canonical(self, value: &[u8]) -> Result<Vec<u8>, TableError> {
        let c = self.ctx();
        fn re<T: serde::de::DeserializeOwned + serde::Serialize>(
            c: &Ctx,
            v: &[u8],
            what: &str,
        ) -> Result<Vec<u8>, TableError> {
            let t: T = c.decode(v, what)?;
            c.encode(&t)
        }
        match self {
            Prefix::Messages => re::<MessageMeta>(&c, value, "a message record"),
            Prefix::RequestIds => re::<IdempotencyRecord>(&c, value, "an idempotency record"),
            Prefix::Events => re::<EventRecord>(&c, value, "an event record"),
            Prefix::Outbox => re::<OutboxRecord>(&c, value, "an outbox record"),
            Prefix::Follows => re::<FollowRecord>(&c, value, "a follow record"),
            Prefix::Expectations => re::<Expectation>(&c, value, "an expectation"),
            Prefix::Received => re::<ReceivedRecord>(&c, value, "a received record"),
            Prefix::Traces => re::<TraceRecord>(&c, value, "a trace record"),
            Prefix::AccessLog => re::<AccessEntry>(&c, value, "an access log entry"),
            Prefix::Leases => {
                let l: LeaseRecord = c.decode(value, "a lease record")?;
                c.encode(&lease_canonical(l))
            }
            Prefix::MessageXml
            | Prefix::Quarantine
            | Prefix::Counters
            | Prefix::Acks
            | Prefix::Queue
            | Prefix::DeclarationNumbers
            | Prefix::Duties
            | Prefix::History => Ok(value.to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_without_a_table_are_named_and_unknown_prefixes_refused() {
        assert_eq!(
            classify(b"z/format").expect("known"),
            Keyed::NoTable(NoTable::Format)
        );
        assert_eq!(
            classify(b"z/store_id").expect("known"),
            Keyed::NoTable(NoTable::StoreId)
        );
        assert_eq!(
            classify(&format::tripwire_key()).expect("known"),
            Keyed::NoTable(NoTable::Tripwire)
        );
        let mut outbox = b"o/".to_vec();
        outbox.extend_from_slice(&7u64.to_be_bytes());
        assert_eq!(
            classify(&outbox).expect("known"),
            Keyed::Table(Prefix::Outbox)
        );
        for p in Prefix::ALL {
            assert_eq!(classify(p.key_prefix()).expect("known"), Keyed::Table(p));
        }
        let unknown = classify(b"k/111222333").expect_err("no table");
        assert!(!unknown.to_string().contains("111222333"), "{unknown}");
        assert!(classify(b"z/other").is_err());
    }

    #[test]
    fn errors_name_the_prefix_and_table_but_not_the_content() {
        let no_nul = Prefix::RequestIds
            .to_row(b"i/tenant-111222333", b"{}")
            .expect_err("no NUL");
        let text = no_nul.to_string();
        assert!(
            text.contains("i/") && text.contains("ketenpoort_request_ids"),
            "{text}"
        );
        assert!(!text.contains("111222333"), "{text}");
        let mut key = b"m/".to_vec();
        key.extend_from_slice(&1u64.to_be_bytes());
        let bad = Prefix::Messages
            .to_row(&key, br#"{"bsn": "111222333"}"#)
            .expect_err("no MessageMeta");
        let text = bad.to_string();
        assert!(text.contains("ketenpoort_messages"), "{text}");
        assert!(
            !text.contains("111222333") && !text.contains("bsn"),
            "{text}"
        );
        let short = Prefix::Expectations
            .to_row(b"w/12345", b"{}")
            .expect_err("short key");
        assert!(short.to_string().contains("12 bytes"), "{short}");
    }

    #[test]
    fn a_lease_loses_its_session_and_a_token_0_becomes_1_and_nothing_else() {
        let lease = LeaseRecord {
            holder: uuid::Uuid::new_v4(),
            session: uuid::Uuid::new_v4(),
            until_ms: 1_743_595_200_000,
            token: 0,
        };
        let v = serde_json::to_vec(&lease).expect("encodes");
        let back: LeaseRecord =
            serde_json::from_slice(&Prefix::Leases.canonical(&v).expect("a lease"))
                .expect("decodes");
        assert_eq!(back.session, uuid::Uuid::nil());
        assert_eq!(back.token, 1);
        assert_eq!((back.holder, back.until_ms), (lease.holder, lease.until_ms));
        let row = Prefix::Leases.to_row(b"l/collector", &v).expect("a row");
        assert_eq!(
            row,
            vec![
                Cell::Text("collector".into()),
                Cell::Uuid(lease.holder),
                Cell::Int8(1),
                Cell::Int8(lease.until_ms),
            ]
        );
    }

    #[test]
    fn keys_are_split_into_their_columns() {
        let row = Prefix::DeclarationNumbers
            .to_row(b"d/12345678/2025/03", &9u64.to_be_bytes())
            .expect("a row");
        assert_eq!(
            row,
            vec![
                Cell::Text("12345678".into()),
                Cell::Text("2025/03".into()),
                Cell::Int8(9)
            ]
        );
        let mut key = b"w/".to_vec();
        key.extend_from_slice(&5u64.to_be_bytes());
        key.extend_from_slice(&2u32.to_be_bytes());
        let w = br#"{"message_id":5,"agb":"12345678","answers":["JW316"],"name":"316","due":"2025-04-07"}"#;
        let row = Prefix::Expectations.to_row(&key, w).expect("a row");
        assert_eq!(row[..2], [Cell::Int8(5), Cell::Int4(2)]);
        let big = Prefix::Counters
            .to_row(b"c/next", &u64::MAX.to_be_bytes())
            .expect_err("above bigint");
        assert!(big.to_string().contains("bigint"), "{big}");
        let queued = Prefix::Queue.to_row(b"q/\0\0\0\0\0\0\0\x01", b"x");
        assert!(queued.is_err(), "a queue entry has no value");
    }

    #[test]
    fn key_cells_are_the_key_columns_of_the_row() {
        let id = |n: u64| n.to_be_bytes().to_vec();
        let mut w = b"w/".to_vec();
        w.extend_from_slice(&5u64.to_be_bytes());
        w.extend_from_slice(&2u32.to_be_bytes());
        let w_value = br#"{"message_id":5,"agb":"12345678","answers":["JW316"],"name":"316","due":"2025-04-07"}"#;
        let cases: Vec<(Prefix, Vec<u8>, Vec<u8>)> = vec![
            (Prefix::Counters, b"c/next".to_vec(), id(3)),
            (Prefix::Acks, b"a/tenant".to_vec(), id(3)),
            (Prefix::Queue, [b"q/".to_vec(), id(9)].concat(), Vec::new()),
            (
                Prefix::MessageXml,
                [b"x/".to_vec(), id(9)].concat(),
                b"lz4".to_vec(),
            ),
            (
                Prefix::Quarantine,
                [b"p/".to_vec(), id(4)].concat(),
                b"raw".to_vec(),
            ),
            (
                Prefix::DeclarationNumbers,
                b"d/12345678/2025/03".to_vec(),
                id(9),
            ),
            (Prefix::Duties, b"v/x/1".to_vec(), b"1".to_vec()),
            (Prefix::History, b"h/\x00\xff".to_vec(), b"1".to_vec()),
            (Prefix::Expectations, w, w_value.to_vec()),
        ];
        for (p, key, value) in cases {
            let row = p.to_row(&key, &value).expect("a row");
            let cells = p.key_cells(&key).expect("key cells");
            assert_eq!(cells[..], row[..p.key_columns().len()], "{}", p.name());
            assert_eq!(p.key_types().len(), p.key_columns().len());
        }
        assert!(Prefix::Messages.key_cells(b"m/abc").is_err(), "too short");
        let mut huge = b"m/".to_vec();
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(Prefix::Messages.key_cells(&huge).is_err(), "above bigint");
        assert!(Prefix::RequestIds.key_cells(b"i/no-nul").is_err());
        assert_eq!(
            Prefix::RequestIds.key_cells(b"i/t\0r").expect("cells"),
            vec![Cell::Text("t".into()), Cell::Text("r".into())]
        );
    }
}
