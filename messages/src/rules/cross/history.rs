//! Message history (berichtenhistorie): what the cross-message rules need to know about the
//! messages exchanged before, behind one narrow, synchronous trait.
//!
//! The gateway implements [`History`] on its store and the simulator uses [`MemoryHistory`], so
//! that one implementation of the rules ([`super::check_against`]) serves both. Every question is
//! asked within a [`Scope`] (law, provider, municipality) and answered from the messages of that
//! scope only, because that is what the party checking (provider or municipality) can see.
//!
//! Records carry the state that later messages gave them: a retour (306/308/316/318) that
//! rejects a delivery marks it rejected, a 325 marks claimed lines approved or rejected, and a
//! message rejected as a whole is treated as never sent (IV087, IV028).
//!
//! Call [`super::check_against`] *before* recording a message: a message recorded first finds
//! itself in the history (TR056, TR314, TR333 would fire on it).

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
// foldhash rather than SipHash: the maps hold up to millions of short keys (ReferentieNummers,
// BSNs) that every claim line looks up and adds to. Seeded per process like SipHash; the keys
// come from authenticated tenants.
use foldhash::{HashMap, HashSet};

use crate::codes::{
    DebetCredit, RedenBeeindiging, RedenWijziging, RetourCode, StatusAanlevering, VerzoekAntwoord,
};
use crate::law::{Law, MessageType};
use crate::message::{Content, Message};
use crate::model::allocation::ToegewezenProduct;
use crate::model::basis::{BerichtIdentificatie, GeslotenPeriode, Omvang, Product, XsdVersie};
use crate::model::declaration::Prestatie;
use crate::model::header::Header;

/// The parties a question is about (scope): the law, the provider (aanbieder, AGB code) and the
/// municipality (gemeente, CBS code).
///
/// Questions about numbers a provider must keep unique across municipalities (ReferentieNummer,
/// DeclaratieNummer, ReferentieAanbieder: TR314, TR333, TR347) use only `law` and `aanbieder`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    /// The law (wettelijk domein).
    pub law: Law,
    /// AGB code of the provider (aanbieder).
    pub aanbieder: String,
    /// CBS code of the municipality (gemeente).
    pub gemeente: String,
}

impl Scope {
    /// The scope of a message, from its (heen) header: a provider-sent message (305, 307, 315,
    /// 317, 323) has the provider as Afzender, a municipality-sent one (301, 319, 325) as
    /// Ontvanger. Retours copy the heen header unchanged, so they have the scope of their heen.
    pub fn of(message: &Message) -> Scope {
        let header = message.content.header();
        // Retours copy their heen header, and municipality_header() knows which those are.
        let municipality = message.content.message_type().municipality_header();
        let (aanbieder, gemeente) = if municipality {
            (&header.ontvanger, &header.afzender)
        } else {
            (&header.afzender, &header.ontvanger)
        };
        Scope {
            law: message.law,
            aanbieder: aanbieder.clone(),
            gemeente: gemeente.clone(),
        }
    }
}

/// An allocated product (toegewezen product) as last received in a 301: the version with the
/// most recent Toewijzingsdatum and Toewijzingstijd (IV013).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AllocationRecord {
    /// ToewijzingNummer.
    pub toewijzing_nummer: u64,
    /// Bsn of the client the product is allocated to.
    pub bsn: String,
    /// Product (absent for a generic allocation).
    pub product: Option<Product>,
    /// Ingangsdatum: first day of the allocation.
    pub ingangsdatum: NaiveDate,
    /// Einddatum: last day of the allocation, if any.
    pub einddatum: Option<NaiveDate>,
    /// RedenWijziging of the latest version.
    pub reden_wijziging: Option<RedenWijziging>,
    /// Omvang: volume, unit and frequency.
    pub omvang: Option<Omvang>,
    /// Budget in eurocent.
    pub budget: Option<u64>,
    /// ReferentieAanbieder of the latest version.
    pub referentie_aanbieder: Option<String>,
    /// Toewijzingsdatum of the latest version.
    pub toewijzingsdatum: NaiveDate,
    /// Toewijzingstijd of the latest version.
    pub toewijzingstijd: NaiveTime,
}

impl AllocationRecord {
    /// The record of a ToegewezenProduct for the client with `bsn`.
    pub fn from_product(bsn: &str, p: &ToegewezenProduct) -> AllocationRecord {
        AllocationRecord {
            toewijzing_nummer: p.toewijzing_nummer.0,
            bsn: bsn.to_owned(),
            product: p.product.clone(),
            ingangsdatum: p.ingangsdatum,
            einddatum: p.einddatum,
            reden_wijziging: p.reden_wijziging,
            omvang: p.omvang.clone(),
            budget: p.budget.map(|b| b.0),
            referentie_aanbieder: p.referentie_aanbieder.as_ref().map(|r| r.0.clone()),
            toewijzingsdatum: p.toewijzingsdatum,
            toewijzingstijd: p.toewijzingstijd,
        }
    }

    /// Removed (verwijderd or vervallen): Einddatum equal to Ingangsdatum with RedenWijziging 13
    /// (Verwijderd) or 01 (Administratieve correctie (vervallen)); such an allocation is not
    /// current (OP087, TR349).
    pub fn is_removed(&self) -> bool {
        self.einddatum == Some(self.ingangsdatum)
            && matches!(
                self.reden_wijziging,
                Some(RedenWijziging::R13) | Some(RedenWijziging::R01)
            )
    }

    /// Current (actueel) on `date`: valid on or after that date, or starting later, and not
    /// removed (TR349).
    pub fn is_current(&self, date: NaiveDate) -> bool {
        !self.is_removed() && self.einddatum.is_none_or(|end| end >= date)
    }
}

