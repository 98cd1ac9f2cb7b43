//! The VECOZO client against the simulator (`ketenpoort-sim`) in-process, over mutual TLS
//! with its generated development PKI: push, typed refusals, BRS114 resolution, collection
//! rounds with store-then-acknowledge, status, and certificate problems.

use std::collections::BTreeMap;

use chrono::Utc;
use ketenpoort::vecozo::client::{PushOutcome, StatusQuery, Timeouts, Transient};
use ketenpoort::vecozo::clients::Clients;
use ketenpoort::vecozo::collect::{Content, Incoming, Stage, collect_round};
use ketenpoort::vecozo::delivery::{Confirmation, Delivery};
use ketenpoort::vecozo::envelope::{self, EnvelopeSettings, References};
use ketenpoort::vecozo::identity::{
    CertificateSource, Identities, IdentityConfig, SystemCertificate,
};
use ketenpoort::vecozo::wire::{Berichtstatus, Zoekpad};
use ketenpoort::vecozo::{Error, TransportErrorKind};
use ketenpoort_sim::pki::{self, Validity};
use serde_json::json;
use uuid::Uuid;

use crate::vecozo_support;

use vecozo_support::*;

// === push ===

#[tokio::test]
async fn a_valid_jw315_is_delivered_and_accepted_exactly_once() {
    let sim = start().await;
    let client = sim.client(PROVIDER);
    let refs = References::new_conversation();
    let d = deliver_once(&client, &jw315("KP000001"), refs, 0).await;
    assert_eq!(d, Delivery::Delivered(Confirmation::Accepted));
    let counts = sim.counts().await;
    let t = &counts["perTraceerId"][refs.traceer_id.to_string()];
    assert_eq!(t["geaccepteerd"], 1, "{counts}");
    assert_eq!(t["geweigerd"], json!([]));
    assert_eq!(t["status"], "Ontvangen");
}

