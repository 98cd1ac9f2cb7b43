//! The differential corpus of issue 13: ketenpoort's reader and `xmllint --noout --schema`
//! with the official 3.2 XSDs give the same valid/invalid verdict on crafted documents.
//!
//! Every message kind with an XSD gets generated messages (the `generate` feature) and, on
//! each, the hand-made classes below: what xmllint refuses as not well-formed or not
//! namespace-well-formed (NUL in a comment or an `xmlns` value, `\x01` in
//! `xsi:schemaLocation`, `--` in a comment, a `<?XmL?>` PI, two XML declarations,
//! `standalone="maybe"`, `<` in an attribute value, white space or a comment before `<?xml`,
//! `]]>` in text, a `schemaLocation` in a foreign namespace or with an undeclared prefix, two
//! byte-order marks, …) next to the harmless variants xmllint accepts (a PI, `standalone`,
//! references in attribute values, `xsi:schemaLocation`, `xsi:type` naming the element's own
//! type, one byte-order mark, …). The test prints how many documents it compared.

use crate::common;

use std::path::PathBuf;

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Message, MessageKind, ReadLimits, read};

const XSI: &str = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

/// One crafted variant: a name and what it does to a message (`None`: does not apply).
type Variant = (&'static str, fn(&Doc) -> Option<Vec<u8>>);

/// A generated message and the places variants work on.
struct Doc {
    xml: String,
    /// The message prefix, e.g. `jw315`.
    p: String,
}

impl Doc {
    /// Inserts `s` on its own line after the `Header` start tag.
    fn in_header(&self, s: &str) -> Option<Vec<u8>> {
        let tag = format!("<{}:Header>", self.p);
        Some(
            self.xml
                .replacen(&tag, &format!("{tag}\r\n{s}"), 1)
                .into_bytes(),
        )
    }
    /// Adds attributes to the root element.
    fn on_root(&self, attrs: &str) -> Option<Vec<u8>> {
        let tag = format!("<{}:Bericht ", self.p);
        Some(
            self.xml
                .replacen(&tag, &format!("{tag}{attrs} "), 1)
                .into_bytes(),
        )
    }
    /// Adds attributes to the `Header` element.
    fn on_header(&self, attrs: &str) -> Option<Vec<u8>> {
        let tag = format!("<{}:Header>", self.p);
        let with = format!("<{}:Header {attrs}>", self.p);
        Some(self.xml.replacen(&tag, &with, 1).into_bytes())
    }
    /// Replaces the XML declaration (the first line).
    fn declaration(&self, decl: &str) -> Option<Vec<u8>> {
        let end = self.xml.find("?>")? + 2;
        Some(format!("{decl}{}", &self.xml[end..]).into_bytes())
    }
    /// Prepends `s` to the whole document.
    fn before(&self, s: &str) -> Option<Vec<u8>> {
        Some(format!("{s}{}", self.xml).into_bytes())
    }
    /// Appends `s` after the root element.
    fn after(&self, s: &str) -> Option<Vec<u8>> {
        Some(format!("{}{s}", self.xml).into_bytes())
    }
    /// Replaces the text of the `Identificatie` in the header (an LDT_IdentificatieBericht:
    /// 1–12 characters, one line) with `text`.
    fn identificatie(&self, text: &str) -> Option<Vec<u8>> {
        let open = "<ijw:Identificatie>";
        let open = if self.xml.contains(open) {
            open.to_owned()
        } else {
            "<iwmo:Identificatie>".to_owned()
        };
        let close = open.replacen('<', "</", 1);
        let start = self.xml.find(&open)? + open.len();
        let end = start + self.xml[start..].find(&close)?;
        Some(format!("{}{text}{}", &self.xml[..start], &self.xml[end..]).into_bytes())
    }
    /// Puts an `xsi:type` on the first `Geslacht` element (LDT_Geslacht).
    fn geslacht_type(&self, t: &str) -> Option<Vec<u8>> {
        let tag = format!("<{}:Geslacht>", self.p);
        if !self.xml.contains(&tag) {
            return None;
        }
        let typed = format!("<{}:Geslacht xsi:type=\"{t}\">", self.p);
        let root = format!("<{}:Bericht ", self.p);
        Some(
            self.xml
                .replacen(&root, &format!("{root}{XSI} "), 1)
                .replacen(&tag, &typed, 1)
                .into_bytes(),
        )
    }
    /// The law's basisschema prefix (`ijw` or `iwmo`).
    fn basis(&self) -> &'static str {
        if self.xml.contains("xmlns:ijw=") {
            "ijw"
        } else {
            "iwmo"
        }
    }
}

