//! The indexed history (the store's `h/` keys, read on demand) gives the same verdicts as
//! the in-memory `MemoryHistory` of the messages crate, the reference implementation.
//!
//! Random histories of 315, 301, 305, 307, 317, 319, 323 (debit and credit lines), 325 and
//! the retours 306, 308, 316, 318, drawn from small pools of AGB codes, municipalities, BSNs,
//! ToewijzingNummers and references so that messages meet each other, go through a real
//! `SledStore` (sent ones as submits, received ones as `Write::Received`) and through a
//! `MemoryHistory`. Before each message is recorded, both must find the same violations
//! for it, and answer the same to a sample of direct questions.
//!
//! The generators ([`make`], [`KINDS`]) and the questions ([`same_answers`]) are shared
//! with `postgres_kv.rs`, which runs the same histories over the history in PostgreSQL.

use std::sync::Arc;

use ketenpoort::store::sled_store::SledStore;

use crate::common::backend::{Backend, Place, close};
use ketenpoort::store::{NewMessage, Outcome, Store, SubmitWrite, Write};
use ketenpoort_messages::codes::RetourCode;
use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::model::header::Header;
use ketenpoort_messages::rules::cross::{History, MemoryHistory, Scope, check_against};
use ketenpoort_messages::types::Nummer;
use ketenpoort_messages::{Content, Law, Message, MessageKind, MessageType};
use proptest::prelude::*;

pub(crate) const AGBS: [&str; 2] = ["12345678", "87654321"];
pub(crate) const GEMEENTEN: [&str; 2] = ["0268", "0363"];
pub(crate) const BSNS: [&str; 3] = ["111222333", "123456782", "999999990"];
pub(crate) const KINDS: [MessageType; 13] = [
    MessageType::M315,
    MessageType::M301,
    MessageType::M305,
    MessageType::M307,
    MessageType::M317,
    MessageType::M319,
    MessageType::M323,
    MessageType::M323,
    MessageType::M325,
    MessageType::M306,
    MessageType::M308,
    MessageType::M316,
    MessageType::M318,
];

fn pick<'a>(g: &mut Gen, xs: &[&'a str]) -> &'a str {
    xs[g.below(xs.len() as u64) as usize]
}

fn codes(g: &mut Gen) -> Vec<RetourCode> {
    match g.below(4) {
        0 => vec![RetourCode::R0001],
        _ => vec![RetourCode::R0200],
    }
}

fn provider_header(h: &mut Header, g: &mut Gen) {
    h.afzender = pick(g, &AGBS).into();
    h.ontvanger = pick(g, &GEMEENTEN).into();
    h.bericht_identificatie.identificatie = format!("I{}", g.below(30)).as_str().into();
}

fn municipality_header(h: &mut Header, g: &mut Gen) {
    h.afzender = pick(g, &GEMEENTEN).into();
    h.ontvanger = pick(g, &AGBS).into();
    h.bericht_identificatie.identificatie = format!("G{}", g.below(30)).as_str().into();
}

fn number(g: &mut Gen) -> Nummer {
    Nummer(1 + g.below(5))
}

fn reference(g: &mut Gen) -> String {
    format!("RA{}", g.below(6))
}

fn line_reference(g: &mut Gen) -> String {
    format!("L{}", g.below(10))
}

/// The last message of type `t` sent before, if any.
fn earlier(sent: &[Message], t: MessageType, g: &mut Gen) -> Option<Message> {
    let of_type: Vec<&Message> = sent
        .iter()
        .filter(|m| m.content.message_type() == t)
        .collect();
    if of_type.is_empty() {
        return None;
    }
    Some(of_type[g.below(of_type.len() as u64) as usize].clone())
}

