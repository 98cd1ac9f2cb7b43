//! Configuration: parsed once at start-up into typed structs, from a TOML file with
//! `KETENPOORT_*` environment overrides. Nothing else in the gateway reads the environment.
//!
//! `ketenpoort.example.toml` at the repository root is the commented reference; a test
//! checks that it parses. Environment overrides are named `KETENPOORT_<SECTION>_<KEY>` in
//! upper case, e.g. `KETENPOORT_SERVER_DATA_DIR=/var/lib/ketenpoort` or
//! `KETENPOORT_TLS_CERT=/etc/ketenpoort/server.pem`; see [`ENV_OVERRIDES`]. Tenants are only
//! configured in the file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why the configuration could not be loaded. Every variant names the key or file at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("could not read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a key is unknown or has the wrong type. The message
    /// from the TOML parser names the key and its line.
    #[error("invalid configuration{}: {message}", .path.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default())]
    Parse {
        /// The file, if the problem is in one.
        path: Option<PathBuf>,
        /// What the parser said, naming the key.
        message: String,
    },
    /// A `KETENPOORT_*` variable is unknown or has a value of the wrong type.
    #[error("environment variable {key}: {message}")]
    Env {
        /// The variable.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The values parse but do not make a usable configuration.
    #[error("configuration key {key}: {message}")]
    Invalid {
        /// The key, e.g. `tenants[0].agb_codes`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Development mode: plaintext gRPC, a dev tenant (token `dev`) allowed every AGB code,
    /// and the loopback stand-in for VECOZO. Never for production data.
    #[serde(default)]
    pub dev: bool,
    /// Set by `ketenpoort serve` without `--init` (and not in dev mode): the store in
    /// `server.data_dir` must exist, it is not created ([`crate::store::open`]). Not a
    /// configuration key; false (a new store is created) for the library's own callers.
    #[serde(skip)]
    pub store_must_exist: bool,
    /// Listeners and storage.
    #[serde(default)]
    pub server: ServerConfig,
    /// TLS for the gRPC listener; required in production unless `server.allow_plaintext`.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Values ketenpoort writes into messages.
    #[serde(default)]
    pub messages: MessagesConfig,
    /// Where queued messages go.
    #[serde(default)]
    pub vecozo: VecozoConfig,
    /// Who may call the gateway, and for which AGB codes.
    #[serde(default)]
    pub tenants: Vec<TenantConfig>,
    /// The operator console (web pages for the people who run the flow).
    #[serde(default)]
    pub console: ConsoleConfig,
    /// The contract tariffs (see [`ketenpoort_messages::tariff`] and [`crate::tariffs`]):
    /// rows, CSV files and regions; reloaded on SIGHUP.
    #[serde(default)]
    pub tariffs: ketenpoort_messages::tariff::TariffConfig,
    /// The organisation details on the productieverantwoording (`ketenpoort
    /// verantwoording`, the GetOrganisation RPC).
    #[serde(default)]
    pub organisations: OrganisationsConfig,
    /// How the store keeps what it reads in memory.
    #[serde(default)]
    pub store: StoreConfig,
}

/// `[store]`: the memory the store may use for what it reads, whatever the number of
/// messages it holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Which database holds the store: `sled` (embedded, in `server.data_dir`; the
    /// default) or `postgres` (`[store.postgres]`; several replicas may share it).
    pub backend: StoreBackend,
    /// `[store.postgres]`: how to reach the database when `backend = "postgres"`.
    pub postgres: PostgresConfig,
    /// Records of the message history (allocations, claimed lines, requests, claims) kept
    /// in memory once read; default 50,000.
    pub history_cache_entries: usize,
    /// sled's page cache in MiB; default 64.
    pub cache_mb: u64,
    /// The largest store (MiB) that is read through on a copy before it is opened after an
    /// unclean shutdown; a larger one is opened in place with a warning. Default 1024.
    pub verify_copy_max_mb: u64,
    /// `[store.retention]`: how long `ketenpoort prune` keeps the XML and personal data of
    /// finished conversations.
    pub retention: crate::store::retention::Retention,
}

impl Default for StoreConfig {
    fn default() -> Self {
        let o = crate::store::sled_store::Options::default();
        StoreConfig {
            backend: StoreBackend::default(),
            postgres: PostgresConfig::default(),
            history_cache_entries: o.history_cache_entries,
            cache_mb: o.cache_bytes / (1024 * 1024),
            verify_copy_max_mb: o.verify_copy_max_bytes / (1024 * 1024),
            retention: crate::store::retention::Retention::default(),
        }
    }
}

