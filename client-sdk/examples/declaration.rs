//! 323 Declaratie (claim) for March 2025: two Prestaties for one cliënt, 240 minutes each at
//! 145 cents a minute-unit, and a DeclaratieNummer chosen by ketenpoort.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example declaration [ADDR]`

use ketenpoort_client::{Client, Declaration, Error, Law, Submitted, codes, proto};

/// One Prestatie: 240 minutes in March against allocation `allocation`.
fn line(reference: &str, allocation: u64) -> proto::DeclarationLine {
    proto::DeclarationLine::new(
        reference,
        allocation,
        proto::Product::new("45", "45A48"),
        "2025-03-04",
        "2025-03-31",
    )
    .with_volume(240, codes::unit::MINUTE)
    .with_tariff_cents(145)
    .with_amount_cents(34896)
}

/// Submits the 323 and returns the gateway's answer (with the DeclaratieNummer used).
pub async fn run(client: &Client) -> Result<Submitted, Error> {
    let claim = Declaration::builder(Law::Ijw, "12345678", "0268", "2025-03")
        .line("111222333", line("R1", 1001))
        .line("111222333", line("R2", 1002));
    client.submit_declaration(claim).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:50051".into());
    let client = Client::connect_dev(addr).await?;
    let s = run(&client).await?;
    println!(
        "{} with DeclaratieNummer {:?} queued as message {}",
        s.response.kind, s.response.declaration_numbers, s.response.message_id
    );
    Ok(())
}
