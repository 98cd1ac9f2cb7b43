//! `ketenpoort prune` (`[store.retention]`): a dry run lists exactly the finished
//! conversations past their retention and changes nothing; a prune purges their XML and
//! personal data and keeps what is open (queued, expected, owed); it survives `kill -9` at
//! any point and a rerun ends where an uninterrupted run ends; the rules that look back
//! (TR335, TR314) work as before after a prune; a retention inside TR335's horizon is refused.
//!
//! Messages are made old with clocks: a server whose clock says 2021 (the first year of the
//! 3.2 standard, CS100) accepts them, and the prune runs with a dev configuration whose
//! `dev_clock_offset_days` moves its clock to 2029-06-01, past the seven years of 2021.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use ketenpoort::config::VecozoMode;
use ketenpoort::proto::{self, Law};
use ketenpoort::store::{Outcome, Write};

/// The client of [`declaration`].
const CLAIM_BSN: &str = "111222333";

/// A claim for `month` (`YYYY-MM`) with two lines `{prefix}-1`, `{prefix}-2` over the whole
/// month.
fn claim(request_id: &str, month: &str, prefix: &str) -> proto::SubmitDeclarationRequest {
    let mut d = declaration(Law::Ijw, AGB_A, request_id);
    d.month = month.into();
    let (y, m) = month.split_once('-').expect("YYYY-MM");
    let first =
        chrono::NaiveDate::from_ymd_opt(y.parse().expect("year"), m.parse().expect("month"), 1)
            .expect("a month");
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .expect("a month end");
    for (i, l) in d.clients[0].lines.iter_mut().enumerate() {
        l.reference_number = format!("{prefix}-{}", i + 1);
        l.period_start = format!("{month}-01");
        l.period_end = last.to_string();
    }
    d
}

/// A 301 for the claim client dated `day` (YYYY-MM-DD instead of the helper's 2025-02-10),
/// allocating `numbers` from `start` to `end`.
fn allocation_on(
    day: &str,
    id: &str,
    numbers: &[u64],
    start: &'static str,
    end: &'static str,
) -> String {
    let products: Vec<Allocated> = numbers
        .iter()
        .map(|n| Allocated {
            nummer: *n,
            start,
            end: Some(end),
        })
        .collect();
    allocation_xml(Law::Ijw, AGB_A, CLAIM_BSN, id, &products).replace("2025-02-10", day)
}

/// A 325 that approves every line of the 323 `claim_xml`, dated `day`, with Identificatie
/// `id`, as a municipality sends it.
fn approving_325(claim_xml: &str, day: chrono::NaiveDate, id: &str) -> String {
    use ketenpoort_messages::codes::RetourCode;
    use ketenpoort_messages::model::basis::BerichtIdentificatie;
    use ketenpoort_messages::model::declaration::DeclaratieAntwoord;
    use ketenpoort_messages::model::header::{DeclarationAnswerHeader, Header};
    use ketenpoort_messages::types::{IdentificatieBericht, IdentificatieDeclaratie};
    use ketenpoort_messages::{Content, DeclarationAnswer, Message};
    let claim = ketenpoort_messages::read(claim_xml.as_bytes(), Default::default()).expect("a 323");
    let Content::Declaration(heen) = &claim.content else {
        panic!("not a 323");
    };
    let answer = DeclarationAnswer {
        header: DeclarationAnswerHeader {
            heen: Header {
                afzender: heen.header.ontvanger.clone(),
                ontvanger: heen.header.afzender.clone(),
                bericht_identificatie: BerichtIdentificatie {
                    identificatie: IdentificatieBericht(id.into()),
                    dagtekening: day,
                },
                xsd_versie: heen.header.xsd_versie.clone(),
            },
            declaratie_identificatie: heen.header.bericht_identificatie.clone(),
            xslt_versie: None,
            xsd_versie_declaratie: heen.header.xsd_versie.clone(),
            retour_codes: vec![RetourCode::R0200],
        },
        body: Some(DeclaratieAntwoord {
            declaratie_nummer: IdentificatieDeclaratie(heen.body.declaratie_nummer.0.clone()),
            totaal_ingediend_bedrag: heen.body.totaal_ingediend_bedrag.clone(),
            totaal_toegekend_bedrag: heen.body.totaal_ingediend_bedrag.clone(),
            clienten: Vec::new(),
            retour_codes: vec![RetourCode::R8001],
        }),
    };
    Message {
        law: claim.law,
        content: Content::DeclarationAnswer(answer),
    }
    .to_xml()
    .expect("the 325 writes")
}