/// What the municipality made of a claimed line (prestatie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum LineStatus {
    /// Sent; no 325 yet.
    Pending,
    /// Approved (toegekend): a 325 answered the claim and did not reject this line.
    Approved,
    /// Rejected (afgewezen) in a 325 with a retourcode of its own or of its client.
    Rejected,
    /// The whole claim was rejected (header or Declaratie level): treated as never sent (IV087).
    Void,
}

impl LineStatus {
    /// Counts as submitted for sums and pairing: sent and not rejected.
    pub fn counts(self) -> bool {
        matches!(self, LineStatus::Pending | LineStatus::Approved)
    }
}

/// A claimed line (prestatie) sent in a 323, with its client and its fate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClaimedLine {
    /// The municipality the claim went to (shared by the claim's lines).
    pub gemeente: Arc<str>,
    /// DeclaratieNummer of the claim (shared by the claim's lines).
    pub declaratie_nummer: Arc<str>,
    /// Bsn of the client (shared by the client's lines).
    pub bsn: Arc<str>,
    /// The line as sent.
    pub prestatie: Prestatie,
    /// What the municipality made of it.
    pub status: LineStatus,
}

impl ClaimedLine {
    /// DebetCredit of the line.
    pub fn sign(&self) -> DebetCredit {
        self.prestatie.ingediend_bedrag.debet_credit
    }
}

/// What the municipality made of a claim (declaratie) as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DeclarationStatus {
    /// Sent; no 325 yet.
    Pending,
    /// Answered by a 325 that processed it (some or all lines approved).
    Answered,
    /// Rejected as a whole: treated as never sent (IV087).
    Void,
}

/// A claim (323 Declaratie) sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeclarationRecord {
    /// The municipality it went to.
    pub gemeente: String,
    /// DeclaratieNummer.
    pub declaratie_nummer: String,
    /// DeclaratiePeriode.
    pub periode: GeslotenPeriode,
    /// BerichtIdentificatie of the 323.
    pub identificatie: BerichtIdentificatie,
    /// XsdVersie of the 323.
    pub xsd_versie: XsdVersie,
    /// What the municipality made of it.
    pub status: DeclarationStatus,
}

/// A request (verzoek) sent: one AangevraagdProduct of a 315 or the Verzoek of a 317, known by
/// its ReferentieAanbieder, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestRecord {
    /// ReferentieAanbieder.
    pub referentie_aanbieder: String,
    /// 315 (verzoek om toewijzing) or 317 (verzoek om wijziging).
    pub message_type: MessageType,
    /// The municipality it went to.
    pub gemeente: String,
    /// Bsn of the client.
    pub bsn: String,
    /// Rejected by its retour (316/318): treated as never sent.
    pub rejected: bool,
    /// VerzoekAntwoord of every 319 received for it, in order.
    pub answers: Vec<VerzoekAntwoord>,
    /// A 301 carrying this ReferentieAanbieder was received.
    pub allocated: bool,
}

impl RequestRecord {
    /// In progress (onderhanden, TR374): sent, not rejected, and answered neither by a 301 nor by
    /// a 319 "verzoek afgewezen".
    pub fn is_open(&self) -> bool {
        !self.rejected && !self.allocated && !self.answers.contains(&VerzoekAntwoord::Afgewezen)
    }
}

/// The logical key (logische sleutel) of a StartProduct below its client, which a StopProduct
/// repeats: ToewijzingNummer, Product and Begindatum (IV008, IV096).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StartKey {
    /// ToewijzingNummer (absent for taakgericht care).
    pub toewijzing_nummer: Option<u64>,
    /// Product.
    pub product: Option<Product>,
    /// Begindatum of the care.
    pub begindatum: NaiveDate,
}

/// The part of a StopProduct's key beyond its start: Einddatum and RedenBeeindiging.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StopDetails {
    /// Einddatum of the care.
    pub einddatum: NaiveDate,
    /// RedenBeeindiging.
    pub reden: RedenBeeindiging,
}

/// One delivery (aanlevering) of a start (305 StartProduct) or stop (307 StopProduct) sent for
/// a client, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CareEvent {
    /// The start key.
    pub key: StartKey,
    /// For a stop: Einddatum and RedenBeeindiging; `None` for a start.
    pub stop: Option<StopDetails>,
    /// StatusAanlevering: 1 new, 3 delete.
    pub status: StatusAanlevering,
    /// Rejected by its retour (306/308): treated as never sent.
    pub rejected: bool,
}

impl CareEvent {
    fn deletes(&self) -> bool {
        self.status == StatusAanlevering::Verwijderen
    }

    fn same_delivery(&self, other: &CareEvent) -> bool {
        self.key == other.key && self.stop == other.stop
    }
}

/// The deliveries among `events` that are in force (actueel): sent with a status other than 3,
/// not rejected, and not deleted by a later, not rejected delivery with status 3 and the same
/// key (IV008). Starts and stops alike; filter on [`CareEvent::stop`].
pub fn in_force<'e>(events: impl IntoIterator<Item = &'e CareEvent>) -> Vec<&'e CareEvent> {
    let mut live: Vec<&CareEvent> = Vec::new();
    for e in events {
        if e.rejected {
            continue;
        }
        if e.deletes() {
            if let Some(i) = live.iter().position(|l| l.same_delivery(e)) {
                live.remove(i);
            }
        } else {
            live.push(e);
        }
    }
    live
}

/// The message history the cross-message rules read. Narrow and synchronous: each method answers
/// one question within a [`Scope`]; an implementation returns borrowed records when it holds
/// them in memory and owned ones when it decodes them from a store.
pub trait History {
    /// The allocation (ToegewezenProduct) with `toewijzing_nummer` received from the scope's
    /// municipality for the scope's provider, in its latest version.
    fn allocation(
        &self,
        scope: &Scope,
        toewijzing_nummer: u64,
    ) -> Option<Cow<'_, AllocationRecord>>;

