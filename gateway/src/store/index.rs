//! The message history the cross-message rules read, as indexes in the store (`h/` keys),
//! read on demand through the [`History`] trait and a bounded cache.
//!
//! Every record the rules ask about has a key of its own, so that a question costs one or
//! a few look-ups and opening the store reads nothing:
//!
//! | key (`\0` ends each text part, numbers are u64 BE) | value (JSON) |
//! |---|---|
//! | `h/a/` law AGB gemeente ToewijzingNummer | [`AllocationRecord`], latest version (IV013) |
//! | `h/A/` law AGB gemeente BSN | the client's ToewijzingNummers, in order received |
//! | `h/l/` law AGB sequence | a [`ClaimedLine`] with its status |
//! | `h/L/` law AGB gemeente ToewijzingNummer sequence | empty: a line claimed against it |
//! | `h/R/` law AGB ReferentieNummer | the sequence of the latest line with it |
//! | `h/V/` law AGB VorigReferentieNummer sequence | empty: a line that names it |
//! | `h/d/` law AGB DeclaratieNummer | the claim: [`DeclarationRecord`] and its lines |
//! | `h/D/` law AGB Identificatie | the DeclaratieNummer of the 323 with it |
//! | `h/P/` law AGB gemeente Begindatum sequence | a claim not void: its DeclaratiePeriode |
//! | `h/r/` law AGB ReferentieAanbieder | [`RequestRecord`] |
//! | `h/C/` law AGB gemeente BSN | the client's ReferentieAanbieders, in order sent |
//! | `h/e/` law AGB gemeente BSN | the client's [`CareEvent`]s, in order sent |
//! | `h/i/` law type Afzender Identificatie | a heen message was recorded (TR056); for a 305, 307, 315 or 317 what its retour finds |
//! | `h/n` | the next sequence (u64 BE) |
//! | `h/s/`, `h/q/`, `h/t/` | the keys that find a sent message ([`super::received::SentIndex`]) |
//!
//! Law is one byte (`j` iJw, `w` iWmo); text parts come from XML, which cannot hold `\0`.
//!
//! [`Changes::record`] turns a message into the writes it makes to these keys, read over
//! whatever the caller has not applied yet ([`Layer`]); the store puts them into the same
//! atomic batch as the message. [`Indexed`] answers the [`History`] questions from a [`Kv`].
//! Both follow `MemoryHistory` rule for rule; a property test holds them to it
//! (`gateway/tests/it/history_differential.rs`).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ketenpoort_messages::codes::DebetCredit;
use ketenpoort_messages::model::basis::GeslotenPeriode;
use ketenpoort_messages::model::header::Header;
use ketenpoort_messages::rules::cross::{
    AllocationRecord, CareEvent, ClaimedLine, DeclarationRecord, DeclarationStatus, History,
    LineStatus, Recorder, RequestRecord, Scope, claim_answer_verdict, refused_line_references,
};
use ketenpoort_messages::{Law, Message, MessageType};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::engine::{Direction, Engine};
use crate::error::Error;

/// The prefix of every history key.
pub const PREFIX: &[u8] = b"h/";

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Keys written (`Some`) or removed (`None`) and not applied yet.
pub type Pending = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Read access to the keys of a store, as the history reads them. This is what a store
/// backend provides for the history: point reads and prefix scans in key order, over what
/// is durable (the writer layers what it has not applied yet on top, [`Layer`]).
pub trait Kv {
    /// The value of `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error>;
    /// Every key starting with `prefix` and its value, in key order.
    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, Error>;
    /// The keys starting with `prefix`, last first.
    fn scan_rev<'s>(&'s self, prefix: &[u8])
    -> Box<dyn Iterator<Item = Result<Entry, Error>> + 's>;
}

impl<T: Kv + ?Sized> Kv for &T {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        (**self).get(key)
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, Error> {
        (**self).scan(prefix)
    }

    fn scan_rev<'s>(
        &'s self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 's> {
        (**self).scan_rev(prefix)
    }
}

impl Kv for sled::Db {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Ok(sled::Tree::get(self, key)?.map(|v| v.to_vec()))
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, Error> {
        self.scan_prefix(prefix)
            .map(|kv| {
                let (k, v) = kv?;
                Ok((k.to_vec(), v.to_vec()))
            })
            .collect()
    }

