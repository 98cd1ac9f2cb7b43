//! No personal data in what the gateway writes about itself: a flow with a distinctive BSN and
//! surname — every submit kind, rule violations (schema, in-message and cross-message),
//! validate_only, a retry, list, get, the returns stream and an ack — through `ketenpoort
//! serve` as a child process logging at trace level, then neither the BSN nor the name may
//! appear in its stdout or stderr, in the admin `/metrics` output, or in any error text or
//! BadRequest detail the clients got back. The API token may not appear in the logs either.
//! The operator console is on in the second test: its pages are read, a BSN searched and
//! personal data revealed, and neither may leave a trace in the logs; its lists show the BSN
//! masked and no names.

use crate::common;

use std::time::Duration;

use common::child;
use common::*;
use ketenpoort::proto::{self, Law};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A BSN that passes the elfproef and occurs nowhere else in the gateway.
const BSN: &str = "123456782";
/// A surname no code path would produce by accident.
const SURNAME: &str = "Zwartjes-Geheim";

fn person() -> proto::ClientIdentity {
    proto::ClientIdentity {
        surname: SURNAME.into(),
        given_names: "Geheime Voornaam".into(),
        bsn: BSN.into(),
        ..client()
    }
}

/// GET `path` over plain HTTP/1.1; the whole response.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_string(&mut out))
        .await
        .expect("answer within 10 s")
        .expect("read");
    out
}

/// The texts a client sees of a failed call: message and BadRequest details.
fn status_text(s: &tonic::Status) -> String {
    let mut t = format!("{:?} {}\n", s.code(), s.message());
    for (field, reason, description) in field_violations(s) {
        t.push_str(&format!("{field} {reason} {description}\n"));
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_bsn_or_name_in_logs_metrics_or_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let log = dir.path().join("serve.log");
    let config = child::write_config(dir.path(), &data, "");
    // The client's allocations, so that starts, stops and claims meet the cross-message
    // rules (some are refused all the same: those texts are checked too).
    let products = [
        Allocated {
            nummer: 1001,
            start: "2025-03-04",
            end: Some("2025-12-31"),
        },
        Allocated {
            nummer: 1002,
            start: "2025-03-04",
            end: Some("2025-12-31"),
        },
    ];
    let seeds = [
        allocation_xml(Law::Ijw, AGB_A, BSN, "T1", &products),
        allocation_xml(Law::Iwmo, AGB_A, BSN, "T2", &products),
    ];
    seed_allocations(&data, &seeds).await;
    let mut server = child::spawn(&config, &[("RUST_LOG", "trace")], &log);
    let mut c = server.client().await;
    let mut errors = String::new();
    let mut refused = 0;
    let mut note = |r: Result<(), tonic::Status>| match r {
        Ok(()) => {}
        Err(s) => {
            refused += 1;
            errors.push_str(&status_text(&s));
        }
    };

    for (law, p) in [(Law::Ijw, "jw"), (Law::Iwmo, "wmo")] {
        // Accepted: every kind, with the client's BSN and surname.
        let mut r = request_for_allocation(law, AGB_A, &format!("{p}-315"));
        r.client = Some(person());
        c.submit_request_for_allocation(req(TOKEN_A, r.clone()))
            .await
            .expect("315 accepted");
        // The retry answers from the store.
        c.submit_request_for_allocation(req(TOKEN_A, r))
            .await
            .expect("retry answered");
        let mut r = care_start(law, AGB_A, &format!("{p}-305"));
        r.client = Some(person());
        note(c.submit_care_start(req(TOKEN_A, r)).await.map(drop));
        let mut r = care_stop(law, AGB_A, &format!("{p}-307"));
        r.client = Some(person());
        note(c.submit_care_stop(req(TOKEN_A, r)).await.map(drop));
        let mut r = change_request(law, AGB_A, &format!("{p}-317"));
        r.bsn = BSN.into();
        note(c.submit_change_request(req(TOKEN_A, r)).await.map(drop));
        let mut r = declaration(law, AGB_A, &format!("{p}-323"));
        r.clients[0].bsn = BSN.into();
        note(c.submit_declaration(req(TOKEN_A, r)).await.map(drop));

        // validate_only (refused: the 315 above is still open, TR374).
        let mut r = request_for_allocation(law, AGB_A, "");
        r.client = Some(person());
        if let Some(common) = r.common.as_mut() {
            common.validate_only = true;
        }
        note(
            c.submit_request_for_allocation(req(TOKEN_A, r))
                .await
                .map(drop),
        );

        // Refused: a schema error in the name, an in-message rule (end before start), a
        // malformed BSN that contains the real one, and a cross-message rule (a second open
        // request for the client).
        let mut r = request_for_allocation(law, AGB_A, &format!("{p}-bad-name"));
        let mut who = person();
        who.surname = format!("{SURNAME}{}", "x".repeat(300));
        r.client = Some(who);
        note(
            c.submit_request_for_allocation(req(TOKEN_A, r))
                .await
                .map(drop),
        );
        let mut r = request_for_allocation(law, AGB_A, &format!("{p}-bad-dates"));
        r.client = Some(person());
        r.products[0].end_date = "2025-04-01".into();
        note(
            c.submit_request_for_allocation(req(TOKEN_A, r))
                .await
                .map(drop),
        );
        let mut r = change_request(law, AGB_A, &format!("{p}-bad-bsn"));
        r.bsn = format!("{BSN}0");
        note(c.submit_change_request(req(TOKEN_A, r)).await.map(drop));
        let mut r = request_for_allocation(law, AGB_A, &format!("{p}-second-315"));
        r.client = Some(person());
        r.products[0].provider_reference = "REF-9".into();
        note(
            c.submit_request_for_allocation(req(TOKEN_A, r))
                .await
                .map(drop),
        );
        let mut r = declaration(law, AGB_A, &format!("{p}-bad-323"));
        r.clients[0].bsn = BSN.into();
        r.clients[0].lines[1].reference_number = "R1".into();
        note(c.submit_declaration(req(TOKEN_A, r)).await.map(drop));
        // Another tenant's AGB code.
        let mut r = request_for_allocation(law, AGB_B, &format!("{p}-not-mine"));
        r.client = Some(person());
        note(
            c.submit_request_for_allocation(req(TOKEN_A, r))
                .await
                .map(drop),
        );
    }
    assert!(refused >= 10, "the flow has refusals to check ({refused})");

    // Reading: list, get (whose XML holds the BSN: the client may see it), stream, ack.
    let list = c
        .list_messages(req(TOKEN_A, proto::ListMessagesRequest::default()))
        .await
        .expect("list")
        .into_inner();
    assert!(!list.messages.is_empty());
    let m = c
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: list.messages[0].message_id.clone(),
            },
        ))
        .await
        .expect("get")
        .into_inner();
    assert!(m.xml.contains(BSN), "the client gets its own XML back");
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    let event = next_event(&mut stream).await;
    c.ack_returns(req(
        TOKEN_A,
        proto::AckReturnsRequest {
            cursor: event.cursor,
        },
    ))
    .await
    .expect("ack");
    drop(stream);

    let metrics = http_get(server.admin, "/metrics").await;
    assert!(metrics.contains("ketenpoort_submits_total"), "{metrics}");
    assert_eq!(server.terminate(), Some(0));
    let logs = std::fs::read_to_string(&log).expect("the log");
    let stdout = server.stdout();
    assert!(
        logs.lines().count() > 100,
        "trace logging is on ({} lines)",
        logs.lines().count()
    );
    assert!(!logs.contains(TOKEN_A), "the API token appears in the log");
    for (what, text) in [
        ("the log (stderr)", &logs),
        ("stdout", &stdout),
        ("/metrics", &metrics),
        ("the errors clients got", &errors),
    ] {
        for secret in [BSN, SURNAME, "Zwartjes", "Geheime Voornaam"] {
            if let Some(at) = text.find(secret) {
                let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let to = text[at..].find('\n').map_or(text.len(), |i| at + i);
                panic!("{secret:?} appears in {what}: {}", &text[from..to]);
            }
        }
    }
}

