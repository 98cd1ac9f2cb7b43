//! The configuration: the commented example parses, environment variables override it, and a
//! bad key or variable is named in the error.

use std::path::PathBuf;

use ketenpoort::config::{Config, ConfigError, VecozoMode};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ketenpoort.example.toml")
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_example_file_parses() {
    let c = Config::load(Some(&example()), false, env(&[])).expect("the example parses");
    assert!(!c.dev);
    assert_eq!(c.tenants.len(), 2);
    assert_eq!(c.tenants[0].agb_codes, vec!["12345678", "12345679"]);
    assert_eq!(c.messages.bericht_xsd_versie, "1.0.0");
    assert_eq!(c.vecozo_mode(), VecozoMode::Off);
    assert!(c.tls.is_some());
    assert_eq!(c.store.history_cache_entries, 50_000);
    assert_eq!(c.store.cache_mb, 64);
}

#[test]
fn environment_variables_override_the_file() {
    let c = Config::load(
        Some(&example()),
        false,
        env(&[
            ("KETENPOORT_SERVER_DATA_DIR", "/var/lib/kp"),
            ("KETENPOORT_MESSAGES_BERICHT_XSD_VERSIE", "0.1.0"),
            ("KETENPOORT_SERVER_MAX_REQUEST_BYTES", "1000"),
            ("KETENPOORT_VECOZO_MODE", "loopback"),
            // Other KETENPOORT_ variables (used by tests and tools) are left alone.
            ("KETENPOORT_STANDARDS_DIR", "/elsewhere"),
            ("PATH", "/usr/bin"),
        ]),
    )
    .expect("valid");
    assert_eq!(c.server.data_dir, PathBuf::from("/var/lib/kp"));
    assert_eq!(c.messages.bericht_xsd_versie, "0.1.0");
    assert_eq!(c.server.max_request_bytes, 1000);
    assert_eq!(c.vecozo_mode(), VecozoMode::Loopback);
}

#[test]
fn dev_mode_needs_no_file_and_has_a_dev_tenant() {
    let c = Config::load(None, true, env(&[])).expect("valid");
    assert!(c.dev);
    assert_eq!(c.server.grpc_listen.to_string(), "127.0.0.1:50051");
    assert_eq!(c.server.admin_listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.data_dir, PathBuf::from("./ketenpoort-data"));
    assert_eq!(c.vecozo_mode(), VecozoMode::Simulator);
    let tenants = c.effective_tenants();
    assert!(tenants.iter().any(|t| t.name == "dev" && t.all_agb_codes));
}

#[test]
fn the_dev_clock_offset_is_for_dev_mode_only() {
    let offset = || env(&[("KETENPOORT_SERVER_DEV_CLOCK_OFFSET_DAYS", "730")]);
    let c = Config::load(None, true, offset()).expect("valid in dev mode");
    assert_eq!(c.server.dev_clock_offset_days, 730);
    let e = Config::load(Some(&example()), false, offset()).expect_err("not in production");
    assert!(matches!(e, ConfigError::Invalid { .. }), "{e}");
    assert!(
        e.to_string().contains("server.dev_clock_offset_days"),
        "{e}"
    );
    let c = Config::load(None, true, env(&[])).expect("valid");
    assert_eq!(
        c.server.dev_clock_offset_days, 0,
        "the system clock by default"
    );
}

#[test]
fn an_unknown_key_is_named() {
    let e = Config::from_toml("[server]\ndata_dri = \"x\"\n").expect_err("unknown key");
    assert!(matches!(e, ConfigError::Parse { .. }));
    assert!(e.to_string().contains("data_dri"), "{e}");
}

#[test]
fn a_wrongly_typed_value_is_named() {
    let e = Config::from_toml("dev = true\n[server]\nallow_plaintext = \"yes\"\n")
        .expect_err("wrong type");
    assert!(e.to_string().contains("allow_plaintext"), "{e}");
}

#[test]
fn an_unknown_or_bad_variable_is_named() {
    let e = Config::load(None, true, env(&[("KETENPOORT_TLS_CRT", "x")])).expect_err("unknown");
    assert!(
        matches!(&e, ConfigError::Env { key, .. } if key == "KETENPOORT_TLS_CRT"),
        "{e}"
    );
    let e = Config::load(
        None,
        true,
        env(&[("KETENPOORT_SERVER_ALLOW_PLAINTEXT", "maybe")]),
    )
    .expect_err("bad bool");
    assert!(
        e.to_string().contains("KETENPOORT_SERVER_ALLOW_PLAINTEXT"),
        "{e}"
    );
}

#[test]
fn production_needs_tenants_and_tls() {
    let e = Config::load(None, false, env(&[])).expect_err("no tenants");
    assert!(
        matches!(&e, ConfigError::Invalid { key, .. } if key == "tenants"),
        "{e}"
    );
    let e = Config::from_toml(
        "[[tenants]]\nname = \"a\"\napi_token_sha256 = \"00\"\nagb_codes = [\"12345678\"]\n",
    )
    .expect_err("bad digest");
    assert!(e.to_string().contains("tenants[0].api_token_sha256"), "{e}");
    let e = Config::from_toml(&format!(
        "[[tenants]]\nname = \"a\"\napi_token_sha256 = \"{}\"\nagb_codes = [\"1234\"]\n",
        "0".repeat(64)
    ))
    .expect_err("bad AGB");
    assert!(e.to_string().contains("tenants[0].agb_codes"), "{e}");
    let e = Config::from_toml(&format!(
        "[[tenants]]\nname = \"a\"\napi_token_sha256 = \"{}\"\nagb_codes = [\"12345678\"]\n",
        "0".repeat(64)
    ))
    .expect_err("no TLS");
    assert!(
        matches!(&e, ConfigError::Invalid { key, .. } if key == "tls"),
        "{e}"
    );
}

