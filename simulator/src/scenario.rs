//! The scenario file (TOML): who is connected, what they accept, how fast time runs and how
//! long the ketencontrole takes. `simulator/scenario.example.toml` documents every key;
//! [`Scenario::default`] is the same as that file: a well-run municipality.
//!
//! The file is parsed once at start-up into these typed structs; an error names the key.

use std::path::Path;

use chrono::{DateTime, Utc};
use ketenpoort_messages::{Law, MessageKind, MessageType};
use serde::Deserialize;

use crate::error::Error;

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Clock, limits and certificates.
    #[serde(default)]
    pub simulator: SimulatorSettings,
    /// Timing of the ketencontrole and the delivery.
    #[serde(default)]
    pub ketencontrole: KetencontroleSettings,
    /// Care providers (aanbieders), each with an AGB code.
    #[serde(default, rename = "aanbieder")]
    pub aanbieders: Vec<AanbiederSpec>,
    /// Municipalities (gemeenten), each with a CBS code.
    #[serde(default, rename = "gemeente")]
    pub gemeenten: Vec<GemeenteSpec>,
    /// Submitting parties other than the providers themselves (software vendors,
    /// "tussenpartijen"), with their toestemmingsverklaringen.
    #[serde(default, rename = "indiener")]
    pub indieners: Vec<IndienerSpec>,
}

/// `[simulator]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorSettings {
    /// Simulated time at start-up (RFC 3339); default: the real time.
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    /// Simulated seconds per real second: 1 real time, 0 frozen (time moves only through the
    /// admin endpoint), 3600 an hour per second.
    #[serde(default = "one")]
    pub speed: f64,
    /// How often (real milliseconds) due status transitions are processed.
    #[serde(default = "default_tick_ms")]
    pub tick_interval_ms: u64,
    /// Largest payload accepted, in bytes (BRS06). VECOZO: 25 MB for iJw/iWmo.
    #[serde(default = "default_max_payload")]
    pub max_payload_bytes: usize,
    /// Password of the generated PKCS#12 files.
    #[serde(default = "default_password")]
    pub pkcs12_password: String,
    /// Extra DNS names or IP addresses for the server certificate (besides localhost,
    /// 127.0.0.1 and ::1).
    #[serde(default)]
    pub server_names: Vec<String>,
}

/// `[ketencontrole]`: simulated seconds between the status transitions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KetencontroleSettings {
    /// Ontvangen → WordtVerwerkt.
    #[serde(default = "default_start")]
    pub start_after_seconds: u64,
    /// WordtVerwerkt → VerwerkingVoltooid or AfgekeurdDoorDienst ("enige minuten").
    #[serde(default = "default_duration")]
    pub duration_seconds: u64,
    /// VerwerkingVoltooid → WordtAangeboden.
    #[serde(default = "default_offer")]
    pub offer_after_seconds: u64,
    /// WordtAangeboden → Bezorgd for messages to a municipality: the time the GGK takes to
    /// fetch them. Messages to a provider become Bezorgd when it confirms receipt (DELETE).
    #[serde(default = "default_pickup")]
    pub gemeente_pickup_seconds: u64,
}

/// `[[aanbieder]]`: a care provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AanbiederSpec {
    /// AGB code, 8 digits.
    pub agb: String,
    /// The rol VECOZO knows the AGB code under (Instelling, Zorgverlener or Praktijk);
    /// the envelope's afzender.rol must match (BRS01).
    #[serde(default = "default_rol")]
    pub rol: String,
    /// Whether the provider has its own system certificate (subject CN = the AGB code); it
    /// then is an indiener for itself.
    #[serde(default = "yes")]
    pub systeemcertificaat: bool,
}

/// `[[gemeente]]`: a municipality.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemeenteSpec {
    /// CBS gemeentecode, 4 digits.
    pub code: String,
    /// The rol of the geadresseerde in the envelope (BRS05 when another one is used).
    #[serde(default = "default_gemeente_rol")]
    pub rol: String,
    /// Whether the municipality is connected to VECOZO (BRS04 when not).
    #[serde(default = "yes")]
    pub aangesloten: bool,
    /// The message kinds it receives, e.g. `["JW315", "JW323"]` (BRS05 for others).
    /// Default: every provider-sent kind of both laws.
    #[serde(default)]
    pub accepteert: Option<Vec<String>>,
}

/// `[[indiener]]`: a submitting party with its own system certificate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndienerSpec {
    /// Identifier; the subject CN of its generated certificate.
    pub naam: String,
    /// AGB codes it holds a toestemmingsverklaring for (BRS03 for others). It pulls the
    /// messages addressed to these AGB codes.
    #[serde(default)]
    pub toestemmingen: Vec<String>,
}

