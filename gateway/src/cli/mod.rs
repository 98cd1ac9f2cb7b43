//! The `ketenpoort` command line: argument definitions and one module per subcommand.
//!
//! Exit codes are the same for every subcommand: 0 success, 1 the input is invalid
//! (`validate` found a file that is not a valid message, the gateway rejected a `submit`,
//! `status` found no such message), 2 usage, I/O or connection errors, or a feature that
//! does not exist yet. clap exits with 2 on bad usage by itself.
//!
//! `submit`, `status`, `returns`, `answer`, `outbox`, `report` and `verantwoording` are clients of a running gateway
//! (through the Rust SDK); they share the connection flags of [`connect::ConnectArgs`].

use clap::{Parser, Subcommand};

pub mod answer;
pub mod connect;
pub mod migrate;
pub mod outbox;
pub mod prune;
pub mod report;
pub mod request_file;
pub mod retourcodes;
pub mod returns;
pub mod serve;
pub mod status;
pub mod store;
pub mod submit;
pub mod validate;
pub mod verantwoording;

/// ketenpoort: iJw/iWmo 3.2 messages between provider software and municipalities.
#[derive(Debug, Parser)]
#[command(name = "ketenpoort", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check iJw/iWmo 3.2 message files against the schema rules.
    ///
    /// Exit code 0 when every file is a valid message, 1 when any file is invalid (including
    /// not well-formed XML or not a 3.2 message), 2 when a file could not be read.
    Validate(validate::ValidateArgs),
    /// Run the gRPC gateway until SIGINT/SIGTERM (exit code 2 when it cannot start).
    Serve(serve::ServeArgs),
    /// Print the SHA-256 of an API token read from stdin, for `api_token_sha256` in the
    /// configuration.
    HashToken,
    /// Copy the store into a new directory (the gateway must be stopped); start a gateway on
    /// the copy to restore it.
    Backup(store::BackupArgs),
    /// Write every message (with its XML), every event, every received message and every
    /// quarantined payload as JSON lines to stdout (the gateway must be stopped). The output holds personal data. For a period's messages
    /// from a running gateway, see `report`.
    Export(store::ExportArgs),
    /// Purge the XML and personal data of finished conversations older than
    /// `[store.retention]` (default 7 years after the end of their calendar year), keeping
    /// that each message existed and when it was purged. Offline: the gateway must be
    /// stopped (the store's lock refuses a store in use). Safe to stop at any moment; run it
    /// again to finish.
    ///
    /// Exit code 0 when done (or listed with --dry-run), 2 when it failed.
    Prune(prune::PruneArgs),
    /// Copy a stopped store from sled to PostgreSQL (`--from DIR --to postgres://…`) or back
    /// (`--from postgres://… --to DIR`), into an empty target, and verify it: per key prefix
    /// the count and a SHA-256 of the records, printed as a table.
    ///
    /// Exit code 0 when copied and verified, 1 when the verification found a mismatch (a
    /// PostgreSQL target is rolled back), 2 when refused (a target that is not empty, a store
    /// in use) or failed.
    Migrate(migrate::MigrateArgs),
    /// Send request files (JSON or TOML, one submit request each) to a gateway and report
    /// what was accepted and what was rejected with which rules.
    ///
    /// Exit code 0 when every file was accepted, 1 when any was rejected, 2 when a file
    /// could not be read or sent.
    Submit(submit::SubmitArgs),
    /// Show one message: state, meldingen and event cursors (exit code 1 when unknown).
    Status(status::StatusArgs),
    /// Print the return events (answers, status changes) and acknowledge each one.
    Returns(returns::ReturnsArgs),
    /// Send the 302/320 owed on a received 301/319 (manual answering), by the cursor of its
    /// event as `returns` printed it.
    ///
    /// Exit code 0 when queued, 1 when refused (answered already, not a 301/319, no such
    /// event), 2 on connection errors.
    Answer(answer::AnswerArgs),
    /// List queued messages, messages VECOZO refused and missed deadlines.
    Outbox(outbox::OutboxArgs),
    /// Write the messages of a period with their answers (323 lines next to their 325
    /// verdicts) as JSON lines, CSV and/or XML, from a running gateway.
    Report(report::ReportArgs),
    /// Write the year's productieverantwoording for one law (a workbook with a Totaalblad,
    /// an overview and a sheet per municipality, plus CSV) from a running gateway, and print
    /// the totals, the €125,000 threshold verdict and the reconciliation.
    Verantwoording(verantwoording::VerantwoordingArgs),
}
