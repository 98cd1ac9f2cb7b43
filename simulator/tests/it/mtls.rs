//! Mutual TLS: only certificates of the simulator's CA that are valid now get in.

use crate::common;

use common::*;
use ketenpoort_sim::pki::{self, Validity};

#[tokio::test]
async fn a_generated_system_certificate_is_accepted() {
    let h = start().await;
    let r = h
        .client(PROVIDER)
        .get(h.pull_url(""))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn no_client_certificate_is_refused() {
    let h = start().await;
    let client = client_with(&h.config.pki.ca_pem, None);
    assert!(client.get(h.pull_url("")).send().await.is_err());
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let h = start().await;
    let foreign = pki::foreign_client(PROVIDER).expect("foreign certificate");
    let client = client_with(&h.config.pki.ca_pem, Some(&foreign));
    assert!(client.get(h.pull_url("")).send().await.is_err());
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let h = start().await;
    let expired = h
        .config
        .pki
        .issue_client(PROVIDER, Validity::Expired)
        .expect("expired certificate");
    let client = client_with(&h.config.pki.ca_pem, Some(&expired));
    assert!(client.get(h.pull_url("")).send().await.is_err());
}

#[tokio::test]
async fn a_valid_certificate_of_no_known_indiener_gets_403() {
    let h = start().await;
    let stranger = h
        .config
        .pki
        .issue_client("stranger", Validity::Normal)
        .expect("certificate");
    let client = client_with(&h.config.pki.ca_pem, Some(&stranger));
    let r = client.get(h.pull_url("")).send().await.expect("request");
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_pkcs12_files_exist_for_every_indiener() {
    let h = start().await;
    for name in [PROVIDER, OTHER_PROVIDER, "softwarehuis"] {
        let (_, _, p12) = h.config.pki.client_files(name);
        let bytes = std::fs::read(&p12).expect("p12 file");
        assert!(bytes.len() > 500, "{name}");
    }
}
