//! The JSON the gateway's VECOZO client parses (listing, status, problem details), and what
//! the collector does with a listed item: verify a payload against it and classify one.
//! Must never panic.
#![no_main]

use ketenpoort::vecozo::client::verify_payload;
use ketenpoort::vecozo::collect::classify;
use ketenpoort::vecozo::wire::{BerichtstatusGegevens, PullMetadata, ValidationProblemDetails};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<Vec<BerichtstatusGegevens>>(data);
    let _ = serde_json::from_slice::<ValidationProblemDetails>(data);
    // The rest of the input after a NUL is a payload for the listed items.
    let (json, payload) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    if let Ok(listing) = serde_json::from_slice::<Vec<PullMetadata>>(json) {
        for item in &listing {
            let _ = item.traceer_id();
            let _ = verify_payload(item, payload);
            let _ = classify(item, payload);
        }
    }
});
