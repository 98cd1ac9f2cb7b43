//! Slow and idle connections (issue 13, item 7), against the `ketenpoort serve` binary run
//! under `prlimit --nofile=256:256` with a 1 s handshake timeout and a 3 s idle timeout:
//!
//! - 5,000 connections that send nothing or half of the HTTP/2 preface are attempted, and
//!   grpc.health.v1 over a fresh connection answers SERVING all along;
//! - a connection that sends nothing, or half the preface, is closed once the handshake
//!   timeout has passed, and the server's CPU time grows by less than half the wall time
//!   while such connections are held (the accept loop does not spin);
//! - a connection past its handshake with no call is closed after the idle timeout, while a
//!   connection with a return stream open stays;
//! - with the open-files limit lowered under the running server (accept fails with EMFILE),
//!   the health check still gets through and the server does not spin;
//! - the admin endpoint answers /healthz while more idle connections than its limit are
//!   held.

mod common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::child::{ChildServer, spawn_with_nofile, write_config};
use common::{TOKEN_A, req};
use ketenpoort::proto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(1);
const IDLE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the health check may take to answer SERVING while the server is flooded.
const HEALTH_BOUND: Duration = Duration::from_secs(10);

/// The server's CPU time (user + system) so far, from `/proc/<pid>/stat`.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read stat");
    let after = stat.rsplit_once(')').expect("(comm)").1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of proc(5), counted from the state (field 3) here.
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    let per_second: u64 = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100);
    Duration::from_millis(ticks * 1000 / per_second)
}

/// The soft open-files limit of this test process.
fn own_open_files_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            let line = t
                .lines()
                .find(|l| l.starts_with("Max open files"))?
                .to_owned();
            line.trim_start_matches("Max open files")
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(1024)
}

/// Asks grpc.health.v1 over fresh connections until one answers SERVING; how long that
/// took, or an error after `within`.
async fn serving_within(addr: SocketAddr, within: Duration) -> Result<Duration, String> {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < within {
        let attempt = async {
            let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
                .map_err(|e| e.to_string())?
                .connect_timeout(Duration::from_secs(3))
                .timeout(Duration::from_secs(3))
                .connect()
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let status = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map_err(|e| format!("check: {e}"))?
                .into_inner()
                .status;
            Ok::<_, String>(status == ServingStatus::Serving as i32)
        };
        match tokio::time::timeout(Duration::from_secs(4), attempt).await {
            Ok(Ok(true)) => return Ok(start.elapsed()),
            Ok(Ok(false)) => last = "not SERVING".into(),
            Ok(Err(e)) => last = e,
            Err(_) => last = "no answer within 4 s".into(),
        }
        // Not a synchronisation: only to not hammer a refusing port.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("not SERVING within {within:?}: {last}"))
}

/// Connects and sends nothing (`half == false`) or the first half of the preface.
async fn idle_connection(addr: SocketAddr, half: bool) -> Option<TcpStream> {
    let mut s = tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    if half {
        s.write_all(&PREFACE[..12]).await.ok()?;
    }
    Some(s)
}

/// Waits (at most `bound`) until the server closes `s`; how long after `since` that was.
async fn closed_after(mut s: TcpStream, since: Instant, bound: Duration) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    let deadline = since + bound;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(since.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// A raw HTTP/2 client that sends the preface and SETTINGS, acknowledges the server's
/// SETTINGS and then makes no call; how long until the server closes the connection.
async fn idle_after_handshake(addr: SocketAddr, bound: Duration) -> Option<Duration> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    let start = Instant::now();
    s.write_all(PREFACE).await.ok()?;
    s.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.ok()?; // SETTINGS, empty
    let deadline = start + bound;
    loop {
        let mut header = [0u8; 9];
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, s.read_exact(&mut header)).await {
            Err(_) => return None,
            Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
        }
        let len = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let mut payload = vec![0u8; len];
        if s.read_exact(&mut payload).await.is_err() {
            return Some(start.elapsed());
        }
        let (kind, flags) = (header[3], header[4]);
        if kind == 4 && flags & 1 == 0 {
            // The server's SETTINGS: acknowledge.
            s.write_all(&[0, 0, 0, 4, 1, 0, 0, 0, 0]).await.ok()?;
        }
        if kind == 7 {
            // GOAWAY: the server ends the connection.
            return Some(start.elapsed());
        }
    }
}

