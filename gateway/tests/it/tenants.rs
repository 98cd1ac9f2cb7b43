//! Tenants: a tenant cannot submit for another tenant's AGB code (PERMISSION_DENIED, BRS03),
//! and sees neither its messages nor its events.

use crate::both_backends;
use crate::common;
use crate::common::backend::Place;

use std::time::Duration;

use common::*;
use ketenpoort::proto::{self, Law};
use tonic::Code;

async fn a_tenant_cannot_submit_for_another_agb_code(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    let e = c
        .submit_declaration(req(TOKEN_A, declaration(Law::Ijw, AGB_B, "not-mine")))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Code::PermissionDenied);
    assert!(e.message().contains("BRS03"), "{}", e.message());
    let e = c
        .submit_request_for_allocation(req(
            TOKEN_B,
            request_for_allocation(Law::Iwmo, AGB_A, "not-mine"),
        ))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Code::PermissionDenied);
    // validate_only is no way around it.
    let mut probe = care_start(Law::Ijw, AGB_B, "");
    if let Some(common) = probe.common.as_mut() {
        common.validate_only = true;
    }
    let e = c
        .submit_care_start(req(TOKEN_A, probe))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Code::PermissionDenied);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_tenant_cannot_submit_for_another_agb_code
);

async fn a_tenant_sees_only_its_own_messages(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    let a = c
        .submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, "a1")))
        .await
        .expect("accepted")
        .into_inner();
    c.submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A2, "a2")))
        .await
        .expect("accepted");
    let b = c
        .submit_care_start(req(TOKEN_B, care_start(Law::Ijw, AGB_B, "b1")))
        .await
        .expect("accepted")
        .into_inner();

    let list_a = c
        .list_messages(req(TOKEN_A, proto::ListMessagesRequest::default()))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list_a.messages.len(), 2);
    assert!(list_a.messages.iter().all(|m| m.agb_code != AGB_B));
    let only = c
        .list_messages(req(
            TOKEN_A,
            proto::ListMessagesRequest {
                agb_code: AGB_A2.into(),
                ..Default::default()
            },
        ))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(only.messages.len(), 1);
    let e = c
        .list_messages(req(
            TOKEN_A,
            proto::ListMessagesRequest {
                agb_code: AGB_B.into(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("not A's code");
    assert_eq!(e.code(), Code::PermissionDenied);

    // B's message does not exist for A, and the other way round.
    let e = c
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: b.message_id,
            },
        ))
        .await
        .expect_err("hidden");
    assert_eq!(e.code(), Code::NotFound);
    let e = c
        .get_message(req(
            TOKEN_B,
            proto::GetMessageRequest {
                message_id: a.message_id.clone(),
            },
        ))
        .await
        .expect_err("hidden");
    assert_eq!(e.code(), Code::NotFound);
    c.get_message(req(
        TOKEN_A,
        proto::GetMessageRequest {
            message_id: a.message_id,
        },
    ))
    .await
    .expect("A sees its own");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_tenant_sees_only_its_own_messages
);

async fn a_tenant_streams_only_its_own_events(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    let b = c
        .submit_care_start(req(TOKEN_B, care_start(Law::Ijw, AGB_B, "b1")))
        .await
        .expect("accepted")
        .into_inner();
    let a = c
        .submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, "a1")))
        .await
        .expect("accepted")
        .into_inner();
    let mut stream_a = events_from_start(&mut c, TOKEN_A).await;
    let e = next_event(&mut stream_a).await;
    assert_eq!(
        e.message_id, a.message_id,
        "A's first event is about A's message"
    );
    assert_eq!(e.agb_code, AGB_A);
    let mut stream_b = events_from_start(&mut c, TOKEN_B).await;
    let e = next_event(&mut stream_b).await;
    assert_eq!(e.message_id, b.message_id);
    // Nothing else arrives for A: B's event is not in A's stream.
    let more = tokio::time::timeout(Duration::from_millis(300), stream_a.message()).await;
    assert!(more.is_err(), "no further event for A: {more:?}");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_tenant_streams_only_its_own_events
);
