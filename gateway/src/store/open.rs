//! Opening a store directory: what must be there, and refusals that say what is wrong.
//!
//! A store is a directory with sled's files (`db`, `conf`, `snap.*`, `blobs/`) and an
//! identity marker, the file [`MARKER`] (JSON: a store id and when the store was created),
//! whose id sled holds too (key [`ID_KEY`]). Only an explicit first start creates one
//! ([`Create::IfNew`]: `ketenpoort serve --init`, or dev mode); otherwise a directory without
//! a store is refused, and so is a store that lost its files (the marker without `db`, an
//! empty `db`, sled's other files without `db`, or a `db` that holds another store's id).
//! A store from before the marker (a `db` with records, no marker) gets one on its next open.
//!
//! Before sled is asked, [`prepare`] tells apart what can be told without writing: missing
//! files, no permission (`access(2)`: also a read-only file system) and a store in use (the
//! `flock` sled takes on `db`, tried here on a read-only descriptor). None of these reaches
//! sled, so nothing is written. What sled itself refuses, or what does not read back
//! afterwards, is reported as damaged, with the path.
//!
//! sled writes while it opens (it zeroes the torn end of its log), also when it then fails.
//! So a store that was not closed cleanly since it last changed is first opened and read
//! through on a copy ([`verify`]), in a directory inside the store directory that is removed
//! afterwards; only when that succeeds is the store itself opened. A clean close records the
//! size and modification time of `db` in [`CLOSED`], removed again when the store is next
//! opened in place; a store that still matches is opened directly, so the copy is made only
//! after a crash or a change by hand. A `db` shorter than at its clean close was cut off (sled
//! shrinks it only while it runs) and is refused as damaged: sled itself would take the cut
//! for a torn write and open what is left.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The identity marker's file name in the store directory.
pub const MARKER: &str = "KETENPOORT-STORE";

/// The file a clean close writes: `db`'s size and modification time then.
pub const CLOSED: &str = "KETENPOORT-STORE.closed";

/// The prefix of the directories [`verify`] copies a store into.
const VERIFY_PREFIX: &str = ".ketenpoort-verify";

/// The key under which sled holds the store's id (the marker's `store_id`).
pub const ID_KEY: &[u8] = b"z/store_id";

/// Whether an open may create a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Only an existing store opens (`ketenpoort serve`, `backup`, `export`).
    Never,
    /// A directory that is missing or holds nothing of a store gets a new store
    /// (`serve --init`, dev mode); an existing store opens as usual.
    IfNew,
}

/// What [`MARKER`] holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// Made when the store was created.
    pub store_id: uuid::Uuid,
    /// When it was created (or, for a store from before the marker, first given one), RFC 3339.
    pub created_at: String,
}

/// What [`prepare`] found.
#[derive(Debug)]
pub enum Found {
    /// A store: its marker, if it has one (a store from before the marker has none).
    Existing(Option<Identity>),
    /// Nothing of a store; [`Create::IfNew`] lets it be created.
    New,
}

fn refuse(dir: &Path, detail: String) -> Error {
    Error::StoreOpen {
        path: dir.to_owned(),
        detail,
    }
}

const RESTORE: &str = "to restore it from a backup (made by `ketenpoort backup`), stop the \
                       gateway, move the directory aside and copy the backup directory to its \
                       path";

