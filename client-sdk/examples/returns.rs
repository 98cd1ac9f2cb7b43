//! Consuming the chain's answers: submit a 315 for a made-up cliënt, then read the return
//! stream — its delivery, the 316 retour, the 301 allocation — and acknowledge each event
//! once processed (so a new consumer starts after it), until the 301 about it came. The
//! stream reconnects by itself when the gateway restarts.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example returns [ADDR]`

use std::time::Duration;

use ketenpoort_client::{Client, Error, proto};

#[path = "request_for_allocation.rs"]
#[allow(dead_code)]
mod request_for_allocation;

/// Submits a 315, then reads and acknowledges events (at most `wait` in all) until the 301
/// that answers it; returns that event.
pub async fn run(client: &Client, wait: Duration) -> Result<proto::ReturnEvent, Error> {
    let mut returns = client.returns();
    let submitted = request_for_allocation::run(client).await?;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let event = tokio::time::timeout_at(deadline, returns.next())
            .await
            .map_err(|_| Error::DeadlineExceeded {
                attempts: 1,
                deadline: wait,
                message: "no 301 on the request".into(),
            })??;
        let ours = event.message_id == submitted.response.message_id;
        let allocation = matches!(
            &event.event,
            Some(proto::return_event::Event::Allocation(_))
        );
        // Process the event (here: print it), then acknowledge it.
        println!(
            "event {} about message {:?}: {}",
            event.cursor, event.message_id, event.kind
        );
        returns.ack(event.cursor).await?;
        if ours && allocation {
            return Ok(event);
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:50051".into());
    let result =
        async { run(&Client::connect_dev(addr).await?, Duration::from_secs(60)).await }.await;
    match result {
        Ok(event) => {
            let numbers: Vec<u64> = match &event.event {
                Some(proto::return_event::Event::Allocation(a)) => {
                    a.products.iter().map(|p| p.allocation_number).collect()
                }
                _ => Vec::new(),
            };
            println!(
                "message {} got its 301 (cursor {}): allocation {numbers:?}",
                event.message_id, event.cursor
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            request_for_allocation::report(&e);
            std::process::ExitCode::FAILURE
        }
    }
}
