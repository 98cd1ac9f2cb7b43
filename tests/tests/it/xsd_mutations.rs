//! The negative oracle: mutated messages get the same verdict from ketenpoort's reader as
//! from `xmllint --noout --schema` with the official 3.2 XSDs.
//!
//! Each valid generated message is mutated in many ways (remove a required element, exceed a
//! length, break a pattern, an unknown code, an impossible date, a time zone, the wrong
//! namespace or BerichtCode, an unknown element or attribute, text where only elements may
//! be, and harmless variants such as comments, CDATA and character references that must stay
//! valid). For every case both verdicts must agree.

use crate::common;

use std::path::PathBuf;

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Message, MessageKind, ReadLimits, read};

const BASES_PER_KIND: usize = 10;

/// A line of a message in the OP192 form (one element per line).
enum Line<'a> {
    /// `<p:Name>text</p:Name>`
    Leaf { tag: &'a str, text: &'a str },
    /// `<p:Name>`
    Open { tag: &'a str },
    /// `</p:Name>` or anything else
    Other,
}

fn classify(line: &str) -> Line<'_> {
    if !line.starts_with('<') || line.starts_with("</") || line.starts_with("<?") {
        return Line::Other;
    }
    let Some(end) = line.find('>') else {
        return Line::Other;
    };
    let tag = &line[1..end];
    if tag.contains(' ') || tag.contains('/') {
        return Line::Other;
    }
    let rest = &line[end + 1..];
    if rest.is_empty() {
        return Line::Open { tag };
    }
    let close = format!("</{tag}>");
    match rest.strip_suffix(close.as_str()) {
        Some(text) if !text.contains('<') || text.starts_with("<![CDATA[") => {
            Line::Leaf { tag, text }
        }
        _ => Line::Other,
    }
}

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

fn leaf_indices(lines: &[String]) -> Vec<usize> {
    (0..lines.len())
        .filter(|&i| matches!(classify(&lines[i]), Line::Leaf { .. }))
        .collect()
}

fn with_leaf_text(
    lines: &[String],
    i: usize,
    f: impl Fn(&str, &str) -> String,
) -> Option<Vec<String>> {
    let Line::Leaf { tag, text } = classify(&lines[i]) else {
        return None;
    };
    let mut out = lines.to_vec();
    out[i] = format!("<{tag}>{}</{tag}>", f(tag, text));
    Some(out)
}

fn pick<'a>(rng: &mut Rng, v: &'a [usize]) -> Option<&'a usize> {
    if v.is_empty() {
        None
    } else {
        v.get(rng.below(v.len()))
    }
}

const OPS: usize = 27;

