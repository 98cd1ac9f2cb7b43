//! The VECOZO client under the simulator's faults (`[[storing]]`): error statuses with
//! Retry-After, dropped connections, refused handshakes and maintenance windows become
//! transient outcomes, and a retry with the same traceerId after the fault is a delivery.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use ketenpoort::vecozo::client::{PushOutcome, Transient};
use ketenpoort::vecozo::collect::collect_round;
use ketenpoort::vecozo::delivery::{Confirmation, Delivery};
use ketenpoort::vecozo::envelope::{self, EnvelopeSettings, References};
use ketenpoort::vecozo::{Error, TransportErrorKind};

use crate::vecozo_support;

use vecozo_support::*;

async fn push_raw(sim: &Sim, identificatie: &str) -> PushOutcome {
    let payload = jw315(identificatie);
    let env = envelope::build(
        &payload,
        &References::new_conversation(),
        &EnvelopeSettings::default(),
    )
    .expect("envelope");
    sim.client(PROVIDER).push(&env.metadata, payload).await
}

#[tokio::test]
async fn a_503_with_retry_after_is_transient_and_the_delivery_waits_that_long() {
    let sim = start_with_toml(
        r#"
        [[storing]]
        soort = "http-fout"
        api = ["push"]
        status = 503
        retry_after_seconden = 120
        "#,
    )
    .await;
    assert_eq!(
        push_raw(&sim, "KP000001").await,
        PushOutcome::Transient(Transient::Status {
            status: 503,
            retry_after: Some(Duration::from_secs(120)),
        })
    );
    let before = Utc::now();
    match deliver_once(
        &sim.client(PROVIDER),
        &jw315("KP000002"),
        References::new_conversation(),
        0,
    )
    .await
    {
        Delivery::RetryAt { at, attempt, .. } => {
            assert_eq!(attempt, 1);
            assert!(at >= before + TimeDelta::seconds(120), "{at} vs {before}");
            assert!(at <= Utc::now() + TimeDelta::seconds(121));
        }
        d => panic!("{d:?}"),
    }
}

#[tokio::test]
async fn a_dropped_connection_is_a_transient_reset() {
    let sim = start_with_toml(
        r#"
        [[storing]]
        soort = "verbreek"
        api = ["push"]
        "#,
    )
    .await;
    match push_raw(&sim, "KP000001").await {
        PushOutcome::Transient(Transient::Transport(t)) => {
            assert_eq!(t.kind, TransportErrorKind::Reset, "{t}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_refused_handshake_is_a_transient_tls_failure() {
    let sim = start_with_toml(
        r#"
        [[storing]]
        soort = "handdruk-weigering"
        certificaten = ["12345678"]
        "#,
    )
    .await;
    match push_raw(&sim, "KP000001").await {
        PushOutcome::Transient(Transient::Transport(t)) => {
            assert_eq!(t.kind, TransportErrorKind::Tls, "{t}")
        }
        other => panic!("{other:?}"),
    }
    // Another provider's certificate still gets in.
    assert!(sim.client(OTHER_PROVIDER).list(1).await.is_ok());
}

#[tokio::test]
async fn a_failing_listing_fails_the_round_without_acknowledging_anything() {
    let sim = start_with_toml(
        r#"
        [[storing]]
        soort = "http-fout"
        api = ["pull"]
        status = 502
        "#,
    )
    .await;
    let e = collect_round(&sim.client(PROVIDER), 250, |_incoming| async {
        Ok::<(), String>(())
    })
    .await
    .expect_err("502");
    assert!(
        matches!(e, Error::UnexpectedStatus { status: 502, .. }),
        "{e:?}"
    );
    assert!(e.is_transient());
}

#[tokio::test]
async fn after_a_maintenance_window_the_retry_with_the_same_traceer_id_is_delivered() {
    // The simulator's clock is frozen at 2025-04-02T08:00:00Z.
    let sim = start_with_toml(
        r#"
        [[storing]]
        soort = "onderhoud"
        van = "2025-04-02T07:00:00Z"
        tot = "2025-04-02T09:00:00Z"
        "#,
    )
    .await;
    let client = sim.client(PROVIDER);
    let refs = References::new_conversation();
    let payload = jw315("KP000001");
    match deliver_once(&client, &payload, refs, 0).await {
        Delivery::RetryAt { attempt: 1, .. } => {}
        d => panic!("{d:?}"),
    }
    sim.advance(2 * 3600).await;
    assert_eq!(
        deliver_once(&client, &payload, refs, 1).await,
        Delivery::Delivered(Confirmation::Accepted)
    );
    let counts = sim.counts().await;
    assert_eq!(
        counts["perTraceerId"][refs.traceer_id.to_string()]["geaccepteerd"],
        1
    );
}
