//! Answers below and beside the handlers, as VECOZO's OpenAPI files document them: malformed
//! query strings, JSON and multipart bodies, unknown paths and methods get a status code the
//! file documents (or the HTTP status that says what is wrong, outside the files' operations)
//! with a problem document (`application/json`, ValidationProblemDetails), never axum's
//! `text/plain` rejections; the payload download and the confirmation know only a bodiless
//! `404`; berichtstatus v2 is served with its own state names. `simulator/conformance/run.py`
//! checks the same with schemathesis against the files themselves.

use crate::common;

use common::*;
use ketenpoort_sim::pki::Validity;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const ZOEKPAD_TYPES: [&str; 3] = [
    "ZoekpadOpBerichtstroom",
    "ZoekpadOpConversatieId",
    "ZoekpadOpAlsAntwoordOp",
];

/// Asserts `r` is a problem document with `status` (content type application/json, the
/// fields of the files' ValidationProblemDetails with their types) and returns it.
async fn problem(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let content_type = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/json");
    let body: Value = r.json().await.expect("a JSON body");
    assert_eq!(body["status"], status, "{body}");
    for field in ["type", "title", "detail", "instance"] {
        assert!(body[field].is_string(), "{field} in {body}");
    }
    let errors = body["errors"].as_object().expect("errors is an object");
    for (key, messages) in errors {
        let messages = messages.as_array().expect("errors are arrays");
        assert!(
            !messages.is_empty() && messages.iter().all(Value::is_string),
            "{key}: {messages:?}"
        );
    }
    body
}

