//! StreamReturns and AckReturns: the loopback stand-in's delivery events arrive with
//! increasing cursors; a stream resumes after a cursor; after an ack, a stream from the
//! default position (after_cursor 0) carries only unacknowledged events, and every event
//! stays readable by `from_cursor`, the first one included.

use crate::both_backends;
use crate::common;
use crate::common::backend::Place;

use common::*;
use ketenpoort::proto::{self, Law};
use tonic::Code;

fn delivered(e: &proto::ReturnEvent) -> bool {
    matches!(
        &e.event,
        Some(proto::return_event::Event::Delivery(d))
            if d.state == proto::MessageState::Delivered as i32
    )
}

async fn delivery_events_arrive_with_increasing_cursors(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    let mut ids = Vec::new();
    for (i, law) in [Law::Ijw, Law::Iwmo, Law::Ijw].into_iter().enumerate() {
        let r = c
            .submit_care_start(req(TOKEN_A, care_start(law, AGB_A, &format!("s{i}"))))
            .await
            .expect("accepted")
            .into_inner();
        ids.push(r.message_id);
    }
    let mut last = 0;
    for id in &ids {
        let e = next_event(&mut stream).await;
        assert!(e.cursor > last, "cursor {} after {last}", e.cursor);
        last = e.cursor;
        assert_eq!(&e.message_id, id, "events in submit order");
        assert!(delivered(&e), "{e:?}");
        assert!(e.at.is_some());
    }
    // The message's state and cursor are recorded.
    let m = c
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: ids[2].clone(),
            },
        ))
        .await
        .expect("found")
        .into_inner();
    assert_eq!(m.state, proto::MessageState::Delivered as i32);
    assert_eq!(m.event_cursors, vec![last]);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    delivery_events_arrive_with_increasing_cursors
);

async fn a_stream_resumes_after_a_cursor(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    for i in 0..4 {
        c.submit_care_stop(req(TOKEN_A, care_stop(Law::Ijw, AGB_A, &format!("r{i}"))))
            .await
            .expect("accepted");
    }
    let mut cursors = Vec::new();
    for _ in 0..4 {
        cursors.push(next_event(&mut stream).await.cursor);
    }
    drop(stream);
    let mut resumed = c
        .stream_returns(req(
            TOKEN_A,
            proto::StreamReturnsRequest {
                after_cursor: cursors[1],
                ..Default::default()
            },
        ))
        .await
        .expect("stream")
        .into_inner();
    assert_eq!(next_event(&mut resumed).await.cursor, cursors[2]);
    assert_eq!(next_event(&mut resumed).await.cursor, cursors[3]);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_stream_resumes_after_a_cursor
);

async fn acknowledged_events_are_not_streamed_again(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    for i in 0..3 {
        c.submit_care_start(req(TOKEN_A, care_start(Law::Iwmo, AGB_A, &format!("k{i}"))))
            .await
            .expect("accepted");
    }
    let first = next_event(&mut stream).await;
    let second = next_event(&mut stream).await;
    let third = next_event(&mut stream).await;
    drop(stream);

    let acked = c
        .ack_returns(req(
            TOKEN_A,
            proto::AckReturnsRequest {
                cursor: second.cursor,
            },
        ))
        .await
        .expect("ack")
        .into_inner();
    assert_eq!(acked.acked_cursor, second.cursor);
    // An ack never moves back.
    let acked = c
        .ack_returns(req(
            TOKEN_A,
            proto::AckReturnsRequest {
                cursor: first.cursor,
            },
        ))
        .await
        .expect("ack")
        .into_inner();
    assert_eq!(acked.acked_cursor, second.cursor);

    let mut again = events_from_start(&mut c, TOKEN_A).await;
    assert_eq!(
        next_event(&mut again).await.cursor,
        third.cursor,
        "only the unacked event"
    );

    // Another tenant's position is its own.
    let e = c
        .ack_returns(req(TOKEN_A, proto::AckReturnsRequest { cursor: 0 }))
        .await
        .expect_err("cursor required");
    assert_eq!(e.code(), Code::InvalidArgument);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    acknowledged_events_are_not_streamed_again
);

/// The events read from `from_cursor` on (inclusive), as many as `n`.
async fn read_from(
    c: &mut ketenpoort::proto::gateway_client::GatewayClient<tonic::transport::Channel>,
    from_cursor: u64,
    n: usize,
) -> Vec<u64> {
    let mut stream = c
        .stream_returns(req(
            TOKEN_A,
            proto::StreamReturnsRequest {
                from_cursor: Some(from_cursor),
                ..Default::default()
            },
        ))
        .await
        .expect("stream")
        .into_inner();
    let mut cursors = Vec::new();
    for _ in 0..n {
        cursors.push(next_event(&mut stream).await.cursor);
    }
    cursors
}

async fn every_event_from_cursor_1_can_be_read_again_after_its_ack_and_after_a_restart(
    place: &Place,
) {
    let server = place.start().await;
    let mut c = server.client().await;
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    for i in 0..3 {
        c.submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, &format!("f{i}"))))
            .await
            .expect("accepted");
    }
    let mut cursors = Vec::new();
    for _ in 0..3 {
        cursors.push(next_event(&mut stream).await.cursor);
    }
    drop(stream);
    assert_eq!(cursors[0], 1, "a fresh store's first event is cursor 1");
    c.ack_returns(req(
        TOKEN_A,
        proto::AckReturnsRequest { cursor: cursors[2] },
    ))
    .await
    .expect("ack");

    // Every event, the first included, stays readable from its own cursor.
    for (i, &from) in cursors.iter().enumerate() {
        assert_eq!(read_from(&mut c, from, 3 - i).await, cursors[i..].to_vec());
    }
    // from_cursor wins over after_cursor (old clients send only after_cursor; new ones may
    // send both), and 0 reads from the start too.
    let mut both = c
        .stream_returns(req(
            TOKEN_A,
            proto::StreamReturnsRequest {
                after_cursor: cursors[1],
                from_cursor: Some(0),
            },
        ))
        .await
        .expect("stream")
        .into_inner();
    assert_eq!(next_event(&mut both).await.cursor, cursors[0]);
    drop(both);

    let dir = server.stop_keeping_data().await;
    let server = place.start_in(dir, |_| {}).await;
    let mut c = server.client().await;
    assert_eq!(read_from(&mut c, 1, 3).await, cursors);
    // The default position still starts after the acknowledged cursor.
    c.submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, "f-after")))
        .await
        .expect("accepted");
    let mut default = events_from_start(&mut c, TOKEN_A).await;
    assert!(next_event(&mut default).await.cursor > cursors[2]);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    every_event_from_cursor_1_can_be_read_again_after_its_ack_and_after_a_restart
);
