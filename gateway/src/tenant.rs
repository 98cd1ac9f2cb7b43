//! Tenants: who is calling, and for which AGB codes they may act.
//!
//! A tenant authenticates with either
//! - an API token in the `authorization: Bearer <token>` metadata (for deployments behind a
//!   TLS-terminating proxy, and the dev tenant whose token is `dev`); the configuration holds
//!   only the token's SHA-256, or
//! - the client certificate of an mTLS connection, identified by the SHA-256 of its DER
//!   encoding (`certificate_sha256`). Mapping a certificate's subject (e.g. an organisation
//!   identifier) instead of its fingerprint is not built yet: a renewed certificate needs a
//!   config change today.
//!
//! A tenant sees only messages and events for its own AGB codes. Acting for another AGB code
//! is refused with PERMISSION_DENIED before anything is queued: VECOZO would refuse the
//! message anyway with BRS03 ("indiener is niet gemachtigd").

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::config::TenantConfig;
use crate::error::Error;

/// SHA-256 of `input` as lower-case hex.
pub fn sha256_hex(input: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, input);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in digest.as_ref() {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    hex
}

/// The digest of an API token as the configuration holds it (`api_token_sha256`).
pub fn token_digest(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The configured name; used as the key of idempotency records and acknowledgements.
    pub name: String,
    agb_codes: BTreeSet<String>,
    all_agb_codes: bool,
}

impl Tenant {
    /// Whether the tenant may act for (and see) `agb`.
    pub fn may_act_for(&self, agb: &str) -> bool {
        self.all_agb_codes || self.agb_codes.contains(agb)
    }

    /// [`Error::PermissionDenied`] unless the tenant may act for `agb`.
    pub fn check_agb(&self, agb: &str) -> Result<(), Error> {
        if self.may_act_for(agb) {
            Ok(())
        } else {
            Err(Error::PermissionDenied { agb: agb.into() })
        }
    }
}

/// The tenants of the configuration, looked up by credential.
#[derive(Debug, Default)]
pub struct Tenants {
    by_token: HashMap<String, Arc<Tenant>>,
    by_certificate: HashMap<String, Arc<Tenant>>,
}

impl Tenants {
    /// Builds the lookup tables from the configured tenants.
    pub fn new(configs: &[TenantConfig]) -> Tenants {
        let mut t = Tenants::default();
        for c in configs {
            let tenant = Arc::new(Tenant {
                name: c.name.clone(),
                agb_codes: c.agb_codes.iter().cloned().collect(),
                all_agb_codes: c.all_agb_codes,
            });
            if let Some(d) = &c.api_token_sha256 {
                t.by_token.insert(d.to_ascii_lowercase(), tenant.clone());
            }
            if let Some(d) = &c.certificate_sha256 {
                t.by_certificate.insert(d.to_ascii_lowercase(), tenant);
            }
        }
        t
    }

    /// The tenant whose API token is `token`.
    pub fn by_token(&self, token: &str) -> Result<Arc<Tenant>, Error> {
        self.by_token
            .get(&token_digest(token.trim()))
            .cloned()
            .ok_or_else(|| Error::Unauthenticated("unknown API token".into()))
    }

    /// The tenant whose client certificate is `der` (DER encoding).
    pub fn by_certificate(&self, der: &[u8]) -> Result<Arc<Tenant>, Error> {
        self.by_certificate
            .get(&sha256_hex(der))
            .cloned()
            .ok_or_else(|| Error::Unauthenticated("client certificate belongs to no tenant".into()))
    }

    /// The tenant of a request: by the `authorization: Bearer` token, else by the first
    /// client certificate of the TLS connection. The operator console signs in through
    /// [`Tenants::by_token`] and [`Tenants::by_certificate`], as this does.
    pub fn authenticate<T>(&self, request: &tonic::Request<T>) -> Result<Arc<Tenant>, Error> {
        if let Some(value) = request.metadata().get("authorization") {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| {
                    Error::Unauthenticated("authorization must be `Bearer <token>`".into())
                })?;
            return self.by_token(token);
        }
        if let Some(certs) = request
            .extensions()
            .get::<crate::listen::ConnInfo>()
            .and_then(|i| i.peer_certs.as_ref())
            && let Some(cert) = certs.first()
        {
            return self.by_certificate(cert.as_ref());
        }
        Err(Error::Unauthenticated(
            "no credentials: send `authorization: Bearer <token>` or a client certificate".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_matches_the_fips_180_examples() {
        // FIPS 180-2, appendix B.1 ("abc") and the digest of the empty message.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
