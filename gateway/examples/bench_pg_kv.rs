//! The history's keys read from PostgreSQL (`PgKv`, through its worker thread) next to the
//! same keys in sled: what one question of the cross-message rules costs on each.
//!
//! ```text
//! cargo run --release -p ketenpoort --example bench_pg_kv -- [--keys 100000] [--ops 20000] [--threads 4]
//! ```
//!
//! Writes `--keys` keys shaped as the history's `h/P/` keys (a scope of 16 bytes, then a
//! sequence; 100 per scope, values of 40 bytes) into a fresh schema `kp_bench_kv_<pid>` of
//! the database (`KETENPOORT_BENCH_PG_URL`, default `postgres://postgres@127.0.0.1:5432/test`;
//! dropped at the end) with `kv::apply`, and into a sled database in a temporary directory.
//! Then, on each, `--ops` times: `get` of a stored key, `get` of a missing key, the first
//! entry of `scan_rev` of a scope (what `last_declaration_period` asks), and `--ops / 10`
//! times `scan` of a whole scope (100 entries); finally `get`s of stored keys from
//! `--threads` threads at once. Prints µs per call (mean, p50, p99) and calls per second.

use std::time::{Duration, Instant};

use ketenpoort::store::index::{Kv, Pending};
use ketenpoort::store::postgres::kv::{PgKv, apply};
use ketenpoort::store::postgres::migrate::migrate;
use ketenpoort::store::postgres::{PgOptions, connect};

#[path = "support/mod.rs"]
mod support;
use support::arg_or;

const PER_SCOPE: u64 = 100;

fn key(scope: u64, i: u64) -> Vec<u8> {
    let mut k = b"h/P/j".to_vec();
    k.extend_from_slice(&scope.to_be_bytes());
    k.extend_from_slice(&[0, 0, 0]);
    k.extend_from_slice(&i.to_be_bytes());
    k
}

fn scope_prefix(scope: u64) -> Vec<u8> {
    let mut k = b"h/P/j".to_vec();
    k.extend_from_slice(&scope.to_be_bytes());
    k.extend_from_slice(&[0, 0, 0]);
    k
}

/// xorshift64*: the same sequence of questions for both stores.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

fn report(store: &str, what: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    let n = times.len().max(1);
    let total: Duration = times.iter().sum();
    let at = |q: f64| {
        let i = ((n as f64 * q) as usize).min(n - 1);
        times.get(i).copied().unwrap_or_default().as_secs_f64() * 1e6
    };
    let mean = total.as_secs_f64() * 1e6 / n as f64;
    println!(
        "{store:6} {what:28} mean {mean:8.1} µs  p50 {:8.1}  p99 {:8.1}  {:9.0}/s",
        at(0.5),
        at(0.99),
        n as f64 / total.as_secs_f64().max(1e-9)
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

fn bench(store: &str, kv: &(dyn Kv + Sync), keys: u64, ops: u64, threads: u64) {
    let scopes = (keys / PER_SCOPE).max(1);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    report(
        store,
        "get (stored)",
        timed(ops, |_| {
            let k = key(rng.below(scopes), rng.below(PER_SCOPE));
            assert!(kv.get(&k).expect("get").is_some());
        }),
    );
    report(
        store,
        "get (missing)",
        timed(ops, |_| {
            let k = key(scopes + rng.below(scopes), 0);
            assert!(kv.get(&k).expect("get").is_none());
        }),
    );
    report(
        store,
        "scan_rev first entry",
        timed(ops, |_| {
            let p = scope_prefix(rng.below(scopes));
            assert!(kv.scan_rev(&p).next().is_some());
        }),
    );
    report(
        store,
        "scan (100 entries)",
        timed(ops / 10, |_| {
            let p = scope_prefix(rng.below(scopes));
            assert_eq!(kv.scan(&p).expect("scan").len() as u64, PER_SCOPE);
        }),
    );
    let started = Instant::now();
    let per_thread = ops / threads.max(1);
    std::thread::scope(|s| {
        for t in 0..threads.max(1) {
            s.spawn(move || {
                let mut rng = Rng(0x1234_5678 + t);
                for _ in 0..per_thread {
                    let k = key(rng.below(scopes), rng.below(PER_SCOPE));
                    assert!(kv.get(&k).expect("get").is_some());
                }
            });
        }
    });
    let all = per_thread * threads.max(1);
    println!(
        "{store:6} {:28} {:9.0}/s",
        format!("get (stored), {threads} threads"),
        all as f64 / started.elapsed().as_secs_f64().max(1e-9)
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys: u64 = arg_or("--keys", 100_000);
    let ops: u64 = arg_or("--ops", 20_000);
    let threads: u64 = arg_or("--threads", 4);
    let url = std::env::var("KETENPOORT_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("kp_bench_kv_{}", std::process::id());
    let base = PgOptions {
        url: Some(url),
        pool_size: usize::try_from(threads.max(1))?,
        ..PgOptions::default()
    };
    let options = PgOptions {
        schema: Some(schema.clone()),
        ..base.clone()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    // Fill both stores with the same keys.
    let value = vec![b'v'; 40];
    let dir = tempfile::tempdir()?;
    let db = sled::Config::new().path(dir.path()).open()?;
    let t = Instant::now();
    rt.block_on(async {
        let admin = connect(&base).await?;
        admin
            .get()
            .await?
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await?;
        let pool = connect(&options).await?;
        let mut client = pool.get().await?;
        migrate(&mut client).await?;
        let mut pending = Pending::new();
        for n in 0..keys {
            pending.insert(key(n / PER_SCOPE, n % PER_SCOPE), Some(value.clone()));
            if pending.len() == 5_000 || n + 1 == keys {
                let tx = client.transaction().await?;
                apply(&*tx, &pending).await?;
                tx.commit().await?;
                pending.clear();
            }
        }
        client
            .batch_execute("VACUUM ANALYZE ketenpoort_history")
            .await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    println!("{keys} keys into PostgreSQL in {:?}", t.elapsed());
    let t = Instant::now();
    for n in 0..keys {
        db.insert(key(n / PER_SCOPE, n % PER_SCOPE), value.clone())?;
    }
    db.flush()?;
    println!("{keys} keys into sled in {:?}", t.elapsed());

    let pg = PgKv::connect(&options)?;
    bench("pg", &pg, keys, ops, threads);
    println!(
        "pg     reverse-scan pages read: {} (one per first entry)",
        pg.pages_read()
    );
    drop(pg);
    bench("sled", &db, keys, ops, threads);

    rt.block_on(async {
        let admin = connect(&base).await?;
        admin
            .get()
            .await?
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    Ok(())
}
