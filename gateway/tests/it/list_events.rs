//! ListEvents and GetOrganisation, the two RPCs `ketenpoort verantwoording` reads besides
//! ListMessages/GetMessage: a tenant pages through its own events (filtered, without XML
//! unless asked, nothing acknowledged) and gets the organisation details configured for its
//! AGB codes; another tenant's AGB code and unknown event types are refused.

use crate::both_backends;
use crate::common;
use crate::common::backend::Place;

use common::{AGB_A, AGB_A2, AGB_B, TOKEN_A, TOKEN_B, req};
use ketenpoort::proto::{self, Law, return_event::Event};
use ketenpoort::verantwoording::Organisation;

fn list(after: u64, page: i32, types: &[&str], agb: &str) -> proto::ListEventsRequest {
    proto::ListEventsRequest {
        after_cursor: after,
        page_size: page,
        event_types: types.iter().map(|t| (*t).to_owned()).collect(),
        agb_code: agb.into(),
        include_xml: false,
    }
}

async fn a_tenant_pages_through_its_own_events_without_acknowledging_them(place: &Place) {
    let server = place.start().await;
    let mut c = server.client().await;
    // Three 315s of tenant A (two AGB codes), one of tenant B; the loopback stand-in marks
    // each delivered: one delivery event per message.
    let mut stream = common::events_from_start(&mut c, TOKEN_A).await;
    for (agb, id) in [(AGB_A, "a1"), (AGB_A2, "a2"), (AGB_A, "a3")] {
        common::submit_315(&mut c, TOKEN_A, Law::Ijw, agb, id)
            .await
            .expect("accepted");
    }
    common::submit_315(&mut c, TOKEN_B, Law::Ijw, AGB_B, "b1")
        .await
        .expect("accepted");
    let mut seen = Vec::new();
    common::until(&mut stream, &mut seen, "three deliveries", |s| s.len() >= 3).await;

    // Pages of two: 2 + 1, in cursor order, only tenant A's.
    let first = c
        .list_events(req(TOKEN_A, list(0, 2, &["delivery"], "")))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(first.events.len(), 2);
    assert_eq!(first.next_cursor, first.events[1].cursor);
    let second = c
        .list_events(req(TOKEN_A, list(first.next_cursor, 2, &["delivery"], "")))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(second.events.len(), 1);
    assert_eq!(second.next_cursor, 0, "no more");
    let all: Vec<_> = first.events.iter().chain(&second.events).collect();
    assert!(all.windows(2).all(|w| w[0].cursor < w[1].cursor));
    assert!(all.iter().all(|e| e.agb_code != AGB_B));
    assert!(
        all.iter()
            .all(|e| matches!(e.event, Some(Event::Delivery(_))))
    );
    // One AGB code only; a type with nothing yet gives an empty, final page.
    let a2 = c
        .list_events(req(TOKEN_A, list(0, 0, &[], AGB_A2)))
        .await
        .expect("listed")
        .into_inner();
    assert!(!a2.events.is_empty() && a2.events.iter().all(|e| e.agb_code == AGB_A2));
    let none = c
        .list_events(req(TOKEN_A, list(0, 0, &["declaration_answer"], "")))
        .await
        .expect("listed")
        .into_inner();
    assert!(none.events.is_empty() && none.next_cursor == 0);
    // Nothing was acknowledged: the stream from the default position starts at the first.
    let mut again = common::events_from_start(&mut c, TOKEN_A).await;
    let e = common::next_event(&mut again).await;
    assert_eq!(e.cursor, all[0].cursor);

    // Another tenant's AGB code, an unknown type.
    let denied = c
        .list_events(req(TOKEN_A, list(0, 0, &[], AGB_B)))
        .await
        .expect_err("not A's");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let bad = c
        .list_events(req(TOKEN_A, list(0, 0, &["delivery", "claims"], "")))
        .await
        .expect_err("unknown type");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    let v = common::field_violations(&bad);
    assert_eq!(v[0].0, "event_types[1]", "{v:?}");
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    a_tenant_pages_through_its_own_events_without_acknowledging_them
);

async fn the_organisation_comes_per_agb_code_else_per_tenant_else_empty(place: &Place) {
    let server = place
        .start_with(|c| {
            c.organisations.per_tenant.insert(
                "a".into(),
                Organisation {
                    name: "Tenant A".into(),
                    kvk_number: "11112222".into(),
                    ..Default::default()
                },
            );
            c.organisations.per_agb.insert(
                AGB_A2.into(),
                Organisation {
                    name: "A2 Ambulant".into(),
                    signatory: "J. Jansen".into(),
                    ..Default::default()
                },
            );
        })
        .await;
    let c = server.client().await;
    let get = |token: &'static str, agb: &'static str| {
        let mut c = c.clone();
        async move {
            c.get_organisation(req(
                token,
                proto::GetOrganisationRequest {
                    agb_code: agb.into(),
                },
            ))
            .await
        }
    };
    let a = get(TOKEN_A, "").await.expect("own").into_inner();
    assert_eq!(
        (a.name.as_str(), a.kvk_number.as_str()),
        ("Tenant A", "11112222")
    );
    let a1 = get(TOKEN_A, AGB_A).await.expect("A's").into_inner();
    assert_eq!(a1.name, "Tenant A");
    let a2 = get(TOKEN_A, AGB_A2).await.expect("A's").into_inner();
    assert_eq!(
        (a2.name.as_str(), a2.signatory.as_str()),
        ("A2 Ambulant", "J. Jansen")
    );
    let b = get(TOKEN_B, "").await.expect("own").into_inner();
    assert_eq!(
        b,
        proto::Organisation::default(),
        "nothing configured for B"
    );
    let denied = get(TOKEN_B, AGB_A2).await.expect_err("not B's");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    server.stop().await;
}
both_backends!(
    #[tokio::test]
    the_organisation_comes_per_agb_code_else_per_tenant_else_empty
);
