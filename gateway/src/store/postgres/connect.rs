//! Connecting: [`PgOptions`] (a url or the usual `PG*` environment variables, a pool size,
//! a statement timeout and TLS) to a pool of connections ([`connect`]).
//!
//! TLS ([`PgTls::Verify`]) is rustls with ring, as everywhere else in the project: the
//! connection is encrypted or not made (libpq's `sslmode=verify-full`), the server's
//! certificate must chain to the given trust roots and name the host connected to. There is
//! no "encrypt without verifying" mode: it protects against nobody who can intercept. To
//! reach a server by address while verifying its name, give the name as `host` and the
//! address as `hostaddr` in the url.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::PgError;

/// Connections the pool keeps at most, by default.
pub const DEFAULT_POOL_SIZE: usize = 16;
/// How long one statement may run, by default.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long opening one connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to reach the database. `Debug` does not show the url (it may hold a password).
#[derive(Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// A libpq-style url or key=value string (`postgres://user@host:5432/db`); `None`: the
    /// `PG*` environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).
    pub url: Option<String>,
    /// Connections the pool keeps at most (at least one).
    pub pool_size: usize,
    /// `statement_timeout` of every connection (whole milliseconds; zero: none).
    pub statement_timeout: Duration,
    /// The schema the tables live in, set as every connection's `search_path`; `None`: the
    /// database's default (`public`).
    pub schema: Option<String>,
    /// Whether connections use TLS.
    pub tls: PgTls,
}

/// TLS to the database.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PgTls {
    /// Plain TCP (or a Unix socket): for a database on the same host or a trusted network.
    /// Any `sslmode` in the url is overridden to `disable`.
    #[default]
    Off,
    /// TLS required, the server's certificate verified against `root_certs` (PEM, one or
    /// more CA certificates) and for the host name connected to.
    Verify {
        /// The trusted CA certificates, PEM.
        root_certs: PathBuf,
    },
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            url: None,
            pool_size: DEFAULT_POOL_SIZE,
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
            schema: None,
            tls: PgTls::Off,
        }
    }
}

impl fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgOptions")
            .field("url", &self.url.as_ref().map(|_| "<not shown>"))
            .field("pool_size", &self.pool_size)
            .field("statement_timeout", &self.statement_timeout)
            .field("schema", &self.schema)
            .field("tls", &self.tls)
            .finish()
    }
}

impl PgOptions {
    /// The driver's configuration: the url, or the process's `PG*` environment variables.
    pub fn pg_config(&self) -> Result<tokio_postgres::Config, PgError> {
        self.pg_config_with(|name| std::env::var(name).ok())
    }