/// `[store] backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    /// sled, embedded: one gateway process, one data directory.
    #[default]
    Sled,
    /// PostgreSQL: one database, any number of gateway replicas.
    Postgres,
}

/// `[store.postgres]`: the database of `backend = "postgres"`. Without `url` the usual
/// libpq environment variables are read (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
/// `PGDATABASE`).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresConfig {
    /// A libpq url or key=value string (`postgres://ketenpoort@db.internal/ketenpoort`). A
    /// password is better given as `PGPASSWORD` than written here.
    pub url: Option<String>,
    /// Connections each gateway keeps at most for reads (the writer has one of its own);
    /// default 16.
    pub pool_size: usize,
    /// The longest one statement may run, in milliseconds (0: no limit); default 30,000.
    pub statement_timeout_ms: u64,
    /// The schema that holds the tables (its `search_path`); default: the database's own
    /// (`public`).
    pub schema: Option<String>,
    /// CA certificates (PEM) the server's certificate must chain to; when given, every
    /// connection is TLS and the server's name is verified (libpq's `verify-full`). Unset:
    /// plain TCP, for a database on the same host or a trusted network.
    pub tls_root_certs: Option<PathBuf>,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        let o = crate::store::postgres::connect::PgOptions::default();
        PostgresConfig {
            url: None,
            pool_size: o.pool_size,
            statement_timeout_ms: u64::try_from(o.statement_timeout.as_millis())
                .unwrap_or(u64::MAX),
            schema: None,
            tls_root_certs: None,
        }
    }
}

impl std::fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("url", &self.url.as_ref().map(|_| "<not shown>"))
            .field("pool_size", &self.pool_size)
            .field("statement_timeout_ms", &self.statement_timeout_ms)
            .field("schema", &self.schema)
            .field("tls_root_certs", &self.tls_root_certs)
            .finish()
    }
}

impl PostgresConfig {
    /// The connection options.
    pub fn options(&self) -> crate::store::postgres::connect::PgOptions {
        use crate::store::postgres::connect::{PgOptions, PgTls};
        PgOptions {
            url: self.url.clone(),
            pool_size: self.pool_size,
            statement_timeout: std::time::Duration::from_millis(self.statement_timeout_ms),
            schema: self.schema.clone(),
            tls: match &self.tls_root_certs {
                Some(root_certs) => PgTls::Verify {
                    root_certs: root_certs.clone(),
                },
                None => PgTls::Off,
            },
        }
    }
}

impl StoreConfig {
    /// The store's open options.
    pub fn options(&self) -> crate::store::sled_store::Options {
        crate::store::sled_store::Options {
            history_cache_entries: self.history_cache_entries,
            cache_bytes: self.cache_mb.saturating_mul(1024 * 1024),
            verify_copy_max_bytes: self.verify_copy_max_mb.saturating_mul(1024 * 1024),
        }
    }
}

/// `[organisations]`: who accounts for the care, for the *Totaalblad* of the
/// productieverantwoording. The details of an AGB code are `per_agb."<AGB>"`, else the
/// calling tenant's `per_tenant."<name>"`, else `default`, else empty.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrganisationsConfig {
    /// For every AGB code without its own.
    pub default: Option<crate::verantwoording::Organisation>,
    /// Per tenant name.
    pub per_tenant: std::collections::BTreeMap<String, crate::verantwoording::Organisation>,
    /// Per AGB code (8 digits).
    pub per_agb: std::collections::BTreeMap<String, crate::verantwoording::Organisation>,
}

impl OrganisationsConfig {
    /// The details for `agb` (empty: none in particular) when `tenant` asks.
    pub fn lookup(&self, tenant: &str, agb: &str) -> crate::verantwoording::Organisation {
        self.per_agb
            .get(agb)
            .or_else(|| self.per_tenant.get(tenant))
            .or(self.default.as_ref())
            .cloned()
            .unwrap_or_default()
    }
}

