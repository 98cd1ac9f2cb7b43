//! The `ketenpoort` binary as a user runs it: `validate` verdicts, output forms and exit
//! codes. Every input file is made here, in a temp directory. (`serve`: cli_serve.rs.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ketenpoort_messages::generate::{Gen, Shape, repair};
use ketenpoort_messages::{Law, Message, MessageKind, MessageType, rules};
use serde_json::Value;

fn ketenpoort(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .args(args)
        .output()
        .expect("run the ketenpoort binary")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("ketenpoort exits with a code")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

const JW315: MessageKind = MessageKind::new(Law::Ijw, MessageType::M315);

/// A message of `kind` as XML that is schema-valid and breaks no in-message rule: a generated
/// message repaired to pass the rules (a random one fails e.g. the 11-proef).
fn valid_xml(kind: MessageKind, seed: u64) -> String {
    let mut message = Message::generate(kind, &mut Gen::new(seed, Shape::Minimal));
    repair(&mut message);
    assert_eq!(rules::check(&message), vec![], "{kind} must pass the rules");
    message
        .to_xml()
        .unwrap_or_else(|e| panic!("generated {kind} must be writable: {e}"))
}

/// `xml` with the text of the first element whose local name is `local` replaced.
fn with_text(xml: &str, local: &str, text: &str) -> String {
    let open = format!(":{local}>");
    let start = xml.find(&open).expect("element present") + open.len();
    let end = start + xml[start..].find('<').expect("element closed");
    format!("{}{text}{}", &xml[..start], &xml[end..])
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write test file");
    path
}

/// Parses `--json` output: exactly one line per file, each an object with exactly the
/// documented keys and types.
fn json_lines(out: &Output, files: usize) -> Vec<Value> {
    let text = stdout(out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), files, "one line per file:\n{text}");
    lines
        .iter()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("each line is JSON");
            let obj = v.as_object().expect("each line is an object");
            let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["file", "law", "message", "valid", "violations"]);
            assert!(v["file"].is_string(), "{line}");
            assert!(v["valid"].is_boolean(), "{line}");
            assert!(v["law"].is_string() || v["law"].is_null(), "{line}");
            assert!(v["message"].is_string() || v["message"].is_null(), "{line}");
            for violation in v["violations"].as_array().expect("violations is an array") {
                let obj = violation.as_object().expect("a violation is an object");
                let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
                keys.sort_unstable();
                assert_eq!(keys, ["message", "path", "retourcode", "rule"]);
                for key in ["message", "path", "rule"] {
                    assert!(obj[key].is_string(), "{line}");
                }
                assert!(
                    obj["retourcode"].is_string() || obj["retourcode"].is_null(),
                    "{line}"
                );
            }
            if v["valid"] == true {
                assert_eq!(v["violations"], Value::Array(vec![]), "{line}");
            } else {
                assert!(
                    !v["violations"].as_array().is_some_and(Vec::is_empty),
                    "{line}"
                );
            }
            v
        })
        .collect()
}

