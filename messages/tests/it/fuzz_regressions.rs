//! Replays the `xml_reader` fuzz target's seeds and every input that once crashed it
//! (`fuzz/seeds/xml_reader`, `fuzz/regressions/xml_reader`) through the same code: read,
//! well-formedness check, rules, write back and read again.

use std::path::Path;

use ketenpoort_messages::{MAX_VIOLATIONS, ReadLimits, check_well_formed, read, rules};

/// The files of `fuzz/<kind>/<target>/` (none when the directory is missing).
fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_file() {
            let bytes = std::fs::read(&path).expect("read input");
            out.push((path.display().to_string(), bytes));
        }
    }
    out.sort();
    out
}

#[test]
fn xml_reader_seeds_and_regressions() {
    let seeds = inputs("seeds", "xml_reader");
    assert!(!seeds.is_empty(), "the seed corpus is committed");
    let limits = ReadLimits::default();
    for (name, data) in seeds.iter().chain(&inputs("regressions", "xml_reader")) {
        let _ = check_well_formed(data, limits);
        if let Ok(message) = read(data, limits) {
            let _ = rules::check_capped(&message, MAX_VIOLATIONS);
            let xml = message
                .to_xml()
                .unwrap_or_else(|e| panic!("{name}: accepted but not writable: {e}"));
            let again = read(xml.as_bytes(), limits)
                .unwrap_or_else(|e| panic!("{name}: written XML does not read back: {e}"));
            assert_eq!(again, message, "{name}");
        }
    }
    // The seeds are generated messages: every one is read.
    for (name, data) in &seeds {
        assert!(read(data, limits).is_ok(), "{name}");
    }
}