/// Message `kind` of the history, made from `seed` to meet the messages `sent` before.
/// A claim's DeclaratieNummer is new (`D` + the number of messages sent before): the store
/// refuses a number the AGB code used before (TR333), so a history never holds one twice.
pub(crate) fn make(kind: usize, seed: u64, sent: &[Message]) -> Message {
    let t = KINDS[kind % KINDS.len()];
    let mut g = Gen::new(seed, Shape::Random);
    let mut m = Message::generate(MessageKind::new(Law::Ijw, t), &mut g);
    match &mut m.content {
        Content::RequestForAllocation(h) => {
            provider_header(&mut h.header, &mut g);
            h.body.bsn = pick(&mut g, &BSNS).into();
            for p in &mut h.body.aangevraagde_producten {
                p.referentie_aanbieder = reference(&mut g).as_str().into();
            }
        }
        Content::ChangeRequest(h) => {
            provider_header(&mut h.header, &mut g);
            h.body.bsn = pick(&mut g, &BSNS).into();
            h.body.verzoek.referentie_aanbieder = reference(&mut g).as_str().into();
        }
        Content::Allocation(h) => {
            municipality_header(&mut h.header, &mut g);
            h.body.bsn = pick(&mut g, &BSNS).into();
            for p in &mut h.body.toegewezen_producten {
                p.toewijzing_nummer = number(&mut g);
                p.referentie_aanbieder =
                    (g.below(2) == 0).then(|| reference(&mut g).as_str().into());
            }
        }
        Content::Answer(h) => {
            municipality_header(&mut h.header, &mut g);
            h.body.referentie_aanbieder = reference(&mut g).as_str().into();
        }
        Content::CareStart(h) => {
            provider_header(&mut h.header, &mut g);
            h.body.bsn = pick(&mut g, &BSNS).into();
            for p in &mut h.body.start_producten {
                p.toewijzing_nummer = Some(number(&mut g));
            }
        }
        Content::CareStop(h) => {
            provider_header(&mut h.header, &mut g);
            h.body.bsn = pick(&mut g, &BSNS).into();
            for p in &mut h.body.stop_producten {
                p.toewijzing_nummer = Some(number(&mut g));
            }
        }
        Content::Declaration(h) => {
            provider_header(&mut h.header, &mut g);
            h.body.declaratie_nummer = format!("D{}", sent.len()).as_str().into();
            for c in &mut h.body.clienten {
                c.bsn = pick(&mut g, &BSNS).into();
                for p in &mut c.prestaties {
                    p.product_referentie.referentie_nummer = line_reference(&mut g).as_str().into();
                    p.product_referentie.vorig_referentie_nummer =
                        (g.below(3) == 0).then(|| line_reference(&mut g).as_str().into());
                    p.toewijzing_nummer = number(&mut g);
                }
            }
        }
        Content::DeclarationAnswer(a) => {
            let claim = earlier(sent, MessageType::M323, &mut g);
            if let Some(Content::Declaration(c)) = claim.as_ref().map(|c| &c.content) {
                a.header.heen.afzender = c.header.ontvanger.clone();
                a.header.heen.ontvanger = c.header.afzender.clone();
                a.header.declaratie_identificatie = c.header.bericht_identificatie.clone();
                if let Some(b) = a.body.as_mut() {
                    b.declaratie_nummer = c.body.declaratie_nummer.0.as_str().into();
                    b.clienten = c.body.clienten.clone();
                    for client in &mut b.clienten {
                        client.retour_codes = codes(&mut g);
                        for p in &mut client.prestaties {
                            p.retour_codes = codes(&mut g);
                        }
                    }
                    b.retour_codes = match g.below(3) {
                        0 => vec![RetourCode::R0001],
                        1 => vec![RetourCode::R8001],
                        _ => vec![RetourCode::R0200],
                    };
                }
            } else {
                municipality_header(&mut a.header.heen, &mut g);
            }
            a.header.heen.bericht_identificatie.identificatie =
                format!("A{}", g.below(30)).as_str().into();
            a.header.retour_codes = codes(&mut g);
        }
        Content::CareStartRetour(r) => {
            if let Some(Message {
                content: Content::CareStart(h),
                ..
            }) = earlier(sent, MessageType::M305, &mut g)
            {
                r.header.heen = h.header.clone();
                if r.body.is_some() {
                    let mut body = h.body.clone();
                    body.retour_codes = codes(&mut g);
                    for p in &mut body.start_producten {
                        p.retour_codes = codes(&mut g);
                    }
                    r.body = Some(body);
                }
            }
            r.header.retour_codes = codes(&mut g);
        }
        Content::CareStopRetour(r) => {
            if let Some(Message {
                content: Content::CareStop(h),
                ..
            }) = earlier(sent, MessageType::M307, &mut g)
            {
                r.header.heen = h.header.clone();
                if r.body.is_some() {
                    let mut body = h.body.clone();
                    body.retour_codes = codes(&mut g);
                    for p in &mut body.stop_producten {
                        p.retour_codes = codes(&mut g);
                    }
                    r.body = Some(body);
                }
            }
            r.header.retour_codes = codes(&mut g);
        }
        Content::RequestForAllocationRetour(r) => {
            if let Some(Message {
                content: Content::RequestForAllocation(h),
                ..
            }) = earlier(sent, MessageType::M315, &mut g)
            {
                r.header.heen = h.header.clone();
                if r.body.is_some() {
                    let mut body = h.body.clone();
                    body.retour_codes = codes(&mut g);
                    for p in &mut body.aangevraagde_producten {
                        p.retour_codes = codes(&mut g);
                    }
                    r.body = Some(body);
                }
            }
            r.header.retour_codes = codes(&mut g);
        }
        Content::ChangeRequestRetour(r) => {
            if let Some(Message {
                content: Content::ChangeRequest(h),
                ..
            }) = earlier(sent, MessageType::M317, &mut g)
            {
                r.header.heen = h.header.clone();
                if r.body.is_some() {
                    let mut body = h.body.clone();
                    body.retour_codes = codes(&mut g);
                    body.verzoek.retour_codes = codes(&mut g);
                    r.body = Some(body);
                }
            }
            r.header.retour_codes = codes(&mut g);
        }
        _ => {}
    }
    m
}

