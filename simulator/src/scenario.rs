//! The scenario file (TOML): who is connected, what they accept, how fast time runs and how
//! long the ketencontrole takes. `simulator/scenario.example.toml` documents every key;
//! [`Scenario::default`] is the same as that file: a well-run municipality.
//!
//! The file is parsed once at start-up into these typed structs; an error names the key.

use std::path::Path;

use chrono::{DateTime, Utc};
use ketenpoort_messages::codes::RedenAfwijzingVerzoek;
use ketenpoort_messages::tariff::{TariffConfig, TariffTable};
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
    /// How the municipalities answer (the municipality bot).
    #[serde(default)]
    pub gemeentebot: BotSettings,
    /// Faults to inject (storingen): HTTP errors, slow responses, resets, refused handshakes,
    /// maintenance windows, and late, missing, duplicate or unlinked answers.
    #[serde(default, rename = "storing")]
    pub storingen: Vec<Fault>,
    /// The municipalities' contract tariffs (`[tarieven]`: `regions`, `[[tarieven.file]]` CSV
    /// lists and `[[tarieven.tariff]]` rows, as the gateway's `[tariffs]`; see
    /// `ketenpoort_messages::tariff`). The bot judges a 323's amounts against them (TR346
    /// 9346, TR418 0611); without a tariff for a line, TR346 as far as the message shows.
    #[serde(default)]
    pub tarieven: TariffConfig,
    /// The table built from `tarieven` when the scenario is loaded.
    #[serde(skip)]
    pub tarieftabel: TariffTable,
}

/// `[gemeentebot]`: how the simulated municipalities answer what providers send them.
///
/// Delays are in working days (werkdagen: no weekends, no Dutch public holidays) on the
/// simulated clock: an answer due after `n` working days is sent on the `n`th working day after
/// the day the message reached the municipality, at the same time of day; `0` sends it at once.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotSettings {
    /// Whether the municipalities answer at all.
    #[serde(default = "yes")]
    pub actief: bool,
    /// Working days until a retour (316, 318, 306, 308) is sent.
    #[serde(default = "one_day")]
    pub retour_werkdagen: u32,
    /// Working days until the 301 or 319 that follows a 315 or 317 is sent.
    #[serde(default = "two_days")]
    pub toewijzing_werkdagen: u32,
    /// Working days until the 325 on a 323 is sent.
    #[serde(default = "five_days")]
    pub declaratie_werkdagen: u32,
    /// Verwijzer types (e.g. `["06", "07"]`) for which a requested product is refused with a
    /// 319 (VerzoekAntwoord 1, afgewezen) instead of allocated in the 301.
    #[serde(default)]
    pub weiger_verwijzertypen: Vec<String>,
    /// What a 317 (request for change) gets after its 318: `"toewijzen"` a 301 with the
    /// requested changes, `"afwijzen"` a 319.
    #[serde(default)]
    pub wijzigingsverzoeken: ChangeAnswer,
    /// The first ToewijzingNummer the municipalities hand out.
    #[serde(default = "first_toewijzing")]
    pub eerste_toewijzingnummer: u64,
    /// The number of the first Identificatie (`GGK` and nine digits) the municipalities'
    /// messages carry. A receiver takes a second message with an Identificatie it has seen
    /// from the same sender for a redelivery, so a simulator restarted against the same
    /// receiver must not begin at 1 again (the gateway's dev mode keeps it per data
    /// directory).
    #[serde(default = "first_identificatie")]
    pub eerste_identificatie: u64,
    /// XsdVersie (BasisschemaXsdVersie and BerichtXsdVersie) in the messages the bot writes.
    #[serde(default = "default_xsd")]
    pub xsd_versie: String,
    /// XsltVersie named in retours and 325s that reject a message on in-message rules (0001).
    #[serde(default = "default_xsd")]
    pub xslt_versie: String,
    /// RedenAfwijzingVerzoek of every 319 that refuses (code 1–8 of the list; default `7`).
    #[serde(default = "default_refusal")]
    pub reden_afwijzing: String,
    /// With `reden_afwijzing = "8"` (woonplaatsbeginsel, iJw): the CBS code of the
    /// municipality responsible instead (Woonplaatsbeginsel/Gemeente, TR377).
    #[serde(default)]
    pub woonplaatsbeginsel: Option<String>,
    /// Answer every 315 and 317 first with a 319 "aanvraag in onderzoek" (VerzoekAntwoord 2),
    /// then, `onderzoek_werkdagen` later, with the decision (301 or 319 afgewezen); at most
    /// one such 319 per request (TR360, TR365).
    #[serde(default)]
    pub in_onderzoek: bool,
    /// Working days between the 319 "in onderzoek" and the decision.
    #[serde(default = "ten_days")]
    pub onderzoek_werkdagen: u32,
}

