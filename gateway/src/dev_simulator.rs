//! Mode `simulator`: the built-in ketenpoort-sim (VECOZO's push, pull and status APIs plus a
//! municipality bot) run in-process on a loopback port, and reached through the same VECOZO
//! client, outbox worker and collection loop as the real VECOZO. It is dev mode's default.
//!
//! On first start [`start`] generates a development PKI in the simulator directory (default
//! `<data_dir>/simulator`): a CA, a server certificate and a PKCS#12 system certificate per
//! submitting party of the scenario, with the PKCS#12 password in `pkcs12-password`. Later
//! starts reuse them. The gateway then uses, as its `[vecozo]` settings: the simulator's
//! origin, its CA as trust root, the certificate of each provider with its own
//! (`per_agb`), the first software vendor's certificate for every other AGB code
//! (`default`), and a collection round every second.
//!
//! The default scenario is the simulator's example (providers 12345678 and 87654321, vendor
//! `softwarehuis` for 11223344 and 12345678, municipalities 0268, 1945 and 0209) with the
//! gateway's tariff table (in dev mode without `[tariffs]`: [`crate::tariffs::dev_tariffs`],
//! so that the municipality judges amounts as the gateway does) and fast timings: the
//! ketencontrole takes about one second and the municipality bot answers at once, so a 316
//! and a 301 arrive two to three seconds after a 315 ([`dev_scenario`]). Other AGB codes and
//! municipality codes are refused the way VECOZO refuses them (BRS03/BRS04/BRS05): give a
//! scenario file (`[vecozo.simulator] scenario`) to add them.
//!
//! Allocation numbers (ToewijzingNummer) are predictable per data directory: the first 301
//! a data directory ever gets allocates 100000001, the next 100000002, and so on across
//! restarts. The simulator itself keeps nothing across restarts, so the numbering lives in
//! `<simulator dir>/next-allocation` ([`first_allocation_number`]): a clean stop writes the
//! number the bot would hand out next, and a start continues there. A start first writes a
//! reservation a million numbers further, so that after a crash (no clean stop) the next
//! start skips every number the crashed one may have handed out, and numbers stay unique
//! in the gateway's store. The Identificatie of the bot's messages continues the same way
//! (`next-identificatie`): the gateway takes a 301 whose Identificatie it has seen from the
//! same municipality for a redelivery, and would not learn its allocation.
//!
//! `[server] dev_clock_offset_days` moves the simulator's clock ahead with the gateway's.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::{Config, VecozoConfig, VecozoMode};
use crate::error::Error;
use crate::vecozo::environment::Environment;
use crate::vecozo::identity::CertificateSource;

/// `[vecozo.simulator]`: the built-in simulator of mode `simulator`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulatorSettings {
    /// Scenario file (see `simulator/scenario.example.toml`); default: the example with the
    /// fast dev timings described in [`crate::dev_simulator`].
    pub scenario: Option<PathBuf>,
    /// Directory of the simulator's PKI; default `<data_dir>/simulator`.
    pub dir: Option<PathBuf>,
    /// Where the simulator listens (HTTPS, mutual TLS); default 127.0.0.1 on a free port.
    pub listen: SocketAddr,
    /// A directory to write every payload the simulator accepts to.
    pub dump_dir: Option<PathBuf>,
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        SimulatorSettings {
            scenario: None,
            dir: None,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            dump_dir: None,
        }
    }
}

/// Name of the file in the simulator directory that holds the PKCS#12 password.
pub const PASSWORD_FILE: &str = "pkcs12-password";

/// The default dev scenario: the simulator's example with fast timings. The ketencontrole
/// starts at once and takes one second, and a message is offered and picked up at once: a
/// 315's 316 and 301 are ready about two seconds after the push (one second for the 315,
/// one for the answer), so the answer never comes with the push's acknowledgement, and the
/// collection loop (one round a second) has them within three. (It was four one-second steps
/// each way, about seven seconds a round trip: the wait that dominated the dev-mode tests.)
pub fn dev_scenario() -> ketenpoort_sim::Scenario {
    let mut s = ketenpoort_sim::Scenario::default();
    s.ketencontrole.start_after_seconds = 0;
    s.ketencontrole.duration_seconds = 1;
    s.ketencontrole.offer_after_seconds = 0;
    s.ketencontrole.gemeente_pickup_seconds = 0;
    s.gemeentebot.retour_werkdagen = 0;
    s.gemeentebot.toewijzing_werkdagen = 0;
    s.gemeentebot.declaratie_werkdagen = 0;
    s
}

fn server_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Server(format!("built-in simulator: {what}: {e}"))
}

