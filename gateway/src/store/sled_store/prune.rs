//! `ketenpoort prune` on the sled store: finds the finished conversations past their
//! retention ([`crate::store::retention`]) and purges their XML and personal data in
//! batches, each one atomic sled batch followed by a flush.
//!
//! What a purge does to each key of a conversation:
//!
//! | key | holds | prune |
//! |---|---|---|
//! | `x/` id | the XML sent | removed |
//! | `m/` id | [`MessageMeta`] (no personal data) | kept, `purged_at_ms` set |
//! | `r/` seq | the XML received | kept with `xml` emptied, `purged_at_ms` set |
//! | `p/` seq | a quarantined payload | removed (its `r/` as above) |
//! | `e/` cursor | events: the XML received, the Bsn of a 301 | kept with `raw_xml` and the Bsn emptied |
//!
//! Every other key stays: the history indexes (`h/`, which the rules read and which hold
//! BSNs in some keys), request_ids (`i/`), DeclaratieNummers (`d/`), traceerIds (`t/`),
//! push identifiers (`o/`), the kept duty records (`v/a/`, `v/d/`) and the access log
//! (`n/`, NEN 7513). A conversation is purged whole in one batch or not at all, so a
//! `kill -9` at any moment leaves each conversation untouched or fully purged, and a rerun
//! purges what is left.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write as _;
use std::path::Path;

use chrono::NaiveDate;
use ketenpoort_messages::Message;

use super::{
    EventBody, EventRecord, ExportLine, MessageMeta, ReceivedRecord, be, format, key, read_u64,
};
use crate::error::Error;
use crate::store::duties::{self, RetourDuty, StopWatch};
use crate::store::engine::{Batch, Direction, Engine, SledEngine};
use crate::store::open::{self, Create};
use crate::store::retention::{Age, Conversations, Retention};
use crate::store::stored_xml;

/// How to prune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneOptions {
    /// How long records are kept.
    pub retention: Retention,
    /// Today (the system clock), against which ages are judged.
    pub today: NaiveDate,
    /// Now, milliseconds since the Unix epoch: recorded as `purged_at_ms`.
    pub now_ms: i64,
    /// List what would go; change nothing.
    pub dry_run: bool,
    /// Records (messages sent and received) per batch, at least 1; a conversation is never
    /// split over two batches.
    pub batch: usize,
}

/// One record of a conversation to purge, as listed (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A message sent (`m/` + `x/`).
    Sent {
        /// Its id.
        id: u64,
        /// Its kind, e.g. `JW323`.
        kind: String,
        /// When it was accepted.
        accepted: NaiveDate,
    },
    /// A message received (`r/`), or a quarantined payload (`p/`).
    Received {
        /// Its sequence.
        sequence: u64,
        /// Its kind, e.g. `JW325`; `quarantined` for a payload that did not read.
        kind: String,
    },
}

/// A conversation that may be purged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its records not purged yet.
    pub members: Vec<Member>,
    /// Its age ([`crate::store::retention`]).
    pub age: NaiveDate,
    /// The cursors of its events.
    pub cursors: Vec<u64>,
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Conversations purged.
    pub conversations: usize,
    /// Messages sent whose XML was purged.
    pub sent: usize,
    /// Messages received whose XML was purged.
    pub received: usize,
    /// Events whose personal data was purged.
    pub events: usize,
    /// Batches written.
    pub batches: usize,
}

/// The store opened in place for pruning: never created, never copied (a prune must write).
/// Opening, the format upgrade and closing are sled's; what is pruned is read and written
/// through the [`Engine`] (`engine`, over the same database).
struct ForPruning {
    db: sled::Db,
    engine: SledEngine,
    dir: std::path::PathBuf,
}