/// The operator console ([`crate::console`]): its own listener, sign-in per tenant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Listen address. Unset: no console, except in dev mode (127.0.0.1:8090).
    pub listen: Option<SocketAddr>,
    /// Seconds a session may be idle before it ends (default 900: 15 minutes).
    pub idle_timeout_secs: u64,
    /// Serve the console over TLS with the `[tls]` certificate, asking for (not requiring)
    /// client certificates of `[tls] client_ca`, so a tenant can sign in with its
    /// certificate. Default: on when `[tls]` is set.
    pub tls: Option<bool>,
    /// Mark the session cookie `Secure`. Default: when the console is served over TLS; set it
    /// behind a TLS-terminating proxy.
    pub secure_cookie: Option<bool>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            listen: None,
            idle_timeout_secs: 900,
            tls: None,
            secure_cookie: None,
        }
    }
}

/// The console's listen address in dev mode when `[console] listen` is unset.
pub const DEV_CONSOLE_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8090);

/// Listeners and storage.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// gRPC listen address.
    pub grpc_listen: SocketAddr,
    /// Admin HTTP listen address (/healthz, /readyz, /metrics). Keep it on loopback or an
    /// internal network: it has no authentication.
    pub admin_listen: SocketAddr,
    /// The sled store directory.
    pub data_dir: PathBuf,
    /// Accept plaintext gRPC outside dev mode: only behind a TLS-terminating proxy, with
    /// tenants authenticated by API token.
    pub allow_plaintext: bool,
    /// Largest gRPC request accepted, in bytes. A 25 MB claim is a few MB of protobuf.
    pub max_request_bytes: usize,
    /// Dev mode only: the gateway's clock (Dagtekening, "today" of the rules and deadlines)
    /// and the built-in simulator's run this many days ahead of the system clock, to see
    /// what examples and request files do on a later date. 0 (the default): the system
    /// clock. Refused outside dev mode.
    pub dev_clock_offset_days: u32,
    /// Most gRPC connections open at once (default 1024). Lowered by itself to what the
    /// process's open-files limit leaves room for. When full, a new connection takes the
    /// place of the oldest one still in its handshake; with none, it waits in the backlog.
    pub max_connections: usize,
    /// Seconds a new gRPC connection has for its TLS handshake and the HTTP/2 preface
    /// (default 10); then it is closed.
    pub handshake_timeout_secs: u64,
    /// Seconds a gRPC connection may stay open without a call in progress (default 300);
    /// then it is closed and the client connects again when it next calls. 0: never.
    pub idle_timeout_secs: u64,
    /// Seconds between HTTP/2 keepalive pings on a gRPC connection (default 60). 0: none.
    pub keepalive_interval_secs: u64,
    /// Seconds a keepalive ping may go unanswered before the connection is closed (default
    /// 20).
    pub keepalive_timeout_secs: u64,
    /// Most admin HTTP connections open at once (default 64); idle ones are closed after
    /// `handshake_timeout_secs` without a byte.
    pub admin_max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            grpc_listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./ketenpoort-data"),
            allow_plaintext: false,
            max_request_bytes: 64 * 1024 * 1024,
            dev_clock_offset_days: 0,
            max_connections: 1024,
            handshake_timeout_secs: 10,
            idle_timeout_secs: 300,
            keepalive_interval_secs: 60,
            keepalive_timeout_secs: 20,
            admin_max_connections: 64,
        }
    }
}

/// TLS for the gRPC listener (rustls with the ring provider).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Server certificate chain, PEM.
    pub cert: PathBuf,
    /// Server private key, PEM.
    pub key: PathBuf,
    /// CA (PEM) whose client certificates are required (mTLS). Without it, clients are not
    /// asked for a certificate and must authenticate by API token.
    pub client_ca: Option<PathBuf>,
}

/// Values ketenpoort writes into messages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MessagesConfig {
    /// XsdVersie/BasisschemaXsdVersie. Copies of the schemas disagree (0.1.0 vs 1.0.0), so
    /// it is configurable.
    pub basisschema_xsd_versie: String,
    /// XsdVersie/BerichtXsdVersie.
    pub bericht_xsd_versie: String,
    /// Prefix of the header Identificatie and of assigned DeclaratieNummers (letters and
    /// digits, at most 2 characters), so numbers never collide with another system's.
    pub identificatie_prefix: String,
    /// Largest XML payload accepted for VECOZO, in bytes (BRS06). Lower it only in tests.
    pub max_payload_bytes: usize,
    /// Check every submit against the messages sent and received before (the cross-message
    /// rules: a claim against its allocation, a ReferentieNummer used once, …). Turn it off
    /// only while ketenpoort does not yet hold the history, e.g. when a provider moves to it
    /// with allocations that arrived through another channel: every claim against those
    /// would be refused (TR338). The municipality checks these rules in any case.
    pub cross_message_rules: bool,
}