/// Starts the simulator for `config` (mode `simulator`) as a task in `tasks` that runs until
/// `stopping` turns true, and returns the `[vecozo]` settings (mode `vecozo`) that reach it.
pub async fn start(
    config: &Config,
    mut stopping: watch::Receiver<bool>,
    tasks: &mut JoinSet<()>,
) -> Result<VecozoConfig, Error> {
    let settings = &config.vecozo.simulator;
    let scenario = match &settings.scenario {
        Some(path) => ketenpoort_sim::Scenario::load(path)
            .map_err(|e| server_error(&format!("scenario {}", path.display()), e))?,
        // The municipality knows the gateway's contract tariffs (in dev mode: the dev table).
        None => dev_scenario()
            .with_tariffs(config.effective_tariffs())
            .map_err(|e| server_error("tariffs", e))?,
    };
    let dir = settings
        .dir
        .clone()
        .unwrap_or_else(|| config.server.data_dir.join("simulator"));
    let password = scenario.simulator.pkcs12_password.clone();
    let mut scenario = scenario;
    // Before the allocation numbers: whether this directory saw an earlier start.
    scenario.gemeentebot.eerste_identificatie = first_identificatie(&dir)?;
    scenario.gemeentebot.eerste_toewijzingnummer =
        first_allocation_number(&dir, scenario.gemeentebot.eerste_toewijzingnummer)?;
    let offset = config.server.dev_clock_offset_days;
    if offset > 0 && scenario.simulator.start.is_none() {
        scenario.simulator.start =
            Some(chrono::Utc::now() + chrono::TimeDelta::days(i64::from(offset)));
    }
    let sim_config = ketenpoort_sim::server::Config::new(scenario, &dir, settings.dump_dir.clone())
        .map_err(|e| server_error("PKI", e))?;
    let simulator = sim_config.simulator.clone();
    let password_file = dir.join(PASSWORD_FILE);
    write_private(&password_file, password.as_bytes())?;

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| server_error(&format!("cannot listen on {}", settings.listen), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| server_error("bound address", e))?;
    let origin = format!("https://{addr}");
    tracing::info!(%origin, pki = %dir.display(), "built-in simulator listening (mode simulator)");

    let vecozo = vecozo_settings(config, &sim_config, &origin, &password_file);
    tasks.spawn(async move {
        let stop = async move {
            let _ = stopping.wait_for(|s| *s).await;
        };
        if let Err(e) = ketenpoort_sim::server::run(listener, sim_config, stop).await {
            tracing::error!(error = %e, "built-in simulator stopped");
        }
        // A clean stop: the next start continues the numbering here.
        for (file, next) in [
            (NEXT_FILE, simulator.next_allocation_number()),
            (NEXT_IDENTIFICATIE_FILE, simulator.next_identificatie()),
        ] {
            if let Err(e) = write_private(&dir.join(file), format!("{next}\n").as_bytes()) {
                tracing::warn!(error = %e, "the simulator's numbering was not kept; the next start skips ahead");
            }
        }
    });
    Ok(vecozo)
}

/// The `[vecozo]` settings that reach the simulator: its origin and CA, a certificate per
/// provider with its own, the first vendor's for the rest.
fn vecozo_settings(
    config: &Config,
    sim: &ketenpoort_sim::server::Config,
    origin: &str,
    password_file: &Path,
) -> VecozoConfig {
    let pkcs12 = |name: &str| CertificateSource::Pkcs12 {
        path: sim.pki.client_files(name).2,
        password_env: None,
        password_file: Some(password_file.to_owned()),
    };
    let scenario = sim.simulator.scenario();
    let mut vecozo = config.vecozo.clone();
    vecozo.mode = Some(VecozoMode::Vecozo);
    vecozo.environment = Some(Environment::Simulator {
        origin: origin.to_owned(),
    });
    vecozo.trust_roots = Some(sim.pki.dir().join("ca.pem"));
    vecozo.identity.per_agb = scenario
        .aanbieders
        .iter()
        .filter(|a| a.systeemcertificaat)
        .map(|a| (a.agb.clone(), pkcs12(&a.agb)))
        .collect();
    vecozo.identity.default = scenario.indieners.first().map(|i| pkcs12(&i.naam));
    vecozo.poll_interval_secs = 1;
    vecozo
}

/// Numbers a start reserves against a crash (see [`first_allocation_number`]).
const BLOCK: u64 = 1_000_000;

/// The file in the simulator directory with the next allocation number.
const NEXT_FILE: &str = "next-allocation";