/// Applies mutation `op` to the message lines; `None` when it does not apply.
fn mutate(op: usize, lines: &[String], kind: MessageKind, rng: &mut Rng) -> Option<Vec<String>> {
    let leaves = leaf_indices(lines);
    let leaf = |rng: &mut Rng| pick(rng, &leaves).copied();
    let digits_only = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let is_date = |t: &str| t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-';
    match op {
        // Remove one leaf element.
        0 => {
            let i = leaf(rng)?;
            let mut out = lines.to_vec();
            out.remove(i);
            Some(out)
        }
        // Remove a whole complex element.
        1 => {
            let opens: Vec<usize> = (2..lines.len())
                .filter(|&i| matches!(classify(&lines[i]), Line::Open { .. }))
                .collect();
            let i = *pick(rng, &opens)?;
            let Line::Open { tag } = classify(&lines[i]) else {
                return None;
            };
            let close = format!("</{tag}>");
            let j = (i..lines.len()).find(|&j| lines[j] == close)?;
            let mut out = lines.to_vec();
            out.drain(i..=j);
            Some(out)
        }
        // Duplicate a leaf element.
        2 => {
            let i = leaf(rng)?;
            let mut out = lines.to_vec();
            out.insert(i, lines[i].clone());
            Some(out)
        }
        // Swap two adjacent leaf elements.
        3 => {
            let pairs: Vec<usize> = leaves
                .windows(2)
                .filter(|w| w[1] == w[0] + 1)
                .map(|w| w[0])
                .collect();
            let i = *pick(rng, &pairs)?;
            let mut out = lines.to_vec();
            out.swap(i, i + 1);
            Some(out)
        }
        // One character longer.
        4 => with_leaf_text(lines, leaf(rng)?, |_, t| format!("{t}x")),
        // Much longer.
        5 => with_leaf_text(lines, leaf(rng)?, |_, t| format!("{t}{}", "y".repeat(201))),
        // Break a digit pattern.
        6 => {
            let ds: Vec<usize> = leaves.iter().copied().filter(|&i| matches!(classify(&lines[i]), Line::Leaf { text, .. } if digits_only(text))).collect();
            with_leaf_text(lines, *pick(rng, &ds)?, |_, t| format!("A{}", &t[1..]))
        }
        // Unknown code.
        7 => with_leaf_text(lines, leaf(rng)?, |_, _| "ZZ".into()),
        // Impossible and possible dates.
        8..=10 => {
            let dates: Vec<usize> = leaves
                .iter()
                .copied()
                .filter(
                    |&i| matches!(classify(&lines[i]), Line::Leaf { text, .. } if is_date(text)),
                )
                .collect();
            let replacement = ["2027-06-31", "2023-02-29", "2024-02-29"][op - 8];
            with_leaf_text(lines, *pick(rng, &dates)?, |_, _| replacement.into())
        }
        // Date with a time zone.
        11 => {
            let dates: Vec<usize> = leaves
                .iter()
                .copied()
                .filter(
                    |&i| matches!(classify(&lines[i]), Line::Leaf { text, .. } if is_date(text)),
                )
                .collect();
            let zone = if rng.below(2) == 0 { "Z" } else { "+01:00" };
            with_leaf_text(lines, *pick(rng, &dates)?, |_, t| format!("{t}{zone}"))
        }
        // Another release's namespace.
        12 => {
            let mut out = lines.to_vec();
            out[1] = out[1].replacen(
                &format!("/3_2/{}/", kind.prefix()),
                &format!("/3_1/{}/", kind.prefix()),
                1,
            );
            Some(out)
        }
        // Wrong BerichtCode.
        13 => {
            let i = (0..lines.len()).find(|&i| lines[i].contains(":BerichtCode>"))?;
            let other = MessageKind::new(
                kind.law,
                ketenpoort_messages::MessageType::ALL[rng.below(14)],
            );
            with_leaf_text(lines, i, |_, _| other.bericht_code().to_string())
        }
        // Empty element, written both ways.
        14 => with_leaf_text(lines, leaf(rng)?, |_, _| String::new()),
        15 => {
            let i = leaf(rng)?;
            let Line::Leaf { tag, .. } = classify(&lines[i]) else {
                return None;
            };
            let mut out = lines.to_vec();
            out[i] = format!("<{tag}/>");
            Some(out)
        }
        // White space around the value.
        16 => with_leaf_text(lines, leaf(rng)?, |_, t| format!(" {t} ")),
        // Integer forms: leading zero or plus sign.
        17 => {
            let ds: Vec<usize> = leaves.iter().copied().filter(|&i| matches!(classify(&lines[i]), Line::Leaf { text, .. } if digits_only(text))).collect();
            let prefix = if rng.below(2) == 0 { "0" } else { "+" };
            with_leaf_text(lines, *pick(rng, &ds)?, |_, t| format!("{prefix}{t}"))
        }
        // An unknown element.
        18 => {
            let i = 3 + rng.below(lines.len().saturating_sub(5).max(1));
            let mut out = lines.to_vec();
            out.insert(
                i,
                format!("<{p}:Onbekend>1</{p}:Onbekend>", p = kind.prefix()),
            );
            Some(out)
        }
        // An attribute.
        19 => {
            let opens: Vec<usize> = (1..lines.len())
                .filter(|&i| !matches!(classify(&lines[i]), Line::Other))
                .collect();
            let i = *pick(rng, &opens)?;
            let end = lines[i].find('>')?;
            let mut out = lines.to_vec();
            out[i] = format!("{} soort=\"1\"{}", &lines[i][..end], &lines[i][end..]);
            Some(out)
        }
        // An element in the other namespace.
        20 => {
            let i = leaf(rng)?;
            let Line::Leaf { tag, text } = classify(&lines[i]) else {
                return None;
            };
            let (prefix, name) = tag.split_once(':')?;
            let other = if prefix == kind.prefix() {
                kind.law.as_str().to_owned()
            } else {
                kind.prefix()
            };
            let mut out = lines.to_vec();
            out[i] = format!("<{other}:{name}>{text}</{other}:{name}>");
            Some(out)
        }
        // Text where only elements may be.
        21 => {
            let i = 3 + rng.below(lines.len().saturating_sub(5).max(1));
            let mut out = lines.to_vec();
            out.insert(i, "tekst".into());
            Some(out)
        }
        // Harmless: comment, CDATA, character reference.
        22 => {
            let i = 3 + rng.below(lines.len().saturating_sub(5).max(1));
            let mut out = lines.to_vec();
            out.insert(i, "<!-- opmerking -->".into());
            let j = leaf_indices(&out).first().copied()?;
            with_leaf_text(&out, j, |_, t| {
                if t.contains("]]>") || t.contains('&') {
                    t.into()
                } else {
                    format!("<![CDATA[{t}]]>")
                }
            })
        }
        // A line feed inside a value: allowed only in free text.
        23 => with_leaf_text(lines, leaf(rng)?, |_, t| {
            let mut s = t.to_owned();
            s.insert_str(0, "a&#10;");
            s
        }),
        // Other prefixes for the same namespaces: still the same message.
        24 => {
            let p = kind.prefix();
            Some(
                lines
                    .iter()
                    .map(|l| {
                        l.replace(&format!("{p}:"), "m:")
                            .replace(&format!("xmlns:{p}="), "xmlns:m=")
                    })
                    .collect(),
            )
        }
        // The message namespace as default namespace, without prefix.
        25 => {
            let p = kind.prefix();
            Some(
                lines
                    .iter()
                    .map(|l| {
                        l.replace(&format!("<{p}:"), "<")
                            .replace(&format!("</{p}:"), "</")
                            .replace(&format!("xmlns:{p}="), "xmlns=")
                    })
                    .collect(),
            )
        }
        // A prefix redeclared on an inner element to another namespace.
        26 => {
            let opens: Vec<usize> = (2..lines.len())
                .filter(|&i| matches!(classify(&lines[i]), Line::Open { .. }))
                .collect();
            let i = *pick(rng, &opens)?;
            let law = kind.law.as_str();
            let mut out = lines.to_vec();
            out[i] = out[i].replacen('>', &format!(" xmlns:{law}=\"urn:anders\">"), 1);
            Some(out)
        }
        _ => None,
    }
}