impl Default for MessagesConfig {
    fn default() -> Self {
        Self {
            basisschema_xsd_versie: "1.0.0".into(),
            bericht_xsd_versie: "1.0.0".into(),
            identificatie_prefix: "KP".into(),
            max_payload_bytes: ketenpoort_messages::VECOZO_MAX_PAYLOAD_BYTES,
            cross_message_rules: true,
        }
    }
}

/// Where queued messages go, and the VECOZO connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VecozoConfig {
    /// `simulator` (the built-in ketenpoort-sim, in-process, see [`crate::dev_simulator`]),
    /// `vecozo` (the real client: the outbox worker and the collection loop), `loopback` (a
    /// stand-in that marks messages delivered, see [`crate::loopback`]) or `off` (queue only).
    /// Default: `simulator` in dev mode, `off` otherwise.
    pub mode: Option<VecozoMode>,
    /// `production`, `acceptance`, `test`, `{ simulator = { origin = "https://…" } }` or
    /// `{ custom = { push = "…", pull = "…", status = "…" } }`. Required in `vecozo` mode.
    pub environment: Option<crate::vecozo::environment::Environment>,
    /// The system certificates: `default` and/or `per_agb`, each PKCS#12 (`path` with
    /// `password_env` or `password_file`) or PEM (`cert`, `key`).
    pub identity: crate::vecozo::identity::IdentityConfig,
    /// PEM file with the CAs trusted for VECOZO's server certificate. Required in `vecozo`
    /// mode.
    pub trust_roots: Option<PathBuf>,
    /// Seconds between collection rounds (and the longest a due retry waits for the worker).
    pub poll_interval_secs: u64,
    /// Pushes in flight at once.
    pub max_concurrent_deliveries: usize,
    /// Milliseconds between rounds of the status follower, which asks the status API about
    /// delivered messages until VECOZO reports them `Bezorgd` or `AfgekeurdDoorDienst`.
    pub status_poll_interval_ms: u64,
    /// Status API requests per certificate per round (VECOZO rate-limits per certificate);
    /// a larger backlog is covered over several rounds.
    pub status_requests_per_round: usize,
    /// Hours after the push from which a message whose status VECOZO still does not report
    /// final is no longer followed (with a warning): VECOZO keeps statuses for a limited time,
    /// and a message the municipality never fetches would use the status budget for ever.
    pub status_follow_max_hours: u64,
    /// Envelope values not in the message (rol, berichtstroom overrides).
    pub envelope: crate::vecozo::envelope::EnvelopeSettings,
    /// Backoff between push attempts (`base_ms`, `cap_ms`, `jitter`, `max_retry_after_ms`).
    pub backoff: crate::vecozo::retry::Backoff,
    /// The built-in simulator of mode `simulator`.
    pub simulator: crate::dev_simulator::SimulatorSettings,
    /// Queue the 302 on every collected 301 and the 320 on every collected 319 (OP090: the
    /// provider owes them within 3 working days), in the same store write as the 301/319
    /// (see [`crate::retour`]). `false`: the provider answers them itself through the
    /// `SubmitRetour` RPC, and ketenpoort watches the term (a DeadlineMissed event when it
    /// passes). A tenant's own `auto_answer` overrides this for its AGB codes (see
    /// [`crate::retour::AnswerModes`]). Default `true`.
    pub auto_answer: bool,
    /// Seconds between deadline checks ([`crate::deadline_check`]): expected answers whose
    /// due date is over are reported once as DeadlineMissed. Default 60.
    pub deadline_check_interval_secs: u64,
}

impl Default for VecozoConfig {
    fn default() -> Self {
        Self {
            mode: None,
            environment: None,
            identity: Default::default(),
            trust_roots: None,
            poll_interval_secs: 60,
            max_concurrent_deliveries: 4,
            status_poll_interval_ms: 60_000,
            status_requests_per_round: 50,
            status_follow_max_hours: 14 * 24,
            envelope: Default::default(),
            backoff: Default::default(),
            simulator: Default::default(),
            auto_answer: true,
            deadline_check_interval_secs: 60,
        }
    }
}