    /// Every allocation received in the scope for the client with `bsn`, latest versions.
    fn client_allocations(&self, scope: &Scope, bsn: &str) -> Vec<Cow<'_, AllocationRecord>>;

    /// Every line claimed in the scope against `toewijzing_nummer`, debit and credit, whatever
    /// their status, in the order sent.
    fn allocation_lines(&self, scope: &Scope, toewijzing_nummer: u64) -> Vec<Cow<'_, ClaimedLine>>;

    /// [`History::allocation`] and [`History::allocation_lines`] in one call, for the claim
    /// check's inner loop; implement it when both can be answered with one look-up of the
    /// scope.
    fn allocation_and_lines(
        &self,
        scope: &Scope,
        toewijzing_nummer: u64,
    ) -> (Option<Cow<'_, AllocationRecord>>, Vec<Cow<'_, ClaimedLine>>) {
        (
            self.allocation(scope, toewijzing_nummer),
            self.allocation_lines(scope, toewijzing_nummer),
        )
    }

    /// The line the scope's provider sent with ReferentieNummer `referentie_nummer` under the
    /// scope's law, to any municipality (the latest one, if a void claim used it before).
    fn line(&self, scope: &Scope, referentie_nummer: &str) -> Option<Cow<'_, ClaimedLine>>;

    /// The credit line, not rejected or void, whose VorigReferentieNummer is
    /// `referentie_nummer` (provider and law as [`History::line`]).
    fn credit_of(&self, scope: &Scope, referentie_nummer: &str) -> Option<Cow<'_, ClaimedLine>>;

    /// The claim with `declaratie_nummer` the scope's provider sent under the scope's law, to
    /// any municipality.
    fn declaration(
        &self,
        scope: &Scope,
        declaratie_nummer: &str,
    ) -> Option<Cow<'_, DeclarationRecord>>;

    /// The latest DeclaratiePeriode of the claims sent in the scope that were not void.
    fn last_declaration_period(&self, scope: &Scope) -> Option<GeslotenPeriode>;

    /// The request with `referentie_aanbieder` the scope's provider sent under the scope's law,
    /// to any municipality.
    fn request(&self, scope: &Scope, referentie_aanbieder: &str) -> Option<Cow<'_, RequestRecord>>;

    /// Every request sent in the scope for the client with `bsn`.
    fn client_requests(&self, scope: &Scope, bsn: &str) -> Vec<Cow<'_, RequestRecord>>;

    /// Every start and stop delivery sent in the scope for the client with `bsn`, in order.
    fn care_events(&self, scope: &Scope, bsn: &str) -> Cow<'_, [CareEvent]>;

    /// Whether `afzender` already sent a `message_type` message with this Identificatie under
    /// `law` (TR056).
    fn identificatie_used(
        &self,
        law: Law,
        message_type: MessageType,
        afzender: &str,
        identificatie: &str,
    ) -> bool;
}

// === MemoryHistory ===

/// Data per provider (law + AGB code).
#[derive(Debug, Default, Clone)]
struct ProviderData {
    lines: Lines,
    line_by_ref: HashMap<String, usize>,
    credit_by_vorig: HashMap<String, Vec<usize>>,
    declarations: HashMap<String, StoredDeclaration>,
    declaration_by_identificatie: HashMap<String, String>,
    requests: HashMap<String, RequestRecord>,
    gemeenten: HashMap<String, ScopeData>,
}

#[derive(Debug, Clone)]
struct StoredDeclaration {
    record: DeclarationRecord,
    lines: Vec<usize>,
}

/// The claimed lines of a provider, in order, in chunks of [`Lines::CHUNK`]: a history of
/// hundreds of thousands of lines grows without copying all of them into a buffer twice as
/// large (and faulting in its pages) each time it fills. A chunk grows as a `Vec` does, so a
/// provider with a few lines holds no more than those.
#[derive(Debug, Default, Clone)]
struct Lines {
    chunks: Vec<Vec<ClaimedLine>>,
    len: usize,
}

impl Lines {
    const CHUNK: usize = 4096;

    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, line: ClaimedLine) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < Self::CHUNK => chunk.push(line),
            _ => self.chunks.push(vec![line]),
        }
        self.len += 1;
    }

    fn get(&self, index: usize) -> Option<&ClaimedLine> {
        self.chunks
            .get(index / Self::CHUNK)?
            .get(index % Self::CHUNK)
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut ClaimedLine> {
        self.chunks
            .get_mut(index / Self::CHUNK)?
            .get_mut(index % Self::CHUNK)
    }
}

/// Data per provider and municipality.
#[derive(Debug, Default, Clone)]
struct ScopeData {
    allocations: HashMap<u64, AllocationRecord>,
    client_allocations: HashMap<String, Vec<u64>>,
    allocation_lines: HashMap<u64, Vec<usize>>,
    declarations: Vec<String>,
    client_requests: HashMap<String, Vec<String>>,
    care: HashMap<String, Vec<CareEvent>>,
}

/// What a recorded heen message left in the history, for its retour to find.
#[derive(Debug, Clone)]
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

/// Identity of a heen message: law, type, Afzender, Identificatie (TR056).
type MessageId = (Law, MessageType, String, String);

/// An in-memory [`History`] in hash maps, fed with [`MemoryHistory::record`]: for tests, the
/// simulator and benchmarks.
#[derive(Debug, Default, Clone)]
pub struct MemoryHistory {
    /// Per law (iJw, iWmo: index [`law_index`]), per AGB code.
    providers: [HashMap<String, ProviderData>; 2],
    identificaties: HashSet<MessageId>,
    sent: HashMap<MessageId, Sent>,
}

/// Index of a law in [`MemoryHistory`]'s per-law maps.
fn law_index(law: Law) -> usize {
    match law {
        Law::Ijw => 0,
        Law::Iwmo => 1,
    }
}