#[test]
fn mutated_messages_get_xmllints_verdict() {
    let Some(standards) = common::standards_dir("mutated_messages_get_xmllints_verdict") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut compared = 0usize;
    let mut invalid = 0usize;
    let mut mismatches = Vec::new();
    let mut per_op = [0usize; OPS];
    for kind in MessageKind::all() {
        let Some(xsd) = common::xsd(&standards, kind) else {
            continue;
        };
        let mut rng = Rng(u64::from(kind.bericht_code()) * 7919 + 1);
        let mut g = Gen::new(u64::from(kind.bericht_code()), Shape::Random);
        let mut files: Vec<(PathBuf, bool, usize)> = Vec::new();
        for b in 0..BASES_PER_KIND {
            g.shape = [Shape::Full, Shape::Random, Shape::Minimal][b % 3];
            let xml = Message::generate(kind, &mut g)
                .to_xml()
                .expect("generated message is valid");
            let lines: Vec<String> = xml.split("\r\n").map(str::to_owned).collect();
            for op in 0..OPS {
                let Some(mutated) = mutate(op, &lines, kind, &mut rng) else {
                    continue;
                };
                let text = mutated.join("\r\n");
                let ours = read(text.as_bytes(), ReadLimits::default()).is_ok();
                let path = dir
                    .path()
                    .join(format!("{}-{b:02}-{op:02}.xml", kind.code()));
                std::fs::write(&path, text).expect("write case");
                files.push((path, ours, op));
            }
        }
        let paths: Vec<PathBuf> = files.iter().map(|f| f.0.clone()).collect();
        let theirs = common::xmllint_verdicts(&xsd, &paths);
        for ((path, ours, op), theirs) in files.into_iter().zip(theirs) {
            compared += 1;
            per_op[op] += 1;
            if !theirs {
                invalid += 1;
            }
            if ours != theirs {
                let xml = std::fs::read_to_string(&path).unwrap_or_default();
                let why = read(xml.as_bytes(), ReadLimits::default())
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                mismatches.push(format!(
                    "{} (mutation {op}): ketenpoort says {}, xmllint says {}; ketenpoort: {why}",
                    path.display(),
                    if ours { "valid" } else { "invalid" },
                    if theirs { "valid" } else { "invalid" },
                ));
            }
        }
    }
    println!(
        "compared {compared} mutated messages with xmllint ({invalid} invalid, {} valid); cases per mutation: {per_op:?}",
        compared - invalid
    );
    if !mismatches.is_empty() {
        let kept = dir.keep();
        panic!(
            "{} of {compared} verdicts differ from xmllint (files kept in {}):\n{}",
            mismatches.len(),
            kept.display(),
            mismatches
                .iter()
                .take(30)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert!(compared >= 3000, "too few cases compared: {compared}");
    assert!(
        invalid > compared / 3 && invalid < compared,
        "the corpus must mix valid and invalid cases"
    );
}