    fn scan_rev<'s>(
        &'s self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 's> {
        Box::new(self.scan_prefix(prefix).rev().map(|kv| {
            let (k, v) = kv?;
            Ok((k.to_vec(), v.to_vec()))
        }))
    }
}

impl Kv for dyn Engine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Engine::get(self, key)
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, Error> {
        self.scan_prefix(prefix, Direction::Forward).collect()
    }

    fn scan_rev<'s>(
        &'s self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 's> {
        self.scan_prefix(prefix, Direction::Reverse)
    }
}

impl<T: Kv + ?Sized> Kv for Arc<T> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        (**self).get(key)
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, Error> {
        (**self).scan(prefix)
    }

    fn scan_rev<'s>(
        &'s self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 's> {
        (**self).scan_rev(prefix)
    }
}

/// `pending` over `base`: what a reader sees once `pending` is applied.
pub struct Layer<'a> {
    /// What is stored.
    pub base: &'a dyn Kv,
    /// What is written on top of it.
    pub pending: &'a Pending,
}

impl Kv for Layer<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        match self.pending.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.base.get(key),
        }
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, Error> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = self.base.scan(prefix)?.into_iter().collect();
        for (k, v) in in_prefix(self.pending, prefix) {
            match v {
                Some(v) => merged.insert(k.clone(), v.clone()),
                None => merged.remove(k),
            };
        }
        Ok(merged.into_iter().collect())
    }

    fn scan_rev<'s>(
        &'s self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 's> {
        let over: Vec<(Vec<u8>, Option<Vec<u8>>)> = in_prefix(self.pending, prefix)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Box::new(MergeRev {
            base: self.base.scan_rev(prefix).peekable(),
            over,
        })
    }
}

fn in_prefix<'p>(
    pending: &'p Pending,
    prefix: &'p [u8],
) -> impl Iterator<Item = (&'p Vec<u8>, &'p Option<Vec<u8>>)> + 'p {
    pending
        .range(prefix.to_vec()..)
        .take_while(move |(k, _)| k.starts_with(prefix))
}

/// Merges stored keys (descending) with pending ones (ascending, taken from the end).
struct MergeRev<'s> {
    base: std::iter::Peekable<Box<dyn Iterator<Item = Result<Entry, Error>> + 's>>,
    over: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Iterator for MergeRev<'_> {
    type Item = Result<Entry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let base_key = match self.base.peek() {
                Some(Ok((k, _))) => Some(k.clone()),
                Some(Err(_)) => return self.base.next(),
                None => None,
            };
            let over_first = match (self.over.last(), &base_key) {
                (Some((ok, _)), Some(bk)) => ok >= bk,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if !over_first {
                return self.base.next();
            }
            let (k, v) = self.over.pop()?;
            if base_key.as_ref() == Some(&k) {
                self.base.next();
            }
            if let Some(v) = v {
                return Some(Ok((k, v)));
            }
        }
    }
}

// === the cache ===

/// A bounded cache of values read from the store, by key: two generations, the newer
/// filled until it holds half the capacity, then the older dropped (a cheap approximation
/// of least recently used). Missing keys are cached too: most look-ups of a new claim are
/// for numbers not used before.
#[derive(Debug)]
pub struct Cache {
    capacity: usize,
    inner: Mutex<CacheInner>,
}

type CacheMap = foldhash::HashMap<Vec<u8>, Option<Vec<u8>>>;

#[derive(Debug, Default)]
struct CacheInner {
    /// Raised by every invalidation, so that a value read before it is not cached after.
    epoch: u64,
    hot: CacheMap,
    cold: CacheMap,
}