#[tokio::test]
async fn a_422_comes_back_typed_with_its_brs_code() {
    let sim = start().await;
    // BRS26: the envelope names another afzender than the payload. The envelope module never
    // builds such a thing, so the metadata is edited by hand here.
    let env = envelope::build(
        &jw315("KP000001"),
        &References::new_conversation(),
        &EnvelopeSettings::default(),
    )
    .expect("envelope");
    let mut metadata = env.metadata.clone();
    metadata.routeringgegevens.afzender.code = Some(OTHER_PROVIDER.into());
    let outcome = sim
        .client(OTHER_PROVIDER)
        .push(&metadata, jw315("KP000001"))
        .await;
    match &outcome {
        PushOutcome::Rejected { status, meldingen } => {
            assert_eq!(*status, 422);
            assert_eq!(meldingen[0].code, "BRS26");
            assert!(meldingen[0].omschrijving.contains("Afzender"));
        }
        other => panic!("{other:?}"),
    }
    // BRS20 through the delivery step: the same Identificatie under a new traceerId.
    let client = sim.client(PROVIDER);
    let first = deliver_once(
        &client,
        &jw315("KP000002"),
        References::new_conversation(),
        0,
    )
    .await;
    assert_eq!(first, Delivery::Delivered(Confirmation::Accepted));
    match deliver_once(
        &client,
        &jw315("KP000002"),
        References::new_conversation(),
        0,
    )
    .await
    {
        Delivery::Rejected { status, meldingen } => {
            assert_eq!(status, 422);
            assert_eq!(meldingen[0].code, "BRS20");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn brs114_after_a_retry_is_resolved_through_the_status_api() {
    let sim = start().await;
    let client = sim.client(PROVIDER);
    let refs = References::new_conversation();
    let payload = jw315("KP000003");
    assert_eq!(
        deliver_once(&client, &payload, refs, 0).await,
        Delivery::Delivered(Confirmation::Accepted)
    );
    // The answer to the first push was "lost": the worker pushes again with the same ids.
    assert_eq!(
        deliver_once(&client, &payload, refs, 1).await,
        Delivery::Delivered(Confirmation::StatusApi(Berichtstatus::Ontvangen))
    );
    // Another message that reuses the traceerId is a conflict, not a delivery.
    let other = References {
        conversatie_id: Uuid::new_v4(),
        ..refs
    };
    match deliver_once(&client, &jw315("KP000004"), other, 1).await {
        Delivery::Conflict { meldingen, .. } => assert_eq!(meldingen[0].code, "BRS114"),
        d => panic!("{d:?}"),
    }
    let counts = sim.counts().await;
    let t = &counts["perTraceerId"][refs.traceer_id.to_string()];
    assert_eq!(t["geaccepteerd"], 1);
    assert_eq!(t["geweigerd"], json!(["BRS114", "BRS114"]));
}

// === status ===

#[tokio::test]
async fn the_status_api_reports_the_states_of_a_pushed_message() {
    let sim = start().await;
    let client = sim.client(PROVIDER);
    let refs = References::new_conversation();
    deliver_once(&client, &jw315("KP000005"), refs, 0).await;
    let state = |list: Vec<ketenpoort::vecozo::wire::BerichtstatusGegevens>| {
        list.iter()
            .find(|s| s.referentiegegevens.traceer_id == refs.traceer_id)
            .map(|s| s.berichtstatus)
    };
    let by_id = client
        .statuses(StatusQuery::TraceerId(refs.traceer_id))
        .await
        .expect("status");
    assert_eq!(state(by_id), Some(Berichtstatus::Ontvangen));
    sim.advance(10).await;
    let s = client
        .statuses(StatusQuery::TraceerId(refs.traceer_id))
        .await
        .expect("status");
    assert_eq!(state(s), Some(Berichtstatus::WordtVerwerkt));
    sim.advance(3600).await;
    let by_conversation = client
        .statuses(StatusQuery::ConversatieId(refs.conversatie_id))
        .await
        .expect("status");
    assert_eq!(state(by_conversation.clone()), Some(Berichtstatus::Bezorgd));
    let ours = &by_conversation[0];
    assert_eq!(ours.berichtstroom.berichtsubtype.as_deref(), Some("JW315"));
    assert_eq!(
        ours.referentiegegevens.referentie_id.as_deref(),
        Some("JW315:KP000005")
    );
}

// === pull ===

#[tokio::test]
async fn answers_are_listed_downloaded_stored_then_acknowledged_and_a_failed_store_comes_back() {
    let sim = start().await;
    let client = sim.client(PROVIDER);
    let refs = References::new_conversation();
    deliver_once(&client, &jw315("KP000006"), refs, 0).await;
    // A week on: the municipality bot has answered with a 316 and a 301, both offered.
    sim.advance(7 * 24 * 3600).await;

    let answers = client
        .search(
            &Zoekpad::ZoekpadOpAlsAntwoordOp {
                als_antwoord_op: refs.traceer_id,
            },
            250,
        )
        .await
        .expect("zoeken");
    assert_eq!(answers.len(), 2, "{answers:?}");

    // Round 1: the store fails for the first message.
    let mut seen: Vec<(Uuid, String)> = Vec::new();
    let first = answers[0].traceer_id();
    let report = collect_round(&client, 250, |incoming: Incoming| {
        let id = incoming.traceer_id();
        let kind = match &incoming.content {
            Content::Message(m) => m.kind().code(),
            Content::Quarantined { reason } => panic!("quarantined: {reason}"),
        };
        seen.push((id, kind));
        async move {
            if id == first {
                Err("store unavailable")
            } else {
                Ok(())
            }
        }
    })
    .await
    .expect("round 1");
    assert_eq!(report.listed, 2);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].traceer_id, first);
    assert_eq!(report.failed[0].stage, Stage::Store);
    assert_eq!(report.acknowledged.len(), 1);
    let mut kinds: Vec<&str> = seen.iter().map(|(_, k)| k.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, vec!["JW301", "JW316"]);

    let counts = sim.counts().await;
    assert_eq!(counts["perTraceerId"][first.to_string()]["bevestigd"], 0);
    assert_eq!(
        counts["perTraceerId"][report.acknowledged[0].to_string()]["bevestigd"],
        1
    );

    // Round 2: only the unacknowledged message is listed again, and now it is stored.
    let mut again = Vec::new();
    let report = collect_round(&client, 250, |incoming: Incoming| {
        again.push(incoming.traceer_id());
        async { Ok::<(), String>(()) }
    })
    .await
    .expect("round 2");
    assert_eq!(again, vec![first]);
    assert_eq!(report.acknowledged, vec![first]);

    // Round 3: nothing left.
    let report = collect_round(&client, 250, |_incoming: Incoming| async {
        Ok::<(), String>(())
    })
    .await
    .expect("round 3");
    assert_eq!(report.listed, 0);
    let counts = sim.counts().await;
    for a in &answers {
        let c = &counts["perTraceerId"][a.traceer_id().to_string()];
        assert_eq!(c["bevestigd"], 1, "{c}");
        assert_eq!(c["status"], "Bezorgd");
    }
}

#[tokio::test]
async fn listing_limits_outside_1_to_250_are_refused_before_asking() {
    let sim = start().await;
    let client = sim.client(PROVIDER);
    assert!(matches!(client.list(0).await, Err(Error::InvalidLimit(0))));
    assert!(matches!(
        client.list(251).await,
        Err(Error::InvalidLimit(251))
    ));
    assert!(client.list(250).await.expect("list").is_empty());
}

// === identity ===

#[tokio::test]
async fn an_expired_certificate_is_refused_at_load_naming_the_agb_and_dates() {
    let sim = start().await;
    let expired = sim
        .config
        .pki
        .issue_client(PROVIDER, Validity::Expired)
        .expect("expired certificate");
    let config = IdentityConfig {
        default: None,
        per_agb: BTreeMap::from([(
            PROVIDER.to_owned(),
            write_pem(sim.dir.path(), "expired", &expired),
        )]),
        warning_days: None,
    };
    let e = Identities::load_with_env(&config, Utc::now(), &|_| None).expect_err("expired");
    match &e {
        Error::CertificateExpired { agb, not_after, .. } => {
            assert_eq!(agb, PROVIDER);
            assert_eq!(not_after.format("%Y").to_string(), "2020");
        }
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.contains(PROVIDER) && text.contains("2020-12-31"),
        "{text}"
    );
}

#[tokio::test]
async fn a_valid_pkcs12_loads_with_its_password_from_the_environment_and_reports_expiry() {
    let sim = start().await;
    let (_, _, p12) = sim.config.pki.client_files(PROVIDER);
    let config = IdentityConfig {
        default: Some(CertificateSource::Pkcs12 {
            path: p12,
            password_env: Some("KETENPOORT_VECOZO_PFX_PASSWORD".into()),
            password_file: None,
        }),
        per_agb: BTreeMap::new(),
        warning_days: Some(30),
    };
    let env =
        |var: &str| (var == "KETENPOORT_VECOZO_PFX_PASSWORD").then(|| P12_PASSWORD.to_owned());
    let ids = Identities::load_with_env(&config, Utc::now(), &env).expect("load");
    let report = ids.check(Utc::now()).expect("valid");
    assert_eq!(report.len(), 1);
    assert!(report[0].days_left > 300 && !report[0].warning);
    // Any AGB code falls back to the default certificate.
    let cert = ids.for_agb("99999999").expect("default");
    assert!(cert.subject().contains(PROVIDER));
    let list = sim.client_with(cert).list(1).await;
    assert!(list.is_ok(), "{list:?}");
}

#[tokio::test]
async fn a_pkcs12_with_a_wrong_password_is_a_clear_error() {
    let sim = start().await;
    let (_, _, p12) = sim.config.pki.client_files(PROVIDER);
    let password_file = sim.dir.path().join("password.txt");
    std::fs::write(&password_file, "not-the-password\n").expect("write");
    let source = CertificateSource::Pkcs12 {
        path: p12,
        password_env: None,
        password_file: Some(password_file),
    };
    let e = SystemCertificate::load(PROVIDER, &source, &|_| None).expect_err("wrong password");
    assert!(
        matches!(e, Error::WrongPassword { ref agb, .. } if agb == PROVIDER),
        "{e:?}"
    );
    assert!(e.to_string().contains("wrong password"), "{e}");
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused_by_the_tls_handshake() {
    let sim = start().await;
    let foreign = pki::foreign_client(PROVIDER).expect("foreign certificate");
    let cert = SystemCertificate::from_pem(
        PROVIDER,
        "foreign",
        foreign.cert_pem.as_bytes(),
        foreign.key_pem.as_bytes(),
    )
    .expect("loads: it is valid, only not trusted by VECOZO");
    let client = sim.client_with(&cert);
    match client.list(1).await {
        Err(Error::Transport(t)) => assert_eq!(t.kind, TransportErrorKind::Tls, "{t}"),
        other => panic!("{other:?}"),
    }
    let env = envelope::build(
        &jw315("KP000007"),
        &References::new_conversation(),
        &EnvelopeSettings::default(),
    )
    .expect("envelope");
    match client.push(&env.metadata, jw315("KP000007")).await {
        PushOutcome::Transient(Transient::Transport(t)) => {
            assert_eq!(t.kind, TransportErrorKind::Tls, "{t}")
        }
        other => panic!("{other:?}"),
    }
    let counts = sim.counts().await;
    assert_eq!(counts["perTraceerId"], json!({}));
}

#[tokio::test]
async fn clients_pick_the_certificate_of_the_afzender() {
    let sim = start().await;
    let p12 = |agb: &str| CertificateSource::Pkcs12 {
        path: sim.config.pki.client_files(agb).2,
        password_env: Some("PW".into()),
        password_file: None,
    };
    let config = IdentityConfig {
        default: Some(p12(PROVIDER)),
        per_agb: BTreeMap::from([(OTHER_PROVIDER.to_owned(), p12(OTHER_PROVIDER))]),
        warning_days: None,
    };
    let ids = Identities::load_with_env(&config, Utc::now(), &|_| Some(P12_PASSWORD.to_owned()))
        .expect("load");
    let clients =
        Clients::new(&sim.environment(), &ids, &sim.roots(), Timeouts::default()).expect("clients");
    let labels: Vec<&str> = clients.pullers().map(|(l, _)| l).collect();
    assert_eq!(labels, vec!["default", OTHER_PROVIDER]);
    // PROVIDER's 315 goes through the default certificate and is accepted; through the other
    // provider's certificate VECOZO would refuse it (BRS03).
    let payload = jw315("KP000008");
    let env = envelope::build(
        &payload,
        &References::new_conversation(),
        &EnvelopeSettings::default(),
    )
    .expect("envelope");
    let right = clients.for_agb(&env.afzender).expect("client");
    let wrong = clients.for_agb(OTHER_PROVIDER).expect("client");
    assert_eq!(
        wrong.push(&env.metadata, payload.clone()).await.codes(),
        vec!["BRS03"]
    );
    assert_eq!(
        right.push(&env.metadata, payload).await,
        PushOutcome::Accepted
    );
}