/// A retourcode that rejects its class: anything but 0200 (geen opmerking).
fn rejects(codes: &[RetourCode]) -> bool {
    codes.iter().any(|c| *c != RetourCode::R0200)
}

/// What a 325 decides for its claim as a whole: voided when the header, or the claim with any
/// code but 0200 and 8001, refuses it (or it has no body), else answered; with the status
/// every claimed line gets before the lines it refuses one by one.
pub fn claim_answer_verdict(
    a: &crate::message::DeclarationAnswer,
) -> (DeclarationStatus, LineStatus) {
    let whole_rejected = rejects(&a.header.retour_codes)
        || a.body.as_ref().is_none_or(|b| {
            b.retour_codes
                .iter()
                .any(|c| !matches!(c, RetourCode::R0200 | RetourCode::R8001))
        });
    if whole_rejected {
        (DeclarationStatus::Void, LineStatus::Void)
    } else {
        (DeclarationStatus::Answered, LineStatus::Approved)
    }
}

/// The ReferentieNummers of the lines a 325 refuses one by one (by a retourcode on the line or
/// on its client); none when it voids the whole claim ([`claim_answer_verdict`]).
pub fn refused_line_references(a: &crate::message::DeclarationAnswer) -> Vec<&str> {
    if claim_answer_verdict(a).0 == DeclarationStatus::Void {
        return Vec::new();
    }
    let Some(body) = &a.body else {
        return Vec::new();
    };
    body.clienten
        .iter()
        .flat_map(|client| {
            let client_rejected = rejects(&client.retour_codes);
            client
                .prestaties
                .iter()
                .filter(move |p| client_rejected || rejects(&p.retour_codes))
                .map(|p| p.product_referentie.referentie_nummer.0.as_str())
        })
        .collect()
}

impl MemoryHistory {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    fn provider(&self, scope: &Scope) -> Option<&ProviderData> {
        self.providers[law_index(scope.law)].get(&scope.aanbieder)
    }

    fn scope_data(&self, scope: &Scope) -> Option<&ScopeData> {
        self.provider(scope)?.gemeenten.get(&scope.gemeente)
    }

    fn provider_mut(&mut self, scope: &Scope) -> &mut ProviderData {
        self.providers[law_index(scope.law)]
            .entry(scope.aanbieder.clone())
            .or_default()
    }

    fn scope_mut(&mut self, scope: &Scope) -> &mut ScopeData {
        self.provider_mut(scope)
            .gemeenten
            .entry(scope.gemeente.clone())
            .or_default()
    }

    /// Stores an allocation directly, as a 301 with this ToegewezenProduct would: replaces the
    /// stored version unless that one is more recent (IV013).
    pub fn insert_allocation(&mut self, scope: &Scope, record: AllocationRecord) {
        let data = self.scope_mut(scope);
        let nummer = record.toewijzing_nummer;
        let newer = data.allocations.get(&nummer).is_none_or(|old| {
            (record.toewijzingsdatum, record.toewijzingstijd)
                >= (old.toewijzingsdatum, old.toewijzingstijd)
        });
        if !newer {
            return;
        }
        let numbers = data
            .client_allocations
            .entry(record.bsn.clone())
            .or_default();
        if !numbers.contains(&nummer) {
            numbers.push(nummer);
        }
        data.allocations.insert(nummer, record);
    }

    /// Records a message sent or received, with what it does to earlier records (a retour
    /// rejecting deliveries, a 325 approving or rejecting lines, a 301 or 319 answering a
    /// request). Returns `false`, recording nothing, for a heen message whose Identificatie
    /// this sender already used for this message type (a redelivery).
    pub fn record(&mut self, message: &Message) -> bool {
        match record(self, message) {
            Ok(recorded) => recorded,
            Err(never) => match never {},
        }
    }

    fn record_care(
        &mut self,
        scope: &Scope,
        message_type: MessageType,
        header: &Header,
        bsn: &str,
        events: Vec<CareEvent>,
    ) {
        let list = self
            .scope_mut(scope)
            .care
            .entry(bsn.to_owned())
            .or_default();
        let first = list.len();
        let count = events.len();
        list.extend(events);
        self.sent.insert(
            message_id(scope.law, message_type, header),
            Sent::Care {
                scope: scope.clone(),
                bsn: bsn.to_owned(),
                first,
                count,
            },
        );
    }

    /// Marks the deliveries of a 305/307 rejected: all of them (`None`) or those matching the
    /// echoed, rejected ones.
    fn reject_care(
        &mut self,
        law: Law,
        heen: MessageType,
        heen_header: &Header,
        which: Option<Vec<CareEvent>>,
    ) {
        let Some(Sent::Care {
            scope,
            bsn,
            first,
            count,
        }) = self.sent.get(&message_id(law, heen, heen_header)).cloned()
        else {
            return;
        };
        let Some(list) = self.scope_mut(&scope).care.get_mut(&bsn) else {
            return;
        };
        for e in list.iter_mut().skip(first).take(count) {
            let hit = match &which {
                None => true,
                Some(echoed) => echoed
                    .iter()
                    .any(|x| x.same_delivery(e) && x.status == e.status),
            };
            if hit {
                e.rejected = true;
            }
        }
    }

