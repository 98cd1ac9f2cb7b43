//! Small checks of request fields (issue 13, item 11): a request_id of control characters or
//! only white space is refused, a negative page_size is refused rather than read as the
//! default, and the ResendMessage refusal reads as one sentence.

use crate::common;

use common::*;
use ketenpoort::proto::{self, Law};
use tonic::Code;

#[tokio::test]
async fn a_request_id_of_control_characters_or_white_space_is_refused() {
    let server = start().await;
    let mut c = server.client().await;
    for bad in ["\u{1}\u{2}", "order\n1", "   ", "\t \u{a0}", "a\u{7f}b"] {
        let status = c
            .submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, bad)))
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{bad:?}: {status:?}");
        let violations = field_violations(&status);
        assert!(
            violations
                .iter()
                .any(|(field, reason, _)| field == "common.request_id" && reason == "KP-request-id"),
            "{bad:?}: {violations:?}"
        );
    }
    // The same checks for SubmitRetour's own request_id (before the event is looked up).
    let status = c
        .submit_retour(req(
            TOKEN_A,
            proto::SubmitRetourRequest {
                request_id: " \r\n".into(),
                validate_only: false,
                event_cursor: 1,
            },
        ))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        field_violations(&status)
            .iter()
            .any(|(field, reason, _)| field == "request_id" && reason == "KP-request-id"),
        "{status:?}"
    );
    // Nothing was stored; an id with inner spaces and non-ASCII letters is still fine.
    let listed = c
        .list_messages(req(TOKEN_A, proto::ListMessagesRequest::default()))
        .await
        .expect("list")
        .into_inner();
    assert!(listed.messages.is_empty(), "{listed:?}");
    c.submit_care_start(req(
        TOKEN_A,
        care_start(Law::Ijw, AGB_A, " bestelling één "),
    ))
    .await
    .expect("an ordinary id is accepted");
    server.stop().await;
}

#[tokio::test]
async fn a_negative_page_size_is_refused() {
    let server = start().await;
    let mut c = server.client().await;
    let status = c
        .list_messages(req(
            TOKEN_A,
            proto::ListMessagesRequest {
                page_size: -1,
                ..Default::default()
            },
        ))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        field_violations(&status)
            .iter()
            .any(|(field, reason, _)| field == "page_size" && reason == "KP-page-size"),
        "{status:?}"
    );
    let status = c
        .list_events(req(
            TOKEN_A,
            proto::ListEventsRequest {
                page_size: i32::MIN,
                ..Default::default()
            },
        ))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        field_violations(&status)
            .iter()
            .any(|(field, reason, _)| field == "page_size" && reason == "KP-page-size"),
        "{status:?}"
    );
    // 0 is still the default.
    c.list_messages(req(TOKEN_A, proto::ListMessagesRequest::default()))
        .await
        .expect("page_size 0 is the default");
    c.list_events(req(TOKEN_A, proto::ListEventsRequest::default()))
        .await
        .expect("page_size 0 is the default");
    server.stop().await;
}

#[tokio::test]
async fn the_resend_refusal_has_no_run_of_spaces() {
    let server = start().await;
    let mut c = server.client().await;
    let id = submit_315(&mut c, TOKEN_A, Law::Ijw, AGB_A, "resend-text")
        .await
        .expect("accepted");
    let status = c
        .resend_message(req(TOKEN_A, proto::ResendMessageRequest { message_id: id }))
        .await
        .expect_err("only a refused message can be sent again");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let text = status.message();
    assert!(text.contains("refused can be sent again"), "{text}");
    assert!(!text.contains("  "), "a run of spaces: {text:?}");
    server.stop().await;
}
