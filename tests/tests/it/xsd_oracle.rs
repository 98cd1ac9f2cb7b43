//! The independent oracle: generated corpora of every kind with an XSD validate with
//! `xmllint --noout --schema` against the official 3.2 schemas.

use crate::common;

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Message, MessageKind};

const PER_KIND: usize = 200;

#[test]
fn generated_corpus_validates_with_xmllint() {
    let Some(standards) = common::standards_dir("generated_corpus_validates_with_xmllint") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut checked = 0usize;
    let mut kinds = 0usize;
    for kind in MessageKind::all() {
        let Some(xsd) = common::xsd(&standards, kind) else {
            continue;
        };
        kinds += 1;
        let mut files = Vec::new();
        // One generator per kind, so round-robin codelist picks cover every code.
        let mut g = Gen::new(kind.bericht_code().into(), Shape::Random);
        for i in 0..PER_KIND {
            g.shape = match i % 4 {
                0 => Shape::Full,
                1 => Shape::Minimal,
                _ => Shape::Random,
            };
            g.max_list = if i % 8 == 0 { 6 } else { 3 };
            let message = Message::generate(kind, &mut g);
            let xml = message.to_xml().unwrap_or_else(|e| panic!("{kind}: {e}"));
            let path = dir.path().join(format!("{}-{i:03}.xml", kind.code()));
            std::fs::write(&path, xml).expect("write corpus file");
            files.push(path);
        }
        for (list, (picked, codes)) in g.picks() {
            assert!(
                picked >= codes,
                "{kind}: codelist {list} used {picked} times, fewer than its {codes} codes"
            );
        }
        let verdicts = common::xmllint_verdicts(&xsd, &files);
        for (file, ok) in files.iter().zip(&verdicts) {
            assert!(
                ok,
                "xmllint rejects {}:\n{}",
                file.display(),
                std::fs::read_to_string(file).unwrap_or_default()
            );
        }
        checked += files.len();
    }
    assert_eq!(kinds, 21, "expected 14 iJw and 7 iWmo schemas");
    println!("xmllint validated {checked} generated messages of {kinds} kinds");
}
