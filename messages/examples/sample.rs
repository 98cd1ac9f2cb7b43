//! Prints a generated message: `cargo run -p ketenpoort-messages --features generate --example sample -- JW315 full`.

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Message, MessageKind};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(kind) = args.get(1).and_then(|k| MessageKind::parse(k)) else {
        eprintln!("usage: sample KIND [full|minimal|random] [SEED]");
        std::process::exit(2);
    };
    let shape = match args.get(2).map(String::as_str) {
        Some("full") => Shape::Full,
        Some("minimal") => Shape::Minimal,
        _ => Shape::Random,
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let message = Message::generate(kind, &mut Gen::new(seed, shape));
    match message.to_xml() {
        Ok(xml) => print!("{xml}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
