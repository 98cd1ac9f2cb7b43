//! Replays the `request_file` and `vecozo_json` fuzz targets' seeds and every input that
//! once crashed them (`fuzz/seeds/<target>`, `fuzz/regressions/<target>`) through the same
//! code as the targets.

use std::path::Path;

use ketenpoort::cli::request_file;
use ketenpoort::vecozo::client::verify_payload;
use ketenpoort::vecozo::collect::classify;
use ketenpoort::vecozo::wire::{BerichtstatusGegevens, PullMetadata, ValidationProblemDetails};

fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_file() {
            let bytes = std::fs::read(&path).expect("read input");
            out.push((path.display().to_string(), bytes));
        }
    }
    out.sort();
    out
}

fn all(target: &str) -> Vec<(String, Vec<u8>)> {
    let seeds = inputs("seeds", target);
    assert!(!seeds.is_empty(), "the {target} seed corpus is committed");
    seeds
        .into_iter()
        .chain(inputs("regressions", target))
        .collect()
}

#[test]
fn request_file_seeds_and_regressions() {
    let mut parsed = 0;
    for (_, data) in all("request_file") {
        let Some((&selector, bytes)) = data.split_first() else {
            continue;
        };
        let path = if selector % 2 == 0 {
            Path::new("request.json")
        } else {
            Path::new("request.toml")
        };
        if let Ok(request) = request_file::parse(path, bytes) {
            let _ = request_file::derived_request_id(&request);
            parsed += 1;
        }
    }
    assert!(parsed > 0, "the seeds are request files the parser reads");
}

#[test]
fn vecozo_json_seeds_and_regressions() {
    let mut listed = 0;
    for (_, data) in all("vecozo_json") {
        let _ = serde_json::from_slice::<Vec<BerichtstatusGegevens>>(&data);
        let _ = serde_json::from_slice::<ValidationProblemDetails>(&data);
        let (json, payload) = match data.iter().position(|&b| b == 0) {
            Some(i) => (&data[..i], &data[i + 1..]),
            None => (&data[..], &[][..]),
        };
        if let Ok(listing) = serde_json::from_slice::<Vec<PullMetadata>>(json) {
            for item in &listing {
                let _ = item.traceer_id();
                let _ = verify_payload(item, payload);
                let _ = classify(item, payload);
                listed += 1;
            }
        }
    }
    assert!(listed > 0, "a seed is a listing");
}
