//! The operator console over HTTP, without a browser (console_browser.rs drives a real one):
//! sign-in per tenant with the tenant's API token, what a tenant sees and does not see, CSRF
//! tokens on every state-changing form, the reveal that writes the access log before it
//! shows anything, the resend with the API's own checks, the downloads in the report
//! formats, sign-out, and the console over TLS with a client certificate.

use crate::common;

use std::time::Duration;

use common::web::{Page, Web};
use common::*;
use ketenpoort::proto::{self, Law};

const SURNAME_A: &str = "Zuiderhoek";
const SURNAME_B: &str = "Noorderveen";

/// Waits (at most 10 s) until `path` shows `needle`: the console's index follows the store
/// a moment after a write.
async fn until_shown(web: &mut Web, path: &str, needle: &str) -> Page {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let page = web.get(path).await;
        if page.body.contains(needle) {
            return page;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path} never showed {needle:?}:\n{}",
            page.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn access_log(server: &TestServer) -> Vec<ketenpoort::store::access_log::AccessEntry> {
    let shared = server.shared.upgrade().expect("the server runs");
    shared
        .store
        .access_log(None, 1000, &|_| true)
        .expect("the access log reads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_sees_its_own_messages_and_reveals_personal_data_only_with_a_logged_post() {
    let (server, console) = start_with_console(|_| {}).await;
    let mut c = server.client().await;
    let mut r = request_for_allocation(Law::Ijw, AGB_A, "a-315");
    r.client = Some(proto::ClientIdentity {
        surname: SURNAME_A.into(),
        ..client()
    });
    let a315 = c
        .submit_request_for_allocation(req(TOKEN_A, r))
        .await
        .expect("315 of a")
        .into_inner()
        .message_id;
    let a323 = c
        .submit_declaration(req(TOKEN_A, declaration(Law::Ijw, AGB_A, "a-323")))
        .await
        .expect("323 of a")
        .into_inner()
        .message_id;
    let b_bsn = bsn(7);
    let mut r = request_for_allocation(Law::Ijw, AGB_B, "b-315");
    r.client = Some(proto::ClientIdentity {
        surname: SURNAME_B.into(),
        bsn: b_bsn.clone(),
        ..client()
    });
    let b315 = c
        .submit_request_for_allocation(req(TOKEN_B, r))
        .await
        .expect("315 of b")
        .into_inner()
        .message_id;
    // A 301 for tenant a that it answers by hand: an allocation and an open duty (302).
    let xml = allocation_xml(
        Law::Ijw,
        AGB_A,
        "123456782",
        "T1",
        &[Allocated {
            nummer: 4242,
            start: "2025-05-01",
            end: Some("2025-12-31"),
        }],
    );
    collect(
        &server,
        &xml,
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        noon_ms(2025, 4, 2),
        true,
    )
    .await;

    // Not signed in: every page sends to the sign-in page.
    let mut a = Web::new(console);
    let page = a.get("/berichten").await;
    assert_eq!((page.status, page.location()), (303, "/aanmelden"));
    // A wrong token, or no name, is refused.
    let page = a.sign_in("not-a-token", "Piet").await;
    assert_eq!(page.status, 401, "{}", page.body);
    assert!(page.body.contains("Aanmelden mislukt"), "{}", page.body);
    let page = a.sign_in(TOKEN_A, "  ").await;
    assert_eq!(page.status, 401);
    // The sign-in form's own CSRF token is required.
    a.get("/aanmelden").await;
    let page = a
        .post(
            "/aanmelden",
            &[("csrf", "forged"), ("token", TOKEN_A), ("user", "Piet")],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);

    let page = a.sign_in(TOKEN_A, "Piet Medewerker").await;
    assert_eq!((page.status, page.location()), (303, "/overzicht"));
    let cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("kp_sessie="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");

    // The list: a's messages, masked BSNs, no names, nothing of b.
    let list = until_shown(&mut a, "/berichten", &format!("/berichten/{a323}\"")).await;
    assert_eq!(list.status, 200);
    for h in ["content-security-policy", "x-content-type-options"] {
        assert!(list.headers.contains_key(h), "{h}");
    }
    assert_eq!(list.headers["cache-control"], "no-store");
    assert!(list.body.contains(&format!("/berichten/{a315}\"")));
    assert!(list.body.contains("******782"), "{}", list.body);
    assert!(list.body.contains("******333"), "{}", list.body);
    for hidden in ["123456782", "111222333", SURNAME_A, SURNAME_B, &b_bsn] {
        assert!(!list.body.contains(hidden), "{hidden} in the list");
    }
    assert!(!list.body.contains(&format!("/berichten/{b315}\"")));
    // Filters: by kind, by ToewijzingNummer of the claim's lines, by DeclaratieNummer.
    let page = a.get("/berichten?soort=JW323").await;
    assert!(page.body.contains(&format!("/berichten/{a323}\"")));
    assert!(!page.body.contains(&format!("/berichten/{a315}\"")));
    let page = a.get("/berichten?toewijzing=1002").await;
    assert!(page.body.contains(&format!("/berichten/{a323}\"")));
    assert!(!page.body.contains(&format!("/berichten/{a315}\"")));
    // Another tenant's AGB code is refused, as ListMessages refuses it.
    let page = a.get(&format!("/berichten?agb={AGB_B}")).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(!page.body.contains(&format!("/berichten/{b315}\"")));

    // b's message by a guessed URL is the same "not found" as a message that does not exist.
    let guessed = a.get(&format!("/berichten/{b315}")).await;
    let missing = a.get("/berichten/999999").await;
    assert_eq!((guessed.status, missing.status), (404, 404));
    assert!(!guessed.body.contains(AGB_B) && !guessed.body.contains("JW315"));

    // Search by BSN: a POST (the BSN is in no URL), with the session's CSRF token.
    let csrf = list.csrf();
    let page = a.post("/berichten/zoeken", &[("bsn", "123456782")]).await;
    assert_eq!(page.status, 403, "no CSRF token: refused");
    let page = a
        .post(
            "/berichten/zoeken",
            &[("csrf", &csrf), ("bsn", "123456782")],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("/berichten/{a315}\"")));
    assert!(!page.body.contains(&format!("/berichten/{a323}\"")));
    let page = a
        .post("/berichten/zoeken", &[("csrf", &csrf), ("bsn", &b_bsn)])
        .await;
    assert!(!page.body.contains(&format!("/berichten/{b315}\"")));
    assert!(page.body.contains("Geen berichten gevonden"));

    // A message's page: masked until revealed; the reveal needs the CSRF token and is
    // logged before anything shows.
    let page = a.get(&format!("/berichten/{a315}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("******782") && !page.body.contains("123456782"));
    assert!(!page.body.contains(SURNAME_A));
    let reveal = format!("/berichten/{a315}/inzien");
    let page = a.post(&reveal, &[]).await;
    assert_eq!(page.status, 403);
    assert!(!page.body.contains("123456782"));
    assert!(
        access_log(&server).is_empty(),
        "a refused reveal logs nothing"
    );
    let page = a.post(&reveal, &[("csrf", &csrf)]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("123456782") && page.body.contains(SURNAME_A));
    assert!(page.body.contains("2012-05-17"), "the birth date");
    let log = access_log(&server);
    assert_eq!(log.len(), 1, "{log:?}");
    let entry = &log[0];
    assert_eq!(entry.tenant, "a");
    assert_eq!(entry.user, "Piet Medewerker");
    assert_eq!(entry.credential, "API-token");
    assert_eq!(entry.message_id.to_string(), a315);
    assert_eq!(entry.clients, vec!["123456782".to_owned()]);
    let page = a.get("/inzagelog").await;
    assert!(page.body.contains("Piet Medewerker") && page.body.contains("******782"));
    assert!(!page.body.contains("123456782"), "the log page masks too");
    let export = a.get("/inzagelog.csv").await;
    assert_eq!(export.status, 200);
    let lines: Vec<&str> = export.body.lines().collect();
    assert_eq!(
        lines[0],
        "sequence,at,tenant,user,credential,message_id,agb_code,kind,bsn"
    );
    assert!(
        lines[1].starts_with("1,2025-04-02T12:00:00.000Z,a,Piet Medewerker,API-token,"),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(&format!(",{a315},{AGB_A},JW315,123456782")));
    // The log has no route that changes it.
    for path in ["/inzagelog", "/inzagelog/1", "/inzagelog.csv"] {
        let page = a.post(path, &[("csrf", &csrf)]).await;
        assert!(matches!(page.status, 404 | 405), "{path}: {}", page.status);
    }
    assert_eq!(access_log(&server).len(), 1);

    // Resend: the API's operation with its checks (only a refused message goes again).
    let page = a
        .post(&format!("/berichten/{a315}/opnieuw"), &[("csrf", &csrf)])
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("not REJECTED_BY_VECOZO"),
        "{}",
        page.body
    );
    let page = a
        .post(&format!("/berichten/{b315}/opnieuw"), &[("csrf", &csrf)])
        .await;
    assert_eq!(page.status, 404);

    // Termijnen: the 302 a answers by hand; Toewijzingen: the allocation, BSN masked.
    let page = a.get("/termijnen").await;
    assert!(
        page.body.contains("JW302") && page.body.contains("OP090"),
        "{}",
        page.body
    );
    let page = until_shown(&mut a, "/toewijzingen", "4242").await;
    assert!(page.body.contains("******782") && !page.body.contains("123456782"));
    let page = a.get("/overzicht").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "charts are drawn on the server");
    let page = a.get("/uitval").await;
    assert_eq!(page.status, 200);

    // Downloads: the report's formats, written by its own functions.
    let page = a
        .get("/downloads/bestand?van=2025-04-01&tot=2025-04-30&formaat=regels-csv")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("declaration-lines.csv")
    );
    let rows: Vec<&str> = page.body.lines().collect();
    assert!(rows[0].starts_with("message_id,identificatie,agb_code"));
    assert_eq!(rows.len(), 3, "two claim lines: {rows:?}");
    assert!(rows[1].contains(",R1,") && rows[2].contains(",R2,"));
    let page = a
        .get("/downloads/bestand?van=2025-04-01&formaat=berichten-csv")
        .await;
    assert!(page.body.contains(&format!("\r\n{a315},JW315,{AGB_A}")));
    assert!(!page.body.contains(AGB_B), "only a's messages");
    assert!(
        !page.body.contains("123456782"),
        "no BSNs in the report formats"
    );
    let page = a.get("/downloads/bestand?van=2025-13-01").await;
    assert_eq!(page.status, 400, "a bad date is named: {}", page.body);

    // English on request.
    let page = a
        .post(
            "/taal",
            &[("csrf", &csrf), ("lang", "en"), ("back", "/berichten")],
        )
        .await;
    assert_eq!((page.status, page.location()), (303, "/berichten"));
    let page = a.get("/berichten").await;
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Messages"));

    // Tenant b: none of a's messages, allocations, deadlines or access log.
    let mut b = Web::new(console);
    assert_eq!(b.sign_in(TOKEN_B, "Bea").await.status, 303);
    let page = until_shown(&mut b, "/berichten", &format!("/berichten/{b315}\"")).await;
    assert!(!page.body.contains(&format!("/berichten/{a315}\"")));
    assert!(!page.body.contains(&format!("/berichten/{a323}\"")));
    for path in ["/toewijzingen", "/termijnen", "/inzagelog", "/uitval"] {
        let page = b.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        for hidden in ["4242", "Piet Medewerker", "******782", &a315] {
            assert!(
                !page.body.contains(&format!(">{hidden}<")) && !page.body.contains("JW302"),
                "{path} shows {hidden}"
            );
        }
    }
    assert_eq!(b.get(&format!("/berichten/{a315}")).await.status, 404);
    let b_csrf = b.session_csrf().await;
    let page = b
        .post(&format!("/berichten/{a315}/inzien"), &[("csrf", &b_csrf)])
        .await;
    assert_eq!(page.status, 404);
    assert!(!page.body.contains("123456782"));
    assert_eq!(
        access_log(&server).len(),
        1,
        "nothing shown, nothing logged"
    );
    let export = b.get("/inzagelog.csv").await;
    assert_eq!(export.body.lines().count(), 1, "only the header for b");
    // a's CSRF token is not b's.
    let page = b.post("/afmelden", &[("csrf", &csrf)]).await;
    assert_eq!(page.status, 403);

    // Sign-out needs the token, ends the session, and the old cookie no longer works.
    let old = a.cookies.clone();
    let page = a.post("/afmelden", &[]).await;
    assert_eq!(page.status, 403);
    let page = a.post("/afmelden", &[("csrf", &csrf)]).await;
    assert_eq!(page.status, 303);
    assert!(page.location().starts_with("/aanmelden?afgemeld=1"));
    a.cookies = old;
    let page = a.get("/overzicht").await;
    assert_eq!(
        (page.status, page.location()),
        (303, "/aanmelden?verlopen=1")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_after_its_idle_timeout() {
    let (server, console) = start_with_console(|c| c.console.idle_timeout_secs = 1).await;
    let mut a = Web::new(console);
    assert_eq!(a.sign_in(TOKEN_A, "Piet").await.status, 303);
    assert_eq!(a.get("/overzicht").await.status, 200);
    // The idle timeout is the behaviour under test: a second without a request.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let page = a.get("/overzicht").await;
    assert_eq!(
        (page.status, page.location()),
        (303, "/aanmelden?verlopen=1")
    );
    let page = a.get("/aanmelden?verlopen=1").await;
    assert!(page.body.contains("sessie is verlopen"), "{}", page.body);
    server.stop().await;
}

/// A CA, a server certificate for localhost and a client certificate (PEM files in `dir`);
/// returns the client certificate's DER.
fn pki(dir: &std::path::Path) -> Vec<u8> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    };
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "console test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let server_key = KeyPair::generate().expect("key");
    let mut server_params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server_params
        .signed_by(&server_key, &ca, &ca_key)
        .expect("server certificate");
    let client_key = KeyPair::generate().expect("key");
    let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    client_params
        .distinguished_name
        .push(DnType::CommonName, "tenant c");
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = client_params
        .signed_by(&client_key, &ca, &ca_key)
        .expect("client certificate");
    for (name, pem) in [
        ("ca.pem", ca.pem()),
        ("server.pem", server.pem()),
        ("server-key.pem", server_key.serialize_pem()),
        (
            "client.pem",
            format!("{}{}", client.pem(), client_key.serialize_pem()),
        ),
    ] {
        std::fs::write(dir.join(name), pem).expect("write");
    }
    client.der().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_a_tenant_signs_in_with_its_client_certificate_and_the_cookie_is_secure() {
    let files = tempfile::tempdir().expect("temp dir");
    let der = pki(files.path());
    let dir = files.path().to_owned();
    let (server, console) = start_with_console(move |c| {
        c.tls = Some(ketenpoort::config::TlsConfig {
            cert: dir.join("server.pem"),
            key: dir.join("server-key.pem"),
            client_ca: Some(dir.join("ca.pem")),
        });
        c.console.tls = Some(true);
        c.tenants.push(ketenpoort::config::TenantConfig {
            name: "c".into(),
            api_token_sha256: None,
            certificate_sha256: Some(ketenpoort::tenant::sha256_hex(&der)),
            agb_codes: vec![AGB_A2.into()],
            all_agb_codes: false,
            auto_answer: None,
        });
    })
    .await;
    let ca =
        reqwest::Certificate::from_pem(&std::fs::read(files.path().join("ca.pem")).expect("ca"))
            .expect("ca");
    let base = format!("https://localhost:{}", console.port());
    let builder = || {
        reqwest::Client::builder()
            .add_root_certificate(ca.clone())
            .resolve("localhost", console)
            .redirect(reqwest::redirect::Policy::none())
    };
    // With the certificate: the page offers it; signing in with it opens c's session.
    let identity = reqwest::Identity::from_pem(
        &std::fs::read(files.path().join("client.pem")).expect("client"),
    )
    .expect("identity");
    let mut c = Web::with_client(
        base.clone(),
        builder().identity(identity).build().expect("client"),
    );
    let page = c.get("/aanmelden").await;
    assert!(page.body.contains("value=\"certificate\""), "{}", page.body);
    let csrf = page.csrf();
    let page = c
        .post(
            "/aanmelden",
            &[("csrf", &csrf), ("method", "certificate"), ("user", "Cor")],
        )
        .await;
    assert_eq!(
        (page.status, page.location()),
        (303, "/overzicht"),
        "{}",
        page.body
    );
    let cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("kp_sessie="))
        .expect("a session cookie");
    assert!(cookie.contains("; Secure"), "over TLS: {cookie}");
    let page = c.get("/overzicht").await;
    assert!(page.body.contains("Cor (c)"), "{}", page.body);

    // Without a certificate: no such option, and claiming one gets nowhere; a token works.
    let mut a = Web::with_client(base, builder().build().expect("client"));
    let page = a.get("/aanmelden").await;
    assert!(!page.body.contains("value=\"certificate\""));
    let csrf = page.csrf();
    let page = a
        .post(
            "/aanmelden",
            &[("csrf", &csrf), ("method", "certificate"), ("user", "Eve")],
        )
        .await;
    assert_eq!(page.status, 401);
    assert_eq!(a.sign_in(TOKEN_A, "Piet").await.status, 303);
    server.stop().await;
}
