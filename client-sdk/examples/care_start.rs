//! 305 Start zorg (care start): the care of allocation 1001 started on 4 March 2025.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example care_start [ADDR]`

use ketenpoort_client::{CareStart, Client, Error, Law, Submitted, codes, proto};

/// Submits the 305 and returns the gateway's answer.
pub async fn run(client: &Client) -> Result<Submitted, Error> {
    let start = CareStart::builder(Law::Iwmo, "12345678", "0268")
        .client(
            proto::ClientIdentity::new("123456782", "2012-05-17", codes::sex::FEMALE, "Jansen")
                .with_initials("A"),
        )
        .product(proto::CareStartProduct::new(
            1001,
            proto::Product::new("02", "45A48"),
            "2025-03-01",
            "2025-03-04",
        ));
    client.submit_care_start(start).await
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
