//! [`WriteGuard`]: whether the store can take writes now, known without touching the store.
//!
//! sled 0.34 turns the first failed write of its log (a full disk: `ENOSPC`) into an error
//! that every later write returns, and an iterator that meets it yields it again and again
//! without moving on. So the writer does not let sled run into a full disk: before each
//! group it asks the file system (`statvfs`, one system call) whether [`MIN_FREE_BYTES`] plus
//! twice the group's payload are free, and refuses the whole group otherwise (each waiter
//! gets [`crate::error::Error::Store`], which the API answers with UNAVAILABLE; the client
//! is told that the disk is full, the path and sizes go to the log and `/readyz`). Nothing is
//! applied, so nothing is lost and nothing is acknowledged; once space is back the next group
//! is written as usual.
//!
//! A write that fails anyway (another process filled the disk between the check and the
//! write, or another I/O error) marks the store as failed: writes are refused from then on,
//! reads keep being answered from what sled holds, and the gateway must be restarted once the
//! cause is fixed (sled keeps the error until it is reopened).
//!
//! `/readyz` reads [`WriteGuard::check`]: the same `statvfs` (a failed store: a flag), so
//! readiness sees a full disk before a write does, and comes back without one.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

/// Free space the store keeps in hand on its file system before it takes a write: sled
/// grows its log by segments of 512 KiB and writes a snapshot on close.
pub const MIN_FREE_BYTES: u64 = 16 * 1024 * 1024;

const WRITABLE: u8 = 0;
const LOW_SPACE: u8 = 1;
const FAILED: u8 = 2;

/// Whether the store in a directory can take writes (see the module docs).
#[derive(Debug)]
pub struct WriteGuard {
    dir: PathBuf,
    min_free: u64,
    state: AtomicU8,
    reason: Mutex<String>,
}

impl WriteGuard {
    /// A guard for the store in `dir` that keeps `min_free` bytes free.
    pub fn new(dir: &Path, min_free: u64) -> WriteGuard {
        WriteGuard {
            dir: dir.to_owned(),
            min_free,
            state: AtomicU8::new(WRITABLE),
            reason: Mutex::new(String::new()),
        }
    }

    /// `Ok` when the store takes writes; else why not (no personal data: a path, byte counts
    /// and the operating system's error text).
    ///
    /// Changes nothing (the writer logs the changes): a large write refused near the limit
    /// does not make readiness flap.
    pub fn check(&self) -> Result<(), String> {
        if self.state.load(Ordering::Acquire) == FAILED {
            return Err(self.reason());
        }
        self.free_for(self.min_free)
    }

    fn free_for(&self, need: u64) -> Result<(), String> {
        match fs2::available_space(&self.dir) {
            Ok(free) if free >= need => Ok(()),
            Ok(free) => Err(format!(
                "the disk of the store {} is full: {} free, {} needed; free space there \
                 and writes resume by themselves",
                self.dir.display(),
                mib(free),
                mib(need)
            )),
            Err(e) => Err(format!(
                "cannot read the free space of {}: {e}",
                self.dir.display()
            )),
        }
    }

    /// Whether `bytes` more can be written while keeping the reserve free; updates the state
    /// (a failed store stays failed).
    pub fn room_for(&self, bytes: u64) -> Result<(), String> {
        if self.state.load(Ordering::Acquire) == FAILED {
            return Err(self.reason());
        }
        let need = self.min_free.saturating_add(bytes.saturating_mul(2));
        let verdict = self.free_for(need);
        match &verdict {
            Ok(()) => {
                if self
                    .state
                    .compare_exchange(LOW_SPACE, WRITABLE, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    tracing::info!(dir = %self.dir.display(), "store: disk space is back; writing again");
                }
            }
            Err(reason) => {
                self.set_reason(reason);
                if self
                    .state
                    .compare_exchange(WRITABLE, LOW_SPACE, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    tracing::error!(reason = %reason, "store: writes refused");
                }
            }
        }
        verdict
    }

    /// What a client is told when its write is refused: the cause without the server's
    /// paths or sizes (those are for the operator: `/readyz` and the log).
    pub fn public_reason(&self) -> &'static str {
        if self.state.load(Ordering::Acquire) == FAILED {
            "the gateway's store cannot write (the operator sees why on /readyz)"
        } else {
            "the gateway's disk is full"
        }
    }

    /// Marks the store failed after a write error: writes are refused until a restart.
    pub fn failed(&self, error: &str) {
        let reason = format!(
            "a write to the store {} failed ({error}); writes are refused until the gateway \
             is restarted after the cause (often a full disk) is fixed",
            self.dir.display()
        );
        self.set_reason(&reason);
        if self.state.swap(FAILED, Ordering::AcqRel) != FAILED {
            tracing::error!(reason = %reason, "store: writes refused");
        }
    }

    fn set_reason(&self, reason: &str) {
        if let Ok(mut r) = self.reason.lock() {
            reason.clone_into(&mut r);
        }
    }

    fn reason(&self) -> String {
        self.reason
            .lock()
            .map(|r| r.clone())
            .unwrap_or_else(|_| "the store cannot write".into())
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::WriteGuard;

    #[test]
    fn a_reserve_larger_than_the_disk_refuses_and_a_failure_sticks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let guard = WriteGuard::new(dir.path(), 0);
        assert_eq!(guard.check(), Ok(()));
        assert_eq!(guard.room_for(1), Ok(()));
        let greedy = WriteGuard::new(dir.path(), u64::MAX);
        let reason = greedy
            .room_for(0)
            .expect_err("no disk has u64::MAX bytes free");
        assert!(reason.contains("is full"), "{reason}");
        assert!(
            reason.contains(&dir.path().display().to_string()),
            "{reason}"
        );
        // The free space in the text may change between the two calls (other writers).
        let again = greedy
            .check()
            .expect_err("still no disk has u64::MAX bytes free");
        assert!(again.contains("is full"), "{again}");
        guard.failed("No space left on device (os error 28)");
        let reason = guard.check().expect_err("failed");
        assert!(reason.contains("os error 28"), "{reason}");
        assert!(guard.room_for(0).is_err(), "a failed store stays failed");
    }
}
