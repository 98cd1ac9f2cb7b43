//! VECOZO's payload limit (BRS06) on a 323: refused with RESOURCE_EXHAUSTED naming the size
//! and the limit, or split into several claims under it, each with its own DeclaratieNummer.
//! The limit is lowered through the configuration so the test stays small.

use crate::common;

use common::*;
use ketenpoort::proto::{self, Law};
use tonic::Code;

const LIMIT: usize = 20_000;

/// The `i`-th 9-digit number from 100 000 000 on that passes the 11-proef: one per client.
fn bsn(i: usize) -> String {
    (100_000_000u64 + 1000 * i as u64..)
        .map(|n| n.to_string())
        .find(|s| ketenpoort_messages::rules::bsn_valid(s))
        .unwrap_or_default()
}

fn big_claim(request_id: &str, clients: usize) -> proto::SubmitDeclarationRequest {
    let mut r = declaration(Law::Ijw, AGB_A, request_id);
    r.clients = (0..clients)
        .map(|i| proto::DeclarationClient {
            bsn: bsn(i),
            lines: (0..4)
                .map(|j| line(&format!("R{i}-{j}"), 1000 + (i * 4 + j) as u64, Law::Ijw))
                .collect(),
        })
        .collect();
    r
}

#[tokio::test]
async fn an_oversized_claim_is_refused_naming_size_and_limit() {
    let server = start_with(|c| c.messages.max_payload_bytes = LIMIT).await;
    let mut c = server.client().await;
    let e = c
        .submit_declaration(req(TOKEN_A, big_claim("big", 40)))
        .await
        .expect_err("too large");
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert!(e.message().contains(&LIMIT.to_string()), "{}", e.message());
    assert!(e.message().contains("BRS06"), "{}", e.message());
    let list = c
        .list_messages(req(TOKEN_A, proto::ListMessagesRequest::default()))
        .await
        .expect("list")
        .into_inner();
    assert!(list.messages.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn an_oversized_claim_is_split_when_asked() {
    let server = start_with(|c| c.messages.max_payload_bytes = LIMIT).await;
    let mut c = server.client().await;
    let mut r = big_claim("split", 40);
    r.split_when_too_large = true;
    r.declaration_number = "D2025031".into();
    let out = c
        .submit_declaration(req(TOKEN_A, r))
        .await
        .expect("split and accepted")
        .into_inner();
    assert!(out.message_ids.len() >= 2, "{:?}", out.message_ids);
    assert_eq!(out.declaration_numbers.len(), out.message_ids.len());
    assert_eq!(
        out.declaration_numbers[0], "D2025031",
        "the first part keeps the number"
    );
    let mut unique = out.declaration_numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        out.declaration_numbers.len(),
        "each part its own number"
    );

    let mut lines = 0;
    let mut identificaties = Vec::new();
    for id in &out.message_ids {
        let m = c
            .get_message(req(
                TOKEN_A,
                proto::GetMessageRequest {
                    message_id: id.clone(),
                },
            ))
            .await
            .expect("found")
            .into_inner();
        assert!(m.xml.len() <= LIMIT, "part of {} bytes", m.xml.len());
        identificaties.push(m.identificatie);
        // Each part is a valid message on its own.
        let parsed = ketenpoort_messages::Message::from_xml(m.xml.as_bytes()).expect("a 323");
        let ketenpoort_messages::Content::Declaration(h) = parsed.content else {
            panic!("not a 323");
        };
        lines += h
            .body
            .clienten
            .iter()
            .map(|c| c.prestaties.len())
            .sum::<usize>();
    }
    assert_eq!(lines, 160, "every line in exactly one part");
    identificaties.dedup();
    assert_eq!(identificaties.len(), out.message_ids.len());

    // The retry returns the same split.
    let mut retry = big_claim("split", 40);
    retry.split_when_too_large = true;
    retry.declaration_number = "D2025031".into();
    let again = c
        .submit_declaration(req(TOKEN_A, retry))
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(again.message_ids, out.message_ids);
    server.stop().await;
}
