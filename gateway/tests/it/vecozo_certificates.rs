//! The VECOZO system certificates at start-up and while running (issue #6, item 1):
//!
//! - an expired or not-yet-valid certificate stops `serve` before it listens, with an error
//!   that names the AGB code, the file and the dates;
//! - a certificate close to its end starts, and the check warns and sets
//!   `ketenpoort_vecozo_certificate_days_left{agb="…"}`;
//! - a VECOZO whose server certificate is not from the trusted CA cannot be pushed to: the
//!   gateway keeps accepting submits, queues them, retries, and the queue-depth metric shows
//!   them.

use crate::common;
use crate::delivery_support;
use crate::vecozo_support;

use std::path::Path;

use chrono::{Datelike, TimeDelta, Utc};
use delivery_support::*;
use ketenpoort::metrics::Metrics;
use ketenpoort::proto::MessageState;
use ketenpoort::server::Gateway;
use ketenpoort::vecozo::identity::{CertificateSource, Identities, IdentityConfig};
use ketenpoort_sim::pki::Validity;
use vecozo_support::{PROVIDER, write_pem};

/// The error of opening a gateway with `config`: the certificates are checked before the
/// store is opened or anything listens.
fn open_error(config: ketenpoort::config::Config) -> String {
    match Gateway::open(config) {
        Ok(_) => panic!("the gateway opened"),
        Err(e) => e.to_string(),
    }
}

/// A self-signed certificate for CN `agb` valid from `from` to `to` (y, m, d), as PEM files.
fn self_signed(dir: &Path, agb: &str, from: (i32, u8, u8), to: (i32, u8, u8)) -> CertificateSource {
    use rcgen::{CertificateParams, DnType, KeyPair, date_time_ymd};
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, agb);
    params.not_before = date_time_ymd(from.0, from.1, from.2);
    params.not_after = date_time_ymd(to.0, to.1, to.2);
    let cert = params.self_signed(&key).expect("certificate");
    let cert_path = dir.join(format!("{agb}-{}.pem", to.0));
    let key_path = dir.join(format!("{agb}-{}-key.pem", to.0));
    std::fs::write(&cert_path, cert.pem()).expect("write");
    std::fs::write(&key_path, key.serialize_pem()).expect("write");
    CertificateSource::Pem {
        cert: cert_path,
        key: key_path,
    }
}

fn ymd(t: chrono::DateTime<Utc>) -> (i32, u8, u8) {
    (t.year(), t.month() as u8, t.day() as u8)
}

#[tokio::test]
async fn an_expired_certificate_stops_the_gateway_naming_the_agb_file_and_dates() {
    let sim = vecozo_support::start().await;
    let expired = sim
        .config
        .pki
        .issue_client(PROVIDER, Validity::Expired)
        .expect("issue");
    let source = write_pem(sim.dir.path(), "expired", &expired);
    let CertificateSource::Pem { cert, .. } = &source else {
        unreachable!()
    };
    let cert = cert.display().to_string();
    let data = tempfile::tempdir().expect("dir");
    let mut c = config(&sim);
    c.server.data_dir = data.path().to_owned();
    c.vecozo.identity = IdentityConfig {
        per_agb: [(PROVIDER.to_owned(), source)].into_iter().collect(),
        ..IdentityConfig::default()
    };
    let e = open_error(c);
    assert!(e.contains("vecozo.identity"), "{e}");
    assert!(e.contains(PROVIDER), "{e}");
    assert!(e.contains(&cert), "names the file: {e}");
    assert!(e.contains("expired on 2020-12-31"), "{e}");
    assert!(e.contains("valid from 2020-01-01"), "{e}");
}