/// What [`old_store`] built.
struct Built {
    dir: tempfile::TempDir,
    /// Claims of 2021, delivered, their expectations reported missed: finished.
    finished: Vec<u64>,
    /// A claim of 2021 still owed its 325 (an open `w/` expectation).
    expected: u64,
    /// A claim of 2021 still queued (`q/`).
    queued: u64,
    /// The dev configuration the prune runs with ([`dev_config`]).
    config: std::path::PathBuf,
    _keep: tempfile::TempDir,
}

async fn submit(
    c: &mut proto::gateway_client::GatewayClient<tonic::transport::Channel>,
    r: proto::SubmitDeclarationRequest,
) -> u64 {
    let sent = c
        .submit_declaration(req(TOKEN_A, r))
        .await
        .expect("accepted")
        .into_inner();
    sent.message_id.parse().expect("an id")
}

/// A store with `n` finished claims of 2021, a 301 of 2021 collected and answered (finished,
/// received), a 301 of 2021 still owed its 302 (manual answering: an open duty), a claim of
/// 2021 still expected to be answered and one still queued.
async fn old_store(n: usize) -> Built {
    let clock = TestClock::at(2021, 2, 10);
    let server = start_in_with_clock(
        tempfile::tempdir().expect("temp dir"),
        clock.clone(),
        |_| {},
    )
    .await;
    let mut c = server.client().await;
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    let mut finished = Vec::new();
    for i in 0..n {
        finished.push(
            submit(
                &mut c,
                claim(&format!("old-{i}"), "2021-01", &format!("R{i}")),
            )
            .await,
        );
    }
    // Each claim's delivery by the loopback is one event.
    let mut delivered = BTreeSet::new();
    while delivered.len() < n {
        let e = next_event(&mut stream).await;
        delivered.insert(e.message_id.parse::<u64>().expect("an id"));
    }
    assert_eq!(delivered, finished.iter().copied().collect());
    collect(
        &server,
        &allocation_on("2021-02-10", "A-done", &[1001], "2021-01-01", "2021-12-31"),
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        noon_ms(2021, 2, 10),
        false,
    )
    .await;
    collect(
        &server,
        &allocation_on("2021-02-10", "A-owed", &[1002], "2021-01-01", "2021-12-31"),
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        noon_ms(2021, 2, 10),
        true,
    )
    .await;
    // Nobody answered the claims: the deadline check of June 2021 reports them missed, which
    // ends what they were owed (and is the conversation's last date).
    let shared = server.shared.upgrade().expect("the server runs");
    let missed = shared
        .store
        .commit(Write::CheckDeadlines {
            today: chrono::NaiveDate::from_ymd_opt(2021, 6, 1).expect("a day"),
            at_ms: noon_ms(2021, 6, 1),
        })
        .wait()
        .await
        .expect("checked");
    assert!(
        matches!(missed, Outcome::DeadlinesMissed(ref m) if m.len() == n),
        "{missed:?}"
    );
    drop(shared);
    let expected = submit(&mut c, claim("old-expected", "2021-01", "RE")).await;
    loop {
        let e = next_event(&mut stream).await;
        if e.message_id == expected.to_string() {
            break;
        }
    }
    drop(stream);
    let dir = server.stop_keeping_data().await;
    let server = start_in_with_clock(dir, clock, |c| c.vecozo.mode = Some(VecozoMode::Off)).await;
    let mut c = server.client().await;
    let queued = submit(&mut c, claim("old-queued", "2021-01", "RQ")).await;
    let dir = server.stop_keeping_data().await;
    let keep = tempfile::tempdir().expect("temp dir");
    Built {
        dir,
        finished,
        expected,
        queued,
        config: dev_config(keep.path()),
        _keep: keep,
    }
}

