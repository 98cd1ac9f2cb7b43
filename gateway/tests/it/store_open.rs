//! Issue 13 items 9 and 10: a store is created only by an explicit first start and carries
//! an identity marker; a store that lost its files is refused with what is missing and how to
//! restore it; `export`/`backup` never create a store and read a store they cannot write; and
//! the refusals tell a store in use, missing files, no permission and damage apart, name the
//! path and leave the files as they were.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use common::*;
use ketenpoort::proto::Law;
use ketenpoort::store::open::{Create, MARKER};
use ketenpoort::store::sled_store::{Options, SledStore};

fn ketenpoort(args: &[&str], dirs: &[&Path]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ketenpoort"));
    cmd.args(args).env_remove("RUST_LOG");
    for d in dirs {
        cmd.arg(d);
    }
    cmd.output().expect("run ketenpoort")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under `dir` with its size and modification time.
fn files(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let m = e.metadata().expect("metadata");
        if m.is_dir() {
            out.extend(files(&e.path()));
        } else {
            out.insert(e.path(), (m.len(), m.modified().expect("mtime")));
        }
    }
    out
}

/// A store with two messages a gateway wrote, stopped; its directory.
async fn store_with_messages() -> (tempfile::TempDir, Vec<String>) {
    let server = start().await;
    let mut c = server.client().await;
    let mut ids = Vec::new();
    for n in 0..2 {
        ids.push(
            submit_315(&mut c, TOKEN_A, Law::Ijw, AGB_A, &format!("kept-{n}"))
                .await
                .expect("stored"),
        );
    }
    (server.stop_keeping_data().await, ids)
}

