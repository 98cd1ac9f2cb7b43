//! Error trailers stay small however many rules a message breaks (issue 13, item 6): a 323
//! with many identical lines (every line after the first breaks TR416) is refused with
//! trailers under 8 KiB — the first violations listed, the total in the message and in a
//! google.rpc.ErrorInfo — which the Rust SDK decodes, and the CLI reports it after exactly
//! one attempt.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use ketenpoort::proto::{self, Law};
use prost::Message as _;
use tonic::Code;

/// A validate-only 323 whose one client has `n` copies of the same line.
fn identical_lines(n: usize) -> proto::SubmitDeclarationRequest {
    let mut r = declaration(Law::Ijw, AGB_A, "");
    if let Some(c) = r.common.as_mut() {
        c.validate_only = true;
    }
    let one = line("R1", 1001, Law::Ijw);
    r.clients[0].lines = vec![one; n];
    r
}

/// The bytes the status takes as HTTP/2 trailers, counted as HPACK and grpcio count a
/// header list (name + value + 32 per entry), from the headers tonic itself puts on the
/// wire for it (`grpc-status`, the percent-encoded `grpc-message`, the base64
/// `grpc-status-details-bin`).
fn trailer_bytes(status: &tonic::Status) -> usize {
    let mut headers = tonic::codegen::http::HeaderMap::new();
    status.add_header(&mut headers).expect("headers");
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 32)
        .sum()
}

/// `ketenpoort_rejections_total` per rule, from the gateway's metrics.
fn rejections(server: &TestServer) -> BTreeMap<String, usize> {
    let shared = server.shared.upgrade().expect("running");
    shared
        .metrics
        .render(0)
        .lines()
        .filter_map(|l| l.strip_prefix("ketenpoort_rejections_total{rule=\""))
        .filter_map(|rest| {
            let (rule, n) = rest.split_once("\"} ")?;
            Some((rule.to_owned(), n.parse().ok()?))
        })
        .collect()
}

/// `ketenpoort_submits_total` for a 323 with `result`.
fn submits(server: &TestServer, result: &str) -> usize {
    let shared = server.shared.upgrade().expect("running");
    let prefix = format!("ketenpoort_submits_total{{kind=\"JW323\",result=\"{result}\"}} ");
    shared
        .metrics
        .render(0)
        .lines()
        .find_map(|l| l.strip_prefix(&prefix)?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn many_violations_stay_under_8_kib_with_the_total() {
    let server = start().await;
    let mut c = server.client().await;
    for n in [200, 20_000] {
        let before: usize = rejections(&server).values().sum();
        let status = c
            .submit_declaration(req(TOKEN_A, identical_lines(n)))
            .await
            .expect_err("refused");
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{n} lines: {status:?}"
        );
        let bytes = trailer_bytes(&status);
        assert!(bytes <= 8 * 1024, "{n} lines: {bytes} bytes of trailers");
        // The total the gateway counted (its per-rule counters), against what it says.
        let total = rejections(&server).values().sum::<usize>() - before;
        assert!(total >= n - 1, "{n} lines: {total} violations counted");
        let listed = field_violations(&status);
        assert!(
            !listed.is_empty() && listed.len() < total,
            "{}",
            listed.len()
        );
        assert!(
            listed.iter().any(|(_, rule, _)| rule == "TR416"),
            "{listed:?}"
        );
        let text = status.message();
        let grouped = total
            .to_string()
            .as_bytes()
            .rchunks(3)
            .rev()
            .map(|c| std::str::from_utf8(c).expect("digits"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            text.contains(&format!(
                "{grouped} violation(s); the first {} are listed",
                listed.len()
            )),
            "{text}"
        );
        assert_eq!(
            ketenpoort_client::error::total_violations(&status),
            Some(total),
            "the ErrorInfo carries the total"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn the_rust_sdk_reads_the_first_violations_and_the_total() {
    let server = start().await;
    let client = ketenpoort_client::Client::connect(
        ketenpoort_client::Config::new(format!("http://{}", server.addr)).token(TOKEN_A),
    )
    .await
    .expect("connect");
    let before = submits(&server, "invalid");
    // The gateway's proto types and the SDK's are generated apart: the same bytes.
    let request = ketenpoort_client::proto::SubmitDeclarationRequest::decode(
        identical_lines(200).encode_to_vec().as_slice(),
    )
    .expect("the same message");
    let e = client
        .submit_declaration(request)
        .await
        .expect_err("refused");
    assert_eq!(submits(&server, "invalid") - before, 1, "sent once: {e}");
    match &e {
        ketenpoort_client::Error::Violations {
            cross_message: false,
            violations,
            total,
            message,
        } => {
            assert!(*total >= 199, "{total}");
            assert!(!violations.is_empty() && violations.len() < *total);
            assert!(
                violations
                    .iter()
                    .all(|v| v.field.starts_with("clients[0].lines[") || v.rule != "TR416"),
                "{violations:?}"
            );
            assert!(
                message.contains(&format!("{total} violation(s)")),
                "{message}"
            );
            assert_eq!(e.total_violations(), *total);
        }
        other => panic!("{other:?}"),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_reports_a_refusal_after_one_attempt() {
    let server = start().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let line = serde_json::json!({
        "referenceNumber": "R1",
        "allocationNumber": 1001,
        "productCategory": "45",
        "productCode": "45A48",
        "periodStart": "2025-03-04",
        "periodEnd": "2025-03-31",
        "deliveredVolume": "240",
        "unit": "01",
        "tariffCents": "145",
        "amountCents": "34896",
    });
    let request = serde_json::json!({
        "kind": "Declaration",
        "common": {"law": "LAW_IJW", "agbCode": AGB_A, "municipality": MUNICIPALITY},
        "month": "2025-03",
        "clients": [{"bsn": "111222333", "lines": vec![line; 200]}],
    });
    let file = tmp.path().join("jw323-identical.json");
    std::fs::write(&file, request.to_string()).expect("write");
    let before = submits(&server, "invalid");
    let args = vec![
        "submit".to_owned(),
        format!("--gateway=http://{}", server.addr),
        format!("--token={TOKEN_A}"),
        "--dry-run".to_owned(),
        file.to_string_lossy().into_owned(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ketenpoort"))
            .args(&args)
            .env_remove("KETENPOORT_TOKEN")
            .env_remove("KETENPOORT_GATEWAY")
            .output()
            .expect("run the ketenpoort binary")
    })
    .await
    .expect("ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(
        submits(&server, "invalid") - before,
        1,
        "exactly one attempt: {stdout}\n{stderr}"
    );
    assert!(stdout.contains("invalid"), "{stdout}");
    assert!(stdout.contains("INVALID_ARGUMENT"), "{stdout}");
    assert!(stdout.contains("TR416"), "{stdout}");
    assert!(stdout.contains("more violation(s) not listed"), "{stdout}");
    assert!(!stdout.contains("attempt(s)"), "{stdout}");
    server.stop().await;
}
