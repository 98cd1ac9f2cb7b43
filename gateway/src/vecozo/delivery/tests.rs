//! Delivery decisions with a scripted VECOZO.

use std::sync::Mutex;
use std::time::Duration;

use chrono::TimeZone;
use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Law, Message, MessageKind, MessageType};

use super::*;
use crate::vecozo::TransportError;
use crate::vecozo::error::TransportErrorKind;
use crate::vecozo::retry::{JitterMode, SplitMix64};
use crate::vecozo::wire::Berichtstroom;

struct Fake {
    outcome: PushOutcome,
    statuses: Mutex<Option<Result<Vec<BerichtstatusGegevens>, Error>>>,
    pushed: Mutex<Vec<PushMetadata>>,
}

impl Fake {
    fn new(outcome: PushOutcome) -> Fake {
        Fake {
            outcome,
            statuses: Mutex::new(None),
            pushed: Mutex::new(Vec::new()),
        }
    }
}

impl PushApi for Fake {
    async fn push(&self, metadata: &PushMetadata, _payload: Vec<u8>) -> PushOutcome {
        self.pushed.lock().expect("lock").push(metadata.clone());
        self.outcome.clone()
    }

    async fn statuses(&self, _query: StatusQuery) -> Result<Vec<BerichtstatusGegevens>, Error> {
        self.statuses
            .lock()
            .expect("lock")
            .take()
            .unwrap_or(Ok(Vec::new()))
    }
}

fn payload() -> Vec<u8> {
    let kind = MessageKind::new(Law::Ijw, MessageType::M315);
    Message::generate(kind, &mut Gen::new(9, Shape::Minimal))
        .to_xml()
        .expect("valid")
        .into_bytes()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 4, 2, 8, 0, 0)
        .single()
        .expect("time")
}

fn fixed() -> Backoff {
    Backoff {
        base: Duration::from_secs(2),
        cap: Duration::from_secs(60),
        jitter: JitterMode::None,
        max_retry_after: Duration::from_secs(600),
    }
}

fn brs114() -> PushOutcome {
    PushOutcome::Rejected {
        status: 422,
        meldingen: vec![Melding {
            code: BRS114.into(),
            omschrijving: "TraceerID is niet uniek".into(),
            toelichting: None,
        }],
    }
}

fn status_of(meta: &PushMetadata, state: Berichtstatus) -> BerichtstatusGegevens {
    BerichtstatusGegevens {
        referentiegegevens: meta.referentiegegevens.clone(),
        berichtstroom: meta.routeringgegevens.berichtstroom.clone(),
        berichtstatus: state,
        berichtstatus_gewijzigd_op: "2025-04-02T08:00:00Z".into(),
        meldingen: None,
        bericht_ontvangen_op: "2025-04-02T08:00:00Z".into(),
    }
}

async fn run(fake: &Fake, attempt: u32) -> Delivery {
    let xml = payload();
    let item = OutboxItem {
        payload: &xml,
        refs: References::new_conversation(),
        attempt,
    };
    let mut rng = SplitMix64::seeded(1);
    deliver(
        fake,
        &item,
        &EnvelopeSettings::default(),
        &fixed(),
        &mut rng,
        now(),
    )
    .await
}

