//! The console's index: what the pages search and count, held in memory and kept up to date
//! by following the store (new message ids through [`Store::messages_after`], everything
//! else through the event log, which records every change of a message's state).
//!
//! It holds per sent message a small row (kind, AGB code, municipality, state, acceptance
//! time, DeclaratieNummer, the first client's BSN, the ToewijzingNummers it names), the
//! allocations received (301 events), refusals and retourcodes, missed deadlines and the
//! amounts claimed and granted. It answers "which ids" (searches, conversations) and "how
//! many" (the Overzicht); what a page shows of a message is read through the API's own
//! functions ([`crate::api::query`]), which apply the tenant's authorisation again.
//!
//! Built once at start (in the background: pages say so until it is complete) from every
//! message and event in the store; the XML of each sent message is read once for its BSN
//! and numbers. Cost, measured by `bench_console` (docs/PERFORMANCE.md): for 100,000
//! messages with 160,000 allocations and 118,000 missed deadlines, 4–15 s on a busy 2-core
//! machine and under 200 MiB.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate};

use super::personal;
use crate::api::query::MessageFilter;
use crate::error::Error;
use crate::store::{EventBody, EventRecord, MessageMeta, MessageState, Store};
use crate::tenant::Tenant;

/// Messages and events read from the store per step of a catch-up.
const BATCH: usize = 1000;

/// A sent message as the index keeps it.
#[derive(Debug, Clone)]
pub struct Row {
    /// Message id.
    pub id: u64,
    /// Afzender AGB code.
    pub agb: Arc<str>,
    /// Kind, e.g. `JW315`.
    pub kind: Arc<str>,
    /// Ontvanger (CBS gemeentecode).
    pub municipality: Arc<str>,
    /// State, as of the last event read.
    pub state: MessageState,
    /// Acceptance time, ms since the Unix epoch.
    pub accepted_at_ms: i64,
    /// DeclaratieNummer of a 323.
    pub declaration_number: Option<Box<str>>,
    /// The first client's BSN (shown masked in lists).
    pub bsn: Option<Box<str>>,
    /// The ToewijzingNummers the message names.
    pub allocation_numbers: Box<[u64]>,
    /// A claim's month (DeclaratiePeriode) and its total, debit minus credit, in eurocent.
    pub claim: Option<((i32, u32), i64)>,
    /// A 302/320: the cursor of the event of the 301/319 it answers.
    pub answers_event: Option<u64>,
}

/// A ToegewezenProduct received in a 301.
#[derive(Debug, Clone)]
pub struct Allocation {
    /// The 301's event.
    pub cursor: u64,
    /// When it arrived, ms since the Unix epoch.
    pub at_ms: i64,
    /// The provider's AGB code.
    pub agb: Arc<str>,
    /// The municipality (the 301's Afzender).
    pub municipality: Arc<str>,
    /// `JW` or `WMO`.
    pub law: &'static str,
    /// ToewijzingNummer.
    pub number: u64,
    /// The client's BSN (shown masked).
    pub bsn: Box<str>,
    /// Product category and code, e.g. `45A48`.
    pub product: String,
    /// Ingangsdatum.
    pub start: String,
    /// Einddatum (empty when open).
    pub end: String,
    /// Omvang: volume, Eenheid and Frequentie codes.
    pub extent: Option<(u64, String, String)>,
    /// The 315/317 it answers, when ketenpoort could tie it to one.
    pub request: Option<u64>,
}

/// A refusal or retourcode seen in an answer.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// When.
    pub at_ms: i64,
    /// For which AGB code.
    pub agb: Arc<str>,
    /// The code: a VECOZO melding (`BRS03`) or a retourcode (`8001`).
    pub code: Box<str>,
    /// Where it came from: `VECOZO` or the answer's kind (`JW316`, `JW325`).
    pub source: Arc<str>,
    /// Whether it is an iJw message (for the retourcode's text).
    pub ijw: bool,
    /// VECOZO's description of its own code (a retourcode's text comes from the codelist).
    pub text: Option<Box<str>>,
}

