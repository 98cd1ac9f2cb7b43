//! The client commands of the `ketenpoort` binary (`submit`, `status`, `returns`, `outbox`,
//! `report`), run as a user runs them against a dev gateway started in-process on port 0
//! (token `dev`, loopback stand-in, cross-message rules on) whose store already holds the
//! 301 allocations the example requests in `examples/requests/` refer to.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike as _, Utc};
use common::Allocated;
use ketenpoort::config::{Config, TenantConfig, TlsConfig as ServerTls, VecozoMode};
use ketenpoort::header::FixedClock;
use ketenpoort::server::Gateway;
use ketenpoort::tenant::{sha256_hex, token_digest};
use ketenpoort_client::{Client, MessageState, proto};
use tokio::sync::oneshot;

/// A dev gateway on 127.0.0.1:0.
struct Dev {
    url: String,
    client: Client,
    /// The gateway's shared state (weak: the store closes when the gateway stops).
    shared: std::sync::Weak<ketenpoort::api::Shared>,
    _dir: tempfile::TempDir,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), ketenpoort::Error>>,
}

/// The 301s behind the examples: allocations 1001 and 1002 (45/45A48, from 2025-03-01, no
/// end) for the client 123456782 from municipality 0268 to AGB 12345678.
fn allocations() -> Vec<String> {
    vec![common::allocation_xml(
        ketenpoort::proto::Law::Ijw,
        "12345678",
        "123456782",
        "TW0001",
        &[
            Allocated {
                nummer: 1001,
                start: "2025-03-01",
                end: None,
            },
            Allocated {
                nummer: 1002,
                start: "2025-03-01",
                end: None,
            },
        ],
    )]
}

/// Starts a dev gateway with the clock stopped at 12:00 UTC today (the example files'
/// relative dates are resolved against the real date) and the example allocations.
async fn start_dev() -> Dev {
    start_dev_days_ahead(0).await
}

/// [`start_dev`] with the gateway's clock `days` ahead of now.
async fn start_dev_days_ahead(days: i64) -> Dev {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::dev();
    config.server.data_dir = dir.path().to_owned();
    // The loopback stand-in: these tests are about the client commands, and they record the
    // allocations themselves.
    config.vecozo.mode = Some(VecozoMode::Loopback);
    assert!(config.messages.cross_message_rules);
    let clock = Arc::new(FixedClock(noon_today() + chrono::TimeDelta::days(days)));
    let gateway = Gateway::open_with_clock(config, clock).expect("gateway opens");
    for xml in allocations() {
        ketenpoort::store::history::record_received(gateway.shared().store.as_ref(), &xml)
            .await
            .expect("the 301 is recorded");
    }
    let shared = Arc::downgrade(&gateway.shared());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(listener, None, async {
        let _ = rx.await;
    }));
    let client = Client::connect_dev(&url).await.expect("connect");
    Dev {
        url,
        client,
        shared,
        _dir: dir,
        stop,
        task,
    }
}

impl Dev {
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the gateway stops within 10 s")
            .expect("no panic")
            .expect("served without error");
    }

    /// Runs `ketenpoort ARGS --gateway URL` (no token: the dev default).
    async fn run(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        all.insert(1, format!("--gateway={}", self.url));
        ketenpoort(all).await
    }

    /// Every message the dev tenant has.
    async fn messages(&self) -> Vec<proto::MessageRecord> {
        self.client
            .list_all_messages(proto::ListMessagesRequest::default())
            .await
            .expect("list")
    }

    /// Waits until the loopback has delivered `n` messages.
    async fn wait_delivered(&self, n: usize) {
        for _ in 0..100 {
            let delivered = self
                .messages()
                .await
                .iter()
                .filter(|m| m.state() == MessageState::Delivered)
                .count();
            if delivered >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} messages were not delivered within 5 s");
    }
}

/// Runs the binary with `args`, without the connection variables of the environment.
async fn ketenpoort(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
            .args(&args)
            .env_remove("KETENPOORT_TOKEN")
            .env_remove("KETENPOORT_GATEWAY")
            .output()
            .expect("run the ketenpoort binary")
    })
    .await
    .expect("the command ran")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

