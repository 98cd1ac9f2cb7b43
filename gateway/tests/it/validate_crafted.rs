//! `ketenpoort validate` on the crafted input of issue 13: the report stays small (the first
//! violations and a count of the rest), peak memory stays within 4× the input plus a fixed
//! base, and errors never quote text from the message.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{MAX_VIOLATIONS, Message, MessageKind};
use serde_json::Value;

fn valid_xml(code: &str, seed: u64) -> String {
    let kind = MessageKind::parse(code).expect("known kind");
    Message::generate(kind, &mut Gen::new(seed, Shape::Minimal))
        .to_xml()
        .expect("generated message is valid")
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write test file");
    path
}

fn validate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
        .arg("validate")
        .args(args)
        .output()
        .expect("run ketenpoort validate")
}

/// The two 24 MB inputs: millions of `<a/>` in `<jw315:Client>`, and millions of
/// unknown attributes on it.
fn crafted_24mb(dir: &Path) -> Vec<PathBuf> {
    let base = valid_xml("JW315", 1);
    let elements = base.replacen(
        "<jw315:Client>",
        &format!("<jw315:Client>{}", "<a/>".repeat(6_000_000)),
        1,
    );
    let mut attributes = String::with_capacity(24_000_000);
    for i in 0..2_000_000 {
        attributes.push_str(&format!(" a{i:07}=\"\""));
    }
    let attributes = base.replacen("<jw315:Client>", &format!("<jw315:Client{attributes}>"), 1);
    vec![
        write(dir, "elements.xml", elements),
        write(dir, "attributes.xml", attributes),
    ]
}

/// Peak RSS in bytes of `ketenpoort validate FILE`, from GNU time's `%M` (KiB); `None` when
/// `/usr/bin/time` is not installed (Debian package `time`).
/// With `json`, the output must be one JSON report that keeps [`MAX_VIOLATIONS`] violations
/// and counts millions more.
fn peak_rss(file: &Path, json: bool) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.is_file() {
        return None;
    }
    let out = Command::new(time)
        .args([
            "-f",
            "peak-kib=%M",
            env!("CARGO_BIN_EXE_ketenpoort"),
            "validate",
            "--json",
        ])
        .arg(file)
        .output()
        .expect("run /usr/bin/time");
    assert_eq!(out.status.code(), Some(1), "the crafted file is invalid");
    if json {
        let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
        assert_eq!(
            v["violations"].as_array().map(Vec::len),
            Some(MAX_VIOLATIONS)
        );
        let omitted = v["omitted"].as_u64().expect("a count of the rest");
        assert!(MAX_VIOLATIONS as u64 + omitted >= 2_000_000, "{omitted}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kib: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {stderr}"));
    Some(kib * 1024)
}

#[test]
fn crafted_24mb_inputs_get_a_small_report_and_bounded_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let small = write(
        dir.path(),
        "small.xml",
        valid_xml("JW315", 2).replacen("<jw315:Client>", "<jw315:Client><a/>", 1),
    );
    let base = peak_rss(&small, false);
    for file in crafted_24mb(dir.path()) {
        let size = std::fs::metadata(&file).expect("size").len();
        assert!(size > 20_000_000 && size < 25 * 1024 * 1024, "{size}");
        // One run of the whole command (JSON output) gives the report and the peak.
        let Some(base) = base else {
            eprintln!("peak RSS not measured: /usr/bin/time is missing (Debian package `time`)");
            return;
        };
        let peak = peak_rss(&file, true).expect("measured once, measured again");
        println!(
            "{}: {size} bytes, peak RSS {} KiB (base {} KiB): {:.2}x the input above the base",
            file.display(),
            peak / 1024,
            base / 1024,
            (peak.saturating_sub(base)) as f64 / size as f64
        );
        assert!(
            peak <= 4 * size + base,
            "peak RSS {peak} bytes for a {size}-byte input (base {base})"
        );
    }
}

#[test]
fn a_report_shows_the_first_violations_and_counts_the_rest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let xml = valid_xml("JW315", 4).replacen(
        "<jw315:Client>",
        &format!("<jw315:Client>{}", "<a/>".repeat(50_000)),
        1,
    );
    let file = write(dir.path(), "many.xml", xml);
    let out = validate(&[file.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    // A verdict line, the kept violations, one line with the count of the rest.
    assert_eq!(lines.len(), 1 + MAX_VIOLATIONS + 1, "{}", lines[0]);
    let last = lines[lines.len() - 1];
    let more: usize = last
        .trim()
        .strip_prefix("… and ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of the rest: {last}"));
    assert!(MAX_VIOLATIONS + more >= 50_000, "{last}");

    let out = validate(&["--json", file.to_str().expect("utf-8 path")]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(
        v["violations"].as_array().map(Vec::len),
        Some(MAX_VIOLATIONS)
    );
    assert_eq!(v["omitted"].as_u64(), Some(more as u64));
}

#[test]
fn errors_never_quote_the_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = valid_xml("JW315", 3);
    let start = base.find("<jw315:Bsn>").expect("Bsn") + "<jw315:Bsn>".len();
    let end = start + base[start..].find('<').expect("closed");
    let cases = [
        "Moeder Jansen&Bakker bsn 123456782; zie dossier",
        "Moeder <Bakker-123456782> zie dossier",
    ];
    for (i, case) in cases.iter().enumerate() {
        let xml = format!("{}{case}{}", &base[..start], &base[end..]);
        let file = write(dir.path(), &format!("leak{i}.xml"), xml);
        for json in [false, true] {
            let mut args = vec![];
            if json {
                args.push("--json");
            }
            args.push(file.to_str().expect("utf-8 path"));
            let out = validate(&args);
            assert_eq!(out.status.code(), Some(1));
            let shown = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(shown.contains("XML"), "{shown}");
            assert!(shown.contains("not well-formed XML at byte"), "{shown}");
            for secret in ["Bakker", "123456782"] {
                assert!(
                    !shown.contains(secret),
                    "{case}: '{secret}' leaked: {shown}"
                );
            }
        }
    }
}
