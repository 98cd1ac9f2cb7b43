//! The indexed history ([`crate::store::index`]) answers as [`MemoryHistory`] does; the
//! latest claimed period, which it keeps as an index of its own, is compared after every
//! claim and every 325 of a mixed sequence.

use chrono::NaiveDate;
use ketenpoort_messages::codes::RetourCode;
use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::rules::cross::{History, MemoryHistory, Scope};
use ketenpoort_messages::{Content, Law, Message, MessageKind, MessageType};

use crate::store::index::{Changes, Indexed};

/// The indexed history in a sled database of its own.
struct Index {
    db: sled::Db,
    _dir: tempfile::TempDir,
}

impl Default for Index {
    fn default() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(dir.path()).open().expect("sled");
        Index { db, _dir: dir }
    }
}

impl Index {
    fn record(&mut self, m: &Message) {
        let mut changes = Changes::new(&self.db);
        changes.record(m).expect("record");
        let mut batch = sled::Batch::default();
        for (k, v) in changes.into_pending() {
            match v {
                Some(v) => batch.insert(k, v),
                None => batch.remove(k),
            }
        }
        self.db.apply_batch(batch).expect("apply");
    }

    fn last_declaration_period(
        &self,
        scope: &Scope,
    ) -> Option<ketenpoort_messages::model::basis::GeslotenPeriode> {
        let h = Indexed::new(&self.db);
        let p = h.last_declaration_period(scope);
        h.finish(p).expect("read")
    }
}

const AGB: &str = "12345678";
const GEMEENTE: &str = "0268";

fn month(m: u32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(2024 + (m / 12) as i32, m % 12 + 1, 1).expect("date");
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .expect("date");
    (first, last)
}

/// A JW323 from AGB to GEMEENTE, claim `i`, for month `m`.
fn claim(i: u64, m: u32) -> Message {
    let mut g = Gen::new(i, Shape::Minimal);
    let mut message = Message::generate(MessageKind::new(Law::Ijw, MessageType::M323), &mut g);
    if let Content::Declaration(h) = &mut message.content {
        h.header.afzender = AGB.into();
        h.header.ontvanger = GEMEENTE.into();
        h.header.bericht_identificatie.identificatie = format!("C{i}").as_str().into();
        h.body.declaratie_nummer = format!("DN{i}").as_str().into();
        let (first, last) = month(m);
        h.body.declaratie_periode.begindatum = first;
        h.body.declaratie_periode.einddatum = last;
    }
    message
}

/// A JW325 rejecting claim `i` as a whole (a header retourcode other than 0200).
fn rejection(i: u64) -> Message {
    let mut g = Gen::new(1000 + i, Shape::Minimal);
    let mut message = Message::generate(MessageKind::new(Law::Ijw, MessageType::M325), &mut g);
    if let Content::DeclarationAnswer(a) = &mut message.content {
        a.header.heen.afzender = GEMEENTE.into();
        a.header.heen.ontvanger = AGB.into();
        a.header.heen.bericht_identificatie.identificatie = format!("A{i}").as_str().into();
        a.header.declaratie_identificatie.identificatie = format!("C{i}").as_str().into();
        a.header.retour_codes = vec![RetourCode::R0001];
        if let Some(b) = a.body.as_mut() {
            b.declaratie_nummer = format!("DN{i}").as_str().into();
        }
    }
    message
}

#[test]
fn the_latest_claimed_period_is_what_memory_history_says() {
    let scope = Scope {
        law: Law::Ijw,
        aanbieder: AGB.into(),
        gemeente: GEMEENTE.into(),
    };
    let (mut memory, mut index) = (MemoryHistory::new(), Index::default());
    assert_eq!(index.last_declaration_period(&scope), None);
    // Months out of order, repeats, and rejections of the latest and of older claims.
    let months = [3, 1, 5, 5, 2, 8, 7, 8, 9, 4];
    let mut moved_back = 0;
    for (i, m) in months.iter().enumerate() {
        let c = claim(i as u64, *m);
        memory.record(&c);
        index.record(&c);
        assert_eq!(
            index.last_declaration_period(&scope),
            memory.last_declaration_period(&scope),
            "after claim {i}"
        );
        if i % 3 == 2 {
            for j in [i as u64, (i / 2) as u64] {
                let r = rejection(j);
                let before = memory.last_declaration_period(&scope);
                memory.record(&r);
                moved_back += usize::from(memory.last_declaration_period(&scope) != before);
                index.record(&r);
                assert_eq!(
                    index.last_declaration_period(&scope),
                    memory.last_declaration_period(&scope),
                    "after rejecting claim {j}"
                );
            }
        }
    }
    assert!(index.last_declaration_period(&scope).is_some());
    assert!(
        moved_back > 0,
        "a rejection voided the latest claim at least once"
    );
}