impl Cache {
    /// A cache of at most `capacity` keys (0: none).
    pub fn new(capacity: usize) -> Self {
        Cache {
            capacity,
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// The number of keys it holds.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |c| c.hot.len() + c.cold.len())
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `Ok(value)` on a hit (`None`: known to be missing), else `Err(epoch)`.
    fn lookup(&self, key: &[u8]) -> Result<Option<Vec<u8>>, u64> {
        let Ok(mut c) = self.inner.lock() else {
            return Err(u64::MAX);
        };
        if let Some(v) = c.hot.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = c.cold.remove(key) {
            let out = v.clone();
            Self::put(&mut c, self.capacity, key.to_vec(), v);
            return Ok(out);
        }
        Err(c.epoch)
    }

    fn put(c: &mut CacheInner, capacity: usize, key: Vec<u8>, value: Option<Vec<u8>>) {
        if c.hot.len() >= capacity.div_ceil(2) {
            c.cold = std::mem::take(&mut c.hot);
        }
        c.hot.insert(key, value);
    }

    fn fill(&self, key: &[u8], value: &Option<Vec<u8>>, epoch: u64) {
        if self.capacity == 0 {
            return;
        }
        if let Ok(mut c) = self.inner.lock()
            && c.epoch == epoch
        {
            Self::put(&mut c, self.capacity, key.to_vec(), value.clone());
        }
    }

    /// Forgets everything it holds (another writer may have changed any key).
    pub fn clear(&self) {
        if let Ok(mut c) = self.inner.lock() {
            c.epoch = c.epoch.wrapping_add(1);
            c.hot.clear();
            c.cold.clear();
        }
    }

    /// Forgets `keys` (just written to the store).
    pub fn invalidate<'k>(&self, keys: impl IntoIterator<Item = &'k [u8]>) {
        if let Ok(mut c) = self.inner.lock() {
            c.epoch = c.epoch.wrapping_add(1);
            for k in keys {
                c.hot.remove(k);
                c.cold.remove(k);
            }
        }
    }
}

/// `kv` read through `cache` (point reads only; scans go to `kv`).
pub struct Cached<'a> {
    /// The store.
    pub kv: &'a dyn Kv,
    /// The cache.
    pub cache: &'a Cache,
}

impl Kv for Cached<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        match self.cache.lookup(key) {
            Ok(hit) => Ok(hit),
            Err(epoch) => {
                let v = self.kv.get(key)?;
                self.cache.fill(key, &v, epoch);
                Ok(v)
            }
        }
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, Error> {
        self.kv.scan(prefix)
    }

    fn scan_rev<'s>(
        &'s self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, Error>> + 's> {
        self.kv.scan_rev(prefix)
    }
}

// === keys ===

struct K(Vec<u8>);

impl K {
    fn tag(tag: u8) -> K {
        let mut k = Vec::with_capacity(48);
        k.extend_from_slice(PREFIX);
        k.push(tag);
        k.push(b'/');
        K(k)
    }

    fn law(mut self, law: Law) -> K {
        self.0.push(match law {
            Law::Ijw => b'j',
            Law::Iwmo => b'w',
        });
        self
    }

    fn s(mut self, s: &str) -> K {
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(0);
        self
    }

    fn n(mut self, n: u64) -> K {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }
}

fn provider(tag: u8, scope: &Scope) -> K {
    K::tag(tag).law(scope.law).s(&scope.aanbieder)
}

fn scoped(tag: u8, scope: &Scope) -> K {
    provider(tag, scope).s(&scope.gemeente)
}

fn id_key(law: Law, message_type: MessageType, afzender: &str, identificatie: &str) -> Vec<u8> {
    K::tag(b'i')
        .law(law)
        .n(u64::from(message_type.number()))
        .s(afzender)
        .s(identificatie)
        .0
}

fn period_key(scope: &Scope, periode: &GeslotenPeriode, order: u64) -> Vec<u8> {
    let day = u64::try_from(chrono::Datelike::num_days_from_ce(&periode.begindatum)).unwrap_or(0);
    scoped(b'P', scope).n(day).n(order).0
}

const SEQUENCE: &[u8] = b"h/n";

/// The sequence at the end of a key.
fn tail(key: &[u8]) -> Option<u64> {
    let at = key.len().checked_sub(8)?;
    Some(u64::from_be_bytes(key.get(at..)?.try_into().ok()?))
}

fn decode<T: DeserializeOwned>(v: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(v)
        .map_err(|e| Error::Store(format!("a history record does not read: {e}")))
}

fn get_json<T: DeserializeOwned>(kv: &dyn Kv, key: &[u8]) -> Result<Option<T>, Error> {
    match kv.get(key)? {
        Some(v) => Ok(Some(decode(&v)?)),
        None => Ok(None),
    }
}

/// A claim (323) as indexed: its record, its lines (`h/l/` first .. first + count) and the
/// sequence of its `h/P/` key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredDeclaration {
    record: DeclarationRecord,
    first: u64,
    count: u64,
    order: u64,
}

/// What a recorded heen message left for its retour to find (`h/i/`).
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Sent {
    Care {
        scope: Scope,
        bsn: String,
        first: usize,
        count: usize,
    },
    Requests {
        scope: Scope,
        references: Vec<String>,
    },
}

// === writing ===

