//! The simulator's multipart push endpoint (`POST …/rest-push/v1/berichten`) on an arbitrary
//! body: multipart parsing, the metadata JSON, the ontvangstcontrole and the ketencontrole's
//! reading of the payload, through the real router. Must never panic and always answer.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use ketenpoort_sim::api::Peer;
use ketenpoort_sim::{Clock, Scenario, Simulator};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const BOUNDARY: &str = "ketenpoortfuzz";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    // A fresh simulator per input, so that inputs do not depend on each other.
    let sim = Simulator::new(Scenario::default(), Clock::system(), None);
    let router = ketenpoort_sim::api::router(sim);
    let mut request = Request::post(format!("{}/berichten", ketenpoort_sim::api::PUSH_BASE))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(data.to_vec()))
        .expect("a request");
    request.extensions_mut().insert(Peer {
        cn: Some("12345678".into()),
    });
    let response = runtime()
        .block_on(router.oneshot(request))
        .expect("the router is infallible");
    assert!(response.status().as_u16() >= 200);
});