/// The file in the simulator directory with the number of the next Identificatie.
const NEXT_IDENTIFICATIE_FILE: &str = "next-identificatie";

/// The number of the first Identificatie of this start: as [`first_allocation_number`],
/// from `next-identificatie`, beginning at 1 in a new directory. A directory that saw
/// starts before this file existed (they began at 1 each time) begins past them, at
/// [`BLOCK`] + 1.
fn first_identificatie(dir: &Path) -> Result<u64, Error> {
    let earlier = !dir.join(NEXT_IDENTIFICATIE_FILE).exists()
        && (dir.join(NEXT_FILE).exists() || dir.join("starts").exists());
    let first = if earlier { BLOCK + 1 } else { 1 };
    continue_numbering(dir, NEXT_IDENTIFICATIE_FILE, None, first)
}

/// The first allocation number of this start: the number in `<dir>/next-allocation` (what
/// the last clean stop would have handed out next), or `first` in a new directory. Before
/// returning it, the file is set to that number plus [`BLOCK`]: if this start ends without a
/// clean stop, which rewrites the file, the next start begins past every number this one
/// can have handed out. A directory from before this file has `starts` (one block of
/// [`BLOCK`] per start) and continues after its last block. Back to `first` when the
/// numbers would run out.
fn first_allocation_number(dir: &Path, first: u64) -> Result<u64, Error> {
    continue_numbering(dir, NEXT_FILE, Some("starts"), first)
}

/// The first number of this start from `<dir>/<file>` (see [`first_allocation_number`]),
/// with the reservation written; `legacy` names the older per-start counter file, if any.
fn continue_numbering(
    dir: &Path,
    file: &str,
    legacy: Option<&str>,
    first: u64,
) -> Result<u64, Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| server_error(&format!("creating {}", dir.display()), e))?;
    let read = |name: &str| -> Option<u64> {
        std::fs::read_to_string(dir.join(name))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    };
    let candidate = match (read(file), legacy.and_then(read)) {
        (Some(next), _) => next,
        (None, Some(starts)) => first.saturating_add(starts.saturating_mul(BLOCK)),
        (None, None) => first,
    };
    let start = if candidate < first || candidate.saturating_add(BLOCK) > 999_999_999 {
        first
    } else {
        candidate
    };
    write_private(&dir.join(file), format!("{}\n", start + BLOCK).as_bytes())?;
    Ok(start)
}

/// Writes `bytes` to `path`, readable by the owner only where the platform supports it.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |e: std::io::Error| server_error(&format!("writing {}", path.display()), e);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    use std::io::Write as _;
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_stop_continues_the_numbering_and_a_crash_skips_a_block() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = |d: &Path| first_allocation_number(d, 100_000_001).expect("number");
        assert_eq!(first(dir.path()), 100_000_001, "a new directory");
        // A clean stop after three allocations writes the next number.
        write_private(&dir.path().join(NEXT_FILE), b"100000004\n").expect("write");
        assert_eq!(
            first(dir.path()),
            100_000_004,
            "continues after a clean stop"
        );
        // No clean stop: the reservation holds.
        assert_eq!(first(dir.path()), 101_000_004, "skips past a crashed start");
    }

    #[test]
    fn identificaties_continue_too_and_an_older_directory_begins_past_its_starts() {
        let fresh = tempfile::tempdir().expect("temp dir");
        assert_eq!(first_identificatie(fresh.path()).expect("number"), 1);
        first_allocation_number(fresh.path(), 100_000_001).expect("number");
        // A clean stop after 41 messages; the next start continues.
        write_private(&fresh.path().join(NEXT_IDENTIFICATIE_FILE), b"42\n").expect("write");
        assert_eq!(first_identificatie(fresh.path()).expect("number"), 42);
        assert_eq!(
            first_identificatie(fresh.path()).expect("number"),
            42 + BLOCK,
            "after a crash"
        );
        let older = tempfile::tempdir().expect("temp dir");
        std::fs::write(older.path().join("starts"), "3\n").expect("write");
        assert_eq!(
            first_identificatie(older.path()).expect("number"),
            BLOCK + 1
        );
    }

    #[test]
    fn an_older_directory_continues_after_its_last_block() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("starts"), "2\n").expect("write");
        assert_eq!(
            first_allocation_number(dir.path(), 100_000_001).expect("number"),
            102_000_001
        );
    }

    #[test]
    fn the_numbers_start_over_before_they_run_out() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(NEXT_FILE), "999000000\n").expect("write");
        assert_eq!(
            first_allocation_number(dir.path(), 100_000_001).expect("number"),
            100_000_001
        );
    }
}
