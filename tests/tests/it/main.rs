//! The conformance tests (the model against the official XSDs through xmllint), one module
//! per former test file (`it::xsd_oracle` was `tests/xsd_oracle.rs`), in one test binary:
//! `cargo test -p ketenpoort-tests --test it [filter]`.
//!
//! One binary instead of one per file: each test binary is linked on its own, and a cold
//! `cargo test --workspace` spent most of its build linking them (issue 12,
//! docs/PERFORMANCE.md). The tests share no process state (xmllint runs as a child process
//! on files in temp directories), so they run side by side.
//!
//! The shared helpers stay in `tests/common`, so that a file at `tests/*.rs` still builds as
//! a binary of its own with `mod common;`.

#[path = "../common/mod.rs"]
mod common;

mod rules_imply_xsd;
mod wmo_retour_structure;
mod xmllint_differential;
mod xsd_mutations;
mod xsd_oracle;
