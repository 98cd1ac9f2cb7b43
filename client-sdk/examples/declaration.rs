//! 323 Declaratie (claim) for last month: one Prestatie of 960 minutes (the 16 hours a month
//! allocated) at ProductTarief 145 cents a minute, the amount from the hourly tariff of
//! € 87,24 (960 × 8724 / 60 = 139584 cents), and a DeclaratieNummer chosen by ketenpoort. The
//! allocation comes first: a 315 for a made-up cliënt and the 301 that answers it (see
//! `request_for_allocation.rs`). The month is last month, so the claim is neither in the
//! future nor too old, whatever the date.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example declaration [ADDR]`

use std::time::Duration;

use chrono::{Datelike as _, Months};
use ketenpoort_client::{Client, Declaration, Error, Law, Submitted, codes, proto};

#[path = "request_for_allocation.rs"]
#[allow(dead_code)]
mod request_for_allocation;

/// Last month's first and last day (UTC).
fn last_month() -> (chrono::NaiveDate, chrono::NaiveDate) {
    let this_month = chrono::Utc::now()
        .date_naive()
        .with_day(1)
        .expect("every month has a first day");
    let first = this_month - Months::new(1);
    let last = this_month.pred_opt().expect("a day before");
    (first, last)
}

/// Gets an allocation, claims last month on it and returns the gateway's answer (with the
/// DeclaratieNummer used).
pub async fn run(client: &Client) -> Result<Submitted, Error> {
    let (identity, allocated) =
        request_for_allocation::allocation(client, Duration::from_secs(60)).await?;
    let (first, last) = last_month();
    let reference = format!("R-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let line = proto::DeclarationLine::new(
        &reference,
        allocated.allocation_number,
        allocated.product.unwrap_or_default(),
        first.to_string(),
        last.to_string(),
    )
    .with_volume(960, codes::unit::MINUTE)
    .with_tariff_cents(145)
    .with_amount_cents(139_584);
    let claim = Declaration::builder(
        Law::Ijw,
        "12345678",
        "0268",
        first.format("%Y-%m").to_string(),
    )
    .line(&identity.bsn, line);
    client.submit_declaration(claim).await
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
                "{} with DeclaratieNummer {} queued as message {}",
                s.response.kind,
                s.response.declaration_numbers.join(", "),
                s.response.message_id
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            request_for_allocation::report(&e);
            std::process::ExitCode::FAILURE
        }
    }
}
