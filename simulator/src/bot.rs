//! The municipality (GGK) bot: answers what providers send to a municipality as a well-run
//! municipality would, on the simulated clock, with the faults the scenario asks for.
//!
//! | received | answered with |
//! |---|---|
//! | 315 | 316, then (unless the 316 has a finding) a 301 allocating what was requested, or a 319 afgewezen for products whose verwijzer type the scenario refuses; with `in_onderzoek` a 319 "in onderzoek" first |
//! | 317 | 318, then (unless the 318 has a finding) a 301 with the requested changes (IV093: an allocation with a budget or a total over its period keeps its number and start) or a 319 (`wijzigingsverzoeken = "afwijzen"`); with `in_onderzoek` a 319 "in onderzoek" first |
//! | 305 / 307 | 306 / 308 |
//! | 323 | 325: 0001 at header level when an in-message rule is broken; otherwise every prestatie judged by [`rules::cross::check_against`] against the bot's own [`MemoryHistory`], TR135 against the simulated date and TR346/TR418 against the scenario's tariff table ([`rules::amounts`]) — fully accepted ⇒ header 0200 + DeclaratieAntwoord 8001, else only the rejected prestaties with the retourcodes of the rules that fired (IV087, TR342) |
//! | 302 / 320 | nothing (recorded) |
//!
//! Retours (306, 308, 316, 318) follow IV028: only the header with 0001 when an in-message
//! rule is broken; otherwise the message is judged on the cross-message rules against the
//! history and on TR135 against the simulated date ([`retour_body`]): a header finding gives
//! only the header with its code, a class finding every class with its code or 0200, no
//! finding only the header. `simulator/RETOURCODES.md` ([`crate::retourcodes`]) lists every
//! code the bot can send.
//!
//! Every answer carries a fresh traceerId, the conversatieId of the message it answers and
//! `alsAntwoordOp` = that message's traceerId. Answers are decided when the message reaches the
//! municipality and sent after the scenario's delay in working days ([`BotSettings`]); the
//! history records what the bot received and sent at that moment, so the judgement of a 323
//! sees every 301 and 323 that came before it.
//!
//! The bot never logs a BSN or a name: only message kinds and traceerIds.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc};
use ketenpoort_messages::calendar::WorkingDays;
use ketenpoort_messages::codes::{
    AdresSoort, DebetCredit, Frequentie, Geslacht, LandCode, NaamGebruik, RedenAfwijzingVerzoek,
    RedenWijziging, RetourCode, VerzoekAntwoord,
};
use ketenpoort_messages::model::allocation::{AllocationClient, Contact, ToegewezenProduct};
use ketenpoort_messages::model::answer::Antwoord;
use ketenpoort_messages::model::answer::Woonplaatsbeginsel;
use ketenpoort_messages::model::basis::{
    Achternaam, Adres, BerichtIdentificatie, Geboortedatum, Huis, TotaalBedragMetDc, VolledigeNaam,
    XsdVersie,
};
use ketenpoort_messages::model::declaration::{Declaratie, DeclaratieAntwoord, DeclaratieClient};
use ketenpoort_messages::model::header::{DeclarationAnswerHeader, Header, RetourHeader};
use ketenpoort_messages::retour_body;
use ketenpoort_messages::rules::cross::{AllocationRecord, History, MemoryHistory, Scope};
use ketenpoort_messages::rules::{self, amounts, clock, cross};
use ketenpoort_messages::tariff::TariffTable;
use ketenpoort_messages::types::{
    GemeenteCode, Huisnummer, IdentificatieBericht, IdentificatieDeclaratie, Naam, Nummer,
    Plaatsnaam, Postcode, Referentie, Straatnaam, TotaalBedrag, Versie,
};
use ketenpoort_messages::{
    Content, DeclarationAnswer, Heen, Law, Message, MessageKind, MessageType, ReadLimits, Violation,
};
use serde::Serialize;
use uuid::Uuid;

use crate::scenario::{AnswerFault, BotSettings, ChangeAnswer, Fault, Scenario};
use crate::wire::{Berichtstroom, PushMetadata, Referentiegegevens, Relatie, Routeringgegevens};

/// A message the bot sends, due at a simulated time.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// When it is sent (simulated time).
    pub due: DateTime<Utc>,
    /// The envelope.
    pub metadata: PushMetadata,
    /// The XML.
    pub payload: Vec<u8>,
    /// Its kind.
    pub kind: MessageKind,
}

/// What the bot did, for `GET /admin/v1/tellingen`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BotCounts {
    /// Messages received per kind (e.g. `JW315`).
    pub ontvangen: BTreeMap<String, u64>,
    /// Answers sent per kind.
    pub verzonden: BTreeMap<String, u64>,
    /// Answers scheduled and not yet sent.
    pub gepland: u64,
    /// Answers left out by a `geen-antwoord` fault, per kind.
    pub weggelaten: BTreeMap<String, u64>,
    /// Received messages that could not be read (none expected: the ketencontrole refuses them).
    pub onleesbaar: u64,
}

