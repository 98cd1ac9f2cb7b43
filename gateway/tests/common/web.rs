//! A small HTTP client for the operator console's tests without a browser: it keeps the
//! cookies the console sets, follows no redirects (the tests look at them), and reads the
//! CSRF token out of a page's forms.

use std::collections::BTreeMap;
use std::net::SocketAddr;

/// An answer of the console.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    /// The `Location` of a redirect.
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("a form with a CSRF token in:\n{}", self.body));
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').expect("closing quote")].to_owned()
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

/// A browser without a browser.
pub struct Web {
    base: String,
    http: reqwest::Client,
    /// The cookies set so far.
    pub cookies: BTreeMap<String, String>,
}

impl Web {
    /// A client of the console at `addr` (plain HTTP).
    pub fn new(addr: SocketAddr) -> Web {
        Web::with_client(
            format!("http://{addr}"),
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        )
    }

    /// A client of the console at `base` through `http` (which must not follow redirects).
    pub fn with_client(base: String, http: reqwest::Client) -> Web {
        Web {
            base,
            http,
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, r: reqwest::RequestBuilder) -> Page {
        let r = if self.cookies.is_empty() {
            r
        } else {
            r.header("cookie", self.cookie_header())
        };
        let resp = r.send().await.expect("the console answers");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.expect("a body");
        let page = Page {
            status,
            body,
            headers,
        };
        for c in page.set_cookies() {
            let pair = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        page
    }

    /// GET `path`.
    pub async fn get(&mut self, path: &str) -> Page {
        let r = self.http.get(format!("{}{path}", self.base));
        self.send(r).await
    }

    /// POST `form` to `path`.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(r).await
    }

    /// Signs in with `token` as `user`; the answer to the sign-in POST.
    pub async fn sign_in(&mut self, token: &str, user: &str) -> Page {
        let form = self.get("/aanmelden").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.csrf();
        self.post(
            "/aanmelden",
            &[
                ("csrf", &csrf),
                ("method", "token"),
                ("token", token),
                ("user", user),
                ("lang", "nl"),
            ],
        )
        .await
    }

    /// The CSRF token of the signed-in session (read from a page's forms).
    pub async fn session_csrf(&mut self) -> String {
        self.get("/downloads").await.csrf()
    }
}
