//! Every submit RPC, both laws: happy path, schema error and rule error with BadRequest
//! details (rule id, retourcode, proto field), through a real tonic client.

use crate::common;

use common::*;
use ketenpoort::proto::{self, Law};
use tonic::Code;

const LAWS: [Law; 2] = [Law::Ijw, Law::Iwmo];

fn assert_queued(r: &proto::SubmitResponse, kind: &str) {
    assert_eq!(r.kind, kind);
    assert_eq!(r.state, proto::MessageState::Queued as i32);
    assert!(!r.message_id.is_empty());
    assert_eq!(r.identificatie.len(), 12, "{}", r.identificatie);
    assert!(r.xml.is_empty(), "no XML unless include_xml");
}

#[tokio::test]
async fn every_submit_is_queued_for_both_laws() {
    let server = start().await;
    let mut c = server.client().await;
    for law in LAWS {
        let p = if law == Law::Ijw { "JW" } else { "WMO" };
        let r = c
            .submit_request_for_allocation(req(
                TOKEN_A,
                request_for_allocation(law, AGB_A, &format!("{p}-315")),
            ))
            .await
            .expect("315 accepted")
            .into_inner();
        assert_queued(&r, &format!("{p}315"));
        let r = c
            .submit_declaration(req(TOKEN_A, declaration(law, AGB_A, &format!("{p}-323"))))
            .await
            .expect("323 accepted")
            .into_inner();
        assert_queued(&r, &format!("{p}323"));
        assert_eq!(r.declaration_numbers.len(), 1);
        let r = c
            .submit_care_start(req(TOKEN_A, care_start(law, AGB_A, &format!("{p}-305"))))
            .await
            .expect("305 accepted")
            .into_inner();
        assert_queued(&r, &format!("{p}305"));
        let r = c
            .submit_care_stop(req(TOKEN_A, care_stop(law, AGB_A, &format!("{p}-307"))))
            .await
            .expect("307 accepted")
            .into_inner();
        assert_queued(&r, &format!("{p}307"));
        let r = c
            .submit_change_request(req(
                TOKEN_A,
                change_request(law, AGB_A, &format!("{p}-317")),
            ))
            .await
            .expect("317 accepted")
            .into_inner();
        assert_queued(&r, &format!("{p}317"));
    }
    server.stop().await;
}

#[tokio::test]
async fn identificatie_increases_per_message_type() {
    let server = start().await;
    let mut c = server.client().await;
    let a = c
        .submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, "one")))
        .await
        .expect("accepted")
        .into_inner();
    let b = c
        .submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, "two")))
        .await
        .expect("accepted")
        .into_inner();
    assert_eq!(a.identificatie, "KP0000000001");
    assert_eq!(b.identificatie, "KP0000000002");
    server.stop().await;
}

#[tokio::test]
async fn validate_only_stores_nothing() {
    let server = start().await;
    let mut c = server.client().await;
    let mut r = declaration(Law::Ijw, AGB_A, "");
    if let Some(common) = r.common.as_mut() {
        common.validate_only = true;
    }
    let out = c
        .submit_declaration(req(TOKEN_A, r))
        .await
        .expect("valid")
        .into_inner();
    assert_eq!(out.state, proto::MessageState::Unspecified as i32);
    assert!(out.message_id.is_empty());
    assert!(out.xml.contains("JW") || out.xml.contains("ijw"));
    let list = c
        .list_messages(req(TOKEN_A, proto::ListMessagesRequest::default()))
        .await
        .expect("list")
        .into_inner();
    assert!(list.messages.is_empty(), "validate_only stored nothing");
    server.stop().await;
}

#[tokio::test]
async fn amounts_and_totals_are_computed() {
    let server = start().await;
    let mut c = server.client().await;
    let mut r = declaration(Law::Iwmo, AGB_A, "computed");
    for l in &mut r.clients[0].lines {
        l.amount_cents = None;
        l.unit = "04".into();
        l.delivered_volume = 3;
        l.tariff_cents = Some(8724);
    }
    let out = c
        .submit_declaration(req(TOKEN_A, r.with_xml()))
        .await
        .expect("accepted")
        .into_inner();
    assert!(out.xml.contains("26172"), "3 × 8724 per line");
    assert!(out.xml.contains("52344"), "total of two lines");
    server.stop().await;
}