/// The day the prunes of these tests run on.
fn prune_day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2029, 6, 1).expect("a day")
}

/// A dev configuration whose clock runs from today to [`prune_day`], written into `dir`.
fn dev_config(dir: &Path) -> std::path::PathBuf {
    let today = chrono::Utc::now().date_naive();
    let days = (prune_day() - today).num_days().max(0);
    let path = dir.join("prune.toml");
    std::fs::write(
        &path,
        format!("dev = true\n[server]\ndev_clock_offset_days = {days}\n"),
    )
    .expect("write the configuration");
    path
}

fn ketenpoort(args: &[&str], data_dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("run ketenpoort")
}

/// `ketenpoort prune` with `args` on `data_dir`, on the clock of `config`.
fn prune(args: &[&str], config: &Path, data_dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .arg("prune")
        .args(args)
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("run ketenpoort prune")
}

fn ok(out: &std::process::Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

/// The store as `ketenpoort export` writes it, by line kind and key, with the purge times
/// made equal (runs at different moments stamp different times).
type Lines = BTreeMap<(String, u64), serde_json::Value>;

fn export(data_dir: &Path) -> Lines {
    let text = ok(&ketenpoort(&["export"], data_dir));
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        if v.get("purged_at_ms").is_some() {
            v["purged_at_ms"] = serde_json::json!(1);
        }
        let kind = v["type"].as_str().expect("a type").to_owned();
        let id = match kind.as_str() {
            "message" => v["id"].as_u64(),
            "event" => v["cursor"].as_u64(),
            _ => v["sequence"].as_u64(),
        }
        .expect("a key");
        out.insert((kind, id), v);
    }
    out
}

use crate::common::dump;

fn purged(lines: &Lines, kind: &str, id: u64) -> bool {
    lines[&(kind.to_owned(), id)].get("purged_at_ms").is_some()
}

/// The ids `--dry-run` lists as messages sent, and the received sequences.
fn listed(stdout: &str) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let mut sent = BTreeSet::new();
    let mut received = BTreeSet::new();
    for line in stdout.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next().and_then(|w| w.parse().ok())) {
            (Some("message"), Some(id)) => {
                sent.insert(id);
            }
            (Some("received"), Some(seq)) => {
                received.insert(seq);
            }
            _ => {}
        }
    }
    (sent, received)
}

/// The received 301s of [`old_store`]: (finished, owed) sequences, told apart by the
/// Identificatie in their XML.
fn allocations(lines: &Lines) -> (u64, u64) {
    let find = |id: &str| {
        lines
            .iter()
            .find(|((k, _), v)| {
                k == "received" && v["xml"].as_str().is_some_and(|x| x.contains(id))
            })
            .map(|((_, s), _)| *s)
            .expect("the 301")
    };
    (find(">A-done<"), find(">A-owed<"))
}

#[tokio::test]
async fn a_dry_run_lists_exactly_the_finished_old_conversations_and_changes_nothing() {
    let built = old_store(4).await;
    let data = built.dir.path();
    let before = export(data);
    let (done_301, owed_301) = allocations(&before);
    let raw = dump(data);

    let out = ok(&prune(&["--dry-run"], &built.config, data));
    let (sent, received) = listed(&out);
    assert_eq!(sent, built.finished.iter().copied().collect(), "{out}");
    assert_eq!(received, BTreeSet::from([done_301]), "{out}");
    assert!(!sent.contains(&built.expected) && !sent.contains(&built.queued));
    assert!(!received.contains(&owed_301));
    assert!(
        out.contains("total: 5 conversations would be purged (4 messages sent, 1 received"),
        "{out}"
    );
    assert!(!out.contains(CLAIM_BSN), "no BSN in the listing: {out}");
    assert!(
        dump(data) == raw,
        "a dry run changes no record of the store"
    );
}