fn one() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn default_tick_ms() -> u64 {
    200
}
fn default_max_payload() -> usize {
    ketenpoort_messages::VECOZO_MAX_PAYLOAD_BYTES
}
fn default_password() -> String {
    "ketenpoort-sim".into()
}
fn default_start() -> u64 {
    5
}
fn default_duration() -> u64 {
    120
}
fn default_offer() -> u64 {
    5
}
fn default_pickup() -> u64 {
    60
}
fn default_rol() -> String {
    "Instelling".into()
}
fn default_gemeente_rol() -> String {
    "Gemeente".into()
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        SimulatorSettings {
            start: None,
            speed: one(),
            tick_interval_ms: default_tick_ms(),
            max_payload_bytes: default_max_payload(),
            pkcs12_password: default_password(),
            server_names: Vec::new(),
        }
    }
}

impl Default for KetencontroleSettings {
    fn default() -> Self {
        KetencontroleSettings {
            start_after_seconds: default_start(),
            duration_seconds: default_duration(),
            offer_after_seconds: default_offer(),
            gemeente_pickup_seconds: default_pickup(),
        }
    }
}

/// The default scenario, the same as `scenario.example.toml`.
pub const DEFAULT_SCENARIO: &str = include_str!("../scenario.example.toml");

impl Default for Scenario {
    /// A well-run municipality: the example scenario.
    fn default() -> Self {
        // The example file is part of the crate and tested to parse; fall back to an empty
        // scenario rather than panic should it ever not.
        Scenario::from_toml(DEFAULT_SCENARIO).unwrap_or_else(|_| Scenario {
            simulator: SimulatorSettings::default(),
            ketencontrole: KetencontroleSettings::default(),
            aanbieders: Vec::new(),
            gemeenten: Vec::new(),
            indieners: Vec::new(),
        })
    }
}

impl Scenario {
    /// Parses and checks a scenario.
    pub fn from_toml(text: &str) -> Result<Scenario, Error> {
        let scenario: Scenario =
            toml::from_str(text).map_err(|e| Error::Scenario(e.to_string()))?;
        scenario.check()?;
        Ok(scenario)
    }

    /// Reads, parses and checks a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        Scenario::from_toml(&text)
    }

    fn check(&self) -> Result<(), Error> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        for (i, a) in self.aanbieders.iter().enumerate() {
            if !digits(&a.agb, 8) {
                return Err(Error::Scenario(format!(
                    "aanbieder[{i}].agb must be 8 digits"
                )));
            }
        }
        for (i, g) in self.gemeenten.iter().enumerate() {
            if !digits(&g.code, 4) {
                return Err(Error::Scenario(format!(
                    "gemeente[{i}].code must be 4 digits"
                )));
            }
            for k in g.accepteert.iter().flatten() {
                if MessageKind::parse(k).is_none() {
                    return Err(Error::Scenario(format!(
                        "gemeente[{i}].accepteert: '{k}' is not a message kind like JW315"
                    )));
                }
            }
        }
        for (i, ind) in self.indieners.iter().enumerate() {
            let ok = !ind.naam.is_empty()
                && ind
                    .naam
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(Error::Scenario(format!(
                    "indiener[{i}].naam must be letters, digits, '-' or '_' (it names files)"
                )));
            }
        }
        if !(self.simulator.speed.is_finite() && self.simulator.speed >= 0.0) {
            return Err(Error::Scenario(
                "simulator.speed must be a number ≥ 0".into(),
            ));
        }
        Ok(())
    }
}

/// Every kind a provider sends to a municipality, both laws: what a gemeente accepts by
/// default.
pub fn provider_sent_kinds() -> Vec<MessageKind> {
    let types = [
        MessageType::M302,
        MessageType::M305,
        MessageType::M307,
        MessageType::M315,
        MessageType::M317,
        MessageType::M320,
        MessageType::M323,
    ];
    Law::ALL
        .into_iter()
        .flat_map(|law| types.into_iter().map(move |t| MessageKind::new(law, t)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_the_default_and_parses() {
        let s = Scenario::from_toml(DEFAULT_SCENARIO).expect("example parses");
        assert!(!s.aanbieders.is_empty());
        assert!(!s.gemeenten.is_empty());
    }

    #[test]
    fn errors_name_the_key() {
        let e = Scenario::from_toml("[[aanbieder]]\nagb = \"123\"\n").expect_err("bad agb");
        assert!(e.to_string().contains("aanbieder[0].agb"), "{e}");
        let e = Scenario::from_toml("[simulator]\nsped = 2\n").expect_err("typo");
        assert!(e.to_string().contains("sped"), "{e}");
    }
}
