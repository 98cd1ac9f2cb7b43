//! `Client::submit_retour` against a dev gateway with its built-in simulator and manual
//! answering (`[vecozo] auto_answer = false`): the 301 the simulated municipality sends is
//! answered through the SDK with one 302; a second answer is refused as a
//! FAILED_PRECONDITION, a retry with the same request_id gets the same answer, and an unknown
//! event is NOT_FOUND.

use crate::common;

use std::time::Duration;

use ketenpoort::server::Gateway;
use ketenpoort_client::proto::return_event::Event;
use ketenpoort_client::{Error, Law, RequestForAllocation, codes, proto};

#[tokio::test]
async fn a_301_is_answered_once_through_the_sdk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ketenpoort::config::Config::dev();
    config.server.data_dir = dir.path().to_owned();
    config.messages.cross_message_rules = false;
    config.vecozo.auto_answer = false;
    let gateway = Gateway::open(config).expect("gateway opens");
    let listener = common::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await;
    let gw = common::DevGateway::serve(gateway, listener, dir);
    let client = gw.client().await;
    let mut stream = client.returns();

    let request = RequestForAllocation::builder(Law::Ijw, "12345678", "0268")
        .client(
            proto::ClientIdentity::new("123456782", "2012-05-17", codes::sex::FEMALE, "Jansen")
                .with_initials("A"),
        )
        .guardian_known(true)
        .product(
            proto::RequestedProduct::new("SDK-1", proto::Product::new("45", "45A48"), "2025-05-01")
                .with_end_date("2025-12-31")
                .with_extent(proto::Extent::new(
                    4,
                    codes::unit::HOUR,
                    codes::frequency::PER_WEEK,
                ))
                .with_referrer(proto::Referrer::new(codes::referrer_type::GP, "01234567")),
        );
    client
        .submit_request_for_allocation(request)
        .await
        .expect("315 accepted");
    let allocation = loop {
        let e = tokio::time::timeout(Duration::from_secs(60), stream.next())
            .await
            .expect("the 301 within 60 s")
            .expect("the stream goes on");
        if matches!(e.event, Some(Event::Allocation(_))) {
            break e;
        }
    };

    let answered = client
        .submit_retour(allocation.cursor)
        .await
        .expect("the 302 is queued");
    assert_eq!(answered.response.kind, "JW302");
    assert!(
        !answered.request_id.is_empty(),
        "the SDK gave it a request_id"
    );
    let retry = client
        .submit_retour_request(proto::SubmitRetourRequest {
            request_id: answered.request_id.clone(),
            validate_only: false,
            event_cursor: allocation.cursor,
        })
        .await
        .expect("a retry with the same request_id");
    assert_eq!(retry.response.message_id, answered.response.message_id);
    match client.submit_retour(allocation.cursor).await {
        Err(Error::Violations {
            cross_message: true,
            message,
            ..
        }) => assert!(message.contains("answered already"), "{message}"),
        other => panic!("a second 302: {other:?}"),
    }
    match client.submit_retour(allocation.cursor + 10_000).await {
        Err(Error::NotFound(_)) => {}
        other => panic!("an unknown event: {other:?}"),
    }
    gw.stop().await;
}
