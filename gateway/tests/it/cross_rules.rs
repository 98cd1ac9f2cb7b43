//! Cross-message rules at submit: a submit is checked against the messages sent and received
//! before (the store's history) and refused with FAILED_PRECONDITION and BadRequest field
//! violations (proto field, rule id, retourcode) — the same mapping as the in-message rules.
//! The store's writer checks, so of concurrent conflicting submits only one is stored; the
//! history survives a restart; `validate_only` is checked too; the check can be turned off.

use crate::both_backends;
use crate::common;
use crate::common::backend::Place;

use common::*;
use ketenpoort::proto::Law;
use tonic::Code;

/// The client of [`declaration`].
const CLAIM_BSN: &str = "111222333";

async fn start_checking(place: &Place) -> TestServer {
    place
        .start_with(|c| c.messages.cross_message_rules = true)
        .await
}

/// A 301 for the claim client with allocations `numbers`, from 2025-03-04 (the first day of
/// the claimed period, TR387).
fn allocations_for_claims(id: &str, numbers: &[u64]) -> String {
    let products: Vec<Allocated> = numbers
        .iter()
        .map(|n| Allocated {
            nummer: *n,
            start: "2025-03-04",
            end: Some("2025-12-31"),
        })
        .collect();
    allocation_xml(Law::Ijw, AGB_A, CLAIM_BSN, id, &products)
}

/// The refusal's (field, rule, description) triples; asserts FAILED_PRECONDITION.
fn refused(status: &tonic::Status) -> Vec<(String, String, String)> {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let v = field_violations(status);
    assert!(!v.is_empty(), "BadRequest details: {status:?}");
    v
}

fn has(v: &[(String, String, String)], field: &str, rule: &str) -> bool {
    v.iter()
        .any(|(f, r, d)| f == field && r == rule && d.starts_with(&format!("{rule} (retourcode ")))
}

async fn a_claim_line_against_an_unknown_allocation_is_tr338(place: &Place) {
    let server = start_checking(place).await;
    let mut c = server.client().await;
    let e = c
        .submit_declaration(req(TOKEN_A, declaration(Law::Ijw, AGB_A, "no-301")))
        .await
        .expect_err("no allocation received");
    let v = refused(&e);
    assert!(
        has(&v, "clients[0].lines[0].allocation_number", "TR338"),
        "{v:?}"
    );
    assert!(
        has(&v, "clients[0].lines[1].allocation_number", "TR338"),
        "{v:?}"
    );

    // Once the 301 is there, the same claim is accepted.
    record_allocations(&server, &[allocations_for_claims("A1", &[1001, 1002])]).await;
    c.submit_declaration(req(TOKEN_A, declaration(Law::Ijw, AGB_A, "with-301")))
        .await
        .expect("accepted against its allocations");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_claim_line_against_an_unknown_allocation_is_tr338
);

async fn a_stop_before_any_start_is_tr382(place: &Place) {
    let server = start_checking(place).await;
    let products = [Allocated {
        nummer: 1001,
        start: "2025-03-01",
        end: Some("2025-12-31"),
    }];
    let xml = allocation_xml(Law::Ijw, AGB_A, "123456782", "A1", &products);
    record_allocations(&server, &[xml]).await;
    let mut c = server.client().await;
    let e = c
        .submit_care_stop(req(TOKEN_A, care_stop(Law::Ijw, AGB_A, "stop-first")))
        .await
        .expect_err("no start in force");
    let v = refused(&e);
    assert!(has(&v, "products[0]", "TR382"), "{v:?}");

    c.submit_care_start(req(TOKEN_A, care_start(Law::Ijw, AGB_A, "start")))
        .await
        .expect("the start is accepted");
    c.submit_care_stop(req(TOKEN_A, care_stop(Law::Ijw, AGB_A, "stop-after")))
        .await
        .expect("now the stop is accepted");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_stop_before_any_start_is_tr382
);

