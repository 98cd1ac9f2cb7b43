//! The development PKI: a CA, a server certificate and one client "system certificate" per
//! indiener, generated with rcgen on first start and kept in `--pki DIR`.
//!
//! Layout of the directory (all PEM unless noted):
//!
//! | file | what |
//! |---|---|
//! | `ca.pem`, `ca-key.pem` | the simulator's CA; clients trust `ca.pem` for the server and the server trusts it for clients |
//! | `server.pem`, `server-key.pem` | the server certificate (localhost, 127.0.0.1, ::1 and `server_names`) |
//! | `clients/<naam>.pem`, `clients/<naam>-key.pem` | a system certificate, subject CN = the indiener's naam (a provider's AGB code or a vendor's name) |
//! | `clients/<naam>.p12` | the same certificate, key and CA as PKCS#12 (PBES2 AES-256, HMAC-SHA-256), password from the scenario |
//!
//! Files that exist are kept, so certificates survive restarts; a new indiener in the
//! scenario gets its certificate on the next start. The CA is re-created from its key and
//! fixed name when new certificates must be signed, which gives the same issuer name and key,
//! so old and new certificates verify against the same `ca.pem`.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Utc};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, date_time_ymd,
};

use crate::error::Error;

/// Subject CN of the generated CA.
pub const CA_NAME: &str = "ketenpoort-sim development CA";
/// Subject O of every generated certificate.
const ORGANISATION: &str = "ketenpoort-sim";

/// A certificate with its private key, both PEM.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// Its private key (PKCS#8 PEM).
    pub key_pem: String,
}

/// The loaded or generated PKI.
#[derive(Debug, Clone)]
pub struct Pki {
    dir: PathBuf,
    /// The CA certificate (PEM).
    pub ca_pem: String,
    /// The server certificate and key.
    pub server: Issued,
}

/// The CA as an issuer: its certificate object and key.
struct Ca {
    cert: Certificate,
    key: KeyPair,
}

fn pki_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Pki(format!("{what}: {e}"))
}

fn read(path: &Path) -> Result<String, Error> {
    fs::read_to_string(path).map_err(|e| Error::io("read", path, e))
}

fn write(path: &Path, data: &[u8]) -> Result<(), Error> {
    fs::write(path, data).map_err(|e| Error::io("write", path, e))
}

fn ca_params() -> Result<CertificateParams, Error> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| pki_err("CA", e))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    dn.push(DnType::OrganizationName, ORGANISATION);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    // Fixed dates: re-creating the CA from its key must give the same certificate content.
    params.not_before = date_time_ymd(2024, 1, 1);
    params.not_after = date_time_ymd(2049, 12, 31);
    Ok(params)
}

impl Ca {
    fn generate() -> Result<Ca, Error> {
        let key = KeyPair::generate().map_err(|e| pki_err("CA key", e))?;
        let cert = ca_params()?
            .self_signed(&key)
            .map_err(|e| pki_err("CA", e))?;
        Ok(Ca { cert, key })
    }

    fn from_key_pem(key_pem: &str) -> Result<Ca, Error> {
        let key = KeyPair::from_pem(key_pem).map_err(|e| pki_err("ca-key.pem", e))?;
        let cert = ca_params()?
            .self_signed(&key)
            .map_err(|e| pki_err("CA", e))?;
        Ok(Ca { cert, key })
    }

    fn issue(
        &self,
        cn: &str,
        sans: Vec<String>,
        purpose: ExtendedKeyUsagePurpose,
        validity: Validity,
    ) -> Result<Issued, Error> {
        let key = KeyPair::generate().map_err(|e| pki_err(cn, e))?;
        let mut params = CertificateParams::new(sans).map_err(|e| pki_err(cn, e))?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, cn);
        dn.push(DnType::OrganizationName, ORGANISATION);
        params.distinguished_name = dn;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![purpose];
        let ((y0, m0, d0), (y1, m1, d1)) = validity.dates();
        params.not_before = date_time_ymd(y0, m0, d0);
        params.not_after = date_time_ymd(y1, m1, d1);
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .map_err(|e| pki_err(cn, e))?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// How long an issued certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From last year to ten years ahead.
    Normal,
    /// Expired: valid only during 2020, for tests of the refusal of expired certificates.
    Expired,
}

impl Validity {
    /// (not before, not after) as (year, month, day).
    fn dates(self) -> ((i32, u8, u8), (i32, u8, u8)) {
        match self {
            Validity::Normal => {
                let year = Utc::now().year();
                ((year - 1, 1, 1), (year + 10, 12, 31))
            }
            Validity::Expired => ((2020, 1, 1), (2020, 12, 31)),
        }
    }
}