async fn http_get(addr: SocketAddr, path: &str) -> Result<String, String> {
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out)
        .await
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn start(dir: &std::path::Path) -> ChildServer {
    let config = write_config(dir, &dir.join("data"), "");
    let text = std::fs::read_to_string(&config).expect("read");
    let text = text.replacen(
        "[server]\n",
        &format!(
            "[server]\nhandshake_timeout_secs = {}\nidle_timeout_secs = {}\n",
            HANDSHAKE_TIMEOUT.as_secs(),
            IDLE_TIMEOUT.as_secs()
        ),
        1,
    );
    std::fs::write(&config, text).expect("write");
    spawn_with_nofile(256, &config, &[], &dir.join("server.log"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_open_connections_do_not_starve_the_gateway() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = start(dir.path());
    let (addr, pid) = (server.grpc, server.pid());
    serving_within(addr, HEALTH_BOUND)
        .await
        .expect("serving at the start");

    // 5,000 idle and half-preface connections, as many held at once as this process may
    // open, made by one task while this one checks the health over fresh connections.
    let hold = usize::try_from(own_open_files_limit().saturating_sub(200))
        .unwrap_or(usize::MAX)
        .clamp(100, 2_000);
    let flood = tokio::spawn(async move {
        let mut held: VecDeque<TcpStream> = VecDeque::new();
        let mut connected = 0;
        for i in 0..5_000 {
            if let Some(s) = idle_connection(addr, i % 2 == 1).await {
                connected += 1;
                held.push_back(s);
                if held.len() > hold {
                    held.pop_front();
                }
            }
        }
        (connected, held)
    });
    let (mut checks, mut slowest) = (0, Duration::ZERO);
    while !flood.is_finished() {
        let took = serving_within(addr, HEALTH_BOUND)
            .await
            .unwrap_or_else(|e| panic!("during the flood, after {checks} checks: {e}"));
        checks += 1;
        slowest = slowest.max(took);
    }
    let (connected, held) = flood.await.expect("the flood ran");
    let took = serving_within(addr, HEALTH_BOUND)
        .await
        .expect("SERVING after the flood");
    slowest = slowest.max(took);
    eprintln!(
        "5000 attempted, {connected} connected, {} held; {checks} health checks during the \
         flood, the slowest {slowest:?}",
        held.len()
    );
    assert!(connected > 1_000, "only {connected} connections were made");
    assert!(checks >= 1, "no health check ran during the flood");

    // While they are held: new idle and half-preface connections are closed once the
    // handshake timeout has passed, and the server's CPU time grows by less than half the
    // wall time meanwhile.
    let (cpu_before, wall_before) = (cpu_time(pid), Instant::now());
    let mut fresh = Vec::new();
    for i in 0..20 {
        let s = idle_connection(addr, i % 2 == 1).await.expect("connect");
        fresh.push((s, Instant::now()));
    }
    for (s, since) in fresh {
        let after = closed_after(s, since, Duration::from_secs(15))
            .await
            .expect("closed within 15 s");
        assert!(
            after >= HANDSHAKE_TIMEOUT - Duration::from_millis(100),
            "closed after {after:?}, before the handshake timeout"
        );
    }
    let (cpu, wall) = (cpu_time(pid) - cpu_before, wall_before.elapsed());
    eprintln!("held: {cpu:?} CPU in {wall:?}");
    assert!(
        cpu < wall / 2,
        "{cpu:?} of CPU in {wall:?}: the server spins"
    );
    drop(held);

    // Past the handshake, no call: closed after the idle timeout (not the handshake
    // timeout); a connection with a return stream open stays open meanwhile.
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut stream = proto::gateway_client::GatewayClient::new(channel)
        .stream_returns(req(TOKEN_A, proto::StreamReturnsRequest::default()))
        .await
        .expect("stream")
        .into_inner();
    let after = idle_after_handshake(addr, Duration::from_secs(30))
        .await
        .expect("the idle connection is closed within 30 s");
    assert!(
        after >= IDLE_TIMEOUT - Duration::from_millis(200),
        "closed after {after:?}, before the idle timeout"
    );
    match tokio::time::timeout(Duration::from_millis(200), stream.message()).await {
        Err(_) => {}
        Ok(other) => panic!("the return stream ended on a busy connection: {other:?}"),
    }
    drop(stream);

    // The admin endpoint: more idle connections than its limit (64), and /healthz answers.
    let mut admin_idle = Vec::new();
    for _ in 0..100 {
        if let Some(s) = idle_connection(server.admin, false).await {
            admin_idle.push(s);
        }
    }
    let healthz = tokio::time::timeout(HEALTH_BOUND, http_get(server.admin, "/healthz"))
        .await
        .expect("/healthz answers while idle admin connections are held")
        .expect("read");
    assert!(healthz.starts_with("HTTP/1.1 200"), "{healthz}");
    drop(admin_idle);

    // Out of file descriptors: the limit lowered under the running server to a few more
    // than it has open, then idle connections; the health check still gets through and the
    // accept loop does not spin on EMFILE.
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("list fds")
        .count() as u64;
    let lowered = std::process::Command::new("prlimit")
        .arg(format!("--pid={pid}"))
        .arg(format!("--nofile={n}:{n}", n = open + 6))
        .status()
        .expect("run prlimit");
    assert!(lowered.success(), "prlimit --pid failed");
    let (cpu_before, wall_before) = (cpu_time(pid), Instant::now());
    let mut idle = Vec::new();
    for i in 0..300 {
        if let Some(s) = idle_connection(addr, i % 2 == 1).await {
            idle.push(s);
        }
    }
    let took = serving_within(addr, Duration::from_secs(30))
        .await
        .expect("SERVING while accept fails with EMFILE");
    let (cpu, wall) = (cpu_time(pid) - cpu_before, wall_before.elapsed());
    eprintln!(
        "EMFILE: {} idle held; SERVING after {took:?}; {cpu:?} CPU in {wall:?}",
        idle.len()
    );
    assert!(
        cpu < wall / 2,
        "{cpu:?} of CPU in {wall:?}: the server spins on EMFILE"
    );
    drop(idle);

    assert_eq!(server.terminate(), Some(0), "stops cleanly");
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
}
