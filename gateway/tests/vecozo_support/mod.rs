//! The simulator harness of the vecozo_* tests: `ketenpoort-sim` in-process on 127.0.0.1:0
//! with a frozen clock and its generated PKI, and VECOZO clients with its certificates.

#![allow(dead_code)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use ketenpoort::vecozo::client::{Timeouts, VecozoClient};
use ketenpoort::vecozo::delivery::{Delivery, OutboxItem, deliver};
use ketenpoort::vecozo::envelope::{EnvelopeSettings, References};
use ketenpoort::vecozo::environment::Environment;
use ketenpoort::vecozo::identity::{CertificateSource, SystemCertificate, trust_roots_from_pem};
use ketenpoort::vecozo::retry::{Backoff, SplitMix64};
use ketenpoort_sim::pki::Issued;
use ketenpoort_sim::server::{self, Config};
use ketenpoort_sim::{Clock, Scenario};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_rustls::rustls::RootCertStore;

/// A provider of the simulator's default scenario, with its own system certificate.
pub const PROVIDER: &str = "12345678";
/// Another provider with its own certificate.
pub const OTHER_PROVIDER: &str = "87654321";
/// The password of the simulator's generated PKCS#12 files (default scenario).
pub const P12_PASSWORD: &str = "ketenpoort-sim";
/// A rule-valid JW315 from PROVIDER to 0268 with Identificatie KP000001: the simulator's
/// own checked example.
pub const JW315: &str = include_str!("../../../simulator/examples/JW315.xml");

