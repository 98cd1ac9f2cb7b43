//! The writer's part of the provider's own duties ([`crate::store::duties`]): what a submit,
//! a collected message and a retour sent by hand add to their batches, and the check that
//! reports the overdue ones. Kept apart from the writer's other steps so that those change
//! only by one call each.

use ketenpoort_messages::codes::StatusAanlevering;
use ketenpoort_messages::rules::cross::{History, Scope};
use ketenpoort_messages::{Content, Message};

use super::{GroupBatch, SledStore, Writer, be, idem_key, key, read_u64};
use crate::error::Error;
use crate::store::duties::{
    self, DutyMissed, LateSubmit, RetourDuty, RetourState, StopWatch, answered_key, day, late_key,
    receipt_key, retour_key, stop_key,
};
use crate::store::engine::{Batch, Direction};
use crate::store::{
    EventBody, EventRecord, IdempotencyRecord, IncomingContent, IncomingWrite, OutboxRecord,
    Outcome, RetourWrite, SubmitWrite,
};

impl SledStore {
    /// [`crate::store::Store::open_terms`]: the open expectations (`w/`), the retour duties
    /// not yet answered (`v/r/`) and the awaited 307s (`v/s/`) with their due date as
    /// [`Writer::check_duties`] computes it.
    pub(super) fn read_open_terms(&self) -> Result<crate::store::OpenTerms, Error> {
        let mut terms = crate::store::OpenTerms::default();
        for kv in self
            .engine
            .scan_prefix(crate::store::expectations::PREFIX, Direction::Forward)
        {
            let (_, v) = kv?;
            terms.expectations.push(serde_json::from_slice(&v)?);
        }
        for kv in self.engine.scan_prefix(duties::RETOUR, Direction::Forward) {
            let (_, v) = kv?;
            terms.retours.push(serde_json::from_slice(&v)?);
        }
        let calendar = ketenpoort_messages::calendar::WorkingDays::new();
        let index = self.history.read()?;
        for kv in self.engine.scan_prefix(duties::STOP, Direction::Forward) {
            let (_, v) = kv?;
            let watch: StopWatch = serde_json::from_slice(&v)?;
            let due = index
                .allocation(&watch.scope(), watch.allocation_number)
                .and_then(|a| a.einddatum)
                .map(|end| duties::stop_due(&calendar, end));
            terms.stops.push((watch, due));
        }
        index.finish(terms)
    }

    /// [`crate::store::Store::retour_state`].
    ///
    /// The duty is read before the answer: the write that answers a duty sets the answer and
    /// removes the duty together, and on an engine whose two reads see two snapshots
    /// (PostgreSQL) that write can land between them. Read in this order, any interleaving
    /// gives the state before the write (the duty) or after it (the answer), never neither.
    pub(super) fn read_retour_state(&self, traceer_id: uuid::Uuid) -> Result<RetourState, Error> {
        if let Some(v) = self.engine.get(&retour_key(traceer_id))? {
            return Ok(RetourState::Open(serde_json::from_slice(&v)?));
        }
        match self.engine.get(&answered_key(traceer_id))? {
            Some(v) => Ok(RetourState::Answered(read_u64(&v)?)),
            None => Ok(RetourState::Unknown),
        }
    }
}

fn not_deleting(status: StatusAanlevering) -> bool {
    status != StatusAanlevering::Verwijderen
}

