//! The README's tutorial path against the real `ketenpoort serve --dev` binary (built-in
//! simulator, cross-message rules on), with the tutorial's own files and commands: a data
//! directory that a Quick start already used, the tutorial on it twice (each run ends with
//! the 325), and once more with the gateway's clock two years ahead. A clean run logs no
//! warning or error (the one deliberate DEV MODE warning aside). `.ci/readme` runs the README
//! itself; this is the same path as a test.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::child::{ChildServer, spawn};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository")
        .to_owned()
}

/// `serve --dev` on the store in `data`, every listener (gRPC, admin, console) on port 0, with
/// `env` added.
fn start(dir: &Path, data: &Path, env: &[(&str, &str)]) -> ChildServer {
    let config = dir.join("dev.toml");
    std::fs::write(
        &config,
        format!(
            "dev = true\n[server]\ngrpc_listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\ndata_dir = '{}'\n[console]\nlisten = \"127.0.0.1:0\"\n",
            data.display()
        ),
    )
    .expect("write the config");
    spawn(&config, env, &dir.join("gateway.log"))
}

/// `ketenpoort SUBCOMMAND --gateway URL ARGS…` from the repository root.
fn cli(server: &ChildServer, subcommand: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .current_dir(repo())
        .arg(subcommand)
        .arg(format!("--gateway=http://{}", server.grpc))
        .args(args)
        .env_remove("KETENPOORT_GATEWAY")
        .env_remove("KETENPOORT_TOKEN")
        .output()
        .expect("run ketenpoort")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The tutorial's CLI steps: the 315 and its 301 allocating 100000001, the claim checked,
/// then sent, and its 325.
fn tutorial(server: &ChildServer) {
    let o = cli(
        server,
        "submit",
        &["--wait-for", "JW301", "examples/tutorial/jw315.json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("JW301 allocation"), "{}", show(&o));
    assert!(
        out.contains("100000001"),
        "the first allocation: {}",
        show(&o)
    );

    let o = cli(
        server,
        "submit",
        &["--dry-run", "examples/tutorial/jw323.json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let o = cli(
        server,
        "submit",
        &["--wait-for", "JW325", "examples/tutorial/jw323.json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("JW325 declaration_answer"), "{}", show(&o));
}

/// The log's WARN and ERROR lines, but for the deliberate DEV MODE warning.
fn warnings(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("gateway.log"))
        .expect("the log")
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains("ERROR"))
        .filter(|l| !l.contains("DEV MODE: plaintext gRPC"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_tutorial_runs_twice_after_the_quick_start_on_one_data_directory_without_warnings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("ketenpoort-data");
    // The Quick start: the gateway up, then stopped.
    let mut quick = start(dir.path(), &data, &[]);
    assert_eq!(quick.terminate(), Some(0));
    for run in 1..=2 {
        let mut server = start(dir.path(), &data, &[]);
        tutorial(&server);
        assert_eq!(server.terminate(), Some(0), "run {run}");
    }
    let w = warnings(dir.path());
    assert!(
        w.is_empty(),
        "a clean dev run warns of nothing:\n{}",
        w.join("\n")
    );
}

#[test]
fn the_tutorial_runs_with_the_clock_two_years_ahead() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("ketenpoort-data");
    let mut server = start(
        dir.path(),
        &data,
        &[("KETENPOORT_SERVER_DEV_CLOCK_OFFSET_DAYS", "730")],
    );
    tutorial(&server);
    assert_eq!(server.terminate(), Some(0));
    let w = warnings(dir.path());
    assert!(w.is_empty(), "{}", w.join("\n"));
}