/// A client as the municipality knows it from the provider's messages (for the 301 after a
/// 317, which carries only the BSN).
#[derive(Debug, Clone)]
struct ClientData {
    geboortedatum: Geboortedatum,
    geslacht: Geslacht,
    naam: VolledigeNaam,
}

/// The delay class of an answer.
#[derive(Debug, Clone, Copy)]
enum Delay {
    Retour,
    /// The 301/319 after a 315/317, or the 319 "in onderzoek" when the scenario asks for one.
    Toewijzing,
    /// The decision (301, or 319 afgewezen) on a 315/317: [`Delay::Toewijzing`], plus
    /// `onderzoek_werkdagen` when a 319 "in onderzoek" comes first.
    Besluit,
    Declaratie,
}

/// The municipality bot. One for all municipalities of the scenario.
#[derive(Debug)]
pub struct Bot {
    settings: BotSettings,
    no_answer: Vec<AnswerFault>,
    late: Vec<AnswerFault>,
    unlinked: Vec<AnswerFault>,
    duplicate_325: bool,
    calendar: WorkingDays,
    history: MemoryHistory,
    tariffs: TariffTable,
    clients: BTreeMap<(Law, String, String), ClientData>,
    pending: Vec<Outgoing>,
    next_toewijzing: u64,
    next_identificatie: u64,
    counts: BotCounts,
}

/// A fresh random (version 4) UUID.
pub fn fresh_uuid() -> Uuid {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 16];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // No system randomness: fall back to the time, still unique enough for a simulator.
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The envelope's `actie` for a message type the bot sends.
fn actie(t: MessageType) -> &'static str {
    match t {
        MessageType::M301 => "Toewijzing",
        MessageType::M306 => "StartZorgRetour",
        MessageType::M308 => "StopZorgRetour",
        MessageType::M316 => "VerzoekToewijzingRetour",
        MessageType::M318 => "VerzoekWijzigingRetour",
        MessageType::M319 => "Antwoord",
        MessageType::M325 => "DeclaratieAntwoord",
        _ => "Bericht",
    }
}

/// `Clienten/Client[i]/Prestaties/Prestatie[j]` (1-based) in a violation's path under
/// `/Bericht/Declaratie`, as 0-based indices.
fn line_of(path: &str) -> Option<(usize, usize)> {
    let rest = path.strip_prefix("/Bericht/Declaratie/Clienten/Client[")?;
    let (ci, rest) = rest.split_once(']')?;
    let rest = rest.strip_prefix("/Prestaties/Prestatie[")?;
    let (pi, _) = rest.split_once(']')?;
    let ci: usize = ci.parse().ok()?;
    let pi: usize = pi.parse().ok()?;
    Some((ci.checked_sub(1)?, pi.checked_sub(1)?))
}

/// The retourcodes of `violations`, in order, without repeats.
fn codes_of<'a>(violations: impl IntoIterator<Item = &'a Violation>) -> Vec<RetourCode> {
    let mut out = Vec::new();
    for v in violations {
        if let Some(code) = v.retourcode.and_then(RetourCode::from_code)
            && !out.contains(&code)
        {
            out.push(code);
        }
    }
    out
}

fn signed(amount: u64, dc: DebetCredit) -> i128 {
    match dc {
        DebetCredit::Debet => i128::from(amount),
        DebetCredit::Credit => -i128::from(amount),
    }
}

fn total(value: i128) -> TotaalBedragMetDc {
    TotaalBedragMetDc {
        totaal_bedrag: TotaalBedrag(u64::try_from(value.unsigned_abs()).unwrap_or(u64::MAX)),
        debet_credit: if value < 0 {
            DebetCredit::Credit
        } else {
            DebetCredit::Debet
        },
    }
}

impl Bot {
    /// The bot for `scenario`.
    pub fn new(scenario: &Scenario) -> Bot {
        let mut bot = Bot {
            settings: scenario.gemeentebot.clone(),
            no_answer: Vec::new(),
            late: Vec::new(),
            unlinked: Vec::new(),
            duplicate_325: false,
            calendar: WorkingDays::new(),
            history: MemoryHistory::new(),
            tariffs: scenario.tarieftabel.clone(),
            clients: BTreeMap::new(),
            pending: Vec::new(),
            next_toewijzing: scenario.gemeentebot.eerste_toewijzingnummer,
            next_identificatie: scenario.gemeentebot.eerste_identificatie,
            counts: BotCounts::default(),
        };
        for f in &scenario.storingen {
            match f {
                Fault::GeenAntwoord(a) => bot.no_answer.push(a.clone()),
                Fault::TeLaat(a) => bot.late.push(a.clone()),
                Fault::ZonderAlsAntwoordOp(a) => bot.unlinked.push(a.clone()),
                Fault::Dubbel325(_) => bot.duplicate_325 = true,
                _ => {}
            }
        }
        bot
    }