#[tokio::test]
async fn a_prune_purges_finished_old_conversations_keeps_open_ones_and_archives_first() {
    let built = old_store(3).await;
    let data = built.dir.path();
    let before = export(data);
    let (done_301, owed_301) = allocations(&before);
    let keep = tempfile::tempdir().expect("temp dir");
    let archive = keep.path().join("archive.jsonl");

    let out = Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(["prune", "--archive"])
        .arg(&archive)
        .arg("--config")
        .arg(&built.config)
        .arg("--data-dir")
        .arg(data)
        .output()
        .expect("run prune");
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("done: 4 conversations purged"), "{stderr}");

    let after = export(data);
    for id in &built.finished {
        let m = &after[&("message".to_owned(), *id)];
        assert_eq!(m["xml"], "", "the XML of {id} is gone");
        assert!(purged(&after, "message", *id));
        assert_eq!(m["state"], "DeadlineMissed", "the rest of the record stays");
        for cursor in m["event_cursors"].as_array().expect("cursors") {
            let e = &after[&("event".to_owned(), cursor.as_u64().expect("a cursor"))];
            assert!(e.get("raw_xml").is_none_or(|x| x.is_null()), "{e}");
        }
    }
    for id in [built.expected, built.queued] {
        assert!(!purged(&after, "message", id), "{id} is not finished");
        assert_eq!(
            after[&("message".to_owned(), id)],
            before[&("message".to_owned(), id)]
        );
    }
    assert!(purged(&after, "received", done_301));
    assert_eq!(after[&("received".to_owned(), done_301)]["xml"], "");
    assert!(
        !purged(&after, "received", owed_301),
        "its 302 is still owed"
    );
    // No event of a purged conversation names the client any more.
    let mut cursors: Vec<u64> = vec![
        after[&("received".to_owned(), done_301)]["cursor"]
            .as_u64()
            .expect("the 301's event"),
    ];
    for id in &built.finished {
        let m = &after[&("message".to_owned(), *id)];
        cursors.extend(
            m["event_cursors"]
                .as_array()
                .expect("cursors")
                .iter()
                .filter_map(|c| c.as_u64()),
        );
    }
    for cursor in cursors {
        let e = after[&("event".to_owned(), cursor)].to_string();
        assert!(!e.contains(CLAIM_BSN), "{e}");
    }
    let owed_event = after[&("received".to_owned(), owed_301)]["cursor"]
        .as_u64()
        .expect("the owed 301's event");
    assert!(
        after[&("event".to_owned(), owed_event)]
            .to_string()
            .contains(CLAIM_BSN),
        "an open conversation keeps its data"
    );

    // The archive holds every purged record as it was, in the export format.
    let archived: Vec<serde_json::Value> = std::fs::read_to_string(&archive)
        .expect("the archive")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    for id in &built.finished {
        let line = archived
            .iter()
            .find(|l| l["type"] == "message" && l["id"] == *id)
            .expect("archived");
        assert_eq!(line["xml"], before[&("message".to_owned(), *id)]["xml"]);
    }
    assert!(
        archived
            .iter()
            .any(|l| l["type"] == "received" && l["sequence"] == done_301)
    );

    // A second run finds nothing left to do.
    let out = ok(&prune(&["--dry-run"], &built.config, data));
    assert!(out.contains("total: 0 conversations"), "{out}");

    // The gateway serves the pruned store: a purged message says so, with no XML.
    let server = Console::start(built.dir.path()).await;
    let mut c = server.client().await;
    let got = c
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: built.finished[0].to_string(),
            },
        ))
        .await
        .expect("a purged message is still found")
        .into_inner();
    assert!(got.xml.is_empty());
    assert!(got.xml_purged_at.is_some());
    let kept = c
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: built.expected.to_string(),
            },
        ))
        .await
        .expect("found")
        .into_inner();
    assert!(!kept.xml.is_empty() && kept.xml_purged_at.is_none());
    let list = c
        .list_messages(req(TOKEN_A, proto::ListMessagesRequest::default()))
        .await
        .expect("listed")
        .into_inner();
    let marked: BTreeSet<u64> = list
        .messages
        .iter()
        .filter(|m| m.xml_purged_at.is_some())
        .map(|m| m.message_id.parse().expect("an id"))
        .collect();
    assert_eq!(marked, built.finished.iter().copied().collect());

    // The console's page of a purged message says so; a kept one does not.
    let mut web = common::web::Web::new(server.console);
    web.sign_in(TOKEN_A, "Operator").await;
    let page = web.get(&format!("/berichten/{}", built.finished[0])).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("XML verwijderd"), "{}", page.body);
    let page = web.get(&format!("/berichten/{}", built.expected)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("XML verwijderd"), "{}", page.body);
    server.stop().await;
}

