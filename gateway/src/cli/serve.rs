//! `ketenpoort serve`: the place where the gRPC gateway will start.
//!
//! The gateway is not built yet. Rather than start something that looks like a server and
//! accepts nothing, the command says so plainly and fails, so scripts and readers of the
//! README are not misled.

use std::io::{self, Write};
use std::path::PathBuf;

/// Arguments of `ketenpoort serve`. Accepted so that the documented command line parses;
/// they have no effect yet.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Development mode: local simulator, dev certificates (not implemented yet).
    #[arg(long)]
    pub dev: bool,
    /// Configuration file (not implemented yet).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// What `serve` prints to stderr.
pub const NOT_IMPLEMENTED: &str = "ketenpoort serve: the gRPC gateway is not implemented yet \
     (see the gateway issue); what works today: ketenpoort validate";

/// The exit code of `serve`: 2, because the requested feature does not exist.
pub const EXIT_CODE: u8 = 2;

/// Writes the not-implemented notice to `err` and returns the exit code ([`EXIT_CODE`]).
pub fn run(_args: &ServeArgs, err: &mut impl Write) -> io::Result<u8> {
    writeln!(err, "{NOT_IMPLEMENTED}")?;
    Ok(EXIT_CODE)
}
