//! Consuming the chain's answers: submit a 305, then read the return stream until the event
//! that says it was delivered, and acknowledge it (so a new consumer starts after it). The
//! stream reconnects by itself when the gateway restarts.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example returns [ADDR]`

use std::time::Duration;

use ketenpoort_client::{CareStart, Client, Error, Law, MessageState, codes, proto};

/// Submits a 305, waits (at most `wait`) for its delivery event, acknowledges it and returns
/// it.
pub async fn run(client: &Client, wait: Duration) -> Result<proto::ReturnEvent, Error> {
    let mut returns = client.returns();
    let submitted = client
        .submit_care_start(
            CareStart::builder(Law::Ijw, "12345678", "0268")
                .client(
                    proto::ClientIdentity::new(
                        "123456782",
                        "2012-05-17",
                        codes::sex::FEMALE,
                        "Jansen",
                    )
                    .with_initials("A"),
                )
                .product(proto::CareStartProduct::new(
                    1001,
                    proto::Product::new("45", "45A48"),
                    "2025-03-01",
                    "2025-03-04",
                )),
        )
        .await?;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let event = tokio::time::timeout_at(deadline, returns.next())
            .await
            .map_err(|_| Error::DeadlineExceeded {
                attempts: 1,
                deadline: wait,
                message: "no delivery event".into(),
            })??;
        let ours = event.message_id == submitted.response.message_id;
        let delivered = matches!(
            &event.event,
            Some(proto::return_event::Event::Delivery(d)) if d.state == MessageState::Delivered as i32
        );
        // Process the event (here: print it), then acknowledge it.
        println!("event {} about {:?}", event.cursor, event.message_id);
        returns.ack(event.cursor).await?;
        if ours && delivered {
            return Ok(event);
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:50051".into());
    let client = Client::connect_dev(addr).await?;
    let event = run(&client, Duration::from_secs(30)).await?;
    println!(
        "message {} delivered (cursor {})",
        event.message_id, event.cursor
    );
    Ok(())
}