pub(crate) fn sent_by_provider(t: MessageType) -> bool {
    matches!(
        t,
        MessageType::M305
            | MessageType::M307
            | MessageType::M315
            | MessageType::M317
            | MessageType::M323
    )
}

/// Stores `m` as the gateway does: a sent message as an unchecked submit, a received one
/// as received.
async fn store(store: &SledStore, m: &Message, step: usize) {
    let xml = m.to_xml().unwrap_or_default();
    let write = if sent_by_provider(m.content.message_type()) {
        let header = m.content.header();
        Write::Submit(SubmitWrite {
            tenant: "t".into(),
            request_id: format!("step-{step}"),
            content_hash: String::new(),
            at_ms: 1_700_000_000_000,
            messages: vec![NewMessage {
                message: Arc::new(m.clone()),
                kind: m.kind().code(),
                agb: header.afzender.clone(),
                municipality: header.ontvanger.clone(),
                identificatie: header.bericht_identificatie.identificatie.0.clone(),
                declaration_number: None,
                xml,
                compressed_xml: Vec::new(),
            }],
            counters: Vec::new(),
            cross_message_rules: false,
        })
    } else {
        Write::Received {
            xml,
            message: Arc::new(m.clone()),
        }
    };
    let outcome = store.commit(write).wait().await.expect("stored");
    assert!(
        matches!(outcome, Outcome::Stored(_) | Outcome::Received),
        "{outcome:?}"
    );
}

