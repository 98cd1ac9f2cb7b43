//! The store at scale: opening, memory and submits against stores of growing size.
//!
//! ```text
//! cargo run --release -p ketenpoort --example bench_store_scale -- \
//!     [--sizes 100000,300000] [--dir /var/tmp/kp-scale] [--submits 10000] [--clients 64] \
//!     [--grow]
//! ```
//!
//! `--grow` builds one store (`store-grow`) and grows it from size to size instead of
//! building each size apart, and measures the largest in place instead of on a copy: what
//! makes 3M fit a disk that cannot hold two copies of it. `--build-only` and then
//! `--measure-built` (same `--sizes`) do the same in two steps: build on a busy machine,
//! measure every size in one quiet window.
//!
//! For every size, a store of that many messages is built (once; kept in `--dir` and reused
//! by later runs) with a realistic mix per client: a JW315, the JW301 received for it, a
//! JW305, and three monthly JW323s of 20 lines, each with the JW325 that approves it (nine
//! messages per client). It is built through the store's own writes (submits without the
//! cross-message check, received messages as `Write::Received`), so its history indexes
//! are what the gateway writes.
//!
//! Then, for an empty store and for every size, a fresh process (this program with
//! `--measure DIR`) opens a copy of the store (just copied, marked as closed cleanly, as
//! after a stop of the gateway) and reports: the time `SledStore::open` takes (`open_ms`:
//! sled's recovery, which reads its log back since its last snapshot, the format check,
//! the writer's start; the request_ids are loaded afterwards, on a thread of their own), the
//! RSS after it, and then `--submits` new submits (half JW315,
//! half JW323 of 20 lines against a new client's allocation, recorded first; each new
//! client with a municipality of its own, so that its generated claim month is not before
//! another's, TR318) from `--clients` concurrent tasks through `Store::commit` with the
//! cross-message check on: throughput, p50/p99 latency, the RSS after them (which includes
//! the bench's own prepared submits, about 100 MB) and how many the check refused; last,
//! the time to open it again after closing it (`reopen_ms`: sled's log is short then).
//! Measured at the store, not over gRPC: the gRPC path on top is the same for every size
//! (docs/PERFORMANCE.md, bench_submit).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ketenpoort::store::sled_store::{Options, SledStore};
use ketenpoort::store::{Outcome, Store, SubmitWrite, Write};
use ketenpoort_messages::codes::RetourCode;
use ketenpoort_messages::generate::{Shape, sample};
use ketenpoort_messages::types::Nummer;
use ketenpoort_messages::{Content, Law, Message, MessageKind, MessageType};

#[path = "support/mod.rs"]
mod support;
use support::{arg, new_message, rss_mb};

const AGB: &str = "12345678";
const MUNICIPALITY: &str = "0268";
const LINES: usize = 20;
const PER_CLIENT: u64 = 9;

/// A BSN that passes the elfproef, distinct per `n`.
fn bsn(n: u64) -> String {
    let base = 100_000_000 + n * 10;
    for d in 0..10 {
        let candidate = base + d;
        let s = format!("{candidate:09}");
        let digits: Vec<u64> = s.bytes().map(|b| u64::from(b - b'0')).collect();
        let sum: i64 = digits[..8]
            .iter()
            .enumerate()
            .map(|(i, d)| (9 - i as i64) * *d as i64)
            .sum::<i64>()
            - digits[8] as i64;
        if sum % 11 == 0 {
            return s;
        }
    }
    format!("{:09}", base)
}

fn header(h: &mut ketenpoort_messages::model::header::Header, ident: &str, provider: bool) {
    // Built clients share one municipality; the measured ones (ids from 50,000,000) each
    // get their own, so that their generated claim months do not fall before one another's
    // (TR318 is per provider and municipality).
    let c: u64 = ident
        .trim_start_matches(|ch: char| ch.is_ascii_alphabetic())
        .split('M')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let municipality = if c >= 50_000_000 {
        format!("{:04}", 1000 + c % 8000)
    } else {
        MUNICIPALITY.to_owned()
    };
    if provider {
        h.afzender = AGB.into();
        h.ontvanger = municipality;
    } else {
        h.afzender = municipality;
        h.ontvanger = AGB.into();
    }
    h.bericht_identificatie.identificatie = ident.into();
}

fn message(t: MessageType, seed: u64) -> Message {
    sample(MessageKind::new(Law::Ijw, t), Shape::Minimal, seed)
}

