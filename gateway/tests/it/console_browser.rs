//! The operator console in a real browser: headless Chromium (the distribution's `chromium`
//! and `chromedriver`; no test tool downloads a browser) drives a dev gateway that runs in
//! this process with the built-in simulator of VECOZO and the municipality.
//!
//! The scenario: sign in; submit the tutorial's flow through gRPC (315, then a 305 and a 323
//! under the allocation the simulator hands out); see the conversation 315 → 316 → 301 → 302
//! → 305 → 323 → 325 with the 325's verdict per claim line; reveal the BSN and find the
//! access-log entry; resend a message the simulator refused (an AGB code VECOZO does not know
//! for the vendor); a form posted without its CSRF token is refused; tenant B sees none of
//! tenant A's messages by list, search or guessed URL; sign out; a session expires. axe-core
//! checks every page for serious accessibility violations, and a screenshot of every page is
//! written to `target/console-screenshots/`.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` (or `KETENPOORT_CHROMIUM` and
//! `KETENPOORT_CHROMEDRIVER`) the test says it skipped, and without axe-core
//! (`npm ci` in `gateway/tests/browser`) it skips the accessibility check; with
//! `KETENPOORT_REQUIRE_BROWSER=1` (CI) both are failures instead.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::{AGB_A, AGB_B, TOKEN_A, TOKEN_B, events_from_start, req};
use fantoccini::{Client, ClientBuilder, Locator};
use ketenpoort::config::{Config, TenantConfig};
use ketenpoort::header::SystemClock;
use ketenpoort::proto::{self, Law};
use ketenpoort::server::Gateway;
use ketenpoort::tenant::token_digest;
use tokio::sync::oneshot;

/// The AGB code of tenant A that the simulator's VECOZO refuses (the vendor has no
/// permission for it).
const AGB_REFUSED: &str = "23456789";
/// The client of tenant A's flow.
const BSN: &str = "123456782";
const SURNAME: &str = "Veldhuizen";
/// Seconds a console session may be idle in this test: short, so that the test can wait for
/// it to pass, but longer than the slowest step between two requests (an accessibility check
/// on a busy machine).
const IDLE_SECS: u64 = 10;