    fn record_requests(
        &mut self,
        scope: &Scope,
        message_type: MessageType,
        header: &Header,
        bsn: &str,
        references: Vec<String>,
    ) {
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
            self.provider_mut(scope).requests.insert(r.clone(), record);
            let list = self
                .scope_mut(scope)
                .client_requests
                .entry(bsn.to_owned())
                .or_default();
            if !list.contains(r) {
                list.push(r.clone());
            }
        }
        self.sent.insert(
            message_id(scope.law, message_type, header),
            Sent::Requests {
                scope: scope.clone(),
                references,
            },
        );
    }

    /// Marks the requests of a 315/317 rejected: all (`None`) or the listed references.
    fn reject_requests(
        &mut self,
        law: Law,
        heen: MessageType,
        heen_header: &Header,
        which: Option<Vec<String>>,
    ) {
        let Some(Sent::Requests { scope, references }) =
            self.sent.get(&message_id(law, heen, heen_header)).cloned()
        else {
            return;
        };
        let provider = self.provider_mut(&scope);
        for r in references {
            let hit = which.as_ref().is_none_or(|w| w.contains(&r));
            if hit {
                if let Some(req) = provider.requests.get_mut(&r) {
                    req.rejected = true;
                }
            }
        }
    }

    fn record_claim(
        &mut self,
        scope: &Scope,
        header: &Header,
        d: &crate::model::declaration::Declaratie,
    ) {
        let nummer = d.declaratie_nummer.0.clone();
        let (shared_gemeente, shared_nummer): (Arc<str>, Arc<str>) = (
            Arc::from(scope.gemeente.as_str()),
            Arc::from(nummer.as_str()),
        );
        let provider = self.provider_mut(scope);
        let mut indices = Vec::new();
        let mut per_allocation: Vec<(u64, usize)> = Vec::new();
        for client in &d.clienten {
            let bsn: Arc<str> = Arc::from(client.bsn.0.as_str());
            for p in &client.prestaties {
                let index = provider.lines.len();
                provider.lines.push(ClaimedLine {
                    gemeente: Arc::clone(&shared_gemeente),
                    declaratie_nummer: Arc::clone(&shared_nummer),
                    bsn: Arc::clone(&bsn),
                    prestatie: p.clone(),
                    status: LineStatus::Pending,
                });
                provider
                    .line_by_ref
                    .insert(p.product_referentie.referentie_nummer.0.clone(), index);
                if let Some(v) = &p.product_referentie.vorig_referentie_nummer {
                    provider
                        .credit_by_vorig
                        .entry(v.0.clone())
                        .or_default()
                        .push(index);
                }
                indices.push(index);
                per_allocation.push((p.toewijzing_nummer.0, index));
            }
        }
        provider.declaration_by_identificatie.insert(
            header.bericht_identificatie.identificatie.0.clone(),
            nummer.clone(),
        );
        provider.declarations.insert(
            nummer.clone(),
            StoredDeclaration {
                record: DeclarationRecord {
                    gemeente: scope.gemeente.clone(),
                    declaratie_nummer: nummer.clone(),
                    periode: d.declaratie_periode.clone(),
                    identificatie: header.bericht_identificatie.clone(),
                    xsd_versie: header.xsd_versie.clone(),
                    status: DeclarationStatus::Pending,
                },
                lines: indices,
            },
        );
        let data = self.scope_mut(scope);
        for (nummer, index) in per_allocation {
            data.allocation_lines.entry(nummer).or_default().push(index);
        }
        data.declarations.push(d.declaratie_nummer.0.clone());
    }

    fn record_claim_answer(&mut self, scope: &Scope, a: &crate::message::DeclarationAnswer) {
        let provider = self.provider_mut(scope);
        let nummer = match &a.body {
            Some(body) => Some(body.declaratie_nummer.0.clone()),
            None => provider
                .declaration_by_identificatie
                .get(&a.header.declaratie_identificatie.identificatie.0)
                .cloned(),
        };
        let Some(stored) = nummer.and_then(|n| provider.declarations.get_mut(&n)) else {
            return;
        };
        let (status, line_status) = claim_answer_verdict(a);
        let whole_rejected = status == DeclarationStatus::Void;
        stored.record.status = status;
        let indices = stored.lines.clone();
        for i in &indices {
            if let Some(line) = provider.lines.get_mut(*i) {
                line.status = line_status;
            }
        }
        if whole_rejected {
            return;
        }
        for reference in refused_line_references(a) {
            let found = provider
                .line_by_ref
                .get(reference)
                .copied()
                .filter(|i| indices.contains(i));
            if let Some(line) = found.and_then(|i| provider.lines.get_mut(i)) {
                line.status = LineStatus::Rejected;
            }
        }
    }
}

/// The writes that recording a message makes, whatever keeps the history: [`record`] decides
/// what a message means for the history (one dispatch for every backend); an implementation
/// stores it — [`MemoryHistory`] in memory, the gateway's store as indexes on disk.
pub trait Recorder {
    /// What storing can fail with ([`std::convert::Infallible`] in memory).
    type Error;
    /// Marks a heen message's Identificatie (per sender and message type) as used; `false`
    /// when it already was (a redelivery).
    fn first_use(
        &mut self,
        law: Law,
        message_type: MessageType,
        header: &Header,
    ) -> Result<bool, Self::Error>;
    /// Stores an allocation unless the stored version is more recent (IV013).
    fn put_allocation(
        &mut self,
        scope: &Scope,
        record: AllocationRecord,
    ) -> Result<(), Self::Error>;
    /// Changes the request with ReferentieAanbieder `reference`, when there is one.
    fn update_request(
        &mut self,
        scope: &Scope,
        reference: &str,
        change: &mut dyn FnMut(&mut RequestRecord),
    ) -> Result<(), Self::Error>;
    /// Records the start or stop deliveries (305/307) of client `bsn`.
    fn care(
        &mut self,
        scope: &Scope,
        message_type: MessageType,
        header: &Header,
        bsn: &str,
        events: Vec<CareEvent>,
    ) -> Result<(), Self::Error>;
    /// A retour on the 305/307 `heen_header`: `None` rejects it whole, `Some` the listed
    /// deliveries.
    fn care_rejected(
        &mut self,
        law: Law,
        heen: MessageType,
        heen_header: &Header,
        which: Option<Vec<CareEvent>>,
    ) -> Result<(), Self::Error>;
    /// Records the requests (315/317) of client `bsn` by ReferentieAanbieder.
    fn requests(
        &mut self,
        scope: &Scope,
        message_type: MessageType,
        header: &Header,
        bsn: &str,
        references: Vec<String>,
    ) -> Result<(), Self::Error>;
    /// A retour on the 315/317 `heen_header`: `None` rejects it whole, `Some` the listed
    /// references.
    fn requests_rejected(
        &mut self,
        law: Law,
        heen: MessageType,
        heen_header: &Header,
        which: Option<Vec<String>>,
    ) -> Result<(), Self::Error>;
    /// Records a claim (323) and its lines.
    fn claim(
        &mut self,
        scope: &Scope,
        header: &Header,
        d: &crate::model::declaration::Declaratie,
    ) -> Result<(), Self::Error>;
    /// Records a claim's answer (325): lines granted or rejected, or the claim refused.
    fn claim_answer(
        &mut self,
        scope: &Scope,
        a: &crate::message::DeclarationAnswer,
    ) -> Result<(), Self::Error>;
}