#[tokio::test]
async fn the_binary_refuses_to_serve_with_an_expired_certificate_and_says_why() {
    let sim = vecozo_support::start().await;
    let expired = sim
        .config
        .pki
        .issue_client(PROVIDER, Validity::Expired)
        .expect("issue");
    let CertificateSource::Pem { cert, key } = write_pem(sim.dir.path(), "expired", &expired)
    else {
        unreachable!()
    };
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("ketenpoort.toml");
    std::fs::write(
        &config,
        format!(
            r#"[server]
grpc_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
data_dir = '{data}'
allow_plaintext = true

[vecozo]
mode = "vecozo"
environment = {{ simulator = {{ origin = "https://localhost:{port}" }} }}
trust_roots = '{ca}'

[vecozo.identity.default]
pem = {{ cert = '{cert}', key = '{key}' }}

[[tenants]]
name = "a"
api_token_sha256 = "{digest}"
agb_codes = ["{PROVIDER}"]
"#,
            data = dir.path().join("data").display(),
            port = sim.port,
            ca = ca_file(&sim).display(),
            cert = cert.display(),
            key = key.display(),
            digest = ketenpoort::tenant::token_digest(common::TOKEN_A),
        ),
    )
    .expect("write the config");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
            .arg("serve")
            .arg("--init")
            .arg("--config")
            .arg(&config)
            .env_remove("RUST_LOG")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run ketenpoort serve")
    })
    .await
    .expect("joined");
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&cert.display().to_string()), "{stderr}");
    assert!(stderr.contains("expired on 2020-12-31"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
}

#[tokio::test]
async fn a_not_yet_valid_certificate_stops_the_gateway_too() {
    let sim = vecozo_support::start().await;
    let later = Utc::now() + TimeDelta::days(400);
    let source = self_signed(
        sim.dir.path(),
        PROVIDER,
        ymd(later),
        ymd(later + TimeDelta::days(365)),
    );
    let data = tempfile::tempdir().expect("dir");
    let mut c = config(&sim);
    c.server.data_dir = data.path().to_owned();
    c.vecozo.identity = IdentityConfig {
        default: Some(source),
        ..IdentityConfig::default()
    };
    let e = open_error(c);
    assert!(e.contains("default"), "{e}");
    assert!(e.contains("is not valid before"), "{e}");
    assert!(e.contains(&format!("{}", later.year())), "{e}");
}

#[tokio::test]
async fn a_certificate_close_to_its_end_warns_and_shows_its_days_left() {
    let dir = tempfile::tempdir().expect("dir");
    let now = Utc::now();
    let soon = self_signed(
        dir.path(),
        "12345678",
        ymd(now - TimeDelta::days(300)),
        ymd(now + TimeDelta::days(11)),
    );
    let fine = self_signed(
        dir.path(),
        "87654321",
        ymd(now - TimeDelta::days(300)),
        ymd(now + TimeDelta::days(200)),
    );
    let config = IdentityConfig {
        default: None,
        per_agb: [("12345678".to_owned(), soon), ("87654321".to_owned(), fine)]
            .into_iter()
            .collect(),
        warning_days: Some(30),
    };
    let identities = Identities::load(&config, now).expect("both are valid");
    let metrics = Metrics::default();
    assert_eq!(
        ketenpoort::vecozo::certificates::check(&identities, &metrics, now),
        1,
        "one needs renewing"
    );
    let text = metrics.render(0);
    let days = |agb: &str| {
        sample(
            &text,
            &format!("ketenpoort_vecozo_certificate_days_left{{agb=\"{agb}\"}}"),
        )
        .expect("a sample")
    };
    assert!((9.0..=11.0).contains(&days("12345678")), "{text}");
    assert!((198.0..=200.0).contains(&days("87654321")), "{text}");
    // A year on, both have expired: negative days, both need attention.
    let later = now + TimeDelta::days(365);
    assert_eq!(
        ketenpoort::vecozo::certificates::check(&identities, &metrics, later),
        2
    );
    assert!(days_after(&metrics, "12345678") < 0.0);
}

fn days_after(metrics: &Metrics, agb: &str) -> f64 {
    sample(
        &metrics.render(0),
        &format!("ketenpoort_vecozo_certificate_days_left{{agb=\"{agb}\"}}"),
    )
    .expect("a sample")
}

#[tokio::test]
async fn against_a_server_of_another_ca_submits_are_accepted_and_queued() {
    let sim = vecozo_support::start().await;
    // Another CA than the one that signed the simulator's server certificate.
    let other = ketenpoort_sim::pki::foreign_client("other").expect("another CA");
    let roots = sim.dir.path().join("other-ca.pem");
    std::fs::write(&roots, &other.cert_pem).expect("write");
    let mut c = config(&sim);
    c.vecozo.trust_roots = Some(roots);
    let gw = start(tempfile::tempdir().expect("dir"), c).await;
    let mut client = gw.client().await;

    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            submit_315(&mut client, n)
                .await
                .expect("accepted")
                .message_id,
        );
    }
    // Every message is tried, fails the handshake, and is tried again.
    for id in &ids {
        wait_for("a second attempt", DEADLINE, || async {
            (gw.attempts(id) >= 2).then_some(())
        })
        .await;
        assert_eq!(
            get(&mut client, id).await.state,
            MessageState::Queued as i32
        );
    }
    let depth = |m: String| sample(&m, "ketenpoort_queue_depth").expect("queue depth");
    assert_eq!(depth(gw.metrics().await), 3.0);
    // Still accepting.
    ids.push(
        submit_315(&mut client, 3)
            .await
            .expect("accepted")
            .message_id,
    );
    assert_eq!(depth(gw.metrics().await), 4.0);
    let counts = sim.counts().await;
    assert_eq!(
        counts["perStatus"],
        serde_json::json!({}),
        "nothing reached VECOZO"
    );
    gw.stop().await;
}