/// A missed deadline (a DeadlineMissed event).
#[derive(Debug, Clone)]
pub struct Missed {
    /// Its event.
    pub cursor: u64,
    /// When it was reported.
    pub at_ms: i64,
    /// For which AGB code.
    pub agb: Arc<str>,
    /// The message it is about.
    pub message_id: Option<u64>,
    /// What was expected, e.g. `JW301/JW319`.
    pub expected_kind: String,
    /// The last day it was due.
    pub due_date: String,
    /// The rule of the term.
    pub rule: String,
    /// The provider's own duty (else the municipality's).
    pub provider_duty: bool,
}

/// What the message list searches for, on top of [`MessageFilter`].
#[derive(Debug, Clone, Default)]
pub struct Criteria {
    /// Kind, state, AGB code, period: the API's filter.
    pub filter: MessageFilter,
    /// Ontvanger (CBS gemeentecode).
    pub municipality: String,
    /// ToewijzingNummer.
    pub allocation: Option<u64>,
    /// DeclaratieNummer.
    pub declaration_number: String,
    /// Exact BSN.
    pub bsn: String,
}

/// The Overzicht's figures for one tenant.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// Messages per state, in the order of [`STATES`].
    pub counts: [u64; 5],
    /// Per ISO week (year, week) of the last 12: messages per kind.
    pub per_week: Vec<((i32, u32), BTreeMap<String, u64>)>,
    /// Per month (year, month) of the last 12: claimed and granted, eurocent.
    pub claimed_granted: Vec<((i32, u32), i64, i64)>,
    /// Refusals of the last 30 days: (code, source, iJw, VECOZO's text, count), most
    /// frequent first.
    pub refusals: Vec<(String, String, bool, String, u64)>,
}

/// The states in the order the Overzicht counts them.
pub const STATES: [MessageState; 5] = [
    MessageState::Queued,
    MessageState::Delivered,
    MessageState::RejectedByVecozo,
    MessageState::Answered,
    MessageState::DeadlineMissed,
];

#[derive(Debug, Default)]
struct Inner {
    rows: Vec<Row>,
    strings: HashSet<Arc<str>>,
    by_bsn: HashMap<Box<str>, Vec<u64>>,
    by_allocation: HashMap<u64, Vec<u64>>,
    allocations: Vec<Allocation>,
    /// (agb, municipality, number) → its entries in `allocations`, the latest last.
    allocation_at: HashMap<(Arc<str>, Arc<str>, u64), Vec<usize>>,
    /// Cursor of a 301 event → its entries in `allocations`.
    allocations_of_event: HashMap<u64, Vec<usize>>,
    /// A 315/317 → the entries of the allocations that answered it.
    allocations_of_request: HashMap<u64, Vec<usize>>,
    refusals: Vec<Refusal>,
    missed: Vec<Missed>,
    /// 323 id → TotaalToegekendBedrag of its latest 325.
    granted: HashMap<u64, i64>,
    /// traceerId of a collected 301/319 → its event's cursor.
    decision_events: HashMap<uuid::Uuid, u64>,
    /// Cursor of a 301/319 event → the retours (302/320) sent on it.
    retours_of_event: HashMap<u64, Vec<u64>>,
    /// alsAntwoordOp of a retour whose 301/319 event is not read yet → retour ids.
    pending_retours: HashMap<uuid::Uuid, Vec<u64>>,
    last_id: u64,
    last_cursor: u64,
}

/// The index; see the module docs.
#[derive(Debug, Default)]
pub struct Index {
    inner: RwLock<Inner>,
    ready: AtomicBool,
}

