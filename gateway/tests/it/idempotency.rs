//! AIP-155 request_ids: a retry with the same content gets the original response and queues
//! nothing new (with or without the XML, as the retry asks); the same id with other content is ALREADY_EXISTS; ids are per tenant;
//! concurrent duplicates store one message.

use crate::both_backends;
use crate::common;
use crate::common::backend::Place;

use common::*;
use ketenpoort::proto::{self, Law};
use tonic::Code;

async fn count(
    c: &mut proto::gateway_client::GatewayClient<tonic::transport::Channel>,
    token: &str,
) -> usize {
    c.list_messages(req(token, proto::ListMessagesRequest::default()))
        .await
        .expect("list")
        .into_inner()
        .messages
        .len()
}

async fn a_retry_returns_the_original_response(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    let first = c
        .submit_declaration(req(TOKEN_A, declaration(Law::Ijw, AGB_A, "retry-1")))
        .await
        .expect("accepted")
        .into_inner();
    let again = c
        .submit_declaration(req(TOKEN_A, declaration(Law::Ijw, AGB_A, "retry-1")))
        .await
        .expect("the retry succeeds")
        .into_inner();
    assert_eq!(first, again, "same response");
    assert_eq!(count(&mut c, TOKEN_A).await, 1, "nothing new stored");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_retry_returns_the_original_response
);

async fn a_retry_may_ask_for_the_xml_the_first_call_left_out(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    let first = c
        .submit_declaration(req(TOKEN_A, declaration(Law::Ijw, AGB_A, "xml-later")))
        .await
        .expect("accepted")
        .into_inner();
    assert!(first.xml.is_empty(), "no XML unless asked");
    let again = c
        .submit_declaration(req(
            TOKEN_A,
            declaration(Law::Ijw, AGB_A, "xml-later").with_xml(),
        ))
        .await
        .expect("include_xml is not content: no conflict")
        .into_inner();
    let stored = c
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: first.message_id.clone(),
            },
        ))
        .await
        .expect("stored")
        .into_inner();
    assert!(stored.xml.contains("DeclaratieNummer"), "{}", stored.xml);
    assert_eq!(again.xml, stored.xml, "the retry gets the stored XML");
    assert_eq!(
        proto::SubmitResponse {
            xml: String::new(),
            ..again
        },
        first,
        "otherwise the original response"
    );
    assert_eq!(count(&mut c, TOKEN_A).await, 1, "nothing new stored");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_retry_may_ask_for_the_xml_the_first_call_left_out
);

async fn the_same_id_with_other_content_is_refused(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    c.submit_care_start(req(TOKEN_A, care_start(Law::Iwmo, AGB_A, "conflict")))
        .await
        .expect("accepted");
    let mut other = care_start(Law::Iwmo, AGB_A, "conflict");
    other.products[0].start_date = "2025-03-05".into();
    let e = c
        .submit_care_start(req(TOKEN_A, other))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Code::AlreadyExists);
    assert!(e.message().contains("conflict"), "{}", e.message());
    // Also when the other content is another message type.
    let e = c
        .submit_care_stop(req(TOKEN_A, care_stop(Law::Iwmo, AGB_A, "conflict")))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Code::AlreadyExists);
    assert_eq!(count(&mut c, TOKEN_A).await, 1);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    the_same_id_with_other_content_is_refused
);

async fn validate_only_does_not_take_the_id(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    let mut probe = care_stop(Law::Ijw, AGB_A, "later");
    if let Some(common) = probe.common.as_mut() {
        common.validate_only = true;
    }
    c.submit_care_stop(req(TOKEN_A, probe))
        .await
        .expect("valid");
    let mut other = care_stop(Law::Ijw, AGB_A, "later");
    other.products[0].end_date = "2025-03-30".into();
    c.submit_care_stop(req(TOKEN_A, other))
        .await
        .expect("the id was still free");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    validate_only_does_not_take_the_id
);

async fn request_ids_belong_to_a_tenant(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    c.submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, "shared-id")))
        .await
        .expect("A accepted");
    c.submit_care_start(req(TOKEN_B, care_start(Law::Ijw, AGB_B, "shared-id")))
        .await
        .expect("B's id is its own");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    request_ids_belong_to_a_tenant
);

async fn concurrent_duplicates_store_one_message(place: &Place) {
    let server = place.start().await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let mut c = server.client().await;
        tasks.push(tokio::spawn(async move {
            c.submit_request_for_allocation(req(
                TOKEN_A,
                request_for_allocation(Law::Ijw, AGB_A, "race"),
            ))
            .await
            .map(|r| r.into_inner())
        }));
    }
    let mut responses = Vec::new();
    for t in tasks {
        responses.push(t.await.expect("task").expect("every duplicate succeeds"));
    }
    assert!(
        responses.windows(2).all(|w| w[0] == w[1]),
        "one response for all"
    );
    let mut c = server.client().await;
    assert_eq!(count(&mut c, TOKEN_A).await, 1);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    concurrent_duplicates_store_one_message
);
