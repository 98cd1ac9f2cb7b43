//! [`Clients`]: one [`VecozoClient`] per configured system certificate, chosen by the AGB
//! code of the message's afzender — what the outbox worker and the collection loop hold.
//!
//! Pulling is per certificate, not per AGB code: VECOZO lists to an indiener the messages of
//! every AGB code it acts for, and only one system may pull for an AGB code (two pullers take
//! each other's messages). So the collection loop runs one round per [`Clients::pullers`]
//! entry.

use std::collections::BTreeMap;

use tokio_rustls::rustls::RootCertStore;

use super::client::{Timeouts, VecozoClient};
use super::environment::Environment;
use super::error::Error;
use super::identity::Identities;

/// The clients of all configured certificates.
#[derive(Debug, Clone)]
pub struct Clients {
    default: Option<VecozoClient>,
    per_agb: BTreeMap<String, VecozoClient>,
}

impl Clients {
    /// A client for every certificate of `identities`.
    pub fn new(
        environment: &Environment,
        identities: &Identities,
        roots: &RootCertStore,
        timeouts: Timeouts,
    ) -> Result<Clients, Error> {
        let mut default = None;
        let mut per_agb = BTreeMap::new();
        for cert in identities.iter() {
            let client = VecozoClient::for_certificate(environment, cert, roots, timeouts)?;
            if cert.is_default() {
                default = Some(client);
            } else {
                per_agb.insert(cert.label().to_owned(), client);
            }
        }
        Ok(Clients { default, per_agb })
    }

    /// The client that pushes for `agb`: its own certificate's, else the default's.
    pub fn for_agb(&self, agb: &str) -> Result<&VecozoClient, Error> {
        self.per_agb
            .get(agb)
            .or(self.default.as_ref())
            .ok_or_else(|| Error::NoCertificate {
                agb: agb.to_owned(),
            })
    }

    /// The label of the certificate that pushes for `agb`: the AGB code of its own
    /// certificate, [`super::identity::DEFAULT_LABEL`] for the default, `None` for neither.
    pub fn label_for<'a>(&'a self, agb: &'a str) -> Option<&'a str> {
        if self.per_agb.contains_key(agb) {
            Some(agb)
        } else {
            self.default
                .as_ref()
                .map(|_| super::identity::DEFAULT_LABEL)
        }
    }

    /// One client per certificate, labelled with its AGB code or `default`: the pullers.
    pub fn pullers(&self) -> impl Iterator<Item = (&str, &VecozoClient)> {
        self.default
            .iter()
            .map(|c| (super::identity::DEFAULT_LABEL, c))
            .chain(self.per_agb.iter().map(|(agb, c)| (agb.as_str(), c)))
    }
}
