//! `ketenpoort prune` at scale: how fast a store's finished conversations are planned and
//! purged, and the memory the plan takes.
//!
//! ```text
//! cargo run --release -p ketenpoort --example bench_prune -- [--claims 20000] [--batch 500] [--dir DIR]
//! ```
//!
//! Builds a store (in `--dir`, default a temporary directory; a directory that exists is
//! refused) with `--claims` JW323s of 20 lines accepted in 2021 through the store's own
//! writes (submits without the cross-message check), each delivered and each with a JW325
//! recorded as received (`Write::Received`: no event, so not joined to its claim), then a
//! deadline check that ends what they were owed: every claim (with its two events) and every
//! 325 is a finished conversation of 2021. Then, in this process,
//! a dry run (the plan alone) and a prune with `--batch` records per batch, each judged on
//! 2100-01-01, and reports their times, records per second and the RSS after each.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use ketenpoort::store::retention::Retention;
use ketenpoort::store::sled_store::prune::{self, PruneOptions};
use ketenpoort::store::sled_store::{Options, SledStore};
use ketenpoort::store::{Outcome, Store, SubmitWrite, Write};
use ketenpoort_messages::codes::RetourCode;
use ketenpoort_messages::generate::{Shape, sample};
use ketenpoort_messages::{Content, Law, Message, MessageKind, MessageType};

#[path = "support/mod.rs"]
mod support;
use support::{arg, new_message, rss_mb};

const AGB: &str = "12345678";
const LINES: usize = 20;
/// 2021-03-01 12:00 UTC.
const ACCEPTED_MS: i64 = 1_614_600_000_000;

/// Claim `c` (20 lines) and the 325 that approves it.
fn claim_and_answer(c: u64) -> (Message, Message) {
    let mut m = sample(
        MessageKind::new(Law::Ijw, MessageType::M323),
        Shape::Minimal,
        c,
    );
    let mut claim = None;
    if let Content::Declaration(h) = &mut m.content {
        h.header.afzender = AGB.into();
        h.header.bericht_identificatie.identificatie = format!("C{c}").as_str().into();
        h.body.declaratie_nummer = format!("D{c}").as_str().into();
        if let Some(client) = h.body.clienten.first_mut()
            && let Some(first) = client.prestaties.first().cloned()
        {
            client.prestaties = (0..LINES)
                .map(|i| {
                    let mut p = first.clone();
                    p.product_referentie.referentie_nummer = format!("L{c}N{i}").as_str().into();
                    p.product_referentie.vorig_referentie_nummer = None;
                    p
                })
                .collect();
        }
        h.body.clienten.truncate(1);
        claim = Some((h.header.clone(), h.body.declaratie_nummer.0.clone()));
    }
    let mut a = sample(
        MessageKind::new(Law::Ijw, MessageType::M325),
        Shape::Minimal,
        c,
    );
    if let (Content::DeclarationAnswer(ans), Some((header, number))) = (&mut a.content, claim) {
        ans.header.heen.afzender = header.ontvanger.clone();
        ans.header.heen.ontvanger = AGB.into();
        ans.header.heen.bericht_identificatie.identificatie = format!("V{c}").as_str().into();
        ans.header.declaratie_identificatie = header.bericht_identificatie;
        ans.header.retour_codes = vec![RetourCode::R0200];
        if let Some(b) = ans.body.as_mut() {
            b.declaratie_nummer = number.as_str().into();
            b.clienten = Vec::new();
            b.retour_codes = vec![RetourCode::R8001];
        }
    }
    (m, a)
}

fn submit(m: &Message, c: u64) -> Write {
    Write::Submit(SubmitWrite {
        tenant: "bench".into(),
        request_id: format!("p{c}"),
        content_hash: String::new(),
        at_ms: ACCEPTED_MS,
        messages: vec![new_message(m)],
        counters: Vec::new(),
        cross_message_rules: false,
    })
}

async fn build(dir: &Path, claims: u64) {
    let (store, closed) = SledStore::open_with(dir, &Options::default()).expect("open");
    let started = Instant::now();
    let mut pending = Vec::new();
    let mut ids = Vec::new();
    for c in 0..claims {
        let (claim, answer) = claim_and_answer(c);
        pending.push(store.commit(submit(&claim, c)).wait());
        pending.push(
            store
                .commit(Write::Received {
                    xml: answer.to_xml().unwrap_or_default(),
                    message: Arc::new(answer),
                })
                .wait(),
        );
        if pending.len() >= 2048 || c + 1 == claims {
            for p in pending.drain(..) {
                if let Outcome::Stored(stored) = p.await.expect("stored") {
                    ids.extend(stored);
                }
            }
        }
    }
    let mut delivered = Vec::new();
    for id in ids {
        delivered.push(
            store
                .commit(Write::Delivered {
                    message_id: id,
                    at_ms: ACCEPTED_MS,
                })
                .wait(),
        );
        if delivered.len() >= 2048 {
            for d in delivered.drain(..) {
                d.await.expect("delivered");
            }
        }
    }
    for d in delivered {
        d.await.expect("delivered");
    }
    store
        .commit(Write::CheckDeadlines {
            today: chrono::NaiveDate::from_ymd_opt(2021, 12, 1).expect("a day"),
            at_ms: ACCEPTED_MS,
        })
        .wait()
        .await
        .expect("checked");
    drop(store);
    closed.await.expect("closed");
    eprintln!(
        "built {claims} claims and their 325s in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let claims: u64 = arg("--claims")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let batch: usize = arg("--batch").and_then(|s| s.parse().ok()).unwrap_or(500);
    let temp = tempfile::tempdir().expect("temp dir");
    let dir: PathBuf = arg("--dir").map_or_else(|| temp.path().join("store"), PathBuf::from);
    assert!(
        !dir.exists(),
        "{} exists: choose a new --dir",
        dir.display()
    );
    build(&dir, claims).await;
    let rss_built = rss_mb();
    let today = chrono::NaiveDate::from_ymd_opt(2100, 1, 1).expect("a day");
    let mut options = PruneOptions {
        retention: Retention::default(),
        today,
        now_ms: chrono::Utc::now().timestamp_millis(),
        dry_run: true,
        batch,
    };
    for dry in [true, false] {
        options.dry_run = dry;
        let started = Instant::now();
        let report = prune::prune(&dir, &options, None, &mut std::io::sink(), &mut |_, _| {})
            .expect("prune");
        let secs = started.elapsed().as_secs_f64();
        let records = report.sent + report.received;
        println!(
            "{}: {} conversations, {records} records, {} events, {} batches in {secs:.2} s \
             ({:.0} records/s); RSS {:.0} MB (after the build: {rss_built:.0} MB)",
            if dry { "dry run" } else { "prune" },
            report.conversations,
            report.events,
            report.batches,
            records as f64 / secs,
            rss_mb(),
        );
    }
}
