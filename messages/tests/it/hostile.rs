//! Hostile and foreign input: the reader refuses it with a clear error and never panics.

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Error, Message, MessageKind, ReadLimits, XmlProblem, read};
use proptest::prelude::*;

fn kind(code: &str) -> MessageKind {
    MessageKind::parse(code).unwrap_or_else(|| panic!("unknown kind {code}"))
}

fn valid(code: &str, seed: u64) -> String {
    Message::generate(kind(code), &mut Gen::new(seed, Shape::Random))
        .to_xml()
        .expect("generated message is valid")
}

#[test]
fn entity_expansion_is_refused_before_expansion() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<jw315:Bericht xmlns:jw315="http://www.istandaarden.nl/ijw/3_2/jw315/schema">&lol3;</jw315:Bericht>"#;
    assert_eq!(
        read(laughs.as_bytes(), ReadLimits::default()),
        Err(Error::DoctypeNotAllowed)
    );
    let xxe =
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>"#;
    assert_eq!(
        read(xxe.as_bytes(), ReadLimits::default()),
        Err(Error::DoctypeNotAllowed)
    );
}

#[test]
fn undeclared_entities_are_not_well_formed() {
    let xml = valid("JW315", 1).replacen("<ijw:Identificatie>", "<ijw:Identificatie>&geheim;", 1);
    assert!(matches!(
        read(xml.as_bytes(), ReadLimits::default()),
        Err(Error::NotWellFormed { .. })
    ));
}

#[test]
fn oversized_input_is_refused_without_parsing() {
    let huge = vec![b' '; 100 * 1024 * 1024];
    match read(&huge, ReadLimits::default()) {
        Err(Error::TooLarge { size, limit }) => {
            assert_eq!(size, 100 * 1024 * 1024);
            assert_eq!(limit, 25 * 1024 * 1024);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn deep_nesting_is_refused() {
    let xml = valid("JW323", 2);
    let deep = format!(
        "{}{}",
        "<jw323:X>".repeat(10_000),
        "</jw323:X>".repeat(10_000)
    );
    let hostile = xml.replacen("<jw323:Clienten>", &format!("{deep}<jw323:Clienten>"), 1);
    assert_eq!(
        read(hostile.as_bytes(), ReadLimits::default()),
        Err(Error::TooDeep { limit: 32 })
    );
}

#[test]
fn other_releases_and_look_alikes_are_named() {
    let v2 = valid("WMO301", 3).replace("/iwmo/3_2/", "/iwmo/2_4/");
    match read(v2.as_bytes(), ReadLimits::default()) {
        Err(Error::UnknownMessage { found, hint }) => {
            assert!(found.contains("iwmo/2_4/wmo301"), "{found}");
            assert!(hint.contains("another release"), "{hint}");
        }
        other => panic!("expected UnknownMessage, got {other:?}"),
    }
    let bare = "<Bericht><Header><BerichtCode>446</BerichtCode></Header></Bericht>";
    match read(bare.as_bytes(), ReadLimits::default()) {
        Err(Error::UnknownMessage { hint, .. }) => assert!(hint.contains("no namespace"), "{hint}"),
        other => panic!("expected UnknownMessage, got {other:?}"),
    }
    let wrong_root = valid("JW301", 4).replace("jw301:Bericht", "jw301:Toewijzing");
    match read(wrong_root.as_bytes(), ReadLimits::default()) {
        Err(Error::UnknownMessage { hint, .. }) => assert!(hint.contains("'Bericht'"), "{hint}"),
        other => panic!("expected UnknownMessage, got {other:?}"),
    }
}

#[test]
fn encodings_other_than_utf8_are_refused() {
    let mut latin1 = valid("JW305", 5).into_bytes();
    latin1.extend_from_slice(b"\xE9");
    assert!(matches!(
        read(&latin1, ReadLimits::default()),
        Err(Error::NotWellFormed { .. })
    ));
    let declared = valid("JW305", 5).replacen("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"", 1);
    match read(declared.as_bytes(), ReadLimits::default()) {
        Err(Error::NotWellFormed { problem, .. }) => {
            assert_eq!(problem, XmlProblem::EncodingNotUtf8)
        }
        other => panic!("expected an encoding error, got {other:?}"),
    }
}

#[test]
fn a_byte_order_mark_is_tolerated_on_input() {
    let xml = valid("JW319", 6);
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), xml.as_bytes()].concat();
    assert!(read(&with_bom, ReadLimits::default()).is_ok());
}

#[test]
fn violations_name_rule_path_and_never_quote_personal_data() {
    // A 315 with an impossible date, a name that is too long and a BSN of 8 digits.
    let name = "Jansen-Geheimnaam".repeat(13);
    let xml = valid("JW315", 7);
    let mut xml = replace_leaf(&xml, "ijw:Achternaam", &name);
    xml = replace_leaf(&xml, "jw315:Bsn", "12345678");
    xml = replace_leaf(&xml, "ijw:Datum", "2027-06-31");
    let err = read(xml.as_bytes(), ReadLimits::default()).expect_err("invalid");
    let v = err.violations();
    let find = |rule: &str| {
        v.iter()
            .find(|x| x.rule == rule)
            .unwrap_or_else(|| panic!("no {rule} in {v:?}"))
    };
    assert_eq!(
        find("RS028").path,
        "/Bericht/Client/Naam/Geslachtsnaam/Achternaam"
    );
    assert_eq!(find("RS037").path, "/Bericht/Client/Bsn");
    assert_eq!(find("XSD-date").path, "/Bericht/Client/Geboortedatum/Datum");
    let text = format!("{err} {v:?}");
    assert!(
        !text.contains("Geheimnaam") && !text.contains("12345678"),
        "personal data leaked: {text}"
    );
}

#[test]
fn the_writer_refuses_an_invalid_model() {
    use ketenpoort_messages::Content;
    let mut message = Message::generate(kind("JW323"), &mut Gen::new(8, Shape::Minimal));
    let Content::Declaration(heen) = &mut message.content else {
        panic!("not a 323")
    };
    heen.body.clienten.clear();
    match message.to_xml() {
        Err(Error::Invalid { violations, .. }) => {
            assert!(
                violations
                    .iter()
                    .any(|v| v.rule == "XSD-required" && v.path == "/Bericht/Declaratie"),
                "{violations:?}"
            );
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn replace_leaf(xml: &str, tag: &str, value: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let Some(start) = xml.find(&open) else {
        panic!("no {tag}")
    };
    let end = start
        + xml[start..]
            .find(&close)
            .unwrap_or_else(|| panic!("no end of {tag}"));
    format!("{}{open}{value}{}", &xml[..start], &xml[end..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = read(&bytes, ReadLimits::default());
    }

    #[test]
    fn damaged_messages_never_panic(seed in any::<u64>(), cut in any::<prop::sample::Index>(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8)) {
        let code = ["JW301", "WMO302", "JW315", "JW323", "WMO325", "JW319"][(seed % 6) as usize];
        let mut bytes = valid(code, seed).into_bytes();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let end = cut.index(bytes.len() + 1);
        let _ = read(&bytes[..end], ReadLimits::default());
        let _ = read(&bytes, ReadLimits::default());
    }
}