fn required() -> bool {
    std::env::var("KETENPOORT_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

fn program(env: &str, default: &str) -> Option<PathBuf> {
    let p = std::env::var_os(env).map_or_else(|| PathBuf::from(default), PathBuf::from);
    p.is_file().then_some(p)
}

fn axe_source() -> Option<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(p).ok()
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("console-screenshots")
}

/// chromedriver on a free loopback port, its log in `dir`.
struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn start_driver(chromedriver: &Path, dir: &Path) -> Driver {
    // Port 0: chromedriver picks a free port and names it in its log. A port picked here
    // and bound later by chromedriver could be taken in between (CI once lost a run to
    // that race in the Python SDK's tests).
    let log_path = dir.join("chromedriver.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let process = Command::new(chromedriver)
        .arg("--port=0")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("chromedriver starts");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let port = loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(port) = text
            .split("started successfully on port ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|digits| digits.parse::<u16>().ok())
        {
            break port;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "chromedriver did not say its port within 30 s; its log: {text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{url}/status")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "chromedriver did not answer within 30 s; its log: {}",
            std::fs::read_to_string(dir.join("chromedriver.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver { process, url }
}

async fn browser(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,1800",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// The dev gateway (mode simulator) with the console, tenants A (two AGB codes, one the
/// simulator refuses) and B.
struct Dev {
    grpc: std::net::SocketAddr,
    console: String,
    _dir: tempfile::TempDir,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), ketenpoort::Error>>,
}

async fn start_dev() -> Dev {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::dev();
    config.server.data_dir = dir.path().to_owned();
    config.console.idle_timeout_secs = IDLE_SECS;
    for (name, token, agbs) in [
        ("a", TOKEN_A, vec![AGB_A, AGB_REFUSED]),
        ("b", TOKEN_B, vec![AGB_B]),
    ] {
        config.tenants.push(TenantConfig {
            name: name.into(),
            api_token_sha256: Some(token_digest(token)),
            certificate_sha256: None,
            agb_codes: agbs.into_iter().map(str::to_owned).collect(),
            all_agb_codes: false,
            auto_answer: None,
        });
    }
    let console = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let console_addr = console.local_addr().expect("addr");
    let gateway = Gateway::open_with_clock(config, Arc::new(SystemClock))
        .expect("opens")
        .with_console(console);
    let grpc = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let grpc_addr = grpc.local_addr().expect("addr");
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(gateway.serve(grpc, None, async {
        let _ = rx.await;
    }));
    Dev {
        grpc: grpc_addr,
        console: format!("http://{console_addr}"),
        _dir: dir,
        stop,
        task,
    }
}

/// Clicks `button`, which submits a form, and waits until the answer has replaced the page
/// (the old page's element goes stale) and is loaded.
async fn submit(b: &Client, button: fantoccini::elements::Element) {
    let old = b.find(Locator::Css("html")).await.expect("the page");
    button.click().await.expect("clicked");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while old.tag_name().await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the form's answer did not arrive within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    loop {
        let state = b
            .execute("return document.readyState;", vec![])
            .await
            .expect("the page's state");
        if state.as_str() == Some("complete") {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the form's answer did not load within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The page's text as a person reads it.
async fn text(b: &Client) -> String {
    b.find(Locator::Css("body"))
        .await
        .expect("a body")
        .text()
        .await
        .expect("its text")
}

/// Reloads `url` until its text contains `needle` (at most `secs`); the reloads also keep
/// the session alive, as a person waiting at the screen would.
async fn until_text(b: &Client, url: &str, needle: &str, secs: u64) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        b.goto(url).await.expect("navigates");
        let t = text(b).await;
        if t.contains(needle) {
            return t;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url} did not show {needle:?} within {secs} s:\n{t}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Reloads `url` until it has the element with id `id` (at most `secs`).
async fn until_element(
    b: &Client,
    url: &str,
    id: &str,
    secs: u64,
) -> fantoccini::elements::Element {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        b.goto(url).await.expect("navigates");
        if let Ok(e) = b.find(Locator::Id(id)).await {
            return e;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url} had no #{id} within {secs} s:\n{}",
            text(b).await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Screenshots and accessibility checks of the pages visited.
struct Audit {
    axe: Option<String>,
    dir: PathBuf,
    n: usize,
    serious: Vec<String>,
}

impl Audit {
    /// Shows that the check finds what it should: an input without a label, added to the
    /// page shown, is a violation axe-core reports (`label`, critical).
    async fn self_test(&self, b: &Client) {
        let Some(axe) = &self.axe else { return };
        b.execute(
            &format!(
                "{axe}\n;const i = document.createElement('input'); i.type = 'text'; \
                 document.querySelector('main').appendChild(i); return true;"
            ),
            vec![],
        )
        .await
        .expect("axe-core loads");
        let found = b
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { runOnly: ['label'] })
                  .then(r => done(r.violations.map(v => v.id + ':' + v.impact).join(',')))
                  .catch(e => done('ERROR ' + e));"#,
                vec![],
            )
            .await
            .expect("axe-core runs");
        assert_eq!(
            found.as_str(),
            Some("label:critical"),
            "axe-core reports an unlabelled input"
        );
    }

    /// Writes a screenshot of the page shown and runs axe-core on it.
    async fn page(&mut self, b: &Client, name: &str) {
        self.n += 1;
        let png = b.screenshot().await.expect("a screenshot");
        std::fs::write(self.dir.join(format!("{:02}-{name}.png", self.n)), png)
            .expect("write the screenshot");
        let Some(axe) = &self.axe else { return };
        b.execute(&format!("{axe}\n;return true;"), vec![])
            .await
            .expect("axe-core loads");
        let result = b
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ['violations'] })
                  .then(r => done(JSON.stringify(r.violations.map(v => ({
                      id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })))))
                  .catch(e => done('ERROR ' + e));"#,
                vec![],
            )
            .await
            .expect("axe-core runs");
        let json = result.as_str().unwrap_or_default().to_owned();
        assert!(!json.starts_with("ERROR"), "axe-core on {name}: {json}");
        let violations: Vec<serde_json::Value> =
            serde_json::from_str(&json).expect("axe-core's violations");
        println!("axe-core on {name}: {} violation(s)", violations.len());
        for v in violations {
            let impact = v["impact"].as_str().unwrap_or("");
            let line = format!(
                "{name}: {impact} {} ({}) at {}",
                v["id"], v["help"], v["nodes"]
            );
            println!("axe: {line}");
            if matches!(impact, "serious" | "critical") {
                self.serious.push(line);
            }
        }
    }
}

async fn sign_in(b: &Client, base: &str, token: &str, user: &str) {
    b.goto(&format!("{base}/aanmelden"))
        .await
        .expect("navigates");
    b.find(Locator::Id("user"))
        .await
        .expect("user field")
        .send_keys(user)
        .await
        .expect("typed");
    b.find(Locator::Id("token"))
        .await
        .expect("token field")
        .send_keys(token)
        .await
        .expect("typed");
    submit(
        b,
        b.find(Locator::Css("form button[type=submit]"))
            .await
            .expect("sign-in button"),
    )
    .await;
    let url = b.current_url().await.expect("url");
    assert_eq!(url.path(), "/overzicht", "signed in");
}

/// Submits a claim for June under allocation `number` (its product from the 315).
fn claim(number: u64, request_id: &str) -> proto::SubmitDeclarationRequest {
    proto::SubmitDeclarationRequest {
        common: Some(common::common(Law::Ijw, AGB_A, request_id)),
        declaration_number: String::new(),
        month: "2025-06".into(),
        clients: vec![proto::DeclarationClient {
            bsn: BSN.into(),
            lines: vec![proto::DeclarationLine {
                reference_number: "CONSOLE-06".into(),
                period_start: "2025-06-01".into(),
                period_end: "2025-06-30".into(),
                delivered_volume: 960,
                // The dev contract: 8724 per hour, ProductTarief per minute (IV081).
                tariff_cents: Some(145),
                amount_cents: Some(139_584),
                ..common::line("unused", number, Law::Ijw)
            }],
        }],
        split_when_too_large: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_in_a_real_browser() {
    let (Some(chromium), Some(chromedriver)) = (
        program("KETENPOORT_CHROMIUM", "/usr/bin/chromium"),
        program("KETENPOORT_CHROMEDRIVER", "/usr/bin/chromedriver"),
    ) else {
        assert!(
            !required(),
            "KETENPOORT_REQUIRE_BROWSER=1 but chromium or chromedriver is missing \
             (apt-get install chromium chromium-driver)"
        );
        println!("skipped: no /usr/bin/chromium and /usr/bin/chromedriver");
        return;
    };
    let axe = axe_source();
    if axe.is_none() {
        assert!(
            !required(),
            "KETENPOORT_REQUIRE_BROWSER=1 but axe-core is missing (npm ci in gateway/tests/browser)"
        );
        println!("accessibility check skipped: run `npm ci` in gateway/tests/browser");
    }
    let work = tempfile::tempdir().expect("temp dir");
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    let mut audit = Audit {
        axe,
        dir,
        n: 0,
        serious: Vec::new(),
    };
    let dev = start_dev().await;
    let driver = start_driver(&chromedriver, work.path()).await;
    let b = browser(&driver, &chromium, &work.path().join("profile")).await;
    let base = dev.console.clone();

    // The accessibility check finds what it should; then the sign-in page.
    b.goto(&format!("{base}/aanmelden"))
        .await
        .expect("navigates");
    audit.self_test(&b).await;
    b.goto(&format!("{base}/aanmelden"))
        .await
        .expect("navigates");
    audit.page(&b, "aanmelden").await;
    sign_in(&b, &base, TOKEN_A, "Piet Medewerker").await;

    // The tutorial's flow through gRPC: a 315 …
    let mut c = proto::gateway_client::GatewayClient::connect(format!("http://{}", dev.grpc))
        .await
        .expect("gRPC");
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    let mut r = common::request_for_allocation(Law::Ijw, AGB_A, "console-315");
    r.client = Some(proto::ClientIdentity {
        surname: SURNAME.into(),
        bsn: BSN.into(),
        ..common::client()
    });
    let m315 = c
        .submit_request_for_allocation(req(TOKEN_A, r))
        .await
        .expect("the 315 is accepted")
        .into_inner()
        .message_id;
    // … whose 316 and 301 the browser waits for, on the 315's page.
    let page_315 = format!("{base}/berichten/{m315}");
    until_text(&b, &page_315, "JW301", 90).await;
    let allocation = loop {
        let e = tokio::time::timeout(Duration::from_secs(30), stream.message())
            .await
            .expect("events")
            .expect("stream ok")
            .expect("stream open");
        if let Some(proto::return_event::Event::Allocation(a)) = e.event {
            break a.products[0].clone();
        }
    };
    // A 305 for the allocation, and the tutorial's claim for June.
    let mut start = common::care_start(Law::Ijw, AGB_A, "console-305");
    start.client = Some(proto::ClientIdentity {
        surname: SURNAME.into(),
        bsn: BSN.into(),
        ..common::client()
    });
    start.products[0].allocation_number = allocation.allocation_number;
    start.products[0].allocation_start_date = allocation.start_date.clone();
    start.products[0].start_date = allocation.start_date.clone();
    c.submit_care_start(req(TOKEN_A, start))
        .await
        .expect("the 305 is accepted");
    let m323 = c
        .submit_declaration(req(
            TOKEN_A,
            claim(allocation.allocation_number, "console-323"),
        ))
        .await
        .expect("the claim is accepted")
        .into_inner()
        .message_ids[0]
        .clone();

    // The conversation on the claim's page, in order, with the 325's verdict per line.
    let page_323 = format!("{base}/berichten/{m323}");
    let t = until_text(&b, &page_323, "JW325 · Declaratie-antwoord", 120).await;
    let timeline = t
        .split("Gesprek")
        .nth(1)
        .unwrap_or_else(|| panic!("a conversation: {t}"));
    let mut at = 0;
    for step in [
        "JW315 · Verstuurd",
        "JW316 · Retourbericht",
        "JW301 · Toewijzing",
        "JW302 · Verstuurd",
        "JW305 · Verstuurd",
        "JW323 · Verstuurd",
        "JW325 · Declaratie-antwoord",
    ] {
        let found = timeline[at..]
            .find(step)
            .unwrap_or_else(|| panic!("{step} after position {at} in:\n{timeline}"));
        at += found + step.len();
    }
    assert!(
        timeline.contains("Declaratie is volledig toegewezen."),
        "the 325's code with its text: {timeline}"
    );
    let verdict = b
        .find(Locator::Css("table.verdicts tbody tr"))
        .await
        .expect("a line with its verdict")
        .text()
        .await
        .expect("text");
    assert!(
        verdict.contains("CONSOLE-06") && verdict.contains("goedgekeurd"),
        "{verdict}"
    );
    assert!(!t.contains(BSN) && !t.contains(SURNAME), "masked: {t}");
    audit.page(&b, "bericht").await;

    // Reveal the BSN on the 315's page: the access log has it.
    b.goto(&page_315).await.expect("navigates");
    assert!(text(&b).await.contains("******782"));
    submit(
        &b,
        b.find(Locator::Id("inzien"))
            .await
            .expect("the reveal button"),
    )
    .await;
    let t = text(&b).await;
    assert!(t.contains(BSN) && t.contains(SURNAME), "revealed: {t}");
    assert!(t.contains("vastgelegd in het inzagelog"), "{t}");
    audit.page(&b, "bericht-ingezien").await;
    let t = until_text(&b, &format!("{base}/inzagelog"), "Piet Medewerker", 5).await;
    let row = b
        .find(Locator::Css("#inzagelog tbody tr"))
        .await
        .expect("an entry")
        .text()
        .await
        .expect("text");
    assert!(
        row.contains(&m315) && row.contains("JW315") && row.contains("******782"),
        "{row} in {t}"
    );
    audit.page(&b, "inzagelog").await;

    // A POST without its CSRF token is refused (the browser submits the form without it).
    b.goto(&page_315).await.expect("navigates");
    b.execute(
        "document.querySelectorAll('#inzien ~ input[name=csrf], form input[name=csrf]').forEach(e => e.remove()); return true;",
        vec![],
    )
    .await
    .expect("the token removed");
    submit(
        &b,
        b.find(Locator::Id("inzien"))
            .await
            .expect("the reveal button"),
    )
    .await;
    let t = text(&b).await;
    assert!(t.contains("formulier is verlopen of ongeldig"), "{t}");
    assert!(!t.contains(BSN));

    // A message the simulator refuses; resend it from Uitval.
    let refused = common::submit_315(&mut c, TOKEN_A, Law::Ijw, AGB_REFUSED, "console-refused")
        .await
        .expect("accepted: the gateway cannot know VECOZO's permissions");
    let button = until_element(
        &b,
        &format!("{base}/uitval"),
        &format!("opnieuw-{refused}"),
        60,
    )
    .await;
    let t = text(&b).await;
    assert!(
        t.contains("Afgekeurd door VECOZO") && t.contains("BRS"),
        "{t}"
    );
    audit.page(&b, "uitval").await;
    submit(&b, button).await;
    let t = text(&b).await;
    assert!(
        t.contains(&format!("Opnieuw in de wachtrij gezet: bericht {refused}")),
        "{t}"
    );
    let record = c
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: refused.clone(),
            },
        ))
        .await
        .expect("get")
        .into_inner();
    assert!(
        record.event_cursors.len() >= 2,
        "refused, then queued again: {record:?}"
    );

    // The other pages, each checked and photographed.
    for (path, name, needle) in [
        ("/overzicht", "overzicht", "Berichten per status"),
        ("/berichten", "berichten", "JW323"),
        ("/termijnen", "termijnen", "Lopende termijnen"),
        ("/toewijzingen", "toewijzingen", "45A48"),
        ("/downloads", "downloads", "Formaat"),
    ] {
        until_text(&b, &format!("{base}{path}"), needle, 10).await;
        audit.page(&b, name).await;
    }
    let t = until_text(&b, &format!("{base}/toewijzingen"), "45A48", 5).await;
    assert!(t.contains(&allocation.allocation_number.to_string()));
    assert!(
        t.contains("960"),
        "claimed volume against the allocation: {t}"
    );

    // English.
    submit(
        &b,
        b.find(Locator::Css("form[action='/taal'] button"))
            .await
            .expect("the language switch"),
    )
    .await;
    let t = text(&b).await;
    assert!(
        t.contains("Allocations") && t.contains("Claimed so far"),
        "{t}"
    );
    audit.page(&b, "toewijzingen-en").await;

    // Sign out.
    submit(
        &b,
        b.find(Locator::Css("form[action='/afmelden'] button"))
            .await
            .expect("the sign-out button"),
    )
    .await;
    let t = text(&b).await;
    assert!(t.contains("You are signed out"), "{t}");
    b.goto(&format!("{base}/berichten"))
        .await
        .expect("navigates");
    assert_eq!(b.current_url().await.expect("url").path(), "/aanmelden");

    // Tenant B sees none of A's messages: not in the list, not by BSN, not by URL.
    sign_in(&b, &base, TOKEN_B, "Bea Baliemedewerker").await;
    b.goto(&format!("{base}/berichten"))
        .await
        .expect("navigates");
    let t = text(&b).await;
    for id in [&m315, &m323, &refused] {
        assert!(
            b.find(Locator::Css(&format!("a[href='/berichten/{id}']")))
                .await
                .is_err(),
            "B sees A's message {id}: {t}"
        );
    }
    b.find(Locator::Id("bsn"))
        .await
        .expect("the BSN field")
        .send_keys(BSN)
        .await
        .expect("typed");
    submit(
        &b,
        b.find(Locator::Css("form[action='/berichten/zoeken'] button"))
            .await
            .expect("search"),
    )
    .await;
    let url = b.current_url().await.expect("url");
    assert!(
        !url.as_str().contains(BSN),
        "the BSN is not in the URL: {url}"
    );
    let t = text(&b).await;
    assert!(t.contains("Geen berichten gevonden"), "{t}");
    audit.page(&b, "zoeken-bsn").await;
    b.goto(&page_315).await.expect("navigates");
    let t = text(&b).await;
    assert!(t.contains("Niet gevonden") && !t.contains("JW315"), "{t}");
    audit.page(&b, "niet-gevonden").await;

    // A session ends after the idle timeout: the behaviour under test is time passing.
    tokio::time::sleep(Duration::from_secs(IDLE_SECS + 1)).await;
    b.goto(&format!("{base}/overzicht"))
        .await
        .expect("navigates");
    assert_eq!(b.current_url().await.expect("url").path(), "/aanmelden");
    let t = text(&b).await;
    assert!(t.contains("Uw sessie is verlopen"), "{t}");

    b.close().await.expect("the browser closes");
    drop(driver);
    let _ = dev.stop.send(());
    tokio::time::timeout(Duration::from_secs(15), dev.task)
        .await
        .expect("stops within 15 s")
        .expect("no panic")
        .expect("served without error");
    assert!(
        audit.serious.is_empty(),
        "serious accessibility violations:\n{}",
        audit.serious.join("\n")
    );
}
