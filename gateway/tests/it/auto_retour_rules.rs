//! The automatic 302 and 320 judge the cross-message rules that apply to a received 301 or
//! 319 against the store's history (TR332, TR379, TR385; TR355, TR359, TR360, TR365), as IV028
//! builds a retour on level-3 findings: the header 0200, every class taken over with the
//! rule's code (TR332 → 9332, TR355 → 9355) or 0200. The retours validate against the
//! official XSDs (xmllint).

use crate::both_backends;
use crate::common;
use crate::common::backend::Place;

use common::*;
use ketenpoort::header::HeaderFactory;
use ketenpoort::proto::Law;
use ketenpoort_messages::codes::{RetourCode, VerzoekAntwoord};
use ketenpoort_messages::model::answer::Antwoord;
use ketenpoort_messages::model::basis::{BerichtIdentificatie, XsdVersie};
use ketenpoort_messages::model::header::Header;
use ketenpoort_messages::{Content, Heen, Message};
use uuid::Uuid;

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 4, 2).expect("date")
}

/// Validates `xml` (a message of `kind`) with xmllint when the standards are there.
fn assert_xsd_valid(kind: &str, xml: &str) {
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/standards/ijw-3.2")
        .join(format!("{kind}.xsd"));
    if !schema.is_file() {
        if std::env::var("KETENPOORT_REQUIRE_STANDARDS").as_deref() == Ok("1") {
            panic!(
                "{} is missing but KETENPOORT_REQUIRE_STANDARDS=1",
                schema.display()
            );
        }
        eprintln!("XSD check skipped: no {}", schema.display());
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("retour.xml");
    std::fs::write(&file, xml).expect("write");
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("xmllint (libxml2-utils)");
    assert!(
        out.status.success(),
        "{kind} fails its XSD: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(xml: &str) -> Message {
    ketenpoort_messages::read(xml.as_bytes(), Default::default()).expect("reads")
}

/// A 301 of allocation `nummer` (45A48, 4 uur a week from 1 March 2025) for the client with
/// `bsn`, Identificatie `id`, that passes the in-message rules: [`allocation_xml`] with a BRP
/// address and an Omvang.
fn allocation(bsn: &str, id: &str, nummer: u64) -> String {
    use ketenpoort_messages::codes::{AdresSoort, Eenheid, Frequentie, LandCode};
    use ketenpoort_messages::model::basis::{Adres, Huis, Omvang};
    use ketenpoort_messages::types::{Huisnummer, Postcode, Volume};
    let product = [Allocated {
        nummer,
        start: "2025-03-01",
        end: Some("2025-12-31"),
    }];
    let mut m = read(&allocation_xml(Law::Ijw, AGB_A, bsn, id, &product));
    if let Content::Allocation(a) = &mut m.content {
        a.body.contactgegevens[0].soort = AdresSoort::A01;
        a.body.contactgegevens[0].adres = Some(Adres {
            huis: Some(Huis {
                huisnummer: Huisnummer(1),
                huisletter: None,
                huisnummer_toevoeging: None,
                aanduiding_woonadres: None,
            }),
            postcode: Some(Postcode("6511AB".into())),
            straatnaam: None,
            plaatsnaam: None,
            land_code: Some(LandCode::Nl),
        });
        a.body.toegewezen_producten[0].omvang = Some(Omvang {
            volume: Volume(4),
            eenheid: Eenheid::Uur,
            frequentie: Frequentie::PerWeek,
        });
    }
    assert_eq!(
        ketenpoort_messages::rules::check(&m),
        vec![],
        "a rule-valid 301"
    );
    m.to_xml().expect("a schema-valid 301")
}

async fn a_301_that_gives_a_known_number_to_another_client_gets_9332_in_its_302(place: &Place) {
    let server = place.start().await;
    // Allocation 100000001 for the client with bsn(1), collected and recorded.
    let first = allocation(&bsn(1), "G1", 100_000_001);
    collect(
        &server,
        &first,
        Uuid::new_v4(),
        Uuid::new_v4(),
        noon_ms(2025, 2, 10),
        false,
    )
    .await;
    let shared = server.shared.upgrade().expect("runs");
    let headers = HeaderFactory::new(Default::default());

    // The same number for another client: TR332 (a number keeps its client and product).
    let second = read(&allocation(&bsn(2), "G2", 100_000_001));
    let retour = ketenpoort::retour::queued(
        shared.store.as_ref(),
        &headers,
        today(),
        &second,
        Uuid::new_v4(),
    )
    .expect("built")
    .expect("a 302 is owed");
    let Content::AllocationRetour(r) = &retour.message.message.content else {
        panic!("a 302");
    };
    assert_eq!(r.header.retour_codes, vec![RetourCode::R0200]);
    let body = r.body.as_ref().expect("IV028: the classes taken over");
    assert_eq!(body.retour_codes, vec![RetourCode::R0200]);
    assert_eq!(
        body.toegewezen_producten[0].retour_codes,
        vec![RetourCode::R9332]
    );
    assert!(
        body.contactgegevens
            .iter()
            .all(|c| c.retour_codes == vec![RetourCode::R0200])
    );
    assert_xsd_valid("JW302", &retour.message.xml);

    // A 301 with a new number breaks nothing: the header only, without codes.
    let fresh = read(&allocation(&bsn(2), "G3", 100_000_002));
    let retour = ketenpoort::retour::queued(
        shared.store.as_ref(),
        &headers,
        today(),
        &fresh,
        Uuid::new_v4(),
    )
    .expect("built")
    .expect("a 302 is owed");
    let Content::AllocationRetour(r) = &retour.message.message.content else {
        panic!("a 302");
    };
    assert!(r.header.retour_codes.is_empty() && r.body.is_none());
    drop(shared);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_301_that_gives_a_known_number_to_another_client_gets_9332_in_its_302
);

async fn a_319_on_a_request_never_sent_gets_9355_in_its_320(place: &Place) {
    let server = place.start().await;
    let shared = server.shared.upgrade().expect("runs");
    let answer = Message {
        law: ketenpoort_messages::Law::Ijw,
        content: Content::Answer(Heen {
            header: Header {
                afzender: MUNICIPALITY.into(),
                ontvanger: AGB_A.into(),
                bericht_identificatie: BerichtIdentificatie {
                    identificatie: "G319".into(),
                    dagtekening: today(),
                },
                xsd_versie: XsdVersie {
                    basisschema_xsd_versie: "1.0.0".into(),
                    bericht_xsd_versie: "1.0.0".into(),
                },
            },
            body: Antwoord {
                referentie_aanbieder: "NEVER-SENT".into(),
                verzoek_antwoord: VerzoekAntwoord::InOnderzoek,
                reden_afwijzing_verzoek: None,
                woonplaatsbeginsel: None,
                retour_codes: vec![],
            },
        }),
    };
    let retour = ketenpoort::retour::queued(
        shared.store.as_ref(),
        &HeaderFactory::new(Default::default()),
        today(),
        &answer,
        Uuid::new_v4(),
    )
    .expect("built")
    .expect("a 320 is owed");
    let Content::AnswerRetour(r) = &retour.message.message.content else {
        panic!("a 320");
    };
    assert_eq!(r.header.retour_codes, vec![RetourCode::R0200]);
    let body = r.body.as_ref().expect("the Antwoord taken over");
    assert_eq!(body.retour_codes, vec![RetourCode::R9355]);
    assert_xsd_valid("JW320", &retour.message.xml);
    drop(shared);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_319_on_a_request_never_sent_gets_9355_in_its_320
);