const VARIANTS: &[Variant] = &[
    ("unchanged", |d| Some(d.xml.clone().into_bytes())),
    // Comments and processing instructions.
    ("NUL in a comment", |d| d.in_header("<!-- a\0b -->")),
    ("\\x01 in a comment", |d| d.in_header("<!-- a\x01b -->")),
    ("-- in a comment", |d| d.in_header("<!-- a -- b -->")),
    ("comment ending in --->", |d| d.in_header("<!-- a --->")),
    ("a plain comment", |d| {
        d.in_header("<!-- opmerking é 😀 -->")
    }),
    ("<?XmL?> PI", |d| d.in_header("<?XmL version=\"1.0\"?>")),
    ("<?xml ?> inside", |d| {
        d.in_header("<?xml version=\"1.0\"?>")
    }),
    ("a plain PI", |d| d.in_header("<?verwerking opdracht?>")),
    ("a PI with a colon in its target", |d| {
        d.in_header("<?a:b c?>")
    }),
    ("NUL in a PI", |d| d.in_header("<?verwerking a\0b?>")),
    ("a PI after the root", |d| {
        d.after("\r\n<?verwerking klaar?>")
    }),
    ("a comment after the root", |d| {
        d.after("\r\n<!-- einde -->")
    }),
    ("NUL in a comment after the root", |d| {
        d.after("<!-- \0 -->")
    }),
    ("text after the root", |d| d.after("tekst")),
    ("a second root", |d| d.after("<a/>")),
    // The XML declaration.
    ("two XML declarations", |d| {
        d.declaration("<?xml version=\"1.0\" encoding=\"UTF-8\"?><?xml version=\"1.0\"?>")
    }),
    ("standalone=\"maybe\"", |d| {
        d.declaration("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"maybe\"?>")
    }),
    ("standalone=\"yes\"", |d| {
        d.declaration("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>")
    }),
    ("standalone before encoding", |d| {
        d.declaration("<?xml version=\"1.0\" standalone=\"no\" encoding=\"UTF-8\"?>")
    }),
    ("no version", |d| {
        d.declaration("<?xml encoding=\"UTF-8\"?>")
    }),
    ("single quotes and lower-case encoding", |d| {
        d.declaration("<?xml version='1.0' encoding='utf-8' ?>")
    }),
    ("no declaration", |d| d.declaration("")),
    ("no declaration, a comment first", |d| {
        d.declaration("<!-- begin -->")
    }),
    ("white space before <?xml", |d| d.before(" ")),
    ("a line end before <?xml", |d| d.before("\r\n")),
    ("a comment before <?xml", |d| d.before("<!-- c -->")),
    ("one byte-order mark", |d| {
        Some([b"\xEF\xBB\xBF".as_slice(), d.xml.as_bytes()].concat())
    }),
    ("two byte-order marks", |d| {
        Some([b"\xEF\xBB\xBF\xEF\xBB\xBF".as_slice(), d.xml.as_bytes()].concat())
    }),
    ("CDATA before the root", |d| {
        d.declaration("<?xml version=\"1.0\" encoding=\"UTF-8\"?><![CDATA[x]]>")
    }),
    // Attributes and namespace declarations.
    ("NUL in an xmlns value", |d| {
        d.on_root("xmlns:x=\"urn:a\0b\"")
    }),
    ("< in an attribute value", |d| {
        d.on_root("xmlns:x=\"urn:a<b\"")
    }),
    ("> in an attribute value", |d| {
        d.on_root("xmlns:x=\"urn:a>b\"")
    }),
    ("a reference in an xmlns value", |d| {
        d.on_root("xmlns:x=\"urn:a&amp;b&#x41;\"")
    }),
    ("an undeclared entity in an attribute", |d| {
        d.on_root("xmlns:x=\"urn:a&b;\"")
    }),
    ("a bare & in an attribute", |d| {
        d.on_root("xmlns:x=\"urn:a&b\"")
    }),
    ("an empty prefix declaration", |d| d.on_root("xmlns:x=\"\"")),
    ("the xml prefix declared right", |d| {
        d.on_root("xmlns:xml=\"http://www.w3.org/XML/1998/namespace\"")
    }),
    ("the xml prefix bound elsewhere", |d| {
        d.on_root("xmlns:xml=\"urn:x\"")
    }),
    ("the xmlns prefix declared", |d| {
        d.on_root("xmlns:xmlns=\"urn:x\"")
    }),
    ("a duplicate declaration", |d| {
        d.on_root("xmlns:x=\"urn:x\" xmlns:x=\"urn:x\"")
    }),
    ("an undeclared default namespace on Header", |d| {
        d.on_header("xmlns=\"\"")
    }),
    ("an unquoted attribute", |d| d.on_root("xmlns:x=urn:x")),
    ("\\x01 in xsi:schemaLocation", |d| {
        d.on_root(&format!("{XSI} xsi:schemaLocation=\"urn:a \x01b\""))
    }),
    ("xsi:schemaLocation", |d| {
        d.on_root(&format!("{XSI} xsi:schemaLocation=\"urn:a b.xsd\""))
    }),
    ("xsi:noNamespaceSchemaLocation", |d| {
        d.on_root(&format!("{XSI} xsi:noNamespaceSchemaLocation=\"b.xsd\""))
    }),
    ("xsi:schemaLocation on Header", |d| {
        d.on_header(&format!("{XSI} xsi:schemaLocation=\"urn:a b.xsd\""))
    }),
    ("schemaLocation in a foreign namespace", |d| {
        d.on_root("xmlns:q=\"urn:q\" q:schemaLocation=\"urn:a b\"")
    }),
    ("schemaLocation with an undeclared prefix", |d| {
        d.on_root("q:schemaLocation=\"urn:a b\"")
    }),
    ("schemaLocation without a namespace", |d| {
        d.on_root("schemaLocation=\"urn:a b\"")
    }),
    ("xsi:nil", |d| {
        d.on_header(&format!("{XSI} xsi:nil=\"false\""))
    }),
    ("xml:lang", |d| d.on_header("xml:lang=\"nl\"")),
    ("an unknown attribute", |d| d.on_header("soort=\"1\"")),
    // xsi:type on an element of a codelist type.
    ("xsi:type naming the element's own type", |d| {
        let t = format!("{}:LDT_Geslacht", d.basis());
        d.geslacht_type(&t)
    }),
    ("xsi:type naming another type", |d| {
        let t = format!("{}:LDT_JaNee", d.basis());
        d.geslacht_type(&t)
    }),
    ("xsi:type in the wrong namespace", |d| {
        let t = format!("{}:LDT_Geslacht", d.p);
        d.geslacht_type(&t)
    }),
    ("xsi:type with an undeclared prefix", |d| {
        d.geslacht_type("q:LDT_Geslacht")
    }),
    ("xsi:type with white space around", |d| {
        let t = format!(" {}:LDT_Geslacht ", d.basis());
        d.geslacht_type(&t)
    }),
    // Text.
    ("]]> in text", |d| d.identificatie("a]]>b")),
    ("]]&gt; in text", |d| d.identificatie("a]]&gt;b")),
    ("]] in text", |d| d.identificatie("a]]b")),
    ("an unescaped & in text", |d| d.identificatie("Jansen&Bak")),
    ("an undeclared entity in text", |d| {
        d.identificatie("J&Bakker;")
    }),
    ("a stray tag in text", |d| d.identificatie("a<Bakker-1>b")),
    ("a stray end tag in text", |d| {
        d.identificatie("a</Bakker-1>b")
    }),
    ("&#0; in text", |d| d.identificatie("a&#0;b")),
    ("&#x1F600; in text", |d| d.identificatie("a&#x1F600;b")),
    ("&#xFFFE; in text", |d| d.identificatie("a&#xFFFE;b")),
    ("a raw U+FFFF in text", |d| d.identificatie("a\u{FFFF}b")),
    ("a raw \\x01 in text", |d| d.identificatie("a\x01b")),
    ("CDATA in text", |d| d.identificatie("<![CDATA[a<&b]]>")),
    ("a comment in text", |d| d.identificatie("a<!-- c -->b")),
    ("a PI in text", |d| d.identificatie("a<?p x?>b")),
    ("-- in a comment in text", |d| {
        d.identificatie("a<!-- c -- d -->b")
    }),
];