impl ForPruning {
    /// Opens the store in `dir`; a store of an older format is upgraded first, as a gateway
    /// would, unless `dry` (then it is refused: a dry run writes nothing).
    fn open(dir: &Path, dry: bool) -> Result<ForPruning, Error> {
        let found = open::prepare(dir, Create::Never)?;
        let options = super::Options::default();
        open::verify(dir, options.verify_limits())?;
        open::forget_clean_close(dir)?;
        let db = open::open_sled(dir, options.cache_bytes)?;
        open::check_identity(dir, &db, &found)?;
        let older = match db.get(format::FORMAT_KEY)? {
            Some(v) => read_u64(&v)? < format::CURRENT,
            None => true,
        };
        if dry && older {
            return Err(Error::StoreOpen {
                path: dir.to_owned(),
                detail: format!(
                    "the store is not of format {}: start the gateway (or prune without \
                     --dry-run) once to upgrade it",
                    format::CURRENT
                ),
            });
        }
        format::open(&db, dir)?;
        Ok(ForPruning {
            engine: SledEngine::new(db.clone()),
            db,
            dir: dir.to_owned(),
        })
    }

    fn close(self) -> Result<(), Error> {
        self.db.flush()?;
        drop(self.engine);
        drop(self.db);
        open::record_clean_close(&self.dir);
        Ok(())
    }
}

/// Prunes the store in `data_dir`: lists each candidate to `list` (dry run) or purges them,
/// writing each batch's records to `archive` first (synced), and reporting each batch to
/// `progress`. The gateway must be stopped (sled's lock refuses a store in use).
pub fn prune(
    data_dir: &Path,
    options: &PruneOptions,
    mut archive: Option<&mut std::fs::File>,
    list: &mut dyn std::io::Write,
    progress: &mut dyn FnMut(&Report, usize),
) -> Result<Report, Error> {
    let store = ForPruning::open(data_dir, options.dry_run)?;
    let candidates = candidates_in(&store.engine, options)?;
    let mut report = Report::default();
    let io = |e: std::io::Error| Error::Store(format!("cannot write: {e}"));
    if options.dry_run {
        for c in &candidates {
            for m in &c.members {
                match m {
                    Member::Sent { id, kind, accepted } => writeln!(
                        list,
                        "message {id} {kind} accepted {accepted} age {} events {}",
                        c.age,
                        c.cursors.len()
                    ),
                    Member::Received { sequence, kind } => {
                        writeln!(list, "received {sequence} {kind} age {}", c.age)
                    }
                }
                .map_err(io)?;
            }
            count(&mut report, c);
        }
        store.close()?;
        return Ok(report);
    }
    let total = candidates.len();
    let mut start = 0;
    while start < candidates.len() {
        let mut end = start;
        let mut records = 0;
        while end < candidates.len() && (end == start || records < options.batch.max(1)) {
            records += candidates[end].members.len();
            end += 1;
        }
        let batch = &candidates[start..end];
        purge_batch(&store.engine, batch, options.now_ms, archive.as_deref_mut())?;
        for c in batch {
            count(&mut report, c);
        }
        report.batches += 1;
        progress(&report, total);
        start = end;
    }
    store.close()?;
    Ok(report)
}

fn count(report: &mut Report, c: &Candidate) {
    report.conversations += 1;
    for m in &c.members {
        match m {
            Member::Sent { .. } => report.sent += 1,
            Member::Received { .. } => report.received += 1,
        }
    }
    report.events += c.cursors.len();
}