fn rules(v: &Value) -> Vec<&str> {
    v["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["rule"].as_str())
        .collect()
}

#[test]
fn a_valid_message_exits_0_with_its_kind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ok = write(dir.path(), "ok.xml", valid_xml(JW315, 1));

    let out = ketenpoort(&["validate", s(&ok)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{}: valid (JW315)\n", s(&ok)));

    let out = ketenpoort(&["validate", "--json", s(&ok)]);
    assert_eq!(code(&out), 0);
    let v = &json_lines(&out, 1)[0];
    assert_eq!(v["file"], s(&ok));
    assert_eq!(v["valid"], true);
    assert_eq!(v["law"], "ijw");
    assert_eq!(v["message"], "JW315");
}

#[test]
fn every_kind_is_recognised() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kinds: Vec<MessageKind> = MessageKind::all().collect();
    let files: Vec<PathBuf> = kinds
        .iter()
        .map(|k| write(dir.path(), &format!("{k}.xml"), valid_xml(*k, 7)))
        .collect();
    let mut args = vec!["validate", "--json"];
    args.extend(files.iter().map(|f| s(f)));

    let out = ketenpoort(&args);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    for ((v, kind), file) in json_lines(&out, kinds.len()).iter().zip(&kinds).zip(&files) {
        assert_eq!(v["file"], s(file));
        assert_eq!(v["valid"], true);
        assert_eq!(v["law"], kind.law.as_str());
        assert_eq!(v["message"], kind.code());
    }
    // The JSON spelling, independent of the library's own names.
    assert!(stdout(&out).contains(r#""law":"ijw","message":"JW323""#));
    assert!(stdout(&out).contains(r#""law":"iwmo","message":"WMO301""#));
}

#[test]
fn a_wrong_bericht_code_is_invalid_with_rs047() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = write(
        dir.path(),
        "bad.xml",
        with_text(&valid_xml(JW315, 2), "BerichtCode", "447"),
    );

    let out = ketenpoort(&["validate", s(&bad)]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(format!("{}: invalid (JW315)", s(&bad)).as_str())
    );
    assert!(
        lines.any(|l| l.starts_with("  RS047 /Bericht/Header/BerichtCode: ")),
        "{text}"
    );

    let out = ketenpoort(&["validate", "--json", s(&bad)]);
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out, 1)[0];
    assert_eq!(v["valid"], false);
    assert_eq!(v["law"], "ijw");
    assert_eq!(v["message"], "JW315");
    let violation = v["violations"]
        .as_array()
        .and_then(|vs| vs.iter().find(|x| x["rule"] == "RS047"))
        .expect("an RS047 violation");
    assert_eq!(violation["path"], "/Bericht/Header/BerichtCode");
    // A schema restriction has no retourcode: VECOZO refuses the message outright.
    assert_eq!(violation["retourcode"], Value::Null);
    // The wrong value is not echoed; the expected one may be.
    assert!(!violation["message"].as_str().unwrap_or("").contains("447"));
}

#[test]
fn a_schema_valid_message_that_breaks_an_in_message_rule_is_invalid() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 123456789 is nine digits (schema-valid) but fails the 11-proef (CS002).
    let bad = write(
        dir.path(),
        "bsn.xml",
        with_text(&valid_xml(JW315, 6), "Bsn", "123456789"),
    );

    let out = ketenpoort(&["validate", "--json", s(&bad)]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let v = &json_lines(&out, 1)[0];
    assert_eq!(v["valid"], false);
    assert_eq!(v["law"], "ijw");
    assert_eq!(v["message"], "JW315");
    assert_eq!(rules(v), ["CS002"]);
    let violation = &v["violations"][0];
    assert_eq!(violation["path"], "/Bericht/Client/Bsn");
    assert_eq!(violation["retourcode"], "0001");
    assert!(!stdout(&out).contains("123456789"), "the BSN is not echoed");

    let out = ketenpoort(&["validate", s(&bad)]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("{}: invalid (JW315)", s(&bad)));
    assert!(
        lines[1].starts_with("  CS002 /Bericht/Client/Bsn: ") && lines[1].ends_with(" [0001]"),
        "{text}"
    );
}

#[test]
fn an_impossible_date_is_invalid_with_xsd_date() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = write(
        dir.path(),
        "date.xml",
        with_text(&valid_xml(JW315, 3), "ToewijzingIngangsdatum", "2027-06-31"),
    );

    let out = ketenpoort(&["validate", "--json", s(&bad)]);
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out, 1)[0];
    assert_eq!(v["valid"], false);
    assert_eq!(v["message"], "JW315");
    let violation = v["violations"]
        .as_array()
        .and_then(|vs| vs.iter().find(|x| x["rule"] == "XSD-date"))
        .expect("an XSD-date violation");
    let path = violation["path"].as_str().expect("path");
    assert!(path.starts_with("/Bericht/"), "{path}");
    assert!(path.ends_with("/ToewijzingIngangsdatum"), "{path}");
}

#[test]
fn documents_that_are_not_messages_are_invalid_with_one_violation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let xml = valid_xml(JW315, 4);
    let truncated = write(
        dir.path(),
        "truncated.xml",
        &xml.as_bytes()[..xml.len() / 2],
    );
    let dtd = write(
        dir.path(),
        "dtd.xml",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE Bericht>\n<Bericht/>\n",
    );
    let foreign = write(
        dir.path(),
        "foreign.xml",
        "<Bericht xmlns=\"http://www.istandaarden.nl/ijw/3_1/jw315/schema\"/>",
    );
    let binary = write(dir.path(), "binary.xml", [0xffu8, 0xfe, 0x00, 0x3c]);

    let out = ketenpoort(&[
        "validate",
        "--json",
        s(&truncated),
        s(&dtd),
        s(&foreign),
        s(&binary),
    ]);
    assert_eq!(code(&out), 1);
    let lines = json_lines(&out, 4);
    for (v, (file, rule)) in lines.iter().zip([
        (&truncated, "XML"),
        (&dtd, "XML"),
        (&foreign, "XSD-root"),
        (&binary, "XML"),
    ]) {
        assert_eq!(v["file"], s(file));
        assert_eq!(v["valid"], false);
        assert_eq!(v["law"], Value::Null);
        assert_eq!(v["message"], Value::Null);
        assert_eq!(rules(v), [rule], "{v}");
        assert_eq!(v["violations"][0]["path"], "/");
    }

    let out = ketenpoort(&["validate", s(&truncated)]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], format!("{}: invalid", s(&truncated)));
    assert!(
        lines[1].starts_with("  XML /: not well-formed XML"),
        "{text}"
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_with_brs06() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge.xml");
    let file = std::fs::File::create(&path).expect("create");
    // Sparse: 30 MiB of zeros without writing them.
    file.set_len(30 * 1024 * 1024).expect("set_len");
    drop(file);

    let out = ketenpoort(&["validate", "--json", s(&path)]);
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out, 1)[0];
    assert_eq!(rules(v), ["BRS06"]);
    let message = v["violations"][0]["message"].as_str().expect("message");
    assert!(
        message.contains(&(30 * 1024 * 1024).to_string()),
        "{message}"
    );
}

