//! Starting and stopping the gateway: [`Gateway::open`] opens the store and builds the
//! shared state; [`Gateway::serve`] serves gRPC (the Gateway service, grpc.health.v1 and
//! server reflection), the admin HTTP endpoint and, per `[vecozo] mode`, the VECOZO worker,
//! the built-in simulator or the loopback stand-in until a shutdown future completes. [`run`] is the short form tests use with a listener on port 0.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::transport::Server;

use crate::api::{GatewayService, Shared};
use crate::config::StoreBackend;
use crate::config::{Config, VecozoMode};
use crate::error::Error;
use crate::header::{Clock, OffsetClock, SystemClock};
use crate::listen::{Tracked, grpc_incoming};
use crate::metrics::Metrics;
use crate::proto::gateway_server::GatewayServer;
use crate::store::open::Create;
use crate::store::postgres::PgOptions;
use crate::store::postgres::engine::PgEngine;
use crate::store::postgres::wake::Wake;
use crate::store::sled_store::SledStore;

/// An opened gateway, ready to serve.
pub struct Gateway {
    config: Config,
    shared: Arc<Shared>,
    closed: tokio::sync::oneshot::Receiver<()>,
    /// In mode vecozo: the clients and the certificates, loaded and checked by `open`, so
    /// that an expired certificate stops the gateway before it listens.
    vecozo: Option<VecozoParts>,
    /// The operator console's listener ([`Gateway::with_console`]).
    console: Option<TcpListener>,
    /// With PostgreSQL: what the commit listener needs ([`crate::store::postgres::wake`]).
    wake: Option<(PgOptions, Arc<dyn Wake>)>,
}

type VecozoParts = (
    crate::vecozo::clients::Clients,
    Arc<crate::vecozo::identity::Identities>,
);

