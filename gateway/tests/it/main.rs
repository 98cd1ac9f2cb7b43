//! The gateway's integration tests, one module per former test file (`it::submit` was
//! `tests/submit.rs`), in one test binary: `cargo test -p ketenpoort --test it [filter]`.
//!
//! One binary because each test binary links the whole gateway (about 80 MB): 48 of them took
//! most of a cold `cargo test --workspace`'s build (issue 12, docs/PERFORMANCE.md). Tests of
//! different modules now run side by side (libtest's threads), so none may rely on process
//! state of its own: they start gateways on port 0 with temp data directories, and what
//! needs a process boundary (`kill -9`, rlimits, a tmpfs, log output) runs `ketenpoort` as a
//! child process.
//!
//! Kept as a binary of its own: `tests/slow_loris.rs`, which opens thousands of sockets from
//! the test process (it would starve other tests of file descriptors and fails on EMFILE
//! when they hold some) and bounds the server's CPU time against the wall time.
//!
//! The shared helpers stay beside the files (`tests/common`, `tests/vecozo_support`,
//! `tests/delivery_support`), so that a file at `tests/*.rs` still builds as a binary of its
//! own with `mod common;`.

#[path = "../common/mod.rs"]
mod common;
#[path = "../delivery_support/mod.rs"]
mod delivery_support;
#[path = "../vecozo_support/mod.rs"]
mod vecozo_support;

mod auto_retour_rules;
mod backup_export;
mod care_terms;
mod cli_client;
mod cli_serve;
mod cli_validate;
mod config;
mod console;
mod console_browser;
mod crash;
mod cross_rules;
mod deadlines_e2e;
mod dev_simulator;
mod dev_tutorial;
mod disk_full;
mod error_trailers;
mod fuzz_regressions;
mod health;
mod history_differential;
mod idempotency;
mod list_and_restart;
mod list_events;
mod log_colour;
mod manual_answers;
mod postgres;
mod postgres_engine;
mod postgres_failover;
mod postgres_kv;
mod postgres_migrate;
mod postgres_replicas;
mod postgres_tls;
mod postgres_wake;
mod privacy;
mod prune;
mod queue_depth;
mod request_checks;
mod retour_once;
mod returns_stream;
mod size_limit;
mod store_groups;
mod store_open;
mod submit;
mod tariffs;
mod tenants;
mod validate_crafted;
mod vecozo_certificates;
mod vecozo_client;
mod vecozo_collect_e2e;
mod vecozo_collect_kill;
mod vecozo_collect_store;
mod vecozo_conversation;
mod vecozo_delivery;
mod vecozo_faults;
mod vecozo_kill;
mod verantwoording;
mod verantwoording_workbook;
