//! The harness of the delivery tests: a gateway in `[vecozo] mode = "vecozo"` against the
//! in-process simulator (`vecozo_support`), with its certificates and CA, its admin endpoint
//! for /metrics, and waits for observable conditions with a deadline.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use ketenpoort::config::{Config, VecozoMode};
use ketenpoort::header::FixedClock;
use ketenpoort::proto;
use ketenpoort::proto::gateway_client::GatewayClient;
use ketenpoort::server::Gateway;
use ketenpoort::vecozo::identity::{CertificateSource, IdentityConfig};
use ketenpoort::vecozo::retry::{Backoff, JitterMode};
use tokio::sync::oneshot;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::common;
use crate::vecozo_support::{OTHER_PROVIDER, P12_PASSWORD, PROVIDER, Sim};

/// How long a test waits for something that should happen.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// Polls `check` every 20 ms until it returns `Some`, at most `deadline`; panics naming
/// `what` (and the last state `describe` gives) otherwise.
pub async fn wait_for<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = Instant::now() + deadline;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The files the gateway needs from the simulator's PKI: the password file of its PKCS#12
/// files and the CA.
pub fn password_file(sim: &Sim) -> PathBuf {
    let path = sim.dir.path().join("p12-password");
    std::fs::write(&path, P12_PASSWORD).expect("write the password file");
    path
}

/// The CA of the simulator's PKI (PEM file).
pub fn ca_file(sim: &Sim) -> PathBuf {
    sim.config.pki.dir().join("ca.pem")
}

/// The identity configuration: PROVIDER's certificate as default (so AGB_A2, which the
/// simulator does not know, is pushed with it), OTHER_PROVIDER's for itself.
pub fn identity(sim: &Sim) -> IdentityConfig {
    let pw = password_file(sim);
    let p12 = |agb: &str| CertificateSource::Pkcs12 {
        path: sim.config.pki.client_files(agb).2,
        password_env: None,
        password_file: Some(pw.clone()),
    };
    IdentityConfig {
        default: Some(p12(PROVIDER)),
        per_agb: [(OTHER_PROVIDER.to_owned(), p12(OTHER_PROVIDER))]
            .into_iter()
            .collect(),
        warning_days: None,
    }
}

/// Backoff in milliseconds, with VECOZO's Retry-After cut to 200 ms: the tests do not wait
/// for a simulated maintenance window in real time.
pub fn fast_backoff() -> Backoff {
    Backoff {
        base: Duration::from_millis(5),
        cap: Duration::from_millis(100),
        jitter: JitterMode::Equal,
        max_retry_after: Duration::from_millis(200),
    }
}

/// The test configuration of `common::config` in vecozo mode against `sim` ([`start`] sets
/// the data directory).
pub fn config(sim: &Sim) -> Config {
    let mut c = common::config(Path::new("unset"));
    c.vecozo.mode = Some(VecozoMode::Vecozo);
    c.vecozo.environment = Some(sim.environment());
    c.vecozo.trust_roots = Some(ca_file(sim));
    c.vecozo.identity = identity(sim);
    c.vecozo.backoff = fast_backoff();
    c.vecozo.poll_interval_secs = 1;
    c.vecozo.max_concurrent_deliveries = 8;
    c.vecozo.status_poll_interval_ms = 50;
    c
}

/// A gateway serving gRPC and the admin endpoint on 127.0.0.1:0.
pub struct Gw {
    pub grpc: SocketAddr,
    pub admin: SocketAddr,
    pub dir: tempfile::TempDir,
    pub shared: Weak<ketenpoort::api::Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), ketenpoort::Error>>>,
}

/// Opens and serves a gateway on `dir` with `config` (its data_dir is set to `dir`).
pub async fn start(dir: tempfile::TempDir, mut config: Config) -> Gw {
    config.server.data_dir = dir.path().to_owned();
    let clock = Arc::new(FixedClock(
        Utc.with_ymd_and_hms(2025, 4, 2, 12, 0, 0)
            .single()
            .expect("a time"),
    ));
    let gateway = Gateway::open_with_clock(config, clock).expect("gateway opens");
    let shared = Arc::downgrade(&gateway.shared());
    let grpc = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let (grpc_addr, admin_addr) = (
        grpc.local_addr().expect("addr"),
        admin.local_addr().expect("addr"),
    );
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(grpc, Some(admin), async {
        let _ = rx.await;
    }));
    Gw {
        grpc: grpc_addr,
        admin: admin_addr,
        dir,
        shared,
        stop: Some(stop),
        task: Some(task),
    }
}

impl Gw {
    pub async fn client(&self) -> GatewayClient<Channel> {
        GatewayClient::connect(format!("http://{}", self.grpc))
            .await
            .expect("connect")
    }