/// The same for what comes back: a 315, its 316 and 301, a claim under that allocation and
/// its 325, for both laws, through `serve` in mode `simulator` (the in-process simulator and
/// the real VECOZO client and collection loop) logging at trace level. The 301 carries the
/// BSN back; neither it nor the name may appear in the logs or /metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_bsn_or_name_in_logs_or_metrics_when_answers_come_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let log = dir.path().join("serve.log");
    let config = dir.path().join("ketenpoort.toml");
    std::fs::write(
        &config,
        format!(
            r#"[server]
grpc_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
data_dir = '{data}'
allow_plaintext = true

[vecozo]
mode = "simulator"

[console]
listen = "127.0.0.1:0"

[[tenants]]
name = "a"
api_token_sha256 = "{a}"
agb_codes = ["{AGB_A}"]
"#,
            data = data.display(),
            a = ketenpoort::tenant::token_digest(TOKEN_A),
        ),
    )
    .expect("write the config");
    let mut server = child::spawn(&config, &[("RUST_LOG", "trace")], &log);
    let mut c = server.client().await;
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    // Waits for the next event of `kind`, acknowledging what passes by.
    async fn until(
        c: &mut ketenpoort::proto::gateway_client::GatewayClient<tonic::transport::Channel>,
        stream: &mut tonic::Streaming<proto::ReturnEvent>,
        kind: &str,
    ) -> proto::ReturnEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let e = tokio::time::timeout_at(deadline, stream.message())
                .await
                .unwrap_or_else(|_| panic!("a {kind} within 60 s"))
                .expect("stream ok")
                .expect("stream open");
            c.ack_returns(req(TOKEN_A, proto::AckReturnsRequest { cursor: e.cursor }))
                .await
                .expect("ack");
            if e.kind == kind {
                return e;
            }
        }
    }

    for (law, code) in [(Law::Ijw, "JW"), (Law::Iwmo, "WMO")] {
        let mut r = request_for_allocation(law, AGB_A, &format!("{code}-315"));
        r.client = Some(person());
        r.products[0].provider_reference = format!("PRIV-{code}");
        c.submit_request_for_allocation(req(TOKEN_A, r))
            .await
            .expect("the 315 is accepted");
        let allocation = until(&mut c, &mut stream, &format!("{code}301")).await;
        let Some(proto::return_event::Event::Allocation(a)) = allocation.event else {
            panic!("a 301 is an allocation event: {allocation:?}");
        };
        assert_eq!(a.bsn, BSN, "the client gets the BSN of its allocation");
        let number = a.products[0].allocation_number;
        let claim = proto::SubmitDeclarationRequest {
            common: Some(common(law, AGB_A, &format!("{code}-323"))),
            declaration_number: String::new(),
            month: "2025-06".into(),
            clients: vec![proto::DeclarationClient {
                bsn: BSN.into(),
                lines: vec![proto::DeclarationLine {
                    reference_number: format!("PRIV-{code}-06"),
                    period_start: "2025-06-01".into(),
                    period_end: "2025-06-30".into(),
                    delivered_volume: 960,
                    // 960 minutes at 87,24 an hour: 145 a minute shown, 139584 claimed (IV081).
                    tariff_cents: Some(145),
                    amount_cents: Some(139_584),
                    ..line("unused", number, law)
                }],
            }],
            split_when_too_large: false,
        };
        c.submit_declaration(req(TOKEN_A, claim))
            .await
            .expect("the claim is accepted");
        until(&mut c, &mut stream, &format!("{code}325")).await;
    }
    drop(stream);

    // The console: every page, a search by BSN (a POST), and a reveal.
    let mut web = common::web::Web::new(server.console.expect("the console's address"));
    assert_eq!(web.sign_in(TOKEN_A, "Medewerker").await.status, 303);
    let list = c
        .list_messages(req(TOKEN_A, proto::ListMessagesRequest::default()))
        .await
        .expect("list")
        .into_inner();
    let mut pages = Vec::new();
    for path in [
        "/overzicht",
        "/berichten",
        "/uitval",
        "/termijnen",
        "/toewijzingen",
        "/inzagelog",
        "/downloads/bestand?formaat=jsonl",
        "/downloads/bestand?formaat=regels-csv",
    ] {
        pages.push((path.to_owned(), web.get(path).await));
    }
    for m in &list.messages {
        let path = format!("/berichten/{}", m.message_id);
        pages.push((path.clone(), web.get(&path).await));
    }
    let csrf = web.session_csrf().await;
    let found = web
        .post("/berichten/zoeken", &[("csrf", &csrf), ("bsn", BSN)])
        .await;
    assert!(
        found.body.contains("/berichten/"),
        "the search by BSN finds the messages"
    );
    pages.push(("the BSN search".into(), found));
    for (path, page) in &pages {
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        for secret in [BSN, SURNAME, "Zwartjes", "Geheime Voornaam"] {
            assert!(
                !page.body.contains(secret),
                "{secret:?} on the console's {path}"
            );
        }
    }
    assert!(
        pages.iter().any(|(_, p)| p.body.contains("******782")),
        "the BSN shows masked"
    );
    let request = list
        .messages
        .iter()
        .find(|m| m.kind.ends_with("315"))
        .expect("a 315");
    let revealed = web
        .post(
            &format!("/berichten/{}/inzien", request.message_id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(revealed.status, 200);
    assert!(revealed.body.contains(BSN), "revealed on request");

    let metrics = http_get(server.admin, "/metrics").await;
    assert_eq!(server.terminate(), Some(0));
    let logs = std::fs::read_to_string(&log).expect("the log");
    assert!(
        logs.contains("JW301") && logs.contains("WMO325"),
        "the log covers the answers' handling"
    );
    for (what, text) in [
        ("the log (stderr)", &logs),
        ("stdout", &server.stdout()),
        ("/metrics", &metrics),
    ] {
        for secret in [BSN, SURNAME, "Zwartjes", "Geheime Voornaam"] {
            if let Some(at) = text.find(secret) {
                let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let to = text[at..].find('\n').map_or(text.len(), |i| at + i);
                panic!("{secret:?} appears in {what}: {}", &text[from..to]);
            }
        }
    }
}
