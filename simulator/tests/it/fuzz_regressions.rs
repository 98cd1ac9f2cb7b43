//! Replays the `sim_push` fuzz target's seeds and every input that once crashed it
//! (`fuzz/seeds/sim_push`, `fuzz/regressions/sim_push`) as multipart push bodies against a
//! running simulator: each gets an answer.

use crate::common;

use std::path::Path;

use common::*;

fn inputs(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join("sim_push");
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

#[tokio::test]
async fn sim_push_seeds_and_regressions() {
    let h = start().await;
    let client = h.client(PROVIDER);
    let seeds = inputs("seeds");
    assert!(!seeds.is_empty(), "the seed corpus is committed");
    for (name, body) in seeds.iter().chain(&inputs("regressions")) {
        let r = client
            .post(h.push_url())
            .header(
                "content-type",
                "multipart/form-data; boundary=ketenpoortfuzz",
            )
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: no answer: {e}"));
        assert!(
            r.status().is_success() || r.status().is_client_error(),
            "{name}: {}",
            r.status()
        );
    }
}