/// A sample of direct questions, asked of both histories in every scope.
pub(crate) fn same_answers(
    memory: &MemoryHistory,
    indexed: &dyn History,
    sent: usize,
) -> Result<(), TestCaseError> {
    for agb in AGBS {
        for gemeente in GEMEENTEN {
            let scope = Scope {
                law: Law::Ijw,
                aanbieder: agb.into(),
                gemeente: gemeente.into(),
            };
            prop_assert_eq!(
                indexed.last_declaration_period(&scope),
                memory.last_declaration_period(&scope)
            );
            for n in 1..=5 {
                prop_assert_eq!(
                    indexed.allocation_and_lines(&scope, n),
                    memory.allocation_and_lines(&scope, n)
                );
            }
            for i in 0..10 {
                let r = format!("L{i}");
                prop_assert_eq!(indexed.line(&scope, &r), memory.line(&scope, &r));
                prop_assert_eq!(indexed.credit_of(&scope, &r), memory.credit_of(&scope, &r));
            }
            for i in 0..sent {
                let d = format!("D{i}");
                prop_assert_eq!(
                    indexed.declaration(&scope, &d),
                    memory.declaration(&scope, &d)
                );
            }
            for i in 0..6 {
                let r = format!("RA{i}");
                prop_assert_eq!(indexed.request(&scope, &r), memory.request(&scope, &r));
            }
            for bsn in BSNS {
                prop_assert_eq!(
                    indexed.client_allocations(&scope, bsn),
                    memory.client_allocations(&scope, bsn)
                );
                prop_assert_eq!(
                    indexed.client_requests(&scope, bsn),
                    memory.client_requests(&scope, bsn)
                );
                prop_assert_eq!(
                    indexed.care_events(&scope, bsn),
                    memory.care_events(&scope, bsn)
                );
            }
        }
    }
    Ok(())
}

/// One random history on `backend`: judged by the store's indexed history and by
/// `MemoryHistory` at every step. A skipped PostgreSQL passes.
fn run(
    backend: Backend,
    steps: &[(usize, u64)],
    cache_entries: usize,
) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let Some(place) = rt.block_on(Place::new(backend, "history_differential")) else {
        return Ok(());
    };
    let options = ketenpoort::store::sled_store::Options {
        history_cache_entries: cache_entries,
        ..Default::default()
    };
    let (s, closed) = place.open_store_with(&options);
    let mut memory = MemoryHistory::new();
    let mut sent: Vec<Message> = Vec::new();
    for (step, (kind, seed)) in steps.iter().enumerate() {
        let m = make(*kind, *seed, &sent);
        let expected = check_against(&memory, &m);
        let found = s.history().check(&m).expect("history read");
        prop_assert_eq!(&found, &expected, "step {} ({})", step, m.kind());
        memory.record(&m);
        rt.block_on(store(&s, &m, step));
        if sent_by_provider(m.content.message_type()) {
            sent.push(m);
        }
        let reader = s.history().read().expect("reader");
        same_answers(&memory, &reader, sent.len())?;
        reader.finish(()).expect("history read");
    }
    rt.block_on(async {
        close(s, closed).await;
        place.finish().await;
    });
    Ok(())
}

/// The same random histories on both backends (issue 16); fewer on PostgreSQL, where each
/// case makes a schema of its own.
mod the_indexed_history_judges_as_the_memory_history {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        #[test]
        fn sled(
            steps in prop::collection::vec((0usize..KINDS.len(), any::<u64>()), 1..50),
            cache in prop_oneof![Just(0usize), Just(7), Just(50_000)],
        ) {
            run(Backend::Sled, &steps, cache)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        #[test]
        fn postgres(
            steps in prop::collection::vec((0usize..KINDS.len(), any::<u64>()), 1..50),
            cache in prop_oneof![Just(0usize), Just(7), Just(50_000)],
        ) {
            run(Backend::Postgres, &steps, cache)?;
        }
    }
}

/// Opens the store at `dir`, stores `steps` in it as [`run`] does and closes it; returns
/// the memory history of the same messages and the messages sent.
fn fill(
    rt: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    steps: &[(usize, u64)],
) -> (MemoryHistory, Vec<Message>) {
    let (s, closed) = SledStore::open_with_closed(dir).expect("open");
    let mut memory = MemoryHistory::new();
    let mut sent = Vec::new();
    for (step, (kind, seed)) in steps.iter().enumerate() {
        let m = make(*kind, *seed, &sent);
        memory.record(&m);
        rt.block_on(store(&s, &m, step));
        if sent_by_provider(m.content.message_type()) {
            sent.push(m);
        }
    }
    drop(s);
    rt.block_on(closed).expect("closed");
    (memory, sent)
}

