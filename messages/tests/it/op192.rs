//! OP192: messages are written in UTF-8 without a byte-order mark, with CR/LF line ends and
//! every element on its own line.

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Message, MessageKind};

fn assert_op192(kind: MessageKind, xml: &str) {
    let bytes = xml.as_bytes();
    assert!(
        !bytes.starts_with(b"\xEF\xBB\xBF"),
        "{kind}: byte-order mark"
    );
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"),
        "{kind}: declaration"
    );
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            assert!(
                i > 0 && bytes[i - 1] == b'\r',
                "{kind}: bare LF at byte {i}"
            );
        }
        if *b == b'\r' {
            assert_eq!(
                bytes.get(i + 1),
                Some(&b'\n'),
                "{kind}: bare CR at byte {i}"
            );
        }
    }
    assert!(
        xml.ends_with("\r\n"),
        "{kind}: last line must end with CR/LF"
    );
    for line in xml.split("\r\n") {
        let starts = line.match_indices('<').filter(|(i, _)| {
            let next = line.as_bytes().get(i + 1);
            next != Some(&b'/') && next != Some(&b'?')
        });
        let starts: Vec<usize> = starts.map(|(i, _)| i).collect();
        assert!(
            starts.len() <= 1,
            "{kind}: more than one element starts on line {line:?}"
        );
        if let Some(&first) = starts.first() {
            assert_eq!(
                first, 0,
                "{kind}: element does not start its line: {line:?}"
            );
        }
    }
}

#[test]
fn every_written_message_has_the_op192_form() {
    let mut written = 0;
    for kind in MessageKind::all() {
        for (seed, shape) in [
            (1, Shape::Full),
            (2, Shape::Minimal),
            (3, Shape::Random),
            (4, Shape::Random),
        ] {
            let xml = Message::generate(kind, &mut Gen::new(seed, shape))
                .to_xml()
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_op192(kind, &xml);
            written += 1;
        }
    }
    assert_eq!(written, 28 * 4);
}

#[test]
fn line_ends_inside_text_become_crlf_and_read_back_as_lf() {
    use ketenpoort_messages::Content;
    use ketenpoort_messages::types::Commentaar;
    let mut message = Message::generate(
        MessageKind::parse("JW315").unwrap_or_else(|| unreachable!()),
        &mut Gen::new(5, Shape::Minimal),
    );
    let Content::RequestForAllocation(heen) = &mut message.content else {
        panic!("not a 315")
    };
    heen.body.commentaar = Some(Commentaar("regel een\nregel twee\r\nregel drie".into()));
    let xml = message.to_xml().expect("valid");
    assert!(
        xml.contains("regel een\r\nregel twee&#13;\r\nregel drie"),
        "{xml}"
    );
    assert_op192(message.kind(), &xml);
    let back = Message::from_xml(xml.as_bytes()).expect("reads back");
    assert_eq!(back, message);
}