fn day_of(ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

impl Inner {
    fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strings.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.strings.insert(a.clone());
        a
    }

    fn position(&self, id: u64) -> Option<usize> {
        self.rows.binary_search_by_key(&id, |r| r.id).ok()
    }

    fn add_message(
        &mut self,
        meta: &MessageMeta,
        scan: personal::Scan,
        outbox: Option<uuid::Uuid>,
    ) {
        let agb = self.intern(&meta.agb);
        let kind = self.intern(&meta.kind);
        let municipality = self.intern(&meta.municipality);
        let claim = scan
            .declaration_period_start
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(|d| ((d.year(), d.month()), scan.claimed_cents));
        for c in &scan.clients {
            if !c.bsn.is_empty() {
                let ids = self.by_bsn.entry(c.bsn.as_str().into()).or_default();
                if ids.last() != Some(&meta.id) {
                    ids.push(meta.id);
                }
            }
        }
        for n in &scan.allocation_numbers {
            self.by_allocation.entry(*n).or_default().push(meta.id);
        }
        let mut answers_event = None;
        if let Some(t) = outbox {
            match self.decision_events.get(&t) {
                Some(cursor) => {
                    answers_event = Some(*cursor);
                    self.retours_of_event
                        .entry(*cursor)
                        .or_default()
                        .push(meta.id);
                }
                None => self.pending_retours.entry(t).or_default().push(meta.id),
            }
        }
        let row = Row {
            id: meta.id,
            agb,
            kind,
            municipality,
            state: meta.state,
            accepted_at_ms: meta.accepted_at_ms,
            declaration_number: meta.declaration_number.as_deref().map(Into::into),
            bsn: scan.clients.first().map(|c| c.bsn.as_str().into()),
            allocation_numbers: scan.allocation_numbers.into(),
            claim,
            answers_event,
        };
        match self.position(meta.id) {
            Some(i) => self.rows[i] = row,
            None => {
                let at = self.rows.partition_point(|r| r.id < meta.id);
                self.rows.insert(at, row);
            }
        }
        self.last_id = self.last_id.max(meta.id);
    }

    fn refusal(
        &mut self,
        at_ms: i64,
        agb: &Arc<str>,
        code: &str,
        source: &str,
        ijw: bool,
        text: Option<&str>,
    ) {
        let source = self.intern(source);
        self.refusals.push(Refusal {
            at_ms,
            agb: agb.clone(),
            code: code.into(),
            source,
            ijw,
            text: text.map(Into::into),
        });
    }

    fn decision(&mut self, e: &EventRecord) {
        let Some(t) = e.traceer_id else { return };
        self.decision_events.insert(t, e.cursor);
        if let Some(ids) = self.pending_retours.remove(&t) {
            for id in &ids {
                if let Some(i) = self.position(*id) {
                    self.rows[i].answers_event = Some(e.cursor);
                }
            }
            self.retours_of_event
                .entry(e.cursor)
                .or_default()
                .extend(ids);
        }
    }

    fn add_event(&mut self, e: &EventRecord) {
        let agb = self.intern(&e.agb);
        let ijw = e.kind.starts_with("JW")
            || e.message_id
                .and_then(|id| self.position(id))
                .is_some_and(|i| self.rows[i].kind.starts_with("JW"));
        match &e.body {
            EventBody::Delivery {
                state: MessageState::RejectedByVecozo,
                meldingen,
                ..
            } => {
                for m in meldingen {
                    self.refusal(e.at_ms, &agb, &m.code, "VECOZO", ijw, Some(&m.description));
                }
            }
            EventBody::Delivery { .. } => {}
            EventBody::Retour { codes, .. } => {
                for c in codes.iter().filter(|c| c.code != "0200") {
                    self.refusal(e.at_ms, &agb, &c.code, &e.kind, ijw, None);
                }
            }
            EventBody::Allocation { bsn, products } => {
                self.decision(e);
                let scan = e.raw_xml.as_deref().map(personal::scan).unwrap_or_default();
                let municipality = self.intern(&scan.sender);
                let law = if e.kind.starts_with("JW") {
                    "JW"
                } else {
                    "WMO"
                };
                for p in products {
                    let entry = Allocation {
                        cursor: e.cursor,
                        at_ms: e.at_ms,
                        agb: agb.clone(),
                        municipality: municipality.clone(),
                        law,
                        number: p.allocation_number,
                        bsn: bsn.as_str().into(),
                        product: if p.code.is_empty() {
                            p.category.clone()
                        } else {
                            format!("{} ({})", p.code, p.category)
                        },
                        start: p.start_date.clone(),
                        end: p.end_date.clone(),
                        extent: p.extent.clone(),
                        request: e.message_id,
                    };
                    let i = self.allocations.len();
                    self.allocations.push(entry);
                    self.allocation_at
                        .entry((agb.clone(), municipality.clone(), p.allocation_number))
                        .or_default()
                        .push(i);
                    self.allocations_of_event
                        .entry(e.cursor)
                        .or_default()
                        .push(i);
                    if let Some(r) = e.message_id {
                        self.allocations_of_request.entry(r).or_default().push(i);
                    }
                }
            }
            EventBody::Answer { .. } => self.decision(e),
            EventBody::DeclarationAnswer {
                total_granted_cents,
                codes,
                rejected_lines,
                ..
            } => {
                if let Some(id) = e.message_id {
                    self.granted.insert(id, *total_granted_cents);
                }
                for c in codes
                    .iter()
                    .filter(|c| !matches!(c.as_str(), "0200" | "8001"))
                {
                    self.refusal(e.at_ms, &agb, c, &e.kind, ijw, None);
                }
                for l in rejected_lines {
                    for c in &l.codes {
                        self.refusal(e.at_ms, &agb, c, &e.kind, ijw, None);
                    }
                }
            }
            EventBody::DeadlineMissed {
                expected_kind,
                due_date,
            } => self.missed.push(Missed {
                cursor: e.cursor,
                at_ms: e.at_ms,
                agb,
                message_id: e.message_id,
                expected_kind: expected_kind.clone(),
                due_date: due_date.clone(),
                rule: crate::api::returns::municipality_rule(expected_kind).to_owned(),
                provider_duty: false,
            }),
            EventBody::DutyMissed {
                expected_kind,
                due_date,
                rule,
                ..
            } => self.missed.push(Missed {
                cursor: e.cursor,
                at_ms: e.at_ms,
                agb,
                message_id: e.message_id,
                expected_kind: expected_kind.clone(),
                due_date: due_date.clone(),
                rule: rule.clone(),
                provider_duty: true,
            }),
            EventBody::Quarantined { .. } => {}
        }
        self.last_cursor = self.last_cursor.max(e.cursor);
    }
}

