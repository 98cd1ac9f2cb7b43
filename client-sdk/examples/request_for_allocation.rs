//! 315 Verzoek om toewijzing (request for allocation) for a cliënt, with one
//! AangevraagdProduct: 4 hours a week of product 45A48, referred by the GP.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example request_for_allocation [ADDR]`

use ketenpoort_client::{Client, Error, Law, RequestForAllocation, Submitted, codes, proto};

/// Submits the 315 and returns the gateway's answer.
pub async fn run(client: &Client) -> Result<Submitted, Error> {
    let request = RequestForAllocation::builder(Law::Ijw, "12345678", "0268")
        .client(
            proto::ClientIdentity::new("123456782", "2012-05-17", codes::sex::FEMALE, "Jansen")
                .with_initials("A"),
        )
        .guardian_known(true)
        .product(
            proto::RequestedProduct::new(
                "RUST-1",
                proto::Product::new("45", "45A48"),
                "2025-05-01",
            )
            .with_end_date("2025-12-31")
            .with_extent(proto::Extent::new(
                4,
                codes::unit::HOUR,
                codes::frequency::PER_WEEK,
            ))
            .with_referrer(proto::Referrer::new(codes::referrer_type::GP, "01234567")),
        );
    client.submit_request_for_allocation(request).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:50051".into());
    let client = Client::connect_dev(addr).await?;
    let s = run(&client).await?;
    println!(
        "{} {} queued as message {} (request_id {})",
        s.response.kind, s.response.identificatie, s.response.message_id, s.request_id
    );
    Ok(())
}