/// Removes every key that starts with one of `prefixes` from the store at `dir`.
fn remove_keys(dir: &std::path::Path, prefixes: &[&[u8]]) -> usize {
    let db = crate::common::open_raw_sled(dir);
    let mut n = 0;
    for p in prefixes {
        for k in db.scan_prefix(p).keys() {
            db.remove(k.expect("key")).expect("remove");
            n += 1;
        }
    }
    db.flush().expect("flush");
    n
}

fn steps(n: u64) -> Vec<(usize, u64)> {
    (0..n)
        .map(|i| {
            (
                (i as usize * 5 + 3) % KINDS.len(),
                i.wrapping_mul(0x9E37_79B9),
            )
        })
        .collect()
}

#[test]
fn a_store_without_indexes_gets_them_at_open_once_and_judges_the_same() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut memory, mut sent) = fill(&rt, dir.path(), &steps(150));
    // Format 1, as the versions before the indexes wrote it: the same keys without the
    // history's (`h/`), the format version and the marker that stops those versions.
    let removed = remove_keys(dir.path(), &[b"h/", b"z/format"]);
    assert!(removed > 150, "the indexes were there: {removed} keys");
    let db = crate::common::open_raw_sled(dir.path());
    let marker = [b"o/".as_slice(), &u64::MAX.to_be_bytes()].concat();
    db.remove(&marker).expect("remove");
    db.flush().expect("flush");
    drop(db);

    // Opened: the indexes are built from the XML, and answer as the memory history.
    let (s, closed) = SledStore::open_with_closed(dir.path()).expect("upgrade");
    {
        let reader = s.history().read().expect("reader");
        same_answers(&memory, &reader, sent.len()).expect("same answers after the upgrade");
        reader.finish(()).expect("history read");
    }
    for (step, (kind, seed)) in steps(40).iter().enumerate() {
        let m = make(*kind, seed.wrapping_add(1), &sent);
        let expected = check_against(&memory, &m);
        let found = s.history().check(&m).expect("history read");
        assert_eq!(
            found,
            expected,
            "step {step} after the upgrade ({})",
            m.kind()
        );
        memory.record(&m);
        rt.block_on(store(&s, &m, 1000 + step));
        if sent_by_provider(m.content.message_type()) {
            sent.push(m);
        }
    }
    drop(s);
    rt.block_on(closed).expect("closed");

    // Opened again, the indexes are not built again: without any stored XML, the history
    // still answers (opening reads no stored message).
    let xml = remove_keys(dir.path(), &[b"x/", b"r/"]);
    assert!(xml > 150);
    let s = SledStore::open(dir.path()).expect("reopen");
    let reader = s.history().read().expect("reader");
    same_answers(&memory, &reader, sent.len()).expect("same answers without the XML");
    reader.finish(()).expect("history read");
}

#[test]
fn a_store_of_a_newer_format_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (s, closed) = SledStore::open_with_closed(dir.path()).expect("open");
    drop(s);
    rt.block_on(closed).expect("closed");
    let db = crate::common::open_raw_sled(dir.path());
    db.insert(b"z/format", &3u64.to_be_bytes()).expect("insert");
    db.flush().expect("flush");
    drop(db);
    let e = SledStore::open(dir.path()).expect_err("format 3 is refused");
    let text = e.to_string();
    assert!(
        text.contains("format 3") && text.contains("newer ketenpoort"),
        "{text}"
    );
}

#[test]
fn versions_before_the_indexes_stop_at_the_marker_with_its_text() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    fill(&rt, dir.path(), &steps(3));
    // What those versions do at open with every `o/` record: decode it as an outbox record.
    let db = crate::common::open_raw_sled(dir.path());
    let marker = [b"o/".as_slice(), &u64::MAX.to_be_bytes()].concat();
    let v = db.get(&marker).expect("get").expect("the marker is stored");
    let e = serde_json::from_slice::<ketenpoort::store::OutboxRecord>(&v)
        .expect_err("the marker is no outbox record");
    assert!(
        e.to_string().contains("newer ketenpoort"),
        "the error names the cause: {e}"
    );
}