/// The writes that recording messages makes to the history's keys, over `base`.
pub struct Changes<'a> {
    base: &'a dyn Kv,
    pending: Pending,
}

impl<'a> Changes<'a> {
    /// No changes yet, over `base` (what is stored plus what the caller has not applied).
    pub fn new(base: &'a dyn Kv) -> Self {
        Changes {
            base,
            pending: Pending::new(),
        }
    }

    /// The writes, for the caller's batch.
    pub fn into_pending(self) -> Pending {
        self.pending
    }

    fn view(&self) -> Layer<'_> {
        Layer {
            base: self.base,
            pending: &self.pending,
        }
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, Error> {
        get_json(&self.view(), key)
    }

    fn put<T: Serialize>(&mut self, key: Vec<u8>, value: &T) -> Result<(), Error> {
        self.pending.insert(key, Some(serde_json::to_vec(value)?));
        Ok(())
    }

    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.pending.insert(key, Some(value));
    }

    fn remove(&mut self, key: Vec<u8>) {
        self.pending.insert(key, None);
    }

    fn next_sequence(&self) -> Result<u64, Error> {
        match self.view().get(SEQUENCE)? {
            Some(v) => tail(&v).ok_or_else(|| Error::Store("h/n is not 8 bytes".into())),
            None => Ok(1),
        }
    }

    /// Records a message sent or received, as `MemoryHistory::record` does. Returns
    /// `false`, writing nothing, for a heen message whose Identificatie this sender already
    /// used for this message type (a redelivery).
    pub fn record(&mut self, message: &Message) -> Result<bool, Error> {
        ketenpoort_messages::rules::cross::record(self, message)
    }

    /// Stores an allocation unless the stored version is more recent (IV013).
    fn insert_allocation(&mut self, scope: &Scope, record: AllocationRecord) -> Result<(), Error> {
        let nummer = record.toewijzing_nummer;
        let ak = scoped(b'a', scope).n(nummer).0;
        let newer = self.get::<AllocationRecord>(&ak)?.is_none_or(|old| {
            (record.toewijzingsdatum, record.toewijzingstijd)
                >= (old.toewijzingsdatum, old.toewijzingstijd)
        });
        if !newer {
            return Ok(());
        }
        let ck = scoped(b'A', scope).s(&record.bsn).0;
        let mut numbers: Vec<u64> = self.get(&ck)?.unwrap_or_default();
        if !numbers.contains(&nummer) {
            numbers.push(nummer);
            self.put(ck, &numbers)?;
        }
        self.put(ak, &record)
    }

    fn record_care(
        &mut self,
        scope: &Scope,
        message_type: MessageType,
        header: &Header,
        bsn: &str,
        events: Vec<CareEvent>,
    ) -> Result<(), Error> {
        let ek = scoped(b'e', scope).s(bsn).0;
        let mut list: Vec<CareEvent> = self.get(&ek)?.unwrap_or_default();
        let first = list.len();
        let count = events.len();
        list.extend(events);
        self.put(ek, &list)?;
        let sent = Sent::Care {
            scope: scope.clone(),
            bsn: bsn.to_owned(),
            first,
            count,
        };
        let k = id_key(
            scope.law,
            message_type,
            &header.afzender,
            &header.bericht_identificatie.identificatie.0,
        );
        self.put(k, &Some(sent))
    }

    /// Marks the deliveries of a 305/307 rejected: all (`None`) or those matching the
    /// echoed, rejected ones.
    fn reject_care(
        &mut self,
        law: Law,
        heen: MessageType,
        heen_header: &Header,
        which: Option<Vec<CareEvent>>,
    ) -> Result<(), Error> {
        let k = id_key(
            law,
            heen,
            &heen_header.afzender,
            &heen_header.bericht_identificatie.identificatie.0,
        );
        let Some(Some(Sent::Care {
            scope,
            bsn,
            first,
            count,
        })) = self.get::<Option<Sent>>(&k)?
        else {
            return Ok(());
        };
        let ek = scoped(b'e', &scope).s(&bsn).0;
        let Some(mut list) = self.get::<Vec<CareEvent>>(&ek)? else {
            return Ok(());
        };
        for e in list.iter_mut().skip(first).take(count) {
            let hit = match &which {
                None => true,
                Some(echoed) => echoed
                    .iter()
                    .any(|x| x.key == e.key && x.stop == e.stop && x.status == e.status),
            };
            if hit {
                e.rejected = true;
            }
        }
        self.put(ek, &list)
    }

    fn record_requests(
        &mut self,
        scope: &Scope,
        message_type: MessageType,
        header: &Header,
        bsn: &str,
        references: Vec<String>,
    ) -> Result<(), Error> {
        for r in &references {
            let record = RequestRecord {
                referentie_aanbieder: r.clone(),
                message_type,
                gemeente: scope.gemeente.clone(),
                bsn: bsn.to_owned(),
                rejected: false,
                answers: Vec::new(),
                allocated: false,
            };
            self.put(provider(b'r', scope).s(r).0, &record)?;
            let ck = scoped(b'C', scope).s(bsn).0;
            let mut list: Vec<String> = self.get(&ck)?.unwrap_or_default();
            if !list.contains(r) {
                list.push(r.clone());
                self.put(ck, &list)?;
            }
        }
        let k = id_key(
            scope.law,
            message_type,
            &header.afzender,
            &header.bericht_identificatie.identificatie.0,
        );
        let sent = Sent::Requests {
            scope: scope.clone(),
            references,
        };
        self.put(k, &Some(sent))
    }

    /// Marks the requests of a 315/317 rejected: all (`None`) or the listed references.
    fn reject_requests(
        &mut self,
        law: Law,
        heen: MessageType,
        heen_header: &Header,
        which: Option<Vec<String>>,
    ) -> Result<(), Error> {
        let k = id_key(
            law,
            heen,
            &heen_header.afzender,
            &heen_header.bericht_identificatie.identificatie.0,
        );
        let Some(Some(Sent::Requests { scope, references })) = self.get::<Option<Sent>>(&k)? else {
            return Ok(());
        };
        for r in references {
            if which.as_ref().is_none_or(|w| w.contains(&r)) {
                let rk = provider(b'r', &scope).s(&r).0;
                if let Some(mut req) = self.get::<RequestRecord>(&rk)? {
                    req.rejected = true;
                    self.put(rk, &req)?;
                }
            }
        }
        Ok(())
    }

    fn record_claim(
        &mut self,
        scope: &Scope,
        header: &Header,
        d: &ketenpoort_messages::model::declaration::Declaratie,
    ) -> Result<(), Error> {
        let nummer = d.declaratie_nummer.0.clone();
        let shared_gemeente: Arc<str> = Arc::from(scope.gemeente.as_str());
        let shared_nummer: Arc<str> = Arc::from(nummer.as_str());
        let first = self.next_sequence()?;
        let mut seq = first;
        for client in &d.clienten {
            let bsn: Arc<str> = Arc::from(client.bsn.0.as_str());
            for p in &client.prestaties {
                let line = ClaimedLine {
                    gemeente: Arc::clone(&shared_gemeente),
                    declaratie_nummer: Arc::clone(&shared_nummer),
                    bsn: Arc::clone(&bsn),
                    prestatie: p.clone(),
                    status: LineStatus::Pending,
                };
                self.put(provider(b'l', scope).n(seq).0, &line)?;
                let reference = &p.product_referentie.referentie_nummer.0;
                self.put_raw(
                    provider(b'R', scope).s(reference).0,
                    seq.to_be_bytes().to_vec(),
                );
                if let Some(v) = &p.product_referentie.vorig_referentie_nummer {
                    self.put_raw(provider(b'V', scope).s(&v.0).n(seq).0, Vec::new());
                }
                self.put_raw(
                    scoped(b'L', scope).n(p.toewijzing_nummer.0).n(seq).0,
                    Vec::new(),
                );
                seq += 1;
            }
        }
        let order = seq;
        self.put_raw(SEQUENCE.to_vec(), (seq + 1).to_be_bytes().to_vec());
        self.put(
            provider(b'D', scope)
                .s(&header.bericht_identificatie.identificatie.0)
                .0,
            &nummer,
        )?;
        let dk = provider(b'd', scope).s(&nummer).0;
        // A number used again (the store refuses that, TR333): the old claim's period
        // no longer counts, as in MemoryHistory, where the number names the new claim.
        if let Some(old) = self.get::<StoredDeclaration>(&dk)? {
            let old_scope = Scope {
                gemeente: old.record.gemeente.clone(),
                ..scope.clone()
            };
            self.remove(period_key(&old_scope, &old.record.periode, old.order));
        }
        let stored = StoredDeclaration {
            record: DeclarationRecord {
                gemeente: scope.gemeente.clone(),
                declaratie_nummer: nummer,
                periode: d.declaratie_periode.clone(),
                identificatie: header.bericht_identificatie.clone(),
                xsd_versie: header.xsd_versie.clone(),
                status: DeclarationStatus::Pending,
            },
            first,
            count: seq - first,
            order,
        };
        self.put(
            period_key(scope, &d.declaratie_periode, order),
            &d.declaratie_periode,
        )?;
        self.put(dk, &stored)
    }

    fn record_claim_answer(
        &mut self,
        scope: &Scope,
        a: &ketenpoort_messages::message::DeclarationAnswer,
    ) -> Result<(), Error> {
        let nummer = match &a.body {
            Some(body) => Some(body.declaratie_nummer.0.clone()),
            None => self.get::<String>(
                &provider(b'D', scope)
                    .s(&a.header.declaratie_identificatie.identificatie.0)
                    .0,
            )?,
        };
        let Some(nummer) = nummer else {
            return Ok(());
        };
        let dk = provider(b'd', scope).s(&nummer).0;
        let Some(mut stored) = self.get::<StoredDeclaration>(&dk)? else {
            return Ok(());
        };
        let (status, line_status) = claim_answer_verdict(a);
        let whole_rejected = status == DeclarationStatus::Void;
        stored.record.status = status;
        let own_scope = Scope {
            gemeente: stored.record.gemeente.clone(),
            ..scope.clone()
        };
        let pk = period_key(&own_scope, &stored.record.periode, stored.order);
        if whole_rejected {
            self.remove(pk);
        } else {
            self.put(pk, &stored.record.periode)?;
        }
        let (first, count) = (stored.first, stored.count);
        self.put(dk, &stored)?;
        for seq in first..first + count {
            let lk = provider(b'l', scope).n(seq).0;
            if let Some(mut line) = self.get::<ClaimedLine>(&lk)? {
                line.status = line_status;
                self.put(lk, &line)?;
            }
        }
        if whole_rejected {
            return Ok(());
        }
        for reference in refused_line_references(a) {
            let found = self
                .view()
                .get(&provider(b'R', scope).s(reference).0)?
                .and_then(|v| tail(&v))
                .filter(|s| (first..first + count).contains(s));
            if let Some(seq) = found {
                let lk = provider(b'l', scope).n(seq).0;
                if let Some(mut line) = self.get::<ClaimedLine>(&lk)? {
                    line.status = LineStatus::Rejected;
                    self.put(lk, &line)?;
                }
            }
        }
        Ok(())
    }
}

