//! The organisation's VECOZO system certificate (systeemcertificaat): the TLS client
//! certificate of every request.
//!
//! VECOZO issues at most one system certificate per AGB code; a software vendor submitting
//! for several providers uses its own (with toestemmingsverklaringen). So the configuration
//! has a certificate per AGB code where one is set, and a default for the rest.
//!
//! A certificate comes from a PKCS#12 file (`.pfx`/`.p12`, as VECOZO hands it out) whose
//! password is read from an environment variable or a file — never from the configuration
//! file itself — or from PEM files (certificate chain + private key).
//!
//! [`Identities::load`] refuses, at start-up, a certificate that is expired or not yet valid
//! with an error naming the AGB code and the dates; [`Identities::check`] does the same on
//! demand (a periodic health check) and reports the days left, with a warning threshold
//! (default [`DEFAULT_WARNING_DAYS`]), for a metric.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use super::error::Error;

/// Days before expiry from which [`Expiry::warning`] is set, unless configured otherwise.
pub const DEFAULT_WARNING_DAYS: i64 = 30;

/// The label of the default certificate in errors and reports.
pub const DEFAULT_LABEL: &str = "default";

/// Where a certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum CertificateSource {
    /// A PKCS#12 file with its password in an environment variable or a file (exactly one).
    Pkcs12 {
        /// The `.pfx`/`.p12` file.
        path: PathBuf,
        /// Name of the environment variable that holds the password.
        #[serde(default)]
        password_env: Option<String>,
        /// A file whose content (without a final line break) is the password.
        #[serde(default)]
        password_file: Option<PathBuf>,
    },
    /// PEM files: the certificate (followed by any intermediates) and the private key
    /// (PKCS#8, PKCS#1 or SEC1).
    Pem {
        /// The certificate chain, leaf first.
        cert: PathBuf,
        /// The private key.
        key: PathBuf,
    },
}

/// The certificates to use: per AGB code, and a default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// The certificate for AGB codes without their own.
    #[serde(default)]
    pub default: Option<CertificateSource>,
    /// A certificate per AGB code.
    #[serde(default)]
    pub per_agb: BTreeMap<String, CertificateSource>,
    /// Days before expiry from which a check warns (default 30).
    #[serde(default)]
    pub warning_days: Option<i64>,
}

/// A loaded system certificate: chain, key and validity.
pub struct SystemCertificate {
    label: String,
    /// The file it was loaded from (or `memory`), for errors.
    source_name: String,
    subject: String,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl fmt::Debug for SystemCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemCertificate")
            .field("label", &self.label)
            .field("source_name", &self.source_name)
            .field("subject", &self.subject)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// The result of a validity check: how long a certificate has left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    /// The AGB code it is configured for, or `default`.
    pub agb: String,
    /// Its subject.
    pub subject: String,
    /// End of its validity.
    pub not_after: DateTime<Utc>,
    /// Whole days until `not_after` (for the `vecozo_certificate_days_left` metric).
    pub days_left: i64,
    /// True when `days_left` is below the warning threshold: renew now.
    pub warning: bool,
}

// === impl SystemCertificate ===

