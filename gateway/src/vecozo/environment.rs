//! Which VECOZO to talk to: production, acceptance, test (the `servers` of the three OpenAPI
//! files), the simulator (`ketenpoort-sim`, same paths under another origin) or custom URLs.
//!
//! An environment is only a set of base URLs; the certificate must match it (VECOZO's test
//! and acceptance environments use test certificates).

use serde::Deserialize;

use super::error::Error;

/// Path of REST push v1 under an origin.
pub const PUSH_PATH: &str = "/berichtenservice/berichten/rest-push/v1";
/// Path of REST pull v1 under an origin.
pub const PULL_PATH: &str = "/berichtenservice/berichten/rest-pull/v1";
/// Path of berichtstatus REST pull v3 under an origin.
pub const STATUS_PATH: &str = "/berichtenservice/berichtstatus/rest-pull/v3";

/// A VECOZO environment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// `https://api.vecozo.nl/berichtenservice/…`.
    Production,
    /// `https://tst-api.vecozo.nl/acc/berichtenservice/…` (acceptatie).
    Acceptance,
    /// `https://tst-api.vecozo.nl/tst/berichtenservice/…`.
    Test,
    /// The simulator at an origin such as `https://localhost:8443`: VECOZO's paths there.
    Simulator {
        /// Scheme, host and port, without a path.
        origin: String,
    },
    /// Any three base URLs (a proxy, a new VECOZO host).
    Custom(Endpoints),
}

/// The base URLs of the three APIs, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    /// REST push v1, e.g. `https://api.vecozo.nl/berichtenservice/berichten/rest-push/v1`.
    pub push: String,
    /// REST pull v1.
    pub pull: String,
    /// Berichtstatus REST pull v3.
    pub status: String,
}

impl Environment {
    /// The base URLs, checked to be `https://` URLs.
    pub fn endpoints(&self) -> Result<Endpoints, Error> {
        let under = |origin: &str| Endpoints {
            push: format!("{origin}{PUSH_PATH}"),
            pull: format!("{origin}{PULL_PATH}"),
            status: format!("{origin}{STATUS_PATH}"),
        };
        let endpoints = match self {
            Environment::Production => under("https://api.vecozo.nl"),
            Environment::Acceptance => under("https://tst-api.vecozo.nl/acc"),
            Environment::Test => under("https://tst-api.vecozo.nl/tst"),
            Environment::Simulator { origin } => under(origin.trim_end_matches('/')),
            Environment::Custom(e) => Endpoints {
                push: e.push.trim_end_matches('/').to_owned(),
                pull: e.pull.trim_end_matches('/').to_owned(),
                status: e.status.trim_end_matches('/').to_owned(),
            },
        };
        for url in [&endpoints.push, &endpoints.pull, &endpoints.status] {
            check_https(url)?;
        }
        Ok(endpoints)
    }

    /// A name for logs and metrics labels.
    pub fn name(&self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Acceptance => "acceptance",
            Environment::Test => "test",
            Environment::Simulator { .. } => "simulator",
            Environment::Custom(_) => "custom",
        }
    }
}

/// Refuses anything but an absolute `https://host…` URL: the system certificate is never
/// presented over plain HTTP.
fn check_https(url: &str) -> Result<(), Error> {
    let ok = url
        .strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && !url.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidBaseUrl {
            url: url.chars().take(200).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_vecozo_environments_match_the_openapi_servers() {
        let p = Environment::Production.endpoints().expect("production");
        assert_eq!(
            p.push,
            "https://api.vecozo.nl/berichtenservice/berichten/rest-push/v1"
        );
        assert_eq!(
            p.pull,
            "https://api.vecozo.nl/berichtenservice/berichten/rest-pull/v1"
        );
        assert_eq!(
            p.status,
            "https://api.vecozo.nl/berichtenservice/berichtstatus/rest-pull/v3"
        );
        let a = Environment::Acceptance.endpoints().expect("acceptance");
        assert_eq!(
            a.push,
            "https://tst-api.vecozo.nl/acc/berichtenservice/berichten/rest-push/v1"
        );
        let t = Environment::Test.endpoints().expect("test");
        assert_eq!(
            t.status,
            "https://tst-api.vecozo.nl/tst/berichtenservice/berichtstatus/rest-pull/v3"
        );
    }

    #[test]
    fn simulator_and_custom_urls_must_be_https() {
        let s = Environment::Simulator {
            origin: "https://localhost:8443/".into(),
        };
        assert_eq!(
            s.endpoints().expect("sim").pull,
            "https://localhost:8443/berichtenservice/berichten/rest-pull/v1"
        );
        let plain = Environment::Simulator {
            origin: "http://localhost:8443".into(),
        };
        assert!(matches!(
            plain.endpoints(),
            Err(Error::InvalidBaseUrl { .. })
        ));
        let custom = Environment::Custom(Endpoints {
            push: "https://proxy/push".into(),
            pull: "https:///nohost".into(),
            status: "https://proxy/status".into(),
        });
        assert!(custom.endpoints().is_err());
    }

    #[test]
    fn environments_parse_from_toml() {
        #[derive(Deserialize)]
        struct C {
            environment: Environment,
        }
        let c: C = toml::from_str("environment = \"acceptance\"").expect("toml");
        assert_eq!(c.environment, Environment::Acceptance);
        let c: C = toml::from_str("[environment.simulator]\norigin = \"https://localhost:8443\"")
            .expect("toml");
        assert_eq!(c.environment.name(), "simulator");
    }
}
