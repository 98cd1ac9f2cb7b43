//! 307 Stop zorg (care stop): the care of an allocation, started on 6 January 2025, ends
//! today with RedenBeeindiging 02 (a 307 is due within five working days of the end of
//! care, OP272: one about an end long past would be reported late). A 307 ends a care start in force (TR382), so
//! first come the allocation (a 315 for a made-up cliënt and the 301 that answers it, see
//! `request_for_allocation.rs`) and the 305 on it.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example care_stop [ADDR]`

use std::time::Duration;

use ketenpoort_client::{CareStart, CareStop, Client, Error, Law, Submitted, proto};

#[path = "request_for_allocation.rs"]
#[allow(dead_code)]
mod request_for_allocation;

/// Gets an allocation, starts care on it (305), submits the 307 and returns the gateway's
/// answer to the 307.
pub async fn run(client: &Client) -> Result<Submitted, Error> {
    let (identity, allocated) =
        request_for_allocation::allocation(client, Duration::from_secs(60)).await?;
    let product = allocated.product.clone().unwrap_or_default();
    let start = CareStart::builder(Law::Ijw, "12345678", "0268")
        .client(identity.clone())
        .product(proto::CareStartProduct::new(
            allocated.allocation_number,
            product.clone(),
            &allocated.start_date,
            "2025-01-06",
        ));
    client.submit_care_start(start).await?;
    let stop = CareStop::builder(Law::Ijw, "12345678", "0268")
        .client(identity)
        .product(proto::CareStopProduct::new(
            allocated.allocation_number,
            product,
            &allocated.start_date,
            "2025-01-06",
            chrono::Utc::now().date_naive().to_string(),
            "02",
        ));
    client.submit_care_stop(stop).await
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
