//! The rule catalog cannot drift from the code, the tests, the standard or `docs/RULES.md`:
//!
//! - every rule id written in `messages/src` has a catalog entry;
//! - every test an implemented entry names exists;
//! - every rule id of the standard (when `../shared/standards` or `KETENPOORT_STANDARDS_DIR`
//!   is there; required with `KETENPOORT_REQUIRE_STANDARDS=1`) has an entry, and no entry
//!   names a rule the standard does not have;
//! - at least 95% of the in-message rules are implemented;
//! - `docs/RULES.md` is the catalog rendered (`UPDATE_RULES_MD=1` rewrites it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ketenpoort_messages::rules::IN_MESSAGE_RULES;
use ketenpoort_messages::rules::catalog::{self, Level, RuleEntry, Status};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("messages/ is inside the workspace")
        .to_owned()
}

/// Every `.rs` file below `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Rule ids `PPnnn` with a prefix of `prefixes` in `text`, where `quoted` asks for the
/// form `"PPnnn"` (a string literal) and otherwise for a whole word.
fn rule_ids(text: &str, prefixes: &[&str], quoted: bool) -> BTreeSet<String> {
    let b = text.as_bytes();
    let mut ids = BTreeSet::new();
    for i in 0..b.len() {
        let Some(rest) = b.get(i..i + 5) else {
            break;
        };
        if !prefixes.iter().any(|p| rest.starts_with(p.as_bytes()))
            || !rest[2..].iter().all(u8::is_ascii_digit)
        {
            continue;
        }
        let before = i.checked_sub(1).map(|j| b[j]);
        let after = b.get(i + 5).copied();
        let ok = if quoted {
            before == Some(b'"') && after == Some(b'"')
        } else {
            !before.is_some_and(|c| c.is_ascii_alphanumeric())
                && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        };
        if ok {
            ids.insert(String::from_utf8_lossy(rest).into_owned());
        }
    }
    ids
}

fn by_id() -> BTreeMap<&'static str, RuleEntry> {
    let mut map = BTreeMap::new();
    for entry in catalog::catalog() {
        assert!(
            map.insert(entry.id, entry).is_none(),
            "{} is in the catalog twice",
            entry.id
        );
    }
    map
}

