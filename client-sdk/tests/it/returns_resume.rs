//! The return stream survives a gateway restart: it reconnects by itself, resumes after the
//! last acknowledged cursor, and gives out no event twice.

use crate::common;

use std::time::Duration;

use ketenpoort_client::{CareStart, Client, Law, RetryPolicy, ReturnStream, codes, proto};

fn care_start(day: u32) -> CareStart {
    CareStart::builder(Law::Ijw, "12345678", "0268")
        .client(
            proto::ClientIdentity::new("123456782", "2012-05-17", codes::sex::FEMALE, "Jansen")
                .with_initials("A"),
        )
        .product(proto::CareStartProduct::new(
            1000 + u64::from(day),
            proto::Product::new("45", "45A48"),
            "2025-03-01",
            format!("2025-03-{day:02}"),
        ))
}

/// Submits a 305 and returns its message id.
async fn submit(client: &Client, day: u32) -> String {
    client
        .submit_care_start(care_start(day))
        .await
        .expect("accepted")
        .response
        .message_id
}

async fn next(stream: &mut ReturnStream) -> proto::ReturnEvent {
    tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .expect("an event within 20 s")
        .expect("the stream goes on")
}

fn quick_reconnects() -> RetryPolicy {
    RetryPolicy {
        attempts: 200,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(250),
    }
}

#[tokio::test]
async fn the_return_stream_resumes_after_the_gateway_restarts() {
    let gw = common::start_dev().await;
    let addr = gw.addr;
    let client = gw.client().await;
    let mut stream = client.returns().with_reconnect(quick_reconnects());

    let mut before = Vec::new();
    for day in 4..7 {
        before.push(submit(&client, day).await);
    }
    let e1 = next(&mut stream).await;
    let e2 = next(&mut stream).await;
    let e3 = next(&mut stream).await;
    assert_eq!(
        [&e1.message_id, &e2.message_id, &e3.message_id],
        [&before[0], &before[1], &before[2]]
    );
    // e1 and e2 are processed and acknowledged; e3 was handed out but not acknowledged.
    assert_eq!(stream.ack(e2.cursor).await.expect("ack"), e2.cursor);
    assert_eq!(stream.connects(), 1);

    // Wait for the next event while the gateway stops and comes back on the same port.
    let waiting = tokio::spawn(async move {
        let event = next(&mut stream).await;
        (stream, event)
    });
    let dir = gw.stop_keeping_data().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "no event while the gateway is down");
    let gw = common::start_dev_in(dir, Some(addr)).await;

    let after = [submit(&client, 7).await, submit(&client, 8).await];
    let (mut stream, e4) = waiting.await.expect("the waiting task did not panic");
    let e5 = next(&mut stream).await;
    assert_eq!(
        e4.message_id, after[0],
        "resumed after the acked cursor, skipping e3 which was handed out already"
    );
    assert_eq!(e5.message_id, after[1]);
    assert!(e4.cursor > e3.cursor && e5.cursor > e4.cursor);
    assert!(
        stream.connects() >= 2,
        "it reconnected: {}",
        stream.connects()
    );
    assert_eq!(stream.last_acked(), e2.cursor);
    gw.stop().await;
}

#[tokio::test]
async fn a_new_consumer_starts_after_the_acknowledged_cursor() {
    let gw = common::start_dev().await;
    let client = gw.client().await;
    let mut first = client.returns();
    for day in 4..7 {
        submit(&client, day).await;
    }
    let _e1 = next(&mut first).await;
    let e2 = next(&mut first).await;
    let e3 = next(&mut first).await;
    first.ack(e2.cursor).await.expect("ack");
    drop(first);

    // A new process: at-least-once, so the unacknowledged e3 comes again, and nothing
    // before it.
    let mut second = client.returns();
    assert_eq!(next(&mut second).await.cursor, e3.cursor);

    // Starting after an explicit cursor.
    let mut third = client.returns_after(e3.cursor);
    let id = submit(&client, 9).await;
    assert_eq!(next(&mut third).await.message_id, id);
    gw.stop().await;
}

#[tokio::test]
async fn the_return_stream_gives_up_on_errors_reconnecting_cannot_cure() {
    let gw = common::start_dev().await;
    let config = ketenpoort_client::Config::new(format!("http://{}", gw.addr)).token("nope");
    let client = Client::connect(config).await.expect("connect");
    let mut stream = client.returns();
    let e = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an answer within 10 s")
        .expect_err("an unknown token");
    assert!(
        matches!(e, ketenpoort_client::Error::Unauthenticated(_)),
        "{e:?}"
    );
    gw.stop().await;
}
