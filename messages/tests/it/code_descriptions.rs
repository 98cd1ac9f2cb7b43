//! The unit and category names in `codes.rs` against the standard's codelists (WJ756 for
//! both laws, JZ020 for iJw, WMO020 for iWmo) in `../shared/standards/rules`: every code of a
//! list has the list's text. Skips with a message when the standards are absent, fails then
//! with `KETENPOORT_REQUIRE_STANDARDS=1`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ketenpoort_messages::Law;
use ketenpoort_messages::codes::{Eenheid, ProductCategorie};

fn rules_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KETENPOORT_STANDARDS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/standards")
        });
    let rules = dir.join("rules");
    if rules.join("ijw/codelijsten").is_dir() && rules.join("iwmo/codelijsten").is_dir() {
        return Some(rules);
    }
    if std::env::var("KETENPOORT_REQUIRE_STANDARDS").as_deref() == Ok("1") {
        panic!(
            "the standards directory {} is missing but KETENPOORT_REQUIRE_STANDARDS=1",
            dir.display()
        );
    }
    eprintln!(
        "code_descriptions: skipped, no standards at {}",
        dir.display()
    );
    None
}

/// `| code | text |` table rows of a codelist file: code → text.
fn table(path: &std::path::Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            // ["", code, text, ""]
            (cells.len() >= 4
                && cells[1].len() == 2
                && cells[1].chars().all(|c| c.is_ascii_digit()))
            .then(|| (cells[1].to_owned(), cells[2].to_owned()))
        })
        .collect()
}

/// `# Code 01 - Minuut` headings: code → text.
fn headings(path: &std::path::Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.strip_prefix("# Code "))
        .filter_map(|l| l.split_once(" - "))
        .map(|(c, t)| (c.trim().to_owned(), t.trim().to_owned()))
        .collect()
}

#[test]
fn category_names_are_the_codelists_texts() {
    let Some(rules) = rules_dir() else { return };
    for (law, file) in [
        (Law::Ijw, "ijw/codelijsten/JZ020_Productcategorie"),
        (Law::Iwmo, "iwmo/codelijsten/WMO020_Productcategorie.md"),
    ] {
        let list = table(&rules.join(file));
        let ours: BTreeMap<String, String> = ProductCategorie::ALL
            .iter()
            .filter(|c| c.valid_for(law))
            .map(|c| (c.code().to_owned(), c.description().to_owned()))
            .collect();
        assert_eq!(ours, list, "{file}");
    }
}

#[test]
fn unit_names_are_the_codelists_texts() {
    let Some(rules) = rules_dir() else { return };
    let ours: BTreeMap<String, String> = Eenheid::ALL
        .iter()
        .map(|u| (u.code().to_owned(), u.description().to_owned()))
        .collect();
    assert_eq!(
        ours,
        headings(&rules.join("ijw/codelijsten/WJ756_Eenheid.md"))
    );
    assert_eq!(
        ours,
        table(&rules.join("iwmo/codelijsten/WJ756_Eenheid.md"))
    );
}
