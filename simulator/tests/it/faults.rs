//! One test per `[[storing]]` fault: the simulator does what the scenario says. The clock is
//! frozen at Wednesday 2 April 2025 08:00 UTC and moved only through the admin API.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use ketenpoort_messages::Content;
use serde_json::Value;
use uuid::Uuid;

const DAY: u64 = 24 * 3600;

async fn list_status(h: &Harness, client: &reqwest::Client) -> u16 {
    client
        .get(h.pull_url(""))
        .send()
        .await
        .expect("list")
        .status()
        .as_u16()
}

async fn push_status(h: &Harness, identificatie: &str) -> reqwest::Response {
    let m = metadata(PROVIDER, GEMEENTE, "JW315", Uuid::new_v4(), Uuid::new_v4());
    h.push(&h.client(PROVIDER), &m, request_315(identificatie))
        .await
}

fn fault_counts(counts: &Value, i: usize) -> (u64, u64) {
    let f = &counts["storingen"][i];
    (
        f["getroffen"].as_u64().unwrap_or_default(),
        f["toegepast"].as_u64().unwrap_or_default(),
    )
}

#[tokio::test]
async fn http_503_on_push_during_a_window() {
    let h = start_with(scenario_with(
        r#"
[[storing]]
soort = "http-fout"
api = ["push"]
status = 503
van = "2025-04-02T07:00:00Z"
tot = "2025-04-02T09:00:00Z"
retry_after_seconden = 30
"#,
    ))
    .await;
    let r = push_status(&h, "ID1").await;
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("30")
    );
    // Pull is not affected, nor the admin API.
    assert_eq!(list_status(&h, &h.client(PROVIDER)).await, 200);
    // After the window the same push goes through.
    h.advance(3600).await;
    assert_eq!(push_status(&h, "ID1").await.status(), 204);
    assert_eq!(fault_counts(&h.counts().await, 0), (1, 1));
}

#[tokio::test]
async fn http_500_on_every_third_pull() {
    let h = start_with(scenario_with(
        r#"
[[storing]]
soort = "http-fout"
api = ["pull"]
status = 500
elke = 3
"#,
    ))
    .await;
    let c = h.client(PROVIDER);
    let mut got = Vec::new();
    for _ in 0..6 {
        got.push(list_status(&h, &c).await);
    }
    assert_eq!(got, [200, 200, 500, 200, 200, 500]);
    assert_eq!(fault_counts(&h.counts().await, 0), (6, 2));
}

#[tokio::test]
async fn a_reset_closes_the_connection_without_a_response() {
    let h = start_with(scenario_with(
        r#"
[[storing]]
soort = "verbreek"
api = ["status"]
elke = 2
"#,
    ))
    .await;
    let c = h.client(PROVIDER);
    let url = h.status_url(&format!("traceerId={}", Uuid::new_v4()));
    let first = c.get(&url).send().await.expect("first");
    assert_eq!(first.status(), 200);
    let second = c.get(&url).send().await;
    let err = second.expect_err("the connection is closed without a response");
    assert!(!err.is_status(), "{err}");
    // The next request (on a new connection) is served again.
    assert_eq!(c.get(&url).send().await.expect("third").status(), 200);
    assert_eq!(fault_counts(&h.counts().await, 0), (3, 1));
}

#[tokio::test]
async fn a_slow_response_takes_at_least_the_delay() {
    let h = start_with(scenario_with(
        r#"
[[storing]]
soort = "traag"
api = ["pull"]
vertraging_ms = 300
"#,
    ))
    .await;
    let c = h.client(PROVIDER);
    let began = Instant::now();
    assert_eq!(list_status(&h, &c).await, 200);
    assert!(began.elapsed() >= Duration::from_millis(300));
    assert_eq!(fault_counts(&h.counts().await, 0), (1, 1));
}

#[tokio::test]
async fn the_handshake_of_a_configured_certificate_is_refused() {
    let h = start_with(scenario_with(
        r#"
[[storing]]
soort = "handdruk-weigering"
certificaten = ["87654321"]
"#,
    ))
    .await;
    let refused = h.client(OTHER_PROVIDER).get(h.pull_url("")).send().await;
    let err = refused.expect_err("handshake refused");
    assert!(err.is_connect() || err.is_request(), "{err}");
    assert_eq!(list_status(&h, &h.client(PROVIDER)).await, 200);
    let (_, refusals) = fault_counts(&h.counts().await, 0);
    assert!(refusals >= 1);
}