/// What a request for change (317) gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeAnswer {
    /// A 301 with the requested changes.
    #[default]
    Toewijzen,
    /// A 319 refusing the request.
    Afwijzen,
}

/// The VECOZO APIs a request fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// REST push (`POST …/rest-push/v1/berichten`).
    Push,
    /// REST pull (`…/rest-pull/v1/…`: listing, search, payload, confirm).
    Pull,
    /// Berichtstatus (`…/berichtstatus/rest-pull/v3/…`).
    Status,
}

/// `[[storing]]`: one fault, by `soort`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "soort", rename_all = "kebab-case")]
pub enum Fault {
    /// Answer requests with an HTTP error status (`status`, default 503) instead of handling
    /// them.
    HttpFout(RequestFault),
    /// Wait `vertraging_ms` real milliseconds before handling a request.
    Traag(RequestFault),
    /// Close the connection without any HTTP response.
    Verbreek(RequestFault),
    /// A maintenance window: every request between `van` and `tot` (simulated time) gets 503
    /// with a Retry-After header.
    Onderhoud(RequestFault),
    /// Refuse the TLS handshake of clients whose certificate subject CN is listed.
    HanddrukWeigering(HandshakeFault),
    /// The municipality never sends these answers.
    GeenAntwoord(AnswerFault),
    /// The municipality sends these answers `extra_werkdagen` working days late.
    TeLaat(AnswerFault),
    /// The municipality sends every 325 twice (two messages, the same answer): what VECOZO
    /// calls IB019 ("Declaratie-antwoord reeds ingediend") on the municipality's side, passed
    /// on to the provider here.
    #[serde(rename = "dubbel-325")]
    Dubbel325(EmptyFault),
    /// The municipality sends these answers without alsAntwoordOp in the envelope.
    ZonderAlsAntwoordOp(AnswerFault),
}

/// When and to which requests a request fault applies. With neither `elke` nor `kans` it
/// applies to every matching request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFault {
    /// The APIs it applies to; default all three.
    #[serde(default)]
    pub api: Option<Vec<Api>>,
    /// `http-fout`: the status to answer with (500–599); default 503.
    #[serde(default)]
    pub status: Option<u16>,
    /// `traag`: real milliseconds to wait before answering.
    #[serde(default)]
    pub vertraging_ms: Option<u64>,
    /// Every Nth matching request (the Nth, 2Nth, …), counted per fault.
    #[serde(default)]
    pub elke: Option<u64>,
    /// A fraction (0–1) of the matching requests, chosen by a generator seeded with `zaad`:
    /// the same scenario gives the same requests every run.
    #[serde(default)]
    pub kans: Option<f64>,
    /// Seed for `kans`.
    #[serde(default)]
    pub zaad: u64,
    /// Start of the window (simulated time, RFC 3339); default: always.
    #[serde(default)]
    pub van: Option<DateTime<Utc>>,
    /// End of the window (exclusive); default: for ever.
    #[serde(default)]
    pub tot: Option<DateTime<Utc>>,
    /// `http-fout` with 503: the Retry-After header in seconds, if any.
    #[serde(default)]
    pub retry_after_seconden: Option<u64>,
}

/// `handdruk-weigering`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandshakeFault {
    /// Certificate subject CNs (AGB codes or indiener names) whose handshake fails.
    pub certificaten: Vec<String>,
}

/// `geen-antwoord`, `te-laat`, `zonder-als-antwoord-op`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerFault {
    /// The answers concerned, by number for both laws (`"316"`, `"301"`, `"325"`) or by kind
    /// (`"JW316"`, `"WMO325"`).
    pub berichten: Vec<String>,
    /// `te-laat`: working days added to the normal delay.
    #[serde(default)]
    pub extra_werkdagen: u32,
}

/// A fault without settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyFault {}