/// How long [`Gateway::serve`] waits, after stopping, for the store to close.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Gateway {
    /// Opens the store in `config.server.data_dir` with the system clock (in dev mode moved
    /// ahead by `[server] dev_clock_offset_days`). The store is created when there is none,
    /// unless `config.store_must_exist` ([`crate::store::open`]).
    pub fn open(config: Config) -> Result<Gateway, Error> {
        let clock: Arc<dyn Clock> = match config.server.dev_clock_offset_days {
            0 => Arc::new(SystemClock),
            days => {
                tracing::info!(
                    days,
                    "DEV MODE: the gateway's clock runs {days} days ahead of the system clock"
                );
                Arc::new(OffsetClock { days })
            }
        };
        Gateway::open_with_clock(config, clock)
    }

    /// Opens the store with `clock` as the source of Dagtekening and timestamps. In mode
    /// vecozo it first loads and checks the system certificates: an expired or not-yet-valid
    /// one is an error naming the AGB code, the file and the dates.
    pub fn open_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<Gateway, Error> {
        let vecozo = if config.vecozo_mode() == VecozoMode::Vecozo {
            Some(
                crate::vecozo::worker::load(&config.vecozo, chrono::Utc::now())
                    .map_err(Error::Server)?,
            )
        } else {
            None
        };
        let create = if config.store_must_exist {
            Create::Never
        } else {
            Create::IfNew
        };
        let (store, closed, wake) = match config.store.backend {
            StoreBackend::Sled => {
                let (store, closed) =
                    SledStore::open_in(&config.server.data_dir, create, &config.store.options())?;
                (store, closed, None)
            }
            StoreBackend::Postgres => {
                let options = config.store.postgres.options();
                let engine = PgEngine::connect(&options)?;
                tracing::info!(
                    schema = options.schema.as_deref().unwrap_or("(search_path)"),
                    "store: PostgreSQL"
                );
                let (store, closed) = SledStore::open_engine(engine, &config.store.options())?;
                let wake: Arc<dyn Wake> = store.clone();
                (store, closed, Some((options, wake)))
            }
        };
        let shared = Arc::new(Shared::new(
            &config,
            store,
            clock,
            Arc::new(Metrics::default()),
        ));
        let tariffs = shared
            .tariffs
            .load()
            .map_err(|e| Error::Server(format!("[tariffs]: {e}")))?;
        if tariffs > 0 {
            tracing::info!(tariffs, "tariff table loaded");
        }
        Ok(Gateway {
            config,
            shared,
            closed,
            vecozo,
            console: None,
            wake,
        })
    }

    /// Serves the operator console ([`crate::console`]) on `listener` too, with the
    /// `[console]` settings.
    pub fn with_console(mut self, listener: TcpListener) -> Gateway {
        self.console = Some(listener);
        self
    }

    /// The shared state (store, metrics, tenants).
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Serves gRPC on `grpc` and, if given, the admin endpoints on `admin`, until
    /// `shutdown` completes; then ends open streams, stops the loopback stand-in and waits
    /// until the store is flushed and closed, so that the directory can be opened again.
    pub async fn serve(
        self,
        grpc: TcpListener,
        admin: Option<TcpListener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        let Gateway {
            mut config,
            shared,
            closed,
            vecozo,
            console,
            wake,
        } = self;
        let mut tasks = tokio::task::JoinSet::new();
        if let Some((options, wake)) = wake {
            tasks.spawn(crate::store::postgres::wake::run(
                options,
                wake,
                shared.stopping.subscribe(),
            ));
        }
        // The built-in simulator stops last, after the tasks that talk to it: a collection
        // round in flight while it went away would fail (and warn) for nothing.
        let (simulator_stop, simulator_stopping) = tokio::sync::watch::channel(false);
        let mut simulator_tasks = tokio::task::JoinSet::new();
        if config.vecozo_mode() == VecozoMode::Simulator {
            config.vecozo =
                crate::dev_simulator::start(&config, simulator_stopping, &mut simulator_tasks)
                    .await?;
        }
        let config = &config;
        if config.dev {
            tracing::warn!(
                "DEV MODE: plaintext gRPC, tenant token `dev` may act for every AGB code; \
                 never use with real data"
            );
        }

        let (health_reporter, health) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<GatewayServer<GatewayService>>()
            .await;
        // Server reflection in both versions: grpc.reflection.v1 and v1alpha, which many
        // clients still speak only (Python's grpcio-reflection, older grpcurl and Postman).
        let reflection_builder = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        let reflection = reflection_builder()
            .build_v1()
            .map_err(|e| Error::Server(format!("reflection: {e}")))?;
        let reflection_v1alpha = reflection_builder()
            .build_v1alpha()
            .map_err(|e| Error::Server(format!("reflection (v1alpha): {e}")))?;
        let gateway = GatewayServer::new(GatewayService::new(shared.clone()))
            .max_decoding_message_size(config.server.max_request_bytes)
            .max_encoding_message_size(config.server.max_request_bytes.max(64 * 1024 * 1024));

        // TLS is done by the listener (crate::listen), under the handshake timeout.
        let tls = match &config.tls {
            Some(tls) => Some(tls_acceptor(tls)?),
            None => None,
        };
        let secs = |s: u64| (s > 0).then(|| std::time::Duration::from_secs(s));
        let limits = crate::listen::Limits {
            max_connections: crate::listen::connection_limit(
                config.server.max_connections,
                config.server.admin_max_connections,
            ),
            handshake_timeout: std::time::Duration::from_secs(
                config.server.handshake_timeout_secs.max(1),
            ),
            idle_timeout: secs(config.server.idle_timeout_secs),
        };
        if limits.max_connections < config.server.max_connections {
            tracing::info!(
                max_connections = limits.max_connections,
                configured = config.server.max_connections,
                "gRPC connection limit lowered to what the open-files limit leaves room for"
            );
        }
        let mut builder = Server::builder()
            .http2_keepalive_interval(secs(config.server.keepalive_interval_secs))
            .http2_keepalive_timeout(secs(config.server.keepalive_timeout_secs));

        // Mode simulator: the simulator is running now; its certificates are loaded here.
        let vecozo = match vecozo {
            Some(parts) => Some(parts),
            None if config.vecozo_mode() == VecozoMode::Vecozo => Some(
                crate::vecozo::worker::load(&config.vecozo, chrono::Utc::now())
                    .map_err(Error::Server)?,
            ),
            None => None,
        };
        if let Some((clients, identities)) = vecozo {
            let clients = Arc::new(clients);
            let collector = crate::vecozo::collector::Collector {
                store: shared.store.clone(),
                clock: shared.clock.clone(),
                metrics: shared.metrics.clone(),
                clients: clients.clone(),
                poll_interval: std::time::Duration::from_secs(config.vecozo.poll_interval_secs),
                headers: Arc::new(crate::header::HeaderFactory::new(config.messages.clone())),
                answers: Arc::new(crate::retour::AnswerModes::from_config(config)),
            };
            tasks.spawn(collector.run(shared.stopping.subscribe()));
            let worker = crate::vecozo::worker::Worker {
                store: shared.store.clone(),
                clock: shared.clock.clone(),
                metrics: shared.metrics.clone(),
                clients: clients.clone(),
                envelope: Arc::new(config.vecozo.envelope.clone()),
                backoff: config.vecozo.backoff,
                max_concurrent: config.vecozo.max_concurrent_deliveries,
                poll_interval: std::time::Duration::from_secs(config.vecozo.poll_interval_secs),
            };
            tasks.spawn(worker.run(shared.stopping.subscribe()));
            let follower = crate::vecozo::follow::StatusFollower {
                store: shared.store.clone(),
                clock: shared.clock.clone(),
                clients,
                interval: std::time::Duration::from_millis(config.vecozo.status_poll_interval_ms),
                per_round: config.vecozo.status_requests_per_round,
                max_age: std::time::Duration::from_secs(
                    config.vecozo.status_follow_max_hours.saturating_mul(3600),
                ),
                max_retry_after: config.vecozo.backoff.max_retry_after,
            };
            tasks.spawn(follower.run(shared.stopping.subscribe()));
            tasks.spawn(crate::vecozo::certificates::run(
                identities,
                shared.metrics.clone(),
                crate::vecozo::certificates::CHECK_INTERVAL,
                shared.stopping.subscribe(),
            ));
        }
        // In every mode: the provider's own duties (a late 305/307) do not depend on where
        // messages go; the municipality's answers are expected only once messages are
        // delivered.
        let check = crate::deadline_check::DeadlineCheck {
            store: shared.store.clone(),
            clock: shared.clock.clone(),
            metrics: shared.metrics.clone(),
            interval: std::time::Duration::from_secs(
                config.vecozo.deadline_check_interval_secs.max(1),
            ),
        };
        tasks.spawn(check.run(shared.stopping.subscribe()));
        tasks.spawn(crate::tariffs::reload_on_hangup(
            shared.tariffs.clone(),
            shared.metrics.clone(),
            shared.stopping.subscribe(),
        ));
        if config.vecozo_mode() == VecozoMode::Loopback {
            tasks.spawn(crate::loopback::run(
                shared.store.clone(),
                shared.clock.clone(),
                shared.metrics.clone(),
                shared.stopping.subscribe(),
            ));
        }
        if let Some(admin) = admin {
            let mut stopping = shared.stopping.subscribe();
            let admin_shared = shared.clone();
            let admin = crate::listen::AdminListener::new(
                admin,
                config.server.admin_max_connections,
                limits.handshake_timeout,
            );
            tasks.spawn(async move {
                let stop = async move {
                    let _ = stopping.wait_for(|s| *s).await;
                };
                if let Err(e) = crate::admin::run(admin, admin_shared, stop).await {
                    tracing::error!(error = %e, "admin endpoint stopped");
                }
            });
        }

        if let Some(listener) = console {
            let console = Arc::new(crate::console::Console::new(
                shared.clone(),
                crate::console::Settings::from_config(config),
            ));
            let mut stopping = shared.stopping.subscribe();
            if let Ok(addr) = listener.local_addr() {
                tracing::info!(%addr, tls = console.settings.tls.is_some(), "console listening");
            }
            tasks.spawn(async move {
                let stop = async move {
                    let _ = stopping.wait_for(|s| *s).await;
                };
                if let Err(e) = crate::console::run(listener, console, stop).await {
                    tracing::error!(error = %e, "console stopped");
                }
            });
        }
        if let Ok(addr) = grpc.local_addr() {
            tracing::info!(%addr, tls = config.tls.is_some(), "gRPC listening");
        }
        let stopping = shared.stopping.clone();
        let result = builder
            .add_service(Tracked(health))
            .add_service(Tracked(reflection))
            .add_service(Tracked(reflection_v1alpha))
            .add_service(Tracked(gateway))
            .serve_with_incoming_shutdown(grpc_incoming(grpc, tls, limits), async move {
                shutdown.await;
                stopping.send_replace(true);
            })
            .await
            .map_err(|e| Error::Server(format!("gRPC: {e}")));
        shared.stopping.send_replace(true);
        while tasks.join_next().await.is_some() {}
        simulator_stop.send_replace(true);
        while simulator_tasks.join_next().await.is_some() {}
        drop(shared);
        if tokio::time::timeout(CLOSE_TIMEOUT, closed).await.is_err() {
            tracing::warn!("the store did not close in time; it is still in use");
        }
        tracing::info!("stopped");
        result
    }
}