/// The messages of `errors[key]`, joined.
fn errors_of(body: &Value, key: &str) -> String {
    body["errors"][key]
        .as_array()
        .unwrap_or_else(|| panic!("no errors.{key} in {body}"))
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// No serde or axum wording in an error text.
fn assert_no_framework_words(text: &str) {
    for word in [
        "unknown variant",
        "at line",
        "Failed to deserialize",
        "duplicate field",
        "`",
    ] {
        assert!(!text.contains(word), "{word:?} in {text:?}");
    }
}

#[tokio::test]
async fn a_duplicated_query_parameter_is_a_problem_document_naming_it() {
    let h = start().await;
    let c = h.client(PROVIDER);
    let r = c
        .get(h.pull_url("?limit=null&limit=null"))
        .send()
        .await
        .expect("list");
    let body = problem(r, 400).await;
    assert_no_framework_words(&errors_of(&body, "limit"));

    let t = Uuid::new_v4();
    let r = c
        .get(h.status_url(&format!("traceerId={t}&traceerId={t}")))
        .send()
        .await
        .expect("status");
    let body = problem(r, 400).await;
    assert!(errors_of(&body, "traceerId").contains("only once"));
}

#[tokio::test]
async fn a_limit_that_is_no_number_is_a_problem_document() {
    let h = start().await;
    let c = h.client(PROVIDER);
    for query in ["?limit=abc", "?limit=0", "?limit=251", "?limit=%FF"] {
        let r = c.get(h.pull_url(query)).send().await.expect("list");
        let body = problem(r, 400).await;
        assert!(errors_of(&body, "limit").contains("250"), "{query}: {body}");
    }
    // Unknown parameters are ignored, as VECOZO's services do.
    let r = c
        .get(h.pull_url("?limit=5&onbekend=1"))
        .send()
        .await
        .expect("list");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_unknown_zoekpad_type_is_refused_listing_the_allowed_values() {
    let h = start().await;
    let c = h.client(PROVIDER);
    for zoekpad in [
        json!({ "zoekpadType": "" }),
        json!({ "zoekpadType": "ZoekpadOpTraceerId" }),
        json!({ "zoekpadType": 3 }),
        json!({}),
    ] {
        let r = c
            .post(h.pull_url("/zoeken"))
            .json(&zoekpad)
            .send()
            .await
            .expect("zoeken");
        let body = problem(r, 400).await;
        let text = errors_of(&body, "zoekpadType");
        for allowed in ZOEKPAD_TYPES {
            assert!(text.contains(allowed), "{allowed} not in {text:?}");
        }
        assert_no_framework_words(&text);
    }
}

#[tokio::test]
async fn a_zoekpad_is_checked_against_its_subtype() {
    let h = start().await;
    let c = h.client(PROVIDER);
    let cases = [
        (
            json!({ "zoekpadType": "ZoekpadOpConversatieId" }),
            "conversatieId",
        ),
        (
            json!({ "zoekpadType": "ZoekpadOpAlsAntwoordOp", "alsAntwoordOp": "0" }),
            "alsAntwoordOp",
        ),
        (
            // The hyphenless form is no `format: uuid`.
            json!({ "zoekpadType": "ZoekpadOpAlsAntwoordOp", "alsAntwoordOp": Uuid::new_v4().simple().to_string() }),
            "alsAntwoordOp",
        ),
        (
            json!({ "zoekpadType": "ZoekpadOpBerichtstroom", "berichttype": "" }),
            "berichttype",
        ),
        (
            json!({ "zoekpadType": "ZoekpadOpBerichtstroom", "berichttype": "JW", "berichtversie": 1000 }),
            "berichtversie",
        ),
        (
            json!({ "zoekpadType": "ZoekpadOpConversatieId", "conversatieId": Uuid::new_v4(), "berichttype": "JW" }),
            "berichttype",
        ),
    ];
    for (zoekpad, field) in cases {
        let r = c
            .post(h.pull_url("/zoeken"))
            .json(&zoekpad)
            .send()
            .await
            .expect("zoeken");
        let body = problem(r, 400).await;
        assert_no_framework_words(&errors_of(&body, field));
    }
    for not_json in ["", "[", "[]", "\"ZoekpadOpConversatieId\""] {
        let r = c
            .post(h.pull_url("/zoeken"))
            .header("content-type", "application/json")
            .body(not_json)
            .send()
            .await
            .expect("zoeken");
        let body = problem(r, 400).await;
        assert!(errors_of(&body, "zoekpad").contains("JSON object"));
    }
    // A complete subtype is answered.
    let r = c
        .post(h.pull_url("/zoeken"))
        .json(&json!({ "zoekpadType": "ZoekpadOpBerichtstroom", "berichttype": "JW", "berichtversie": 3, "geadresseerdeCode": PROVIDER }))
        .send()
        .await
        .expect("zoeken");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_push_that_is_not_readable_multipart_is_a_problem_document() {
    let h = start().await;
    let c = h.client(PROVIDER);
    // No body and no content type; a multipart content type without boundary; JSON.
    let requests = [
        c.post(h.push_url()),
        c.post(h.push_url())
            .header("content-type", "multipart/form-data")
            .body("--x\r\n"),
        c.post(h.push_url()).json(&json!({ "berichtMetadata": {} })),
    ];
    for request in requests {
        let body = problem(request.send().await.expect("push"), 400).await;
        assert_no_framework_words(&errors_of(&body, "multipart"));
    }
    // A part header with a control character makes the body unreadable too.
    let meta = metadata(PROVIDER, GEMEENTE, "JW315", Uuid::new_v4(), Uuid::new_v4());
    let mut body =
        b"--XyZ\r\nContent-Disposition: form-data; name=\"a\x03b\"\r\n\r\n{}\r\n".to_vec();
    body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"berichtMetadata\"\r\nContent-Type: application/json\r\n\r\n");
    body.extend_from_slice(meta.to_string().as_bytes());
    body.extend_from_slice(
        b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"payload\"; filename=\"p\"\r\n\r\n",
    );
    body.extend_from_slice(&request_315("ID0001"));
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let r = c
        .post(h.push_url())
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(body)
        .send()
        .await
        .expect("push");
    problem(r, 400).await;
}

#[tokio::test]
async fn an_empty_payload_is_refused_with_brs14() {
    let h = start().await;
    let meta = metadata(PROVIDER, GEMEENTE, "JW315", Uuid::new_v4(), Uuid::new_v4());
    let r = h.push(&h.client(PROVIDER), &meta, Vec::new()).await;
    let body = problem(r, 422).await;
    assert!(body["errors"]["BRS14"].is_array(), "{body}");
}

#[tokio::test]
async fn the_status_needs_exactly_one_parameter() {
    let h = start().await;
    let c = h.client(PROVIDER);
    let t = Uuid::new_v4();
    for (query, field) in [
        (String::new(), "traceerId"),
        (format!("traceerId={t}&conversatieId={t}"), "conversatieId"),
        ("traceerId=0".to_owned(), "traceerId"),
        (format!("conversatieId={}", t.simple()), "conversatieId"),
    ] {
        let r = c.get(h.status_url(&query)).send().await.expect("status");
        let body = problem(r, 400).await;
        assert_no_framework_words(&errors_of(&body, field));
    }
}

#[tokio::test]
async fn berichtstatus_v2_is_served_with_its_own_state_names() {
    let h = start().await;
    let c = h.client(PROVIDER);
    let t = push_315(&h, "ID0001").await;
    let v2 = |query: String| {
        c.get(h.url(&format!(
            "/berichtenservice/berichtstatus/rest-pull/v2/berichtstatussen?{query}"
        )))
        .send()
    };
    let r = v2(format!("traceerId={t}")).await.expect("v2");
    assert_eq!(r.status(), 200);
    let list: Vec<Value> = r.json().await.expect("json");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["berichtstatus"], "Ontvangen");
    assert_eq!(list[0]["referentiegegevens"]["traceerId"], t.to_string());
    // Through the ketencontrole until the message waits for the municipality: v3 says
    // WordtAangeboden, v2 Aangeboden.
    h.advance(5 + 120 + 5).await;
    assert_eq!(
        h.status_of(&c, t).await[0]["berichtstatus"],
        "WordtAangeboden"
    );
    let list: Vec<Value> = v2(format!("traceerId={t}"))
        .await
        .expect("v2")
        .json()
        .await
        .expect("json");
    assert_eq!(list[0]["berichtstatus"], "Aangeboden");
    // Its refusals are the same problem documents.
    let body = problem(v2(String::new()).await.expect("v2"), 400).await;
    errors_of(&body, "traceerId");
}

#[tokio::test]
async fn unknown_paths_and_methods_get_a_problem_document() {
    let h = start().await;
    let c = h.client(PROVIDER);
    for path in [
        "/",
        "/berichtenservice/berichten/rest-push/v1/onbekend",
        "/berichtenservice/berichtstatus/rest-pull/v4/berichtstatussen",
        "/berichtenservice/berichten/rest-pull/v1/berichten/x/y/payload",
    ] {
        let r = c.get(h.url(path)).send().await.expect("get");
        let body = problem(r, 404).await;
        assert_eq!(body["instance"], path);
    }
    let r = c.delete(h.push_url()).send().await.expect("delete");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        r.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let body = problem(r, 405).await;
    assert_eq!(body["title"], "Method Not Allowed");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("DELETE")
    );
    let r = c.put(h.pull_url("")).send().await.expect("put");
    assert_eq!(
        r.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET,HEAD")
    );
    problem(r, 405).await;
}

