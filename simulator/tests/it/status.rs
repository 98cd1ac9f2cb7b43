//! Berichtstatus v3: the transitions of a valid message up to Bezorgd, AfgekeurdDoorDienst
//! with BRS13 (XSD) and BRS28 (in-message rules), queries by traceerId and conversatieId.

use crate::common;

use common::*;
use serde_json::Value;
use uuid::Uuid;

async fn state(h: &Harness, t: Uuid) -> Value {
    let list = h.status_of(&h.client(PROVIDER), t).await;
    assert_eq!(list.len(), 1, "{list:?}");
    list[0].clone()
}

#[tokio::test]
async fn a_valid_message_goes_to_bezorgd() {
    let h = start().await;
    let t = Uuid::new_v4();
    let m = metadata(PROVIDER, GEMEENTE, "JW315", t, Uuid::new_v4());
    assert_eq!(
        h.push(&h.client(PROVIDER), &m, request_315("ID0001"))
            .await
            .status(),
        204
    );
    assert_eq!(state(&h, t).await["berichtstatus"], "Ontvangen");
    h.advance(5).await;
    assert_eq!(state(&h, t).await["berichtstatus"], "WordtVerwerkt");
    h.advance(120).await;
    assert_eq!(state(&h, t).await["berichtstatus"], "VerwerkingVoltooid");
    h.advance(5).await;
    assert_eq!(state(&h, t).await["berichtstatus"], "WordtAangeboden");
    h.advance(60).await;
    let s = state(&h, t).await;
    assert_eq!(s["berichtstatus"], "Bezorgd");
    assert!(s.get("meldingen").is_none());
    assert_eq!(s["berichtstroom"]["berichtsubtype"], "JW315");
    assert_eq!(s["referentiegegevens"]["traceerId"], t.to_string());
    let counts = h.counts().await;
    assert_eq!(
        counts["perTraceerId"][t.to_string()]["geschiedenis"],
        serde_json::json!([
            "Ontvangen",
            "WordtVerwerkt",
            "VerwerkingVoltooid",
            "WordtAangeboden",
            "Bezorgd"
        ])
    );
}

#[tokio::test]
async fn an_xsd_invalid_message_is_afgekeurd_with_brs13() {
    let h = start().await;
    let t = Uuid::new_v4();
    let m = metadata(PROVIDER, GEMEENTE, "JW315", t, Uuid::new_v4());
    let bad = String::from_utf8(request_315("ID0001"))
        .expect("utf8")
        .replace(">446<", ">999<");
    assert_eq!(
        h.push(&h.client(PROVIDER), &m, bad.into_bytes())
            .await
            .status(),
        204
    );
    h.advance(3600).await;
    let s = state(&h, t).await;
    assert_eq!(s["berichtstatus"], "AfgekeurdDoorDienst");
    assert_eq!(s["meldingen"][0]["code"], "BRS13");
    assert!(
        s["meldingen"][0]["toelichting"]
            .as_str()
            .unwrap_or_default()
            .contains("BerichtCode")
    );
}

#[tokio::test]
async fn a_rule_invalid_message_is_afgekeurd_with_brs28() {
    let h = start().await;
    let t = Uuid::new_v4();
    let m = metadata(PROVIDER, GEMEENTE, "JW315", t, Uuid::new_v4());
    // 123456789 fails the eleven test (CS002) but is schema-valid.
    let payload = xml(&request_315_model(PROVIDER, "ID0001", "123456789"));
    assert_eq!(h.push(&h.client(PROVIDER), &m, payload).await.status(), 204);
    h.advance(3600).await;
    let s = state(&h, t).await;
    assert_eq!(s["berichtstatus"], "AfgekeurdDoorDienst");
    assert_eq!(s["meldingen"][0]["code"], "BRS28");
    assert!(
        s["meldingen"][0]["toelichting"]
            .as_str()
            .unwrap_or_default()
            .contains("CS002")
    );
    // The toelichting never quotes the BSN.
    assert!(!s.to_string().contains("123456789"));
}

#[tokio::test]
async fn query_by_conversatie_id_and_by_als_antwoord_op() {
    let h = start().await;
    let conv = Uuid::new_v4();
    let (t1, t2) = (Uuid::new_v4(), Uuid::new_v4());
    let c = h.client(PROVIDER);
    assert_eq!(
        h.push(
            &c,
            &metadata(PROVIDER, GEMEENTE, "JW315", t1, conv),
            request_315("ID0001")
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        h.push(
            &c,
            &metadata(PROVIDER, GEMEENTE, "JW315", t2, conv),
            request_315("ID0002")
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        h.push(
            &c,
            &metadata(PROVIDER, GEMEENTE, "JW315", Uuid::new_v4(), Uuid::new_v4()),
            request_315("ID0003")
        )
        .await
        .status(),
        204
    );
    let r = c
        .get(h.status_url(&format!("conversatieId={conv}")))
        .send()
        .await
        .expect("status");
    let list: Vec<Value> = r.json().await.expect("json");
    assert_eq!(list.len(), 2);
    // A retour from the municipality answering t1 shows up under t1.
    let answer = Uuid::new_v4();
    let m = gemeente_metadata(GEMEENTE, PROVIDER, "JW316", answer, Some(t1));
    assert_eq!(
        h.push_as_gemeente(&m, retour_316("RET1")).await.status(),
        204
    );
    let list = h.status_of(&c, t1).await;
    assert_eq!(list.len(), 2);
    // Exactly one parameter is required; another provider sees nothing.
    let r = c.get(h.status_url("")).send().await.expect("status");
    assert_eq!(r.status(), 400);
    assert!(h.status_of(&h.client(OTHER_PROVIDER), t1).await.is_empty());
}