/// The TLS acceptor of `[tls]`: the server certificate, and with `client_ca` a client
/// certificate signed by it required (mTLS); HTTP/2 by ALPN.
fn tls_acceptor(tls: &crate::config::TlsConfig) -> Result<tokio_rustls::TlsAcceptor, Error> {
    use tokio_rustls::rustls::pki_types::pem::PemObject as _;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::server::WebPkiClientVerifier;
    use tokio_rustls::rustls::{RootCertStore, ServerConfig};

    let err = |p: &std::path::Path, e: &dyn std::fmt::Display| {
        Error::Server(format!("TLS: {}: {e}", p.display()))
    };
    let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| err(p, &e));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let chain = CertificateDer::pem_slice_iter(&read(&tls.cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(&tls.cert, &e))?;
    let key = PrivateKeyDer::from_pem_slice(&read(&tls.key)?).map_err(|e| err(&tls.key, &e))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Server(format!("TLS: {e}")))?;
    let builder = match &tls.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&read(ca)?) {
                roots
                    .add(cert.map_err(|e| err(ca, &e))?)
                    .map_err(|e| err(ca, &e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| err(ca, &e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| err(&tls.cert, &e))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Opens the gateway for `config` and serves gRPC on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    Gateway::open(config)?.serve(listener, None, shutdown).await
}