/// Records a message sent or received into `sink`, with what it does to earlier records (a
/// retour rejecting deliveries, a 325 approving or rejecting lines, a 301 or 319 answering a
/// request). Returns `false`, recording nothing, for a heen message whose Identificatie this
/// sender already used for this message type (a redelivery).
pub fn record<R: Recorder + ?Sized>(sink: &mut R, message: &Message) -> Result<bool, R::Error> {
    let scope = Scope::of(message);
    let law = message.law;
    let message_type = message.content.message_type();
    let header = message.content.header();
    if !message_type.is_retour() && !sink.first_use(law, message_type, header)? {
        return Ok(false);
    }
    match &message.content {
        Content::Allocation(m) => {
            for p in &m.body.toegewezen_producten {
                sink.put_allocation(&scope, AllocationRecord::from_product(&m.body.bsn.0, p))?;
                if let Some(r) = &p.referentie_aanbieder {
                    sink.update_request(&scope, &r.0, &mut |req| req.allocated = true)?;
                }
            }
        }
        Content::CareStart(m) => {
            let events = m
                .body
                .start_producten
                .iter()
                .map(|p| CareEvent {
                    key: StartKey {
                        toewijzing_nummer: p.toewijzing_nummer.map(|n| n.0),
                        product: p.product.clone(),
                        begindatum: p.begindatum,
                    },
                    stop: None,
                    status: p.status_aanlevering,
                    rejected: false,
                })
                .collect();
            sink.care(&scope, message_type, header, &m.body.bsn.0, events)?;
        }
        Content::CareStop(m) => {
            let events = m
                .body
                .stop_producten
                .iter()
                .map(|p| CareEvent {
                    key: StartKey {
                        toewijzing_nummer: p.toewijzing_nummer.map(|n| n.0),
                        product: p.product.clone(),
                        begindatum: p.begindatum,
                    },
                    stop: Some(StopDetails {
                        einddatum: p.einddatum,
                        reden: p.reden_beeindiging,
                    }),
                    status: p.status_aanlevering,
                    rejected: false,
                })
                .collect();
            sink.care(&scope, message_type, header, &m.body.bsn.0, events)?;
        }
        Content::CareStartRetour(r) => {
            let rejected: Option<Vec<CareEvent>> = match &r.body {
                Some(b) if !rejects(&r.header.retour_codes) && !rejects(&b.retour_codes) => Some(
                    b.start_producten
                        .iter()
                        .filter(|p| rejects(&p.retour_codes))
                        .map(|p| CareEvent {
                            key: StartKey {
                                toewijzing_nummer: p.toewijzing_nummer.map(|n| n.0),
                                product: p.product.clone(),
                                begindatum: p.begindatum,
                            },
                            stop: None,
                            status: p.status_aanlevering,
                            rejected: false,
                        })
                        .collect(),
                ),
                Some(_) => None,
                None if rejects(&r.header.retour_codes) => None,
                None => Some(Vec::new()),
            };
            sink.care_rejected(law, MessageType::M305, &r.header.heen, rejected)?;
        }
        Content::CareStopRetour(r) => {
            let rejected: Option<Vec<CareEvent>> = match &r.body {
                Some(b) if !rejects(&r.header.retour_codes) && !rejects(&b.retour_codes) => Some(
                    b.stop_producten
                        .iter()
                        .filter(|p| rejects(&p.retour_codes))
                        .map(|p| CareEvent {
                            key: StartKey {
                                toewijzing_nummer: p.toewijzing_nummer.map(|n| n.0),
                                product: p.product.clone(),
                                begindatum: p.begindatum,
                            },
                            stop: Some(StopDetails {
                                einddatum: p.einddatum,
                                reden: p.reden_beeindiging,
                            }),
                            status: p.status_aanlevering,
                            rejected: false,
                        })
                        .collect(),
                ),
                Some(_) => None,
                None if rejects(&r.header.retour_codes) => None,
                None => Some(Vec::new()),
            };
            sink.care_rejected(law, MessageType::M307, &r.header.heen, rejected)?;
        }
        Content::RequestForAllocation(m) => {
            let references = m
                .body
                .aangevraagde_producten
                .iter()
                .map(|p| p.referentie_aanbieder.0.clone())
                .collect();
            sink.requests(&scope, message_type, header, &m.body.bsn.0, references)?;
        }
        Content::ChangeRequest(m) => {
            let references = vec![m.body.verzoek.referentie_aanbieder.0.clone()];
            sink.requests(&scope, message_type, header, &m.body.bsn.0, references)?;
        }
        Content::RequestForAllocationRetour(r) => {
            let rejected: Option<Vec<String>> = match &r.body {
                Some(b) if !rejects(&r.header.retour_codes) && !rejects(&b.retour_codes) => Some(
                    b.aangevraagde_producten
                        .iter()
                        .filter(|p| rejects(&p.retour_codes))
                        .map(|p| p.referentie_aanbieder.0.clone())
                        .collect(),
                ),
                Some(_) => None,
                None if rejects(&r.header.retour_codes) => None,
                None => Some(Vec::new()),
            };
            sink.requests_rejected(law, MessageType::M315, &r.header.heen, rejected)?;
        }
        Content::ChangeRequestRetour(r) => {
            // One VOW is one request: any rejected class rejects it.
            let rejected = rejects(&r.header.retour_codes)
                || r.body.as_ref().is_some_and(|b| {
                    let v = &b.verzoek;
                    rejects(&b.retour_codes)
                        || rejects(&v.retour_codes)
                        || v.ongewijzigde_producten
                            .iter()
                            .any(|p| rejects(&p.retour_codes))
                        || v.te_wijzigen_producten
                            .iter()
                            .any(|p| rejects(&p.retour_codes))
                        || v.nieuwe_producten.iter().any(|p| rejects(&p.retour_codes))
                });
            let which = if rejected { None } else { Some(Vec::new()) };
            sink.requests_rejected(law, MessageType::M317, &r.header.heen, which)?;
        }
        Content::Answer(m) => {
            let answer = m.body.verzoek_antwoord;
            sink.update_request(&scope, &m.body.referentie_aanbieder.0, &mut |req| {
                req.answers.push(answer)
            })?;
        }
        Content::Declaration(m) => sink.claim(&scope, header, &m.body)?,
        Content::DeclarationAnswer(a) => sink.claim_answer(&scope, a)?,
        Content::AllocationRetour(_) | Content::AnswerRetour(_) => {}
    }
    Ok(true)
}

