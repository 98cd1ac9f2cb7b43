//! The console's pages: the frame every page shares (navigation, language switch, sign-out),
//! the session extractor, sign-in and sign-out, and one module per group of pages.

pub mod downloads;
pub mod messages;
pub mod overview;
pub mod work;

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::Console;
use super::i18n::{Lang, Texts};
use super::session::{self, COOKIE, PRE_COOKIE, Session};
use super::tls::PeerCertificate;
use crate::error::Error;

/// One entry of the main navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Path.
    pub href: &'static str,
    /// Label.
    pub label: &'static str,
    /// The page shown.
    pub current: bool,
}

/// The signed-in part of the frame.
#[derive(Debug, Clone)]
pub struct Nav {
    /// Menu entries.
    pub items: Vec<NavItem>,
    /// The person signed in.
    pub user: String,
    /// The tenant.
    pub tenant: String,
    /// The session's CSRF token, for the language and sign-out forms.
    pub csrf: String,
    /// The path of this page, to come back to after a language change.
    pub back: String,
}

/// What every page's frame shows.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The texts in the chosen language.
    pub t: &'static Texts,
    /// The page title.
    pub title: String,
    /// Present when signed in.
    pub nav: Option<Nav>,
    /// A one-time notice.
    pub notice: Option<String>,
    /// The index is still being built: figures may be incomplete.
    pub building: bool,
}

/// A signed-in request: its session id and session.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The cookie value.
    pub id: String,
    /// The session.
    pub session: Session,
}

fn cookie_header(headers: &HeaderMap) -> String {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ")
}

impl FromRequestParts<Arc<Console>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        let cookies = cookie_header(&parts.headers);
        let id = session::cookie(&cookies, COOKIE);
        if let Some(id) = id
            && let Some(session) = console.sessions.get(id)
        {
            return Ok(Signed {
                id: id.to_owned(),
                session,
            });
        }
        // A cookie without an open session: it expired (or the gateway restarted).
        let to = if id.is_some() {
            "/aanmelden?verlopen=1"
        } else {
            "/aanmelden"
        };
        let mut r = Redirect::to(to).into_response();
        if id.is_some()
            && let Ok(v) = HeaderValue::from_str(&session::set_cookie(
                COOKIE,
                "",
                console.settings.secure_cookie,
                Some(0),
            ))
        {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        Err(r)
    }
}

impl Signed {
    /// The texts in the session's language.
    pub fn t(&self) -> &'static Texts {
        self.session.lang.texts()
    }

    /// The frame of a page at `path` titled `title`.
    pub fn frame(&self, console: &Console, path: &str, title: &str) -> Frame {
        let t = self.t();
        let items = [
            ("/overzicht", t.overview),
            ("/berichten", t.messages),
            ("/uitval", t.failures),
            ("/termijnen", t.terms),
            ("/toewijzingen", t.allocations),
            ("/downloads", t.downloads),
            ("/inzagelog", t.access_log),
        ]
        .into_iter()
        .map(|(href, label)| NavItem {
            href,
            label,
            current: path == href || (href == "/berichten" && path.starts_with("/berichten")),
        })
        .collect();
        Frame {
            t,
            title: title.to_owned(),
            nav: Some(Nav {
                items,
                user: self.session.user.clone(),
                tenant: self.session.tenant.name.clone(),
                csrf: self.session.csrf.clone(),
                back: path.to_owned(),
            }),
            notice: self.session.notice.clone(),
            building: !console.index.ready(),
        }
    }

    /// The refusal of a form whose CSRF token is not this session's; `None` when it is.
    pub fn csrf_refusal(&self, console: &Console, token: &str) -> Option<Response> {
        if session::same_token(token, &self.session.csrf) {
            return None;
        }
        tracing::info!(tenant = %self.session.tenant.name, "console: form without a valid CSRF token refused");
        Some(page_error(
            self.frame(console, "", self.t().error),
            StatusCode::FORBIDDEN,
            self.t().form_expired,
        ))
    }
}

/// Renders `template` as an HTML answer with `status`.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console: a page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    f: Frame,
    message: String,
}

/// An error page in `frame` with `status` and `message`.
pub fn page_error(frame: Frame, status: StatusCode, message: &str) -> Response {
    render(
        status,
        &ErrorPage {
            f: frame,
            message: message.to_owned(),
        },
    )
}

