//! The messages crate's integration tests, one module per former test file (`it::crafted` was
//! `tests/crafted.rs`), in one test binary: `cargo test -p ketenpoort-messages --test it
//! [filter]`.
//!
//! One binary instead of one per file: each test binary is linked on its own, and a cold
//! `cargo test --workspace` spent most of its build linking them (issue 12,
//! docs/PERFORMANCE.md). The tests are pure functions of their inputs (no process state), so
//! they run side by side.
//!
//! The shared helpers stay in `tests/rules_support`, so that a file at `tests/*.rs` still
//! builds as a binary of its own with `mod rules_support;`.

#[path = "../rules_support/mod.rs"]
mod rules_support;

mod amounts;
mod calendar;
mod code_descriptions;
mod crafted;
mod fuzz_regressions;
mod hostile;
mod money;
mod op192;
mod roundtrip;
mod rules_allocation;
mod rules_answer325;
mod rules_catalog;
mod rules_cross;
mod rules_cross_regie;
mod rules_in_message;
mod rules_requests;
mod rules_schema;
mod text_content;