#[tokio::test]
async fn schema_errors_are_invalid_argument_with_field_paths() {
    let server = start().await;
    let mut c = server.client().await;
    for law in LAWS {
        // A malformed date: caught while reading the request.
        let mut r = request_for_allocation(law, AGB_A, "bad-date");
        r.products[0].start_date = "1-5-2025".into();
        let e = c
            .submit_request_for_allocation(req(TOKEN_A, r))
            .await
            .expect_err("refused");
        assert_eq!(e.code(), Code::InvalidArgument);
        let v = field_violations(&e);
        assert!(
            v.iter()
                .any(|(f, rule, _)| f == "products[0].start_date" && rule == "XSD-date"),
            "{v:?}"
        );

        // A product code too long for its type: caught by the schema check of the model.
        let mut r = care_start(law, AGB_A, "too-long");
        if let Some(p) = r.products[0].product.as_mut() {
            p.code = "45A48XX".into();
        }
        let e = c
            .submit_care_start(req(TOKEN_A, r))
            .await
            .expect_err("refused");
        assert_eq!(e.code(), Code::InvalidArgument);
        let v = field_violations(&e);
        assert!(
            v.iter().any(|(f, _, _)| f == "products[0].product.code"),
            "{v:?}"
        );

        // An unknown code.
        let mut r = care_stop(law, AGB_A, "bad-code");
        r.products[0].delivery_status = "7".into();
        let e = c
            .submit_care_stop(req(TOKEN_A, r))
            .await
            .expect_err("refused");
        assert_eq!(e.code(), Code::InvalidArgument);
        let v = field_violations(&e);
        assert!(
            v.iter().any(|(f, rule, _)| f == "products[0].delivery_status" && rule == "XSD-enumeration"),
            "{v:?}"
        );

        // A month that is not YYYY-MM.
        let mut r = declaration(law, AGB_A, "bad-month");
        r.month = "2025-13".into();
        let e = c
            .submit_declaration(req(TOKEN_A, r))
            .await
            .expect_err("refused");
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(field_violations(&e).iter().any(|(f, _, _)| f == "month"));

        // Missing required field in a 317.
        let mut r = change_request(law, AGB_A, "no-ref");
        r.provider_reference.clear();
        let e = c
            .submit_change_request(req(TOKEN_A, r))
            .await
            .expect_err("refused");
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(
            field_violations(&e)
                .iter()
                .any(|(f, _, _)| f == "provider_reference")
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn rule_errors_carry_rule_retourcode_and_field() {
    let server = start().await;
    let mut c = server.client().await;
    for law in LAWS {
        // CS002: BSN fails the 11-proef, retourcode 0001.
        let mut r = declaration(law, AGB_A, "bad-bsn");
        r.clients[0].bsn = "123456789".into();
        let e = c
            .submit_declaration(req(TOKEN_A, r))
            .await
            .expect_err("refused");
        assert_eq!(e.code(), Code::InvalidArgument);
        let v = field_violations(&e);
        let hit = v
            .iter()
            .find(|(f, rule, _)| f == "clients[0].bsn" && rule == "CS002")
            .unwrap_or_else(|| panic!("CS002 on clients[0].bsn in {v:?}"));
        assert!(hit.2.contains("retourcode 0001"), "{}", hit.2);
        assert!(!e.message().contains("123456789"), "no BSN in the message");

        // 315 with the BSN failing the 11-proef.
        let mut r = request_for_allocation(law, AGB_A, "bad-bsn-315");
        if let Some(client) = r.client.as_mut() {
            client.bsn = "123456789".into();
        }
        let e = c
            .submit_request_for_allocation(req(TOKEN_A, r))
            .await
            .expect_err("refused");
        let v = field_violations(&e);
        assert!(
            v.iter()
                .any(|(f, rule, d)| f == "client.bsn" && rule == "CS002" && d.contains("0001")),
            "{v:?}"
        );

        // 305 starting after the message date (TR134).
        let mut r = care_start(law, AGB_A, "future");
        r.products[0].start_date = "2025-06-01".into();
        let e = c
            .submit_care_start(req(TOKEN_A, r))
            .await
            .expect_err("refused");
        let v = field_violations(&e);
        assert!(
            v.iter()
                .any(|(f, rule, _)| f == "products[0].start_date" && rule == "TR134"),
            "{v:?}"
        );

        // 323 line period outside the claimed month.
        let mut r = declaration(law, AGB_A, "period");
        r.clients[0].lines[0].period_end = "2025-04-02".into();
        let e = c
            .submit_declaration(req(TOKEN_A, r))
            .await
            .expect_err("refused");
        assert_eq!(e.code(), Code::InvalidArgument);
        let v = field_violations(&e);
        assert!(
            v.iter()
                .any(|(f, _, _)| f.starts_with("clients[0].lines[0]")),
            "{v:?}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_declaration_number_is_unique_per_provider() {
    let server = start().await;
    let mut c = server.client().await;
    let mut r = declaration(Law::Ijw, AGB_A, "first");
    r.declaration_number = "D202503A".into();
    let out = c
        .submit_declaration(req(TOKEN_A, r.clone()))
        .await
        .expect("accepted")
        .into_inner();
    assert_eq!(out.declaration_numbers, vec!["D202503A".to_owned()]);
    if let Some(common) = r.common.as_mut() {
        common.request_id = "second".into();
    }
    for l in &mut r.clients[0].lines {
        l.reference_number.push('b');
    }
    let e = c
        .submit_declaration(req(TOKEN_A, r))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Code::FailedPrecondition);
    let v = field_violations(&e);
    assert!(
        v.iter()
            .any(|(f, rule, _)| f == "declaration_number" && rule == "TR333"),
        "{v:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn missing_credentials_and_law_are_refused() {
    let server = start().await;
    let mut c = server.client().await;
    let e = c
        .submit_care_start(tonic::Request::new(care_start(Law::Ijw, AGB_A, "x")))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Code::Unauthenticated);
    let e = c
        .submit_care_start(req("wrong-token", care_start(Law::Ijw, AGB_A, "x")))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Code::Unauthenticated);
    let e = c
        .submit_care_start(req(TOKEN_A, care_start(Law::Unspecified, AGB_A, "x")))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        field_violations(&e)
            .iter()
            .any(|(f, _, _)| f == "common.law")
    );
    let e = c
        .submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, "")))
        .await
        .expect_err("refused");
    assert!(
        field_violations(&e)
            .iter()
            .any(|(f, _, _)| f == "common.request_id")
    );
    server.stop().await;
}

#[tokio::test]
async fn get_message_returns_the_stored_xml() {
    let server = start().await;
    let mut c = server.client().await;
    let out = c
        .submit_care_stop(req(TOKEN_A, care_stop(Law::Iwmo, AGB_A, "get").with_xml()))
        .await
        .expect("accepted")
        .into_inner();
    assert!(out.xml.starts_with("<?xml"), "include_xml: {}", out.xml);
    let m = c
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: out.message_id.clone(),
            },
        ))
        .await
        .expect("found")
        .into_inner();
    assert_eq!(m.xml, out.xml);
    assert_eq!(m.kind, "WMO307");
    assert_eq!(m.agb_code, AGB_A);
    assert_eq!(m.request_id, "get");
    assert_eq!(m.identificatie, out.identificatie);
    let e = c
        .get_message(req(
            TOKEN_A,
            proto::GetMessageRequest {
                message_id: "999999".into(),
            },
        ))
        .await
        .expect_err("unknown");
    assert_eq!(e.code(), Code::NotFound);
    server.stop().await;
}
