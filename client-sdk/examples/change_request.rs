//! 317 Verzoek om wijziging (request for change): raise an allocation from 16 to 24 hours a
//! month, from its own start date (a GewensteIngangsdatum not after the message date must be
//! the allocation's Ingangsdatum, TR357). The allocation comes first: a 315 for a made-up
//! cliënt and the 301 that answers it (see `request_for_allocation.rs`); it has no end date,
//! so it is current (TR351) whatever the date.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example change_request [ADDR]`

use std::time::Duration;

use ketenpoort_client::{ChangeRequest, Client, Error, Law, Submitted, codes, proto};

#[path = "request_for_allocation.rs"]
#[allow(dead_code)]
mod request_for_allocation;

/// Gets an allocation, submits the 317 on it and returns the gateway's answer.
pub async fn run(client: &Client) -> Result<Submitted, Error> {
    let (identity, allocated) =
        request_for_allocation::allocation(client, Duration::from_secs(60)).await?;
    let reference = format!("RUST-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let change = ChangeRequest::builder(
        Law::Ijw,
        "12345678",
        "0268",
        &identity.bsn,
        &reference,
        codes::change_reason::CHANGE_ALLOCATION,
    )
    .change(
        proto::ChangedProduct::new(allocated.allocation_number, &allocated.start_date).with_extent(
            proto::Extent::new(24, codes::unit::HOUR, codes::frequency::PER_MONTH),
        ),
    );
    client.submit_change_request(change).await
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