impl Writer {
    /// Adds to the batch of submit `s` (its messages got `ids`) what its 305s and 307s mean
    /// for the provider's duties: a late 305/307 to report, a 307 to await after a start, an
    /// awaited 307 that came.
    pub(super) fn submit_duties(
        &self,
        group: &mut GroupBatch,
        s: &SubmitWrite,
        ids: &[u64],
    ) -> Result<(), Error> {
        let Some(today) = day(s.at_ms) else {
            return Ok(());
        };
        for (m, id) in s.messages.iter().zip(ids) {
            let message: &Message = &m.message;
            let scope = Scope::of(message);
            let late = match &message.content {
                Content::CareStart(h) => {
                    // Deletions before new deliveries: one message may delete and replace.
                    for p in &h.body.start_producten {
                        if let (false, Some(n)) =
                            (not_deleting(p.status_aanlevering), p.toewijzing_nummer)
                        {
                            group.remove(stop_key(&scope, n.0));
                        }
                    }
                    let index = self.history.read()?;
                    let mut late = None;
                    for p in &h.body.start_producten {
                        let (true, Some(n)) =
                            (not_deleting(p.status_aanlevering), p.toewijzing_nummer)
                        else {
                            continue;
                        };
                        if index.allocation(&scope, n.0).is_some() {
                            let watch = StopWatch {
                                law: scope.law.code_prefix().to_owned(),
                                agb: scope.aanbieder.clone(),
                                municipality: scope.gemeente.clone(),
                                allocation_number: n.0,
                                start_message: *id,
                                missed: false,
                            };
                            group.insert(stop_key(&scope, n.0), serde_json::to_vec(&watch)?);
                        }
                        // Judged only when the day its 301 arrived is known (see the module
                        // docs of store::duties).
                        let Some(received) = self.engine.get(&receipt_key(&scope, n.0))? else {
                            continue;
                        };
                        let Some(received) = <[u8; 8]>::try_from(received.as_slice())
                            .ok()
                            .and_then(|b| day(i64::from_be_bytes(b)))
                        else {
                            continue;
                        };
                        let due = duties::start_due(&self.calendar, p.begindatum, received);
                        if due < today {
                            late = Some(late.map_or(due, |d: chrono::NaiveDate| d.min(due)));
                        }
                    }
                    index.finish(late.map(|due| (due, "OP271")))?
                }
                Content::CareStop(h) => {
                    let mut late = None;
                    for p in &h.body.stop_producten {
                        if !not_deleting(p.status_aanlevering) {
                            continue;
                        }
                        let mut reported = false;
                        if let Some(n) = p.toewijzing_nummer {
                            let sk = stop_key(&scope, n.0);
                            if let Some(v) = group.get(&*self.engine, &sk)? {
                                let watch: StopWatch = serde_json::from_slice(&v)?;
                                reported = watch.missed;
                                group.remove(sk);
                            }
                        }
                        let due = duties::stop_due(&self.calendar, p.einddatum);
                        // Reported already when the allocation ended: not a second time.
                        if due < today && !reported {
                            late = Some(late.map_or(due, |d: chrono::NaiveDate| d.min(due)));
                        }
                    }
                    late.map(|due| (due, "OP272"))
                }
                _ => None,
            };
            if let Some((due, rule)) = late {
                let record = LateSubmit {
                    message_id: *id,
                    agb: m.agb.clone(),
                    kind: m.kind.clone(),
                    rule: rule.to_owned(),
                    due,
                };
                group.insert(late_key(*id), serde_json::to_vec(&record)?);
            }
        }
        Ok(())
    }

    /// Adds to the batch of the collected message `w` (event at `cursor`, retour `retour`
    /// queued on it if any) the day a 301's allocations arrived and either the answer marker
    /// of the retour or the provider's duty to send it.
    pub(super) fn incoming_duties(
        &self,
        batch: &mut Batch,
        w: &IncomingWrite,
        cursor: u64,
        retour: Option<u64>,
    ) -> Result<(), Error> {
        let IncomingContent::Message(message) = &w.content else {
            return Ok(());
        };
        if let Content::Allocation(h) = &message.content {
            let scope = Scope::of(message);
            for p in &h.body.toegewezen_producten {
                let k = receipt_key(&scope, p.toewijzing_nummer.0);
                if !self.engine.contains_key(&k)? {
                    batch.insert(k, &w.at_ms.to_be_bytes()[..]);
                }
            }
        }
        let Some(kind) = crate::retour::owed_kind(message) else {
            return Ok(());
        };
        if let Some(id) = retour {
            batch.insert(answered_key(w.traceer_id), &be(id)[..]);
        } else if let (Some(owed), Some(received)) = (&w.owed, day(w.at_ms)) {
            let duty = RetourDuty {
                traceer_id: w.traceer_id,
                conversatie_id: owed.conversatie_id,
                cursor,
                agb: message.content.header().ontvanger.clone(),
                kind: kind.code(),
                due: duties::retour_due(&self.calendar, received),
                missed: false,
            };
            batch.insert(retour_key(w.traceer_id), serde_json::to_vec(&duty)?);
        }
        Ok(())
    }