#[tokio::test]
async fn payload_and_confirmation_know_only_a_bodiless_404() {
    let h = start().await;
    let c = h.client(PROVIDER);
    let stranger = h
        .config
        .pki
        .issue_client("stranger", Validity::Normal)
        .expect("certificate");
    let stranger = client_with(&h.config.pki.ca_pem, Some(&stranger));
    // A 316 ready for PROVIDER: a certificate of no indiener gets 404 on it, as on anything.
    let ready = Uuid::new_v4();
    let m = gemeente_metadata(GEMEENTE, PROVIDER, "JW316", ready, Some(Uuid::new_v4()));
    assert_eq!(
        h.push_as_gemeente(&m, retour_316("RET1")).await.status(),
        204
    );
    h.advance(3600).await;
    let ready = ready.to_string();
    let unknown = Uuid::new_v4().to_string();
    for (client, id) in [
        (&c, "%FF"),
        (&c, "geen-uuid"),
        (&c, unknown.as_str()),
        (&stranger, ready.as_str()),
    ] {
        for r in [
            client.get(h.pull_url(&format!("/{id}/payload"))),
            client.delete(h.pull_url(&format!("/{id}"))),
        ] {
            let r = r.send().await.expect("request");
            assert_eq!(r.status(), 404, "{id}");
            assert!(r.headers().get("content-type").is_none(), "{id}");
            assert!(r.bytes().await.expect("body").is_empty(), "{id}");
        }
    }
    // The provider itself may download and confirm it.
    let r = c.get(h.pull_url(&format!("/{ready}/payload"))).send().await;
    assert_eq!(r.expect("payload").status(), 200);
    let r = c.delete(h.pull_url(&format!("/{ready}"))).send().await;
    assert_eq!(r.expect("confirm").status(), 202);
}

/// VECOZO's OpenAPI files (`../shared/standards/vecozo` beside the repository, or
/// `$KETENPOORT_STANDARDS_DIR/vecozo`); `None` means skip, unless
/// `KETENPOORT_REQUIRE_STANDARDS=1`.
fn vecozo_spec(test: &str, file: &str) -> Option<Value> {
    let dir = std::env::var_os("KETENPOORT_STANDARDS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/standards")
        })
        .join("vecozo");
    match std::fs::read(dir.join(file)) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("the spec is JSON")),
        Err(_) if std::env::var("KETENPOORT_REQUIRE_STANDARDS").as_deref() == Ok("1") => {
            panic!(
                "{test}: {file} is missing in {} but KETENPOORT_REQUIRE_STANDARDS=1",
                dir.display()
            )
        }
        Err(_) => {
            eprintln!("{test}: skipped, no {file} in {}", dir.display());
            None
        }
    }
}

#[test]
fn every_state_has_a_name_of_the_version_it_is_shown_in() {
    use ketenpoort_sim::wire::{Berichtstatus, BerichtstatusV2};
    let test = "every_state_has_a_name_of_the_version_it_is_shown_in";
    let (Some(v2), Some(v3)) = (
        vecozo_spec(test, "vsp-koppeling-berichtstatus-rest-pull-v2.json"),
        vecozo_spec(test, "vsp-koppeling-berichtstatus-rest-pull-v3.json"),
    ) else {
        return;
    };
    let names = |spec: &Value| -> Vec<String> {
        spec["components"]["schemas"]["Berichtstatus"]["enum"]
            .as_array()
            .expect("enum")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let (v2_names, v3_names) = (names(&v2), names(&v3));
    for name in &v3_names {
        let state: Berichtstatus =
            serde_json::from_value(json!(name)).expect("every v3 state is simulated");
        let shown = serde_json::to_value(BerichtstatusV2::from(state)).expect("json");
        assert!(
            v2_names.iter().any(|n| shown == json!(n)),
            "{name} is shown in v2 as {shown}, which v2 does not have"
        );
        if v2_names.contains(name) {
            assert_eq!(shown, json!(name), "a state v2 has keeps its name");
        }
    }
    assert_eq!(
        serde_json::to_value(BerichtstatusV2::from(Berichtstatus::WordtAangeboden)).expect("json"),
        json!("Aangeboden")
    );
}
