//! The `ketenpoort` command line: argument definitions and one module per subcommand.
//!
//! Exit codes are the same for every subcommand: 0 success, 1 the input is invalid
//! (`validate` found a file that is not a valid message), 2 usage or I/O errors, or a
//! feature that does not exist yet. clap exits with 2 on bad usage by itself.

use clap::{Parser, Subcommand};

pub mod serve;
pub mod store;
pub mod validate;

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
    /// Write every message (with its XML) and every event as JSON lines to stdout (the
    /// gateway must be stopped). The output holds personal data.
    Export(store::ExportArgs),
}