/// One batch: its records archived (and synced), then purged in one atomic batch, made
/// durable as one group of the engine (sled: flushed).
fn purge_batch(
    db: &dyn Engine,
    candidates: &[Candidate],
    now_ms: i64,
    archive: Option<&mut std::fs::File>,
) -> Result<(), Error> {
    db.begin_group()?;
    let mut lines: Vec<ExportLine> = Vec::new();
    let mut batch = Batch::default();
    for c in candidates {
        for m in &c.members {
            match m {
                Member::Sent { id, .. } => {
                    let Some(v) = db.get(&key(b"m/", &be(*id)))? else {
                        continue;
                    };
                    let mut meta: MessageMeta = serde_json::from_slice(&v)?;
                    let xml = match db.get(&key(b"x/", &be(*id)))? {
                        Some(x) => stored_xml::decode(&x)?,
                        None => String::new(),
                    };
                    lines.push(ExportLine::Message {
                        meta: meta.clone(),
                        xml,
                    });
                    meta.purged_at_ms = Some(now_ms);
                    batch.insert(key(b"m/", &be(*id)), serde_json::to_vec(&meta)?);
                    batch.remove(key(b"x/", &be(*id)));
                }
                Member::Received { sequence, .. } => {
                    let Some(v) = db.get(&key(b"r/", &be(*sequence)))? else {
                        continue;
                    };
                    let mut record: ReceivedRecord = serde_json::from_slice(&v)?;
                    lines.push(ExportLine::Received {
                        sequence: *sequence,
                        record: record.clone(),
                    });
                    if let Some(bytes) = db.get(&key(b"p/", &be(*sequence)))? {
                        lines.push(ExportLine::Payload {
                            sequence: *sequence,
                            hex: hex(&bytes),
                        });
                        batch.remove(key(b"p/", &be(*sequence)));
                    }
                    record.xml = String::new();
                    record.purged_at_ms = Some(now_ms);
                    batch.insert(key(b"r/", &be(*sequence)), serde_json::to_vec(&record)?);
                }
            }
        }
        for cursor in &c.cursors {
            let Some(v) = db.get(&key(b"e/", &be(*cursor)))? else {
                continue;
            };
            let event: EventRecord = serde_json::from_slice(&v)?;
            let scrubbed = scrub(event.clone());
            if scrubbed != event {
                lines.push(ExportLine::Event(event));
                batch.insert(key(b"e/", &be(*cursor)), serde_json::to_vec(&scrubbed)?);
            }
        }
    }
    if let Some(file) = archive {
        let io = |e: std::io::Error| Error::Store(format!("cannot write the archive: {e}"));
        let mut out = std::io::BufWriter::new(&mut *file);
        for line in &lines {
            serde_json::to_writer(&mut out, line)?;
            out.write_all(b"\n").map_err(io)?;
        }
        out.flush().map_err(io)?;
        drop(out);
        // Durable before the records it holds are purged.
        file.sync_data().map_err(io)?;
    }
    db.apply(batch)?;
    db.commit_group()?;
    Ok(())
}

/// An event without personal data: no XML, no Bsn.
pub fn scrub(mut event: EventRecord) -> EventRecord {
    event.raw_xml = None;
    if let EventBody::Allocation { bsn, .. } = &mut event.body {
        bsn.clear();
    }
    event
}

/// `bytes` in lowercase hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn date_of_ms(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// A record read while planning.
struct Item {
    member: Member,
    age: Age,
    cursors: Vec<u64>,
    purged: bool,
    blocked: bool,
}

/// The conversations that may be purged on `options.today`, in the order of their first
/// record (sent id, then received sequence): every record of each finished, past its
/// retention, not yet purged.
pub fn candidates(db: &sled::Db, options: &PruneOptions) -> Result<Vec<Candidate>, Error> {
    candidates_in(&SledEngine::new(db.clone()), options)
}

