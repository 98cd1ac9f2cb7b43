//! The simulator's integration tests, one module per former test file (`it::push` was
//! `tests/push.rs`), in one test binary: `cargo test -p ketenpoort-sim --test it [filter]`.
//!
//! One binary instead of one per file: each test binary is linked on its own, and a cold
//! `cargo test --workspace` spent most of its build linking them (issue 12,
//! docs/PERFORMANCE.md). Tests of different modules run side by side; every one starts its
//! own simulator on port 0, and the binary's log colour runs as a child process.
//!
//! Kept as a binary of its own: `tests/push_crafted.rs`, which bounds the process's peak
//! memory (`VmHWM`) and so must be the only test in its process.
//!
//! The shared helpers stay in `tests/common`, so that a file at `tests/*.rs` still builds
//! as a binary of its own with `mod common;`.

#[path = "../common/mod.rs"]
mod common;

mod conversation;
mod faults;
mod fuzz_regressions;
mod http_conformance;
mod log_colour;
mod mtls;
mod municipality;
mod pull;
mod push;
mod retourcodes;
mod status;
