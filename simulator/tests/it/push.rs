//! Push: 204 on a valid message, 400 on a malformed request, 422 naming the code for each
//! ontvangstcontrole failure.

use crate::common;

use common::*;
use ketenpoort_sim::Scenario;
use serde_json::Value;
use uuid::Uuid;

async fn refused_with(
    h: &Harness,
    client: &reqwest::Client,
    meta: &Value,
    payload: Vec<u8>,
) -> String {
    let r = h.push(client, meta, payload).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["status"], 422);
    let errors = body["errors"].as_object().expect("errors");
    assert_eq!(errors.len(), 1, "{body}");
    let code = errors.keys().next().cloned().unwrap_or_default();
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&code)
    );
    code
}

fn meta() -> Value {
    metadata(PROVIDER, GEMEENTE, "JW315", Uuid::new_v4(), Uuid::new_v4())
}

#[tokio::test]
async fn a_valid_message_is_accepted_with_204_and_dumped() {
    let h = start().await;
    let r = h
        .push(&h.client(PROVIDER), &meta(), request_315("ID0001"))
        .await;
    assert_eq!(r.status(), 204);
    let counts = h.counts().await;
    assert_eq!(counts["perStatus"]["Ontvangen"], 1);
}

#[tokio::test]
async fn a_vendor_with_a_toestemmingsverklaring_may_submit() {
    let h = start().await;
    let r = h
        .push(&h.client("softwarehuis"), &meta(), request_315("ID0001"))
        .await;
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn missing_payload_part_is_400() {
    let h = start().await;
    let form = reqwest::multipart::Form::new().text("berichtMetadata", meta().to_string());
    let r = h
        .client(PROVIDER)
        .post(h.push_url())
        .multipart(form)
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert!(body["errors"]["payload"].is_array(), "{body}");
}

#[tokio::test]
async fn brs01_unknown_afzender_or_wrong_rol() {
    let h = start().await;
    let mut m = meta();
    m["routeringgegevens"]["afzender"]["rol"] = "Zorgverlener".into();
    assert_eq!(
        refused_with(&h, &h.client(PROVIDER), &m, request_315("ID0001")).await,
        "BRS01"
    );
}

#[tokio::test]
async fn brs03_indiener_without_toestemming() {
    let h = start().await;
    assert_eq!(
        refused_with(
            &h,
            &h.client(OTHER_PROVIDER),
            &meta(),
            request_315("ID0001")
        )
        .await,
        "BRS03"
    );
}

#[tokio::test]
async fn brs04_geadresseerde_not_connected() {
    let h = start().await;
    let m = metadata(PROVIDER, "0209", "JW315", Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(
        refused_with(&h, &h.client(PROVIDER), &m, request_315("ID0001")).await,
        "BRS04"
    );
}

#[tokio::test]
async fn brs05_geadresseerde_wrong_rol_or_kind() {
    let h = start().await;
    let mut m = meta();
    m["routeringgegevens"]["geadresseerden"][0]["rol"] = "Instelling".into();
    assert_eq!(
        refused_with(&h, &h.client(PROVIDER), &m, request_315("ID0001")).await,
        "BRS05"
    );
    // 1945 receives iJw only.
    let m = metadata(PROVIDER, "1945", "WMO315", Uuid::new_v4(), Uuid::new_v4());
    let wmo = String::from_utf8(request_315("ID0002"))
        .expect("utf8")
        .replace("ijw/3_2", "iwmo/3_2")
        .replace("jw315", "wmo315")
        .replace("<jw315:", "<wmo315:");
    assert_eq!(
        refused_with(&h, &h.client(PROVIDER), &m, wmo.into_bytes()).await,
        "BRS05"
    );
}

#[tokio::test]
async fn brs06_payload_too_large() {
    let mut scenario = Scenario::default();
    scenario.simulator.max_payload_bytes = 1000;
    let h = start_with(scenario).await;
    assert_eq!(
        refused_with(&h, &h.client(PROVIDER), &meta(), request_315("ID0001")).await,
        "BRS06"
    );
}

#[tokio::test]
async fn brs14_not_well_formed() {
    let h = start().await;
    let payload = b"<Bericht><Header><Afzender>12345678</Afzender>".to_vec();
    assert_eq!(
        refused_with(&h, &h.client(PROVIDER), &meta(), payload).await,
        "BRS14"
    );
}

#[tokio::test]
async fn brs20_identificatie_reused_for_the_same_kind() {
    let h = start().await;
    let c = h.client(PROVIDER);
    assert_eq!(
        h.push(&c, &meta(), request_315("ID0001")).await.status(),
        204
    );
    assert_eq!(
        refused_with(&h, &c, &meta(), request_315("ID0001")).await,
        "BRS20"
    );
}

#[tokio::test]
async fn brs26_payload_afzender_differs_from_envelope() {
    let h = start().await;
    let m = metadata(
        OTHER_PROVIDER,
        GEMEENTE,
        "JW315",
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    assert_eq!(
        refused_with(&h, &h.client(OTHER_PROVIDER), &m, request_315("ID0001")).await,
        "BRS26"
    );
}

#[tokio::test]
async fn brs114_traceer_id_reused_by_the_same_agb() {
    let h = start().await;
    let c = h.client(PROVIDER);
    let m = meta();
    assert_eq!(h.push(&c, &m, request_315("ID0001")).await.status(), 204);
    assert_eq!(
        refused_with(&h, &c, &m, request_315("ID0002")).await,
        "BRS114"
    );
    let counts = h.counts().await;
    let t = m["referentiegegevens"]["traceerId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(counts["perTraceerId"][&t]["geaccepteerd"], 1);
    assert_eq!(counts["perTraceerId"][&t]["geweigerd"][0], "BRS114");
}

#[tokio::test]
async fn a_retour_without_als_antwoord_op_is_refused_and_with_it_accepted() {
    let h = start().await;
    let c = h.client(PROVIDER);
    let m = metadata(PROVIDER, GEMEENTE, "JW302", Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(
        refused_with(&h, &c, &m, retour_302("RET001")).await,
        "IB021"
    );
    let mut m = metadata(PROVIDER, GEMEENTE, "JW302", Uuid::new_v4(), Uuid::new_v4());
    m["referentiegegevens"]["alsAntwoordOp"] = Uuid::new_v4().to_string().into();
    assert_eq!(h.push(&c, &m, retour_302("RET001")).await.status(), 204);
}

/// `examples/JW315.xml` (used in the README session) is this harness's valid 315; run with
/// `UPDATE_EXAMPLES=1` to rewrite it.
#[tokio::test]
async fn the_readme_example_message_is_the_valid_315() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/JW315.xml");
    let expected = request_315("KP000001");
    if std::env::var_os("UPDATE_EXAMPLES").is_some() {
        std::fs::write(&path, &expected).expect("write example");
    }
    assert_eq!(std::fs::read(&path).expect("example"), expected);
}