/// A gateway with its operator console on the store in `dir`.
struct Console {
    grpc: std::net::SocketAddr,
    console: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), ketenpoort::Error>>,
}

impl Console {
    async fn start(dir: &Path) -> Console {
        let clock = TestClock::at(2029, 6, 1);
        let gateway_console = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let console = gateway_console.local_addr().expect("addr");
        let gateway = ketenpoort::server::Gateway::open_with_clock(config(dir), clock)
            .expect("gateway opens")
            .with_console(gateway_console);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let grpc = listener.local_addr().expect("addr");
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(gateway.serve(listener, None, async {
            let _ = rx.await;
        }));
        Console {
            grpc,
            console,
            stop,
            task,
        }
    }

    async fn client(&self) -> proto::gateway_client::GatewayClient<tonic::transport::Channel> {
        proto::gateway_client::GatewayClient::connect(format!("http://{}", self.grpc))
            .await
            .expect("connect")
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task
            .await
            .expect("the server task did not panic")
            .expect("the server ran without error");
    }
}

/// Runs `prune` on `data` and kills it with SIGKILL once it reported `batches` batches on
/// stderr; returns whether it finished before that.
fn prune_killed_after(data: &Path, config: &Path, archive: &Path, batches: usize) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(["prune", "--batch", "3", "--archive"])
        .arg(archive)
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start prune");
    let stderr = child.stderr.take().expect("stderr");
    let mut seen = 0;
    let mut finished = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("a line");
        if line.contains("done:") {
            finished = true;
            break;
        }
        if line.contains("conversations purged, batch") {
            seen += 1;
            if seen == batches {
                break;
            }
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    finished
}

/// Every record is as before the prune or as after a complete one, and each conversation
/// (a claim and its events) is wholly one or the other.
fn check_whole(now: &Lines, before: &Lines, complete: &Lines, claims: &[u64]) -> usize {
    assert_eq!(
        now.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "no record appears or disappears"
    );
    for (k, v) in now {
        assert!(
            v == &before[k] || v == &complete[k],
            "{k:?} is half purged: {v}"
        );
    }
    let mut done = 0;
    for id in claims {
        let key = ("message".to_owned(), *id);
        let is_done = now[&key] == complete[&key];
        for cursor in complete[&key]["event_cursors"].as_array().expect("cursors") {
            let ek = ("event".to_owned(), cursor.as_u64().expect("a cursor"));
            let target = if is_done { complete } else { before };
            assert_eq!(now[&ek], target[&ek], "event {ek:?} goes with message {id}");
        }
        done += usize::from(is_done);
    }
    done
}

