//! Every example under `client-sdk/examples/` is compiled into this test (its `run`
//! function, by `#[path]`) and run against a dev-mode gateway started in-process: the
//! examples are the SDK's documentation, and this keeps them working.

mod common;

#[path = "../examples/care_start.rs"]
#[allow(dead_code)]
mod care_start;
#[path = "../examples/care_stop.rs"]
#[allow(dead_code)]
mod care_stop;
#[path = "../examples/change_request.rs"]
#[allow(dead_code)]
mod change_request;
#[path = "../examples/declaration.rs"]
#[allow(dead_code)]
mod declaration;
#[path = "../examples/request_for_allocation.rs"]
#[allow(dead_code)]
mod request_for_allocation;
#[path = "../examples/returns.rs"]
#[allow(dead_code)]
mod returns;
#[path = "../examples/violations.rs"]
#[allow(dead_code)]
mod violations;

use std::time::Duration;

use ketenpoort_client::{MessageState, Submitted};

/// The submit was stored and can be fetched with its XML.
async fn assert_queued(client: &ketenpoort_client::Client, s: &Submitted, kind: &str) {
    assert_eq!(s.response.kind, kind, "{s:?}");
    assert!(!s.response.message_id.is_empty());
    assert_eq!(s.request_id.len(), 36, "a generated UUID: {}", s.request_id);
    let record = client
        .get_message(s.response.message_id.clone())
        .await
        .expect("stored");
    assert!(record.xml.contains("<"), "the XML sent");
    assert_eq!(record.kind, kind);
    assert_eq!(record.request_id, s.request_id);
}

#[tokio::test]
async fn the_request_for_allocation_example_submits_a_jw315() {
    let gw = common::start_dev().await;
    let client = gw.client().await;
    let s = request_for_allocation::run(&client)
        .await
        .expect("accepted");
    assert_queued(&client, &s, "JW315").await;
    gw.stop().await;
}

#[tokio::test]
async fn the_declaration_example_submits_a_jw323() {
    let gw = common::start_dev().await;
    let client = gw.client().await;
    let s = declaration::run(&client).await.expect("accepted");
    assert_queued(&client, &s, "JW323").await;
    assert_eq!(s.response.declaration_numbers.len(), 1);
    gw.stop().await;
}

#[tokio::test]
async fn the_care_start_example_submits_a_wmo305() {
    let gw = common::start_dev().await;
    let client = gw.client().await;
    let s = care_start::run(&client).await.expect("accepted");
    assert_queued(&client, &s, "WMO305").await;
    gw.stop().await;
}

#[tokio::test]
async fn the_care_stop_example_submits_a_jw307() {
    let gw = common::start_dev().await;
    let client = gw.client().await;
    let s = care_stop::run(&client).await.expect("accepted");
    assert_queued(&client, &s, "JW307").await;
    gw.stop().await;
}

#[tokio::test]
async fn the_change_request_example_submits_a_jw317() {
    let gw = common::start_dev().await;
    let client = gw.client().await;
    let s = change_request::run(&client).await.expect("accepted");
    assert_queued(&client, &s, "JW317").await;
    gw.stop().await;
}

#[tokio::test]
async fn the_violations_example_gets_typed_violations() {
    let gw = common::start_dev().await;
    let client = gw.client().await;
    let violations = violations::run(&client).await.expect("a refusal");
    let bsn = violations
        .iter()
        .find(|v| v.field == "client.bsn")
        .unwrap_or_else(|| panic!("a violation on client.bsn: {violations:?}"));
    assert_eq!(bsn.rule, "CS002", "{bsn:?}");
    assert_eq!(bsn.retourcode.as_deref(), Some("0001"));
    assert!(bsn.description.contains("11-proef"), "{bsn:?}");
    gw.stop().await;
}

#[tokio::test]
async fn the_returns_example_sees_its_message_delivered_and_acks_it() {
    let gw = common::start_dev().await;
    let client = gw.client().await;
    let event = returns::run(&client, Duration::from_secs(20))
        .await
        .expect("delivered");
    let record = client
        .get_message(event.message_id.clone())
        .await
        .expect("stored");
    assert_eq!(record.state, MessageState::Delivered as i32);
    // Acknowledged: a new stream from the default position starts after it.
    assert_eq!(
        client.ack_returns(1).await.expect("ack"),
        event.cursor,
        "the acked cursor never moves back"
    );
    gw.stop().await;
}