    /// The ToewijzingNummer the next allocation gets.
    pub fn next_allocation_number(&self) -> u64 {
        self.next_toewijzing
    }

    /// The number of the next Identificatie the bot's messages get.
    pub fn next_identificatie(&self) -> u64 {
        self.next_identificatie
    }

    /// What the bot did so far.
    pub fn counts(&self) -> BotCounts {
        let mut c = self.counts.clone();
        c.gepland = u64::try_from(self.pending.len()).unwrap_or(u64::MAX);
        c
    }

    /// The answers due at or before `now`, earliest first; they leave the schedule.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<Outgoing> {
        let (mut due, later): (Vec<Outgoing>, Vec<Outgoing>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|o| o.due <= now);
        self.pending = later;
        due.sort_by_key(|o| o.due);
        for o in &due {
            *self.counts.verzonden.entry(o.kind.code()).or_default() += 1;
        }
        due
    }

    /// A message that reached a municipality at `at`: decides and schedules the answers.
    pub fn receive(&mut self, metadata: &PushMetadata, payload: &[u8], at: DateTime<Utc>) {
        if !self.settings.actief {
            return;
        }
        let limits = ReadLimits {
            max_bytes: usize::MAX,
        };
        let message = match ketenpoort_messages::read(payload, limits) {
            Ok(m) => m,
            Err(_) => {
                self.counts.onleesbaar += 1;
                tracing::warn!(
                    traceer_id = %metadata.referentiegegevens.traceer_id,
                    "the municipality bot could not read a message"
                );
                return;
            }
        };
        let kind = message.kind();
        *self.counts.ontvangen.entry(kind.code()).or_default() += 1;
        tracing::info!(
            traceer_id = %metadata.referentiegegevens.traceer_id,
            kind = %kind.code(),
            "the municipality received a message"
        );
        let received = Received {
            metadata,
            message: &message,
            at,
        };
        match &message.content {
            Content::RequestForAllocation(heen) => self.request(&received, heen),
            Content::ChangeRequest(heen) => self.change(&received, heen),
            Content::CareStart(heen) => {
                self.remember_client(
                    message.law,
                    &heen.header.afzender,
                    &heen.body.bsn.0,
                    ClientData::short(
                        &heen.body.geboortedatum,
                        heen.body.geslacht,
                        &heen.body.naam,
                    ),
                );
                self.judged_retour(&received, MessageType::M306);
            }
            Content::CareStop(heen) => {
                self.remember_client(
                    message.law,
                    &heen.header.afzender,
                    &heen.body.bsn.0,
                    ClientData::short(
                        &heen.body.geboortedatum,
                        heen.body.geslacht,
                        &heen.body.naam,
                    ),
                );
                self.judged_retour(&received, MessageType::M308);
            }
            Content::Declaration(heen) => self.claim(&received, heen),
            Content::AllocationRetour(_) | Content::AnswerRetour(_) => {
                self.history.record(&message);
            }
            // Municipality-sent kinds addressed to a municipality: nothing to answer.
            _ => {}
        }
    }

    // === building blocks ===

    fn xsd(&self) -> XsdVersie {
        XsdVersie {
            basisschema_xsd_versie: Versie(self.settings.xsd_versie.clone()),
            bericht_xsd_versie: Versie(self.settings.xsd_versie.clone()),
        }
    }

    fn xslt(&self) -> Versie {
        Versie(self.settings.xslt_versie.clone())
    }

    fn identificatie(&mut self) -> IdentificatieBericht {
        let n = self.next_identificatie;
        self.next_identificatie += 1;
        IdentificatieBericht(format!("GGK{:09}", n % 1_000_000_000))
    }

    fn toewijzing_nummer(&mut self) -> Nummer {
        let n = self.next_toewijzing;
        self.next_toewijzing = if n >= 999_999_999 { 1 } else { n + 1 };
        Nummer(n)
    }

    /// When an answer of `class` and `kind` to a message received at `at` is due.
    fn due_at(&self, at: DateTime<Utc>, class: Delay, kind: MessageKind) -> DateTime<Utc> {
        let base = match class {
            Delay::Retour => self.settings.retour_werkdagen,
            Delay::Toewijzing => self.settings.toewijzing_werkdagen,
            Delay::Besluit if self.settings.in_onderzoek => self
                .settings
                .toewijzing_werkdagen
                .saturating_add(self.settings.onderzoek_werkdagen),
            Delay::Besluit => self.settings.toewijzing_werkdagen,
            Delay::Declaratie => self.settings.declaratie_werkdagen,
        };
        let extra: u32 = self
            .late
            .iter()
            .filter(|f| f.names(kind))
            .map(|f| f.extra_werkdagen)
            .sum();
        let days = base.saturating_add(extra);
        if days == 0 {
            return at;
        }
        let date = self.calendar.add_working_days(at.date_naive(), days);
        date.and_time(at.time()).and_utc()
    }

    /// Schedules `message` as an answer to `received`, due at `due`, unless a fault leaves it
    /// out. Returns whether it was scheduled.
    fn schedule(&mut self, received: &Received<'_>, message: &Message, due: DateTime<Utc>) -> bool {
        let kind = message.kind();
        if self.no_answer.iter().any(|f| f.names(kind)) {
            *self.counts.weggelaten.entry(kind.code()).or_default() += 1;
            return false;
        }
        let payload = match message.to_xml() {
            Ok(xml) => xml.into_bytes(),
            Err(e) => {
                // A bug in the bot; say what (never values from the message) and go on.
                tracing::error!(kind = %kind.code(), error = %e, "the municipality bot wrote an invalid message");
                return false;
            }
        };
        let refs = &received.metadata.referentiegegevens;
        let unlinked = self.unlinked.iter().any(|f| f.names(kind));
        let header = message.content.header();
        let (gemeente, aanbieder) = if kind.message_type.municipality_header() {
            (&header.afzender, &header.ontvanger)
        } else {
            (&header.ontvanger, &header.afzender)
        };
        let provider_rol = received.metadata.routeringgegevens.afzender.rol.clone();
        let gemeente_rol = received
            .metadata
            .routeringgegevens
            .geadresseerden
            .iter()
            .find(|g| g.code.as_deref() == Some(gemeente.as_str()))
            .map(|g| g.rol.clone())
            .unwrap_or_else(|| "Gemeente".into());
        let metadata = PushMetadata {
            routeringgegevens: Routeringgegevens {
                afzender: Relatie {
                    rol: gemeente_rol,
                    code: Some(gemeente.clone()),
                },
                geadresseerden: vec![Relatie {
                    rol: provider_rol,
                    code: Some(aanbieder.clone()),
                }],
                berichtstroom: Berichtstroom {
                    berichttype: kind.law.code_prefix().to_owned(),
                    berichtsubtype: Some(kind.code()),
                    berichtversie: 3,
                    berichtsubversie: 2,
                    actie: actie(kind.message_type).into(),
                },
            },
            referentiegegevens: Referentiegegevens {
                conversatie_id: refs.conversatie_id,
                traceer_id: fresh_uuid(),
                als_antwoord_op: (!unlinked).then_some(refs.traceer_id),
                referentie_id: None,
            },
            verwerkingscontext: None,
        };
        self.pending.push(Outgoing {
            due,
            metadata,
            payload,
            kind,
        });
        true
    }

    fn retour_header(&mut self, heen: &Header, due: DateTime<Utc>, reject: bool) -> RetourHeader {
        RetourHeader {
            heen: heen.clone(),
            identificatie_retour: self.identificatie(),
            dagtekening_retour: due.date_naive(),
            xslt_versie: reject.then(|| self.xslt()),
            xsd_versie_retour: self.xsd(),
            retour_codes: if reject {
                vec![RetourCode::R0001]
            } else {
                Vec::new()
            },
        }
    }

    /// The header of a message the municipality sends to the provider of `scope`.
    fn own_header(&mut self, scope: &Scope, due: DateTime<Utc>) -> Header {
        Header {
            afzender: scope.gemeente.clone(),
            ontvanger: scope.aanbieder.clone(),
            bericht_identificatie: BerichtIdentificatie {
                identificatie: self.identificatie(),
                dagtekening: due.date_naive(),
            },
            xsd_versie: self.xsd(),
        }
    }

    /// The retour on a 305, 307, 315 or 317 (IV028): only the header with 0001 when an
    /// in-message rule is broken; otherwise judged on the cross-message rules against the
    /// bot's history and on TR135 against the simulated date — only the header with the code
    /// of a header rule, or every class with its code or 0200, or only the header without
    /// codes when nothing is wrong. The heen message is recorded in the history only when it
    /// is accepted, the retour always. Returns whether the heen message was accepted.
    fn judged_retour(&mut self, received: &Received<'_>, retour: MessageType) -> bool {
        let message = received.message;
        let reject = !rules::check(message).is_empty();
        let kind = MessageKind::new(message.law, retour);
        let due = self.due_at(received.at, Delay::Retour, kind);
        let header = self.retour_header(message.content.header(), due, reject);
        let found = if reject {
            Vec::new()
        } else {
            let mut found = clock::check(message, received.at.date_naive());
            found.extend(cross::check_against(&self.history, message));
            found
        };
        let content = if reject {
            retour_body::retour(message, header.clone(), &[]).map(|c| with_codes(c, &header))
        } else {
            retour_body::retour(message, header, &found)
        };
        let Some(content) = content else {
            return false;
        };
        let answer = Message {
            law: message.law,
            content,
        };
        let accepted = !reject && found.is_empty();
        if accepted {
            self.history.record(message);
        }
        self.history.record(&answer);
        self.schedule(received, &answer, due);
        accepted
    }

    fn remember_client(&mut self, law: Law, agb: &str, bsn: &str, data: ClientData) {
        self.clients
            .insert((law, agb.to_owned(), bsn.to_owned()), data);
    }

    fn client(&self, law: Law, agb: &str, bsn: &str) -> ClientData {
        self.clients
            .get(&(law, agb.to_owned(), bsn.to_owned()))
            .cloned()
            .unwrap_or_else(ClientData::unknown)
    }

    /// A 301 for the client with `bsn` with `products`; recorded when scheduled.
    fn allocation(
        &mut self,
        received: &Received<'_>,
        scope: &Scope,
        bsn: &str,
        products: Vec<ToegewezenProduct>,
    ) {
        if products.is_empty() {
            return;
        }
        let law = received.message.law;
        let kind = MessageKind::new(law, MessageType::M301);
        let due = self.due_at(received.at, Delay::Besluit, kind);
        let client = self.client(law, &scope.aanbieder, bsn);
        let header = self.own_header(scope, due);
        let message = Message {
            law,
            content: Content::Allocation(Heen {
                header,
                body: AllocationClient {
                    bsn: bsn.into(),
                    geboortedatum: client.geboortedatum,
                    geslacht: client.geslacht,
                    naam: client.naam,
                    communicatie: None,
                    juridische_status: None,
                    wettelijke_vertegenwoordiging: None,
                    commentaar: None,
                    relaties: Vec::new(),
                    contactgegevens: vec![address(&scope.gemeente)],
                    toegewezen_producten: products,
                    retour_codes: Vec::new(),
                },
            }),
        };
        if self.schedule(received, &message, due) {
            self.history.record(&message);
        }
    }

    /// A 319 refusing the request with `referentie`, with the scenario's reason (and the
    /// responsible municipality for reason 8, woonplaatsbeginsel, iJw).
    fn refusal(&mut self, received: &Received<'_>, scope: &Scope, referentie: &Referentie) {
        let law = received.message.law;
        let reden = RedenAfwijzingVerzoek::from_code(&self.settings.reden_afwijzing)
            .unwrap_or(RedenAfwijzingVerzoek::R7);
        let woonplaatsbeginsel = (law == Law::Ijw && reden == RedenAfwijzingVerzoek::R8)
            .then(|| self.settings.woonplaatsbeginsel.clone())
            .flatten()
            .map(|g| Woonplaatsbeginsel {
                gemeente: GemeenteCode(g),
                retour_codes: Vec::new(),
            });
        self.answer(
            received,
            scope,
            Delay::Besluit,
            Antwoord {
                referentie_aanbieder: referentie.clone(),
                verzoek_antwoord: VerzoekAntwoord::Afgewezen,
                reden_afwijzing_verzoek: Some(reden),
                woonplaatsbeginsel,
                retour_codes: Vec::new(),
            },
        );
    }

    /// A 319 saying the request with `referentie` is being examined (aanvraag in onderzoek,
    /// VerzoekAntwoord 2); the decision follows `onderzoek_werkdagen` later.
    fn investigating(&mut self, received: &Received<'_>, scope: &Scope, referentie: &Referentie) {
        self.answer(
            received,
            scope,
            Delay::Toewijzing,
            Antwoord {
                referentie_aanbieder: referentie.clone(),
                verzoek_antwoord: VerzoekAntwoord::InOnderzoek,
                reden_afwijzing_verzoek: None,
                woonplaatsbeginsel: None,
                retour_codes: Vec::new(),
            },
        );
    }

    /// A 319 with `body`, due after `delay`; recorded when scheduled.
    fn answer(&mut self, received: &Received<'_>, scope: &Scope, delay: Delay, body: Antwoord) {
        let law = received.message.law;
        let kind = MessageKind::new(law, MessageType::M319);
        let due = self.due_at(received.at, delay, kind);
        let header = self.own_header(scope, due);
        let message = Message {
            law,
            content: Content::Answer(Heen { header, body }),
        };
        if self.schedule(received, &message, due) {
            self.history.record(&message);
        }
    }

    /// The current allocations of a client as ToegewezenProducten, by number.
    fn current_allocations(
        &self,
        scope: &Scope,
        bsn: &str,
        today: NaiveDate,
    ) -> BTreeMap<u64, AllocationRecord> {
        self.history
            .client_allocations(scope, bsn)
            .into_iter()
            .filter(|a| a.is_current(today))
            .map(|a| (a.toewijzing_nummer, a.into_owned()))
            .collect()
    }

    // === per message ===

    /// 315 → 316, then 301 and/or 319.
    fn request(
        &mut self,
        received: &Received<'_>,
        heen: &Heen<ketenpoort_messages::model::request::RequestClient>,
    ) {
        let message = received.message;
        let scope = Scope::of(message);
        let body = &heen.body;
        self.remember_client(
            message.law,
            &scope.aanbieder,
            &body.bsn.0,
            ClientData::short(&body.geboortedatum, body.geslacht, &body.naam),
        );
        if !self.judged_retour(received, MessageType::M316) {
            return;
        }
        let kind = MessageKind::new(message.law, MessageType::M301);
        let due = self.due_at(received.at, Delay::Besluit, kind);
        let (date, time) = stamp(due);
        if self.settings.in_onderzoek {
            let mut references: Vec<Referentie> = Vec::new();
            for p in &body.aangevraagde_producten {
                if !references.contains(&p.referentie_aanbieder) {
                    references.push(p.referentie_aanbieder.clone());
                }
            }
            for r in &references {
                self.investigating(received, &scope, r);
            }
        }
        let mut products = Vec::new();
        let mut refused = Vec::new();
        for p in &body.aangevraagde_producten {
            let verwijzer = p.verwijzer.type_.code();
            if self
                .settings
                .weiger_verwijzertypen
                .iter()
                .any(|t| t == verwijzer)
            {
                refused.push(p.referentie_aanbieder.clone());
                continue;
            }
            products.push(ToegewezenProduct {
                toewijzing_nummer: self.toewijzing_nummer(),
                referentie_aanbieder: Some(p.referentie_aanbieder.clone()),
                product: p.product.clone(),
                toewijzingsdatum: date,
                toewijzingstijd: time,
                ingangsdatum: p.toewijzing_ingangsdatum,
                einddatum: p.toewijzing_einddatum,
                reden_wijziging: None,
                omvang: p.omvang.clone(),
                budget: p.budget,
                commentaar: None,
                retour_codes: Vec::new(),
            });
        }
        if !products.is_empty() {
            // A 301 carries every current allocation of the client at this provider.
            let known: Vec<ToegewezenProduct> = self
                .current_allocations(&scope, &body.bsn.0, due.date_naive())
                .values()
                .map(product_of)
                .collect();
            let mut all = known;
            all.extend(products);
            self.allocation(received, &scope, &body.bsn.0, all);
        }
        for r in refused {
            self.refusal(received, &scope, &r);
        }
    }

    /// 317 → 318, then a 301 (IV093) or a 319.
    fn change(
        &mut self,
        received: &Received<'_>,
        heen: &Heen<ketenpoort_messages::model::change::ChangeRequestClient>,
    ) {
        let message = received.message;
        let scope = Scope::of(message);
        if !self.judged_retour(received, MessageType::M318) {
            return;
        }
        let verzoek = &heen.body.verzoek;
        let bsn = heen.body.bsn.0.clone();
        if self.settings.in_onderzoek {
            self.investigating(received, &scope, &verzoek.referentie_aanbieder);
        }
        if self.settings.wijzigingsverzoeken == ChangeAnswer::Afwijzen {
            self.refusal(received, &scope, &verzoek.referentie_aanbieder);
            return;
        }
        let kind = MessageKind::new(message.law, MessageType::M301);
        let due = self.due_at(received.at, Delay::Besluit, kind);
        let (date, time) = stamp(due);
        let current = self.current_allocations(&scope, &bsn, due.date_naive());
        let reference = Some(verzoek.referentie_aanbieder.clone());
        let mut products = Vec::new();
        let fresh = |mut p: ToegewezenProduct| {
            p.referentie_aanbieder = reference.clone();
            p.toewijzingsdatum = date;
            p.toewijzingstijd = time;
            p
        };
        for o in &verzoek.ongewijzigde_producten {
            if let Some(a) = current.get(&o.toewijzing_nummer.0) {
                let mut p = fresh(product_of(a));
                p.reden_wijziging = None;
                products.push(p);
            }
        }
        for t in &verzoek.te_wijzigen_producten {
            let Some(a) = current.get(&t.toewijzing_nummer.0) else {
                continue;
            };
            let volume_changes = t.omvang.is_some() && t.omvang != a.omvang
                || t.budget.is_some() && t.budget.map(|b| b.0) != a.budget;
            // IV093: an allocation with a budget or with frequency "totaal binnen
            // geldigheidsduur" always changes from its original start: same number, product
            // and start, new budget or total and end. Only other allocations are ended and
            // followed by a new one when their volume changes later than they start.
            let whole_period = a.budget.is_some()
                || a.omvang
                    .as_ref()
                    .is_some_and(|o| o.frequentie == Frequentie::Totaal);
            let mut old = fresh(product_of(a));
            old.reden_wijziging = Some(RedenWijziging::R12);
            if volume_changes && !whole_period && t.gewenste_ingangsdatum > a.ingangsdatum {
                // End the allocation the day before and allocate the new volume from then on.
                old.einddatum = t.gewenste_ingangsdatum.pred_opt().or(old.einddatum);
                let mut new = fresh(product_of(a));
                new.toewijzing_nummer = self.toewijzing_nummer();
                new.ingangsdatum = t.gewenste_ingangsdatum;
                new.einddatum = t.einddatum;
                new.omvang = t.omvang.clone().or(new.omvang);
                new.budget = t.budget.or(new.budget);
                new.reden_wijziging = None;
                products.push(old);
                products.push(new);
            } else {
                old.einddatum = t.einddatum;
                if t.omvang.is_some() {
                    old.omvang = t.omvang.clone();
                }
                if t.budget.is_some() {
                    old.budget = t.budget;
                }
                products.push(old);
            }
        }
        for n in &verzoek.nieuwe_producten {
            products.push(ToegewezenProduct {
                toewijzing_nummer: self.toewijzing_nummer(),
                referentie_aanbieder: reference.clone(),
                product: n.product.clone(),
                toewijzingsdatum: date,
                toewijzingstijd: time,
                ingangsdatum: n.gewenste_ingangsdatum,
                einddatum: n.einddatum,
                reden_wijziging: None,
                omvang: n.omvang.clone(),
                budget: n.budget,
                commentaar: None,
                retour_codes: Vec::new(),
            });
        }
        self.allocation(received, &scope, &bsn, products);
    }

    /// 323 → 325.
    fn claim(&mut self, received: &Received<'_>, heen: &Heen<Declaratie>) {
        let message = received.message;
        let law = message.law;
        let scope = Scope::of(message);
        let kind = MessageKind::new(law, MessageType::M325);
        let due = self.due_at(received.at, Delay::Declaratie, kind);
        let claim = &heen.body;
        let broken = rules::check(message);
        let header = |bot: &mut Bot, codes: Vec<RetourCode>, xslt: bool| DeclarationAnswerHeader {
            heen: bot.own_header(&scope, due),
            declaratie_identificatie: heen.header.bericht_identificatie.clone(),
            xslt_versie: xslt.then(|| bot.xslt()),
            xsd_versie_declaratie: heen.header.xsd_versie.clone(),
            retour_codes: codes,
        };
        let submitted = signed(
            claim.totaal_ingediend_bedrag.totaal_bedrag.0,
            claim.totaal_ingediend_bedrag.debet_credit,
        );
        let nummer = IdentificatieDeclaratie(claim.declaratie_nummer.0.clone());
        let answer = if !broken.is_empty() {
            DeclarationAnswer {
                header: header(self, vec![RetourCode::R0001], true),
                body: None,
            }
        } else {
            let mut violations = clock::check(message, received.at.date_naive());
            violations.extend(cross::check_against(&self.history, message));
            violations.extend(amounts::check(message, Some(&self.tariffs)));
            let (at_header, rest): (Vec<&Violation>, Vec<&Violation>) = violations
                .iter()
                .partition(|v| v.path.starts_with("/Bericht/Header"));
            let (at_line, at_claim): (Vec<&Violation>, Vec<&Violation>) =
                rest.into_iter().partition(|v| line_of(&v.path).is_some());
            if !at_header.is_empty() {
                DeclarationAnswer {
                    header: header(self, codes_of(at_header), false),
                    body: None,
                }
            } else if !at_claim.is_empty() {
                DeclarationAnswer {
                    header: header(self, vec![RetourCode::R0200], false),
                    body: Some(DeclaratieAntwoord {
                        declaratie_nummer: nummer,
                        totaal_ingediend_bedrag: claim.totaal_ingediend_bedrag.clone(),
                        totaal_toegekend_bedrag: total(0),
                        clienten: Vec::new(),
                        retour_codes: codes_of(at_claim),
                    }),
                }
            } else {
                let mut rejected_total: i128 = 0;
                let mut clienten = Vec::new();
                for (ci, client) in claim.clienten.iter().enumerate() {
                    let mut prestaties = Vec::new();
                    for (pi, p) in client.prestaties.iter().enumerate() {
                        let codes = codes_of(
                            at_line
                                .iter()
                                .copied()
                                .filter(|v| line_of(&v.path) == Some((ci, pi))),
                        );
                        if codes.is_empty() {
                            continue;
                        }
                        rejected_total +=
                            signed(p.ingediend_bedrag.bedrag.0, p.ingediend_bedrag.debet_credit);
                        let mut line = p.clone();
                        line.retour_codes = codes;
                        prestaties.push(line);
                    }
                    if !prestaties.is_empty() {
                        clienten.push(DeclaratieClient {
                            bsn: client.bsn.clone(),
                            prestaties,
                            retour_codes: vec![RetourCode::R0200],
                        });
                    }
                }
                let fully = clienten.is_empty();
                DeclarationAnswer {
                    header: header(self, vec![RetourCode::R0200], false),
                    body: Some(DeclaratieAntwoord {
                        declaratie_nummer: nummer,
                        totaal_ingediend_bedrag: claim.totaal_ingediend_bedrag.clone(),
                        totaal_toegekend_bedrag: total(submitted - rejected_total),
                        clienten,
                        retour_codes: vec![if fully {
                            RetourCode::R8001
                        } else {
                            RetourCode::R0200
                        }],
                    }),
                }
            }
        };
        let answer = Message {
            law,
            content: Content::DeclarationAnswer(answer),
        };
        self.history.record(message);
        if self.schedule(received, &answer, due) {
            self.history.record(&answer);
            if self.duplicate_325 {
                // The same answer again as a message of its own (new Identificatie).
                let mut again = answer.clone();
                if let Content::DeclarationAnswer(a) = &mut again.content {
                    a.header.heen.bericht_identificatie.identificatie = self.identificatie();
                }
                self.schedule(received, &again, due);
            }
        }
    }
}