    /// As [`PgOptions::pg_config`], with `env` in place of the process environment.
    pub fn pg_config_with(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<tokio_postgres::Config, PgError> {
        let mut config = match &self.url {
            Some(url) => url
                .parse::<tokio_postgres::Config>()
                .map_err(|_| PgError::Url)?,
            None => from_env(&env)?,
        };
        if config.get_application_name().is_none() {
            config.application_name("ketenpoort");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let mut options = config.get_options().unwrap_or_default().to_owned();
        let millis = self.statement_timeout.as_millis();
        options.push_str(&format!(" -c statement_timeout={millis}"));
        if let Some(schema) = &self.schema {
            check_schema(schema)?;
            options.push_str(&format!(" -c search_path={schema}"));
        }
        config.options(options.trim_start());
        config.ssl_mode(match self.tls {
            PgTls::Off => SslMode::Disable,
            PgTls::Verify { .. } => SslMode::Require,
        });
        Ok(config)
    }

    /// The rustls connector of [`PgTls::Verify`]; `None` for [`PgTls::Off`].
    pub fn tls_connector(&self) -> Result<Option<MakeRustlsConnect>, PgError> {
        let PgTls::Verify { root_certs } = &self.tls else {
            return Ok(None);
        };
        let roots = crate::vecozo::identity::trust_roots_from_file(root_certs)
            .map_err(|e| PgError::Tls(e.to_string()))?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| PgError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Some(MakeRustlsConnect::new(config)))
    }
}

/// A configuration from the `PG*` variables, with libpq's defaults for what is unset (host
/// `localhost`, port 5432, user `$USER`, database named as the user).
fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<tokio_postgres::Config, PgError> {
    let mut config = tokio_postgres::Config::new();
    config.host(env("PGHOST").as_deref().unwrap_or("localhost"));
    let port = match env("PGPORT") {
        Some(port) => port.trim().parse::<u16>().map_err(|_| PgError::Env {
            var: "PGPORT",
            reason: format!("{port:?} is not a port number"),
        })?,
        None => 5432,
    };
    config.port(port);
    let user = env("PGUSER")
        .or_else(|| env("USER"))
        .unwrap_or_else(|| "postgres".to_owned());
    if let Some(password) = env("PGPASSWORD") {
        config.password(password);
    }
    config.dbname(env("PGDATABASE").as_deref().unwrap_or(&user));
    config.user(&user);
    Ok(config)
}

/// Accepts a plain lower-case identifier (it is put into a connection option unquoted).
fn check_schema(schema: &str) -> Result<(), PgError> {
    let mut chars = schema.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && schema.len() <= 63 {
        Ok(())
    } else {
        Err(PgError::Schema(schema.to_owned()))
    }
}

/// A pool for `options`, with one connection opened and checked out once, so that an
/// unreachable database is reported here and not at the first write.
pub async fn connect(options: &PgOptions) -> Result<Pool, PgError> {
    let config = options.pg_config()?;
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match options.tls_connector()? {
        None => Manager::from_config(config, NoTls, manager_config),
        Some(tls) => Manager::from_config(config, tls, manager_config),
    };
    let pool = Pool::builder(manager)
        .max_size(options.pool_size.max(1))
        .runtime(Runtime::Tokio1)
        .create_timeout(Some(CONNECT_TIMEOUT))
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| PgError::Pool(e.to_string()))?;
    drop(pool.get().await?);
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_pg_variables_are_read_without_a_url() -> Result<(), PgError> {
        let vars = [
            ("PGHOST", "db.example"),
            ("PGPORT", "6543"),
            ("PGUSER", "gateway"),
            ("PGPASSWORD", "pw"),
            ("PGDATABASE", "chain"),
        ];
        let config = PgOptions::default().pg_config_with(env(&vars))?;
        assert_eq!(
            config.get_hosts(),
            &[tokio_postgres::config::Host::Tcp("db.example".into())]
        );
        assert_eq!(config.get_ports(), &[6543]);
        assert_eq!(config.get_user(), Some("gateway"));
        assert_eq!(config.get_password(), Some(&b"pw"[..]));
        assert_eq!(config.get_dbname(), Some("chain"));
        Ok(())
    }

    #[test]
    fn unset_variables_take_libpqs_defaults() -> Result<(), PgError> {
        let config = PgOptions::default().pg_config_with(env(&[("USER", "ops")]))?;
        assert_eq!(
            config.get_hosts(),
            &[tokio_postgres::config::Host::Tcp("localhost".into())]
        );
        assert_eq!(config.get_ports(), &[5432]);
        assert_eq!(config.get_user(), Some("ops"));
        assert_eq!(config.get_dbname(), Some("ops"));
        assert_eq!(config.get_password(), None);
        Ok(())
    }

    #[test]
    fn a_bad_port_names_the_variable() {
        let err = PgOptions::default().pg_config_with(env(&[("PGPORT", "fifty")]));
        assert!(
            matches!(&err, Err(PgError::Env { var: "PGPORT", .. })),
            "{err:?}"
        );
    }

    #[test]
    fn statement_timeout_and_schema_are_connection_options() -> Result<(), PgError> {
        let options = PgOptions {
            url: Some("postgres://u@h/d?options=-c%20work_mem%3D8MB".into()),
            statement_timeout: Duration::from_millis(2500),
            schema: Some("kp_test_1".into()),
            ..PgOptions::default()
        };
        let config = options.pg_config_with(env(&[]))?;
        assert_eq!(
            config.get_options(),
            Some("-c work_mem=8MB -c statement_timeout=2500 -c search_path=kp_test_1")
        );
        Ok(())
    }

    #[test]
    fn a_schema_that_is_not_a_plain_identifier_is_refused() {
        for bad in ["", "Kp", "a b", "a,public", "1abc", "a\\ b"] {
            let options = PgOptions {
                url: Some("postgres://u@h/d".into()),
                schema: Some(bad.into()),
                ..PgOptions::default()
            };
            assert!(
                matches!(options.pg_config_with(env(&[])), Err(PgError::Schema(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn neither_debug_nor_a_url_error_shows_the_password() {
        let options = PgOptions {
            url: Some("postgres://u:hunter2-secret@h:notaport/d".into()),
            ..PgOptions::default()
        };
        assert!(!format!("{options:?}").contains("hunter2-secret"));
        let err = options.pg_config_with(env(&[]));
        assert!(matches!(&err, Err(PgError::Url)), "{err:?}");
        if let Err(err) = err {
            assert!(!err.to_string().contains("hunter2-secret"));
            assert!(!format!("{err:?}").contains("hunter2-secret"));
        }
    }
}
