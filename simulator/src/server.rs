//! The HTTPS server: TLS with required client certificates (rustls, ring provider), HTTP/1.1
//! (hyper), the [`crate::api`] router, and the ticker that makes due status transitions.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service as _, service_fn};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
};

use crate::api::{self, Peer, ResetHandle};
use crate::clock::Clock;
use crate::error::Error;
use crate::pki::Pki;
use crate::scenario::Scenario;
use crate::sim::Simulator;

/// Everything [`run`] needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The simulated VECOZO.
    pub simulator: Simulator,
    /// The certificates.
    pub pki: Pki,
}

impl Config {
    /// Builds the simulator for `scenario` and loads (or, on first start, generates) the PKI
    /// in `pki_dir` with a client certificate for every indiener of the scenario. The clock
    /// starts at the scenario's `start` (default now) with its `speed`.
    pub fn new(
        scenario: Scenario,
        pki_dir: &Path,
        dump_dir: Option<PathBuf>,
    ) -> Result<Config, Error> {
        let start = scenario.simulator.start.unwrap_or_else(chrono::Utc::now);
        let clock = Clock::new(start, scenario.simulator.speed);
        Config::with_clock(scenario, clock, pki_dir, dump_dir)
    }

    /// As [`Config::new`] with a given clock (e.g. [`Clock::frozen`] in tests).
    pub fn with_clock(
        scenario: Scenario,
        clock: Clock,
        pki_dir: &Path,
        dump_dir: Option<PathBuf>,
    ) -> Result<Config, Error> {
        if let Some(dir) = &dump_dir {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
        }
        let simulator = Simulator::new(scenario, clock, dump_dir);
        let clients: Vec<String> = simulator
            .registry()
            .indieners()
            .map(|i| i.naam.clone())
            .collect();
        let settings = &simulator.scenario().simulator;
        let pki = Pki::load_or_generate(
            pki_dir,
            &settings.server_names,
            &clients,
            &settings.pkcs12_password,
        )?;
        Ok(Config { simulator, pki })
    }
}

/// Decides whether the handshake of a certificate with a given subject CN is refused (the
/// `handdruk-weigering` fault).
pub type RefuseCertificate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// A client certificate verifier that refuses some subject CNs before the CA check.
struct Refusing {
    inner: Arc<dyn ClientCertVerifier>,
    refuse: RefuseCertificate,
}

impl std::fmt::Debug for Refusing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refusing").finish_non_exhaustive()
    }
}

impl ClientCertVerifier for Refusing {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }
    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, tokio_rustls::rustls::Error> {
        if let Some(cn) = common_name(end_entity.as_ref())
            && (self.refuse)(&cn)
        {
            return Err(tokio_rustls::rustls::Error::General(
                "certificate refused by the scenario (handdruk-weigering)".into(),
            ));
        }
        self.inner
            .verify_client_cert(end_entity, intermediates, now)
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<
        tokio_rustls::rustls::client::danger::HandshakeSignatureValid,
        tokio_rustls::rustls::Error,
    > {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<
        tokio_rustls::rustls::client::danger::HandshakeSignatureValid,
        tokio_rustls::rustls::Error,
    > {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The rustls configuration: the server certificate, and client certificates required and
/// verified against the simulator's CA (expired ones and other CAs' refused).
pub fn tls_config(pki: &Pki) -> Result<Arc<ServerConfig>, Error> {
    tls_config_refusing(pki, None)
}

/// As [`tls_config`], refusing the handshake of certificates for which `refuse` says so.
pub fn tls_config_refusing(
    pki: &Pki,
    refuse: Option<RefuseCertificate>,
) -> Result<Arc<ServerConfig>, Error> {
    let tls = |e: &dyn std::fmt::Display| Error::Tls(e.to_string());
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pki.ca_pem.as_bytes()) {
        roots.add(cert.map_err(|e| tls(&e))?).map_err(|e| tls(&e))?;
    }
    let mut verifier: Arc<dyn ClientCertVerifier> =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| tls(&e))?;
    if let Some(refuse) = refuse {
        verifier = Arc::new(Refusing {
            inner: verifier,
            refuse,
        });
    }
    let chain = CertificateDer::pem_slice_iter(pki.server.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls(&e))?;
    let key = PrivateKeyDer::from_pem_slice(pki.server.key_pem.as_bytes()).map_err(|e| tls(&e))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| tls(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The subject CN of a DER certificate.
pub fn common_name(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let cn = cert.subject().iter_common_name().next()?;
    cn.as_str().ok().map(str::to_owned)
}

/// Serves the simulator on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let sim = config.simulator;
    let refuse: Option<RefuseCertificate> = sim.faults().refuses_any_certificate().then(|| {
        let sim = sim.clone();
        Arc::new(move |cn: &str| sim.faults().refuses_certificate(cn)) as RefuseCertificate
    });
    let acceptor = TlsAcceptor::from(tls_config_refusing(&config.pki, refuse)?);
    let app = api::router(sim.clone());
    let mut tasks = JoinSet::new();
    let tick_every = Duration::from_millis(sim.scenario().simulator.tick_interval_ms.max(10));
    let ticker = sim.clone();
    tasks.spawn(async move {
        let mut interval = tokio::time::interval(tick_every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            ticker.tick();
        }
    });
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Running out of file descriptors and the like: wait and go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tasks.spawn(async move {
            let handshake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
            let tls = match handshake.await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::info!(%remote, error = %e, "TLS handshake refused");
                    return;
                }
                Err(_) => {
                    tracing::info!(%remote, "TLS handshake timed out");
                    return;
                }
            };
            let cn = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| common_name(c.as_ref()));
            let peer = Peer { cn };
            let reset = ResetHandle::default();
            let inner = TowerToHyperService::new(app);
            let handle = reset.clone();
            let svc = service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(peer.clone());
                req.extensions_mut().insert(handle.clone());
                inner.call(req)
            });
            let conn = http1::Builder::new().serve_connection(TokioIo::new(tls), svc);
            tokio::select! {
                served = conn => {
                    if let Err(e) = served {
                        tracing::debug!(%remote, error = %e, "connection ended with an error");
                    }
                }
                () = reset.triggered() => {
                    // Dropping the connection closes the socket without any response.
                    tracing::info!(%remote, "connection closed by a verbreek fault");
                }
            }
        });
        // Reap finished connections so the set does not grow without bound.
        while let Some(done) = tasks.try_join_next() {
            let _: Result<(), _> = done;
        }
    }
    tasks.shutdown().await;
    Ok(())
}