/// `content` (a retour) with the header codes and XsltVersie of `header`: the retour on a
/// message that broke an in-message rule (0001).
fn with_codes(content: Content, header: &RetourHeader) -> Content {
    let set = |h: &mut RetourHeader| {
        h.retour_codes = header.retour_codes.clone();
        h.xslt_versie = header.xslt_versie.clone();
    };
    let mut content = content;
    match &mut content {
        Content::AllocationRetour(r) => set(&mut r.header),
        Content::CareStartRetour(r) => set(&mut r.header),
        Content::CareStopRetour(r) => set(&mut r.header),
        Content::RequestForAllocationRetour(r) => set(&mut r.header),
        Content::ChangeRequestRetour(r) => set(&mut r.header),
        Content::AnswerRetour(r) => set(&mut r.header),
        _ => {}
    }
    content
}

/// A message delivered to the municipality.
struct Received<'a> {
    metadata: &'a PushMetadata,
    message: &'a Message,
    at: DateTime<Utc>,
}

impl ClientData {
    fn short(
        geboortedatum: &Geboortedatum,
        geslacht: Geslacht,
        naam: &ketenpoort_messages::model::basis::VerkorteNaam,
    ) -> ClientData {
        ClientData {
            geboortedatum: geboortedatum.clone(),
            geslacht,
            naam: VolledigeNaam {
                geslachtsnaam: naam.geslachtsnaam.clone(),
                partnernaam: None,
                voornamen: naam.voornamen.clone(),
                voorletters: naam.voorletters.clone(),
                naam_gebruik: NaamGebruik::N1,
            },
        }
    }