// === reading ===

impl Recorder for Changes<'_> {
    type Error = Error;

    fn first_use(
        &mut self,
        law: Law,
        message_type: MessageType,
        header: &Header,
    ) -> Result<bool, Error> {
        let k = id_key(
            law,
            message_type,
            &header.afzender,
            &header.bericht_identificatie.identificatie.0,
        );
        if self.view().get(&k)?.is_some() {
            return Ok(false);
        }
        self.put(k, &None::<Sent>)?;
        Ok(true)
    }

    fn put_allocation(&mut self, scope: &Scope, record: AllocationRecord) -> Result<(), Error> {
        self.insert_allocation(scope, record)
    }

    fn update_request(
        &mut self,
        scope: &Scope,
        reference: &str,
        change: &mut dyn FnMut(&mut RequestRecord),
    ) -> Result<(), Error> {
        let rk = provider(b'r', scope).s(reference).0;
        if let Some(mut req) = self.get::<RequestRecord>(&rk)? {
            change(&mut req);
            self.put(rk, &req)?;
        }
        Ok(())
    }

    fn care(
        &mut self,
        scope: &Scope,
        message_type: MessageType,
        header: &Header,
        bsn: &str,
        events: Vec<CareEvent>,
    ) -> Result<(), Error> {
        self.record_care(scope, message_type, header, bsn, events)
    }

    fn care_rejected(
        &mut self,
        law: Law,
        heen: MessageType,
        heen_header: &Header,
        which: Option<Vec<CareEvent>>,
    ) -> Result<(), Error> {
        self.reject_care(law, heen, heen_header, which)
    }

    fn requests(
        &mut self,
        scope: &Scope,
        message_type: MessageType,
        header: &Header,
        bsn: &str,
        references: Vec<String>,
    ) -> Result<(), Error> {
        self.record_requests(scope, message_type, header, bsn, references)
    }

    fn requests_rejected(
        &mut self,
        law: Law,
        heen: MessageType,
        heen_header: &Header,
        which: Option<Vec<String>>,
    ) -> Result<(), Error> {
        self.reject_requests(law, heen, heen_header, which)
    }

    fn claim(
        &mut self,
        scope: &Scope,
        header: &Header,
        d: &ketenpoort_messages::model::declaration::Declaratie,
    ) -> Result<(), Error> {
        self.record_claim(scope, header, d)
    }

    fn claim_answer(
        &mut self,
        scope: &Scope,
        a: &ketenpoort_messages::message::DeclarationAnswer,
    ) -> Result<(), Error> {
        self.record_claim_answer(scope, a)
    }
}

