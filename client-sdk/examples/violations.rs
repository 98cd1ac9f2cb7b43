//! What a refused message looks like: a 305 with a BSN that fails the 11-proef, checked only
//! (`validate_only`), comes back as [`Error::Violations`], each violation naming the proto
//! field, the rule, the retourcode and what is wrong. Printed here as the list a person
//! reads.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example violations [ADDR]`

use ketenpoort_client::{CareStart, Client, Error, Law, Violation, codes, proto};

/// Submits a 305 with a bad BSN (checked only, `validate_only`) and returns the violations.
pub async fn run(client: &Client) -> Result<Vec<Violation>, Error> {
    let start = CareStart::builder(Law::Ijw, "12345678", "0268")
        .validate_only(true)
        .client(
            proto::ClientIdentity::new("123456789", "2012-05-17", codes::sex::FEMALE, "Jansen")
                .with_initials("A"),
        )
        .product(proto::CareStartProduct::new(
            1001,
            proto::Product::new("45", "45A48"),
            "2025-03-01",
            "2025-03-04",
        ));
    match client.submit_care_start(start).await {
        Err(Error::Violations { violations, .. }) => Ok(violations),
        Err(e) => Err(e),
        Ok(_) => Ok(Vec::new()),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:50051".into());
    let result = async { run(&Client::connect_dev(addr).await?).await }.await;
    match result {
        Ok(violations) => {
            println!("refused, as expected, for {} rule(s):", violations.len());
            for v in violations {
                println!("  {v}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