#[test]
fn a_missing_file_exits_2_and_the_other_files_are_still_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ok = write(dir.path(), "ok.xml", valid_xml(JW315, 5));
    let bad = write(
        dir.path(),
        "bad.xml",
        with_text(&valid_xml(JW315, 5), "BerichtCode", "999"),
    );
    let missing = dir.path().join("missing.xml");

    let out = ketenpoort(&["validate", "--json", s(&ok), s(&missing), s(&bad)]);
    assert_eq!(code(&out), 2);
    let lines = json_lines(&out, 3);
    assert_eq!(lines[0]["file"], s(&ok));
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[1]["file"], s(&missing));
    assert_eq!(lines[1]["valid"], false);
    assert_eq!(lines[1]["law"], Value::Null);
    assert_eq!(lines[1]["message"], Value::Null);
    assert_eq!(rules(&lines[1]), ["IO"]);
    assert_eq!(lines[2]["file"], s(&bad));
    assert_eq!(rules(&lines[2]), ["RS047"]);

    let out = ketenpoort(&["validate", s(&missing), s(&ok)]);
    assert_eq!(code(&out), 2);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{}: unreadable\n  IO /: ", s(&missing))),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}: valid (JW315)\n", s(&ok))),
        "{text}"
    );

    // A directory cannot be read as a message either.
    let out = ketenpoort(&["validate", s(dir.path())]);
    assert_eq!(code(&out), 2);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["validate"][..],
        &["validate", "--json"][..],
        &["validate", "--no-such-flag", "x.xml"][..],
        &["no-such-command"][..],
        &["serve", "--config"][..],
    ] {
        let out = ketenpoort(args);
        assert_eq!(code(&out), 2, "ketenpoort {args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "ketenpoort {args:?}");
    }
    assert_eq!(code(&ketenpoort(&["--help"])), 0);
    assert_eq!(code(&ketenpoort(&["validate", "--help"])), 0);
}

/// The README's sample (`--example sample -- KIND full`, [`generate::sample`]) is a message
/// `ketenpoort validate` accepts, for every kind and shape, and a realistic one: plain ASCII
/// text (no emoji, CJK or markup characters) and no date after today.
#[test]
fn the_documented_sample_is_valid_and_realistic() {
    use ketenpoort_messages::generate::sample;
    let dir = tempfile::tempdir().expect("temp dir");
    let today = chrono::Utc::now().date_naive();
    let mut files = Vec::new();
    for law in [Law::Ijw, Law::Iwmo] {
        for t in MessageType::ALL {
            let kind = MessageKind::new(law, t);
            for (shape, name) in [
                (Shape::Full, "full"),
                (Shape::Minimal, "minimal"),
                (Shape::Random, "random"),
            ] {
                for seed in [1, 2, 3] {
                    let xml = sample(kind, shape, seed)
                        .to_xml()
                        .unwrap_or_else(|e| panic!("{kind} {name} {seed}: {e}"));
                    let odd: Vec<char> = xml
                        .chars()
                        .filter(|&c| !(c.is_ascii() && (!c.is_control() || c == '\n' || c == '\r')))
                        .collect();
                    assert!(
                        odd.is_empty(),
                        "{kind} {name} {seed}: plain text only: {odd:?}"
                    );
                    for date in birth_and_message_dates(&xml) {
                        assert!(
                            date <= today,
                            "{kind} {name} {seed}: {date} is in the future"
                        );
                    }
                    files.push(write(dir.path(), &format!("{kind}-{name}-{seed}.xml"), xml));
                }
            }
        }
    }
    let mut args = vec!["validate"];
    args.extend(files.iter().map(|f| s(f)));
    let out = ketenpoort(&args);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

/// The birth dates (Geboortedatum/Datum) and message dates (Dagtekening) in `xml`.
fn birth_and_message_dates(xml: &str) -> Vec<chrono::NaiveDate> {
    let text_after = |at: usize, open: &str| -> Option<chrono::NaiveDate> {
        let start = at + xml[at..].find(open)? + open.len();
        let end = start + xml[start..].find('<')?;
        chrono::NaiveDate::parse_from_str(&xml[start..end], "%Y-%m-%d").ok()
    };
    let mut found = Vec::new();
    for (at, _) in xml.match_indices("Geboortedatum>") {
        found.extend(text_after(at, "Datum>"));
    }
    for (at, _) in xml.match_indices(":Dagtekening>") {
        found.extend(text_after(at, "Dagtekening>"));
    }
    found
}