/// Where queued messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VecozoMode {
    /// Keep messages queued; send nothing.
    Off,
    /// The loopback stand-in: marks messages delivered. It is not VECOZO.
    Loopback,
    /// The built-in simulator of VECOZO and the municipalities, run in-process, reached
    /// through the same VECOZO client as the real thing (dev mode's default).
    Simulator,
    /// The VECOZO client: push queued messages, collect answers.
    Vecozo,
}

/// One tenant: a caller and the AGB codes it may act for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Name, for logs and metrics (not secret).
    pub name: String,
    /// SHA-256 (hex) of the tenant's API token, sent as `authorization: Bearer <token>`.
    /// `ketenpoort hash-token` prints it. The token itself is never stored.
    #[serde(default)]
    pub api_token_sha256: Option<String>,
    /// SHA-256 (hex) of the DER of the tenant's client certificate (mTLS).
    #[serde(default)]
    pub certificate_sha256: Option<String>,
    /// The AGB codes (8 digits) the tenant may act for.
    #[serde(default)]
    pub agb_codes: Vec<String>,
    /// The tenant may act for every AGB code (the dev tenant; not for production).
    #[serde(default)]
    pub all_agb_codes: bool,
    /// Who answers the 301s and 319s addressed to the tenant's AGB codes: `true` ketenpoort
    /// (the 302/320 queued with the 301/319), `false` the tenant (through `SubmitRetour`).
    /// Unset: `[vecozo] auto_answer`. When tenants that share an AGB code disagree, manual
    /// wins (see [`crate::retour::AnswerModes`]).
    #[serde(default)]
    pub auto_answer: Option<bool>,
}

/// The `KETENPOORT_*` variables that override file values: (variable, section, key, type).
pub const ENV_OVERRIDES: &[(&str, &str, &str, EnvKind)] = &[
    ("KETENPOORT_DEV", "", "dev", EnvKind::Bool),
    (
        "KETENPOORT_SERVER_GRPC_LISTEN",
        "server",
        "grpc_listen",
        EnvKind::Str,
    ),
    (
        "KETENPOORT_SERVER_ADMIN_LISTEN",
        "server",
        "admin_listen",
        EnvKind::Str,
    ),
    (
        "KETENPOORT_SERVER_DATA_DIR",
        "server",
        "data_dir",
        EnvKind::Str,
    ),
    (
        "KETENPOORT_SERVER_ALLOW_PLAINTEXT",
        "server",
        "allow_plaintext",
        EnvKind::Bool,
    ),
    (
        "KETENPOORT_SERVER_MAX_REQUEST_BYTES",
        "server",
        "max_request_bytes",
        EnvKind::Int,
    ),
    (
        "KETENPOORT_SERVER_DEV_CLOCK_OFFSET_DAYS",
        "server",
        "dev_clock_offset_days",
        EnvKind::Int,
    ),
    (
        "KETENPOORT_SERVER_MAX_CONNECTIONS",
        "server",
        "max_connections",
        EnvKind::Int,
    ),
    (
        "KETENPOORT_SERVER_HANDSHAKE_TIMEOUT_SECS",
        "server",
        "handshake_timeout_secs",
        EnvKind::Int,
    ),
    (
        "KETENPOORT_SERVER_IDLE_TIMEOUT_SECS",
        "server",
        "idle_timeout_secs",
        EnvKind::Int,
    ),
    (
        "KETENPOORT_SERVER_KEEPALIVE_INTERVAL_SECS",
        "server",
        "keepalive_interval_secs",
        EnvKind::Int,
    ),
    (
        "KETENPOORT_SERVER_KEEPALIVE_TIMEOUT_SECS",
        "server",
        "keepalive_timeout_secs",
        EnvKind::Int,
    ),
    (
        "KETENPOORT_SERVER_ADMIN_MAX_CONNECTIONS",
        "server",
        "admin_max_connections",
        EnvKind::Int,
    ),
    ("KETENPOORT_TLS_CERT", "tls", "cert", EnvKind::Str),
    ("KETENPOORT_TLS_KEY", "tls", "key", EnvKind::Str),
    ("KETENPOORT_TLS_CLIENT_CA", "tls", "client_ca", EnvKind::Str),
    (
        "KETENPOORT_MESSAGES_BASISSCHEMA_XSD_VERSIE",
        "messages",
        "basisschema_xsd_versie",
        EnvKind::Str,
    ),
    (
        "KETENPOORT_MESSAGES_BERICHT_XSD_VERSIE",
        "messages",
        "bericht_xsd_versie",
        EnvKind::Str,
    ),
    (
        "KETENPOORT_MESSAGES_IDENTIFICATIE_PREFIX",
        "messages",
        "identificatie_prefix",
        EnvKind::Str,
    ),
    (
        "KETENPOORT_MESSAGES_CROSS_MESSAGE_RULES",
        "messages",
        "cross_message_rules",
        EnvKind::Bool,
    ),
    (
        "KETENPOORT_MESSAGES_MAX_PAYLOAD_BYTES",
        "messages",
        "max_payload_bytes",
        EnvKind::Int,
    ),
    ("KETENPOORT_VECOZO_MODE", "vecozo", "mode", EnvKind::Str),
    ("KETENPOORT_STORE_BACKEND", "store", "backend", EnvKind::Str),
    (
        "KETENPOORT_CONSOLE_LISTEN",
        "console",
        "listen",
        EnvKind::Str,
    ),
    (
        "KETENPOORT_CONSOLE_IDLE_TIMEOUT_SECS",
        "console",
        "idle_timeout_secs",
        EnvKind::Int,
    ),
    (
        "KETENPOORT_VECOZO_TRUST_ROOTS",
        "vecozo",
        "trust_roots",
        EnvKind::Str,
    ),
    (
        "KETENPOORT_VECOZO_POLL_INTERVAL_SECS",
        "vecozo",
        "poll_interval_secs",
        EnvKind::Int,
    ),
    (
        "KETENPOORT_VECOZO_MAX_CONCURRENT_DELIVERIES",
        "vecozo",
        "max_concurrent_deliveries",
        EnvKind::Int,
    ),
];