/// The messages of client `c`, in order: (received?, message).
fn client_messages(c: u64) -> Vec<(bool, Message)> {
    let bsn = bsn(c);
    let allocation = 1_000_000 + c;
    let mut out = Vec::new();
    let mut m = message(MessageType::M315, c);
    if let Content::RequestForAllocation(h) = &mut m.content {
        header(&mut h.header, &format!("A{c}"), true);
        h.body.bsn = bsn.as_str().into();
        for p in &mut h.body.aangevraagde_producten {
            p.referentie_aanbieder = format!("RA{c}").as_str().into();
        }
    }
    out.push((false, m));
    // The allocation starts on the first claimed day and covers any product (TR387, TR339).
    let first_day = match &message(MessageType::M323, c * 3).content {
        Content::Declaration(h) => h
            .body
            .clienten
            .first()
            .and_then(|cl| cl.prestaties.first())
            .map(|p| p.product_periode.begindatum),
        _ => None,
    };
    let mut m = message(MessageType::M301, c);
    if let Content::Allocation(h) = &mut m.content {
        header(&mut h.header, &format!("T{c}"), false);
        h.body.bsn = bsn.as_str().into();
        for p in &mut h.body.toegewezen_producten {
            p.toewijzing_nummer = Nummer(allocation);
            p.referentie_aanbieder = Some(format!("RA{c}").as_str().into());
            p.einddatum = None;
            p.product = None;
            p.reden_wijziging = None;
            if let Some(day) = first_day {
                p.ingangsdatum = day;
            }
        }
    }
    out.push((true, m));
    let mut m = message(MessageType::M305, c);
    if let Content::CareStart(h) = &mut m.content {
        header(&mut h.header, &format!("S{c}"), true);
        h.body.bsn = bsn.as_str().into();
        for p in &mut h.body.start_producten {
            p.toewijzing_nummer = Some(Nummer(allocation));
        }
    }
    out.push((false, m));
    for month in 0..3u64 {
        let mut m = message(MessageType::M323, c * 3 + month);
        let mut claim = None;
        if let Content::Declaration(h) = &mut m.content {
            header(&mut h.header, &format!("C{c}M{month}"), true);
            h.body.declaratie_nummer = format!("D{c}M{month}").as_str().into();
            if let Some(client) = h.body.clienten.first_mut() {
                client.bsn = bsn.as_str().into();
                let first = client.prestaties.first().cloned();
                if let Some(first) = first {
                    client.prestaties = (0..LINES)
                        .map(|i| {
                            let mut p = first.clone();
                            p.product_referentie.referentie_nummer =
                                format!("L{c}M{month}N{i}").as_str().into();
                            p.product_referentie.vorig_referentie_nummer = None;
                            p.toewijzing_nummer = Nummer(allocation);
                            p
                        })
                        .collect();
                }
                h.body.clienten.truncate(1);
            }
            claim = Some((h.header.clone(), h.body.clone()));
        }
        out.push((false, m));
        let mut a = message(MessageType::M325, c * 3 + month);
        if let (Content::DeclarationAnswer(ans), Some((claim_header, body))) =
            (&mut a.content, claim)
        {
            ans.header.heen.afzender = claim_header.ontvanger.clone();
            ans.header.heen.ontvanger = AGB.into();
            ans.header.heen.bericht_identificatie.identificatie =
                format!("V{c}M{month}").as_str().into();
            ans.header.declaratie_identificatie = claim_header.bericht_identificatie;
            ans.header.retour_codes = vec![RetourCode::R0200];
            if let Some(b) = ans.body.as_mut() {
                b.declaratie_nummer = body.declaratie_nummer.0.as_str().into();
                b.clienten = Vec::new();
                b.retour_codes = vec![RetourCode::R8001];
            }
        }
        out.push((true, a));
    }
    out
}

fn write(m: &Message, received: bool, request_id: String, check: bool) -> Write {
    if received {
        Write::Received {
            xml: m.to_xml().unwrap_or_default(),
            message: Arc::new(m.clone()),
        }
    } else {
        Write::Submit(SubmitWrite {
            tenant: "bench".into(),
            request_id,
            content_hash: String::new(),
            at_ms: 1_735_000_000_000,
            messages: vec![new_message(m)],
            counters: Vec::new(),
            cross_message_rules: check,
        })
    }
}

/// Builds a store of about `size` messages at `dir`, unless one is there.
async fn build(dir: &Path, size: u64) {
    let done = dir.join("BUILT");
    if done.exists() {
        eprintln!("store of {size} at {} is there", dir.display());
        return;
    }
    let _ = std::fs::remove_dir_all(dir);
    extend(dir, 0, size / PER_CLIENT).await;
    std::fs::write(done, b"").expect("marker");
}

