//! Prints a message to try `ketenpoort validate` on, or to look at:
//! `cargo run -p ketenpoort-messages --features generate --example sample -- JW315 full`.
//!
//! `sample KIND [full|minimal|random] [SEED]` prints a realistic message that passes the
//! schema and the in-message rules ([`ketenpoort_messages::generate::sample`]): plain names,
//! dates in the past. `sample KIND schema-only [full|minimal|random] [SEED]` prints the raw
//! generator's schema-valid instance as the property tests use it: any character the schema
//! allows, dates over two centuries, in-message rules not applied.

use ketenpoort_messages::generate::{Gen, Shape, sample};
use ketenpoort_messages::{Message, MessageKind};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let Some(kind) = args.first().and_then(|k| MessageKind::parse(k)) else {
        eprintln!("usage: sample KIND [schema-only] [full|minimal|random] [SEED]");
        std::process::exit(2);
    };
    args.remove(0);
    let schema_only = args.first().is_some_and(|a| a == "schema-only");
    if schema_only {
        args.remove(0);
    }
    let shape = match args.first().map(String::as_str) {
        Some("full") => Shape::Full,
        Some("minimal") => Shape::Minimal,
        _ => Shape::Random,
    };
    let seed = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let message = if schema_only {
        Message::generate(kind, &mut Gen::new(seed, shape))
    } else {
        sample(kind, shape, seed)
    };
    match message.to_xml() {
        Ok(xml) => print!("{xml}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