pub struct Sim {
    pub port: u16,
    pub config: Config,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn start() -> Sim {
    start_with(Scenario::default()).await
}

/// The simulator with `extra` TOML appended to its default scenario.
pub async fn start_with_toml(extra: &str) -> Sim {
    let text = format!("{}\n{extra}", ketenpoort_sim::scenario::DEFAULT_SCENARIO);
    start_with(Scenario::from_toml(&text).expect("scenario")).await
}

pub async fn start_with(scenario: Scenario) -> Sim {
    let clock = Clock::frozen(
        Utc.with_ymd_and_hms(2025, 4, 2, 8, 0, 0)
            .single()
            .expect("time"),
    );
    start_with_clock(scenario, clock).await
}

/// The simulator for `scenario` on `clock`.
pub async fn start_with_clock(scenario: Scenario, clock: Clock) -> Sim {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::with_clock(scenario, clock, &dir.path().join("pki"), None)
        .expect("simulator config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = oneshot::channel::<()>();
    let run_config = config.clone();
    tokio::spawn(async move {
        let _ = server::run(listener, run_config, async {
            let _ = rx.await;
        })
        .await;
    });
    Sim {
        port,
        config,
        dir,
        stop: Some(tx),
    }
}

impl Sim {
    pub fn environment(&self) -> Environment {
        Environment::Simulator {
            origin: format!("https://localhost:{}", self.port),
        }
    }

    pub fn roots(&self) -> RootCertStore {
        trust_roots_from_pem(self.config.pki.ca_pem.as_bytes()).expect("roots")
    }

    /// The generated PKCS#12 of `agb`, loaded the way the gateway loads it.
    pub fn certificate(&self, agb: &str) -> SystemCertificate {
        let (_, _, p12) = self.config.pki.client_files(agb);
        let der = std::fs::read(&p12).expect("p12");
        SystemCertificate::from_pkcs12(agb, "p12", &der, P12_PASSWORD).expect("certificate")
    }

    pub fn client_with(&self, cert: &SystemCertificate) -> VecozoClient {
        VecozoClient::for_certificate(
            &self.environment(),
            cert,
            &self.roots(),
            Timeouts::default(),
        )
        .expect("client")
    }

    pub fn client(&self, agb: &str) -> VecozoClient {
        self.client_with(&self.certificate(agb))
    }

    /// Points a gateway's configuration at this simulator (mode `vecozo`, its CA, `agb`'s
    /// system certificate as PEM, polling every second).
    pub fn connect_gateway(&self, c: &mut ketenpoort::config::Config, agb: &str) {
        let roots = self.dir.path().join("ca.pem");
        std::fs::write(&roots, &self.config.pki.ca_pem).expect("write CA");
        let (cert, key, _) = self.config.pki.client_files(agb);
        c.vecozo.mode = Some(ketenpoort::config::VecozoMode::Vecozo);
        c.vecozo.environment = Some(self.environment());
        c.vecozo.trust_roots = Some(roots);
        c.vecozo.identity.per_agb.insert(
            agb.into(),
            ketenpoort::vecozo::identity::CertificateSource::Pem { cert, key },
        );
        c.vecozo.poll_interval_secs = 1;
    }

    /// Asserts, through `agb`'s status API, that exactly one message answers the 301
    /// `t301`: a JW302 with alsAntwoordOp = `t301`, in the 301's conversation.
    pub async fn assert_one_302_answers(&self, agb: &str, t301: uuid::Uuid) {
        let statuses = self
            .client(agb)
            .statuses(ketenpoort::vecozo::client::StatusQuery::TraceerId(t301))
            .await
            .expect("statuses");
        let (heen, answers): (Vec<_>, Vec<_>) = statuses
            .iter()
            .partition(|s| s.referentiegegevens.traceer_id == t301);
        assert_eq!(heen.len(), 1, "{statuses:?}");
        assert_eq!(
            answers.len(),
            1,
            "one message answers the 301: {statuses:?}"
        );
        let answer = answers[0];
        assert_eq!(
            answer.berichtstroom.berichtsubtype.as_deref(),
            Some("JW302")
        );
        assert_eq!(answer.referentiegegevens.als_antwoord_op, Some(t301));
        assert_eq!(
            answer.referentiegegevens.conversatie_id,
            heen[0].referentiegegevens.conversatie_id
        );
    }

    /// A plain HTTPS client for the admin API.
    pub fn admin(&self) -> reqwest::Client {
        let tls = self
            .certificate(PROVIDER)
            .client_config(&self.roots())
            .expect("tls");
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .build()
            .expect("admin client")
    }

    pub async fn counts(&self) -> Value {
        self.admin()
            .get(format!(
                "https://localhost:{}/admin/v1/tellingen",
                self.port
            ))
            .send()
            .await
            .expect("tellingen")
            .json()
            .await
            .expect("json")
    }

    /// Moves the simulated clock; the simulator makes every due transition before it answers.
    pub async fn advance(&self, seconds: u64) {
        let r = self
            .admin()
            .post(format!("https://localhost:{}/admin/v1/klok", self.port))
            .json(&json!({ "vooruitSeconden": seconds }))
            .send()
            .await
            .expect("klok");
        assert_eq!(r.status(), 200);
    }
}

pub fn jw315_string(identificatie: &str) -> String {
    JW315.replace("KP000001", identificatie)
}

/// A submit of `xml` (a JW315 of [`PROVIDER`] to 0268 with Header Identificatie
/// `identificatie`) as the handlers would commit it after their checks.
pub fn jw315_submit(
    tenant: &str,
    request_id: &str,
    identificatie: &str,
    xml: String,
    declaration_number: Option<&str>,
    counters: Vec<(String, u64)>,
) -> ketenpoort::store::Write {
    use ketenpoort::store::{NewMessage, SubmitWrite, Write};
    let message = ketenpoort_messages::read(
        xml.as_bytes(),
        ketenpoort_messages::ReadLimits {
            max_bytes: usize::MAX,
        },
    )
    .expect("schema-valid");
    Write::Submit(SubmitWrite {
        tenant: tenant.into(),
        request_id: request_id.into(),
        content_hash: "0".repeat(64),
        at_ms: 0,
        messages: vec![NewMessage {
            message: std::sync::Arc::new(message),
            kind: "JW315".into(),
            agb: PROVIDER.into(),
            municipality: "0268".into(),
            identificatie: identificatie.into(),
            declaration_number: declaration_number.map(str::to_owned),
            compressed_xml: Vec::new(),
            xml,
        }],
        counters,
        cross_message_rules: false,
    })
}

pub fn jw315(identificatie: &str) -> Vec<u8> {
    JW315.replace("KP000001", identificatie).into_bytes()
}

pub async fn deliver_once(
    client: &VecozoClient,
    payload: &[u8],
    refs: References,
    attempt: u32,
) -> Delivery {
    let item = OutboxItem {
        payload,
        refs,
        attempt,
    };
    let mut rng = SplitMix64::seeded(1);
    deliver(
        client,
        &item,
        &EnvelopeSettings::default(),
        &Backoff::default(),
        &mut rng,
        Utc::now(),
    )
    .await
}

pub fn write_pem(dir: &Path, name: &str, issued: &Issued) -> CertificateSource {
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}-key.pem"));
    std::fs::write(&cert, &issued.cert_pem).expect("write cert");
    std::fs::write(&key, &issued.key_pem).expect("write key");
    CertificateSource::Pem { cert, key }
}

/// The default scenario with `extra` TOML (faults) appended, answering at once: no
/// working-day delays, no ketencontrole wait, a tick every 20 ms.
pub fn fast_scenario(extra: &str) -> Scenario {
    let text = format!("{}\n{extra}", ketenpoort_sim::scenario::DEFAULT_SCENARIO);
    let mut scenario = Scenario::from_toml(&text).expect("scenario");
    scenario.gemeentebot.retour_werkdagen = 0;
    scenario.gemeentebot.toewijzing_werkdagen = 0;
    scenario.gemeentebot.declaratie_werkdagen = 0;
    scenario.simulator.tick_interval_ms = 20;
    let k = &mut scenario.ketencontrole;
    k.start_after_seconds = 0;
    k.duration_seconds = 0;
    k.offer_after_seconds = 0;
    k.gemeente_pickup_seconds = 0;
    scenario
}
