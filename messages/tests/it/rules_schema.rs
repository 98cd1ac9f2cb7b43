//! The schema-level rules of the standard (RSnnn restrictions, and CS015, CS025 and CS319,
//! which the XSD states as facets): each is reported under its own id, by the model's
//! validation and, for lexical forms, by the reader. `tests/tests/it/xsd_mutations.rs` checks
//! that the verdicts agree with xmllint; this file checks the ids.

use crate::rules_support;

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::model::allocation::AllocationClient;
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::request::RequestClient;
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, Law, Message, MessageKind, MessageType, ReadLimits, read};
use rules_support::*;

/// The reference 301 with `f` applied to its header and client.
fn allocation_with(
    f: impl FnOnce(&mut ketenpoort_messages::model::header::Header, &mut AllocationClient),
) -> Message {
    let mut m = allocation(Law::Ijw);
    if let Content::Allocation(h) = &mut m.content {
        f(&mut h.header, &mut h.body);
    }
    m
}

fn schema_rules(m: &Message) -> Vec<&'static str> {
    m.validate().into_iter().map(|v| v.rule).collect()
}

/// The rules the reader reports for the reference 301 written with `from` replaced by `to`.
fn read_rules(from: &str, to: &str) -> Vec<&'static str> {
    let xml = allocation(Law::Ijw)
        .to_xml()
        .expect("the reference 301 is valid");
    assert!(xml.contains(from), "{from} not in the reference 301");
    let xml = xml.replacen(from, to, 1);
    match read(xml.as_bytes(), ReadLimits::default()) {
        Ok(_) => Vec::new(),
        Err(e) => e.violations().iter().map(|v| v.rule).collect(),
    }
}

fn long(n: usize) -> String {
    "a".repeat(n)
}

