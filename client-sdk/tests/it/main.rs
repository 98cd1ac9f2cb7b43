//! The SDK's integration tests, one module per former test file (`it::retry` was
//! `tests/retry.rs`), in one test binary: `cargo test -p ketenpoort-client --test it [filter]`.
//!
//! One binary instead of one per file: each of them linked the whole gateway, which the tests
//! start in-process, and a cold `cargo test --workspace` spent most of its build linking test
//! binaries (issue 12, docs/PERFORMANCE.md). Every test starts its own gateway on port 0
//! with a temp data directory, so they can run side by side.
//!
//! The shared helpers stay in `tests/common`, so that a file at `tests/*.rs` still builds
//! as a binary of its own with `mod common;`.

#[path = "../common/mod.rs"]
mod common;

mod examples;
mod retour;
mod retry;
mod returns_resume;
mod tls;
