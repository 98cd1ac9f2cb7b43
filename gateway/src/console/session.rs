//! Console sessions: a tenant signs in with its API token or client certificate (the
//! gateway's own [`crate::tenant::Tenants`]) and gets a random session id in a cookie
//! (`HttpOnly`, `SameSite=Strict`, `Secure` over TLS). Sessions live in memory (a restart
//! signs everyone out), keyed by the SHA-256 of the id, and end after an idle timeout or at
//! sign-out. Each session has its own CSRF token, which every state-changing form carries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};

use super::i18n::Lang;
use crate::tenant::{Tenant, sha256_hex};

/// The session cookie's name.
pub const COOKIE: &str = "kp_sessie";
/// The cookie that carries the sign-in form's CSRF token before there is a session.
pub const PRE_COOKIE: &str = "kp_aanmelden";

/// A signed-in tenant.
#[derive(Debug, Clone)]
pub struct Session {
    /// The tenant, as the gRPC API authenticates it.
    pub tenant: Arc<Tenant>,
    /// The name the person gave at sign-in (for the access log).
    pub user: String,
    /// How they signed in: `API-token` or `certificaat <fingerprint prefix>`.
    pub credential: String,
    /// The CSRF token of every form of this session.
    pub csrf: String,
    /// The chosen language.
    pub lang: Lang,
    /// A one-time notice for the next page (after a redirect).
    pub notice: Option<String>,
    last_seen: Instant,
}

/// Where sessions get the time; tests move it by hand.
pub trait Now: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> Instant;
}

/// The monotonic system clock.
#[derive(Debug, Default)]
pub struct SystemNow;