impl Recorder for MemoryHistory {
    type Error = std::convert::Infallible;

    fn first_use(
        &mut self,
        law: Law,
        message_type: MessageType,
        header: &Header,
    ) -> Result<bool, Self::Error> {
        Ok(self
            .identificaties
            .insert(message_id(law, message_type, header)))
    }

    fn put_allocation(
        &mut self,
        scope: &Scope,
        record: AllocationRecord,
    ) -> Result<(), Self::Error> {
        self.insert_allocation(scope, record);
        Ok(())
    }

    fn update_request(
        &mut self,
        scope: &Scope,
        reference: &str,
        change: &mut dyn FnMut(&mut RequestRecord),
    ) -> Result<(), Self::Error> {
        if let Some(req) = self.provider_mut(scope).requests.get_mut(reference) {
            change(req);
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
    ) -> Result<(), Self::Error> {
        self.record_care(scope, message_type, header, bsn, events);
        Ok(())
    }

    fn care_rejected(
        &mut self,
        law: Law,
        heen: MessageType,
        heen_header: &Header,
        which: Option<Vec<CareEvent>>,
    ) -> Result<(), Self::Error> {
        self.reject_care(law, heen, heen_header, which);
        Ok(())
    }

    fn requests(
        &mut self,
        scope: &Scope,
        message_type: MessageType,
        header: &Header,
        bsn: &str,
        references: Vec<String>,
    ) -> Result<(), Self::Error> {
        self.record_requests(scope, message_type, header, bsn, references);
        Ok(())
    }

    fn requests_rejected(
        &mut self,
        law: Law,
        heen: MessageType,
        heen_header: &Header,
        which: Option<Vec<String>>,
    ) -> Result<(), Self::Error> {
        self.reject_requests(law, heen, heen_header, which);
        Ok(())
    }

    fn claim(
        &mut self,
        scope: &Scope,
        header: &Header,
        d: &crate::model::declaration::Declaratie,
    ) -> Result<(), Self::Error> {
        self.record_claim(scope, header, d);
        Ok(())
    }

    fn claim_answer(
        &mut self,
        scope: &Scope,
        a: &crate::message::DeclarationAnswer,
    ) -> Result<(), Self::Error> {
        self.record_claim_answer(scope, a);
        Ok(())
    }
}

fn message_id(law: Law, message_type: MessageType, header: &Header) -> MessageId {
    (
        law,
        message_type,
        header.afzender.clone(),
        header.bericht_identificatie.identificatie.0.clone(),
    )
}

impl History for MemoryHistory {
    fn allocation(
        &self,
        scope: &Scope,
        toewijzing_nummer: u64,
    ) -> Option<Cow<'_, AllocationRecord>> {
        self.scope_data(scope)?
            .allocations
            .get(&toewijzing_nummer)
            .map(Cow::Borrowed)
    }

