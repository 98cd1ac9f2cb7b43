//! `ketenpoort prune [--config FILE] [--data-dir DIR] [--dry-run] [--archive FILE]`: purges
//! the XML and personal data of finished conversations past `[store.retention]`, offline on
//! the data directory. See [`crate::store::sled_store::prune`] for what goes and what stays.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use crate::config::Config;
use crate::header::{Clock, OffsetClock, SystemClock};
use crate::store::sled_store::prune::{self, PruneOptions, Report};

/// Arguments of `ketenpoort prune`.
#[derive(Debug, Clone, clap::Args)]
pub struct PruneArgs {
    /// The configuration file: `server.data_dir`, `[store.retention]` and, in dev mode,
    /// `server.dev_clock_offset_days` are read from it (and from the `KETENPOORT_*`
    /// variables). Without it the defaults apply (7 years, `./ketenpoort-data`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The store directory; overrides the configuration's `server.data_dir`. The gateway
    /// must be stopped: a store in use is refused.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// List what would be purged (ids, kinds, dates) and the total; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Append the records of each batch to FILE (JSON lines, the format of `ketenpoort
    /// export`), synced to disk before the batch is purged. The file holds personal data.
    #[arg(long, value_name = "FILE")]
    pub archive: Option<PathBuf>,
    /// Records per batch (one atomic write and flush each).
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub batch: usize,
}

/// Runs `prune`; the result is the exit code (0 done, 2 failed: the store in use, the
/// configuration refused, a write failed). A run stopped at any moment (even `kill -9`)
/// leaves every conversation untouched or purged; run it again to finish.
pub fn run(args: &PruneArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    // Without a file only the defaults apply: prune needs no tenants.
    let config = match &args.config {
        Some(path) => match Config::load(Some(path), false, std::env::vars()) {
            Ok(c) => c,
            Err(e) => {
                writeln!(err, "ketenpoort prune: {e}")?;
                return Ok(2);
            }
        },
        None => Config::default(),
    };
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| config.server.data_dir.clone());
    let archive_is_new = args.archive.as_ref().is_some_and(|p| !p.exists());
    let mut archive = match &args.archive {
        Some(path) if !args.dry_run => match open_archive(path) {
            Ok(f) => Some(f),
            Err(e) => {
                writeln!(
                    err,
                    "ketenpoort prune: cannot open the archive {}: {e}",
                    path.display()
                )?;
                return Ok(2);
            }
        },
        _ => None,
    };
    // The gateway's clock: in dev mode moved ahead by `[server] dev_clock_offset_days`, so
    // that a dev store ages as its gateway sees it.
    let now = match config.server.dev_clock_offset_days {
        0 => SystemClock.now(),
        days => {
            writeln!(
                err,
                "ketenpoort prune: DEV MODE: the clock runs {days} days ahead of the system clock"
            )?;
            OffsetClock { days }.now()
        }
    };
    let options = PruneOptions {
        retention: config.store.retention,
        today: now.date_naive(),
        now_ms: now.timestamp_millis(),
        dry_run: args.dry_run,
        batch: args.batch.max(1),
    };
    let started = Instant::now();
    let mut progress_failed = None;
    let mut progress = |r: &Report, total: usize| {
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        if let Err(e) = writeln!(
            err,
            "ketenpoort prune: {}/{total} conversations purged, batch {} ({:.0} records/s)",
            r.conversations,
            r.batches,
            (r.sent + r.received) as f64 / secs
        ) {
            progress_failed.get_or_insert(e);
        }
    };
    let result = prune::prune(
        &data_dir,
        &options,
        archive.as_mut(),
        &mut *out,
        &mut progress,
    );
    if let Some(e) = progress_failed {
        return Err(e);
    }
    match result {
        Ok(r) if args.dry_run => {
            writeln!(
                out,
                "total: {} conversations would be purged ({} messages sent, {} received, {} \
                 events), retention {} years",
                r.conversations, r.sent, r.received, r.events, options.retention.xml_years
            )?;
            Ok(0)
        }
        Ok(r) => {
            writeln!(
                err,
                "ketenpoort prune: done: {} conversations purged ({} messages sent, {} \
                 received, {} events) in {} batches, {:.1} s",
                r.conversations,
                r.sent,
                r.received,
                r.events,
                r.batches,
                started.elapsed().as_secs_f64()
            )?;
            Ok(0)
        }
        Err(e) => {
            // A new archive the run never wrote to (the store refused, say) is not left behind.
            if let (true, Some(path), Some(file)) = (archive_is_new, &args.archive, &archive)
                && file.metadata().is_ok_and(|m| m.len() == 0)
            {
                let _ = std::fs::remove_file(path);
            }
            writeln!(err, "ketenpoort prune: {e}")?;
            Ok(2)
        }
    }
}

