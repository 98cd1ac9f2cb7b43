//! ListMessages filters and paging, and what survives a restart: messages, states, the
//! Identificatie counter (unique across restarts) and acknowledgements.

use crate::common;

use common::*;
use ketenpoort::proto::{self, Law};

#[tokio::test]
async fn list_filters_and_pages() {
    let server = start().await;
    let mut c = server.client().await;
    for i in 0..5 {
        c.submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, &format!("s{i}"))))
            .await
            .expect("accepted");
    }
    c.submit_declaration(req(TOKEN_A, declaration(Law::Iwmo, AGB_A2, "d")))
        .await
        .expect("accepted");

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_messages(req(
                TOKEN_A,
                proto::ListMessagesRequest {
                    page_size: 2,
                    page_token: token.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner();
        assert!(page.messages.len() <= 2);
        assert!(
            page.messages.iter().all(|m| m.xml.is_empty()),
            "no XML in lists"
        );
        seen.extend(page.messages.into_iter().map(|m| m.message_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 6);
    let ids: Vec<u64> = seen.iter().map(|s| s.parse().expect("number")).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    let by_kind = c
        .list_messages(req(
            TOKEN_A,
            proto::ListMessagesRequest {
                kind: "WMO323".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(by_kind.messages.len(), 1);
    assert_eq!(by_kind.messages[0].agb_code, AGB_A2);

    let in_period = c
        .list_messages(req(
            TOKEN_A,
            proto::ListMessagesRequest {
                accepted_from: "2025-04-02".into(),
                accepted_to: "2025-04-02".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        in_period.messages.len(),
        6,
        "the test clock says 2025-04-02"
    );
    let before = c
        .list_messages(req(
            TOKEN_A,
            proto::ListMessagesRequest {
                accepted_to: "2025-04-01".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("list")
        .into_inner();
    assert!(before.messages.is_empty());

    // By request_id: the one message submitted with it, whatever else matches.
    let by_request = c
        .list_messages(req(
            TOKEN_A,
            proto::ListMessagesRequest {
                request_id: "s3".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("list")
        .into_inner();
    let found: Vec<&str> = by_request
        .messages
        .iter()
        .map(|m| m.request_id.as_str())
        .collect();
    assert_eq!(found, ["s3"]);
    let unknown = c
        .list_messages(req(
            TOKEN_A,
            proto::ListMessagesRequest {
                request_id: "never-used".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("list")
        .into_inner();
    assert!(unknown.messages.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn messages_counters_and_acks_survive_a_restart() {
    let server = start().await;
    let mut c = server.client().await;
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    let first = c
        .submit_care_stop(req(
            TOKEN_A,
            care_stop(Law::Ijw, AGB_A, "before").with_xml(),
        ))
        .await
        .expect("accepted")
        .into_inner();
    let event = next_event(&mut stream).await;
    c.ack_returns(req(
        TOKEN_A,
        proto::AckReturnsRequest {
            cursor: event.cursor,
        },
    ))
    .await
    .expect("ack");
    drop(stream);
    let dir = server.stop_keeping_data().await;

    let server = start_in(dir, |_| {}).await;
    let mut c = server.client().await;
    let m = c
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: first.message_id.clone(),
            },
        ))
        .await
        .expect("still there")
        .into_inner();
    assert_eq!(m.xml, first.xml);
    assert_eq!(m.state, proto::MessageState::Delivered as i32);
    let second = c
        .submit_care_stop(req(TOKEN_A, care_stop(Law::Ijw, AGB_A, "after")))
        .await
        .expect("accepted")
        .into_inner();
    assert_eq!(first.identificatie, "KP0000000001");
    assert_eq!(
        second.identificatie, "KP0000000002",
        "no Identificatie reused"
    );
    assert_ne!(second.message_id, first.message_id);
    // The retry of the first request still answers with the original.
    let retry = c
        .submit_care_stop(req(TOKEN_A, care_stop(Law::Ijw, AGB_A, "before")))
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(retry.message_id, first.message_id);
    // The ack survived: the default position starts after it.
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    let next = next_event(&mut stream).await;
    assert!(next.cursor > event.cursor);
    assert_eq!(next.message_id, second.message_id);
    server.stop().await;
}