/// The [`History`] over the keys of a [`Kv`]. A read error cannot pass through the trait:
/// the question is answered as if nothing were stored and the error kept, for
/// [`Indexed::finish`] to return, so that no verdict rests on a failed read.
pub struct Indexed<K> {
    kv: K,
    error: RefCell<Option<Error>>,
}

impl<K: Kv> Indexed<K> {
    /// The history in `kv`.
    pub fn new(kv: K) -> Self {
        Indexed {
            kv,
            error: RefCell::new(None),
        }
    }

    /// `value`, or the first read error met since the last call.
    pub fn finish<T>(&self, value: T) -> Result<T, Error> {
        match self.error.borrow_mut().take() {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }

    fn ok<T: Default>(&self, r: Result<T, Error>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => {
                let mut slot = self.error.borrow_mut();
                if slot.is_none() {
                    *slot = Some(e);
                }
                T::default()
            }
        }
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Option<T> {
        self.ok(get_json(&self.kv, key))
    }

    fn line_at(&self, scope: &Scope, seq: u64) -> Option<ClaimedLine> {
        self.get(&provider(b'l', scope).n(seq).0)
    }

    fn lines_under(&self, scope: &Scope, prefix: &[u8]) -> Vec<ClaimedLine> {
        self.ok(self.kv.scan(prefix))
            .iter()
            .filter_map(|(k, _)| tail(k))
            .filter_map(|seq| self.line_at(scope, seq))
            .collect()
    }
}

impl<K: Kv> History for Indexed<K> {
    fn allocation(&self, scope: &Scope, nummer: u64) -> Option<Cow<'_, AllocationRecord>> {
        self.get(&scoped(b'a', scope).n(nummer).0).map(Cow::Owned)
    }