/// Checks `dir` before sled opens it (see the module docs); creates the directory only
/// when `create` allows a new store there.
pub fn prepare(dir: &Path, create: Create) -> Result<Found, Error> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(refuse(dir, "it is not a directory".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if create == Create::IfNew {
                std::fs::create_dir_all(dir)
                    .map_err(|e| refuse(dir, format!("cannot create the store directory: {e}")))?;
                return Ok(Found::New);
            }
            return Err(refuse(
                dir,
                format!(
                    "there is no store: the directory does not exist. Start once with \
                     `ketenpoort serve --init` to create a new store; {RESTORE}"
                ),
            ));
        }
        Err(e) => return Err(permission(dir, &e.to_string())),
    }
    let rwx =
        rustix::fs::Access::READ_OK | rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK;
    if let Err(e) = rustix::fs::access(dir, rwx) {
        return Err(permission(dir, &std::io::Error::from(e).to_string()));
    }
    let db = dir.join("db");
    let marker = read_marker(dir)?;
    let db_len = match std::fs::metadata(&db) {
        Ok(m) => Some(m.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(permission(&db, &e.to_string())),
    };
    let leftovers = sled_files(dir)?;
    match (&marker, db_len) {
        (Some(id), None) => Err(refuse(
            dir,
            format!(
                "the database file {} is missing: the store {} (created {}) lost its data. \
                 ketenpoort does not start an empty store in its place; {RESTORE}",
                db.display(),
                id.store_id,
                id.created_at
            ),
        )),
        (_, Some(0)) => Err(refuse(
            dir,
            format!(
                "the database file {} is empty{}; {RESTORE}",
                db.display(),
                marker_note(marker.as_ref())
            ),
        )),
        (_, Some(_)) => {
            let rw = rustix::fs::Access::READ_OK | rustix::fs::Access::WRITE_OK;
            if let Err(e) = rustix::fs::access(&db, rw) {
                return Err(permission(&db, &std::io::Error::from(e).to_string()));
            }
            locked(dir, &db)?;
            Ok(Found::Existing(marker))
        }
        (None, None) if !leftovers.is_empty() => Err(refuse(
            dir,
            format!(
                "it holds parts of a store ({}) but no database file db: the store lost its \
                 data; {RESTORE}",
                leftovers.join(", ")
            ),
        )),
        (None, None) => match create {
            Create::IfNew => Ok(Found::New),
            Create::Never => Err(refuse(
                dir,
                format!(
                    "there is no store here (no database file db). Start once with \
                     `ketenpoort serve --init` to create a new store; {RESTORE}"
                ),
            )),
        },
    }
}

fn marker_note(id: Option<&Identity>) -> String {
    match id {
        Some(id) => format!(
            ": the store {} (created {}) lost its data",
            id.store_id, id.created_at
        ),
        None => String::new(),
    }
}

fn permission(path: &Path, error: &str) -> Error {
    refuse(
        path,
        format!(
            "no permission: {} cannot be read and written ({error}). The gateway needs read \
             and write access to the store directory and its files (`ketenpoort export` and \
             `backup` read a store they cannot write from a copy)",
            path.display()
        ),
    )
}

/// Whether another process holds sled's lock on `db`: the same `flock`, tried on a
/// read-only descriptor and released at once.
fn locked(dir: &Path, db: &Path) -> Result<(), Error> {
    let file = std::fs::File::open(db).map_err(|e| permission(db, &e.to_string()))?;
    // fs2's, as sled's own lock (std's `File::try_lock_shared` needs Rust 1.89).
    match fs2::FileExt::try_lock_shared(&file) {
        Ok(()) => {
            let _ = fs2::FileExt::unlock(&file);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Err(in_use(dir, db)),
        Err(e) => Err(refuse(
            dir,
            format!("cannot tell whether {} is in use: {e}", db.display()),
        )),
    }
}

/// Waits (up to `limit`) until nobody holds sled's lock on the store in `dir`: a `sled::Db`
/// dropped in this process lets go of its lock from sled's own threads a moment later, so a
/// store that says it is closed waits for that, and can be opened again at once.
pub fn wait_unlocked(dir: &Path, limit: std::time::Duration) {
    let Ok(file) = std::fs::File::open(dir.join("db")) else {
        return;
    };
    let deadline = std::time::Instant::now() + limit;
    loop {
        match fs2::FileExt::try_lock_shared(&file) {
            Ok(()) => {
                let _ = fs2::FileExt::unlock(&file);
                return;
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(_) => return,
        }
    }
}

fn in_use(dir: &Path, db: &Path) -> Error {
    refuse(
        dir,
        format!(
            "the store is in use: another process holds the lock on {} (a running gateway, \
             `ketenpoort backup` or `export`); stop it first",
            db.display()
        ),
    )
}

/// sled's files other than `db` that are in `dir`.
fn sled_files(dir: &Path) -> Result<Vec<String>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| permission(dir, &e.to_string()))?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "conf" || name == "blobs" || name.starts_with("snap.") {
            found.push(name);
        }
    }
    found.sort();
    Ok(found)
}

fn read_marker(dir: &Path) -> Result<Option<Identity>, Error> {
    let path = dir.join(MARKER);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            refuse(
                dir,
                format!("the identity marker {} does not read: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(permission(&path, &e.to_string())),
    }
}

/// Opens sled in `dir` (after [`prepare`]); its refusals named and classified.
pub fn open_sled(dir: &Path, cache_bytes: u64) -> Result<sled::Db, Error> {
    sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes)
        .open()
        .map_err(|e| classify(dir, &e))
}

