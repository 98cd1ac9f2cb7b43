//! 315 Verzoek om toewijzing (request for allocation) for a cliënt, with one
//! AangevraagdProduct: 16 hours a month of product 45A48 from 1 January 2025, without an end
//! date, referred by the GP.
//!
//! Every run is a new request: a made-up cliënt (a random BSN that passes the 11-proef) and a
//! new ReferentieAanbieder, so running it again is not refused as a reused reference (TR347)
//! or a second open request for one cliënt (TR374). The other examples get their allocation
//! through [`allocation`]: this request, then the 301 that answers it.
//!
//! Against a gateway started with `ketenpoort serve --dev`:
//! `cargo run -p ketenpoort-client --example request_for_allocation [ADDR]`

use std::time::Duration;

use ketenpoort_client::{Client, Error, Law, RequestForAllocation, Submitted, codes, proto};

/// A made-up cliënt: a random BSN that passes the 11-proef, born 17 May 2012.
pub fn made_up_client() -> proto::ClientIdentity {
    proto::ClientIdentity::new(random_bsn(), "2012-05-17", codes::sex::FEMALE, "Jansen")
        .with_initials("A")
}

/// A random nine-digit BSN that passes the 11-proef (9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 mod 11).
pub fn random_bsn() -> String {
    loop {
        let n = uuid::Uuid::new_v4().as_u128();
        let digits: Vec<u32> = format!("{:08}", 10_000_000 + n % 90_000_000)
            .chars()
            .filter_map(|c| c.to_digit(10))
            .collect();
        let sum: u32 = digits.iter().zip((2..=9).rev()).map(|(d, w)| d * w).sum();
        let check = sum % 11;
        if check < 10 {
            return format!(
                "{}{check}",
                digits.iter().map(u32::to_string).collect::<String>()
            );
        }
    }
}

/// The 315 for `client`, with a new ReferentieAanbieder.
pub fn request(client: proto::ClientIdentity) -> RequestForAllocation {
    let reference = format!("RUST-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    RequestForAllocation::builder(Law::Ijw, "12345678", "0268")
        .client(client)
        .guardian_known(true)
        .product(
            proto::RequestedProduct::new(
                &reference,
                proto::Product::new("45", "45A48"),
                "2025-01-01",
            )
            .with_extent(proto::Extent::new(
                16,
                codes::unit::HOUR,
                codes::frequency::PER_MONTH,
            ))
            .with_referrer(proto::Referrer::new(codes::referrer_type::GP, "01234567")),
        )
}

/// Submits the 315 for a made-up cliënt and returns the gateway's answer.
pub async fn run(client: &Client) -> Result<Submitted, Error> {
    client
        .submit_request_for_allocation(request(made_up_client()))
        .await
}

/// An allocation to work with: the 315 for a made-up cliënt, then (waiting at most `wait`)
/// the product the 301 that answers it allocated. A 319 (refused) or no answer in time is
/// an error.
pub async fn allocation(
    client: &Client,
    wait: Duration,
) -> Result<(proto::ClientIdentity, proto::AllocatedProduct), Error> {
    let identity = made_up_client();
    let submitted = client
        .submit_request_for_allocation(request(identity.clone()))
        .await?;
    let answers = client
        .answers(&submitted.response.message_id, &["JW301", "JW319"], wait)
        .await?;
    match answers.answer().and_then(|e| e.event.as_ref()) {
        Some(proto::return_event::Event::Allocation(a)) if !a.products.is_empty() => {
            Ok((identity, a.products[0].clone()))
        }
        _ => Err(Error::DeadlineExceeded {
            attempts: 1,
            deadline: wait,
            message: format!(
                "no 301 allocating the request of message {}",
                submitted.response.message_id
            ),
        }),
    }
}

/// Prints a failure as people read it: each broken rule on its own line.
pub fn report(e: &Error) {
    eprintln!("refused or failed: {e}");
    if let Error::Violations { violations, .. } = e {
        for v in violations {
            eprintln!("  {v}");
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:50051".into());
    let result = async {
        let client = Client::connect_dev(addr).await?;
        run(&client).await
    }
    .await;
    match result {
        Ok(s) => {
            println!(
                "{} {} queued as message {} (request_id {})",
                s.response.kind, s.response.identificatie, s.response.message_id, s.request_id
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            report(&e);
            std::process::ExitCode::FAILURE
        }
    }
}