#[test]
fn every_rule_id_in_the_source_has_a_catalog_entry() {
    let catalog = by_id();
    let mut missing = Vec::new();
    let files = rust_files(&workspace().join("messages/src"));
    assert!(files.len() > 20, "messages/src not found");
    for file in files {
        for id in rule_ids(&read(&file), &["RS", "CS", "CD", "TR"], true) {
            if !catalog.contains_key(id.as_str()) {
                missing.push(format!("{id} ({})", file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "rule ids without a catalog entry:\n{}",
        missing.join("\n")
    );
    for id in IN_MESSAGE_RULES {
        let entry = catalog
            .get(id)
            .unwrap_or_else(|| panic!("{id} of IN_MESSAGE_RULES is not in the catalog"));
        assert_eq!(
            (entry.level, entry.status),
            (Level::InMessage, Status::Implemented),
            "{id} is in IN_MESSAGE_RULES"
        );
    }
}

/// Names of the functions defined in `text` (`fn name(` or `fn name<`).
fn functions(text: &str, into: &mut BTreeSet<String>) {
    for (i, _) in text.match_indices("fn ") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let name: String = text[i + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let next = text[i + 3 + name.len()..].chars().next();
        if !name.is_empty() && matches!(next, Some('(' | '<')) {
            into.insert(name);
        }
    }
}

#[test]
fn every_named_test_exists() {
    let root = workspace();
    let mut defined = BTreeSet::new();
    for dir in [
        "messages/tests",
        "tests/tests",
        "gateway/tests",
        "simulator/tests",
    ] {
        for file in rust_files(&root.join(dir)) {
            functions(&read(&file), &mut defined);
        }
    }
    // Unit tests: the code after `#[cfg(test)]` in the library's files.
    for file in rust_files(&root.join("messages/src")) {
        let text = read(&file);
        if let Some(at) = text.find("#[cfg(test)]") {
            functions(&text[at..], &mut defined);
        }
    }
    let mut problems = Vec::new();
    for entry in catalog::catalog() {
        if entry.status == Status::Implemented && entry.tests.is_empty() {
            problems.push(format!("{}: implemented but names no test", entry.id));
        }
        for test in entry.tests {
            if !defined.contains(*test) {
                problems.push(format!("{}: no test function `{test}`", entry.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The standard's rules directory, as `tests/tests/common` finds the standards.
fn standards_rules() -> Option<PathBuf> {
    let dir = std::env::var_os("KETENPOORT_STANDARDS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/standards"));
    let rules = dir.join("rules");
    if rules.join("ijw/regels").is_dir() && rules.join("iwmo/regels").is_dir() {
        return Some(rules);
    }
    if std::env::var("KETENPOORT_REQUIRE_STANDARDS").as_deref() == Ok("1") {
        panic!(
            "the standards directory {} is missing but KETENPOORT_REQUIRE_STANDARDS=1",
            dir.display()
        );
    }
    eprintln!(
        "every_rule_of_the_standard_is_in_the_catalog: skipped, no standards directory at {}",
        dir.display()
    );
    None
}

/// File names in `dir` without extension (`TR002.md` → `TR002`, `TR135` → `TR135`).
fn file_ids(dir: &Path) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_file() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let id = name.strip_suffix(".md").unwrap_or(&name).to_owned();
            ids.insert(id);
        }
    }
    ids
}

#[test]
fn every_rule_of_the_standard_is_in_the_catalog() {
    let Some(rules) = standards_rules() else {
        return;
    };
    let catalog = by_id();
    // id → the level its place in the standard implies (None: any).
    let mut standard: BTreeMap<String, Option<Level>> = BTreeMap::new();
    for law in ["ijw", "iwmo"] {
        let regels = rules.join(law).join("regels");
        for file in std::fs::read_dir(regels.join("condities-constraints"))
            .expect("condities-constraints")
            .flatten()
        {
            let text = std::fs::read_to_string(file.path()).unwrap_or_default();
            for id in rule_ids(&text, &["RS", "CS", "CD"], false) {
                standard.entry(id).or_insert(None);
            }
        }
        for set in std::fs::read_dir(regels.join("technische-regels"))
            .expect("technische-regels")
            .flatten()
        {
            let level = match set.file_name().to_string_lossy().as_ref() {
                "xslt" => Level::InMessage,
                "berichtoverstijgend" => Level::CrossMessage,
                _ => Level::ExternalSource,
            };
            for id in file_ids(&set.path()) {
                standard.insert(id, Some(level));
            }
        }
        for id in file_ids(&regels.join("bedrijfsregels")) {
            standard.entry(id).or_insert(None);
        }
    }
    assert!(standard.len() > 200, "found only {} rules", standard.len());
    let mut problems = Vec::new();
    for (id, level) in &standard {
        match catalog.get(id.as_str()) {
            None => problems.push(format!("{id}: in the standard, not in the catalog")),
            Some(entry) => {
                if let Some(level) = level {
                    if entry.level != *level {
                        problems.push(format!(
                            "{id}: the standard puts it at {level:?}, the catalog at {:?}",
                            entry.level
                        ));
                    }
                }
            }
        }
    }
    for id in catalog.keys() {
        if !standard.contains_key(*id) {
            problems.push(format!("{id}: in the catalog, not in the standard"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    println!(
        "the catalog covers all {} rules of the standard",
        standard.len()
    );
}

#[test]
fn most_in_message_rules_are_implemented() {
    let all = catalog::catalog();
    let in_message: Vec<&RuleEntry> = all
        .iter()
        .filter(|r| catalog::is_in_message_id(r))
        .collect();
    let done = in_message
        .iter()
        .filter(|r| r.status == Status::Implemented)
        .count();
    let pct = done as f64 * 100.0 / in_message.len() as f64;
    println!(
        "in-message rules (CD, CS, XSLT-level TR): {done} of {} implemented ({pct:.1}%)",
        in_message.len()
    );
    assert!(
        in_message.len() >= 60,
        "only {} in-message rules",
        in_message.len()
    );
    assert!(
        pct >= 95.0,
        "only {pct:.1}% of the in-message rules are implemented"
    );
}

#[test]
fn docs_rules_md_is_the_catalog() {
    let path = workspace().join("docs/RULES.md");
    let rendered = catalog::markdown();
    if std::env::var("UPDATE_RULES_MD").as_deref() == Ok("1") {
        std::fs::write(&path, &rendered).expect("write docs/RULES.md");
        println!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/RULES.md is not the rendered catalog (messages/src/rules/catalog.rs); \
         regenerate it with:\n  UPDATE_RULES_MD=1 cargo test -p ketenpoort-messages --test it rules_catalog::"
    );
}