/// docker/compose.yaml's gateway configuration, with the image's environment: dev mode, the
/// VECOZO client pointed at the simulator container with a certificate per AGB code; and the
/// simulator scenario beside it knows those AGB codes.
#[test]
fn the_compose_configuration_parses_and_matches_the_scenario() {
    let docker = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docker");
    let c = Config::load(
        Some(&docker.join("gateway-dev.toml")),
        false,
        env(&[
            ("KETENPOORT_SERVER_GRPC_LISTEN", "0.0.0.0:50051"),
            ("KETENPOORT_SERVER_ADMIN_LISTEN", "127.0.0.1:8080"),
            ("KETENPOORT_SERVER_DATA_DIR", "/data/ketenpoort"),
        ]),
    )
    .expect("docker/gateway-dev.toml is valid");
    assert!(c.dev);
    assert_eq!(c.vecozo_mode(), VecozoMode::Vecozo);
    let scenario = ketenpoort_sim::Scenario::load(&docker.join("sim-scenario.toml"))
        .expect("docker/sim-scenario.toml is valid");
    for agb in c.vecozo.identity.per_agb.keys() {
        assert!(
            scenario.aanbieders.iter().any(|a| &a.agb == agb),
            "the scenario knows {agb}"
        );
    }
    assert!(!c.vecozo.identity.per_agb.is_empty());
}

#[test]
fn organisation_details_go_per_agb_code_then_per_tenant_then_default() {
    let c = Config::load(Some(&example()), false, env(&[])).expect("the example parses");
    let o = &c.organisations;
    assert_eq!(
        o.lookup("zorgaanbieder-de-linde", "12345679").name,
        "De Linde Ambulant"
    );
    assert_eq!(
        o.lookup("ehr-vendor", "87654321").name,
        "Jeugdhulp Oost B.V."
    );
    let d = o.lookup("zorgaanbieder-de-linde", "12345678");
    assert_eq!(
        (d.name.as_str(), d.signatory.as_str()),
        ("Zorgaanbieder De Linde B.V.", "A. Jansen, bestuurder")
    );
    // Nothing configured: empty details.
    let none = Config::load(None, true, env(&[])).expect("valid");
    assert_eq!(
        none.organisations.lookup("dev", "12345678"),
        Default::default()
    );
}

#[test]
fn organisation_keys_that_are_no_agb_code_or_tenant_are_refused() {
    for (toml, key) in [
        (
            "[organisations.per_agb.\"1234\"]\nname = \"x\"\n",
            "organisations.per_agb.\"1234\"",
        ),
        (
            "[organisations.per_tenant.\"nobody\"]\nname = \"x\"\n",
            "organisations.per_tenant.\"nobody\"",
        ),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("k.toml");
        std::fs::write(&path, toml).expect("write");
        match Config::load(Some(&path), true, env(&[])) {
            Err(ConfigError::Invalid { key: k, .. }) => assert_eq!(k, key),
            other => panic!("expected Invalid for {key}, got {other:?}"),
        }
    }
}

#[test]
fn the_store_backend_is_sled_unless_postgres_is_chosen_and_its_url_is_never_shown() {
    use ketenpoort::config::StoreBackend;
    use ketenpoort::store::postgres::connect::PgTls;
    let c = Config::load(None, true, env(&[])).expect("valid");
    assert_eq!(c.store.backend, StoreBackend::Sled);
    let c = Config::from_toml(
        "dev = true\n[store]\nbackend = \"postgres\"\n[store.postgres]\n\
         url = \"postgres://kp:s3cret-pw@db.internal/kp\"\npool_size = 4\n\
         statement_timeout_ms = 2500\nschema = \"kp_one\"\ntls_root_certs = \"/etc/kp/db-ca.pem\"\n",
    )
    .expect("valid");
    assert_eq!(c.store.backend, StoreBackend::Postgres);
    let o = c.store.postgres.options();
    assert_eq!(o.pool_size, 4);
    assert_eq!(o.statement_timeout, std::time::Duration::from_millis(2500));
    assert_eq!(o.schema.as_deref(), Some("kp_one"));
    assert_eq!(
        o.tls,
        PgTls::Verify {
            root_certs: "/etc/kp/db-ca.pem".into()
        }
    );
    // The password is in no Debug text of the configuration.
    assert!(!format!("{c:?}").contains("s3cret-pw"));
    assert!(!format!("{o:?}").contains("s3cret-pw"));
    let c =
        Config::load(None, true, env(&[("KETENPOORT_STORE_BACKEND", "postgres")])).expect("valid");
    assert_eq!(c.store.backend, StoreBackend::Postgres);
    assert_eq!(c.store.postgres.options().tls, PgTls::Off);
}

#[test]
fn a_bad_store_backend_or_pool_size_is_named() {
    let e = Config::from_toml("[store]\nbackend = \"mysql\"\n").expect_err("refused");
    assert!(e.to_string().contains("mysql"), "{e}");
    let e = Config::from_toml("[store.postgres]\npool_size = 0\n").expect_err("refused");
    assert!(e.to_string().contains("store.postgres.pool_size"), "{e}");
    let e = Config::from_toml("[store.postgres]\npasword = \"x\"\n").expect_err("refused");
    assert!(e.to_string().contains("pasword"), "{e}");
}