/// Sections whose `KETENPOORT_<SECTION>_*` variables must all be known: a typo is an error,
/// not a silently ignored setting. Other `KETENPOORT_*` variables (used by tests and tools)
/// are left alone.
const ENV_SECTIONS: &[&str] = &[
    "KETENPOORT_SERVER_",
    "KETENPOORT_TLS_",
    "KETENPOORT_MESSAGES_",
    "KETENPOORT_VECOZO_",
    "KETENPOORT_CONSOLE_",
];

/// The type of an environment override's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvKind {
    /// Text.
    Str,
    /// `true` or `false`.
    Bool,
    /// A non-negative whole number.
    Int,
}

/// The API token of the dev tenant: `authorization: Bearer dev`.
pub const DEV_TOKEN: &str = "dev";

impl Config {
    /// The configuration of `ketenpoort serve --dev` without a file.
    pub fn dev() -> Config {
        Config {
            dev: true,
            ..Config::default()
        }
    }

    /// Loads the file (if any), applies `dev`, then the `KETENPOORT_*` overrides from `env`
    /// (pass `std::env::vars()`), and checks the result.
    pub fn load(
        path: Option<&Path>,
        dev: bool,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_owned(),
                    source,
                })?;
                parse_table(&text, Some(p))?
            }
            None => toml::Table::new(),
        };
        apply_env(&mut table, env)?;
        let mut config = Config::from_table(table, path)?;
        config.dev |= dev;
        config.check()?;
        Ok(config)
    }

    /// Parses a TOML text (no environment overrides) and checks it.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config = Config::from_table(parse_table(text, None)?, None)?;
        config.check()?;
        Ok(config)
    }

    fn from_table(table: toml::Table, path: Option<&Path>) -> Result<Config, ConfigError> {
        Config::deserialize(table).map_err(|e| ConfigError::Parse {
            path: path.map(Path::to_owned),
            message: e.to_string(),
        })
    }

    /// Where queued messages go, with the dev-mode default applied.
    pub fn vecozo_mode(&self) -> VecozoMode {
        self.vecozo.mode.unwrap_or(if self.dev {
            VecozoMode::Simulator
        } else {
            VecozoMode::Off
        })
    }

    /// Where the operator console listens: `[console] listen`, in dev mode 127.0.0.1:8090
    /// when unset; `None`: no console.
    pub fn console_listen(&self) -> Option<SocketAddr> {
        self.console
            .listen
            .or(self.dev.then_some(DEV_CONSOLE_LISTEN))
    }

    /// Whether the console is served over TLS (`[console] tls`, default: `[tls]` is set).
    pub fn console_tls(&self) -> bool {
        self.console.tls.unwrap_or(self.tls.is_some())
    }

    /// The tariff configuration in force: `[tariffs]`, or in dev mode without one the dev
    /// table ([`crate::tariffs::dev_tariffs`]).
    pub fn effective_tariffs(&self) -> ketenpoort_messages::tariff::TariffConfig {
        if self.dev && self.tariffs.is_empty() {
            crate::tariffs::dev_tariffs()
        } else {
            self.tariffs.clone()
        }
    }

    /// The tenants in force: the configured ones, plus the dev tenant in dev mode.
    pub fn effective_tenants(&self) -> Vec<TenantConfig> {
        let mut tenants = self.tenants.clone();
        if self.dev {
            tenants.push(TenantConfig {
                name: "dev".into(),
                api_token_sha256: Some(crate::tenant::token_digest(DEV_TOKEN)),
                certificate_sha256: None,
                agb_codes: Vec::new(),
                all_agb_codes: true,
                auto_answer: None,
            });
        }
        tenants
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |key: String, message: &str| ConfigError::Invalid {
            key,
            message: message.to_owned(),
        };
        for agb in self.organisations.per_agb.keys() {
            if agb.len() != 8 || !agb.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(
                    format!("organisations.per_agb.{agb:?}"),
                    "is not an AGB code (8 digits)",
                ));
            }
        }
        for name in self.organisations.per_tenant.keys() {
            if !self.tenants.iter().any(|t| &t.name == name) {
                return Err(invalid(
                    format!("organisations.per_tenant.{name:?}"),
                    "names no tenant of [[tenants]]",
                ));
            }
        }
        for (key, value) in [
            ("server.max_connections", self.server.max_connections as u64),
            (
                "server.admin_max_connections",
                self.server.admin_max_connections as u64,
            ),
            (
                "server.handshake_timeout_secs",
                self.server.handshake_timeout_secs,
            ),
            (
                "server.keepalive_timeout_secs",
                self.server.keepalive_timeout_secs,
            ),
            (
                "store.postgres.pool_size",
                self.store.postgres.pool_size as u64,
            ),
        ] {
            if value == 0 {
                return Err(invalid(key.into(), "must be at least 1"));
            }
        }
        if let Err(message) = self.store.retention.check() {
            return Err(invalid("store.retention.xml_years".into(), &message));
        }
        if self.server.dev_clock_offset_days != 0 && !self.dev {
            return Err(invalid(
                "server.dev_clock_offset_days".into(),
                "moves the gateway's clock, which only dev mode allows",
            ));
        }
        for (key, v) in [
            (
                "messages.basisschema_xsd_versie",
                &self.messages.basisschema_xsd_versie,
            ),
            (
                "messages.bericht_xsd_versie",
                &self.messages.bericht_xsd_versie,
            ),
        ] {
            let parts: Vec<&str> = v.split('.').collect();
            if parts.len() != 3
                || parts
                    .iter()
                    .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(invalid(key.into(), "must be a version n.n.n, e.g. 1.0.0"));
            }
        }
        let prefix = &self.messages.identificatie_prefix;
        if prefix.len() > 2 || !prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid(
                "messages.identificatie_prefix".into(),
                "must be at most 2 letters or digits",
            ));
        }
        if self.messages.max_payload_bytes == 0 {
            return Err(invalid(
                "messages.max_payload_bytes".into(),
                "must be more than 0",
            ));
        }
        for (i, t) in self.tenants.iter().enumerate() {
            if t.api_token_sha256.is_none() && t.certificate_sha256.is_none() {
                return Err(invalid(
                    format!("tenants[{i}]"),
                    "needs api_token_sha256 or certificate_sha256",
                ));
            }
            for (field, digest) in [
                ("api_token_sha256", &t.api_token_sha256),
                ("certificate_sha256", &t.certificate_sha256),
            ] {
                if let Some(d) = digest
                    && (d.len() != 64 || !d.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    return Err(invalid(
                        format!("tenants[{i}].{field}"),
                        "must be 64 hexadecimal characters (a SHA-256)",
                    ));
                }
            }
            if t.agb_codes
                .iter()
                .any(|a| a.len() != 8 || !a.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(invalid(
                    format!("tenants[{i}].agb_codes"),
                    "every AGB code must be 8 digits",
                ));
            }
            if t.all_agb_codes && !self.dev {
                return Err(invalid(
                    format!("tenants[{i}].all_agb_codes"),
                    "is only allowed in dev mode",
                ));
            }
        }
        if !self.dev {
            if self.tenants.is_empty() {
                return Err(invalid(
                    "tenants".into(),
                    "at least one tenant is needed outside dev mode",
                ));
            }
            if self.tls.is_none() && !self.server.allow_plaintext {
                return Err(invalid(
                    "tls".into(),
                    "TLS is required outside dev mode (or set server.allow_plaintext behind a \
                     TLS-terminating proxy)",
                ));
            }
        }
        if self.vecozo_mode() == VecozoMode::Vecozo {
            if self.vecozo.environment.is_none() {
                return Err(invalid(
                    "vecozo.environment".into(),
                    "is required when vecozo.mode = \"vecozo\"",
                ));
            }
            if self.vecozo.trust_roots.is_none() {
                return Err(invalid(
                    "vecozo.trust_roots".into(),
                    "is required when vecozo.mode = \"vecozo\"",
                ));
            }
            if self.vecozo.identity.default.is_none() && self.vecozo.identity.per_agb.is_empty() {
                return Err(invalid(
                    "vecozo.identity".into(),
                    "needs a default or per_agb certificate when vecozo.mode = \"vecozo\"",
                ));
            }
        }
        if self.console.idle_timeout_secs == 0 {
            return Err(invalid(
                "console.idle_timeout_secs".into(),
                "must be more than 0",
            ));
        }
        if self.console_listen().is_some() {
            if self.console.tls == Some(true) && self.tls.is_none() {
                return Err(invalid(
                    "console.tls".into(),
                    "needs the certificate of [tls]",
                ));
            }
            if !self.dev && !self.console_tls() && !self.server.allow_plaintext {
                return Err(invalid(
                    "console.tls".into(),
                    "the console needs TLS outside dev mode (or server.allow_plaintext behind a \
                     TLS-terminating proxy, with console.secure_cookie = true)",
                ));
            }
        }
        if self.vecozo.poll_interval_secs == 0 {
            return Err(invalid(
                "vecozo.poll_interval_secs".into(),
                "must be more than 0",
            ));
        }
        if self.vecozo.max_concurrent_deliveries == 0 {
            return Err(invalid(
                "vecozo.max_concurrent_deliveries".into(),
                "must be more than 0",
            ));
        }
        if self.vecozo.status_poll_interval_ms == 0 {
            return Err(invalid(
                "vecozo.status_poll_interval_ms".into(),
                "must be more than 0",
            ));
        }
        if self.vecozo.status_follow_max_hours == 0 {
            return Err(invalid(
                "vecozo.status_follow_max_hours".into(),
                "must be more than 0",
            ));
        }
        if self.vecozo.status_requests_per_round == 0 {
            return Err(invalid(
                "vecozo.status_requests_per_round".into(),
                "must be more than 0",
            ));
        }
        Ok(())
    }
}

