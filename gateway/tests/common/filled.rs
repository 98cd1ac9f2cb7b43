//! A store filled through the store's own writes with a record of every key prefix, for
//! the tests of the PostgreSQL backend (`ketenpoort migrate`, the PgEngine).

use super::*;
use ketenpoort::config::VecozoMode;
use ketenpoort::proto::Law;
use ketenpoort::store::{IncomingContent, IncomingWrite, Outcome, Write};

/// A stopped store with: submits of two tenants (delivered by the loopback: events, outbox,
/// follows, expectations, DeclaratieNummers, request_ids, counters, history keys), a 315
/// still queued, deadlines reported missed, a 301 collected with its automatic 302 queued, a
/// 301 owed a 302 by hand (a duty), a quarantined payload, an acknowledgement, a lease and
/// an access log entry.
pub async fn filled_store() -> tempfile::TempDir {
    let server = start().await;
    let mut c = server.client().await;
    let mut stream = events_from_start(&mut c, TOKEN_A).await;
    let a = submit_315(&mut c, TOKEN_A, Law::Ijw, AGB_A, "mig-315")
        .await
        .expect("a 315");
    let claim = c
        .submit_declaration(req(TOKEN_A, declaration(Law::Ijw, AGB_A, "mig-323")))
        .await
        .expect("a 323")
        .into_inner()
        .message_id;
    submit_315(&mut c, TOKEN_B, Law::Ijw, AGB_B, "mig-b")
        .await
        .expect("a 315 of tenant B");
    let mut delivered = std::collections::BTreeSet::new();
    while !(delivered.contains(&a) && delivered.contains(&claim)) {
        delivered.insert(next_event(&mut stream).await.message_id);
    }
    drop(stream);
    let shared = server.shared.upgrade().expect("the server runs");
    let store = shared.store.clone();
    drop(shared);
    let commit = |w: Write| {
        let store = store.clone();
        async move { store.commit(w).wait().await.expect("stored") }
    };
    let missed = commit(Write::CheckDeadlines {
        today: chrono::NaiveDate::from_ymd_opt(2025, 4, 8).expect("a day"),
        at_ms: noon_ms(2025, 4, 8),
    })
    .await;
    assert!(
        matches!(missed, Outcome::DeadlinesMissed(ref m) if !m.is_empty()),
        "{missed:?}"
    );
    commit(Write::Ack {
        tenant: "a".into(),
        cursor: 1,
    })
    .await;
    // A 301 answered automatically: its 302 queued in the write that stores it.
    let xml = allocation_xml(
        Law::Ijw,
        AGB_A,
        "111222333",
        "MIG-AUTO",
        &[Allocated {
            nummer: 7001,
            start: "2025-01-01",
            end: Some("2025-12-31"),
        }],
    );
    let stored = collect_answered_automatically(store.as_ref(), &xml).await;
    assert!(
        matches!(
            stored,
            Outcome::Incoming {
                retour: Some(_),
                ..
            }
        ),
        "{stored:?}"
    );
    let owed = allocation_xml(
        Law::Ijw,
        AGB_A,
        "111222333",
        "MIG-OWED",
        &[Allocated {
            nummer: 7002,
            start: "2025-01-01",
            end: None,
        }],
    );
    collect(
        &server,
        &owed,
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        noon_ms(2025, 4, 2),
        true,
    )
    .await;
    commit(Write::Incoming(Box::new(IncomingWrite {
        traceer_id: uuid::Uuid::new_v4(),
        als_antwoord_op: None,
        at_ms: noon_ms(2025, 4, 2),
        addressee: AGB_A.into(),
        payload: b"\x00\x01 not a message".to_vec(),
        content: IncomingContent::Quarantined {
            reason: "not XML".into(),
        },
        retour: None,
        owed: None,
        fence: None,
    })))
    .await;
    let lease = commit(Write::Lease {
        name: "collector-a".into(),
        holder: uuid::Uuid::new_v4(),
        now_ms: noon_ms(2025, 4, 2),
        until_ms: noon_ms(2025, 4, 3),
    })
    .await;
    assert!(matches!(lease, Outcome::Lease(_)), "{lease:?}");
    commit(Write::AccessLog(Box::new(
        ketenpoort::store::access_log::AccessEntry {
            sequence: 0,
            at_ms: noon_ms(2025, 4, 2),
            tenant: "a".into(),
            user: "operator".into(),
            credential: "console".into(),
            message_id: a.parse().expect("an id"),
            agb: AGB_A.into(),
            kind: "JW315".into(),
            clients: vec!["client-1".into()],
        },
    )))
    .await;
    drop(store);
    let dir = server.stop_keeping_data().await;
    // One more 315 that stays queued (the push is off).
    let server = start_in(dir, |c| c.vecozo.mode = Some(VecozoMode::Off)).await;
    let mut c = server.client().await;
    submit_315(&mut c, TOKEN_A, Law::Ijw, AGB_A, "mig-queued")
        .await
        .expect("a queued 315");
    server.stop_keeping_data().await
}
