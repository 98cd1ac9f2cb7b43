//! `ketenpoort backup` and `ketenpoort export` on a store a gateway wrote: the backup is a
//! store a gateway can serve from, the export has every message with its XML and every event.

use crate::common;

use std::process::Command;

use common::*;
use ketenpoort::proto::Law;

#[tokio::test]
async fn backup_and_export_a_store() {
    let server = start().await;
    let mut c = server.client().await;
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    let sent = c
        .submit_declaration(req(
            TOKEN_A,
            declaration(Law::Ijw, AGB_A, "kept").with_xml(),
        ))
        .await
        .expect("accepted")
        .into_inner();
    let event = next_event(&mut stream).await;
    drop(stream);
    let data_dir = server.stop_keeping_data().await;
    let data = data_dir.path().to_owned();
    let keep = tempfile::tempdir().expect("temp dir");
    let copy = keep.path().join("backup");

    let out = Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(["backup", "--data-dir"])
        .arg(&data)
        .arg(&copy)
        .output()
        .expect("run backup");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(["export", "--data-dir"])
        .arg(&copy)
        .output()
        .expect("run export");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let message = lines
        .iter()
        .find(|l| l["type"] == "message")
        .expect("a message line");
    assert_eq!(message["id"].to_string(), sent.message_id);
    assert_eq!(message["xml"], sent.xml.as_str());
    assert_eq!(message["state"], "Delivered");
    let ev = lines
        .iter()
        .find(|l| l["type"] == "event")
        .expect("an event line");
    assert_eq!(ev["cursor"], event.cursor);

    // A second backup to the same place is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(["backup", "--data-dir"])
        .arg(&data)
        .arg(&copy)
        .output()
        .expect("run backup");
    assert_eq!(out.status.code(), Some(2));
}