    fn client_allocations(&self, scope: &Scope, bsn: &str) -> Vec<Cow<'_, AllocationRecord>> {
        let Some(data) = self.scope_data(scope) else {
            return Vec::new();
        };
        data.client_allocations
            .get(bsn)
            .into_iter()
            .flatten()
            .filter_map(|n| data.allocations.get(n))
            .filter(|a| a.bsn == bsn)
            .map(Cow::Borrowed)
            .collect()
    }

    fn allocation_lines(&self, scope: &Scope, toewijzing_nummer: u64) -> Vec<Cow<'_, ClaimedLine>> {
        let Some(provider) = self.provider(scope) else {
            return Vec::new();
        };
        let Some(indices) = provider
            .gemeenten
            .get(&scope.gemeente)
            .and_then(|d| d.allocation_lines.get(&toewijzing_nummer))
        else {
            return Vec::new();
        };
        indices
            .iter()
            .filter_map(|i| provider.lines.get(*i))
            .map(Cow::Borrowed)
            .collect()
    }

    fn allocation_and_lines(
        &self,
        scope: &Scope,
        toewijzing_nummer: u64,
    ) -> (Option<Cow<'_, AllocationRecord>>, Vec<Cow<'_, ClaimedLine>>) {
        let Some(provider) = self.provider(scope) else {
            return (None, Vec::new());
        };
        let Some(data) = provider.gemeenten.get(&scope.gemeente) else {
            return (None, Vec::new());
        };
        let allocation = data.allocations.get(&toewijzing_nummer).map(Cow::Borrowed);
        let lines = match data.allocation_lines.get(&toewijzing_nummer) {
            Some(indices) => indices
                .iter()
                .filter_map(|i| provider.lines.get(*i))
                .map(Cow::Borrowed)
                .collect(),
            None => Vec::new(),
        };
        (allocation, lines)
    }

    fn line(&self, scope: &Scope, referentie_nummer: &str) -> Option<Cow<'_, ClaimedLine>> {
        let provider = self.provider(scope)?;
        let index = provider.line_by_ref.get(referentie_nummer)?;
        provider.lines.get(*index).map(Cow::Borrowed)
    }

    fn credit_of(&self, scope: &Scope, referentie_nummer: &str) -> Option<Cow<'_, ClaimedLine>> {
        let provider = self.provider(scope)?;
        provider
            .credit_by_vorig
            .get(referentie_nummer)?
            .iter()
            .filter_map(|i| provider.lines.get(*i))
            .find(|l| l.sign() == DebetCredit::Credit && l.status.counts())
            .map(Cow::Borrowed)
    }

    fn declaration(
        &self,
        scope: &Scope,
        declaratie_nummer: &str,
    ) -> Option<Cow<'_, DeclarationRecord>> {
        self.provider(scope)?
            .declarations
            .get(declaratie_nummer)
            .map(|d| Cow::Borrowed(&d.record))
    }

    fn last_declaration_period(&self, scope: &Scope) -> Option<GeslotenPeriode> {
        let provider = self.provider(scope)?;
        provider
            .gemeenten
            .get(&scope.gemeente)?
            .declarations
            .iter()
            .filter_map(|n| provider.declarations.get(n))
            .filter(|d| d.record.status != DeclarationStatus::Void)
            .map(|d| &d.record.periode)
            .max_by_key(|p| p.begindatum)
            .cloned()
    }

    fn request(&self, scope: &Scope, referentie_aanbieder: &str) -> Option<Cow<'_, RequestRecord>> {
        self.provider(scope)?
            .requests
            .get(referentie_aanbieder)
            .map(Cow::Borrowed)
    }

    fn client_requests(&self, scope: &Scope, bsn: &str) -> Vec<Cow<'_, RequestRecord>> {
        let Some(provider) = self.provider(scope) else {
            return Vec::new();
        };
        provider
            .gemeenten
            .get(&scope.gemeente)
            .and_then(|d| d.client_requests.get(bsn))
            .into_iter()
            .flatten()
            .filter_map(|r| provider.requests.get(r))
            .filter(|r| r.bsn == bsn && r.gemeente == scope.gemeente)
            .map(Cow::Borrowed)
            .collect()
    }

    fn care_events(&self, scope: &Scope, bsn: &str) -> Cow<'_, [CareEvent]> {
        match self.scope_data(scope).and_then(|d| d.care.get(bsn)) {
            Some(list) => Cow::Borrowed(list.as_slice()),
            None => Cow::Borrowed(&[]),
        }
    }

    fn identificatie_used(
        &self,
        law: Law,
        message_type: MessageType,
        afzender: &str,
        identificatie: &str,
    ) -> bool {
        self.identificaties.contains(&(
            law,
            message_type,
            afzender.to_owned(),
            identificatie.to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{Eenheid, ProductCategorie};
    use crate::model::basis::{BedragMetDc, ProductReferentie};
    use crate::types::{Bedrag, Nummer, ProductCode, ReferentieNummer, Volume};

    fn line(n: usize) -> ClaimedLine {
        let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or_default();
        ClaimedLine {
            gemeente: Arc::from("0268"),
            declaratie_nummer: Arc::from("D1"),
            bsn: Arc::from("111222333"),
            prestatie: Prestatie {
                product_referentie: ProductReferentie {
                    referentie_nummer: ReferentieNummer(format!("R{n}")),
                    vorig_referentie_nummer: None,
                },
                toewijzing_nummer: Nummer(n as u64),
                product_categorie: ProductCategorie::C45,
                product_code: ProductCode("45A48".into()),
                product_periode: GeslotenPeriode {
                    begindatum: day,
                    einddatum: day,
                },
                geleverd_volume: Volume(1),
                eenheid: Eenheid::Uur,
                product_tarief: None,
                ingediend_bedrag: BedragMetDc {
                    bedrag: Bedrag(1),
                    debet_credit: DebetCredit::Debet,
                },
                retour_codes: Vec::new(),
            },
            status: LineStatus::Pending,
        }
    }

    #[test]
    fn lines_are_found_by_index_across_chunks() {
        let mut lines = Lines::default();
        let n = 2 * Lines::CHUNK + 3;
        for i in 0..n {
            assert_eq!(lines.len(), i);
            lines.push(line(i));
        }
        assert_eq!(lines.len(), n);
        for i in [
            0,
            1,
            Lines::CHUNK - 1,
            Lines::CHUNK,
            Lines::CHUNK + 1,
            n - 1,
        ] {
            let found = lines.get(i).map(|l| l.prestatie.toewijzing_nummer.0);
            assert_eq!(found, Some(i as u64), "line {i}");
        }
        assert!(lines.get(n).is_none());
        if let Some(l) = lines.get_mut(Lines::CHUNK) {
            l.status = LineStatus::Approved;
        }
        assert_eq!(
            lines.get(Lines::CHUNK).map(|l| l.status),
            Some(LineStatus::Approved)
        );
        assert_eq!(
            lines.get(Lines::CHUNK - 1).map(|l| l.status),
            Some(LineStatus::Pending)
        );
    }
}
