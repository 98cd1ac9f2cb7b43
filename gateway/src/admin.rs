//! The admin HTTP endpoint (default 127.0.0.1:8080): `/healthz` (the process runs),
//! `/readyz` (the store takes writes: 503 with the reason when it does not, e.g. a full disk)
//! and `/metrics` (Prometheus text, see [`crate::metrics`]). Neither reads the store: they
//! answer from counters and flags the store keeps ([`crate::store::write_guard`]).
//! It has no authentication: bind it to loopback or an internal network only.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::api::Shared;
use crate::error::Error;
use crate::listen::AdminListener;

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(shared): State<Arc<Shared>>) -> (StatusCode, String) {
    match shared.store.writable() {
        Ok(()) => (StatusCode::OK, "ready\n".into()),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        ),
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> String {
    let depth = shared.store.queue_depth().unwrap_or(0);
    shared.metrics.render(depth)
}

/// Serves the admin endpoints on `listener` (a connection limit, idle connections closed,
/// see [`crate::listen`]) until `shutdown` completes.
pub async fn run(
    listener: AdminListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(shared);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::Server(format!("admin HTTP: {e}")))
}