    /// A client the municipality has no data of (a 317 for an unknown BSN).
    fn unknown() -> ClientData {
        ClientData {
            geboortedatum: Geboortedatum {
                datum: NaiveDate::from_ymd_opt(2010, 1, 1).unwrap_or_default(),
                datum_gebruik: None,
            },
            geslacht: Geslacht::Onbekend,
            naam: VolledigeNaam {
                geslachtsnaam: Achternaam {
                    achternaam: Naam("Onbekend".into()),
                    voorvoegsel: None,
                },
                partnernaam: None,
                voornamen: None,
                voorletters: None,
                naam_gebruik: NaamGebruik::N1,
            },
        }
    }
}

/// Toewijzingsdatum and Toewijzingstijd of a moment (whole seconds).
fn stamp(t: DateTime<Utc>) -> (NaiveDate, NaiveTime) {
    let time = t.time();
    (
        t.date_naive(),
        NaiveTime::from_hms_opt(time.hour(), time.minute(), time.second()).unwrap_or(time),
    )
}

/// The ToegewezenProduct of a stored allocation, as last sent.
fn product_of(a: &AllocationRecord) -> ToegewezenProduct {
    ToegewezenProduct {
        toewijzing_nummer: Nummer(a.toewijzing_nummer),
        referentie_aanbieder: a.referentie_aanbieder.as_deref().map(Referentie::from),
        product: a.product.clone(),
        toewijzingsdatum: a.toewijzingsdatum,
        toewijzingstijd: a.toewijzingstijd,
        ingangsdatum: a.ingangsdatum,
        einddatum: a.einddatum,
        reden_wijziging: a.reden_wijziging,
        omvang: a.omvang.clone(),
        budget: a.budget.map(ketenpoort_messages::types::Budget),
        commentaar: None,
        retour_codes: Vec::new(),
    }
}

/// The client's BRP address: the municipality's town hall (the simulator knows no real one).
fn address(gemeente: &str) -> Contact {
    Contact {
        soort: AdresSoort::A01,
        adres: Some(Adres {
            huis: Some(Huis {
                huisnummer: Huisnummer(1),
                huisletter: None,
                huisnummer_toevoeging: None,
                aanduiding_woonadres: None,
            }),
            postcode: Some(Postcode("6511AB".into())),
            straatnaam: Some(Straatnaam("Raadhuisplein".into())),
            plaatsnaam: Some(Plaatsnaam(format!("Gemeente {gemeente}"))),
            land_code: Some(LandCode::Nl),
        }),
        organisatie: None,
        telefoon: None,
        emailadres: None,
        periode: None,
        retour_codes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_paths_are_recognised() {
        assert_eq!(
            line_of(
                "/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie[3]/GeleverdVolume"
            ),
            Some((1, 2))
        );
        assert_eq!(line_of("/Bericht/Declaratie/DeclaratieNummer"), None);
    }
}
