//! `ketenpoort-sim`: the command line of the VECOZO + municipality simulator.
//!
//! ```text
//! ketenpoort-sim serve --listen 127.0.0.1:8443 --pki ./sim-pki --scenario scenario.toml --dump-dir ./dump
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use ketenpoort_sim::Scenario;
use ketenpoort_sim::server::{self, Config};

/// Simulator of VECOZO VSP-Koppeling (REST push/pull/status over mutual TLS) for iJw/iWmo 3.2.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the simulated VECOZO over HTTPS with required client certificates, with the
    /// municipality bot answering what providers send (see the scenario's [gemeentebot]).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// Directory of the development PKI; generated on first start (CA, server and
        /// client certificates as PEM and PKCS#12).
        #[arg(long, default_value = "sim-pki")]
        pki: PathBuf,
        /// Scenario file (TOML); default: the built-in well-run municipality
        /// (scenario.example.toml).
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Directory to write every accepted payload to.
        #[arg(long)]
        dump_dir: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Colour only on a terminal, and never with NO_COLOR (https://no-color.org): a log
    // redirected to a file stays plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(colour)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            listen,
            pki,
            scenario,
            dump_dir,
        } => {
            let scenario = match &scenario {
                Some(path) => Scenario::load(path)
                    .with_context(|| format!("loading scenario {}", path.display()))?,
                None => Scenario::default(),
            };
            let config =
                Config::new(scenario, &pki, dump_dir).context("preparing the simulator")?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            let local = listener.local_addr().context("local address")?;
            tracing::info!(
                %local,
                pki = %pki.display(),
                "ketenpoort-sim listening: push https://{local}/berichtenservice/berichten/rest-push/v1, pull https://{local}/berichtenservice/berichten/rest-pull/v1, status https://{local}/berichtenservice/berichtstatus/rest-pull/v3"
            );
            server::run(listener, config, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("serving")?;
            Ok(())
        }
    }
}
