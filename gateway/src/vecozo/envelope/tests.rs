//! Envelope tests: one per provider-sent kind of both laws, the retour rules, overrides.

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Law, Message, MessageKind, MessageType};

use super::*;

fn message(kind: MessageKind, seed: u64) -> Message {
    let mut g = Gen::new(seed, Shape::Minimal);
    Message::generate(kind, &mut g)
}

fn xml(m: &Message) -> Vec<u8> {
    m.to_xml()
        .expect("generated messages are valid")
        .into_bytes()
}

fn refs_for(kind: MessageKind) -> References {
    if kind.message_type.is_retour() {
        References::answering(Uuid::new_v4(), Uuid::new_v4())
    } else {
        References::new_conversation()
    }
}

#[test]
fn every_provider_kind_gets_its_berichtstroom_and_routing_from_the_header() {
    let mut seen = 0;
    for (seed, kind) in MessageKind::all().enumerate() {
        if !sent_by_provider(kind.message_type) {
            continue;
        }
        seen += 1;
        let m = message(kind, seed as u64);
        let refs = refs_for(kind);
        let env = build(&xml(&m), &refs, &EnvelopeSettings::default()).expect("envelope");
        let header = m.content.header();
        let (provider, gemeente) = if kind.message_type.municipality_header() {
            (&header.ontvanger, &header.afzender)
        } else {
            (&header.afzender, &header.ontvanger)
        };
        let r = &env.metadata.routeringgegevens;
        assert_eq!(env.kind, kind);
        assert_eq!(r.afzender.rol, "Instelling", "{kind}");
        assert_eq!(r.afzender.code.as_ref(), Some(provider), "{kind}");
        assert_eq!(r.geadresseerden.len(), 1);
        assert_eq!(r.geadresseerden[0].rol, "Gemeente");
        assert_eq!(r.geadresseerden[0].code.as_ref(), Some(gemeente), "{kind}");
        let s = &r.berichtstroom;
        assert_eq!(s.berichttype, kind.law.code_prefix());
        assert_eq!(s.berichtsubtype.as_deref(), Some(kind.code().as_str()));
        assert_eq!((s.berichtversie, s.berichtsubversie), (3, 2));
        assert_eq!(s.actie, actie(kind.message_type));
        let q = &env.metadata.referentiegegevens;
        assert_eq!(q.traceer_id, refs.traceer_id);
        assert_eq!(q.conversatie_id, refs.conversatie_id);
        assert_eq!(q.als_antwoord_op, refs.als_antwoord_op);
        let id = q.referentie_id.as_deref().unwrap_or_default();
        assert!(id.starts_with(&format!("{kind}:")), "{id}");
        assert!(id.len() <= 150);
    }
    assert_eq!(seen, 14, "7 provider-sent types under two laws");
}

#[test]
fn actie_per_type() {
    let expect = [
        (MessageType::M315, "VerzoekToewijzing"),
        (MessageType::M317, "VerzoekWijziging"),
        (MessageType::M305, "StartZorg"),
        (MessageType::M307, "StopZorg"),
        (MessageType::M323, "Declaratie"),
        (MessageType::M302, "ToewijzingRetour"),
        (MessageType::M320, "AntwoordRetour"),
        (MessageType::M301, "Toewijzing"),
    ];
    for (t, a) in expect {
        assert_eq!(actie(t), a);
    }
}

#[test]
fn a_retour_needs_als_antwoord_op_and_a_heen_message_may_not_have_one() {
    let k302 = MessageKind::new(Law::Ijw, MessageType::M302);
    let payload = xml(&message(k302, 1));
    let mut refs = References::new_conversation();
    let e = build(&payload, &refs, &EnvelopeSettings::default()).expect_err("no alsAntwoordOp");
    assert!(e.to_string().contains("IB021"), "{e}");
    refs.als_antwoord_op = Some(refs.traceer_id);
    assert!(build(&payload, &refs, &EnvelopeSettings::default()).is_err());

    let k315 = MessageKind::new(Law::Iwmo, MessageType::M315);
    let refs = References::answering(Uuid::new_v4(), Uuid::new_v4());
    assert!(build(&xml(&message(k315, 2)), &refs, &EnvelopeSettings::default()).is_err());
}

#[test]
fn municipality_kinds_and_garbage_are_refused() {
    for t in [MessageType::M301, MessageType::M316, MessageType::M325] {
        let k = MessageKind::new(Law::Ijw, t);
        let e = build(
            &xml(&message(k, 3)),
            &refs_for(k),
            &EnvelopeSettings::default(),
        )
        .expect_err("municipality kind");
        assert!(matches!(e, Error::Envelope(_)));
    }
    let e = build(
        b"<Bericht/>",
        &References::new_conversation(),
        &EnvelopeSettings::default(),
    )
    .expect_err("garbage");
    assert!(matches!(e, Error::Envelope(_)));
}

#[test]
fn overrides_change_only_what_they_name() {
    let settings: EnvelopeSettings = toml::from_str(
        r#"
        afzender_rol = "Zorgverlener"
        [berichtstroom.WMO323]
        actie = "Declareren"
        berichtversie = 4
        "#,
    )
    .expect("toml");
    let k = MessageKind::new(Law::Iwmo, MessageType::M323);
    let s = berichtstroom(k, &settings);
    assert_eq!(s.actie, "Declareren");
    assert_eq!(s.berichtversie, 4);
    assert_eq!(s.berichtsubversie, 2);
    assert_eq!(s.berichttype, "WMO");
    let env = build(&xml(&message(k, 4)), &refs_for(k), &settings).expect("envelope");
    assert_eq!(env.metadata.routeringgegevens.afzender.rol, "Zorgverlener");
    // Another kind keeps the defaults.
    let other = berichtstroom(MessageKind::new(Law::Ijw, MessageType::M323), &settings);
    assert_eq!(other.actie, "Declaratie");
}

#[test]
fn the_metadata_serialises_with_the_openapi_field_names() {
    let k = MessageKind::new(Law::Ijw, MessageType::M320);
    let refs = refs_for(k);
    let env = build(&xml(&message(k, 5)), &refs, &EnvelopeSettings::default()).expect("env");
    let v = serde_json::to_value(&env.metadata).expect("json");
    assert!(v["routeringgegevens"]["afzender"]["rol"].is_string());
    assert!(v["routeringgegevens"]["geadresseerden"][0]["code"].is_string());
    assert_eq!(
        v["routeringgegevens"]["berichtstroom"]["berichtsubtype"],
        "JW320"
    );
    assert_eq!(
        v["referentiegegevens"]["alsAntwoordOp"],
        refs.als_antwoord_op
            .map(|u| u.to_string())
            .unwrap_or_default()
    );
    assert!(v["referentiegegevens"]["traceerId"].is_string());
    assert!(v["referentiegegevens"]["conversatieId"].is_string());
    assert!(v["referentiegegevens"]["referentieId"].is_string());
    assert!(v.get("verwerkingscontext").is_none());
}