#[tokio::test]
async fn a_maintenance_window_answers_503_with_retry_after() {
    let h = start_with(scenario_with(
        r#"
[[storing]]
soort = "onderhoud"
van = "2025-04-02T08:00:00Z"
tot = "2025-04-02T10:00:00Z"
"#,
    ))
    .await;
    let c = h.client(PROVIDER);
    let r = push_status(&h, "ID1").await;
    assert_eq!(r.status(), 503);
    // Frozen clock: Retry-After in simulated seconds, until 10:00.
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("7200")
    );
    assert_eq!(list_status(&h, &c).await, 503);
    let r = c
        .get(h.status_url(&format!("traceerId={}", Uuid::new_v4())))
        .send()
        .await
        .expect("status");
    assert_eq!(r.status(), 503);
    // The admin API stays up; after 10:00 everything works again.
    h.advance(2 * 3600).await;
    assert_eq!(list_status(&h, &c).await, 200);
    assert_eq!(push_status(&h, "ID1").await.status(), 204);
}

#[tokio::test]
async fn a_missing_answer_never_comes() {
    let h = start_with(scenario_with(
        r#"
[[storing]]
soort = "geen-antwoord"
berichten = ["301"]
"#,
    ))
    .await;
    push_315(&h, "ID1").await;
    h.advance(10 * DAY).await;
    let listed: Vec<String> = listing(&h).await.iter().map(subtype_of).collect();
    assert_eq!(listed, ["JW316"]);
    let counts = h.counts().await;
    assert_eq!(counts["gemeentebot"]["weggelaten"]["JW301"], 1);
    assert_eq!(counts["gemeentebot"]["gepland"], 0);
}

#[tokio::test]
async fn a_late_answer_comes_after_the_extra_working_days() {
    let h = start_with(scenario_with(
        r#"
[[storing]]
soort = "te-laat"
berichten = ["JW316"]
extra_werkdagen = 3
"#,
    ))
    .await;
    push_315(&h, "ID1").await;
    // Wednesday + 2 working days: the 301 (2 days) is there, the 316 (1 + 3 days) is not.
    h.advance(2 * DAY + 600).await;
    let listed: Vec<String> = listing(&h).await.iter().map(subtype_of).collect();
    assert_eq!(listed, ["JW301"]);
    // Four working days after Wednesday 2 April is Tuesday 8 April.
    h.advance(4 * DAY).await;
    let mut listed: Vec<String> = listing(&h).await.iter().map(subtype_of).collect();
    listed.sort();
    assert_eq!(listed, ["JW301", "JW316"]);
}

#[tokio::test]
async fn a_second_325_for_the_same_323() {
    let h = start_with(scenario_with(
        r#"
[[storing]]
soort = "dubbel-325"
"#,
    ))
    .await;
    // Two days of 2025 later than the claim's Dagtekening (2 June), so the 325 may answer it.
    h.advance(62 * DAY).await;
    let t323 = push_323(&h, claim_323("DECL1", "D1", 100000001, 10, None)).await;
    h.advance(10 * DAY).await;
    let listed = listing(&h).await;
    assert_eq!(listed.len(), 2, "two 325s");
    let mut identificaties = Vec::new();
    let mut traceers = Vec::new();
    for item in &listed {
        assert_eq!(subtype_of(item), "JW325");
        assert_eq!(
            item["referentiegegevens"]["alsAntwoordOp"],
            t323.to_string()
        );
        traceers.push(item["referentiegegevens"]["traceerId"].to_string());
        let Content::DeclarationAnswer(a) = download(&h, item).await.content else {
            panic!("not a 325");
        };
        assert_eq!(a.header.declaratie_identificatie.identificatie.0, "DECL1");
        // No allocation 100000001 was sent: the line is rejected with TR338's 9338.
        let body = a.body.expect("DeclaratieAntwoord");
        assert_eq!(
            body.clienten[0].prestaties[0]
                .retour_codes
                .iter()
                .map(|c| c.code())
                .collect::<Vec<_>>(),
            ["9338"]
        );
        identificaties.push(a.header.heen.bericht_identificatie.identificatie.0);
    }
    assert_ne!(identificaties[0], identificaties[1]);
    assert_ne!(traceers[0], traceers[1]);
    assert_eq!(h.counts().await["gemeentebot"]["verzonden"]["JW325"], 2);
}

#[tokio::test]
async fn a_retour_without_als_antwoord_op() {
    let h = start_with(scenario_with(
        r#"
[[storing]]
soort = "zonder-als-antwoord-op"
berichten = ["316"]
"#,
    ))
    .await;
    let t315 = push_315(&h, "ID1").await;
    h.advance(3 * DAY).await;
    let listed = listing(&h).await;
    assert_eq!(listed.len(), 2);
    for item in &listed {
        let refs = &item["referentiegegevens"];
        match subtype_of(item).as_str() {
            "JW316" => assert!(refs.get("alsAntwoordOp").is_none(), "{refs}"),
            "JW301" => assert_eq!(refs["alsAntwoordOp"], t315.to_string()),
            other => panic!("unexpected {other}"),
        }
    }
}