/// [`candidates`] in the store over `db`.
pub fn candidates_in(db: &dyn Engine, options: &PruneOptions) -> Result<Vec<Candidate>, Error> {
    // What is still open, by message id and by traceerId.
    let ids_under = |prefix: &[u8]| -> Result<HashSet<u64>, Error> {
        let mut ids = HashSet::new();
        for kv in db.scan_prefix(prefix, Direction::Forward) {
            let (k, _) = kv?;
            if let Some(id) = k.get(prefix.len()..prefix.len() + 8) {
                ids.insert(read_u64(id)?);
            }
        }
        Ok(ids)
    };
    let mut open_ids = ids_under(b"q/")?;
    open_ids.extend(ids_under(b"f/")?);
    open_ids.extend(ids_under(b"w/")?);
    open_ids.extend(ids_under(duties::LATE)?);
    for kv in db.scan_prefix(duties::STOP, Direction::Forward) {
        let (_, v) = kv?;
        let watch: StopWatch = serde_json::from_slice(&v)?;
        open_ids.insert(watch.start_message);
    }
    let mut owed: HashSet<uuid::Uuid> = HashSet::new();
    for kv in db.scan_prefix(duties::RETOUR, Direction::Forward) {
        let (_, v) = kv?;
        let duty: RetourDuty = serde_json::from_slice(&v)?;
        owed.insert(duty.traceer_id);
    }

    let mut items: Vec<Item> = Vec::new();
    let mut sent_at: HashMap<u64, usize> = HashMap::new();
    for kv in db.scan_prefix(b"m/", Direction::Forward) {
        let (k, v) = kv?;
        let meta: MessageMeta = serde_json::from_slice(&v)?;
        let id = read_u64(&k[2..])?;
        let mut age = Age::default();
        age.at_ms(meta.accepted_at_ms);
        if meta.purged_at_ms.is_none() && meta.kind.ends_with("323") {
            // The period a claim is about; the other kinds sent end no later than they are
            // accepted, or are about an allocation that the 301 dates.
            if let Some(x) = db.get(&key(b"x/", &k[2..]))? {
                if let Ok(m) = Message::from_xml(stored_xml::decode(&x)?.as_bytes()) {
                    age.message(&m);
                }
            }
        }
        sent_at.insert(id, items.len());
        items.push(Item {
            member: Member::Sent {
                id,
                kind: meta.kind.clone(),
                accepted: date_of_ms(meta.accepted_at_ms),
            },
            age,
            cursors: meta.event_cursors.clone(),
            purged: meta.purged_at_ms.is_some(),
            blocked: open_ids.contains(&id),
        });
    }
    let mut by_traceer: HashMap<uuid::Uuid, usize> = HashMap::new();
    for kv in db.scan_prefix(b"r/", Direction::Forward) {
        let (k, v) = kv?;
        let record: ReceivedRecord = serde_json::from_slice(&v)?;
        let sequence = read_u64(&k[2..])?;
        let mut age = Age::default();
        let mut kind = "quarantined".to_owned();
        if record.quarantined.is_none() && record.purged_at_ms.is_none() {
            match Message::from_xml(record.xml.as_bytes()) {
                Ok(m) => {
                    kind = m.kind().to_string();
                    age.message(&m);
                }
                Err(_) => kind = "unreadable".to_owned(),
            }
        }
        if let Some(t) = record.traceer_id {
            by_traceer.insert(t, items.len());
        }
        items.push(Item {
            member: Member::Received { sequence, kind },
            age,
            cursors: record.cursor.into_iter().collect(),
            purged: record.purged_at_ms.is_some(),
            blocked: record.traceer_id.is_some_and(|t| owed.contains(&t)),
        });
    }

    // Conversations: an event's message, and the retour ketenpoort sent on a received message.
    let mut conversations = Conversations::new(items.len());
    for (i, item) in items.iter_mut().enumerate() {
        for cursor in &item.cursors {
            let Some(v) = db.get(&key(b"e/", &be(*cursor)))? else {
                continue;
            };
            let event: EventRecord = serde_json::from_slice(&v)?;
            item.age.at_ms(event.at_ms);
            if let Some(&j) = event.message_id.and_then(|id| sent_at.get(&id)) {
                conversations.join(i, j);
            }
        }
    }
    let tripwire = format::tripwire_key();
    for kv in db.scan_prefix(b"o/", Direction::Forward) {
        let (k, v) = kv?;
        if *k == *tripwire {
            continue;
        }
        let outbox: super::OutboxRecord = serde_json::from_slice(&v)?;
        let id = read_u64(&k[2..])?;
        if let (Some(t), Some(&i)) = (outbox.als_antwoord_op, sent_at.get(&id))
            && let Some(&j) = by_traceer.get(&t)
        {
            conversations.join(i, j);
        }
    }

    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..items.len() {
        groups.entry(conversations.find(i)).or_default().push(i);
    }
    let mut out = Vec::new();
    for members in groups.into_values() {
        if members.iter().any(|&i| items[i].blocked) {
            continue;
        }
        let mut age = Age::default();
        for &i in &members {
            age.merge(items[i].age);
        }
        let Some(age) = age.get() else { continue };
        if !options.retention.expired(age, options.today) {
            continue;
        }
        let left: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| !items[i].purged)
            .collect();
        if left.is_empty() {
            continue;
        }
        let mut cursors: Vec<u64> = members
            .iter()
            .flat_map(|&i| items[i].cursors.iter().copied())
            .collect();
        cursors.sort_unstable();
        cursors.dedup();
        out.push(Candidate {
            members: left.iter().map(|&i| items[i].member.clone()).collect(),
            age,
            cursors,
        });
    }
    Ok(out)
}