    /// [`crate::store::Write::Retour`].
    pub(super) fn manual_retour(&mut self, r: &RetourWrite) -> Result<Outcome, Error> {
        let ik = idem_key(&r.tenant, &r.request_id);
        if let Some(v) = self.engine.get(&ik)? {
            return Ok(Outcome::Duplicate(serde_json::from_slice(&v)?));
        }
        let dk = answered_key(r.answers);
        if let Some(v) = self.engine.get(&dk)? {
            return Ok(Outcome::RetourNotOwed {
                answered_by: Some(read_u64(&v)?),
            });
        }
        let rk = retour_key(r.answers);
        let Some(v) = self.engine.get(&rk)? else {
            return Ok(Outcome::RetourNotOwed { answered_by: None });
        };
        let duty: RetourDuty = serde_json::from_slice(&v)?;
        let id = self.next_id;
        let m = &r.retour.message;
        let mut batch = Batch::default();
        let outbox = OutboxRecord {
            traceer_id: r.retour.traceer_id,
            conversatie_id: duty.conversatie_id,
            attempts: 0,
            als_antwoord_op: Some(r.answers),
        };
        let owner = (r.tenant.clone(), r.request_id.clone(), r.at_ms);
        self.put_retour(&mut batch, id, m, owner, &outbox, &r.retour.counter)?;
        let record = IdempotencyRecord {
            content_hash: r.content_hash.clone(),
            message_ids: vec![id],
        };
        self.known.insert(&ik);
        batch.insert(ik, serde_json::to_vec(&record)?);
        batch.remove(rk);
        batch.insert(dk, &be(id)[..]);
        let (tk, tv) = crate::store::received::SentIndex::pushed(r.retour.traceer_id, id);
        batch.insert(tk, tv);
        let pending = self.changes(
            &crate::store::index::Pending::new(),
            &[(Some(id), &*m.message)],
        )?;
        self.apply_with_history(batch, pending)?;
        self.queued
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.next_id += 1;
        Ok(Outcome::Stored(vec![id]))
    }

    /// [`crate::store::Write::CheckDuties`]: one batch with an event per overdue duty.
    pub(super) fn check_duties(
        &mut self,
        today: chrono::NaiveDate,
        at_ms: i64,
    ) -> Result<Outcome, Error> {
        let mut batch = Batch::default();
        let mut missed: Vec<DutyMissed> = Vec::new();
        let mut cursor = self.next_cursor;
        let mut report = |batch: &mut Batch,
                          agb: &str,
                          message_id: Option<u64>,
                          kind: &str,
                          due: chrono::NaiveDate,
                          rule: &str,
                          answers_cursor: Option<u64>|
         -> Result<(), Error> {
            let event = EventRecord {
                cursor,
                agb: agb.to_owned(),
                at_ms,
                message_id,
                kind: String::new(),
                raw_xml: None,
                traceer_id: None,
                body: EventBody::DutyMissed {
                    expected_kind: kind.to_owned(),
                    due_date: due.to_string(),
                    rule: rule.to_owned(),
                    answers_cursor,
                },
            };
            batch.insert(key(b"e/", &be(cursor)), serde_json::to_vec(&event)?);
            let name = ketenpoort_messages::MessageKind::parse(kind)
                .map(|k| k.message_type.number().to_string())
                .unwrap_or_else(|| kind.to_owned());
            missed.push(DutyMissed {
                name,
                rule: rule.to_owned(),
                message_id,
                due,
                cursor,
            });
            cursor += 1;
            Ok(())
        };
        for kv in self.engine.scan_prefix(duties::LATE, Direction::Forward) {
            let (k, v) = kv?;
            let late: LateSubmit = serde_json::from_slice(&v)?;
            report(
                &mut batch,
                &late.agb,
                Some(late.message_id),
                &late.kind,
                late.due,
                &late.rule,
                None,
            )?;
            batch.remove(k);
        }
        for kv in self.engine.scan_prefix(duties::RETOUR, Direction::Forward) {
            let (k, v) = kv?;
            let mut duty: RetourDuty = serde_json::from_slice(&v)?;
            if duty.missed || duty.due >= today {
                continue;
            }
            report(
                &mut batch,
                &duty.agb,
                None,
                &duty.kind,
                duty.due,
                "OP090",
                Some(duty.cursor),
            )?;
            duty.missed = true;
            batch.insert(k, serde_json::to_vec(&duty)?);
        }
        {
            let index = self.history.read()?;
            for kv in self.engine.scan_prefix(duties::STOP, Direction::Forward) {
                let (k, v) = kv?;
                let mut watch: StopWatch = serde_json::from_slice(&v)?;
                if watch.missed {
                    continue;
                }
                let end = index
                    .allocation(&watch.scope(), watch.allocation_number)
                    .and_then(|a| a.einddatum);
                let Some(end) = end else { continue };
                let due = duties::stop_due(&self.calendar, end);
                if due >= today {
                    continue;
                }
                report(
                    &mut batch,
                    &watch.agb,
                    Some(watch.start_message),
                    &watch.kind(),
                    due,
                    "OP272",
                    None,
                )?;
                watch.missed = true;
                batch.insert(k, serde_json::to_vec(&watch)?);
            }
            index.finish(())?;
        }
        if missed.is_empty() {
            return Ok(Outcome::DutiesMissed(missed));
        }
        self.engine.apply(batch)?;
        self.next_cursor = cursor;
        Ok(Outcome::DutiesMissed(missed))
    }
}
