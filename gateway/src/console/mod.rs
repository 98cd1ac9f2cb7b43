//! The operator console: web pages for the people who answer for the flow (a provider's
//! administrative staff, an EHR vendor's support desk), served by the gateway on its own
//! listener (`[console] listen`; dev mode 127.0.0.1:8090).
//!
//! - Server-rendered HTML from templates checked at compile time (askama,
//!   `gateway/src/console/templates`), charts as SVG drawn on the server ([`charts`]), one
//!   stylesheet, no script: every page works without JavaScript. Everything is in the binary.
//! - Sign-in per tenant with its API token or client certificate, through the same
//!   [`crate::tenant::Tenants`] as the gRPC API; a session cookie (`HttpOnly`,
//!   `SameSite=Strict`, `Secure` over TLS) that ends after an idle timeout or at sign-out;
//!   a CSRF token in every form that changes something ([`session`]).
//! - A tenant sees what its gRPC calls may see: messages are read through
//!   [`crate::api::query::visible_message`] and [`crate::api::query::MessageFilter`], events
//!   through [`crate::api::returns::events_at`], and a resend is
//!   [`crate::api::query::resend_message`] — the same functions the API uses. The
//!   [`index`] only finds ids and counts.
//! - Privacy: lists show BSNs masked (`******782`) and no names; a message page shows them only
//!   after an explicit POST that first writes an access-log entry to the store
//!   ([`crate::store::access_log`], NEN 7513) and waits until it is durable. No personal data
//!   in URLs (a BSN search is a POST), none in logs.
//! - Dutch by default, English as a choice ([`i18n`]).
//!
//! Pages: Overzicht, Berichten (search, a message with its conversation), Uitval (refused and
//! queued messages, resend), Termijnen, Toewijzingen, Downloads (the `ketenpoort report`
//! formats, through [`crate::cli::report`]'s writers) and the Inzagelog ([`pages`]).

pub mod charts;
pub mod i18n;
pub mod index;
mod pages;
pub mod personal;
pub mod session;
mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};
use tokio::net::TcpListener;

use crate::api::Shared;
use crate::config::{Config, VecozoMode};
use crate::error::Error;

/// The console's settings, from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Idle time after which a session ends.
    pub idle_timeout: Duration,
    /// Mark cookies `Secure`.
    pub secure_cookie: bool,
    /// Serve over TLS: the server certificate chain and key (PEM), and the CA whose client
    /// certificates may sign in.
    pub tls: Option<tls::TlsFiles>,
    /// Where queued messages go (the Uitval page says why messages wait).
    pub vecozo_mode: VecozoMode,
}

impl Settings {
    /// The settings of `config`.
    pub fn from_config(config: &Config) -> Settings {
        let tls = if config.console_tls() {
            config.tls.as_ref().map(|t| tls::TlsFiles {
                cert: t.cert.clone(),
                key: t.key.clone(),
                client_ca: t.client_ca.clone(),
            })
        } else {
            None
        };
        Settings {
            idle_timeout: Duration::from_secs(config.console.idle_timeout_secs),
            secure_cookie: config.console.secure_cookie.unwrap_or(tls.is_some()),
            tls,
            vecozo_mode: config.vecozo_mode(),
        }
    }
}

/// The console's state, shared by its handlers.
pub struct Console {
    /// The gateway's shared state (store, tenants, clock).
    pub shared: Arc<Shared>,
    /// What the pages search and count.
    pub index: Arc<index::Index>,
    /// The open sessions.
    pub sessions: session::Sessions,
    /// The settings.
    pub settings: Settings,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console over `shared` with `settings`, sessions on the system clock.
    pub fn new(shared: Arc<Shared>, settings: Settings) -> Console {
        Console::with_clock(shared, settings, Arc::new(session::SystemNow))
    }

    /// [`Console::new`] with the sessions' clock `now`.
    pub fn with_clock(
        shared: Arc<Shared>,
        settings: Settings,
        now: Arc<dyn session::Now>,
    ) -> Console {
        Console {
            sessions: session::Sessions::new(settings.idle_timeout, now),
            index: Arc::new(index::Index::new()),
            shared,
            settings,
        }
    }
}

/// The stylesheet, in the binary.
const STYLESHEET: &str = include_str!("console.css");

async fn stylesheet() -> Response {
    let mut r = Response::new(STYLESHEET.into());
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// Headers on every answer: no caching of pages (they hold personal data), no framing, no
/// sniffing, no referrer, and a policy that allows only the console's own stylesheet and
/// forms.
async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// The console's routes over `console`.
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(pages::root))
        .route("/static/console.css", get(stylesheet))
        .route("/aanmelden", get(pages::sign_in_page).post(pages::sign_in))
        .route("/afmelden", post(pages::sign_out))
        .route("/taal", post(pages::language))
        .route("/overzicht", get(pages::overview::page))
        .route("/berichten", get(pages::messages::list))
        .route("/berichten/zoeken", post(pages::messages::search_bsn))
        .route("/berichten/{id}", get(pages::messages::show))
        .route("/berichten/{id}/inzien", post(pages::messages::reveal))
        .route("/berichten/{id}/opnieuw", post(pages::work::resend))
        .route("/uitval", get(pages::work::failures))
        .route("/termijnen", get(pages::work::terms))
        .route("/toewijzingen", get(pages::work::allocations))
        .route("/downloads", get(pages::downloads::page))
        .route("/downloads/bestand", get(pages::downloads::file))
        .route("/inzagelog", get(pages::downloads::access_log))
        .route("/inzagelog.csv", get(pages::downloads::access_log_csv))
        .fallback(pages::not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(console)
}

/// Serves the console on `listener` until `shutdown` completes, and keeps its index up to
/// date meanwhile.
pub async fn run(
    listener: TcpListener,
    console: Arc<Console>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let follow = tokio::spawn(index::follow(
        console.index.clone(),
        console.shared.store.clone(),
        console.shared.stopping.subscribe(),
        Duration::from_secs(5),
    ));
    let app = router(console.clone());
    let result = match &console.settings.tls {
        Some(files) => tls::serve(listener, app, files, shutdown).await,
        None => axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::Server(format!("console HTTP: {e}"))),
    };
    follow.abort();
    result
}