/// The page for a failed read or write: NOT_FOUND as "not found" (another tenant's id looks
/// exactly like a missing one), a refused request with its text (the API's errors name
/// fields and rules, never personal data), anything else as a general error (logged).
pub fn failure(frame: Frame, e: Error) -> Response {
    let t = frame.t;
    match e {
        Error::NotFound(_) => page_error(frame, StatusCode::NOT_FOUND, t.not_found),
        Error::InvalidArgument(_)
        | Error::PermissionDenied { .. }
        | Error::FailedPrecondition { .. } => {
            let text = e.to_string();
            page_error(frame, StatusCode::BAD_REQUEST, &text)
        }
        other => {
            tracing::warn!(error = %other, "console: a page failed");
            page_error(frame, StatusCode::INTERNAL_SERVER_ERROR, t.error)
        }
    }
}

/// A time (ms since the Unix epoch) as `2025-06-02 14:03:27` (UTC).
pub fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Eurocents as `1.395,84` (Dutch) or `1,395.84` (English), with the sign.
pub fn euros(t: &Texts, cents: i64) -> String {
    let (thousands, decimal) = if t.lang == "nl" {
        ('.', ',')
    } else {
        (',', '.')
    };
    let whole = (cents.unsigned_abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(c);
    }
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "€ {sign}{grouped}{decimal}{:02}",
        cents.unsigned_abs() % 100
    )
}

/// The same proto message as the SDK's type (the CLI's report code takes the client SDK's
/// generated types; the gateway has its own from the same `.proto`): through its encoding.
pub fn as_client<A: prost::Message, B: prost::Message + Default>(a: &A) -> Result<B, Error> {
    B::decode(a.encode_to_vec().as_slice())
        .map_err(|e| Error::Internal(format!("proto conversion: {e}")))
}

/// `/` → the Overzicht (or the sign-in page, through [`Signed`]).
pub async fn root(_: Signed) -> Redirect {
    Redirect::to("/overzicht")
}

/// Any other path.
pub async fn not_found(State(console): State<Arc<Console>>, headers: HeaderMap) -> Response {
    let cookies = cookie_header(&headers);
    let session =
        session::cookie(&cookies, COOKIE).and_then(|id| Some((id, console.sessions.get(id)?)));
    let frame = match session {
        Some((id, session)) => {
            let title = session.lang.texts().not_found;
            Signed {
                id: id.to_owned(),
                session,
            }
            .frame(&console, "", title)
        }
        None => Frame {
            t: Lang::Nl.texts(),
            title: Lang::Nl.texts().not_found.into(),
            nav: None,
            notice: None,
            building: false,
        },
    };
    let t = frame.t;
    page_error(frame, StatusCode::NOT_FOUND, t.not_found)
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    f: Frame,
    csrf: String,
    lang: &'static str,
    failed: bool,
    certificate: bool,
}

/// The sign-in page's query: language, and why the user is here.
#[derive(Debug, Deserialize, Default)]
pub struct SignInQuery {
    #[serde(default)]
    taal: String,
    #[serde(default)]
    verlopen: Option<String>,
    #[serde(default)]
    afgemeld: Option<String>,
}