/// The example request files, sorted (305, 307, 315, 317, 323: a start before its stop).
fn examples() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/requests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/requests")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let files: Vec<String> = files
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 5, "{files:?}");
    files
}

fn with(command: &str, extra: &[&str], files: &[String]) -> Vec<String> {
    let mut v = vec![command.to_owned()];
    v.extend(extra.iter().map(|s| (*s).to_owned()));
    v.extend(files.iter().cloned());
    v
}

impl Dev {
    async fn run_owned(&self, args: Vec<String>) -> Output {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&refs).await
    }
}

/// The message ids `submit` printed (`… as message N …`).
fn message_ids(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.split(" as message ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// A 315 whose BSN fails the 11-proef (CS002, retourcode 0001).
const BAD_BSN: &str = "123456789";

fn bad_request(dir: &Path) -> String {
    let path = dir.join("jw315-bad-bsn.json");
    let text = format!(
        r#"{{"kind": "JW315",
            "common": {{"agbCode": "12345678", "municipality": "0268"}},
            "client": {{"bsn": "{BAD_BSN}", "birthDate": "2012-05-17", "sex": "2",
                        "surname": "Pietersen"}},
            "products": [{{"providerReference": "REF-9", "product": {{"category": "45"}},
                           "startDate": "2025-05-01",
                           "referrer": {{"type": "02", "agbCode": "01234567"}}}}]}}"#
    );
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

/// 12:00 UTC today: the day is the one the CLI resolves relative dates against.
fn noon_today() -> chrono::DateTime<Utc> {
    Utc::now()
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .expect("a time")
        .and_utc()
}

/// Today plus `days`, as `YYYY-MM-DD`.
fn today_plus(days: i64) -> String {
    (noon_today() + chrono::TimeDelta::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// The first (or, with `last`, the last) day of the month `months_back` months before this
/// one, as `YYYY-MM-DD`.
fn month_day(months_back: u32, last: bool) -> String {
    let first = noon_today()
        .date_naive()
        .with_day(1)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(months_back)))
        .expect("a date");
    let d = if last {
        first
            .checked_add_months(chrono::Months::new(1))
            .and_then(|d| d.pred_opt())
            .expect("a date")
    } else {
        first
    };
    d.format("%Y-%m-%d").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_examples_are_accepted_and_a_second_run_stores_nothing_new() {
    the_examples_are_accepted_days_ahead(0).await;
}

/// The examples do not rot: with the gateway's clock two years ahead they are still valid.
#[tokio::test(flavor = "multi_thread")]
async fn the_examples_are_accepted_two_years_from_now() {
    the_examples_are_accepted_days_ahead(730).await;
}

async fn the_examples_are_accepted_days_ahead(days: i64) {
    let dev = start_dev_days_ahead(days).await;
    let files = examples();
    let first = dev.run_owned(with("submit", &[], &files)).await;
    assert_eq!(first.status.code(), Some(0), "{}", show(&first));
    let out = stdout(&first);
    assert!(
        out.contains("summary: 5 accepted, 0 rejected (of 5 files)"),
        "{out}"
    );
    for kind in ["JW305", "JW307", "JW315", "JW317", "JW323"] {
        assert!(
            out.contains(&format!("accepted {kind} as message")),
            "{out}"
        );
    }
    assert!(out.contains("request_id cli-"), "{out}");
    assert_eq!(dev.messages().await.len(), 5);

    // Again: the derived request_ids make the batch idempotent.
    let again = dev.run_owned(with("submit", &[], &files)).await;
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
    assert_eq!(message_ids(&out), message_ids(&stdout(&again)));
    assert_eq!(dev.messages().await.len(), 5, "no new messages");
    dev.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_breaking_file_is_rejected_with_its_rule_and_no_bsn() {
    let dev = start_dev().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let bad = bad_request(tmp.path());
    let files = vec![examples()[2].clone(), bad.clone()];
    let o = dev.run_owned(with("submit", &[], &files)).await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    assert!(
        out.contains("summary: 1 accepted, 1 rejected (of 2 files)"),
        "{out}"
    );
    assert!(
        out.contains(&format!("rejected: {bad}: CS002 client.bsn [0001]")),
        "{out}"
    );
    assert!(out.contains("INVALID_ARGUMENT"), "{out}");
    assert!(
        !out.contains(BAD_BSN) && !out.contains("Pietersen"),
        "{out}"
    );
    assert!(!stderr(&o).contains(BAD_BSN), "{}", stderr(&o));

    // --json: one object per file, the summary on stderr.
    let o = dev.run_owned(with("submit", &["--json"], &[bad])).await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one JSON line");
    assert_eq!(v["outcome"], "rejected");
    assert_eq!(v["violations"][0]["rule"], "CS002");
    assert_eq!(v["violations"][0]["field"], "client.bsn");
    assert_eq!(v["violations"][0]["retourcode"], "0001");
    assert!(stderr(&o).contains("summary: 0 accepted, 1 rejected"));
    assert_eq!(dev.messages().await.len(), 1);
    dev.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_checks_everything_and_stores_nothing() {
    let dev = start_dev().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    // Without the 307: it stops the care the 305 starts, which a dry run does not store.
    let mut files: Vec<String> = examples()
        .into_iter()
        .filter(|f| !f.ends_with("jw307.json"))
        .collect();
    let o = dev.run_owned(with("submit", &["--dry-run"], &files)).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(
        stdout(&o).contains("summary: 4 valid, 0 invalid (of 4 files)"),
        "{}",
        show(&o)
    );
    files.push(bad_request(tmp.path()));
    let o = dev.run_owned(with("submit", &["--dry-run"], &files)).await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(stdout(&o).contains("4 valid, 1 invalid"), "{}", show(&o));
    assert!(stdout(&o).contains("CS002"), "{}", show(&o));
    assert!(dev.messages().await.is_empty());
    dev.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_files_and_an_unreachable_gateway_exit_with_2() {
    let dev = start_dev().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let typo = tmp.path().join("typo.json");
    std::fs::write(
        &typo,
        r#"{"kind": "CareStop", "clent": {"bsn": "123456782"}}"#,
    )
    .expect("write");
    let number = tmp.path().join("number.json");
    std::fs::write(
        &number,
        r#"{"kind": "CareStop", "client": {"bsn": 123456782}}"#,
    )
    .expect("write");
    let check_only = tmp.path().join("check-only.json");
    std::fs::write(
        &check_only,
        r#"{"kind": "CareStop", "common": {"validateOnly": true}}"#,
    )
    .expect("write");
    let files = vec![
        typo.to_string_lossy().into_owned(),
        number.to_string_lossy().into_owned(),
        check_only.to_string_lossy().into_owned(),
        examples()[2].clone(),
    ];
    let o = dev.run_owned(with("submit", &[], &files)).await;
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let out = stdout(&o);
    assert!(out.contains("unknown field `clent`"), "{out}");
    assert!(out.contains("client.bsn: invalid type"), "{out}");
    assert!(out.contains("use submit --dry-run"), "{out}");
    assert!(!out.contains("123456782"), "{out}");
    assert!(
        out.contains("summary: 1 accepted, 0 rejected, 3 unreadable (of 4 files)"),
        "{out}"
    );
    dev.stop().await;

    // Nothing listens there any more.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let o = ketenpoort(vec![
        "submit".into(),
        format!("--gateway=http://{closed}"),
        examples()[2].clone(),
    ])
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(stderr(&o).contains("cannot connect"), "{}", show(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn status_prints_the_state_and_exits_1_for_an_unknown_id() {
    let dev = start_dev().await;
    let o = dev
        .run_owned(with("submit", &[], &[examples()[4].clone()]))
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let id = message_ids(&stdout(&o)).pop().expect("a message id");
    dev.wait_delivered(1).await;

    let o = dev.run(&["status", &id]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = stdout(&o);
    assert!(out.starts_with(&format!("message {id}\n")), "{out}");
    for expected in [
        "kind          JW323",
        "state         DELIVERED",
        "municipality  0268",
        &format!("accepted_at   {}T12:00:00.000Z", today_plus(0)),
        "meldingen     none",
    ] {
        assert!(out.contains(expected), "{expected:?} in {out}");
    }
    assert!(!out.contains("123456782"), "{out}");

    let o = dev.run(&["status", "--json", "--events", &id]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
    assert_eq!(v["state"], "DELIVERED");
    assert_eq!(v["events"][0]["type"], "delivery");
    assert_eq!(v["events"][0]["delivery"]["state"], "DELIVERED");
    assert_eq!(v["event_cursors"].as_array().map(Vec::len), Some(1));

    let o = dev.run(&["status", "--xml", &id]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(stdout(&o).starts_with("<?xml"), "{}", show(&o));
    assert!(stdout(&o).contains("ReferentieNummer>R1-"), "{}", show(&o));

    let o = dev.run(&["status", "424242"]).await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    dev.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn returns_prints_the_delivery_events_and_acknowledges_them() {
    let dev = start_dev().await;
    let o = dev.run_owned(with("submit", &[], &examples())).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let ids = message_ids(&stdout(&o));
    dev.wait_delivered(5).await;

    // Peek without acknowledging.
    let o = dev.run(&["returns", "--no-ack", "--max-events", "2"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(stdout(&o).lines().count(), 2, "{}", show(&o));

    let o = dev.run(&["returns", "--follow", "--max-events", "5"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 5, "{}", show(&o));
    for (line, id) in lines.iter().zip(&ids) {
        assert!(
            line.contains(&format!("AGB 12345678 message {id} delivery DELIVERED")),
            "{line}"
        );
    }
    assert!(
        stderr(&o).contains("acknowledged up to cursor"),
        "{}",
        show(&o)
    );

    // Acknowledged: nothing is waiting any more.
    let o = dev.run(&["returns", "--idle", "0.5"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(stdout(&o), "", "{}", show(&o));

    // --from a cursor shows them again, as JSON.
    let first: u64 = lines[1]
        .trim_start_matches('#')
        .split_whitespace()
        .next()
        .and_then(|c| c.parse().ok())
        .expect("a cursor");
    let from = first.to_string();
    let o = dev
        .run(&[
            "returns", "--from", &from, "--no-ack", "--idle", "0.5", "--json",
        ])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let events: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(events.len(), 4, "{}", show(&o));
    assert_eq!(events[0]["cursor"], first);
    assert_eq!(events[0]["type"], "delivery");

    // Cursor 1, acknowledged like the rest, is as readable as any other: --from 1 starts
    // there, and `status` of its message lists it.
    let o = dev
        .run(&[
            "returns",
            "--from",
            "1",
            "--no-ack",
            "--idle",
            "0.5",
            "--max-events",
            "3",
        ])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let text = stdout(&o);
    let cursors: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(cursors, ["#1", "#2", "#3"], "{}", show(&o));
    let o = dev.run(&["status", &ids[0], "--events"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(stdout(&o).contains("#1 "), "{}", show(&o));
    assert!(!stdout(&o).contains("not available"), "{}", show(&o));

    // --until a kind that never comes: the events are printed, and the exit code says the
    // wait was in vain. (The tutorial test waits for a JW301 that does come.)
    let o = dev
        .run(&[
            "returns", "--from", &from, "--no-ack", "--idle", "0.5", "--until", "JW301",
        ])
        .await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert_eq!(stdout(&o).lines().count(), 4, "{}", show(&o));
    assert!(
        stderr(&o).contains("before an event of kind JW301"),
        "{}",
        show(&o)
    );
    dev.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn answer_sends_the_302_on_a_301_once() {
    let dev = start_dev().await;
    let xml = common::allocation_xml(
        ketenpoort::proto::Law::Ijw,
        "12345678",
        "123456782",
        "TW0002",
        &[Allocated {
            nummer: 1003,
            start: "2025-03-01",
            end: None,
        }],
    );
    let cursor = {
        let shared = dev.shared.upgrade().expect("running");
        common::collect_into(
            shared.store.as_ref(),
            &xml,
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4(),
            common::noon_ms(2025, 4, 2),
            true,
        )
        .await
    }
    .to_string();

    let o = dev.run(&["answer", "--validate-only", &cursor]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(stdout(&o).starts_with("JW302 "), "{}", show(&o));
    assert!(stdout(&o).contains("(not sent)"), "{}", show(&o));
    assert!(dev.messages().await.iter().all(|m| m.kind != "JW302"));

    let o = dev
        .run(&["answer", "--request-id", "cli-302", "--json", &cursor])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
    assert_eq!(v["kind"], "JW302");
    assert_eq!(v["state"], "QUEUED");
    assert_eq!(v["request_id"], "cli-302");
    let id = v["message_id"].as_str().expect("an id").to_owned();
    // The same request_id again: the same answer.
    let o = dev
        .run(&["answer", "--request-id", "cli-302", "--json", &cursor])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(stdout(&o).contains(&id), "{}", show(&o));
    // A new one: refused, naming the 302.
    let o = dev.run(&["answer", &cursor]).await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        stderr(&o).contains(&format!("message {id}")),
        "{}",
        show(&o)
    );
    let o = dev.run(&["answer", "99999"]).await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let retours: Vec<_> = dev
        .messages()
        .await
        .into_iter()
        .filter(|m| m.kind == "JW302")
        .collect();
    assert_eq!(retours.len(), 1);
    dev.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn outbox_lists_the_queue_and_the_dead_letters() {
    let dev = start_dev().await;
    let o = dev.run_owned(with("submit", &[], &examples())).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    dev.wait_delivered(5).await;
    let o = dev.run(&["outbox"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(
        stdout(&o),
        "queued (0):\nrejected by VECOZO (0):\ndeadline missed (0):\n",
        "{}",
        show(&o)
    );
    let o = dev.run(&["outbox", "--state", "queued", "--json"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(stdout(&o), "");
    dev.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn report_writes_jsonl_csv_and_xml_for_the_period() {
    let dev = start_dev().await;
    let o = dev.run_owned(with("submit", &[], &examples())).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    dev.wait_delivered(5).await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("report");
    let out_arg = out.to_string_lossy().into_owned();
    let o = dev
        .run(&[
            "report",
            "--from",
            &today_plus(-1),
            "--to",
            &today_plus(0),
            "--format",
            "jsonl,csv,xml",
            "--out",
            &out_arg,
        ])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(
        stderr(&o).contains("5 message(s), 1 claim(s) with 2 line(s)"),
        "{}",
        show(&o)
    );

    let read = |name: &str| std::fs::read_to_string(out.join(name)).expect(name);
    let jsonl: Vec<serde_json::Value> = read("messages.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let kinds: Vec<&str> = jsonl.iter().filter_map(|v| v["kind"].as_str()).collect();
    assert_eq!(kinds, ["JW305", "JW307", "JW315", "JW317", "JW323"]);
    for v in &jsonl {
        assert_eq!(v["state"], "DELIVERED");
        assert_eq!(v["answers"][0]["delivery"]["state"], "DELIVERED", "{v}");
    }
    let claim = &jsonl[4]["declaration"];
    let month = month_day(1, false).replace('-', "")[..6].to_owned();
    assert_eq!(claim["lines"][0]["reference_number"], format!("R1-{month}"));
    assert_eq!(claim["lines"][1]["allocation_number"], 1002);
    assert_eq!(claim["lines"][1]["verdict"], serde_json::Value::Null);

    let messages = read("messages.csv");
    assert_eq!(messages.lines().count(), 6, "{messages}");
    assert!(
        messages.starts_with("message_id,kind,agb_code,"),
        "{messages}"
    );
    let lines = read("declaration-lines.csv");
    let rows: Vec<&str> = lines.lines().collect();
    assert_eq!(rows.len(), 3, "{lines}");
    assert!(rows[0].contains(",reference_number,"), "{lines}");
    assert!(
        rows[0].ends_with(
            ",verdict,retourcodes,retourcode_texts,answer_cursor,answered_at,answer_codes,\
             answer_code_texts"
        ),
        "{lines}"
    );
    let row = format!(
        ",1,R1-{month},,1001,45,45A48,{},{},240,01,145,34896,D,",
        month_day(1, false),
        month_day(1, true)
    );
    assert!(rows[1].contains(&row), "{row} in {lines}");
    // No 325 in dev mode: the verdict columns are there and empty.
    assert!(rows[2].ends_with(",D,,,,,,,"), "{lines}");
    for text in [&messages, &lines] {
        assert!(!text.contains("123456782") && !text.contains("Jansen"));
    }
    for v in &jsonl {
        assert!(!v.to_string().contains("123456782"), "{v}");
    }

    let mut xml: Vec<String> = std::fs::read_dir(out.join("xml"))
        .expect("xml dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    xml.sort();
    assert_eq!(xml.len(), 5, "{xml:?}");
    assert!(xml.iter().any(|f| f.ends_with("-JW323.xml")), "{xml:?}");
    let claim_xml = xml
        .iter()
        .find(|f| f.ends_with("-JW323.xml"))
        .expect("the 323");
    let text = std::fs::read_to_string(out.join("xml").join(claim_xml)).expect("read");
    assert!(
        text.contains(&format!("ReferentieNummer>R2-{month}</")),
        "{text}"
    );

    assert!(
        stderr(&o).contains("messages whose accepted by the gateway lies in"),
        "the date used is said: {}",
        show(&o)
    );

    // By the period of care (last month: the claim, and the 305's care that started in
    // 2025 and goes on) and by the declaration period (the claim only).
    let (first, last) = (month_day(1, false), month_day(1, true));
    for (date, kinds) in [
        ("care-period", vec!["JW305", "JW323"]),
        ("declaration-period", vec!["JW323"]),
    ] {
        let o = dev
            .run(&[
                "report", "--date", date, "--from", &first, "--to", &last, "--out", &out_arg,
            ])
            .await;
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        let said = if date == "care-period" {
            "period of care"
        } else {
            "declaration period"
        };
        assert!(stderr(&o).contains(said), "{}", show(&o));
        let found: Vec<String> = read("messages.jsonl")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
            .filter_map(|v| v["kind"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(found, kinds, "{date}: {}", show(&o));
    }

    // Another period: nothing.
    let o = dev
        .run(&[
            "report",
            "--from",
            &today_plus(1),
            "--out",
            &out_arg,
            "--format",
            "csv",
        ])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(read("declaration-lines.csv").lines().count(), 1);
    let o = dev
        .run(&["report", "--from", "03-04-2025", "--out", &out_arg])
        .await;
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    dev.stop().await;
}

/// A CA, a server certificate for localhost and a client certificate, in PEM files, and
/// the client certificate's DER.
fn pki(dir: &Path) -> Vec<u8> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    };
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cli test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let server_key = KeyPair::generate().expect("key");
    let mut server_params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server_params
        .signed_by(&server_key, &ca, &ca_key)
        .expect("server certificate");
    let client_key = KeyPair::generate().expect("key");
    let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    client_params
        .distinguished_name
        .push(DnType::CommonName, "12345678");
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = client_params
        .signed_by(&client_key, &ca, &ca_key)
        .expect("client certificate");
    for (name, pem) in [
        ("ca.pem", ca.pem()),
        ("server.pem", server.pem()),
        ("server-key.pem", server_key.serialize_pem()),
        ("client.pem", client.pem()),
        ("client-key.pem", client_key.serialize_pem()),
    ] {
        std::fs::write(dir.join(name), pem).expect("write");
    }
    client.der().to_vec()
}

/// A TLS gateway (not dev mode) with one tenant for AGB 12345678.
struct TlsGateway {
    /// `--gateway=https://localhost:PORT` (the certificate is for localhost).
    flag: String,
    _data: tempfile::TempDir,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), ketenpoort::Error>>,
}

impl TlsGateway {
    /// The tenant is known by the client certificate when `mutual` (the gateway then
    /// requires client certificates), else by `token`.
    async fn start(files: &Path, client_der: &[u8], mutual: bool, token: &str) -> TlsGateway {
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.server.data_dir = data.path().to_owned();
        config.tls = Some(ServerTls {
            cert: files.join("server.pem"),
            key: files.join("server-key.pem"),
            client_ca: mutual.then(|| files.join("ca.pem")),
        });
        config.tenants = vec![TenantConfig {
            name: "provider".into(),
            api_token_sha256: (!mutual).then(|| token_digest(token)),
            certificate_sha256: mutual.then(|| sha256_hex(client_der)),
            agb_codes: vec!["12345678".into()],
            all_agb_codes: false,
            auto_answer: None,
        }];
        let gateway = Gateway::open(config).expect("opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let flag = format!(
            "--gateway=https://localhost:{}",
            listener.local_addr().expect("addr").port()
        );
        let (stop, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(gateway.serve(listener, None, async {
            let _ = rx.await;
        }));
        TlsGateway {
            flag,
            _data: data,
            stop,
            task,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("stops")
            .expect("no panic")
            .expect("served");
    }

    /// `submit` of the 315 example with `extra` flags and `env`.
    async fn submit(&self, extra: &[String], env: &[(&str, &str)]) -> Output {
        let mut args = vec!["submit".to_owned(), self.flag.clone()];
        args.extend(extra.iter().cloned());
        args.push(examples()[2].clone());
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
                .args(&args)
                .env_remove("KETENPOORT_TOKEN")
                .env_remove("KETENPOORT_GATEWAY")
                .envs(env)
                .output()
                .expect("run the ketenpoort binary")
        })
        .await
        .expect("the command ran")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tls_flags_reach_a_gateway_with_mutual_tls_or_a_token() {
    const TOKEN: &str = "token-of-the-provider";
    let files = tempfile::tempdir().expect("temp dir");
    let client_der = pki(files.path());
    let path = |name: &str| files.path().join(name).to_string_lossy().into_owned();
    let ca = format!("--ca={}", path("ca.pem"));

    // Mutual TLS: the certificate names the tenant; no token is sent.
    let gw = TlsGateway::start(files.path(), &client_der, true, TOKEN).await;
    let cert = [
        ca.clone(),
        format!("--cert={}", path("client.pem")),
        format!("--key={}", path("client-key.pem")),
    ];
    let o = gw.submit(&cert, &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(stdout(&o).contains("accepted JW315"), "{}", show(&o));
    // Without the certificate the handshake is refused.
    let o = gw
        .submit(std::slice::from_ref(&ca), &[("KETENPOORT_TOKEN", TOKEN)])
        .await;
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    gw.stop().await;

    // TLS with a token, from the environment or the flag.
    let gw = TlsGateway::start(files.path(), &client_der, false, TOKEN).await;
    let o = gw
        .submit(std::slice::from_ref(&ca), &[("KETENPOORT_TOKEN", TOKEN)])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let o = gw
        .submit(&[ca.clone(), format!("--token={TOKEN}")], &[])
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let o = gw
        .submit(&[ca.clone(), "--token=not-the-token".to_owned()], &[])
        .await;
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(stdout(&o).contains("not authenticated"), "{}", show(&o));
    assert!(!show(&o).contains("not-the-token"), "{}", show(&o));
    // The dev token is the default, and unknown here.
    let o = gw.submit(std::slice::from_ref(&ca), &[]).await;
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));

    // https without --ca, and --cert without --key: usage errors before any call.
    let o = gw.submit(&[], &[]).await;
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(stderr(&o).contains("needs --ca"), "{}", show(&o));
    let o = gw
        .submit(&[ca, format!("--cert={}", path("client.pem"))], &[])
        .await;
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(stderr(&o).contains("--key"), "{}", show(&o));
    gw.stop().await;
}