#[tokio::test]
async fn prune_survives_kill_9_at_any_batch_and_a_rerun_ends_as_an_uninterrupted_run() {
    let n = 120;
    let built = old_store(n).await;
    let data = built.dir.path();
    let keep = tempfile::tempdir().expect("temp dir");
    // An identical store, pruned without interruption.
    let twin = keep.path().join("twin");
    let out = Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(["backup", "--data-dir"])
        .arg(data)
        .arg(&twin)
        .output()
        .expect("backup");
    ok(&out);
    let before = export(data);
    assert_eq!(export(&twin), before);
    ok(&prune(&["--batch", "3"], &built.config, &twin));
    let complete = export(&twin);
    for id in &built.finished {
        assert!(purged(&complete, "message", *id), "{id} is purged");
    }

    let archive = keep.path().join("archive.jsonl");
    let mut last = 0;
    for batches in [1, 3, 2, 5] {
        let finished = prune_killed_after(data, &built.config, &archive, batches);
        // The store opens normally (export refuses a damaged one) and nothing is half done.
        let now = export(data);
        let done = check_whole(&now, &before, &complete, &built.finished);
        eprintln!("killed after {batches} batch reports: {done} of {n} claims purged");
        // The gateway's own open takes it too, and reads a purged message as purged.
        let (store, closed) = ketenpoort::store::sled_store::SledStore::open_with_closed(data)
            .expect("the store opens after kill -9");
        {
            use ketenpoort::store::Store as _;
            for id in &built.finished {
                let meta = store
                    .message(*id)
                    .expect("reads")
                    .expect("the record stays");
                let xml = store.message_xml(*id).expect("reads");
                assert_eq!(meta.purged_at_ms.is_some(), xml.is_none(), "message {id}");
            }
        }
        drop(store);
        closed.await.expect("closed");
        assert!(done >= last, "a rerun never takes a purge back");
        assert!(done > last || finished, "each run makes progress");
        last = done;
        if finished {
            break;
        }
    }
    assert!(
        last < n,
        "the kills interrupted the prune ({last} of {n} done)"
    );
    let archive_arg = archive.to_str().expect("a UTF-8 path");
    ok(&prune(
        &["--batch", "3", "--archive", archive_arg],
        &built.config,
        data,
    ));
    assert_eq!(
        export(data),
        complete,
        "the rerun ends as the uninterrupted run"
    );
    // Every purged record reached the archive before it was purged.
    let archived: BTreeSet<u64> = std::fs::read_to_string(&archive)
        .expect("the archive")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .filter(|l| l["type"] == "message")
        .map(|l| l["id"].as_u64().expect("an id"))
        .collect();
    assert!(built.finished.iter().all(|id| archived.contains(id)));
}