/// A message read for the index: its metadata, what its XML says, and for a retour the
/// traceerId it answers.
type Read = (MessageMeta, personal::Scan, Option<uuid::Uuid>);

fn read_message(store: &dyn Store, meta: MessageMeta) -> Result<Read, Error> {
    let scan = store
        .message_xml(meta.id)?
        .map(|x| personal::scan(&x))
        .unwrap_or_default();
    let answers = if meta.kind.ends_with("302") || meta.kind.ends_with("320") {
        store.outbox(meta.id)?.and_then(|o| o.als_antwoord_op)
    } else {
        None
    };
    Ok((meta, scan, answers))
}

impl Index {
    /// An empty index (not ready).
    pub fn new() -> Index {
        Index::default()
    }

    /// Whether the first build is complete.
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, Inner>, Error> {
        self.inner
            .read()
            .map_err(|_| Error::Internal("console index lock poisoned".into()))
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, Inner>, Error> {
        self.inner
            .write()
            .map_err(|_| Error::Internal("console index lock poisoned".into()))
    }

    /// Reads what the store holds beyond what the index has seen: new messages, then new
    /// events (re-reading the state of the messages they are about, except during the first
    /// build for events older than the messages read).
    pub fn catch_up(&self, store: &dyn Store) -> Result<(), Error> {
        let first = !self.ready();
        let seen_before = *store.watch_events().borrow();
        loop {
            let after = self.read()?.last_id;
            let metas = store.messages_after(after, BATCH)?;
            if metas.is_empty() {
                break;
            }
            let read: Vec<Read> = metas
                .into_iter()
                .map(|m| read_message(store, m))
                .collect::<Result<_, _>>()?;
            let mut inner = self.write()?;
            for (meta, scan, answers) in read {
                inner.add_message(&meta, scan, answers);
            }
        }
        loop {
            let after = self.read()?.last_cursor;
            let events = store.events_after(after, BATCH, &|_| true)?;
            if events.is_empty() {
                break;
            }
            let mut fresh = Vec::new();
            for e in &events {
                if let Some(id) = e.message_id
                    && (!first || e.cursor > seen_before)
                    && let Some(meta) = store.message(id)?
                {
                    fresh.push(meta);
                }
            }
            let mut inner = self.write()?;
            for e in &events {
                inner.add_event(e);
            }
            for meta in fresh {
                if let Some(i) = inner.position(meta.id) {
                    inner.rows[i].state = meta.state;
                }
            }
        }
        self.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Re-reads one message's state now (after the console changed it, e.g. a resend).
    pub fn refresh(&self, store: &dyn Store, id: u64) -> Result<(), Error> {
        if let Some(meta) = store.message(id)? {
            let mut inner = self.write()?;
            if let Some(i) = inner.position(id) {
                inner.rows[i].state = meta.state;
            }
        }
        Ok(())
    }

    /// Up to `limit` ids of messages `tenant` may see that meet `c`, below `before`, newest
    /// first.
    pub fn search(
        &self,
        tenant: &Tenant,
        c: &Criteria,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<u64>, Error> {
        let inner = self.read()?;
        let before = before.unwrap_or(u64::MAX);
        let fits = |r: &Row| {
            r.id < before
                && c.filter
                    .matches_fields(tenant, &r.agb, &r.kind, r.state, r.accepted_at_ms)
                && (c.municipality.is_empty() || *r.municipality == *c.municipality)
                && (c.declaration_number.is_empty()
                    || r.declaration_number.as_deref() == Some(c.declaration_number.as_str()))
                && c.allocation
                    .is_none_or(|n| r.allocation_numbers.contains(&n))
        };
        let posted: Option<&[u64]> = if !c.bsn.is_empty() {
            Some(inner.by_bsn.get(c.bsn.as_str()).map_or(&[], Vec::as_slice))
        } else if let Some(n) = c.allocation {
            Some(inner.by_allocation.get(&n).map_or(&[], Vec::as_slice))
        } else {
            None
        };
        let mut out = Vec::new();
        match posted {
            Some(ids) => {
                for id in ids.iter().rev() {
                    if out.len() >= limit {
                        break;
                    }
                    if let Some(i) = inner.position(*id)
                        && fits(&inner.rows[i])
                        && out.last() != Some(id)
                    {
                        out.push(*id);
                    }
                }
            }
            None => {
                let end = inner.rows.partition_point(|r| r.id < before);
                for r in inner.rows[..end].iter().rev() {
                    if out.len() >= limit {
                        break;
                    }
                    if fits(r) {
                        out.push(r.id);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The row of message `id`.
    pub fn row(&self, id: u64) -> Result<Option<Row>, Error> {
        let inner = self.read()?;
        Ok(inner.position(id).map(|i| inner.rows[i].clone()))
    }

    /// The messages of `id`'s conversation (itself included), oldest first, at most
    /// `limit`; true when there were more. A conversation is tied together by its
    /// allocations: the request a 301 answers, the 302 on that 301, and the 305s, 307s and
    /// 323s that name its ToewijzingNummers, for the same AGB code and municipality.
    pub fn conversation(&self, id: u64, limit: usize) -> Result<(Vec<u64>, bool), Error> {
        let inner = self.read()?;
        let Some(row) = inner.position(id).map(|i| &inner.rows[i]) else {
            return Ok((vec![id], false));
        };
        let mut numbers: Vec<u64> = row.allocation_numbers.to_vec();
        let mut entries: Vec<usize> = inner
            .allocations_of_request
            .get(&id)
            .cloned()
            .unwrap_or_default();
        if let Some(cursor) = row.answers_event {
            entries.extend(
                inner
                    .allocations_of_event
                    .get(&cursor)
                    .into_iter()
                    .flatten(),
            );
        }
        numbers.extend(entries.iter().map(|i| inner.allocations[*i].number));
        numbers.sort_unstable();
        numbers.dedup();
        let mut ids = vec![id];
        for n in numbers {
            ids.extend(inner.by_allocation.get(&n).into_iter().flatten());
            // Every 301 that named the number (a later one may change the allocation).
            let key = (row.agb.clone(), row.municipality.clone(), n);
            for i in inner.allocation_at.get(&key).into_iter().flatten() {
                let a = &inner.allocations[*i];
                ids.extend(a.request);
                ids.extend(inner.retours_of_event.get(&a.cursor).into_iter().flatten());
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|i| {
            inner.position(*i).is_some_and(|p| {
                inner.rows[p].agb == row.agb && inner.rows[p].municipality == row.municipality
            })
        });
        let more = ids.len() > limit;
        ids.truncate(limit);
        Ok((ids, more))
    }

    /// The Overzicht's figures for `tenant` on `today`.
    pub fn figures(&self, tenant: &Tenant, today: NaiveDate) -> Result<Figures, Error> {
        let inner = self.read()?;
        let mut f = Figures::default();
        let week_of = |d: NaiveDate| (d.iso_week().year(), d.iso_week().week());
        let weeks: Vec<(i32, u32)> = (0..12)
            .rev()
            .map(|i| week_of(today - chrono::Duration::weeks(i)))
            .collect();
        let month_of = |d: NaiveDate| (d.year(), d.month());
        // The twelve months up to the latest month claimed (this month when none is).
        let latest_claim = inner
            .rows
            .iter()
            .filter(|r| tenant.may_act_for(&r.agb))
            .filter_map(|r| r.claim.map(|(m, _)| m))
            .max();
        let mut months: Vec<(i32, u32)> = Vec::new();
        let (mut y, mut m) = latest_claim.unwrap_or_else(|| month_of(today));
        for _ in 0..12 {
            months.push((y, m));
            (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
        }
        months.reverse();
        let first_week_day = today - chrono::Duration::weeks(12);
        let mut per_week: HashMap<(i32, u32), BTreeMap<String, u64>> = HashMap::new();
        let mut per_month: HashMap<(i32, u32), (i64, i64)> = HashMap::new();
        let mut agb_ok: HashMap<*const str, bool> = HashMap::new();
        for r in &inner.rows {
            let ok = *agb_ok
                .entry(Arc::as_ptr(&r.agb))
                .or_insert_with(|| tenant.may_act_for(&r.agb));
            if !ok {
                continue;
            }
            if let Some(i) = STATES.iter().position(|s| *s == r.state) {
                f.counts[i] += 1;
            }
            let day = day_of(r.accepted_at_ms);
            if day > first_week_day {
                *per_week
                    .entry(week_of(day))
                    .or_default()
                    .entry(r.kind.to_string())
                    .or_default() += 1;
            }
            if let Some((month, claimed)) = r.claim {
                let e = per_month.entry(month).or_default();
                e.0 += claimed;
                e.1 += inner.granted.get(&r.id).copied().unwrap_or(0);
            }
        }
        f.per_week = weeks
            .into_iter()
            .map(|w| (w, per_week.remove(&w).unwrap_or_default()))
            .collect();
        f.claimed_granted = months
            .into_iter()
            .map(|m| {
                let (c, g) = per_month.get(&m).copied().unwrap_or_default();
                (m, c, g)
            })
            .collect();
        let since = today - chrono::Duration::days(30);
        let mut refusals: HashMap<(String, String), (bool, String, u64)> = HashMap::new();
        for r in inner.refusals.iter().rev() {
            if day_of(r.at_ms) < since {
                break;
            }
            if tenant.may_act_for(&r.agb) {
                let e = refusals
                    .entry((r.code.to_string(), r.source.to_string()))
                    .or_insert((r.ijw, r.text.as_deref().unwrap_or("").to_owned(), 0));
                e.2 += 1;
            }
        }
        let mut refusals: Vec<(String, String, bool, String, u64)> = refusals
            .into_iter()
            .map(|((code, source), (ijw, text, n))| (code, source, ijw, text, n))
            .collect();
        refusals.sort_by(|a, b| b.4.cmp(&a.4).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        f.refusals = refusals;
        Ok(f)
    }

    /// The missed deadlines `tenant` may see, newest first, at most `limit`.
    pub fn missed(&self, tenant: &Tenant, limit: usize) -> Result<Vec<Missed>, Error> {
        let inner = self.read()?;
        Ok(inner
            .missed
            .iter()
            .rev()
            .filter(|m| tenant.may_act_for(&m.agb))
            .take(limit)
            .cloned()
            .collect())
    }

    /// The current allocations (the latest 301 per number) `tenant` may see, newest first:
    /// up to `limit` received before the event at `before`.
    pub fn allocations(
        &self,
        tenant: &Tenant,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Allocation>, Error> {
        let inner = self.read()?;
        let before = before.unwrap_or(u64::MAX);
        let mut out = Vec::new();
        for (i, a) in inner.allocations.iter().enumerate().rev() {
            if out.len() >= limit {
                break;
            }
            let latest = inner
                .allocation_at
                .get(&(a.agb.clone(), a.municipality.clone(), a.number))
                .and_then(|v| v.last())
                == Some(&i);
            if a.cursor < before && latest && tenant.may_act_for(&a.agb) {
                out.push(a.clone());
            }
        }
        Ok(out)
    }

    /// The rejected messages (REJECTED_BY_VECOZO) `tenant` may see, newest first.
    pub fn rejected(&self, tenant: &Tenant, limit: usize) -> Result<Vec<u64>, Error> {
        let filter = MessageFilter {
            state: Some(crate::proto::MessageState::RejectedByVecozo),
            ..MessageFilter::default()
        };
        self.search(
            tenant,
            &Criteria {
                filter,
                ..Criteria::default()
            },
            None,
            limit,
        )
    }
}

/// Keeps `index` up to date with `store` until `stopping` turns true: a catch-up at start
/// (the first build) and whenever an event becomes durable or a message is queued, and at
/// least every `interval`.
pub async fn follow(
    index: Arc<Index>,
    store: Arc<dyn Store>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
    interval: Duration,
) {
    let mut events = store.watch_events();
    let mut queue = store.watch_queue();
    loop {
        events.borrow_and_update();
        queue.borrow_and_update();
        let (i, s) = (index.clone(), store.clone());
        let started = std::time::Instant::now();
        let first = !index.ready();
        match tokio::task::spawn_blocking(move || i.catch_up(&*s)).await {
            Ok(Ok(())) => {
                if first {
                    tracing::info!(
                        ms = started.elapsed().as_millis() as u64,
                        "console index built"
                    );
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "console index: catch-up failed"),
            Err(e) => tracing::warn!(error = %e, "console index: catch-up task failed"),
        }
        tokio::select! {
            _ = events.changed() => {}
            _ = queue.changed() => {}
            _ = tokio::time::sleep(interval) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
    }
}