async fn a_reference_number_used_in_an_earlier_claim_is_tr314_also_after_a_restart(place: &Place) {
    let server = start_checking(place).await;
    let xml = allocations_for_claims("A1", &[1001, 1002, 1003, 1004]);
    record_allocations(&server, &[xml]).await;
    let mut c = server.client().await;
    c.submit_declaration(req(TOKEN_A, declaration(Law::Ijw, AGB_A, "first")))
        .await
        .expect("accepted");
    // The same ReferentieNummers (R1, R2) on other allocations.
    let mut again = declaration(Law::Ijw, AGB_A, "second");
    again.clients[0].lines[0].allocation_number = 1003;
    again.clients[0].lines[1].allocation_number = 1004;
    let e = c
        .submit_declaration(req(TOKEN_A, again.clone()))
        .await
        .expect_err("references used before");
    let v = refused(&e);
    assert!(
        has(&v, "clients[0].lines[0].reference_number", "TR314"),
        "{v:?}"
    );
    assert!(
        has(&v, "clients[0].lines[1].reference_number", "TR314"),
        "{v:?}"
    );
    assert!(
        !e.message().contains(CLAIM_BSN),
        "no BSN in the error: {}",
        e.message()
    );

    // validate_only is checked the same way.
    let mut check = again.clone();
    if let Some(common) = check.common.as_mut() {
        common.validate_only = true;
    }
    let e = c
        .submit_declaration(req(TOKEN_A, check))
        .await
        .expect_err("validate_only checks the history too");
    assert!(has(
        &refused(&e),
        "clients[0].lines[0].reference_number",
        "TR314"
    ));

    // The history is rebuilt from the store on open: still refused after a restart, and
    // other references on the same allocations are accepted.
    let dir = server.stop_keeping_data().await;
    let server = place
        .start_in(dir, |c| c.messages.cross_message_rules = true)
        .await;
    let mut c = server.client().await;
    let e = c
        .submit_declaration(req(TOKEN_A, again.clone()))
        .await
        .expect_err("still used after a restart");
    assert!(has(
        &refused(&e),
        "clients[0].lines[0].reference_number",
        "TR314"
    ));
    again.clients[0].lines[0].reference_number = "R3".into();
    again.clients[0].lines[1].reference_number = "R4".into();
    again.common = Some(common(Law::Ijw, AGB_A, "third"));
    c.submit_declaration(req(TOKEN_A, again))
        .await
        .expect("new references are accepted");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_reference_number_used_in_an_earlier_claim_is_tr314_also_after_a_restart
);

async fn a_second_open_request_for_a_client_is_tr374(place: &Place) {
    let server = start_checking(place).await;
    let mut c = server.client().await;
    c.submit_request_for_allocation(req(
        TOKEN_A,
        request_for_allocation(Law::Iwmo, AGB_A, "315-a"),
    ))
    .await
    .expect("accepted");
    let mut second = request_for_allocation(Law::Iwmo, AGB_A, "315-b");
    second.products[0].provider_reference = "REF-OTHER".into();
    let e = c
        .submit_request_for_allocation(req(TOKEN_A, second))
        .await
        .expect_err("the first request is still open");
    let v = refused(&e);
    assert!(has(&v, "client.bsn", "TR374"), "{v:?}");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_second_open_request_for_a_client_is_tr374
);

async fn of_concurrent_claims_with_one_reference_number_only_one_is_stored(place: &Place) {
    const N: u64 = 8;
    let server = start_checking(place).await;
    let numbers: Vec<u64> = (0..N).map(|i| 2001 + i).collect();
    record_allocations(&server, &[allocations_for_claims("A1", &numbers)]).await;
    let mut tasks = Vec::new();
    for (i, n) in numbers.into_iter().enumerate() {
        let mut c = server.client().await;
        tasks.push(tokio::spawn(async move {
            let mut r = declaration(Law::Ijw, AGB_A, &format!("race-{i}"));
            r.clients[0].lines = vec![line("R-RACE", n, Law::Ijw)];
            c.submit_declaration(req(TOKEN_A, r)).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => ok += 1,
            Err(e) => assert!(has(
                &refused(&e),
                "clients[0].lines[0].reference_number",
                "TR314"
            )),
        }
    }
    assert_eq!(ok, 1, "exactly one claim with R-RACE is stored");
    server.stop().await;
}
both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    of_concurrent_claims_with_one_reference_number_only_one_is_stored
);

async fn of_concurrent_claims_with_one_declaration_number_only_one_is_stored(place: &Place) {
    const N: u64 = 8;
    let server = start_checking(place).await;
    let numbers: Vec<u64> = (0..N).map(|i| 3001 + i).collect();
    record_allocations(&server, &[allocations_for_claims("A2", &numbers)]).await;
    let mut tasks = Vec::new();
    for (i, n) in numbers.into_iter().enumerate() {
        let mut c = server.client().await;
        tasks.push(tokio::spawn(async move {
            let mut r = declaration(Law::Ijw, AGB_A, &format!("number-race-{i}"));
            r.declaration_number = "DRACE1".into();
            r.clients[0].lines = vec![line(&format!("R-NUMBER-{i}"), n, Law::Ijw)];
            c.submit_declaration(req(TOKEN_A, r)).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => ok += 1,
            Err(e) => {
                let v = refused(&e);
                assert!(
                    v.iter()
                        .any(|(f, r, _)| f == "declaration_number" && r == "TR333"),
                    "{v:?}"
                );
            }
        }
    }
    assert_eq!(ok, 1, "exactly one claim numbered DRACE1 is stored");
    server.stop().await;
}
both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    of_concurrent_claims_with_one_declaration_number_only_one_is_stored
);

async fn the_check_can_be_turned_off(place: &Place) {
    let server = place
        .start_with(|c| c.messages.cross_message_rules = false)
        .await;
    let mut c = server.client().await;
    c.submit_declaration(req(TOKEN_A, declaration(Law::Ijw, AGB_A, "unchecked")))
        .await
        .expect("no allocation needed when the check is off");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    the_check_can_be_turned_off
);
