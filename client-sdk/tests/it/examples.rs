//! Every example under `client-sdk/examples/` is compiled into this test (its `run`
//! function, by `#[path]`) and run twice against one gateway configured as
//! `ketenpoort serve --dev` is — the built-in simulator answering, the cross-message rules
//! on — started in-process on a free port: the examples are the SDK's documentation, and
//! this keeps them working against what a reader runs, the second time too.

// Every example that needs an allocation includes request_for_allocation.rs by `#[path]`, as
// it must to compile on its own; here they all meet.
#![allow(clippy::duplicate_mod)]

use crate::common;

#[path = "../../examples/care_start.rs"]
#[allow(dead_code)]
mod care_start;
#[path = "../../examples/care_stop.rs"]
#[allow(dead_code)]
mod care_stop;
#[path = "../../examples/change_request.rs"]
#[allow(dead_code)]
mod change_request;
#[path = "../../examples/declaration.rs"]
#[allow(dead_code)]
mod declaration;
#[path = "../../examples/request_for_allocation.rs"]
#[allow(dead_code)]
mod request_for_allocation;
#[path = "../../examples/returns.rs"]
#[allow(dead_code)]
mod returns;
#[path = "../../examples/violations.rs"]
#[allow(dead_code)]
mod violations;

use std::time::Duration;

use ketenpoort::config::Config;
use ketenpoort::server::Gateway;
use ketenpoort_client::{Client, Submitted};

/// A gateway as `ketenpoort serve --dev` runs it (simulator, cross-message rules on), on a
/// free port and the data directory `dir`.
async fn start_dev(dir: tempfile::TempDir) -> common::DevGateway {
    let mut config = Config::dev();
    config.server.data_dir = dir.path().to_owned();
    assert!(config.messages.cross_message_rules);
    let gateway = Gateway::open(config).expect("gateway opens");
    let listener = common::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await;
    common::DevGateway::serve(gateway, listener, dir)
}

/// The submit was stored and can be fetched with its XML.
async fn assert_queued(client: &Client, s: &Submitted, kind: &str) {
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

#[tokio::test(flavor = "multi_thread")]
async fn every_example_succeeds_against_serve_dev_and_again_a_second_time() {
    let mut dir = tempfile::tempdir().expect("temp dir");
    for run in 1..=2 {
        // The second run on a restarted gateway with the first one's data, as a reader who
        // runs the README's block again.
        let gw = start_dev(dir).await;
        let client = gw.client().await;
        let s = request_for_allocation::run(&client)
            .await
            .unwrap_or_else(|e| panic!("run {run}: {e}"));
        assert_queued(&client, &s, "JW315").await;
        // The examples that need an allocation each wait for a 301 (about 6.5 s after their
        // 315 in the dev scenario: the simulated ketencontrole passes it and the answer in
        // about three seconds each); they are independent (each its own made-up cliënt), so
        // they run side by side instead of one after the other.
        let (start, stop, change, declaration, event) = tokio::join!(
            care_start::run(&client),
            care_stop::run(&client),
            change_request::run(&client),
            declaration::run(&client),
            returns::run(&client, Duration::from_secs(60)),
        );
        let s = start.unwrap_or_else(|e| panic!("run {run}: care_start: {e}"));
        assert_queued(&client, &s, "JW305").await;
        let s = stop.unwrap_or_else(|e| panic!("run {run}: care_stop: {e}"));
        assert_queued(&client, &s, "JW307").await;
        let s = change.unwrap_or_else(|e| panic!("run {run}: change_request: {e}"));
        assert_queued(&client, &s, "JW317").await;
        let s = declaration.unwrap_or_else(|e| panic!("run {run}: declaration: {e}"));
        assert_queued(&client, &s, "JW323").await;
        assert_eq!(s.response.declaration_numbers.len(), 1);

        let event = event.unwrap_or_else(|e| panic!("run {run}: returns: {e}"));
        assert!(
            matches!(
                &event.event,
                Some(ketenpoort_client::proto::return_event::Event::Allocation(a))
                    if !a.products.is_empty()
            ),
            "{event:?}"
        );
        // Acknowledged: the acked cursor is at least the 301's and never moves back.
        assert!(client.ack_returns(1).await.expect("ack") >= event.cursor);

        let violations = violations::run(&client).await.expect("a refusal");
        let bsn = violations
            .iter()
            .find(|v| v.field == "client.bsn")
            .unwrap_or_else(|| panic!("a violation on client.bsn: {violations:?}"));
        assert_eq!(bsn.rule, "CS002", "{bsn:?}");
        assert_eq!(bsn.retourcode.as_deref(), Some("0001"));
        assert!(bsn.description.contains("11-proef"), "{bsn:?}");
        dir = gw.stop_keeping_data().await;
    }
}

#[test]
fn a_made_up_bsn_passes_the_11_proef() {
    for _ in 0..200 {
        let bsn = request_for_allocation::random_bsn();
        assert_eq!(bsn.len(), 9, "{bsn}");
        let d: Vec<i64> = bsn
            .chars()
            .filter_map(|c| c.to_digit(10))
            .map(i64::from)
            .collect();
        let sum: i64 = (0..8).map(|i| d[i] * (9 - i as i64)).sum::<i64>() - d[8];
        assert_eq!(sum % 11, 0, "{bsn}");
    }
}
