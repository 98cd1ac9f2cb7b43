//! What the client commands (`submit`, `status`, `returns`, `outbox`, `report`) share: the
//! connection flags, the connection itself (through the Rust SDK, `ketenpoort-client`), and
//! small output helpers.
//!
//! Exit codes of the client commands: 0 success, 1 the gateway refused something (a
//! rejected submit, an unknown message id), 2 usage, file or connection errors.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use ketenpoort_client::{Client, Config, DEV_TOKEN, TlsConfig, proto};

/// Exit code: everything done.
pub const EXIT_OK: u8 = 0;
/// Exit code: the gateway refused something (rejected submit, unknown id).
pub const EXIT_REFUSED: u8 = 1;
/// Exit code: usage, file or connection error.
pub const EXIT_ERROR: u8 = 2;

/// How to reach the gateway; shared by every client command.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// The gateway's gRPC URL: `http://…` (dev mode, or behind a TLS-terminating proxy) or
    /// `https://…` (then `--ca` is needed).
    #[arg(
        long,
        value_name = "URL",
        env = "KETENPOORT_GATEWAY",
        default_value = "http://127.0.0.1:50051"
    )]
    pub gateway: String,
    /// API token, sent as `authorization: Bearer TOKEN`. Prefer the environment variable:
    /// other users can read command lines. Default: `dev` (the token of `serve --dev`), or
    /// none when `--cert` is given.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "KETENPOORT_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// CA certificate(s) (PEM) that signed the gateway's server certificate.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS, when the gateway knows the tenant by
    /// certificate; with `--key`.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of `--cert`.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// The name to check the server certificate against, when it is not the URL's host.
    #[arg(long, value_name = "NAME")]
    pub tls_domain: Option<String>,
    /// Deadline of each call in seconds (retried calls get it per attempt).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
}

impl ConnectArgs {
    /// The SDK configuration these flags describe; the error is for the operator.
    pub fn config(&self) -> Result<Config, String> {
        let read = |what: &str, p: &PathBuf| {
            std::fs::read(p).map_err(|e| format!("cannot read {what} {}: {e}", p.display()))
        };
        let mut config =
            Config::new(self.gateway.clone()).timeout(Duration::from_secs(self.timeout.max(1)));
        config.connect_timeout = Duration::from_secs(self.timeout.clamp(1, 10));
        match (&self.token, &self.cert) {
            (Some(t), _) => config = config.token(t.clone()),
            (None, None) => config = config.token(DEV_TOKEN),
            (None, Some(_)) => {}
        }
        let https = self.gateway.starts_with("https://");
        if https || self.ca.is_some() || self.cert.is_some() {
            let Some(ca) = &self.ca else {
                return Err(format!(
                    "{} needs --ca (the CA certificate of the gateway's server certificate)",
                    if https {
                        "an https:// gateway"
                    } else {
                        "--cert"
                    }
                ));
            };
            let mut tls = TlsConfig {
                ca_pem: read("the CA certificate", ca)?,
                domain_name: self.tls_domain.clone(),
                ..TlsConfig::default()
            };
            if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
                tls.client_cert_pem = Some(read("the client certificate", cert)?);
                tls.client_key_pem = Some(read("the client key", key)?);
            }
            if !https {
                return Err("--ca and --cert need an https:// gateway URL".into());
            }
            config = config.tls(tls);
        }
        Ok(config)
    }

    /// Connects; the error is for the operator.
    pub async fn connect(&self) -> Result<Client, String> {
        let config = self.config()?;
        Client::connect(config)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", self.gateway))
    }
}

/// A runtime for one client command.
pub fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Writes `ketenpoort COMMAND: MESSAGE` to `err` and returns [`EXIT_ERROR`].
pub fn fail(err: &mut impl Write, command: &str, message: &str) -> io::Result<u8> {
    writeln!(err, "ketenpoort {command}: {message}")?;
    Ok(EXIT_ERROR)
}

/// The state as it is written for people and in JSON: `QUEUED`, `DELIVERED`,
/// `REJECTED_BY_VECOZO`, `ANSWERED`, `DEADLINE_MISSED` (the proto name without its prefix).
pub fn state_name(state: i32) -> String {
    match proto::MessageState::try_from(state) {
        Ok(s) => s
            .as_str_name()
            .trim_start_matches("MESSAGE_STATE_")
            .to_owned(),
        Err(_) => format!("STATE_{state}"),
    }
}

/// A timestamp as RFC 3339 in UTC (`2025-04-02T12:00:00.000Z`); empty when absent.
pub fn time(t: Option<&prost_types::Timestamp>) -> String {
    t.and_then(|t| {
        let nanos = u32::try_from(t.nanos).ok()?;
        chrono::DateTime::from_timestamp(t.seconds, nanos)
    })
    .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    .unwrap_or_default()
}
