//! Collection rounds against a scripted VECOZO: order of store and confirm, quarantine,
//! checksum failures.

use std::sync::Mutex;

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Law, Message, MessageKind, MessageType};

use super::*;
use crate::vecozo::client::{sha256_hex, verify_payload};
use crate::vecozo::wire::{
    Basisgegevens, Berichtstroom, Checksum, HttpsDownload, Referentiegegevens, Relatie,
    Routeringgegevens,
};

/// A ready message: listing entry and the bytes the download returns.
struct Ready {
    meta: PullMetadata,
    bytes: Vec<u8>,
}

#[derive(Default)]
struct Fake {
    ready: Vec<Ready>,
    log: Mutex<Vec<String>>,
}

impl PullApi for Fake {
    async fn list(&self, limit: u16) -> Result<Vec<PullMetadata>, Error> {
        self.log.lock().expect("lock").push("list".into());
        Ok(self
            .ready
            .iter()
            .take(usize::from(limit))
            .map(|r| r.meta.clone())
            .collect())
    }

    async fn download(&self, item: &PullMetadata) -> Result<Vec<u8>, Error> {
        let r = self
            .ready
            .iter()
            .find(|r| r.meta.traceer_id() == item.traceer_id())
            .ok_or(Error::PayloadGone {
                traceer_id: item.traceer_id(),
            })?;
        verify_payload(item, &r.bytes)?;
        Ok(r.bytes.clone())
    }

    async fn acknowledge(&self, traceer_id: Uuid) -> Result<Acknowledgement, Error> {
        self.log
            .lock()
            .expect("lock")
            .push(format!("ack {traceer_id}"));
        Ok(Acknowledgement::Confirmed)
    }
}

/// A municipality-sent message of `t` addressed to the provider in its header.
fn message(t: MessageType, seed: u64) -> (Vec<u8>, String) {
    let kind = MessageKind::new(Law::Ijw, t);
    let m = Message::generate(kind, &mut Gen::new(seed, Shape::Minimal));
    let h = m.content.header();
    let provider = if t.municipality_header() {
        h.ontvanger.clone()
    } else {
        h.afzender.clone()
    };
    (m.to_xml().expect("valid").into_bytes(), provider)
}

fn ready(bytes: Vec<u8>, subtype: &str, provider: &str) -> Ready {
    let meta = PullMetadata {
        basisgegevens: Basisgegevens {
            ontvangen_op: "2025-04-02T08:00:00Z".into(),
            payload: HttpsDownload {
                url: "https://localhost/ignored".into(),
                grootte: bytes.len() as i64,
                checksum: Checksum {
                    algoritme: "SHA256".into(),
                    waarde: sha256_hex(&bytes),
                },
            },
        },
        routeringgegevens: Routeringgegevens {
            afzender: Relatie {
                rol: "Gemeente".into(),
                code: Some("0268".into()),
            },
            geadresseerden: vec![Relatie {
                rol: "Instelling".into(),
                code: Some(provider.into()),
            }],
            berichtstroom: Berichtstroom {
                berichttype: "JW".into(),
                berichtsubtype: Some(subtype.into()),
                berichtversie: 3,
                berichtsubversie: 2,
                actie: "Toewijzing".into(),
            },
        },
        referentiegegevens: Referentiegegevens {
            conversatie_id: Uuid::new_v4(),
            traceer_id: Uuid::new_v4(),
            als_antwoord_op: None,
            referentie_id: None,
        },
        verwerkingscontext: None,
    };
    Ready { meta, bytes }
}

#[tokio::test]
async fn each_message_is_stored_before_it_is_acknowledged() {
    let (a, pa) = message(MessageType::M301, 1);
    let (b, pb) = message(MessageType::M316, 2);
    let fake = Fake {
        ready: vec![ready(a, "JW301", &pa), ready(b, "JW316", &pb)],
        ..Fake::default()
    };
    let ids: Vec<Uuid> = fake.ready.iter().map(|r| r.meta.traceer_id()).collect();
    let stored = Mutex::new(Vec::new());
    let report = collect_round(&fake, 250, |incoming: Incoming| {
        fake.log
            .lock()
            .expect("lock")
            .push(format!("store {}", incoming.traceer_id()));
        assert!(matches!(incoming.content, Content::Message(_)));
        stored.lock().expect("lock").push(incoming.traceer_id());
        async { Ok::<(), String>(()) }
    })
    .await
    .expect("round");
    assert_eq!(report.acknowledged, ids);
    assert!(report.failed.is_empty() && report.quarantined.is_empty());
    assert!(!report.more);
    let log = fake.log.lock().expect("lock").clone();
    assert_eq!(
        log,
        vec![
            "list".to_owned(),
            format!("store {}", ids[0]),
            format!("ack {}", ids[0]),
            format!("store {}", ids[1]),
            format!("ack {}", ids[1]),
        ]
    );
}