fn open_error(dir: &Path, create: Create) -> String {
    match SledStore::open_in(dir, create, &Options::default()) {
        Ok(_) => panic!("{} opened", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn serve_without_init_refuses_a_directory_without_a_store_and_creates_nothing() {
    let files_dir = tempfile::tempdir().expect("temp dir");
    let data = files_dir.path().join("data");
    let config = common::child::write_config(files_dir.path(), &data, "");
    let out = ketenpoort(&["serve", "--config"], &[&config]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("no store"), "{text}");
    assert!(text.contains("--init"), "{text}");
    assert!(text.contains(&data.display().to_string()), "{text}");
    assert!(!data.exists(), "nothing was created");

    std::fs::create_dir(&data).expect("mkdir");
    let out = ketenpoort(&["serve", "--config"], &[&config]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--init"), "{}", stderr(&out));
    assert!(files(&data).is_empty(), "an empty directory stays empty");
}

#[tokio::test]
async fn a_new_store_carries_a_marker_and_a_store_that_lost_its_db_is_refused() {
    let (dir, ids) = store_with_messages().await;
    let keep = tempfile::tempdir().expect("temp dir");
    let backup = keep.path().join("backup");
    let out = ketenpoort(&["backup", "--data-dir"], &[dir.path(), &backup]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let marker = std::fs::read_to_string(dir.path().join(MARKER)).expect("the marker");
    let id: serde_json::Value = serde_json::from_str(&marker).expect("JSON");
    let store_id = id["store_id"].as_str().expect("a store id").to_owned();
    assert!(id["created_at"].is_string(), "{marker}");

    // `rm db snap.*`: refused, also with --init (IfNew), and nothing is created.
    std::fs::remove_file(dir.path().join("db")).expect("rm db");
    for e in std::fs::read_dir(dir.path()).expect("ls").flatten() {
        if e.file_name().to_string_lossy().starts_with("snap.") {
            std::fs::remove_file(e.path()).expect("rm snap");
        }
    }
    let before = files(dir.path());
    for create in [Create::Never, Create::IfNew] {
        let e = open_error(dir.path(), create);
        assert!(e.contains("is missing"), "{e}");
        assert!(e.contains(&store_id), "{e}");
        assert!(e.contains("backup"), "{e}");
        assert!(e.contains(&dir.path().display().to_string()), "{e}");
    }
    assert_eq!(files(dir.path()), before, "the failed open wrote nothing");
    assert!(!dir.path().join("db").exists());

    // The marker gone as well, sled's other files still there: still refused.
    std::fs::remove_file(dir.path().join(MARKER)).expect("rm marker");
    let e = open_error(dir.path(), Create::IfNew);
    assert!(e.contains("no database file db"), "{e}");
    assert!(!dir.path().join("db").exists());

    // The advice works: the backup, copied to a new data directory, opens without --init
    // as the same store, with its messages.
    let restored = keep.path().join("restored");
    let status = Command::new("cp")
        .arg("-r")
        .arg(&backup)
        .arg(&restored)
        .status()
        .expect("cp");
    assert!(status.success());
    let (store, _closed) =
        SledStore::open_in(&restored, Create::Never, &Options::default()).expect("restored");
    use ketenpoort::store::Store as _;
    let listed = store.list_messages(None, 10, &|_| true).expect("list");
    let mut listed: Vec<String> = listed.iter().map(|m| m.id.to_string()).collect();
    listed.reverse();
    assert_eq!(listed, ids);
    let restored_marker = std::fs::read_to_string(restored.join(MARKER)).expect("marker");
    assert!(restored_marker.contains(&store_id), "{restored_marker}");
}

#[tokio::test]
async fn a_db_of_another_store_is_refused() {
    let (a, _) = store_with_messages().await;
    let (b, _) = store_with_messages().await;
    std::fs::copy(b.path().join(MARKER), a.path().join(MARKER)).expect("swap the marker");
    let e = open_error(a.path(), Create::Never);
    assert!(e.contains("two stores were mixed"), "{e}");
    assert!(!e.contains("  "), "one space between words: {e}");
}

#[test]
fn export_and_backup_never_create_a_store() {
    let root = tempfile::tempdir().expect("temp dir");
    let empty = root.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let absent = root.path().join("absent");
    for dir in [&empty, &absent] {
        let out = ketenpoort(&["export", "--data-dir"], &[dir]);
        assert_eq!(out.status.code(), Some(2), "export: {}", stderr(&out));
        assert!(out.stdout.is_empty());
        assert!(stderr(&out).contains("no store"), "{}", stderr(&out));
        let target = root.path().join("copy");
        let out = ketenpoort(&["backup", "--data-dir"], &[dir, &target]);
        assert_eq!(out.status.code(), Some(2), "backup: {}", stderr(&out));
        assert!(stderr(&out).contains("no store"), "{}", stderr(&out));
        assert!(!target.exists());
    }
    assert!(
        files(&empty).is_empty(),
        "nothing created in {}",
        empty.display()
    );
    assert!(!absent.exists());
}

#[tokio::test]
async fn a_store_in_use_is_told_apart_and_named() {
    let (dir, _) = store_with_messages().await;
    let (store, closed) = SledStore::open_with_closed(dir.path()).expect("opens");
    let e = open_error(dir.path(), Create::Never);
    assert!(e.contains("in use"), "{e}");
    assert!(
        e.contains(&dir.path().join("db").display().to_string()),
        "{e}"
    );
    let out = ketenpoort(&["export", "--data-dir"], &[dir.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("in use"), "{}", stderr(&out));
    drop(store);
    closed.await.expect("closed");
}

#[tokio::test]
async fn a_truncated_db_is_called_damaged_with_its_path() {
    let (dir, _) = store_with_messages().await;
    let db = dir.path().join("db");
    let len = std::fs::metadata(&db).expect("db").len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .expect("open db");
    f.set_len(len / 3).expect("truncate");
    drop(f);
    let before = files(dir.path());
    let e = open_error(dir.path(), Create::Never);
    assert!(e.contains("damaged"), "{e}");
    assert!(e.contains("cut off"), "{e}");
    assert!(!e.contains("  "), "one space between words: {e}");
    assert!(e.contains(&db.display().to_string()), "{e}");
    assert!(!e.contains("in use"), "{e}");
    assert_eq!(files(dir.path()), before, "sizes and mtimes unchanged");
    let out = ketenpoort(&["export", "--data-dir"], &[dir.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cut off"), "{}", stderr(&out));
    assert_eq!(files(dir.path()), before, "export wrote nothing either");
}

/// Makes `dir` read-only for this process: a read-only remount of a tmpfs holding it as root
/// (root writes through file modes), file modes otherwise. The guard undoes it.
struct ReadOnly {
    mount: Option<PathBuf>,
    dir: PathBuf,
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        match &self.mount {
            Some(m) => {
                let _ = Command::new("umount").arg("-l").arg(m).status();
            }
            None => {
                let _ = Command::new("chmod")
                    .arg("-R")
                    .arg("u+w")
                    .arg(&self.dir)
                    .status();
            }
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A read-only copy of the store in `from`, at a path it returns.
fn read_only_copy(from: &Path, root: &Path) -> (PathBuf, ReadOnly) {
    let copy = |to: &Path| {
        let status = Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", from.display()))
            .arg(to)
            .status()
            .expect("cp");
        assert!(status.success());
    };
    if is_root() {
        let mnt = root.join("mnt");
        std::fs::create_dir(&mnt).expect("mkdir");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
            .arg(&mnt)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "as root a tmpfs mounts");
        let guard = ReadOnly {
            mount: Some(mnt.clone()),
            dir: mnt.clone(),
        };
        copy(&mnt);
        let ok = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&mnt)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount read-only");
        (mnt, guard)
    } else {
        let dir = root.join("ro");
        std::fs::create_dir(&dir).expect("mkdir");
        copy(&dir);
        let guard = ReadOnly {
            mount: None,
            dir: dir.clone(),
        };
        let status = Command::new("chmod")
            .arg("-R")
            .arg("a-w")
            .arg(&dir)
            .status()
            .expect("chmod");
        assert!(status.success());
        (dir, guard)
    }
}

#[tokio::test]
async fn a_read_only_store_is_refused_untouched_and_export_reads_it() {
    let (dir, ids) = store_with_messages().await;
    let root = tempfile::tempdir().expect("temp dir");
    let (ro, _guard) = read_only_copy(dir.path(), root.path());
    let before = files(&ro);
    let e = open_error(&ro, Create::Never);
    assert!(e.contains("no permission"), "{e}");
    assert!(e.contains(&ro.display().to_string()), "{e}");
    assert!(!e.contains("in use"), "{e}");
    assert_eq!(files(&ro), before, "sizes and mtimes unchanged");

    let out = ketenpoort(&["export", "--data-dir"], &[&ro]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let exported: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line"))
        .filter(|l| l["type"] == "message")
        .map(|l| l["id"].to_string())
        .collect();
    assert_eq!(exported, ids);
    assert_eq!(files(&ro), before, "export wrote nothing");
}
