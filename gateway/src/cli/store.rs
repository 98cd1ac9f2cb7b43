//! `ketenpoort backup` and `ketenpoort export`: copies of the store for when sled's
//! durability is not enough (see [`crate::manual`]). Both need the gateway stopped.

use std::io::{self, Write};
use std::path::PathBuf;

use crate::store::sled_store;

/// Arguments of `ketenpoort backup`.
#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// The store directory (the gateway's `server.data_dir`).
    #[arg(long, value_name = "DIR", default_value = "./ketenpoort-data")]
    pub data_dir: PathBuf,
    /// Where to write the copy: a new directory, usable as a `data_dir` to restore.
    #[arg(value_name = "TARGET")]
    pub target: PathBuf,
}

/// Arguments of `ketenpoort export`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// The store directory (the gateway's `server.data_dir`).
    #[arg(long, value_name = "DIR", default_value = "./ketenpoort-data")]
    pub data_dir: PathBuf,
}

/// Runs `backup`; the result is the exit code (0 done, 2 failed).
pub fn backup(args: &BackupArgs, err: &mut impl Write) -> io::Result<u8> {
    match sled_store::backup(&args.data_dir, &args.target) {
        Ok(n) => {
            writeln!(
                err,
                "ketenpoort backup: {n} records copied to {}",
                args.target.display()
            )?;
            Ok(0)
        }
        Err(e) => {
            writeln!(err, "ketenpoort backup: {e}")?;
            Ok(2)
        }
    }
}

/// Runs `export` to `out` (JSON lines); the result is the exit code (0 done, 2 failed).
pub fn export(args: &ExportArgs, out: &mut dyn Write, err: &mut impl Write) -> io::Result<u8> {
    match sled_store::export(&args.data_dir, out) {
        Ok(_) => Ok(0),
        Err(e) => {
            writeln!(err, "ketenpoort export: {e}")?;
            Ok(2)
        }
    }
}