#[tokio::test]
async fn accepted_is_delivered() {
    let fake = Fake::new(PushOutcome::Accepted);
    assert_eq!(
        run(&fake, 0).await,
        Delivery::Delivered(Confirmation::Accepted)
    );
    assert_eq!(fake.pushed.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn a_422_is_rejected_with_its_meldingen() {
    let outcome = PushOutcome::Rejected {
        status: 422,
        meldingen: vec![Melding {
            code: "BRS26".into(),
            omschrijving: "Afzender in payload is niet gelijk".into(),
            toelichting: None,
        }],
    };
    match run(&Fake::new(outcome), 0).await {
        Delivery::Rejected { status, meldingen } => {
            assert_eq!(status, 422);
            assert_eq!(meldingen[0].code, "BRS26");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn transport_failures_and_503_retry_with_backoff_and_retry_after() {
    let reset = PushOutcome::Transient(Transient::Transport(TransportError {
        kind: TransportErrorKind::Reset,
        detail: "reset".into(),
    }));
    match run(&Fake::new(reset), 3).await {
        Delivery::RetryAt { at, attempt, .. } => {
            assert_eq!(attempt, 4);
            assert_eq!(at, now() + TimeDelta::seconds(16));
        }
        other => panic!("{other:?}"),
    }
    let busy = PushOutcome::Transient(Transient::Status {
        status: 503,
        retry_after: Some(Duration::from_secs(300)),
    });
    match run(&Fake::new(busy), 0).await {
        Delivery::RetryAt { at, .. } => assert_eq!(at, now() + TimeDelta::seconds(300)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn brs114_with_our_message_in_the_status_api_is_delivered() {
    let fake = Fake::new(brs114());
    let xml = payload();
    let refs = References::new_conversation();
    let env = envelope::build(&xml, &refs, &EnvelopeSettings::default()).expect("env");
    *fake.statuses.lock().expect("lock") = Some(Ok(vec![status_of(
        &env.metadata,
        Berichtstatus::WordtVerwerkt,
    )]));
    let item = OutboxItem {
        payload: &xml,
        refs,
        attempt: 1,
    };
    let mut rng = SplitMix64::seeded(1);
    let d = deliver(
        &fake,
        &item,
        &EnvelopeSettings::default(),
        &fixed(),
        &mut rng,
        now(),
    )
    .await;
    assert_eq!(
        d,
        Delivery::Delivered(Confirmation::StatusApi(Berichtstatus::WordtVerwerkt))
    );
}

#[test]
fn brs114_with_another_message_is_a_conflict_and_without_any_a_retry() {
    let xml = payload();
    let refs = References::new_conversation();
    let env = envelope::build(&xml, &refs, &EnvelopeSettings::default()).expect("env");
    let mut rng = SplitMix64::seeded(1);
    let mut other = status_of(&env.metadata, Berichtstatus::Bezorgd);
    other.referentiegegevens.conversatie_id = uuid::Uuid::new_v4();
    // An answer to our message (alsAntwoordOp = our traceerId) is not "our message".
    let mut answer = status_of(&env.metadata, Berichtstatus::Bezorgd);
    answer.referentiegegevens.als_antwoord_op = Some(refs.traceer_id);
    answer.referentiegegevens.traceer_id = uuid::Uuid::new_v4();
    let d = resolve_brs114(
        &env.metadata,
        Ok(vec![answer.clone(), other]),
        vec![],
        1,
        &fixed(),
        &mut rng,
        now(),
    );
    assert!(matches!(d, Delivery::Conflict { .. }), "{d:?}");
    let d = resolve_brs114(
        &env.metadata,
        Ok(vec![answer]),
        vec![],
        1,
        &fixed(),
        &mut rng,
        now(),
    );
    assert!(matches!(d, Delivery::RetryAt { attempt: 2, .. }), "{d:?}");
    let d = resolve_brs114(
        &env.metadata,
        Err(Error::UnexpectedStatus {
            operation: "status",
            status: 502,
        }),
        vec![],
        1,
        &fixed(),
        &mut rng,
        now(),
    );
    assert!(matches!(d, Delivery::RetryAt { .. }), "{d:?}");
}

#[test]
fn another_berichtstroom_is_not_ours() {
    let xml = payload();
    let env = envelope::build(
        &xml,
        &References::new_conversation(),
        &EnvelopeSettings::default(),
    )
    .expect("env");
    let mut s = status_of(&env.metadata, Berichtstatus::Ontvangen);
    assert!(is_ours(&s, &env.metadata));
    s.berichtstroom = Berichtstroom {
        berichtsubtype: Some("JW317".into()),
        ..s.berichtstroom.clone()
    };
    assert!(!is_ours(&s, &env.metadata));
}

#[tokio::test]
async fn an_unenvelopable_payload_is_unsendable_and_not_pushed() {
    let fake = Fake::new(PushOutcome::Accepted);
    let item = OutboxItem {
        payload: b"<not-a-message/>",
        refs: References::new_conversation(),
        attempt: 0,
    };
    let mut rng = SplitMix64::seeded(1);
    let d = deliver(
        &fake,
        &item,
        &EnvelopeSettings::default(),
        &fixed(),
        &mut rng,
        now(),
    )
    .await;
    assert!(matches!(d, Delivery::Unsendable(_)), "{d:?}");
    assert!(fake.pushed.lock().expect("lock").is_empty());
}