#[test]
fn crafted_documents_get_xmllints_verdict() {
    let Some(standards) = common::standards_dir("crafted_documents_get_xmllints_verdict") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut compared = 0usize;
    let mut invalid = 0usize;
    let mut per_variant = vec![0usize; VARIANTS.len()];
    let mut mismatches = Vec::new();
    for kind in MessageKind::all() {
        let Some(xsd) = common::xsd(&standards, kind) else {
            continue;
        };
        let mut g = Gen::new(u64::from(kind.bericht_code()) * 31 + 7, Shape::Random);
        let mut files: Vec<(PathBuf, bool, usize)> = Vec::new();
        for (b, shape) in [Shape::Full, Shape::Random].into_iter().enumerate() {
            g.shape = shape;
            let doc = Doc {
                xml: Message::generate(kind, &mut g)
                    .to_xml()
                    .expect("generated message is valid"),
                p: kind.prefix(),
            };
            for (v, (_, variant)) in VARIANTS.iter().enumerate() {
                let Some(bytes) = variant(&doc) else {
                    continue;
                };
                let ours = read(&bytes, ReadLimits::default()).is_ok();
                let path = dir.path().join(format!("{}-{b}-{v:02}.xml", kind.code()));
                std::fs::write(&path, &bytes).expect("write case");
                files.push((path, ours, v));
            }
        }
        let paths: Vec<PathBuf> = files.iter().map(|f| f.0.clone()).collect();
        let theirs = common::xmllint_verdicts(&xsd, &paths);
        for ((path, ours, v), theirs) in files.into_iter().zip(theirs) {
            compared += 1;
            per_variant[v] += 1;
            if !theirs {
                invalid += 1;
            }
            if ours != theirs {
                let bytes = std::fs::read(&path).unwrap_or_default();
                let why = read(&bytes, ReadLimits::default())
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                mismatches.push(format!(
                    "{} ({}): ketenpoort says {}, xmllint says {}; ketenpoort: {why}",
                    path.display(),
                    VARIANTS[v].0,
                    if ours { "valid" } else { "invalid" },
                    if theirs { "valid" } else { "invalid" },
                ));
            }
        }
    }
    println!(
        "compared {compared} crafted documents with xmllint ({invalid} invalid, {} valid) in {} classes; {} disagreements",
        compared - invalid,
        VARIANTS.len(),
        mismatches.len()
    );
    if !mismatches.is_empty() {
        let kept = dir.keep();
        panic!(
            "{} of {compared} verdicts differ from xmllint (files kept in {}):\n{}",
            mismatches.len(),
            kept.display(),
            mismatches
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert!(compared >= 500, "too few documents compared: {compared}");
    assert!(
        per_variant.iter().all(|&n| n > 0),
        "every class must be compared at least once: {per_variant:?}"
    );
    assert!(
        invalid > compared / 3 && invalid < compared * 9 / 10,
        "the corpus must mix valid and invalid documents: {invalid} of {compared}"
    );
}