fn parse_table(text: &str, path: Option<&Path>) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>().map_err(|e| ConfigError::Parse {
        path: path.map(Path::to_owned),
        message: e.to_string(),
    })
}

fn apply_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    for (key, value) in env {
        if !key.starts_with("KETENPOORT_") {
            continue;
        }
        let Some(&(_, section, name, kind)) = ENV_OVERRIDES.iter().find(|o| o.0 == key) else {
            if ENV_SECTIONS.iter().any(|s| key.starts_with(s)) {
                return Err(ConfigError::Env {
                    key,
                    message: "unknown setting (see ENV_OVERRIDES in the config docs)".into(),
                });
            }
            continue;
        };
        let v = match kind {
            EnvKind::Str => toml::Value::String(value),
            EnvKind::Bool => match value.as_str() {
                "true" | "1" => toml::Value::Boolean(true),
                "false" | "0" => toml::Value::Boolean(false),
                _ => {
                    return Err(ConfigError::Env {
                        key,
                        message: "must be true or false".into(),
                    });
                }
            },
            EnvKind::Int => match value.parse::<i64>() {
                Ok(n) if n >= 0 => toml::Value::Integer(n),
                _ => {
                    return Err(ConfigError::Env {
                        key,
                        message: "must be a non-negative whole number".into(),
                    });
                }
            },
        };
        if section.is_empty() {
            table.insert(name.into(), v);
            continue;
        }
        let entry = table
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        match entry {
            toml::Value::Table(t) => {
                t.insert(name.into(), v);
            }
            _ => {
                return Err(ConfigError::Env {
                    key,
                    message: format!("the file's `{section}` is not a table"),
                });
            }
        }
    }
    Ok(())
}