/// A sled error met while opening or first reading the store in `dir`, as the operator
/// needs it: in use, no permission, or damaged; with the path.
pub fn classify(dir: &Path, e: &sled::Error) -> Error {
    match e {
        sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
            in_use(dir, &dir.join("db"))
        }
        sled::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            permission(dir, &io.to_string())
        }
        other => damaged(dir, &other.to_string()),
    }
}

/// The store in `dir` does not read back: `detail` says where.
pub fn damaged(dir: &Path, detail: &str) -> Error {
    refuse(
        dir,
        format!(
            "the store is damaged: {detail} (in {}). ketenpoort does not repair or remove it; \
             {RESTORE}",
            dir.join("db").display()
        ),
    )
}

/// After sled opened `dir`: checks that sled holds the marker's id, or makes a new store's
/// identity (sled first, flushed, then the marker), or gives a store from before the marker
/// one.
pub fn settle(dir: &Path, db: &sled::Db, found: Found) -> Result<Identity, Error> {
    let stored = db
        .get(ID_KEY)
        .map_err(|e| classify(dir, &e))?
        .and_then(|v| uuid::Uuid::from_slice(&v).ok());
    match found {
        Found::Existing(Some(marker)) => match stored {
            Some(id) if id == marker.store_id => Ok(marker),
            Some(id) => Err(refuse(
                dir,
                format!(
                    "the database file holds store {id}, but the marker {} names store {}: \
                     the files of two stores were mixed; {RESTORE}",
                    dir.join(MARKER).display(),
                    marker.store_id
                ),
            )),
            None if db.is_empty() => Err(refuse(
                dir,
                format!(
                    "the database holds no records{}; {RESTORE}",
                    marker_note(Some(&marker))
                ),
            )),
            // A marker written before sled held the id (should not happen): adopt it.
            None => {
                write_id(dir, db, marker.store_id)?;
                Ok(marker)
            }
        },
        Found::Existing(None) => {
            let identity = Identity {
                store_id: stored.unwrap_or_else(uuid::Uuid::new_v4),
                created_at: chrono::Utc::now().to_rfc3339(),
            };
            if stored.is_none() {
                write_id(dir, db, identity.store_id)?;
            }
            write_marker(dir, &identity)?;
            tracing::info!(store = %identity.store_id, "store identity marker written");
            Ok(identity)
        }
        Found::New => {
            let identity = Identity {
                store_id: uuid::Uuid::new_v4(),
                created_at: chrono::Utc::now().to_rfc3339(),
            };
            write_id(dir, db, identity.store_id)?;
            write_marker(dir, &identity)?;
            tracing::info!(store = %identity.store_id, "new store created");
            Ok(identity)
        }
    }
}

fn write_id(dir: &Path, db: &sled::Db, id: uuid::Uuid) -> Result<(), Error> {
    db.insert(ID_KEY, id.as_bytes().as_slice())
        .and_then(|_| db.flush())
        .map(|_| ())
        .map_err(|e| classify(dir, &e))
}

/// For a reader (`backup`, `export`), which writes nothing: the store in `dir` is the one its
/// marker names, if it has one.
pub fn check_identity(dir: &Path, db: &sled::Db, found: &Found) -> Result<Option<Identity>, Error> {
    let Found::Existing(Some(marker)) = found else {
        return Ok(None);
    };
    let stored = db
        .get(ID_KEY)
        .map_err(|e| classify(dir, &e))?
        .and_then(|v| uuid::Uuid::from_slice(&v).ok());
    match stored {
        Some(id) if id != marker.store_id => Err(refuse(
            dir,
            format!(
                "the database file holds store {id}, but the marker names store {}: the files of two stores were mixed",
                marker.store_id
            ),
        )),
        None if db.is_empty() => Err(refuse(
            dir,
            format!(
                "the database holds no records{}; {RESTORE}",
                marker_note(Some(marker))
            ),
        )),
        _ => Ok(Some(marker.clone())),
    }
}

/// Writes the marker atomically (a temporary file, synced, renamed).
pub fn write_marker(dir: &Path, identity: &Identity) -> Result<(), Error> {
    use std::io::Write as _;
    let path = dir.join(MARKER);
    let tmp: PathBuf = dir.join(format!("{MARKER}.tmp"));
    let text = serde_json::to_vec_pretty(identity)?;
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&text)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        refuse(
            dir,
            format!("cannot write the identity marker {}: {e}", path.display()),
        )
    })
}

