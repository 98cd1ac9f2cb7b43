//! TLS to PostgreSQL (`PgTls::Verify`, docs/POSTGRES.md): against the test server's own
//! certificate (Debian's cluster serves `ssl-cert-snakeoil`, self-signed for the host's
//! name), trusted as the root. Skipped with a message when the server has no TLS or its
//! certificate file cannot be read; PostgreSQL itself is required as in the other modules.

use std::path::PathBuf;

use ketenpoort::store::postgres::{PgError, PgOptions, PgTls, connect};

use crate::common::pg::{TestDb, base_options};

/// Whether the connection a pool hands out is encrypted (`pg_stat_ssl`).
async fn encrypted(options: &PgOptions) -> Result<bool, PgError> {
    let pool = connect(options).await?;
    let client = pool.get().await?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// The first DNS name the certificate in the PEM file `path` is valid for.
fn dns_name(path: &std::path::Path) -> Option<String> {
    let pem = std::fs::read(path).ok()?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).ok()?;
    let cert = pem.parse_x509().ok()?;
    let san = cert.subject_alternative_name().ok()??;
    san.value.general_names.iter().find_map(|n| match n {
        x509_parser::extensions::GeneralName::DNSName(d) => Some((*d).to_owned()),
        _ => None,
    })
}

/// `options`' url as key=value pairs, with `host` and `hostaddr` in place of its host.
fn with_host(options: &PgOptions, host: &str, hostaddr: Option<&str>) -> PgOptions {
    let config = options.pg_config().expect("the tests' url parses");
    let mut url = format!("host={host}");
    if let Some(addr) = hostaddr {
        url.push_str(&format!(" hostaddr={addr}"));
    }
    url.push_str(&format!(
        " port={}",
        config.get_ports().first().copied().unwrap_or(5432)
    ));
    if let Some(user) = config.get_user() {
        url.push_str(&format!(" user={user}"));
    }
    if let Some(password) = config.get_password() {
        url.push_str(&format!(" password={}", String::from_utf8_lossy(password)));
    }
    if let Some(db) = config.get_dbname() {
        url.push_str(&format!(" dbname={db}"));
    }
    PgOptions {
        url: Some(url),
        ..options.clone()
    }
}

#[tokio::test]
async fn tls_connections_are_encrypted_and_the_server_verified() {
    let Some(db) = TestDb::new("tls_connections_are_encrypted_and_the_server_verified").await
    else {
        return;
    };
    let client = db.pool.get().await.expect("connection");
    let ssl: String = client
        .query_one("SHOW ssl", &[])
        .await
        .expect("SHOW ssl")
        .get(0);
    let cert_file: String = client
        .query_one("SHOW ssl_cert_file", &[])
        .await
        .expect("SHOW ssl_cert_file")
        .get(0);
    drop(client);
    let cert = PathBuf::from(&cert_file);
    let name = dns_name(&cert);
    let (true, Some(name)) = (ssl == "on", name) else {
        println!(
            "tls test skipped: the server has ssl = {ssl}, or its certificate {cert_file} \
             cannot be read here or names no host"
        );
        db.drop_schema().await;
        return;
    };
    let base = base_options();
    // Plain, as configured by default: not encrypted.
    assert!(!encrypted(&base).await.expect("plain connection"));

    // Verified: the certificate chains to the trusted root and names the host.
    let verify = PgTls::Verify {
        root_certs: cert.clone(),
    };
    let good = PgOptions {
        tls: verify.clone(),
        ..with_host(&base, &name, Some("127.0.0.1"))
    };
    assert!(encrypted(&good).await.expect("a verified TLS connection"));

    // A name the certificate does not hold: refused, not connected in the clear.
    let wrong_name = PgOptions {
        tls: verify,
        ..with_host(&base, "127.0.0.1", None)
    };
    let err = encrypted(&wrong_name)
        .await
        .expect_err("the certificate does not name 127.0.0.1");
    assert!(matches!(err, PgError::Connect(_)), "{err:?}");

    // Roots that did not issue the server's certificate: refused.
    let dir = tempfile::tempdir().expect("dir");
    let other = dir.path().join("other-ca.pem");
    let ca = rcgen::generate_simple_self_signed(vec!["other.example".into()]).expect("a CA");
    std::fs::write(&other, ca.cert.pem()).expect("write");
    let untrusted = PgOptions {
        tls: PgTls::Verify { root_certs: other },
        ..with_host(&base, &name, Some("127.0.0.1"))
    };
    assert!(matches!(
        encrypted(&untrusted).await,
        Err(PgError::Connect(_))
    ));

    // A roots file that is not there: a clear error naming it, before any connection.
    let missing = dir.path().join("missing.pem");
    let err = connect(&PgOptions {
        tls: PgTls::Verify {
            root_certs: missing.clone(),
        },
        ..base.clone()
    })
    .await
    .expect_err("no roots file");
    assert!(matches!(err, PgError::Tls(_)), "{err:?}");
    assert!(err.to_string().contains("missing.pem"), "{err}");
    db.drop_schema().await;
}
