//! `ketenpoort serve` as a user runs it, for the cases that end by themselves: a
//! configuration that cannot work, and a store that cannot be opened. (The serving itself is
//! tested through the library on port 0: submit.rs, returns_stream.rs, ….)

use std::process::{Command, Output};

fn ketenpoort(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ketenpoort"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the ketenpoort binary")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

#[test]
fn serve_without_tenants_or_tls_refuses_to_start() {
    let out = ketenpoort(&["serve"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tenants"), "{}", stderr(&out));
}

#[test]
fn serve_with_a_missing_config_file_names_it() {
    let out = ketenpoort(
        &["serve", "--dev", "--config", "no-such-ketenpoort.toml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no-such-ketenpoort.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn serve_with_a_bad_environment_override_names_the_variable() {
    let out = ketenpoort(
        &["serve", "--dev"],
        &[("KETENPOORT_SERVER_GRPC_LISTN", "x")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("KETENPOORT_SERVER_GRPC_LISTN"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_store_that_does_not_open_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A file where the store directory should be: sled cannot open it.
    let data = dir.path().join("ketenpoort-data");
    std::fs::write(&data, b"not a sled store").expect("write");
    let out = ketenpoort(
        &["serve", "--dev"],
        &[
            ("KETENPOORT_SERVER_DATA_DIR", data.to_str().expect("utf-8")),
            ("KETENPOORT_SERVER_GRPC_LISTEN", "127.0.0.1:0"),
            ("KETENPOORT_SERVER_ADMIN_LISTEN", "127.0.0.1:0"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("could not open the store"), "{err}");
    assert_eq!(
        std::fs::read(&data).expect("still there"),
        b"not a sled store",
        "the store was left untouched"
    );
}