    /// Stops the gateway and returns its data directory.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), t)
                .await
                .expect("the gateway stops within 20 s")
                .expect("no panic")
                .expect("served without error");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.dir, dir)
    }

    /// The /metrics text.
    pub async fn metrics(&self) -> String {
        metrics(self.admin).await
    }

    /// The traceerId the worker persisted for message `id`.
    pub fn traceer_id(&self, id: &str) -> Option<Uuid> {
        let shared = self.shared.upgrade()?;
        let id: u64 = id.parse().ok()?;
        shared.store.outbox(id).ok()?.map(|r| r.traceer_id)
    }

    /// The outbox record of message `id`.
    pub fn attempts(&self, id: &str) -> u32 {
        let Some(shared) = self.shared.upgrade() else {
            return 0;
        };
        let id: u64 = id.parse().expect("numeric id");
        shared
            .store
            .outbox(id)
            .expect("store")
            .map_or(0, |r| r.attempts)
    }
}

/// The /metrics text of an admin endpoint.
pub async fn metrics(admin: SocketAddr) -> String {
    reqwest::get(format!("http://{admin}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text")
}

/// The value of an unlabelled (or fully labelled) sample in a /metrics text.
pub fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// GetMessage as tenant A.
pub async fn get(c: &mut GatewayClient<Channel>, id: &str) -> proto::MessageRecord {
    c.get_message(common::req(
        common::TOKEN_A,
        proto::GetMessageRequest {
            message_id: id.to_owned(),
        },
    ))
    .await
    .expect("GetMessage")
    .into_inner()
}

/// A 315 of tenant A (AGB_A) with its own request_id and reference.
pub async fn submit_315(
    c: &mut GatewayClient<Channel>,
    n: usize,
) -> Result<proto::SubmitResponse, tonic::Status> {
    let mut r =
        common::request_for_allocation(proto::Law::Ijw, common::AGB_A, &format!("delivery-{n}"));
    r.products[0].provider_reference = format!("R{n}");
    c.submit_request_for_allocation(common::req(common::TOKEN_A, r))
        .await
        .map(|r| r.into_inner())
}

/// Tenant A's returns stream from the start, without a deadline.
pub async fn stream(c: &mut GatewayClient<Channel>) -> tonic::Streaming<proto::ReturnEvent> {
    let mut r = tonic::Request::new(proto::StreamReturnsRequest::default());
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", common::TOKEN_A)
            .parse()
            .expect("ascii"),
    );
    c.stream_returns(r).await.expect("stream").into_inner()
}

/// The next DeliveryStatusChanged on `stream` about message `id` that `pred` accepts, within
/// [`DEADLINE`].
pub async fn next_delivery(
    stream: &mut tonic::Streaming<proto::ReturnEvent>,
    id: &str,
    pred: impl Fn(&proto::DeliveryStatusChanged) -> bool,
) -> proto::DeliveryStatusChanged {
    let end = tokio::time::Instant::now() + DEADLINE;
    loop {
        let e = tokio::time::timeout_at(end, stream.message())
            .await
            .expect("an event in time")
            .expect("stream ok")
            .expect("stream open");
        if e.message_id != id {
            continue;
        }
        if let Some(proto::return_event::Event::Delivery(d)) = e.event
            && pred(&d)
        {
            return d;
        }
    }
}

/// Writes `ketenpoort.toml` into `dir` for `ketenpoort serve` as a child process in mode
/// vecozo against `sim`: both listeners on 127.0.0.1 port 0, the store in `data`, PROVIDER's
/// certificate as default, tenant A, the cross-message rules as given, collection rounds
/// every second; `extra` is appended (more `[vecozo]`-level keys must come before any table,
/// so it may only hold tables).
pub fn child_config(
    dir: &Path,
    data: &Path,
    sim: &Sim,
    cross_message_rules: bool,
    extra: &str,
) -> PathBuf {
    let text = format!(
        r#"[server]
grpc_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
data_dir = '{data}'
allow_plaintext = true

[messages]
cross_message_rules = {cross_message_rules}

[vecozo]
mode = "vecozo"
environment = {{ simulator = {{ origin = "https://localhost:{port}" }} }}
trust_roots = '{ca}'
poll_interval_secs = 1
status_poll_interval_ms = 200

[vecozo.identity.default]
pkcs12 = {{ path = '{p12}', password_file = '{pw}' }}

[[tenants]]
name = "a"
api_token_sha256 = "{a}"
agb_codes = ["{agb}"]
{extra}
"#,
        data = data.display(),
        port = sim.port,
        ca = ca_file(sim).display(),
        p12 = sim.config.pki.client_files(PROVIDER).2.display(),
        pw = password_file(sim).display(),
        a = ketenpoort::tenant::token_digest(common::TOKEN_A),
        agb = common::AGB_A,
    );
    let path = dir.join("ketenpoort.toml");
    std::fs::write(&path, text).expect("write the config");
    path
}