impl AnswerFault {
    /// Whether this fault names `kind` (by kind or by number).
    pub fn names(&self, kind: MessageKind) -> bool {
        let number = kind.message_type.number().to_string();
        let code = kind.code();
        self.berichten.iter().any(|b| *b == number || *b == code)
    }
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
    /// Whether the ketencontrole applies the in-message rules (BRS28). With `false` a message
    /// that breaks them reaches the municipality, which answers it with retourcode 0001 (a
    /// retour, or a 325 for a 323), as municipalities that run the XSLT check themselves do.
    #[serde(default = "yes")]
    pub regels_controleren: bool,
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
fn one_day() -> u32 {
    1
}
fn two_days() -> u32 {
    2
}
fn five_days() -> u32 {
    5
}
fn ten_days() -> u32 {
    10
}
fn default_refusal() -> String {
    "7".into()
}
fn first_toewijzing() -> u64 {
    100_000_001
}
fn first_identificatie() -> u64 {
    1
}
fn default_xsd() -> String {
    "1.0.0".into()
}

impl Default for BotSettings {
    fn default() -> Self {
        BotSettings {
            actief: true,
            retour_werkdagen: one_day(),
            toewijzing_werkdagen: two_days(),
            declaratie_werkdagen: five_days(),
            weiger_verwijzertypen: Vec::new(),
            wijzigingsverzoeken: ChangeAnswer::default(),
            eerste_toewijzingnummer: first_toewijzing(),
            eerste_identificatie: first_identificatie(),
            xsd_versie: default_xsd(),
            xslt_versie: default_xsd(),
            reden_afwijzing: default_refusal(),
            woonplaatsbeginsel: None,
            in_onderzoek: false,
            onderzoek_werkdagen: ten_days(),
        }
    }
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
            regels_controleren: true,
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
            gemeentebot: BotSettings::default(),
            storingen: Vec::new(),
            tarieven: TariffConfig::default(),
            tarieftabel: TariffTable::empty(),
        })
    }
}

impl Scenario {
    /// Parses and checks a scenario, and loads its tariff table (the files of `[tarieven]`
    /// are read from the working directory).
    pub fn from_toml(text: &str) -> Result<Scenario, Error> {
        let mut scenario: Scenario =
            toml::from_str(text).map_err(|e| Error::Scenario(e.to_string()))?;
        scenario.check()?;
        scenario.tarieftabel = TariffTable::load(&scenario.tarieven, |path| {
            std::fs::read_to_string(path).map_err(|e| e.to_string())
        })
        .map_err(|e| Error::Scenario(format!("tarieven: {e}")))?;
        Ok(scenario)
    }

    /// The scenario with `tarieven` as its contract tariffs (loaded, so checked).
    pub fn with_tariffs(mut self, tarieven: TariffConfig) -> Result<Scenario, Error> {
        self.tarieftabel = TariffTable::load(&tarieven, |path| {
            std::fs::read_to_string(path).map_err(|e| e.to_string())
        })
        .map_err(|e| Error::Scenario(format!("tarieven: {e}")))?;
        self.tarieven = tarieven;
        Ok(self)
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
        let bot = &self.gemeentebot;
        let version = |v: &str| {
            let parts: Vec<&str> = v.split('.').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| p.len() == 1 && p.bytes().all(|b| b.is_ascii_digit()))
        };
        if !version(&bot.xsd_versie) || !version(&bot.xslt_versie) {
            return Err(Error::Scenario(
                "gemeentebot.xsd_versie and xslt_versie must look like 1.0.0".into(),
            ));
        }
        match RedenAfwijzingVerzoek::from_code(&bot.reden_afwijzing) {
            None => {
                return Err(Error::Scenario(format!(
                    "gemeentebot.reden_afwijzing: '{}' is not a RedenAfwijzingVerzoek code (1–8)",
                    bot.reden_afwijzing
                )));
            }
            Some(RedenAfwijzingVerzoek::R8) => {
                if !bot
                    .woonplaatsbeginsel
                    .as_deref()
                    .is_some_and(|g| digits(g, 4))
                {
                    return Err(Error::Scenario(
                        "gemeentebot.reden_afwijzing = \"8\" (woonplaatsbeginsel) needs \
                         gemeentebot.woonplaatsbeginsel, a CBS code of 4 digits"
                            .into(),
                    ));
                }
            }
            Some(_) => {
                if bot.woonplaatsbeginsel.is_some() {
                    return Err(Error::Scenario(
                        "gemeentebot.woonplaatsbeginsel only goes with reden_afwijzing = \"8\""
                            .into(),
                    ));
                }
            }
        }
        if !(1..=999_999_999).contains(&bot.eerste_identificatie) {
            return Err(Error::Scenario(
                "gemeentebot.eerste_identificatie must be 1 to 999999999".into(),
            ));
        }
        if !(1..=999_999_999).contains(&bot.eerste_toewijzingnummer) {
            return Err(Error::Scenario(
                "gemeentebot.eerste_toewijzingnummer must be 1 to 999999999".into(),
            ));
        }
        for (i, f) in self.storingen.iter().enumerate() {
            check_fault(i, f)?;
        }
        Ok(())
    }
}