    fn client_allocations(&self, scope: &Scope, bsn: &str) -> Vec<Cow<'_, AllocationRecord>> {
        let numbers: Vec<u64> = self.get(&scoped(b'A', scope).s(bsn).0).unwrap_or_default();
        numbers
            .into_iter()
            .filter_map(|n| self.get::<AllocationRecord>(&scoped(b'a', scope).n(n).0))
            .filter(|a| a.bsn == bsn)
            .map(Cow::Owned)
            .collect()
    }

    fn allocation_lines(&self, scope: &Scope, nummer: u64) -> Vec<Cow<'_, ClaimedLine>> {
        self.lines_under(scope, &scoped(b'L', scope).n(nummer).0)
            .into_iter()
            .map(Cow::Owned)
            .collect()
    }

    fn line(&self, scope: &Scope, referentie_nummer: &str) -> Option<Cow<'_, ClaimedLine>> {
        let v = self.ok(self.kv.get(&provider(b'R', scope).s(referentie_nummer).0))?;
        self.line_at(scope, tail(&v)?).map(Cow::Owned)
    }

    fn credit_of(&self, scope: &Scope, referentie_nummer: &str) -> Option<Cow<'_, ClaimedLine>> {
        self.lines_under(scope, &provider(b'V', scope).s(referentie_nummer).0)
            .into_iter()
            .find(|l| l.sign() == DebetCredit::Credit && l.status.counts())
            .map(Cow::Owned)
    }

    fn declaration(&self, scope: &Scope, nummer: &str) -> Option<Cow<'_, DeclarationRecord>> {
        self.get::<StoredDeclaration>(&provider(b'd', scope).s(nummer).0)
            .map(|d| Cow::Owned(d.record))
    }

    fn last_declaration_period(&self, scope: &Scope) -> Option<GeslotenPeriode> {
        let prefix = scoped(b'P', scope).0;
        let last = self.kv.scan_rev(&prefix).next()?;
        let (_, v) = self.ok(last.map(Some))?;
        self.ok(decode(&v).map(Some))
    }

    fn request(&self, scope: &Scope, referentie: &str) -> Option<Cow<'_, RequestRecord>> {
        self.get(&provider(b'r', scope).s(referentie).0)
            .map(Cow::Owned)
    }

    fn client_requests(&self, scope: &Scope, bsn: &str) -> Vec<Cow<'_, RequestRecord>> {
        let references: Vec<String> = self.get(&scoped(b'C', scope).s(bsn).0).unwrap_or_default();
        references
            .iter()
            .filter_map(|r| self.get::<RequestRecord>(&provider(b'r', scope).s(r).0))
            .filter(|r| r.bsn == bsn && r.gemeente == scope.gemeente)
            .map(Cow::Owned)
            .collect()
    }

    fn care_events(&self, scope: &Scope, bsn: &str) -> Cow<'_, [CareEvent]> {
        let list: Vec<CareEvent> = self.get(&scoped(b'e', scope).s(bsn).0).unwrap_or_default();
        Cow::Owned(list)
    }

    fn identificatie_used(
        &self,
        law: Law,
        message_type: MessageType,
        afzender: &str,
        identificatie: &str,
    ) -> bool {
        let k = id_key(law, message_type, afzender, identificatie);
        self.ok(self.kv.get(&k)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_holds_at_most_its_capacity_and_forgets_what_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(dir.path()).open().expect("sled");
        for i in 0..100u64 {
            db.insert(i.to_be_bytes(), i.to_be_bytes().to_vec())
                .expect("insert");
        }
        let cache = Cache::new(10);
        let cached = Cached {
            kv: &db,
            cache: &cache,
        };
        for round in 0..3 {
            for i in 0..100u64 {
                let v = cached.get(&i.to_be_bytes()).expect("get");
                assert_eq!(v, Some(i.to_be_bytes().to_vec()), "round {round}, key {i}");
                assert!(cache.len() <= 10, "{} keys held", cache.len());
            }
        }
        // A key read (and cached), then written and invalidated, reads the new value; a
        // missing key is cached as missing until it is written.
        let k = 7u64.to_be_bytes();
        assert!(cached.get(&k).expect("get").is_some());
        assert_eq!(cached.get(b"absent").expect("get"), None);
        db.insert(k, b"new".to_vec()).expect("insert");
        db.insert(b"absent", b"here".to_vec()).expect("insert");
        cache.invalidate([k.as_slice(), b"absent".as_slice()]);
        assert_eq!(cached.get(&k).expect("get"), Some(b"new".to_vec()));
        assert_eq!(cached.get(b"absent").expect("get"), Some(b"here".to_vec()));
        // Capacity 0: nothing is held.
        let none = Cache::new(0);
        let uncached = Cached {
            kv: &db,
            cache: &none,
        };
        assert!(uncached.get(&k).expect("get").is_some());
        assert!(none.is_empty());
    }

    #[test]
    fn a_layer_scans_the_store_with_its_pending_writes_in_key_order_both_ways() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(dir.path()).open().expect("sled");
        for k in [b"p/1", b"p/3", b"p/5", b"q/0"] {
            db.insert(k, k.to_vec()).expect("insert");
        }
        let mut pending = Pending::new();
        pending.insert(b"p/2".to_vec(), Some(b"two".to_vec()));
        pending.insert(b"p/3".to_vec(), None);
        pending.insert(b"p/5".to_vec(), Some(b"five".to_vec()));
        pending.insert(b"p/6".to_vec(), Some(b"six".to_vec()));
        let layer = Layer {
            base: &db,
            pending: &pending,
        };
        let forward: Vec<Entry> = layer.scan(b"p/").expect("scan");
        let expected: Vec<Entry> = vec![
            (b"p/1".to_vec(), b"p/1".to_vec()),
            (b"p/2".to_vec(), b"two".to_vec()),
            (b"p/5".to_vec(), b"five".to_vec()),
            (b"p/6".to_vec(), b"six".to_vec()),
        ];
        assert_eq!(forward, expected);
        let backward: Vec<Entry> = layer
            .scan_rev(b"p/")
            .collect::<Result<_, _>>()
            .expect("scan_rev");
        let mut reversed = expected;
        reversed.reverse();
        assert_eq!(backward, reversed);
        assert_eq!(layer.get(b"p/3").expect("get"), None);
        assert_eq!(layer.get(b"q/0").expect("get"), Some(b"q/0".to_vec()));
    }
}