/// How every line of an export (and so of an archive) begins: serde writes the tag first.
const LINE_START: &[u8] = b"{\"type\":\"";

/// The archive, opened for appending (a rerun after a stop adds to it), readable by its
/// owner only where the platform allows. A line cut off by a stop is cut away: its batch was
/// not purged (the archive is synced before the purge), so the rerun writes it again whole.
/// A file that is not a regular file, or whose first line or cut-off tail does not begin as
/// an export line does, is refused and left as it is: a mistyped `--archive` never cuts an
/// unrelated file.
fn open_archive(path: &std::path::Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).read(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut file = o.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_an_archive("it is not a regular file"));
    }
    let len = meta.len();
    if len == 0 {
        return Ok(file);
    }
    if !starts_as_a_line(&mut file, 0)? {
        return Err(not_an_archive(
            "it does not begin as `ketenpoort export` lines do; give a new file or an earlier archive",
        ));
    }
    let whole = whole_lines(&mut file)?;
    if whole < len {
        if !starts_as_a_line(&mut file, whole)? {
            return Err(not_an_archive(
                "its last line is not an export line cut off by a stop",
            ));
        }
        file.set_len(whole)?;
        file.sync_data()?;
    }
    Ok(file)
}

fn not_an_archive(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not an archive of ketenpoort prune: {why}"),
    )
}

/// Whether what `file` holds from `at` on begins as an export line (a shorter rest: as far
/// as it goes).
fn starts_as_a_line(file: &mut std::fs::File, at: u64) -> io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(at))?;
    let mut head = Vec::with_capacity(LINE_START.len());
    file.take(LINE_START.len() as u64).read_to_end(&mut head)?;
    Ok(!head.is_empty() && LINE_START.starts_with(&head))
}

/// The length of `file` up to and including its last newline (0 when it has none).
fn whole_lines(file: &mut std::fs::File) -> io::Result<u64> {
    use std::io::{Read, Seek, SeekFrom};
    const CHUNK: u64 = 64 * 1024;
    let mut end = file.metadata()?.len();
    let mut buf = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let n = usize::try_from(end - start).unwrap_or(buf.len());
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::open_archive;

    #[test]
    fn a_line_cut_off_by_a_stop_is_cut_away_and_whole_lines_stay() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("archive.jsonl");
        let whole = "{\"type\":\"message\",\"id\":1}\n{\"type\":\"event\",\"cursor\":1}\n";
        std::fs::write(&path, format!("{whole}{{\"type\":\"mess")).expect("write");
        let mut f = open_archive(&path).expect("open");
        f.write_all(b"{\"type\":\"message\",\"id\":2}\n")
            .expect("append");
        drop(f);
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            format!("{whole}{{\"type\":\"message\",\"id\":2}}\n")
        );
        // A stop inside the very first line, a few bytes into it.
        std::fs::write(&path, "{\"ty").expect("write");
        drop(open_archive(&path).expect("open"));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "");
    }

    #[test]
    fn a_file_that_is_not_an_archive_is_refused_and_left_as_it_is() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("notes.txt");
        for content in [
            "no newline at all",
            "line one\nline two without its newline",
            "{\"type\":\"message\"}\nnot an export line at the end",
        ] {
            std::fs::write(&path, content).expect("write");
            let e = open_archive(&path).expect_err("not an archive");
            assert!(e.to_string().contains("not an archive"), "{e}");
            assert_eq!(std::fs::read_to_string(&path).expect("read"), content);
        }
        assert!(
            open_archive(dir.path()).is_err(),
            "a directory is no archive"
        );
    }
}