fn check_fault(i: usize, f: &Fault) -> Result<(), Error> {
    let err = |m: &str| Err(Error::Scenario(format!("storing[{i}]: {m}")));
    match f {
        Fault::HttpFout(r) | Fault::Traag(r) | Fault::Verbreek(r) | Fault::Onderhoud(r) => {
            if r.elke == Some(0) {
                return err("elke must be 1 or more");
            }
            if r.kans.is_some_and(|k| !(0.0..=1.0).contains(&k)) {
                return err("kans must be between 0 and 1");
            }
            if let (Some(van), Some(tot)) = (r.van, r.tot)
                && tot <= van
            {
                return err("tot must be after van");
            }
            match f {
                Fault::HttpFout(_) if r.status.is_some_and(|s| !(400..=599).contains(&s)) => {
                    err("status must be an error status (400–599)")
                }
                Fault::Traag(_) if r.vertraging_ms.is_none() => err("traag needs vertraging_ms"),
                Fault::Onderhoud(_) if r.van.is_none() || r.tot.is_none() => {
                    err("onderhoud needs van and tot")
                }
                _ => Ok(()),
            }
        }
        Fault::GeenAntwoord(a) | Fault::TeLaat(a) | Fault::ZonderAlsAntwoordOp(a) => {
            for b in &a.berichten {
                let known = MessageKind::parse(b).is_some()
                    || b.parse::<u16>()
                        .ok()
                        .and_then(MessageType::from_number)
                        .is_some();
                if !known {
                    return err(&format!("'{b}' is not a message like 316 or JW316"));
                }
            }
            Ok(())
        }
        Fault::HanddrukWeigering(_) | Fault::Dubbel325(_) => Ok(()),
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
    fn the_commented_fault_examples_parse() {
        let (_, faults) = DEFAULT_SCENARIO
            .split_once("# Faults (storingen)")
            .expect("fault section");
        let mut text = String::from(DEFAULT_SCENARIO);
        for line in faults.lines() {
            let Some(rest) = line.strip_prefix("# ") else {
                continue;
            };
            let key = rest.split_once(" = ").is_some_and(|(k, _)| {
                !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            });
            if rest.starts_with("[[storing]]") || key {
                text.push_str(rest);
                text.push('\n');
            }
        }
        let s = Scenario::from_toml(&text).expect("examples parse");
        assert_eq!(s.storingen.len(), 9);
    }

    #[test]
    fn the_commented_tariff_example_parses_and_loads() {
        let (_, rest) = DEFAULT_SCENARIO
            .split_once("# [[tarieven.tariff]]")
            .expect("tariff example");
        let mut text = DEFAULT_SCENARIO.replace("[tarieven]\n", "");
        text.push_str("[[tarieven.tariff]]\n");
        for line in rest.lines().skip(1) {
            let Some(row) = line.strip_prefix("# ") else {
                break;
            };
            if row.trim().is_empty() {
                break;
            }
            text.push_str(row);
            text.push('\n');
        }
        let s = Scenario::from_toml(&text).expect("the example parses");
        assert_eq!(s.tarieftabel.len(), 1);
        assert_eq!(s.tarieftabel.tariffs()[0].contract.cents, 8724);
    }

    #[test]
    fn a_bad_tariff_row_names_the_entry() {
        let text = format!(
            "{}\n[[tarieven.tariff]]\ngemeente = \"268\"\nwet = \"ijw\"\nproductcode = \"45A48\"\n\
             eenheid = \"uur\"\ntarief_eurocent = 8724\njaar = 2025\n",
            DEFAULT_SCENARIO.replace("[tarieven]\n", "")
        );
        let e = Scenario::from_toml(&text).expect_err("bad gemeente");
        assert!(
            e.to_string()
                .contains("tariff entry 1 of the configuration: gemeente '268'"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_key() {
        let e = Scenario::from_toml("[[aanbieder]]\nagb = \"123\"\n").expect_err("bad agb");
        assert!(e.to_string().contains("aanbieder[0].agb"), "{e}");
        let e = Scenario::from_toml("[simulator]\nsped = 2\n").expect_err("typo");
        assert!(e.to_string().contains("sped"), "{e}");
        let e = Scenario::from_toml("[[storing]]\nsoort = \"traag\"\n").expect_err("no delay");
        assert!(e.to_string().contains("storing[0]"), "{e}");
        let e =
            Scenario::from_toml("[[storing]]\nsoort = \"geen-antwoord\"\nberichten = [\"999\"]\n")
                .expect_err("no such message");
        assert!(e.to_string().contains("999"), "{e}");
    }
}
