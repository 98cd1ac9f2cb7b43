//! 305 Start zorg (care start): the care of an allocation started on 6 January 2025. The
//! allocation comes first: a 315 for a made-up cliënt and the 301 that answers it (see
//! `request_for_allocation.rs`), so this runs against a fresh `ketenpoort serve --dev`, and
//! again.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example care_start [ADDR]`

use std::time::Duration;

use ketenpoort_client::{CareStart, Client, Error, Law, Submitted, proto};

#[path = "request_for_allocation.rs"]
#[allow(dead_code)]
mod request_for_allocation;

/// Gets an allocation, submits the 305 on it and returns the gateway's answer.
pub async fn run(client: &Client) -> Result<Submitted, Error> {
    let (identity, allocated) =
        request_for_allocation::allocation(client, Duration::from_secs(60)).await?;
    let start = CareStart::builder(Law::Ijw, "12345678", "0268")
        .client(identity)
        .product(proto::CareStartProduct::new(
            allocated.allocation_number,
            allocated.product.unwrap_or_default(),
            &allocated.start_date,
            "2025-01-06",
        ));
    client.submit_care_start(start).await
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:50051".into());
    let result = async { run(&Client::connect_dev(addr).await?).await }.await;
    match result {
        Ok(s) => {
            println!(
                "{} queued as message {}",
                s.response.kind, s.response.message_id
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            request_for_allocation::report(&e);
            std::process::ExitCode::FAILURE
        }
    }
}
