//! 317 Verzoek om wijziging (request for change): raise allocation 1001 to 6 hours a week
//! from 1 May 2025.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example change_request [ADDR]`

use ketenpoort_client::{ChangeRequest, Client, Error, Law, Submitted, codes, proto};

/// Submits the 317 and returns the gateway's answer.
pub async fn run(client: &Client) -> Result<Submitted, Error> {
    let change = ChangeRequest::builder(
        Law::Ijw,
        "12345678",
        "0268",
        "123456782",
        "REF-2",
        codes::change_reason::CHANGE_ALLOCATION,
    )
    .change(
        proto::ChangedProduct::new(1001, "2025-05-01")
            .with_end_date("2025-12-31")
            .with_extent(proto::Extent::new(
                6,
                codes::unit::HOUR,
                codes::frequency::PER_WEEK,
            )),
    );
    client.submit_change_request(change).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:50051".into());
    let client = Client::connect_dev(addr).await?;
    let s = run(&client).await?;
    println!(
        "{} queued as message {}",
        s.response.kind, s.response.message_id
    );
    Ok(())
}