#[test]
fn every_rs_rule_is_reported_with_its_id() {
    type Edit = Box<dyn Fn(&mut ketenpoort_messages::model::header::Header, &mut AllocationClient)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "RS002",
            Box::new(|_, c| c.relaties[0].volgorde = Some(RelatieVolgorde(100))),
        ),
        (
            "RS004",
            Box::new(|_, c| {
                if let Some(h) = c.contactgegevens[0]
                    .adres
                    .as_mut()
                    .and_then(|a| a.huis.as_mut())
                {
                    h.huisnummer = Huisnummer(100_000);
                }
            }),
        ),
        (
            "RS005",
            Box::new(|_, c| {
                if let Some(o) = &mut c.toegewezen_producten[0].omvang {
                    o.volume = Volume(100_000_000);
                }
            }),
        ),
        (
            "RS006",
            Box::new(|_, c| c.toegewezen_producten[0].toewijzing_nummer = Nummer(1_000_000_000)),
        ),
        (
            "RS008",
            Box::new(|_, c| {
                if let Some(h) = c.contactgegevens[0]
                    .adres
                    .as_mut()
                    .and_then(|a| a.huis.as_mut())
                {
                    h.huisletter = Some("ab".into());
                }
            }),
        ),
        (
            "RS011",
            Box::new(|_, c| {
                if let Some(t) = &mut c.relaties[0].contact.telefoon {
                    t.telefoon01.landnummer = "00311".into();
                }
            }),
        ),
        (
            "RS012",
            Box::new(|_, c| {
                if let Some(p) = &mut c.toegewezen_producten[0].product {
                    p.code = Some("45A481".into());
                }
            }),
        ),
        (
            "RS013",
            Box::new(|_, c| c.naam.voorletters = Some("ABCDEFG".into())),
        ),
        ("RS014", Box::new(|h, _| h.ontvanger = "123456789".into())),
        ("RS015", Box::new(|_, c| c.bsn = "1112223334".into())),
        (
            "RS016",
            Box::new(|_, c| c.naam.geslachtsnaam.voorvoegsel = Some(long(11).into())),
        ),
        (
            "RS017",
            Box::new(|h, _| h.bericht_identificatie.identificatie = long(13).into()),
        ),
        (
            "RS018",
            Box::new(|_, c| {
                if let Some(t) = &mut c.relaties[0].contact.telefoon {
                    t.telefoon01.telefoonnummer = "1".repeat(16).into();
                }
            }),
        ),
        (
            "RS019",
            Box::new(|_, c| c.relaties[0].nummer = long(21).into()),
        ),
        (
            "RS020",
            Box::new(|_, c| {
                if let Some(a) = &mut c.contactgegevens[0].adres {
                    a.straatnaam = Some(long(25).into());
                }
            }),
        ),
        (
            "RS021",
            Box::new(|_, c| {
                c.communicatie = Some(Communicatie {
                    vorm: ketenpoort_messages::codes::Communicatievorm::Tolk,
                    taal: Some(long(26).into()),
                })
            }),
        ),
        (
            "RS023",
            Box::new(|_, c| c.contactgegevens[0].organisatie = Some(long(36).into())),
        ),
        (
            "RS024",
            Box::new(|_, c| c.toegewezen_producten[0].referentie_aanbieder = Some(long(37).into())),
        ),
        (
            "RS026",
            Box::new(|_, c| {
                if let Some(a) = &mut c.contactgegevens[0].adres {
                    a.plaatsnaam = Some(long(81).into());
                }
            }),
        ),
        (
            "RS028",
            Box::new(|_, c| c.naam.geslachtsnaam.achternaam = long(201).into()),
        ),
        ("RS031", Box::new(|_, c| c.commentaar = Some(" \n ".into()))),
        (
            "RS033",
            Box::new(|_, c| {
                if let Some(a) = &mut c.contactgegevens[0].adres {
                    a.plaatsnaam = Some("".into());
                }
            }),
        ),
        ("RS035", Box::new(|h, _| h.afzender = "026".into())),
        ("RS036", Box::new(|h, _| h.ontvanger = "1234567A".into())),
        ("RS037", Box::new(|_, c| c.bsn = "11122233A".into())),
        (
            "RS045",
            Box::new(|_, c| c.naam.voorletters = Some("A.".into())),
        ),
        (
            "RS046",
            Box::new(|_, c| {
                if let Some(t) = &mut c.relaties[0].contact.telefoon {
                    t.telefoon01.telefoonnummer = "06-1234".into();
                }
            }),
        ),
        (
            "RS048",
            Box::new(|h, _| h.xsd_versie.bericht_xsd_versie = "1.0".into()),
        ),
    ];
    for (rule, edit) in cases {
        let m = allocation_with(|h, c| edit(h, c));
        assert!(
            schema_rules(&m).contains(&rule),
            "{rule}: {:?}",
            m.validate()
        );
        // The writer refuses what validation refuses.
        assert!(m.to_xml().is_err(), "{rule}");
    }

    // RS025: a referrer's name in a 315.
    let mut m = request(Law::Ijw);
    if let Content::RequestForAllocation(h) = &mut m.content {
        let c: &mut RequestClient = &mut h.body;
        c.aangevraagde_producten[0].verwijzer.naam = Some(long(65).into());
    }
    assert!(schema_rules(&m).contains(&"RS025"), "{:?}", m.validate());

    // RS040: a total in a 323.
    let kind = MessageKind::new(Law::Ijw, MessageType::M323);
    let mut m = Message::generate(kind, &mut Gen::new(1, Shape::Minimal));
    if let Content::Declaration(h) = &mut m.content {
        h.body.totaal_ingediend_bedrag.totaal_bedrag = TotaalBedrag(1_000_000_000_000);
    }
    assert!(schema_rules(&m).contains(&"RS040"), "{:?}", m.validate());

    // Lexical forms, found by the reader.
    assert!(read_rules("<ijw:Volume>4<", "<ijw:Volume>-1<").contains(&"RS001"));
    assert!(read_rules("<ijw:Datum>2012-05-17<", "<ijw:Datum>2012-05-17Z<").contains(&"RS032"));
    assert!(
        read_rules(
            "<jw301:Toewijzingstijd>10:00:00<",
            "<jw301:Toewijzingstijd>10:00:00+01:00<"
        )
        .contains(&"RS034")
    );
    assert!(read_rules("<jw301:BerichtCode>436<", "<jw301:BerichtCode>437<").contains(&"RS047"));
}

#[test]
fn cs015_cs025_release_3_2() {
    assert_eq!(
        read_rules("<jw301:BerichtVersie>3<", "<jw301:BerichtVersie>2<"),
        ["CS025"]
    );
    assert_eq!(
        read_rules("<jw301:BerichtSubversie>2<", "<jw301:BerichtSubversie>1<"),
        ["CS015"]
    );
    assert_eq!(
        read_rules("<jw301:BerichtVersie>3<", "<jw301:BerichtVersie>3<"),
        Vec::<&str>::new()
    );
}

#[test]
fn cs319_declaratie_nummer_letters_and_digits() {
    let kind = MessageKind::new(Law::Iwmo, MessageType::M323);
    let mut m = Message::generate(kind, &mut Gen::new(2, Shape::Minimal));
    if let Content::Declaration(h) = &mut m.content {
        h.body.declaratie_nummer = "D2025A1".into();
    }
    assert_eq!(schema_rules(&m), Vec::<&str>::new());
    if let Content::Declaration(h) = &mut m.content {
        h.body.declaratie_nummer = "D-2025".into();
    }
    let v = m.validate();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].rule, "CS319");
    assert_eq!(v[0].path, "/Bericht/Declaratie/DeclaratieNummer");
}
