//! The console over TLS (rustls with ring): the `[tls]` certificate, and client certificates
//! of `[tls] client_ca` asked for but not required, so that a tenant can sign in with its
//! certificate ([`PeerCertificate`]) or with its API token.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};

use crate::error::Error;

/// The files of the console's TLS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Server certificate chain, PEM.
    pub cert: PathBuf,
    /// Server private key, PEM.
    pub key: PathBuf,
    /// CA of the client certificates that may sign in, PEM.
    pub client_ca: Option<PathBuf>,
}

/// The DER of the client certificate the connection presented (a request extension).
#[derive(Debug, Clone)]
pub struct PeerCertificate(pub Vec<u8>);

fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, Error> {
    let err = |what: &std::path::Path, e: &dyn std::fmt::Display| {
        Error::Server(format!("console TLS: {}: {e}", what.display()))
    };
    let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| err(p, &e));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let chain = CertificateDer::pem_slice_iter(&read(&files.cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(&files.cert, &e))?;
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?).map_err(|e| err(&files.key, &e))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Server(format!("console TLS: {e}")))?;
    let builder = match &files.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&read(ca)?) {
                roots
                    .add(cert.map_err(|e| err(ca, &e))?)
                    .map_err(|e| err(ca, &e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|e| err(ca, &e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| err(&files.cert, &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `app` over TLS on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    files: &TlsFiles,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let acceptor = TlsAcceptor::from(server_config(files)?);
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "console: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tasks.spawn(async move {
            let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                .await
            {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(%remote, error = %e, "console: TLS handshake refused");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%remote, "console: TLS handshake timed out");
                    return;
                }
            };
            let peer = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| PeerCertificate(c.as_ref().to_vec()));
            let inner = TowerToHyperService::new(app);
            let svc = service_fn(move |mut req: Request<Incoming>| {
                if let Some(p) = &peer {
                    req.extensions_mut().insert(p.clone());
                }
                hyper::service::Service::call(&inner, req)
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(tls), svc)
                .await
            {
                tracing::debug!(%remote, error = %e, "console: connection ended with an error");
            }
        });
        while let Some(done) = tasks.try_join_next() {
            let _: Result<(), _> = done;
        }
    }
    tasks.shutdown().await;
    Ok(())
}