#[tokio::test]
async fn a_failed_store_and_a_bad_checksum_are_not_acknowledged() {
    let (a, pa) = message(MessageType::M301, 3);
    let (b, pb) = message(MessageType::M319, 4);
    let mut bad = ready(b, "JW319", &pb);
    bad.meta.basisgegevens.payload.checksum.waarde = sha256_hex(b"something else");
    let fake = Fake {
        ready: vec![ready(a, "JW301", &pa), bad],
        ..Fake::default()
    };
    let report = collect_round(&fake, 250, |_incoming: Incoming| async {
        Err::<(), _>("disk full")
    })
    .await
    .expect("round");
    assert!(report.acknowledged.is_empty());
    assert_eq!(report.failed.len(), 2);
    assert_eq!(report.failed[0].stage, Stage::Store);
    assert_eq!(report.failed[1].stage, Stage::Download);
    assert!(report.failed[1].error.contains("SHA-256"));
    assert!(
        !fake
            .log
            .lock()
            .expect("lock")
            .iter()
            .any(|l| l.starts_with("ack"))
    );
}

#[tokio::test]
async fn garbage_and_misfits_are_quarantined_stored_and_acknowledged() {
    let (a, pa) = message(MessageType::M301, 5);
    let (c, pc) = message(MessageType::M325, 6);
    let fake = Fake {
        ready: vec![
            // Not XML at all.
            ready(b"\x00\x01 not xml".to_vec(), "JW301", "12345678"),
            // The envelope says 316, the payload is a 301.
            ready(a, "JW316", &pa),
            // Addressed to another provider.
            ready(c, "JW325", &format!("{pc}9")),
        ],
        ..Fake::default()
    };
    let reasons = Mutex::new(Vec::new());
    let report = collect_round(&fake, 3, |incoming: Incoming| {
        if let Content::Quarantined { reason } = &incoming.content {
            reasons.lock().expect("lock").push(reason.clone());
        }
        async { Ok::<(), String>(()) }
    })
    .await
    .expect("round");
    assert_eq!(report.quarantined.len(), 3);
    assert_eq!(report.acknowledged.len(), 3);
    assert!(report.more, "a full listing says there may be more");
    let reasons = reasons.into_inner().expect("lock");
    assert!(reasons[0].contains("not a valid"), "{}", reasons[0]);
    assert!(reasons[1].contains("JW316"), "{}", reasons[1]);
    assert!(reasons[2].contains("geadresseerden"), "{}", reasons[2]);
}

#[test]
fn a_provider_sent_kind_is_quarantined() {
    let kind = MessageKind::new(Law::Iwmo, MessageType::M315);
    let m = Message::generate(kind, &mut Gen::new(7, Shape::Minimal));
    let provider = m.content.header().afzender.clone();
    let r = ready(m.to_xml().expect("valid").into_bytes(), "WMO315", &provider);
    assert!(matches!(
        classify(&r.meta, &r.bytes),
        Content::Quarantined { .. }
    ));
}

#[test]
fn a_quarantine_reason_never_quotes_the_payload() {
    // Issue 13: a stray '&' or tag in free text made quick-xml quote it, and the collector
    // put that text into the quarantine reason and its WARN log line (which shows the reason).
    let kind = MessageKind::new(Law::Ijw, MessageType::M301);
    let m = Message::generate(kind, &mut Gen::new(11, Shape::Minimal));
    let provider = m.content.header().ontvanger.clone();
    let xml = m.to_xml().expect("valid");
    let start = xml.find(":Bsn>").expect("Bsn") + ":Bsn>".len();
    let end = start + xml[start..].find('<').expect("closed");
    for text in [
        "Moeder Jansen&Bakker bsn 123456782; zie dossier",
        "Moeder <Bakker-123456782> zie dossier",
    ] {
        let bytes = format!("{}{text}{}", &xml[..start], &xml[end..]).into_bytes();
        let r = ready(bytes, "JW301", &provider);
        match classify(&r.meta, &r.bytes) {
            Content::Quarantined { reason } => {
                assert!(reason.contains("not well-formed XML at byte"), "{reason}");
                assert!(
                    !reason.contains("Bakker") && !reason.contains("123456782"),
                    "{reason}"
                );
            }
            Content::Message(_) => panic!("{text}: not a message"),
        }
    }
}
