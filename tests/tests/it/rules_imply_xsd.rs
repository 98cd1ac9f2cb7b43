//! Property: a message that passes every in-message rule (and the model's validation) is
//! XSD-valid under xmllint with the official schemas. Random messages seldom pass the rules,
//! so each generated message is first repaired (`generate::repair`: BSN check digits, dates,
//! conditional fields, periods, totals); those that then pass `rules::check` and `validate`
//! are written and given to xmllint.

use crate::common;

use std::collections::BTreeMap;

use ketenpoort_messages::generate::{Gen, Shape, repair};
use ketenpoort_messages::{Message, MessageKind, rules};

/// Generated messages per kind.
const PER_KIND: usize = 48;

#[test]
fn rule_valid_messages_are_xsd_valid() {
    let Some(standards) = common::standards_dir("rule_valid_messages_are_xsd_valid") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    for kind in MessageKind::all() {
        let Some(xsd) = common::xsd(&standards, kind) else {
            continue;
        };
        let mut g = Gen::new(u64::from(kind.bericht_code()) * 31 + 7, Shape::Random);
        let mut files = Vec::new();
        for i in 0..PER_KIND {
            g.shape = match i % 4 {
                0 => Shape::Full,
                1 => Shape::Minimal,
                _ => Shape::Random,
            };
            g.max_list = 1 + i % 4;
            let mut message = Message::generate(kind, &mut g);
            repair(&mut message);
            if !rules::check(&message).is_empty() || !message.validate().is_empty() {
                continue;
            }
            let xml = message
                .to_xml()
                .unwrap_or_else(|e| panic!("{kind}: a valid model must be writable: {e}"));
            let path = dir.path().join(format!("{}-{i:03}.xml", kind.code()));
            std::fs::write(&path, xml).expect("write message");
            files.push(path);
        }
        let verdicts = common::xmllint_verdicts(&xsd, &files);
        for (file, ok) in files.iter().zip(&verdicts) {
            assert!(
                ok,
                "passes the in-message rules but xmllint rejects {}:\n{}",
                file.display(),
                std::fs::read_to_string(file).unwrap_or_default()
            );
        }
        checked.insert(kind.code(), files.len());
    }
    let total: usize = checked.values().sum();
    println!("xmllint validated {total} rule-valid messages: {checked:?}");
    assert_eq!(checked.len(), 21, "expected 14 iJw and 7 iWmo schemas");
    for (kind, n) in &checked {
        assert!(
            *n >= PER_KIND / 2,
            "only {n} of {PER_KIND} {kind} messages passed the rules after repair"
        );
    }
    assert!(total >= 100, "only {total} rule-valid messages checked");
}