/// The number of clients a `--grow` store holds (its `CLIENTS` file; 0 when new).
fn grown_clients(dir: &Path) -> u64 {
    std::fs::read_to_string(dir.join("CLIENTS"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Grows the store at `dir` to about `size` messages: adds the clients it lacks.
async fn grow(dir: &Path, size: u64) {
    let have = grown_clients(dir);
    let want = size / PER_CLIENT;
    if have < want {
        extend(dir, have, want).await;
        std::fs::write(dir.join("CLIENTS"), want.to_string()).expect("marker");
    } else {
        eprintln!("store at {} holds {have} clients already", dir.display());
    }
}

/// Adds clients `from..to` (nine messages each) to the store at `dir`, then closes it.
async fn extend(dir: &Path, from: u64, to: u64) {
    let (store, closed) = SledStore::open_with(dir, &Options::default()).expect("open");
    let clients = to;
    let started = Instant::now();
    let mut pending = Vec::new();
    for c in from..clients {
        for (i, (received, m)) in client_messages(c).into_iter().enumerate() {
            pending.push(
                store
                    .commit(write(&m, received, format!("b{c}-{i}"), false))
                    .wait(),
            );
        }
        if pending.len() >= 2048 || c + 1 == clients {
            for p in pending.drain(..) {
                p.await.expect("stored");
            }
        }
        if c % 10_000 == 0 && c > from {
            eprintln!(
                "built {} of {} messages ({:.0}/s)",
                c * PER_CLIENT,
                clients * PER_CLIENT,
                ((c - from) * PER_CLIENT) as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    drop(store);
    closed.await.expect("closed");
}

fn dir_mb(dir: &Path) -> f64 {
    fn walk(p: &Path) -> u64 {
        let Ok(rd) = std::fs::read_dir(p) else {
            return 0;
        };
        rd.filter_map(Result::ok)
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => walk(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    }
    walk(dir) as f64 / (1024.0 * 1024.0)
}

/// In a fresh process: open the store at `dir` and submit to it.
async fn measure(dir: &Path) {
    let submits: u64 = arg("--submits")
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let clients: u64 = arg("--clients").and_then(|s| s.parse().ok()).unwrap_or(64);
    let size_mb = dir_mb(dir);
    // The copy is a store that was closed cleanly (as after a stop of the gateway); the
    // copy's new file times would otherwise make the open check it on a copy first.
    ketenpoort::store::open::record_clean_close(dir);
    let t = Instant::now();
    let (store, closed) = SledStore::open_with(dir, &Options::default()).expect("open");
    let open_ms = t.elapsed().as_secs_f64() * 1000.0;

    let rss_open = rss_mb();
    // New clients far above the built ones: a 301 each, recorded before timing.
    let base = 50_000_000u64;
    let n_clients = submits / 2;
    let mut work: Vec<Vec<Write>> = (0..clients).map(|_| Vec::new()).collect();
    for c in 0..n_clients {
        let ms = client_messages(base + c);
        store
            .commit(write(&ms[1].1, true, String::new(), true))
            .wait()
            .await
            .expect("301");
        let task = (c % clients) as usize;
        work[task].push(write(&ms[0].1, false, format!("m{c}-315"), true));
        work[task].push(write(&ms[3].1, false, format!("m{c}-323"), true));
    }
    let store: Arc<SledStore> = store;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for list in work {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut refused = 0u64;
            for w in list {
                let s = Instant::now();
                match store.commit(w).wait().await.expect("commit") {
                    Outcome::Stored(_) => {}
                    Outcome::CrossRules(v) => {
                        if refused == 0 {
                            let rules: Vec<&str> = v.iter().map(|v| v.rule).collect();
                            eprintln!("refused by {rules:?}");
                        }
                        refused += 1;
                    }
                    other => {
                        if refused == 0 {
                            eprintln!("refused: {other:?}");
                        }
                        refused += 1;
                    }
                }
                lat.push(s.elapsed());
            }
            (lat, refused)
        }));
    }
    let mut lat: Vec<Duration> = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (l, r) = t.await.expect("task");
        lat.extend(l);
        refused += r;
    }
    let secs = t.elapsed().as_secs_f64();
    lat.sort();
    let p =
        |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0;
    let rss_after = rss_mb();
    drop(store);
    let _ = closed.await;
    // Opened again right after that clean close: sled's log since its last snapshot is short.
    let t = Instant::now();
    let (store, closed) = SledStore::open_with(dir, &Options::default()).expect("reopen");
    let reopen_ms = t.elapsed().as_secs_f64() * 1000.0;
    drop(store);
    let _ = closed.await;
    println!(
        "RESULT size_mb={size_mb:.0} open_ms={open_ms:.0} rss_open_mb={rss_open:.0} submits_per_s={:.0} p50_ms={:.1} p99_ms={:.1} rss_after_mb={rss_after:.0} reopen_ms={reopen_ms:.0} refused={refused}",
        lat.len() as f64 / secs,
        p(0.50),
        p(0.99),
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from)
        .expect("read_dir")
        .filter_map(Result::ok)
    {
        let target = to.join(e.file_name());
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

fn run_child(dir: &Path) -> String {
    let exe = std::env::current_exe().expect("exe");
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--measure").arg(dir);
    for a in ["--submits", "--clients"] {
        if let Some(v) = arg(a) {
            cmd.arg(a).arg(v);
        }
    }
    let out = cmd.output().expect("child");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("RESULT"))
        .map(|l| l.trim_start_matches("RESULT ").to_owned())
        .unwrap_or_else(|| format!("failed: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Prints the table's header and the row of an empty store (measured in `root/work`,
/// which it empties first); answers that directory.
fn print_header_and_empty(root: &Path) -> PathBuf {
    let work = root.join("work");
    let _ = std::fs::remove_dir_all(&work);
    println!("| stored messages | result |");
    println!("|---:|---|");
    let _ = std::fs::create_dir_all(&work);
    println!("| 0 | {} |", run_child(&work.join("empty")));
    work
}

#[tokio::main]
async fn main() {
    if let Some(dir) = arg("--measure") {
        measure(&PathBuf::from(dir)).await;
        return;
    }
    let sizes: Vec<u64> = arg("--sizes")
        .unwrap_or_else(|| "100000,300000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let root = PathBuf::from(arg("--dir").unwrap_or_else(|| "/var/tmp/kp-scale".into()));
    let flag = |name: &str| std::env::args().any(|a| a == name);
    if flag("--build-only") || flag("--measure-built") {
        // The two halves of `--grow`, to build on a busy machine (e.g. under `nice`) and
        // measure later, all sizes in one quiet window: `--build-only` grows the store and
        // keeps a copy of every size but the largest (`snapshots/snap-SIZE`); `--measure-built`
        // measures an empty store, each copy and the grown store, in place (a second
        // `--measure-built` measures them with the first one's submits added).
        let mut sizes = sizes;
        sizes.sort_unstable();
        let store = root.join("store-grow");
        let snap = |size: u64| root.join("snapshots").join(format!("snap-{size}"));
        if flag("--build-only") {
            for (i, size) in sizes.iter().enumerate() {
                grow(&store, *size).await;
                if i + 1 < sizes.len() && !snap(*size).exists() {
                    copy_dir(&store, &snap(*size));
                }
            }
            return;
        }
        print_header_and_empty(&root);
        for (i, size) in sizes.iter().enumerate() {
            let dir = if i + 1 == sizes.len() {
                store.clone()
            } else {
                snap(*size)
            };
            let held = size / PER_CLIENT * PER_CLIENT;
            println!("| {held} | {} |", run_child(&dir));
        }
        return;
    }
    let work = print_header_and_empty(&root);
    if flag("--grow") {
        // One store grown from size to size (ascending): each size is measured on a copy,
        // but the last in place, since a copy of the largest would need its size again
        // in free disk. That store then holds the measured submits too; `--grow` runs
        // after it only measure it again.
        let mut sizes = sizes;
        sizes.sort_unstable();
        let store = root.join("store-grow");
        for (i, size) in sizes.iter().enumerate() {
            grow(&store, *size).await;
            let held = grown_clients(&store) * PER_CLIENT;
            let result = if i + 1 == sizes.len() {
                run_child(&store)
            } else {
                let copy = work.join(format!("copy-{size}"));
                copy_dir(&store, &copy);
                let r = run_child(&copy);
                let _ = std::fs::remove_dir_all(&copy);
                r
            };
            println!("| {held} | {result} |");
        }
        return;
    }
    for size in &sizes {
        build(&root.join(format!("store-{size}")), *size).await;
    }
    // Every measurement on a copy, so the built stores stay as built.
    for size in &sizes {
        let copy = work.join(format!("copy-{size}"));
        copy_dir(&root.join(format!("store-{size}")), &copy);
        println!(
            "| {} | {} |",
            size / PER_CLIENT * PER_CLIENT,
            run_child(&copy)
        );
        let _ = std::fs::remove_dir_all(&copy);
    }
}
