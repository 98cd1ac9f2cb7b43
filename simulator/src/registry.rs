//! Who is connected to the simulated VECOZO: providers (AGB code + rol), municipalities
//! (gemeentecode, rol, accepted message kinds), the certificate → indiener mapping and the
//! toestemmingsverklaringen. Built once from the [`Scenario`].

use std::collections::{BTreeMap, BTreeSet};

use ketenpoort_messages::MessageKind;

use crate::scenario::{Scenario, provider_sent_kinds};

/// A care provider known to VECOZO.
#[derive(Debug, Clone)]
pub struct Aanbieder {
    /// AGB code.
    pub agb: String,
    /// The rol it is registered under.
    pub rol: String,
}

/// A municipality known to VECOZO.
#[derive(Debug, Clone)]
pub struct Gemeente {
    /// CBS gemeentecode.
    pub code: String,
    /// Its rol as geadresseerde.
    pub rol: String,
    /// Connected (aangesloten): messages to it are accepted at all.
    pub aangesloten: bool,
    /// The message kinds it receives.
    pub accepteert: BTreeSet<MessageKind>,
}

/// A submitting party (indiener): whoever holds a system certificate.
#[derive(Debug, Clone)]
pub struct Indiener {
    /// Identifier, equal to its certificate's subject CN.
    pub naam: String,
    /// The AGB codes it may submit for and pull for: its own (a provider's certificate) and
    /// those it holds a toestemmingsverklaring for.
    pub namens: BTreeSet<String>,
}

/// Where a geadresseerde lives.
#[derive(Debug, Clone, Copy)]
pub enum Addressee<'a> {
    /// A municipality: its messages go to the simulated GGK (the municipality bot).
    Gemeente(&'a Gemeente),
    /// A provider: its messages go to its pull queue.
    Aanbieder(&'a Aanbieder),
}

/// The party registry.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    aanbieders: BTreeMap<String, Aanbieder>,
    gemeenten: BTreeMap<String, Gemeente>,
    indieners: BTreeMap<String, Indiener>,
}

impl Registry {
    /// The registry a scenario describes.
    pub fn from_scenario(s: &Scenario) -> Registry {
        let mut r = Registry::default();
        for a in &s.aanbieders {
            r.aanbieders.insert(
                a.agb.clone(),
                Aanbieder {
                    agb: a.agb.clone(),
                    rol: a.rol.clone(),
                },
            );
            if a.systeemcertificaat {
                r.indieners.insert(
                    a.agb.clone(),
                    Indiener {
                        naam: a.agb.clone(),
                        namens: BTreeSet::from([a.agb.clone()]),
                    },
                );
            }
        }
        for g in &s.gemeenten {
            let accepteert = match &g.accepteert {
                Some(list) => list.iter().filter_map(|k| MessageKind::parse(k)).collect(),
                None => provider_sent_kinds().into_iter().collect(),
            };
            r.gemeenten.insert(
                g.code.clone(),
                Gemeente {
                    code: g.code.clone(),
                    rol: g.rol.clone(),
                    aangesloten: g.aangesloten,
                    accepteert,
                },
            );
        }
        for i in &s.indieners {
            r.indieners.insert(
                i.naam.clone(),
                Indiener {
                    naam: i.naam.clone(),
                    namens: i.toestemmingen.iter().cloned().collect(),
                },
            );
        }
        r
    }

    /// The indiener whose certificate has subject CN `cn`.
    pub fn indiener(&self, cn: &str) -> Option<&Indiener> {
        self.indieners.get(cn)
    }

    /// Every indiener, for generating their certificates.
    pub fn indieners(&self) -> impl Iterator<Item = &Indiener> {
        self.indieners.values()
    }

    /// The provider with `agb`.
    pub fn aanbieder(&self, agb: &str) -> Option<&Aanbieder> {
        self.aanbieders.get(agb)
    }

    /// The municipality with `code`.
    pub fn gemeente(&self, code: &str) -> Option<&Gemeente> {
        self.gemeenten.get(code)
    }

    /// Every municipality.
    pub fn gemeenten(&self) -> impl Iterator<Item = &Gemeente> {
        self.gemeenten.values()
    }

    /// The party a geadresseerde code names (gemeentecode or AGB code).
    pub fn addressee(&self, code: &str) -> Option<Addressee<'_>> {
        if let Some(g) = self.gemeenten.get(code) {
            return Some(Addressee::Gemeente(g));
        }
        self.aanbieders.get(code).map(Addressee::Aanbieder)
    }
}