/// A copy of the store in `dir` in a new private temporary directory, for reading a store
/// the caller cannot write (sled opens its files for writing). Removed when dropped.
pub fn copy_for_reading(dir: &Path) -> Result<tempfile::TempDir, Error> {
    let copy = tempfile::Builder::new()
        .prefix("ketenpoort-store-copy")
        .tempdir()
        .map_err(|e| refuse(dir, format!("cannot make a temporary copy to read it: {e}")))?;
    copy_tree(dir, copy.path()).map_err(|e| {
        refuse(
            dir,
            format!(
                "cannot copy it to {} to read it: {e}",
                copy.path().display()
            ),
        )
    })?;
    Ok(copy)
}

/// Whether a name in a store directory is one of the store's files (sled's and the marker).
fn is_store_file(name: &str) -> bool {
    ["db", "conf", "blobs", MARKER].contains(&name) || name.starts_with("snap.")
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if !is_store_file(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_all(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Copies everything under `from` (the `blobs/` directory) into `to`.
fn copy_all(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_all(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Whether this process may write `dir` (a store it cannot write is read from a copy).
pub fn writable(dir: &Path) -> bool {
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok()
        && rustix::fs::access(dir.join("db"), rustix::fs::Access::WRITE_OK).is_ok()
}

/// `db`'s size and modification time, as [`CLOSED`] keeps them.
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Fingerprint {
    db_len: u64,
    db_modified_ns: u128,
}

/// The bytes of the store's files that [`verify`] would copy.
fn store_bytes(dir: &Path) -> u64 {
    fn bytes(p: &Path) -> u64 {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => std::fs::read_dir(p)
                .map(|entries| entries.flatten().map(|e| bytes(&e.path())).sum())
                .unwrap_or(0),
            Ok(m) => m.len(),
            Err(_) => 0,
        }
    }
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| is_store_file(&e.file_name().to_string_lossy()))
                .map(|e| bytes(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

fn fingerprint(dir: &Path) -> Option<Fingerprint> {
    let m = std::fs::metadata(dir.join("db")).ok()?;
    let modified = m.modified().ok()?;
    let ns = modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(Fingerprint {
        db_len: m.len(),
        db_modified_ns: ns,
    })
}

/// Records that the store in `dir` was closed cleanly (sled released it): the next open
/// need not [`verify`] it while `db` is unchanged. A failure only costs that check.
pub fn record_clean_close(dir: &Path) {
    let Some(print) = fingerprint(dir) else {
        return;
    };
    let write = || -> std::io::Result<()> {
        let tmp = dir.join(format!("{CLOSED}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec(&print)?)?;
        std::fs::rename(&tmp, dir.join(CLOSED))
    };
    if let Err(e) = write() {
        tracing::warn!(error = %e, "could not record the clean close of the store");
    }
}

/// What [`CLOSED`] says about `db` now.
enum SinceClose {
    /// Closed cleanly, unchanged since.
    Unchanged,
    /// Shorter than at the clean close, with no open in between: cut off.
    Shorter { was: u64, now: u64 },
    /// No record, or changed otherwise (grown, or a copy with other times).
    Unknown,
}

fn since_close(dir: &Path) -> SinceClose {
    let Ok(text) = std::fs::read(dir.join(CLOSED)) else {
        return SinceClose::Unknown;
    };
    let Ok(recorded) = serde_json::from_slice::<Fingerprint>(&text) else {
        return SinceClose::Unknown;
    };
    match fingerprint(dir) {
        Some(now) if now == recorded => SinceClose::Unchanged,
        Some(now) if now.db_len < recorded.db_len => SinceClose::Shorter {
            was: recorded.db_len,
            now: now.db_len,
        },
        _ => SinceClose::Unknown,
    }
}

/// Called just before sled opens the store in place: from now on it is not closed cleanly
/// until [`record_clean_close`] says so again (sled may shrink `db` while it runs).
pub fn forget_clean_close(dir: &Path) -> Result<(), Error> {
    match std::fs::remove_file(dir.join(CLOSED)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(permission(&dir.join(CLOSED), &e.to_string())),
    }
}

/// How [`verify`] may check a store that was not closed cleanly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyLimits {
    /// The largest `db` (bytes) checked on a copy; a larger one is opened in place with a
    /// warning, so that a restart after a crash never copies and reads a store of many
    /// gigabytes (`[store] verify_copy_max_mb`).
    pub max_copy_bytes: u64,
    /// sled's page cache for reading the copy, so that the check uses no more memory than
    /// the store itself will (`[store] cache_mb`).
    pub cache_bytes: u64,
}

impl Default for VerifyLimits {
    fn default() -> Self {
        VerifyLimits {
            max_copy_bytes: 1024 * 1024 * 1024,
            cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What [`verify`] did before the store is opened in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Closed cleanly and unchanged since: nothing to check.
    ClosedCleanly,
    /// Opened and read through on a copy without an error.
    OnCopy,
    /// Larger than [`VerifyLimits::max_copy_bytes`] (its files' `bytes`): not checked.
    TooLarge {
        /// The size of the store's files.
        bytes: u64,
    },
    /// No copy could be made (e.g. a full disk): not checked.
    NoCopy,
}

/// Before an existing store that was not closed cleanly is opened in place: opens a copy of
/// it and reads every record, so that a damaged store is refused without sled writing to
/// it. A copy that cannot be made (a full disk), or a store larger than
/// [`VerifyLimits::max_copy_bytes`], is not checked, with a warning: the store is then
/// opened in place, as before this check (sled's own recovery still refuses what it cannot
/// read, but may have written to the store by then).
pub fn verify(dir: &Path, limits: VerifyLimits) -> Result<Verified, Error> {
    match since_close(dir) {
        SinceClose::Unchanged => return Ok(Verified::ClosedCleanly),
        SinceClose::Shorter { was, now } => {
            return Err(damaged(
                dir,
                &format!(
                    "the database file is {now} bytes, shorter than the {was} bytes it had when the store was last closed: it was cut off"
                ),
            ));
        }
        SinceClose::Unknown => {}
    }
    let size = store_bytes(dir);
    if size > limits.max_copy_bytes {
        tracing::warn!(
            store_mb = size / (1024 * 1024),
            limit_mb = limits.max_copy_bytes / (1024 * 1024),
            "the store was not closed cleanly and is larger than [store] verify_copy_max_mb: \
             opened in place without first being checked on a copy"
        );
        return Ok(Verified::TooLarge { bytes: size });
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(VERIFY_PREFIX) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let copy = match tempfile::Builder::new()
        .prefix(VERIFY_PREFIX)
        .tempdir_in(dir)
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "store not checked on a copy before opening it");
            return Ok(Verified::NoCopy);
        }
    };
    if let Err(e) = copy_tree(dir, copy.path()) {
        tracing::warn!(error = %e, "store not checked on a copy before opening it");
        return Ok(Verified::NoCopy);
    }
    let db = sled::Config::new()
        .path(copy.path())
        .cache_capacity(limits.cache_bytes)
        .open()
        .map_err(|e| classify(dir, &e))?;
    for kv in db.iter() {
        if let Err(e) = kv {
            return Err(damaged(dir, &e.to_string()));
        }
    }
    drop(db);
    Ok(Verified::OnCopy)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sled store of some 2 MB in a new directory, not closed cleanly (no [`CLOSED`]).
    fn unclean_store() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(dir.path()).open().expect("sled");
        for i in 0u32..2_000 {
            db.insert(i.to_be_bytes(), vec![7u8; 1024]).expect("insert");
        }
        db.flush().expect("flush");
        drop(db);
        dir
    }

    #[test]
    fn a_store_not_closed_cleanly_is_read_on_a_copy_up_to_the_limit() {
        let dir = unclean_store();
        let limits = VerifyLimits::default();
        assert_eq!(
            verify(dir.path(), limits).expect("verify"),
            Verified::OnCopy
        );
        let leftovers = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(VERIFY_PREFIX))
            .count();
        assert_eq!(leftovers, 0, "the copy is removed");
    }

    #[test]
    fn a_larger_store_is_not_copied() {
        let dir = unclean_store();
        let size = store_bytes(dir.path());
        assert!(size > 1_000_000, "the store's files are counted: {size}");
        let limits = VerifyLimits {
            max_copy_bytes: size - 1,
            ..VerifyLimits::default()
        };
        assert_eq!(
            verify(dir.path(), limits).expect("verify"),
            Verified::TooLarge { bytes: size }
        );
        let at_limit = VerifyLimits {
            max_copy_bytes: size,
            ..VerifyLimits::default()
        };
        assert_eq!(
            verify(dir.path(), at_limit).expect("verify"),
            Verified::OnCopy
        );
    }

    #[test]
    fn a_cleanly_closed_store_is_not_checked_at_all() {
        let dir = unclean_store();
        record_clean_close(dir.path());
        let limits = VerifyLimits::default();
        assert_eq!(
            verify(dir.path(), limits).expect("verify"),
            Verified::ClosedCleanly
        );
    }
}
