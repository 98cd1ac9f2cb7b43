//! The simulated VECOZO as a value: registry, store and clock behind one handle that the HTTP
//! layer (and, in-process, the gateway's `--dev` mode or a test) calls.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::bot::{Bot, BotCounts, Outgoing};
use crate::clock::Clock;
use crate::faults::{FaultCounts, Faults};
use crate::keten::{self, Verdict};
use crate::ontvangst::{self, Refusal};
use crate::registry::{Addressee, Indiener, Registry};
use crate::scenario::Scenario;
use crate::store::{Record, Store};
use crate::wire::{Berichtstatus, BerichtstatusGegevens, PushMetadata, Zoekpad};

/// A cloneable handle on one simulated VECOZO.
#[derive(Debug, Clone)]
pub struct Simulator {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    scenario: Scenario,
    registry: Registry,
    clock: Clock,
    dump_dir: Option<PathBuf>,
    store: Mutex<Store>,
    /// The municipality bot; locked after `store` when both are needed.
    bot: Mutex<Bot>,
    /// The request faults of the scenario with their counters.
    faults: Faults,
}

/// Which status entries to return (`GET …/berichtstatussen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusQuery {
    /// Messages with this traceerId as traceerId or as alsAntwoordOp.
    TraceerId(Uuid),
    /// Messages of this conversation.
    ConversatieId(Uuid),
}

/// Formats a time as the APIs do (RFC 3339, milliseconds, numeric offset).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// SHA-256 of `bytes`, lowercase hex: the checksum in pull listings.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn seconds(s: u64) -> TimeDelta {
    TimeDelta::seconds(
        i64::try_from(s)
            .unwrap_or(i64::MAX / 1000)
            .min(i64::MAX / 1000),
    )
}

impl Simulator {
    /// A simulator for `scenario` running on `clock`; accepted payloads are written to
    /// `dump_dir` when given.
    pub fn new(scenario: Scenario, clock: Clock, dump_dir: Option<PathBuf>) -> Simulator {
        let registry = Registry::from_scenario(&scenario);
        let bot = Bot::new(&scenario);
        let faults = Faults::new(&scenario);
        Simulator {
            inner: Arc::new(Shared {
                scenario,
                registry,
                clock,
                dump_dir,
                store: Mutex::new(Store::default()),
                bot: Mutex::new(bot),
                faults,
            }),
        }
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The party registry.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.inner.scenario
    }

    /// The request faults.
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// The ToewijzingNummer the municipality bot hands out next.
    pub fn next_allocation_number(&self) -> u64 {
        self.lock_bot().next_allocation_number()
    }

    /// The number of the next Identificatie the municipality bot's messages get.
    pub fn next_identificatie(&self) -> u64 {
        self.lock_bot().next_identificatie()
    }

