//! Connecting outside dev mode: TLS with a client certificate (the tenant known by its
//! certificate), TLS with an API token, and the typed errors for wrong credentials.

use crate::common;

use std::time::Duration;

use ketenpoort::config::{Config, TenantConfig, TlsConfig as ServerTls, VecozoMode};
use ketenpoort::server::Gateway;
use ketenpoort::tenant::{sha256_hex, token_digest};
use ketenpoort_client::{CareStart, Client, Config as ClientConfig, Error, Law, TlsConfig, proto};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

const TOKEN: &str = "token-of-the-tenant";

/// A CA, a server certificate for localhost and a client certificate, as PEM.
struct Pki {
    ca: String,
    server: (String, String),
    client: (String, String),
    client_der: Vec<u8>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "sdk test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA");

    let server_key = KeyPair::generate().expect("key");
    let mut server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("params");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server_params
        .signed_by(&server_key, &ca, &ca_key)
        .expect("server certificate");

    let client_key = KeyPair::generate().expect("key");
    let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    client_params
        .distinguished_name
        .push(DnType::CommonName, "12345678");
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = client_params
        .signed_by(&client_key, &ca, &ca_key)
        .expect("client certificate");

    Pki {
        ca: ca.pem(),
        server: (server.pem(), server_key.serialize_pem()),
        client: (client.pem(), client_key.serialize_pem()),
        client_der: client.der().to_vec(),
    }
}

/// Starts a TLS gateway (not dev mode) with one tenant for AGB 12345678, known by the client
/// certificate when `mutual`, else by [`TOKEN`].
async fn start_tls(pki: &Pki, mutual: bool) -> (common::DevGateway, tempfile::TempDir) {
    let files = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let p = files.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let tls = ServerTls {
        cert: write("server.pem", &pki.server.0),
        key: write("server-key.pem", &pki.server.1),
        client_ca: mutual.then(|| write("ca.pem", &pki.ca)),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::default();
    config.server.data_dir = dir.path().to_owned();
    config.tls = Some(tls);
    config.vecozo.mode = Some(VecozoMode::Loopback);
    // No allocations arrive on the loopback stand-in; these tests are about TLS, not rules.
    config.messages.cross_message_rules = false;
    config.tenants = vec![TenantConfig {
        name: "provider".into(),
        api_token_sha256: (!mutual).then(|| token_digest(TOKEN)),
        certificate_sha256: mutual.then(|| sha256_hex(&pki.client_der)),
        agb_codes: vec!["12345678".into()],
        all_agb_codes: false,
        auto_answer: None,
    }];
    let gateway = Gateway::open(config).expect("opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    (common::DevGateway::serve(gateway, listener, dir), files)
}

fn care_start(agb: &str) -> CareStart {
    CareStart::builder(Law::Ijw, agb, "0268")
        .client(
            proto::ClientIdentity::new("123456782", "2012-05-17", "2", "Jansen").with_initials("A"),
        )
        .product(proto::CareStartProduct::new(
            1001,
            proto::Product::new("45", "45A48"),
            "2025-03-01",
            "2025-03-04",
        ))
}

fn url(gw: &common::DevGateway) -> String {
    format!("https://localhost:{}", gw.addr.port())
}

#[tokio::test]
async fn mutual_tls_with_a_client_certificate() {
    let pki = pki();
    let (gw, _files) = start_tls(&pki, true).await;
    let tls = TlsConfig {
        ca_pem: pki.ca.clone().into_bytes(),
        client_cert_pem: Some(pki.client.0.clone().into_bytes()),
        client_key_pem: Some(pki.client.1.clone().into_bytes()),
        domain_name: None,
    };
    let client = Client::connect(ClientConfig::new(url(&gw)).tls(tls))
        .await
        .expect("connect");
    let s = client
        .submit_care_start(care_start("12345678"))
        .await
        .expect("accepted for the certificate's tenant");
    assert_eq!(s.response.kind, "JW305");
    gw.stop().await;
}

#[tokio::test]
async fn tls_with_an_api_token_and_the_typed_credential_errors() {
    let pki = pki();
    let (gw, _files) = start_tls(&pki, false).await;
    let tls = TlsConfig {
        ca_pem: pki.ca.clone().into_bytes(),
        domain_name: Some("localhost".into()),
        ..TlsConfig::default()
    };
    let config = ClientConfig::new(format!("https://127.0.0.1:{}", gw.addr.port()))
        .tls(tls)
        .timeout(Duration::from_secs(10));

    let client = Client::connect(config.clone().token(TOKEN))
        .await
        .expect("connect");
    client
        .submit_care_start(care_start("12345678"))
        .await
        .expect("accepted");
    let e = client
        .submit_care_start(care_start("87654321"))
        .await
        .expect_err("not the tenant's AGB code");
    assert!(matches!(e, Error::PermissionDenied(_)), "{e:?}");

    let stranger = Client::connect(config.clone().token("not-a-token"))
        .await
        .expect("connect");
    let e = stranger
        .submit_care_start(care_start("12345678"))
        .await
        .expect_err("unknown token");
    assert!(matches!(e, Error::Unauthenticated(_)), "{e:?}");

    let e = Client::connect(config.token("bad\ntoken"))
        .await
        .expect_err("not a header value");
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    gw.stop().await;
}