#[tokio::test]
async fn the_rules_that_look_back_work_as_before_after_a_prune() {
    // A claim of January 2021 (purged on 2029-06-01) and one of January 2025 (inside TR335's
    // five years then), both against allocations and approved, with the cross-message rules
    // on.
    let clock = TestClock::at(2021, 2, 10);
    let checking = |c: &mut ketenpoort::config::Config| c.messages.cross_message_rules = true;
    let server = start_in_with_clock(
        tempfile::tempdir().expect("temp dir"),
        clock.clone(),
        checking,
    )
    .await;
    record_allocations(
        &server,
        &[
            allocation_on(
                "2021-01-02",
                "A2021",
                &[1001, 1002],
                "2021-01-01",
                "2021-12-31",
            ),
            allocation_on(
                "2025-01-02",
                "A2025",
                &[2001, 2002],
                "2025-01-01",
                "2025-12-31",
            ),
        ],
    )
    .await;
    let mut c = server.client().await;
    let old = submit(&mut c, claim("c2021", "2021-01", "OLD")).await;
    // A claim of 2021 answered only in 2025: its conversation is as young as its answer.
    clock.set(2021, 3, 10);
    let late = submit(&mut c, claim("c2021-late", "2021-02", "LATE")).await;
    clock.set(2025, 2, 10);
    let mut recent = claim("c2025", "2025-01", "NEW");
    recent.clients[0].lines[0].allocation_number = 2001;
    recent.clients[0].lines[1].allocation_number = 2002;
    let recent_id = submit(&mut c, recent).await;
    // The municipality approves the claims: a conversation of a 323 and its 325 each.
    let mut answers = Vec::new();
    for (id, day, answer_id) in [
        (
            old,
            chrono::NaiveDate::from_ymd_opt(2021, 3, 1),
            "A325-2021",
        ),
        (
            recent_id,
            chrono::NaiveDate::from_ymd_opt(2025, 3, 3),
            "A325-2025",
        ),
        (
            late,
            chrono::NaiveDate::from_ymd_opt(2025, 3, 4),
            "A325-LATE",
        ),
    ] {
        let xml = c
            .get_message(req(
                TOKEN_A,
                proto::GetMessageRequest {
                    message_id: id.to_string(),
                },
            ))
            .await
            .expect("the claim")
            .into_inner()
            .xml;
        let day = day.expect("a day");
        let at = day.and_hms_opt(12, 0, 0).expect("noon").and_utc();
        answers.push(
            collect(
                &server,
                &approving_325(&xml, day, answer_id),
                uuid::Uuid::new_v4(),
                uuid::Uuid::new_v4(),
                at.timestamp_millis(),
                false,
            )
            .await,
        );
    }
    let dir = server.stop_keeping_data().await;
    let keep = tempfile::tempdir().expect("temp dir");
    let config = dev_config(keep.path());

    ok(&prune(&[], &config, dir.path()));
    let after = export(dir.path());
    assert!(purged(&after, "message", old), "the 2021 claim is purged");
    assert!(
        !purged(&after, "message", recent_id),
        "the 2025 claim is kept"
    );
    // Each 325 goes with its claim.
    let answer_of = |cursor: u64| {
        after
            .iter()
            .find(|((k, _), v)| k == "received" && v["cursor"] == cursor)
            .map(|((_, s), _)| *s)
            .expect("the 325's record")
    };
    assert!(purged(&after, "received", answer_of(answers[0])));
    assert!(!purged(&after, "received", answer_of(answers[1])));
    assert!(!purged(&after, "message", late), "answered in 2025");
    assert!(!purged(&after, "received", answer_of(answers[2])));

    let clock = TestClock::at(2029, 6, 1);
    let server = start_in_with_clock(dir, clock, checking).await;
    let mut c = server.client().await;
    // TR314 still knows the purged claim's ReferentieNummers.
    let mut reuse = claim("reuse", "2025-03", "OLD");
    reuse.clients[0].lines[0].allocation_number = 2001;
    reuse.clients[0].lines[1].allocation_number = 2002;
    let e = c
        .submit_declaration(req(TOKEN_A, reuse))
        .await
        .expect_err("a ReferentieNummer of the purged claim");
    assert!(
        field_violations(&e)
            .iter()
            .any(|(_, rule, _)| rule == "TR314"),
        "{e:?}"
    );
    // A credit of a 2021 line is past TR335's five years; one of a 2025 line is inside them.
    let credit = |request_id: &str, original: &str, allocation: u64, month: &str| {
        let mut d = claim(request_id, month, "CR");
        d.clients[0].lines.truncate(1);
        let l = &mut d.clients[0].lines[0];
        l.reference_number = format!("CR-{request_id}");
        l.previous_reference_number = original.into();
        l.allocation_number = allocation;
        l.credit = true;
        d
    };
    let e = c
        .submit_declaration(req(
            TOKEN_A,
            credit("credit-2021", "OLD-1", 1001, "2021-01"),
        ))
        .await
        .expect_err("past the horizon");
    assert!(
        field_violations(&e)
            .iter()
            .any(|(_, rule, _)| rule == "TR335"),
        "{e:?}"
    );
    c.submit_declaration(req(
        TOKEN_A,
        credit("credit-2025", "NEW-1", 2001, "2025-01"),
    ))
    .await
    .expect("a credit inside the horizon is accepted");
    server.stop().await;
}

#[test]
fn a_retention_inside_the_look_back_of_tr335_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("ketenpoort.toml");
    std::fs::write(&config, "dev = true\n[store.retention]\nxml_years = 4\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(["prune", "--dry-run", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .expect("run prune");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("store.retention.xml_years") && stderr.contains("TR335"),
        "{stderr}"
    );
    let e = ketenpoort::config::Config::from_toml("[store.retention]\nxml_years = 4\n")
        .expect_err("refused");
    assert!(e.to_string().contains("TR335"), "{e}");
    let c =
        ketenpoort::config::Config::from_toml("dev = true\n[store.retention]\nxml_years = 10\n")
            .expect("ten years is fine");
    assert_eq!(c.store.retention.xml_years, 10);
}

#[tokio::test]
async fn prune_refuses_a_store_in_use() {
    let server = start().await;
    let out = ketenpoort(&["prune", "--dry-run"], server.dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in use"), "{stderr}");
    // Nor does a refused prune leave an empty archive behind.
    let keep = tempfile::tempdir().expect("temp dir");
    let archive = keep.path().join("archive.jsonl");
    let out = ketenpoort(
        &["prune", "--archive", archive.to_str().expect("UTF-8")],
        server.dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!archive.exists());
    server.stop().await;
}
