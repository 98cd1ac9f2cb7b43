//! The store's engine on PostgreSQL (`PgEngine`) next to sled's (`SledEngine`): what the
//! writer's operations cost on each, in calls of the `Engine` trait.
//!
//! ```text
//! cargo run -p ketenpoort --example bench_pg_engine -- [--keys 20000] [--ops 2000] [--batch 64]
//! ```
//!
//! Writes `--keys` history-shaped keys (`h/` + 16 bytes, 40-byte values) into a fresh schema
//! `kp_bench_engine_<pid>` of the database (`KETENPOORT_BENCH_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`; dropped at the end) and into sled in a
//! temporary directory, each through its engine. Then, on each, `--ops` times: `get` of a
//! stored key outside a group and inside one, the first entry of a reverse prefix scan, an
//! empty group (`begin_group` + `commit_group`), a group of one `apply` of `--batch` keys, a
//! group of `--batch` single `insert`s, and a write outside a group. Prints µs per call.

use std::ops::Bound;
use std::time::{Duration, Instant};

use ketenpoort::store::engine::{Batch, Direction, Engine, SledEngine};
use ketenpoort::store::postgres::engine::PgEngine;
use ketenpoort::store::postgres::{PgOptions, connect};

#[path = "support/mod.rs"]
mod support;
use support::arg_or;

fn key(n: u64) -> Vec<u8> {
    let mut k = b"h/bench/".to_vec();
    k.extend_from_slice(&(n / 100).to_be_bytes());
    k.extend_from_slice(&(n % 100).to_be_bytes());
    k
}

fn report(engine: &str, what: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    let n = times.len().max(1);
    let total: Duration = times.iter().sum();
    let at = |q: f64| {
        let i = ((n as f64 * q) as usize).min(n - 1);
        times.get(i).copied().unwrap_or_default().as_secs_f64() * 1e6
    };
    println!(
        "{engine:5} {what:34} mean {:9.1} µs  p50 {:9.1}  p99 {:9.1}",
        total.as_secs_f64() * 1e6 / n as f64,
        at(0.5),
        at(0.99),
    );
}

fn timed(n: u64, mut f: impl FnMut(u64)) -> Vec<Duration> {
    (0..n)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect()
}

fn bench(name: &str, e: &dyn Engine, keys: u64, ops: u64, batch: u64) {
    let value = vec![b'v'; 40];
    report(
        name,
        "get (stored)",
        timed(ops, |i| {
            assert!(e.get(&key((i * 7919) % keys)).expect("get").is_some());
        }),
    );
    e.begin_group().expect("begin");
    report(
        name,
        "get (stored) inside a group",
        timed(ops, |i| {
            assert!(e.get(&key((i * 7919) % keys)).expect("get").is_some());
        }),
    );
    e.commit_group().expect("commit");
    report(
        name,
        "reverse scan, first entry",
        timed(ops, |i| {
            let scope = ((i * 7919) % keys) / 100;
            let mut p = b"h/bench/".to_vec();
            p.extend_from_slice(&scope.to_be_bytes());
            assert!(e.scan_prefix(&p, Direction::Reverse).next().is_some());
        }),
    );
    report(
        name,
        "empty group",
        timed(ops, |_| {
            e.begin_group().expect("begin");
            e.commit_group().expect("commit");
        }),
    );
    report(
        name,
        &format!("group: one apply of {batch} keys"),
        timed(ops, |i| {
            e.begin_group().expect("begin");
            let mut b = Batch::default();
            for j in 0..batch {
                b.insert(key(keys + (i * batch + j) % keys), value.clone());
            }
            e.apply(b).expect("apply");
            e.commit_group().expect("commit");
        }),
    );
    report(
        name,
        &format!("group: {batch} inserts"),
        timed(ops / 10, |i| {
            e.begin_group().expect("begin");
            for j in 0..batch {
                e.insert(&key(keys + (i * batch + j) % keys), &value)
                    .expect("insert");
            }
            e.commit_group().expect("commit");
        }),
    );
    report(
        name,
        "insert outside a group",
        timed(ops, |i| {
            e.insert(&key(i % keys), &value).expect("insert");
        }),
    );
    let n = e
        .range(
            Bound::Included(b"h/bench/".as_slice()),
            Bound::Unbounded,
            Direction::Forward,
        )
        .count();
    println!("{name:5} {n} keys at the end");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys: u64 = arg_or("--keys", 20_000);
    let ops: u64 = arg_or("--ops", 2_000);
    let batch: u64 = arg_or("--batch", 64);
    let url = std::env::var("KETENPOORT_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("kp_bench_engine_{}", std::process::id());
    let base = PgOptions {
        url: Some(url),
        pool_size: 4,
        ..PgOptions::default()
    };
    let options = PgOptions {
        schema: Some(schema.clone()),
        ..base.clone()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        connect(&base)
            .await?
            .get()
            .await?
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;

    let dir = tempfile::tempdir()?;
    let sled = SledEngine::new(sled::Config::new().path(dir.path()).open()?);
    let pg = PgEngine::connect(&options)?;
    let value = vec![b'v'; 40];
    for (name, e) in [("sled", &sled as &dyn Engine), ("pg", &*pg as &dyn Engine)] {
        let t = Instant::now();
        for chunk in (0..keys).collect::<Vec<_>>().chunks(5_000) {
            e.begin_group()?;
            let mut b = Batch::default();
            for n in chunk {
                b.insert(key(*n), value.clone());
            }
            e.apply(b)?;
            e.commit_group()?;
        }
        println!("{name:5} {keys} keys written in {:?}", t.elapsed());
        bench(name, e, keys, ops, batch);
    }
    drop(pg);
    rt.block_on(async {
        connect(&base)
            .await?
            .get()
            .await?
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    Ok(())
}