    fn lock_bot(&self) -> MutexGuard<'_, Bot> {
        self.inner
            .bot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves consistent data (every mutation is a single
        // step), so a poisoned lock is used as is.
        self.inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Push: runs the ontvangstcontrole and, on success, registers the message (status
    /// Ontvangen). Returns the VECOZO code on refusal.
    pub fn push(
        &self,
        indiener: &Indiener,
        metadata: PushMetadata,
        payload: Vec<u8>,
    ) -> Result<(), Refusal> {
        self.receive(Some(indiener), metadata, payload)
    }

    /// Submits a message on behalf of a municipality through the simulated GGK (see
    /// [`ontvangst::check_ggk`]); it then goes through the same ketencontrole and lands in
    /// the addressed providers' pull queues.
    pub fn push_as_gemeente(
        &self,
        metadata: PushMetadata,
        payload: Vec<u8>,
    ) -> Result<(), Refusal> {
        self.receive(None, metadata, payload)
    }

    fn receive(
        &self,
        indiener: Option<&Indiener>,
        metadata: PushMetadata,
        payload: Vec<u8>,
    ) -> Result<(), Refusal> {
        let settings = &self.inner.scenario;
        let parsed = if payload.len() > settings.simulator.max_payload_bytes {
            keten::Parsed::SchemaInvalid(Vec::new())
        } else {
            keten::parse(&payload)
        };
        let header = ontvangst::scan_header(&payload);
        let kind = ontvangst::kind_of(&metadata, &header);
        let verdict = keten::assess(&parsed, settings.ketencontrole.regels_controleren);
        let checksum = sha256_hex(&payload);
        let now = self.clock().now();
        let traceer_id = metadata.referentiegegevens.traceer_id;
        let seq = {
            let mut store = self.lock();
            let checked = match indiener {
                Some(indiener) => ontvangst::check(
                    &self.inner.registry,
                    settings.simulator.max_payload_bytes,
                    ontvangst::Submission {
                        indiener,
                        meta: &metadata,
                        payload_len: payload.len(),
                        parsed: &parsed,
                        header: &header,
                    },
                    &*store,
                ),
                None => ontvangst::check_ggk(&self.inner.registry, &metadata, &parsed, &*store),
            };
            if let Err(refusal) = checked {
                store.refused(traceer_id, refusal.code);
                tracing::info!(%traceer_id, code = refusal.code, "ontvangstcontrole refused a message");
                return Err(refusal);
            }
            let identificatie = header
                .sender()
                .zip(header.own_identificatie())
                .map(|(s, i)| (s.to_owned(), i.to_owned()));
            let due = now + seconds(settings.ketencontrole.start_after_seconds);
            let dump = self.inner.dump_dir.as_ref().map(|_| payload.clone());
            let seq = store.accept(
                metadata,
                payload,
                checksum,
                kind,
                identificatie,
                verdict,
                now,
                due,
            );
            (seq, dump)
        };
        tracing::info!(%traceer_id, kind = ?kind.map(|k| k.to_string()), "accepted a message");
        if let (Some(dir), (seq, Some(bytes))) = (&self.inner.dump_dir, seq) {
            let path = dir.join(format!(
                "{seq:06}-{}-{traceer_id}.xml",
                kind.map(|k| k.to_string())
                    .unwrap_or_else(|| "onbekend".into())
            ));
            if let Err(e) = std::fs::write(&path, bytes) {
                tracing::warn!(path = %path.display(), error = %e, "could not write the dump file");
            }
        }
        Ok(())
    }

    /// Makes every status transition that is due at the clock's current time, hands what
    /// reached a municipality to the municipality bot and sends the bot's answers that are
    /// due. Returns how many transitions were made.
    pub fn tick(&self) -> usize {
        let now = self.clock().now();
        let mut store = self.lock();
        let mut made = 0;
        // A message may pass several steps in one tick when the clock jumped, and an answer of
        // the bot may become due and pass the ketencontrole in the same tick.
        loop {
            let steps = self.transitions(&mut store, now);
            let answers = self.run_bot(&mut store, now);
            made += steps;
            if steps == 0 && answers == 0 {
                break;
            }
        }
        made
    }

    /// One pass over the transitions due at `now`.
    fn transitions(&self, store: &mut Store, now: DateTime<Utc>) -> usize {
        let k = &self.inner.scenario.ketencontrole;
        let mut made = 0;
        for seq in store.due(now) {
            made += 1;
            let mut offers: Vec<(String, bool)> = Vec::new();
            let Some(r) = store.record_mut(seq) else {
                continue;
            };
            let Some(at) = r.due else { continue };
            match r.status {
                Berichtstatus::Ontvangen => {
                    r.enter(Berichtstatus::WordtVerwerkt, at);
                    r.due = Some(at + seconds(k.duration_seconds));
                }
                Berichtstatus::WordtVerwerkt => match &r.verdict {
                    Verdict::Passed => {
                        r.enter(Berichtstatus::VerwerkingVoltooid, at);
                        r.due = Some(at + seconds(k.offer_after_seconds));
                    }
                    Verdict::Refused(meldingen) => {
                        r.meldingen = meldingen.clone();
                        r.enter(Berichtstatus::AfgekeurdDoorDienst, at);
                        r.due = None;
                    }
                },
                Berichtstatus::VerwerkingVoltooid => {
                    r.enter(Berichtstatus::WordtAangeboden, at);
                    r.due = None;
                    for code in &r.unconfirmed {
                        let to_gemeente = matches!(
                            self.inner.registry.addressee(code),
                            Some(Addressee::Gemeente(_))
                        );
                        offers.push((code.clone(), to_gemeente));
                    }
                    if offers.iter().any(|(_, g)| *g) {
                        r.due = Some(at + seconds(k.gemeente_pickup_seconds));
                    }
                }
                Berichtstatus::WordtAangeboden => {
                    // The GGK fetched the message for the municipalities.
                    let registry = &self.inner.registry;
                    r.unconfirmed
                        .retain(|c| !matches!(registry.addressee(c), Some(Addressee::Gemeente(_))));
                    r.confirmed += 1;
                    r.due = None;
                    if r.unconfirmed.is_empty() {
                        r.enter(Berichtstatus::Bezorgd, at);
                    }
                }
                _ => r.due = None,
            }
            let mut to_ggk = false;
            for (code, to_gemeente) in offers {
                if to_gemeente {
                    to_ggk = true;
                } else {
                    store.offer(&code, seq);
                }
            }
            if to_ggk {
                store.offer_ggk(seq);
            }
        }
        made
    }

    /// Hands the messages that reached a municipality to the bot and sends its answers due at
    /// `now`. Returns how many messages were handed over or sent.
    fn run_bot(&self, store: &mut Store, now: DateTime<Utc>) -> usize {
        let inbox = store.take_ggk_inbox();
        let mut bot = self.lock_bot();
        let mut work = inbox.len();
        for seq in inbox {
            let Some(r) = store.record(seq) else { continue };
            // The moment it was offered to the GGK.
            let at = r
                .history
                .iter()
                .rev()
                .find(|(s, _)| *s == Berichtstatus::WordtAangeboden)
                .map_or(now, |(_, t)| *t);
            bot.receive(&r.metadata, &r.payload, at);
        }
        let due = bot.due(now);
        drop(bot);
        work += due.len();
        for answer in due {
            self.send_answer(store, answer);
        }
        work
    }

    /// Registers an answer of the municipality bot as received at its due time; it then goes
    /// through the ketencontrole like any message.
    fn send_answer(&self, store: &mut Store, answer: Outgoing) {
        let settings = &self.inner.scenario;
        let parsed = keten::parse(&answer.payload);
        let verdict = keten::assess(&parsed, settings.ketencontrole.regels_controleren);
        let header = ontvangst::scan_header(&answer.payload);
        let identificatie = header
            .sender()
            .zip(header.own_identificatie())
            .map(|(s, i)| (s.to_owned(), i.to_owned()));
        let checksum = sha256_hex(&answer.payload);
        let traceer_id = answer.metadata.referentiegegevens.traceer_id;
        let due = answer.due + seconds(settings.ketencontrole.start_after_seconds);
        store.accept(
            answer.metadata,
            answer.payload,
            checksum,
            Some(answer.kind),
            identificatie,
            verdict,
            answer.due,
            due,
        );
        tracing::info!(%traceer_id, kind = %answer.kind.code(), "the municipality sent a message");
    }

    /// Moves the clock forward and makes the transitions that became due.
    pub fn advance(&self, by: TimeDelta) -> usize {
        self.clock().advance(by);
        self.tick()
    }

    /// The oldest ready messages for `indiener` (at most `limit`), optionally filtered.
    /// Each is counted as listed.
    pub fn ready(
        &self,
        indiener: &Indiener,
        limit: usize,
        filter: Option<&Zoekpad>,
    ) -> Vec<Record> {
        let mut store = self.lock();
        let seqs: Vec<u64> = store
            .ready_for(&indiener.namens)
            .filter(|(code, seq)| {
                store
                    .record(*seq)
                    .is_some_and(|r| filter.is_none_or(|f| matches(f, r, code)))
            })
            .map(|(_, s)| s)
            .take(limit)
            .collect();
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            if let Some(r) = store.record_mut(seq) {
                r.listed += 1;
                out.push(r.clone());
            }
        }
        out
    }

    /// The payload of a ready message for `indiener`; `None` when unknown, not addressed to
    /// it or already confirmed.
    pub fn payload(&self, indiener: &Indiener, traceer_id: Uuid) -> Option<Vec<u8>> {
        let mut store = self.lock();
        let (_, seq) = store.find_ready(&indiener.namens, traceer_id)?;
        let r = store.record_mut(seq)?;
        r.downloaded += 1;
        Some(r.payload.clone())
    }

    /// Confirms receipt (BevestigOntvangst): the message leaves the queue and, when every
    /// addressee confirmed, becomes Bezorgd. `false` when there was nothing to confirm.
    pub fn confirm(&self, indiener: &Indiener, traceer_id: Uuid) -> bool {
        let now = self.clock().now();
        let mut store = self.lock();
        let Some((code, seq)) = store.find_ready(&indiener.namens, traceer_id) else {
            return false;
        };
        store.confirm(&code, seq);
        if let Some(r) = store.record_mut(seq) {
            r.confirmed += 1;
            r.unconfirmed.remove(&code);
            if r.unconfirmed.is_empty() && r.status == Berichtstatus::WordtAangeboden {
                r.enter(Berichtstatus::Bezorgd, now);
                r.due = None;
            }
        }
        true
    }

    /// The status entries `indiener` may see (messages it sent or that were addressed to
    /// it), at most 250.
    pub fn statuses(&self, indiener: &Indiener, query: StatusQuery) -> Vec<BerichtstatusGegevens> {
        let store = self.lock();
        store
            .records()
            .filter(|r| {
                indiener.namens.contains(&r.sender)
                    || r.metadata
                        .routeringgegevens
                        .geadresseerden
                        .iter()
                        .any(|g| g.code.as_ref().is_some_and(|c| indiener.namens.contains(c)))
            })
            .filter(|r| {
                let refs = &r.metadata.referentiegegevens;
                match query {
                    StatusQuery::TraceerId(id) => {
                        refs.traceer_id == id || refs.als_antwoord_op == Some(id)
                    }
                    StatusQuery::ConversatieId(id) => refs.conversatie_id == id,
                }
            })
            .take(250)
            .map(|r| BerichtstatusGegevens {
                referentiegegevens: r.metadata.referentiegegevens.clone(),
                berichtstroom: r.metadata.routeringgegevens.berichtstroom.clone(),
                berichtstatus: r.status,
                berichtstatus_gewijzigd_op: timestamp(r.changed_at),
                meldingen: (!r.meldingen.is_empty()).then(|| r.meldingen.clone()),
                bericht_ontvangen_op: timestamp(r.received_at),
            })
            .collect()
    }

    /// Counts for tests: per state and per traceerId.
    pub fn counts(&self) -> Counts {
        let store = self.lock();
        let mut per_status: BTreeMap<String, u64> = BTreeMap::new();
        let mut per_traceer: BTreeMap<String, TraceerCounts> = BTreeMap::new();
        for r in store.records() {
            *per_status.entry(r.status.as_str().into()).or_default() += 1;
            let c = per_traceer.entry(r.traceer_id().to_string()).or_default();
            c.geaccepteerd += 1;
            c.status = Some(r.status.as_str().into());
            c.geschiedenis = r.history.iter().map(|(s, _)| s.as_str().into()).collect();
            c.meldingen = r.meldingen.iter().map(|m| m.code.clone()).collect();
            c.aangeboden += r.listed;
            c.opgehaald += r.downloaded;
            c.bevestigd += r.confirmed;
        }
        for (id, codes) in store.refusals() {
            let c = per_traceer.entry(id.to_string()).or_default();
            c.geweigerd = codes.iter().map(|s| (*s).to_owned()).collect();
        }
        drop(store);
        Counts {
            klok: timestamp(self.clock().now()),
            per_status,
            per_traceer_id: per_traceer,
            gemeentebot: self.lock_bot().counts(),
            storingen: self.inner.faults.counts(),
        }
    }
}

fn matches(f: &Zoekpad, r: &Record, addressee: &str) -> bool {
    let refs = &r.metadata.referentiegegevens;
    match f {
        Zoekpad::ZoekpadOpConversatieId { conversatie_id } => {
            refs.conversatie_id == *conversatie_id
        }
        Zoekpad::ZoekpadOpAlsAntwoordOp { als_antwoord_op } => {
            refs.als_antwoord_op == Some(*als_antwoord_op)
        }
        Zoekpad::ZoekpadOpBerichtstroom {
            berichttype,
            berichtsubtype,
            berichtversie,
            berichtsubversie,
            actie,
            geadresseerde_rol,
            geadresseerde_code,
        } => {
            let s = &r.metadata.routeringgegevens.berichtstroom;
            let g = r
                .metadata
                .routeringgegevens
                .geadresseerden
                .iter()
                .find(|g| g.code.as_deref() == Some(addressee));
            s.berichttype == *berichttype
                && berichtsubtype
                    .as_ref()
                    .is_none_or(|v| s.berichtsubtype.as_ref() == Some(v))
                && berichtversie.is_none_or(|v| s.berichtversie == v)
                && berichtsubversie.is_none_or(|v| s.berichtsubversie == v)
                && actie.as_ref().is_none_or(|v| &s.actie == v)
                && geadresseerde_rol
                    .as_ref()
                    .is_none_or(|v| g.is_some_and(|g| &g.rol == v))
                && geadresseerde_code
                    .as_ref()
                    .is_none_or(|v| g.is_some_and(|g| g.code.as_ref() == Some(v)))
        }
    }
}

/// `GET /admin/v1/tellingen`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// The simulated time.
    pub klok: String,
    /// Number of accepted messages per current state.
    pub per_status: BTreeMap<String, u64>,
    /// Per traceerId (of any sender).
    pub per_traceer_id: BTreeMap<String, TraceerCounts>,
    /// What the municipality bot received, sent and left out.
    pub gemeentebot: BotCounts,
    /// Per `[[storing]]` of the scenario (in file order): how often it struck.
    pub storingen: Vec<FaultCounts>,
}

/// Counts of one traceerId.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceerCounts {
    /// Pushes accepted with this traceerId (more than 1 only across AGB codes).
    pub geaccepteerd: u32,
    /// The codes of refused pushes (422), in order.
    pub geweigerd: Vec<String>,
    /// Current state of the (last) accepted message.
    pub status: Option<String>,
    /// Every state it went through.
    pub geschiedenis: Vec<String>,
    /// Codes of the ketencontrole's meldingen.
    pub meldingen: Vec<String>,
    /// Times it appeared in a pull listing.
    pub aangeboden: u32,
    /// Times its payload was downloaded.
    pub opgehaald: u32,
    /// Times its receipt was confirmed (DELETE, or the GGK's fetch): "delivered exactly
    /// once" is `bevestigd == 1`.
    pub bevestigd: u32,
}
