//! `ketenpoort serve [--dev] [--init] [--config FILE]`: runs the gateway until SIGINT or
//! SIGTERM. The first start of a production gateway passes `--init` to create its store;
//! dev mode creates one on a new directory by itself (see [`crate::store::open`]).
//!
//! `--dev` serves plaintext gRPC on 127.0.0.1:50051 with a dev tenant (token `dev`) that may
//! act for every AGB code, data in `./ketenpoort-data`, the loopback stand-in as its VECOZO
//! and the admin endpoint on 127.0.0.1:8080. Without `--dev` a configuration file with
//! tenants and TLS is needed (see `ketenpoort.example.toml`).
//!
//! Once both listeners are bound, `serve` writes two lines to stdout and nothing else ever:
//! `listening on ADDR` (gRPC) and `admin listening on ADDR`; with the operator console on
//! (`[console] listen`, dev mode 127.0.0.1:8090) a third, `console listening on ADDR`, between
//! them. With a port of 0 in the configuration the system picks a free port, and these lines
//! are how a supervisor or a test learns it; until the first line appears the gateway does not
//! accept connections.

use std::io::{self, Write};
use std::path::PathBuf;

use crate::config::Config;
use crate::server::Gateway;

/// Arguments of `ketenpoort serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Development mode: plaintext gRPC on 127.0.0.1:50051, tenant token `dev` for every
    /// AGB code, loopback stand-in for VECOZO. Never with real data.
    #[arg(long)]
    pub dev: bool,
    /// Create the store in `server.data_dir` if there is none (the first start). Without it
    /// (and without dev mode) `serve` refuses a directory that holds no store, so that a
    /// store that lost its files is never replaced by an empty one unnoticed.
    #[arg(long)]
    pub init: bool,
    /// Configuration file (TOML); `KETENPOORT_*` environment variables override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The exit code when the gateway cannot start or stops with an error.
pub const EXIT_CODE_ERROR: u8 = 2;

/// Loads the configuration, starts the gateway and serves until a stop signal. The bound
/// addresses are written to `out` (see the module docs), problems to `err`; the result is the
/// exit code (0 after a clean stop).
pub fn run(args: &ServeArgs, out: &mut impl Write, err: &mut impl Write) -> io::Result<u8> {
    let config = match Config::load(args.config.as_deref(), args.dev, std::env::vars()) {
        Ok(mut c) => {
            c.store_must_exist = !(c.dev || args.init);
            c
        }
        Err(e) => {
            writeln!(err, "ketenpoort serve: {e}")?;
            return Ok(EXIT_CODE_ERROR);
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "ketenpoort serve: could not start the runtime: {e}")?;
            return Ok(EXIT_CODE_ERROR);
        }
    };
    let result: Result<(), String> = runtime.block_on(async {
        let stop = stop_signal();
        let mut gateway = Gateway::open(config.clone()).map_err(|e| e.to_string())?;
        let grpc = tokio::net::TcpListener::bind(config.server.grpc_listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.server.grpc_listen))?;
        let admin = tokio::net::TcpListener::bind(config.server.admin_listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.server.admin_listen))?;
        let bound = |l: &tokio::net::TcpListener| {
            l.local_addr()
                .map_err(|e| format!("cannot read the bound address: {e}"))
        };
        let console = match config.console_listen() {
            Some(addr) => Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|e| format!("cannot listen on {addr} (console): {e}"))?,
            ),
            None => None,
        };
        let console_addr = console.as_ref().map(bound).transpose()?;
        if let Some(listener) = console {
            gateway = gateway.with_console(listener);
        }
        let (grpc_addr, admin_addr) = (bound(&grpc)?, bound(&admin)?);
        tracing::info!(addr = %admin_addr, "admin HTTP listening");
        // A reader that went away does not stop the gateway.
        let _ = writeln!(out, "listening on {grpc_addr}")
            .and_then(|()| match console_addr {
                Some(addr) => writeln!(out, "console listening on {addr}"),
                None => Ok(()),
            })
            .and_then(|()| writeln!(out, "admin listening on {admin_addr}"))
            .and_then(|()| out.flush());
        gateway
            .serve(grpc, Some(admin), stop)
            .await
            .map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => Ok(0),
        Err(e) => {
            writeln!(err, "ketenpoort serve: {e}")?;
            Ok(EXIT_CODE_ERROR)
        }
    }
}

/// Logs to stderr, in colour only on a terminal without `NO_COLOR` ([`colour`]); the level
/// comes from `RUST_LOG` as `target=level` pairs (default info).
fn init_logging() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<tracing_subscriber::filter::Targets>().ok())
        .unwrap_or_else(|| {
            tracing_subscriber::filter::Targets::new()
                .with_default(tracing::Level::INFO)
                .with_target("sled", tracing::Level::WARN)
        });
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(io::stderr)
                .with_ansi(colour(
                    io::IsTerminal::is_terminal(&io::stderr()),
                    std::env::var_os("NO_COLOR"),
                )),
        )
        .with(filter)
        .try_init();
}

/// Whether log lines get ANSI colours: only on a terminal, and not when `NO_COLOR` is set to
/// anything but the empty string (<https://no-color.org>).
pub fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when
/// this is called, not when the future is first polled: a signal that comes right after
/// `listening on` was printed (a supervisor, a script, a test) then stops the gateway
/// cleanly instead of killing it.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(interrupt) => {},
                _ = wait(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("stop signal received");
    }
}

#[cfg(test)]
mod tests {
    use super::colour;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(
            colour(true, Some("".into())),
            "an empty NO_COLOR does not count"
        );
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
        assert!(!colour(false, Some("1".into())));
    }
}