impl Pki {
    /// Loads the PKI in `dir`, generating whatever is missing: the CA, the server
    /// certificate (for localhost and `server_names`) and a client certificate for each of
    /// `clients` (subject CN = the name), with a PKCS#12 copy protected by `p12_password`.
    pub fn load_or_generate(
        dir: &Path,
        server_names: &[String],
        clients: &[String],
        p12_password: &str,
    ) -> Result<Pki, Error> {
        let clients_dir = dir.join("clients");
        fs::create_dir_all(&clients_dir)
            .map_err(|e| Error::io("create directory", &clients_dir, e))?;
        let ca_path = dir.join("ca.pem");
        let ca_key_path = dir.join("ca-key.pem");
        let mut ca: Option<Ca> = None;
        let ca_pem = if ca_path.exists() && ca_key_path.exists() {
            read(&ca_path)?
        } else {
            let fresh = Ca::generate()?;
            let pem = fresh.cert.pem();
            write(&ca_key_path, fresh.key.serialize_pem().as_bytes())?;
            write(&ca_path, pem.as_bytes())?;
            ca = Some(fresh);
            pem
        };
        let issuer = |ca: &mut Option<Ca>| -> Result<(), Error> {
            if ca.is_none() {
                *ca = Some(Ca::from_key_pem(&read(&ca_key_path)?)?);
            }
            Ok(())
        };

        let server_path = dir.join("server.pem");
        let server_key_path = dir.join("server-key.pem");
        let server = if server_path.exists() && server_key_path.exists() {
            Issued {
                cert_pem: read(&server_path)?,
                key_pem: read(&server_key_path)?,
            }
        } else {
            issuer(&mut ca)?;
            let mut sans: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
            sans.extend(server_names.iter().cloned());
            let issued = ca
                .as_ref()
                .ok_or_else(|| Error::Pki("no CA".into()))?
                .issue(
                    "ketenpoort-sim server",
                    sans,
                    ExtendedKeyUsagePurpose::ServerAuth,
                    Validity::Normal,
                )?;
            write(&server_key_path, issued.key_pem.as_bytes())?;
            write(&server_path, issued.cert_pem.as_bytes())?;
            issued
        };

        let pki = Pki {
            dir: dir.to_path_buf(),
            ca_pem,
            server,
        };
        for name in clients {
            let (cert_path, key_path, p12_path) = pki.client_files(name);
            if cert_path.exists() && key_path.exists() && p12_path.exists() {
                continue;
            }
            issuer(&mut ca)?;
            let issued = ca
                .as_ref()
                .ok_or_else(|| Error::Pki("no CA".into()))?
                .issue(
                    name,
                    Vec::new(),
                    ExtendedKeyUsagePurpose::ClientAuth,
                    Validity::Normal,
                )?;
            write(&key_path, issued.key_pem.as_bytes())?;
            write(&cert_path, issued.cert_pem.as_bytes())?;
            let p12 = pkcs12(&issued, &pki.ca_pem, name, p12_password)?;
            write(&p12_path, &p12)?;
        }
        Ok(pki)
    }

    /// The directory the PKI lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Paths of the certificate, key and PKCS#12 file of client `name`.
    pub fn client_files(&self, name: &str) -> (PathBuf, PathBuf, PathBuf) {
        let d = self.dir.join("clients");
        (
            d.join(format!("{name}.pem")),
            d.join(format!("{name}-key.pem")),
            d.join(format!("{name}.p12")),
        )
    }

    /// The certificate and key of client `name`, as generated.
    pub fn client(&self, name: &str) -> Result<Issued, Error> {
        let (cert, key, _) = self.client_files(name);
        Ok(Issued {
            cert_pem: read(&cert)?,
            key_pem: read(&key)?,
        })
    }

    /// Issues a further client certificate from this PKI's CA without writing it, e.g. an
    /// expired one for a test ([`Validity::Expired`]).
    pub fn issue_client(&self, name: &str, validity: Validity) -> Result<Issued, Error> {
        let ca = Ca::from_key_pem(&read(&self.dir.join("ca-key.pem"))?)?;
        ca.issue(
            name,
            Vec::new(),
            ExtendedKeyUsagePurpose::ClientAuth,
            validity,
        )
    }
}

/// A client certificate from a CA that is not the simulator's, for tests of refusal.
pub fn foreign_client(name: &str) -> Result<Issued, Error> {
    Ca::generate()?.issue(
        name,
        Vec::new(),
        ExtendedKeyUsagePurpose::ClientAuth,
        Validity::Normal,
    )
}

/// The PKCS#12 file of a client certificate: key, certificate and CA chain.
fn pkcs12(issued: &Issued, ca_pem: &str, alias: &str, password: &str) -> Result<Vec<u8>, Error> {
    let key_der = pem_body(&issued.key_pem, "PRIVATE KEY")?;
    let cert_der = pem_body(&issued.cert_pem, "CERTIFICATE")?;
    let ca_der = pem_body(ca_pem, "CERTIFICATE")?;
    let key = p12_keystore::PrivateKey::from_der(&key_der).map_err(|e| pki_err("p12 key", e))?;
    let cert =
        p12_keystore::Certificate::from_der(&cert_der).map_err(|e| pki_err("p12 cert", e))?;
    let ca = p12_keystore::Certificate::from_der(&ca_der).map_err(|e| pki_err("p12 CA", e))?;
    let chain = p12_keystore::PrivateKeyChain::new(alias.as_bytes(), key, [cert, ca]);
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(alias, p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    store
        .writer(password)
        .write()
        .map_err(|e| pki_err("p12", e))
}

/// The DER bytes of the first PEM block labelled `label`.
pub(crate) fn pem_body(pem: &str, label: &str) -> Result<Vec<u8>, Error> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
    match label {
        "CERTIFICATE" => CertificateDer::from_pem_slice(pem.as_bytes())
            .map(|c| c.to_vec())
            .map_err(|e| pki_err("certificate PEM", e)),
        _ => PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .map(|k| k.secret_pkcs8_der().to_vec())
            .map_err(|e| pki_err("key PEM", e)),
    }
}
