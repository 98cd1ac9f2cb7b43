//! Pull: listings of at most `limit`, payloads with the listed SHA-256, DELETE confirms, and
//! unconfirmed messages come back.

use crate::common;

use common::*;
use serde_json::Value;
use uuid::Uuid;

/// Three header-only 316s from the municipality to PROVIDER, offered after the ketencontrole.
async fn three_ready(h: &Harness) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for i in 0..3 {
        let t = Uuid::new_v4();
        let m = gemeente_metadata(GEMEENTE, PROVIDER, "JW316", t, Some(Uuid::new_v4()));
        let r = h.push_as_gemeente(&m, retour_316(&format!("RET{i}"))).await;
        assert_eq!(r.status(), 204);
        ids.push(t);
        h.advance(1).await;
    }
    h.advance(3600).await;
    ids
}

async fn list(h: &Harness, client: &reqwest::Client, query: &str) -> Vec<Value> {
    let r = client.get(h.pull_url(query)).send().await.expect("list");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

fn traceer(v: &Value) -> String {
    v["referentiegegevens"]["traceerId"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn listing_respects_limit_and_is_oldest_first() {
    let h = start().await;
    let ids = three_ready(&h).await;
    let c = h.client(PROVIDER);
    let two = list(&h, &c, "?limit=2").await;
    assert_eq!(two.len(), 2);
    assert_eq!(traceer(&two[0]), ids[0].to_string());
    assert_eq!(traceer(&two[1]), ids[1].to_string());
    assert_eq!(list(&h, &c, "").await.len(), 3);
    let r = c.get(h.pull_url("?limit=251")).send().await.expect("list");
    assert_eq!(r.status(), 400);
    // Another provider sees nothing of it.
    assert!(list(&h, &h.client(OTHER_PROVIDER), "").await.is_empty());
}

#[tokio::test]
async fn the_payload_checksum_is_the_listed_sha256() {
    let h = start().await;
    three_ready(&h).await;
    let c = h.client(PROVIDER);
    for item in list(&h, &c, "").await {
        let url = item["basisgegevens"]["payload"]["url"]
            .as_str()
            .expect("url")
            .to_owned();
        assert!(url.starts_with("https://localhost:"), "{url}");
        let r = c.get(&url).send().await.expect("payload");
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.expect("bytes");
        let sum = ketenpoort_sim::sim::sha256_hex(&bytes);
        assert_eq!(
            item["basisgegevens"]["payload"]["checksum"]["algoritme"],
            "SHA256"
        );
        assert_eq!(item["basisgegevens"]["payload"]["checksum"]["waarde"], sum);
        assert_eq!(item["basisgegevens"]["payload"]["grootte"], bytes.len());
    }
}

#[tokio::test]
async fn delete_confirms_and_unconfirmed_messages_come_back() {
    let h = start().await;
    let ids = three_ready(&h).await;
    let c = h.client(PROVIDER);
    // Listing twice without confirming gives the same messages again.
    assert_eq!(
        list(&h, &c, "?limit=1")
            .await
            .iter()
            .map(traceer)
            .collect::<Vec<_>>(),
        vec![ids[0].to_string()]
    );
    assert_eq!(
        list(&h, &c, "?limit=1")
            .await
            .iter()
            .map(traceer)
            .collect::<Vec<_>>(),
        vec![ids[0].to_string()]
    );
    let r = c
        .delete(h.pull_url(&format!("/{}", ids[0])))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 202);
    assert_eq!(
        list(&h, &c, "?limit=1")
            .await
            .iter()
            .map(traceer)
            .collect::<Vec<_>>(),
        vec![ids[1].to_string()]
    );
    // Confirmed: gone, a second DELETE and the payload are 404.
    let r = c
        .delete(h.pull_url(&format!("/{}", ids[0])))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 404);
    let r = c
        .get(h.pull_url(&format!("/{}/payload", ids[0])))
        .send()
        .await
        .expect("payload");
    assert_eq!(r.status(), 404);
    // Someone else's DELETE is 404 and changes nothing.
    let r = h
        .client(OTHER_PROVIDER)
        .delete(h.pull_url(&format!("/{}", ids[1])))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 404);
    let counts = h.counts().await;
    assert_eq!(counts["perTraceerId"][ids[0].to_string()]["bevestigd"], 1);
    assert_eq!(
        counts["perTraceerId"][ids[0].to_string()]["status"],
        "Bezorgd"
    );
    assert_eq!(counts["perTraceerId"][ids[1].to_string()]["bevestigd"], 0);
}

#[tokio::test]
async fn zoeken_by_als_antwoord_op_and_berichtstroom() {
    let h = start().await;
    let heen = Uuid::new_v4();
    let t = Uuid::new_v4();
    let m = gemeente_metadata(GEMEENTE, PROVIDER, "JW316", t, Some(heen));
    assert_eq!(
        h.push_as_gemeente(&m, retour_316("RETX")).await.status(),
        204
    );
    three_ready(&h).await;
    let c = h.client(PROVIDER);
    let found: Vec<Value> = c
        .post(h.pull_url("/zoeken"))
        .json(
            &serde_json::json!({ "zoekpadType": "ZoekpadOpAlsAntwoordOp", "alsAntwoordOp": heen }),
        )
        .send()
        .await
        .expect("zoeken")
        .json()
        .await
        .expect("json");
    assert_eq!(
        found.iter().map(traceer).collect::<Vec<_>>(),
        vec![t.to_string()]
    );
    let found: Vec<Value> = c
        .post(h.pull_url("/zoeken?limit=2"))
        .json(&serde_json::json!({ "zoekpadType": "ZoekpadOpBerichtstroom", "berichttype": "JW", "geadresseerdeCode": PROVIDER }))
        .send().await.expect("zoeken").json().await.expect("json");
    assert_eq!(found.len(), 2);
}