fn sign_in_response(
    console: &Console,
    lang: Lang,
    status: StatusCode,
    notice: Option<&str>,
    failed: bool,
    certificate: bool,
) -> Response {
    let t = lang.texts();
    let csrf = console.sessions.token();
    let mut r = render(
        status,
        &SignInPage {
            f: Frame {
                t,
                title: t.sign_in.into(),
                nav: None,
                notice: notice.map(str::to_owned),
                building: false,
            },
            csrf: csrf.clone(),
            lang: t.lang,
            failed,
            certificate,
        },
    );
    if let Ok(v) = HeaderValue::from_str(&session::set_cookie(
        PRE_COOKIE,
        &csrf,
        console.settings.secure_cookie,
        None,
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

fn certificate_tenant(
    console: &Console,
    peer: &Option<Extension<PeerCertificate>>,
) -> Option<Arc<crate::tenant::Tenant>> {
    let Extension(PeerCertificate(der)) = peer.as_ref()?;
    console.shared.tenants.by_certificate(der).ok()
}

/// GET /aanmelden.
pub async fn sign_in_page(
    State(console): State<Arc<Console>>,
    Query(q): Query<SignInQuery>,
    peer: Option<Extension<PeerCertificate>>,
) -> Response {
    let lang = Lang::parse(&q.taal);
    let t = lang.texts();
    let notice = if q.verlopen.is_some() {
        Some(t.session_ended)
    } else if q.afgemeld.is_some() {
        Some(t.signed_out)
    } else {
        None
    };
    let certificate = certificate_tenant(&console, &peer).is_some();
    sign_in_response(&console, lang, StatusCode::OK, notice, false, certificate)
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    method: String,
}

/// POST /aanmelden: API token (or client certificate) → tenant → session.
pub async fn sign_in(
    State(console): State<Arc<Console>>,
    headers: HeaderMap,
    peer: Option<Extension<PeerCertificate>>,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = Lang::parse(&form.lang);
    let cookies = cookie_header(&headers);
    let certificate = certificate_tenant(&console, &peer);
    let pre = session::cookie(&cookies, PRE_COOKIE).unwrap_or("");
    if !session::same_token(pre, &form.csrf) {
        tracing::info!("console: sign-in form without a valid CSRF token refused");
        let t = lang.texts();
        return sign_in_response(
            &console,
            lang,
            StatusCode::FORBIDDEN,
            Some(t.form_expired),
            false,
            certificate.is_some(),
        );
    }
    let user: String = form.user.trim().chars().take(100).collect();
    let (tenant, credential) = if form.method == "certificate" {
        let fingerprint = peer
            .as_ref()
            .map(|Extension(PeerCertificate(der))| crate::tenant::sha256_hex(der))
            .unwrap_or_default();
        (
            certificate.clone(),
            format!("certificaat {}", fingerprint.get(..16).unwrap_or("")),
        )
    } else {
        (
            console.shared.tenants.by_token(&form.token).ok(),
            "API-token".to_owned(),
        )
    };
    let Some(tenant) = tenant.filter(|_| !user.is_empty()) else {
        tracing::info!("console: sign-in refused");
        return sign_in_response(
            &console,
            lang,
            StatusCode::UNAUTHORIZED,
            None,
            true,
            certificate.is_some(),
        );
    };
    tracing::info!(tenant = %tenant.name, "console: signed in");
    let (id, _) = console.sessions.open(tenant, user, credential, lang);
    let mut r = Redirect::to("/overzicht").into_response();
    let secure = console.settings.secure_cookie;
    for c in [
        session::set_cookie(COOKIE, &id, secure, None),
        session::set_cookie(PRE_COOKIE, "", secure, Some(0)),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// POST /afmelden.
pub async fn sign_out(
    State(console): State<Arc<Console>>,
    signed: Signed,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.csrf_refusal(&console, &form.csrf) {
        return r;
    }
    console.sessions.close(&signed.id);
    tracing::info!(tenant = %signed.session.tenant.name, "console: signed out");
    let lang = if signed.session.lang == Lang::En {
        "&taal=en"
    } else {
        ""
    };
    let mut r = Redirect::to(&format!("/aanmelden?afgemeld=1{lang}")).into_response();
    if let Ok(v) = HeaderValue::from_str(&session::set_cookie(
        COOKIE,
        "",
        console.settings.secure_cookie,
        Some(0),
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// The language form.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// A path on this site to return to (no scheme, host or `//`); else the Overzicht.
fn local_path(back: &str) -> &str {
    let ok = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && back
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b));
    if ok { back } else { "/overzicht" }
}

/// POST /taal.
pub async fn language(
    State(console): State<Arc<Console>>,
    signed: Signed,
    Form(form): Form<LanguageForm>,
) -> Response {
    if let Some(r) = signed.csrf_refusal(&console, &form.csrf) {
        return r;
    }
    let lang = Lang::parse(&form.lang);
    console.sessions.update(&signed.id, |s| s.lang = lang);
    Redirect::to(local_path(&form.back)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_the_dutch_or_the_english_way() {
        assert_eq!(euros(&super::super::i18n::NL, 139_584), "€ 1.395,84");
        assert_eq!(euros(&super::super::i18n::EN, 139_584), "€ 1,395.84");
        assert_eq!(euros(&super::super::i18n::NL, -5), "€ -0,05");
        assert_eq!(
            euros(&super::super::i18n::NL, 100_000_000),
            "€ 1.000.000,00"
        );
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path("/berichten/7"), "/berichten/7");
        assert_eq!(local_path("//evil.example"), "/overzicht");
        assert_eq!(local_path("https://evil.example"), "/overzicht");
        assert_eq!(local_path("/berichten?x=1"), "/overzicht");
    }
}
