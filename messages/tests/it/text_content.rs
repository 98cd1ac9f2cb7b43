//! Leaf text is read exactly as XML defines it: white space kept (xs:string preserves it),
//! references and CDATA joined, line ends normalised — although the reader skips white space
//! between elements without events.

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Content, Message, MessageKind};

fn claim_xml() -> (Message, String) {
    let kind = MessageKind::parse("JW323").unwrap_or_else(|| unreachable!());
    let message = Message::generate(kind, &mut Gen::new(9, Shape::Minimal));
    let xml = message.to_xml().expect("valid");
    (message, xml)
}

fn reference_number(m: &Message) -> String {
    let Content::Declaration(h) = &m.content else {
        panic!("not a 323")
    };
    h.body.clienten[0].prestaties[0]
        .product_referentie
        .referentie_nummer
        .0
        .clone()
}

fn with_reference(xml: &str, raw: &str) -> Message {
    let open = "<ijw:ReferentieNummer>";
    let start = xml.find(open).expect("has a ReferentieNummer") + open.len();
    let end = start
        + xml[start..]
            .find("</ijw:ReferentieNummer>")
            .expect("closed");
    let changed = format!("{}{raw}{}", &xml[..start], &xml[end..]);
    Message::from_xml(changed.as_bytes()).unwrap_or_else(|e| panic!("{raw:?}: {e}"))
}

#[test]
fn white_space_in_a_value_is_kept() {
    let (_, xml) = claim_xml();
    // LDT_ReferentieNummer has no pattern: white space only is a valid value.
    assert_eq!(reference_number(&with_reference(&xml, "   ")), "   ");
    assert_eq!(
        reference_number(&with_reference(&xml, "  a b  ")),
        "  a b  "
    );
    assert_eq!(reference_number(&with_reference(&xml, "\t x")), "\t x");
}

#[test]
fn references_cdata_and_comments_join_without_losing_space() {
    let (_, xml) = claim_xml();
    assert_eq!(
        reference_number(&with_reference(&xml, "a&amp; b &lt; c")),
        "a& b < c"
    );
    assert_eq!(reference_number(&with_reference(&xml, " &#65; ")), " A ");
    assert_eq!(
        reference_number(&with_reference(&xml, "x<![CDATA[ <y> ]]> z")),
        "x <y>  z"
    );
    assert_eq!(
        reference_number(&with_reference(&xml, "p <!-- c --> q")),
        "p  q"
    );
}

#[test]
fn line_ends_are_normalised() {
    let (_, xml) = claim_xml();
    assert_eq!(
        reference_number(&with_reference(&xml, "a\r\nb\rc")),
        "a\nb\nc"
    );
    assert_eq!(reference_number(&with_reference(&xml, "\r\n")), "\n");
}

#[test]
fn a_value_without_white_space_reads_back_unchanged() {
    let (message, xml) = claim_xml();
    let back = Message::from_xml(xml.as_bytes()).expect("valid");
    assert_eq!(back, message);
}
