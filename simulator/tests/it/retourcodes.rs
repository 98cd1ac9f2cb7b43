//! `simulator/RETOURCODES.md` lists every retourcode the municipality bot can send: it is the
//! rendered table of `ketenpoort_sim::retourcodes`, each rule's code is the one the standard
//! gives it (`rules::retourcode`), and each code is on the codelist.

use ketenpoort_messages::codes::RetourCode;
use ketenpoort_messages::rules;
use ketenpoort_sim::retourcodes::{BOT_CODES, markdown};

#[test]
fn every_code_is_the_standards_code_for_its_rule() {
    for b in BOT_CODES {
        assert!(
            RetourCode::from_code(b.code).is_some(),
            "{} is not a RetourCode",
            b.code
        );
        if let Some(rule) = b.rule {
            assert_eq!(rules::retourcode(rule), Some(b.code), "{rule}");
        }
    }
}

#[test]
fn retourcodes_md_is_the_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("RETOURCODES.md");
    let rendered = markdown();
    if std::env::var("UPDATE_RETOURCODES_MD").as_deref() == Ok("1") {
        std::fs::write(&path, &rendered).expect("write RETOURCODES.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "simulator/RETOURCODES.md is not the rendered table; regenerate it with:\n  \
         UPDATE_RETOURCODES_MD=1 cargo test -p ketenpoort-sim --test it retourcodes::"
    );
}
