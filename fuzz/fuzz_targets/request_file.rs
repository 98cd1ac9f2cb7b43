//! The CLI's request-file parser (`ketenpoort submit FILE`) on arbitrary bytes, as JSON and
//! as TOML (the first byte picks the extension). Must never panic.
#![no_main]

use std::path::Path;

use ketenpoort::cli::request_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let path = if selector % 2 == 0 {
        Path::new("request.json")
    } else {
        Path::new("request.toml")
    };
    if let Ok(request) = request_file::parse(path, bytes) {
        let _ = request_file::derived_request_id(&request);
    }
});