impl SystemCertificate {
    /// Reads a PKCS#12 archive. `label` is the AGB code (or `default`) and `source_name` the
    /// file, both only for error messages.
    pub fn from_pkcs12(
        label: &str,
        source_name: &str,
        der: &[u8],
        password: &str,
    ) -> Result<SystemCertificate, Error> {
        use p12_keystore::error::Error as P12;
        use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
        let bad = |detail: String| Error::Certificate {
            agb: label.to_owned(),
            source_name: source_name.to_owned(),
            detail,
        };
        let store = KeyStore::from_pkcs12(der, password, Pkcs12ImportPolicy::Strict).map_err(
            |e| match e {
                // The MAC is keyed with the password; without a MAC, decryption fails instead.
                P12::MacError(_) | P12::UnpadError => Error::WrongPassword {
                    agb: label.to_owned(),
                    source_name: source_name.to_owned(),
                },
                other => bad(format!("not a readable PKCS#12 file: {other}")),
            },
        )?;
        let (_, chain) = store.private_key_chain().ok_or_else(|| {
            bad("the PKCS#12 file holds no private key with a certificate".into())
        })?;
        let certs: Vec<CertificateDer<'static>> = chain
            .certs()
            .iter()
            .map(|c| CertificateDer::from(c.as_der().to_vec()))
            .collect();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(chain.key().as_der().to_vec()));
        SystemCertificate::from_parts(label, source_name, certs, key)
    }

    /// Reads PEM: the certificate chain (leaf first) and the private key.
    pub fn from_pem(
        label: &str,
        source_name: &str,
        cert_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<SystemCertificate, Error> {
        let bad = |detail: String| Error::Certificate {
            agb: label.to_owned(),
            source_name: source_name.to_owned(),
            detail,
        };
        let certs = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("certificate PEM: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| bad(format!("private key PEM: {e}")))?;
        SystemCertificate::from_parts(label, source_name, certs, key)
    }

    fn from_parts(
        label: &str,
        source_name: &str,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<SystemCertificate, Error> {
        let bad = |detail: String| Error::Certificate {
            agb: label.to_owned(),
            source_name: source_name.to_owned(),
            detail,
        };
        let leaf = chain
            .first()
            .ok_or_else(|| bad("no certificate found".into()))?;
        let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
            .map_err(|e| bad(format!("certificate: {e}")))?;
        let time = |t: &x509_parser::time::ASN1Time| {
            DateTime::<Utc>::from_timestamp(t.timestamp(), 0)
                .ok_or_else(|| bad("certificate validity out of range".into()))
        };
        let validity = cert.validity();
        Ok(SystemCertificate {
            label: label.to_owned(),
            source_name: source_name.to_owned(),
            subject: cert.subject().to_string(),
            not_before: time(&validity.not_before)?,
            not_after: time(&validity.not_after)?,
            chain,
            key,
        })
    }

    /// Loads from files as `source` says; `env` looks up environment variables (normally
    /// `std::env::var`, see [`Identities::load`]).
    pub fn load(
        label: &str,
        source: &CertificateSource,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<SystemCertificate, Error> {
        match source {
            CertificateSource::Pkcs12 {
                path,
                password_env,
                password_file,
            } => {
                let password = match (password_env, password_file) {
                    (Some(var), None) => {
                        env(var).ok_or_else(|| Error::PasswordMissing { var: var.clone() })?
                    }
                    (None, Some(file)) => {
                        let text =
                            String::from_utf8(read(file)?).map_err(|_| Error::Certificate {
                                agb: label.to_owned(),
                                source_name: file.display().to_string(),
                                detail: "the password file is not UTF-8".into(),
                            })?;
                        text.strip_suffix('\n')
                            .map(|t| t.strip_suffix('\r').unwrap_or(t))
                            .unwrap_or(&text)
                            .to_owned()
                    }
                    _ => {
                        return Err(Error::Certificate {
                            agb: label.to_owned(),
                            source_name: path.display().to_string(),
                            detail: "set exactly one of password_env and password_file".into(),
                        });
                    }
                };
                let der = read(path)?;
                SystemCertificate::from_pkcs12(label, &path.display().to_string(), &der, &password)
            }
            CertificateSource::Pem { cert, key } => SystemCertificate::from_pem(
                label,
                &cert.display().to_string(),
                &read(cert)?,
                &read(key)?,
            ),
        }
    }

    /// The AGB code it is configured for, or `default`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// True for the default certificate (loaded with the label [`DEFAULT_LABEL`]).
    pub fn is_default(&self) -> bool {
        self.label == DEFAULT_LABEL
    }

    /// The file it was loaded from (or the name given to [`SystemCertificate::from_pem`]).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The subject (e.g. `CN=12345678, O=…`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Start and end of the validity.
    pub fn validity(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.not_before, self.not_after)
    }

    /// Checks the validity at `now`: an error when expired or not yet valid, otherwise the
    /// days left and whether they are fewer than `warning_days`.
    pub fn check(&self, now: DateTime<Utc>, warning_days: i64) -> Result<Expiry, Error> {
        if now < self.not_before {
            return Err(Error::CertificateNotYetValid {
                agb: self.label.clone(),
                source_name: self.source_name.clone(),
                subject: self.subject.clone(),
                not_before: self.not_before,
                not_after: self.not_after,
                now,
            });
        }
        if now > self.not_after {
            return Err(Error::CertificateExpired {
                agb: self.label.clone(),
                source_name: self.source_name.clone(),
                subject: self.subject.clone(),
                not_before: self.not_before,
                not_after: self.not_after,
                now,
            });
        }
        let days_left = (self.not_after - now).num_days();
        Ok(Expiry {
            agb: self.label.clone(),
            subject: self.subject.clone(),
            not_after: self.not_after,
            days_left,
            warning: days_left < warning_days,
        })
    }

    /// A rustls client configuration (ring provider, TLS 1.2 and 1.3, HTTP/1.1) presenting
    /// this certificate and trusting `roots` for the server.
    pub fn client_config(&self, roots: &RootCertStore) -> Result<ClientConfig, Error> {
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::TlsSetup(e.to_string()))?
            .with_root_certificates(roots.clone())
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| Error::TlsSetup(format!("system certificate of {}: {e}", self.label)))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The CAs trusted for VECOZO's server certificate, from PEM (e.g. the system bundle
/// `/etc/ssl/certs/ca-certificates.crt` for VECOZO, `ca.pem` of the simulator's PKI).
pub fn trust_roots_from_pem(pem: &[u8]) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| Error::TlsSetup(format!("trust roots: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| Error::TlsSetup(format!("trust roots: {e}")))?;
    }
    if roots.is_empty() {
        return Err(Error::TlsSetup(
            "trust roots: no certificate in the PEM".into(),
        ));
    }
    Ok(roots)
}

/// [`trust_roots_from_pem`] on a file.
pub fn trust_roots_from_file(path: &Path) -> Result<RootCertStore, Error> {
    trust_roots_from_pem(&read(path)?)
}

// === impl Identities ===

/// All configured system certificates.
#[derive(Debug)]
pub struct Identities {
    default: Option<SystemCertificate>,
    per_agb: BTreeMap<String, SystemCertificate>,
    warning_days: i64,
}

impl Identities {
    /// Loads every configured certificate and checks that each is valid at `now`; the first
    /// expired or not-yet-valid one is refused. Passwords in environment variables are read
    /// here, once, at start-up.
    pub fn load(config: &IdentityConfig, now: DateTime<Utc>) -> Result<Identities, Error> {
        Identities::load_with_env(config, now, &|var| std::env::var(var).ok())
    }

    /// As [`Identities::load`] with an explicit environment lookup (for tests).
    pub fn load_with_env(
        config: &IdentityConfig,
        now: DateTime<Utc>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Identities, Error> {
        let default = config
            .default
            .as_ref()
            .map(|s| SystemCertificate::load(DEFAULT_LABEL, s, env))
            .transpose()?;
        let mut per_agb = BTreeMap::new();
        for (agb, source) in &config.per_agb {
            per_agb.insert(agb.clone(), SystemCertificate::load(agb, source, env)?);
        }
        let identities = Identities {
            default,
            per_agb,
            warning_days: config.warning_days.unwrap_or(DEFAULT_WARNING_DAYS),
        };
        identities.check(now)?;
        Ok(identities)
    }

    /// Identities from loaded certificates, without a validity check.
    pub fn new(
        default: Option<SystemCertificate>,
        per_agb: BTreeMap<String, SystemCertificate>,
        warning_days: i64,
    ) -> Identities {
        Identities {
            default,
            per_agb,
            warning_days,
        }
    }

    /// Days before expiry from which a check warns.
    pub fn warning_days(&self) -> i64 {
        self.warning_days
    }

    /// The certificate for `agb`: its own, else the default.
    pub fn for_agb(&self, agb: &str) -> Result<&SystemCertificate, Error> {
        self.per_agb
            .get(agb)
            .or(self.default.as_ref())
            .ok_or_else(|| Error::NoCertificate {
                agb: agb.to_owned(),
            })
    }

    /// Every certificate, the default first.
    pub fn iter(&self) -> impl Iterator<Item = &SystemCertificate> {
        self.default.iter().chain(self.per_agb.values())
    }

    /// Checks every certificate at `now` (start-up and, e.g., daily): the days left of each,
    /// or the first that is expired or not yet valid.
    pub fn check(&self, now: DateTime<Utc>) -> Result<Vec<Expiry>, Error> {
        self.iter()
            .map(|c| c.check(now, self.warning_days))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_certificate_error_naming_the_agb() {
        let e = SystemCertificate::from_pem("12345678", "x.pem", b"nope", b"nope")
            .expect_err("garbage");
        assert!(e.to_string().contains("12345678"), "{e}");
        let e = SystemCertificate::from_pkcs12("12345678", "x.p12", b"nope", "pw")
            .expect_err("garbage");
        assert!(matches!(e, Error::Certificate { .. }), "{e}");
    }

    #[test]
    fn a_missing_password_variable_is_named() {
        let source = CertificateSource::Pkcs12 {
            path: "/nonexistent.p12".into(),
            password_env: Some("KP_TEST_PW".into()),
            password_file: None,
        };
        let e = SystemCertificate::load("default", &source, &|_| None).expect_err("no var");
        assert!(matches!(e, Error::PasswordMissing { var } if var == "KP_TEST_PW"));
    }

    #[test]
    fn no_certificate_for_an_agb_without_default() {
        let ids = Identities::new(None, BTreeMap::new(), DEFAULT_WARNING_DAYS);
        assert!(matches!(
            ids.for_agb("12345678"),
            Err(Error::NoCertificate { .. })
        ));
    }

    #[test]
    fn identity_config_parses_from_toml() {
        let c: IdentityConfig = toml::from_str(
            r#"
            warning_days = 45
            [default.pkcs12]
            path = "/etc/ketenpoort/vecozo.pfx"
            password_env = "KETENPOORT_VECOZO_PFX_PASSWORD"
            [per_agb.12345678.pem]
            cert = "/etc/ketenpoort/12345678.pem"
            key = "/etc/ketenpoort/12345678-key.pem"
            "#,
        )
        .expect("toml");
        assert_eq!(c.warning_days, Some(45));
        assert!(matches!(c.default, Some(CertificateSource::Pkcs12 { .. })));
        assert!(matches!(
            c.per_agb.get("12345678"),
            Some(CertificateSource::Pem { .. })
        ));
    }
}