impl Now for SystemNow {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// The open sessions.
pub struct Sessions {
    by_digest: Mutex<HashMap<String, Session>>,
    idle: Duration,
    now: Arc<dyn Now>,
    random: SystemRandom,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

/// A fresh random token: 32 bytes as hex.
pub fn random_token(random: &SystemRandom) -> String {
    let mut bytes = [0u8; 32];
    // The system's random source does not fail on the platforms ketenpoort runs on; if it
    // did, the token would be the digest of the time, which is still unguessable enough to
    // not be all zeroes, and the failure is logged.
    if random.fill(&mut bytes).is_err() {
        tracing::error!("the system random source failed; session token from the clock");
        let t = format!("{:?}", std::time::SystemTime::now());
        return sha256_hex(t.as_bytes());
    }
    let mut hex = String::with_capacity(64);
    for b in bytes {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// Whether `a` and `b` are equal, in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Sessions {
    /// Sessions that end after `idle` without a request, timed by `now`.
    pub fn new(idle: Duration, now: Arc<dyn Now>) -> Sessions {
        Sessions {
            by_digest: Mutex::new(HashMap::new()),
            idle,
            now,
            random: SystemRandom::new(),
        }
    }

    /// A fresh random token (for the sign-in form's CSRF cookie).
    pub fn token(&self) -> String {
        random_token(&self.random)
    }

    /// Opens a session; returns its id (the cookie value) and the session.
    pub fn open(
        &self,
        tenant: Arc<Tenant>,
        user: String,
        credential: String,
        lang: Lang,
    ) -> (String, Session) {
        let id = self.token();
        let session = Session {
            tenant,
            user,
            credential,
            csrf: self.token(),
            lang,
            notice: None,
            last_seen: self.now.now(),
        };
        if let Ok(mut map) = self.by_digest.lock() {
            let now = self.now.now();
            map.retain(|_, s| now.duration_since(s.last_seen) < self.idle);
            map.insert(sha256_hex(id.as_bytes()), session.clone());
        }
        (id, session)
    }

    /// The session with cookie value `id`, if it is open and was used within the idle
    /// timeout; using it starts the timeout anew. An expired session is removed. The one-time
    /// notice is handed out (and cleared) here.
    pub fn get(&self, id: &str) -> Option<Session> {
        let digest = sha256_hex(id.as_bytes());
        let mut map = self.by_digest.lock().ok()?;
        let now = self.now.now();
        let expired = now.duration_since(map.get(&digest)?.last_seen) >= self.idle;
        if expired {
            map.remove(&digest);
            return None;
        }
        let s = map.get_mut(&digest)?;
        s.last_seen = now;
        let copy = s.clone();
        s.notice = None;
        Some(copy)
    }

    /// Changes the open session `id` (language, notice).
    pub fn update(&self, id: &str, change: impl FnOnce(&mut Session)) {
        if let Ok(mut map) = self.by_digest.lock()
            && let Some(s) = map.get_mut(&sha256_hex(id.as_bytes()))
        {
            change(s);
        }
    }

    /// Ends session `id`.
    pub fn close(&self, id: &str) {
        if let Ok(mut map) = self.by_digest.lock() {
            map.remove(&sha256_hex(id.as_bytes()));
        }
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// A `Set-Cookie` value for `name` = `value`: HttpOnly, SameSite=Strict, Path=/, Secure when
/// `secure`; `max_age` 0 removes it.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TenantConfig;
    use crate::tenant::Tenants;

    struct Manual(Mutex<Instant>);

    impl Now for Manual {
        fn now(&self) -> Instant {
            *self.0.lock().expect("lock")
        }
    }

    fn tenant() -> Arc<Tenant> {
        let tenants = Tenants::new(&[TenantConfig {
            name: "a".into(),
            api_token_sha256: Some(crate::tenant::token_digest("t")),
            certificate_sha256: None,
            agb_codes: vec!["12345678".into()],
            all_agb_codes: false,
            auto_answer: None,
        }]);
        tenants.by_token("t").expect("tenant a")
    }

    #[test]
    fn a_session_ends_after_the_idle_timeout_and_use_renews_it() {
        let start = Instant::now();
        let clock = Arc::new(Manual(Mutex::new(start)));
        let sessions = Sessions::new(Duration::from_secs(60), clock.clone());
        let (id, s) = sessions.open(tenant(), "Piet".into(), "API-token".into(), Lang::Nl);
        assert_eq!(s.tenant.name, "a");
        assert_ne!(id, s.csrf, "the CSRF token is not the session id");
        *clock.0.lock().expect("lock") = start + Duration::from_secs(59);
        assert!(sessions.get(&id).is_some(), "used within the timeout");
        *clock.0.lock().expect("lock") = start + Duration::from_secs(118);
        assert!(
            sessions.get(&id).is_some(),
            "the timeout counts from the last use"
        );
        *clock.0.lock().expect("lock") = start + Duration::from_secs(178);
        assert!(sessions.get(&id).is_none(), "idle for 60 s: ended");
        *clock.0.lock().expect("lock") = start;
        assert!(sessions.get(&id).is_none(), "and removed, not just hidden");
    }

    #[test]
    fn a_closed_or_unknown_session_is_none_and_notices_are_shown_once() {
        let sessions = Sessions::new(Duration::from_secs(60), Arc::new(SystemNow));
        let (id, _) = sessions.open(tenant(), "Piet".into(), "API-token".into(), Lang::En);
        sessions.update(&id, |s| s.notice = Some("done".into()));
        assert_eq!(
            sessions.get(&id).and_then(|s| s.notice).as_deref(),
            Some("done")
        );
        assert_eq!(sessions.get(&id).and_then(|s| s.notice), None);
        assert!(sessions.get("not-a-session").is_none());
        sessions.close(&id);
        assert!(sessions.get(&id).is_none());
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let r = SystemRandom::new();
        let (a, b) = (random_token(&r), random_token(&r));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..63]));
        assert!(!same_token("", ""), "an empty token never matches");
    }

    #[test]
    fn cookies_are_read_by_name_and_written_strict() {
        let h = "a=1; kp_sessie=abc; b=2";
        assert_eq!(cookie(h, COOKIE), Some("abc"));
        assert_eq!(cookie(h, "c"), None);
        let c = set_cookie(COOKIE, "abc", true, None);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!set_cookie(COOKIE, "abc", false, Some(0)).contains("Secure"));
    }
}
