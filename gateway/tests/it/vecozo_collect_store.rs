//! Storing collected messages: exactly once per traceerId across redeliveries and restarts,
//! quarantined payloads kept with their reason, and one collector per certificate (lease).

use crate::both_backends;
use crate::common::backend::{Backend, Place};
use crate::vecozo_support;

use std::time::Duration;

use ketenpoort::config::MessagesConfig;
use ketenpoort::header::HeaderFactory;
use ketenpoort::store::sled_store::SledStore;
use ketenpoort::store::{
    EventBody, Fence, IncomingContent, IncomingWrite, LeaseOutcome, Outcome, Store, Write,
};
use ketenpoort::vecozo::collect::collect_round;
use ketenpoort::vecozo::collector::incoming_write;
use ketenpoort::vecozo::envelope::References;
use ketenpoort_messages::codes::RetourCode;
use ketenpoort_sim::Scenario;
use uuid::Uuid;
use vecozo_support::*;

async fn fast_sim() -> Sim {
    let mut scenario =
        Scenario::from_toml(ketenpoort_sim::scenario::DEFAULT_SCENARIO).expect("scenario");
    scenario.gemeentebot.retour_werkdagen = 0;
    scenario.gemeentebot.toewijzing_werkdagen = 0;
    scenario.simulator.tick_interval_ms = 20;
    let k = &mut scenario.ketencontrole;
    k.start_after_seconds = 0;
    k.duration_seconds = 0;
    k.offer_after_seconds = 0;
    k.gemeente_pickup_seconds = 0;
    start_with(scenario).await
}

fn all_events(store: &SledStore) -> Vec<ketenpoort::store::EventRecord> {
    store.events_after(0, 1000, &|_| true).expect("events")
}

async fn commit(store: &SledStore, write: Write) -> Outcome {
    store.commit(write).wait().await.expect("stored")
}

async fn a_message_stored_but_not_confirmed_comes_back_and_is_stored_once(place: &Place) {
    let sim = fast_sim().await;
    let client = sim.client(PROVIDER);
    let refs = References::new_conversation();
    deliver_once(&client, &jw315("KP000001"), refs, 0).await;
    // The municipality answers with a 316 and a 301; wait until both are listed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while client.list(250).await.expect("list").len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no 316 and 301 within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (store, closed) = place.open_store();
    // Round 1: stored, then "crashed" before the confirmation: nothing is acknowledged.
    let report = collect_round(&client, 250, |incoming| {
        let store = store.clone();
        async move {
            let outcome = commit(&store, incoming_write(incoming, 1, PROVIDER)).await;
            assert!(matches!(outcome, Outcome::Incoming { .. }), "{outcome:?}");
            Err::<(), _>("crash between store and confirm")
        }
    })
    .await
    .expect("round 1");
    assert_eq!(report.listed, 2);
    assert!(report.acknowledged.is_empty());
    let first = all_events(&store);
    assert_eq!(first.len(), 2, "{first:?}");
    let kinds: Vec<&str> = first.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["JW316", "JW301"]);

    // After a restart VECOZO hands the same messages over again: nothing is written twice,
    // and this time they are confirmed.
    let (store, closed) = place.reopen(store, closed).await;
    let report = collect_round(&client, 250, |incoming| {
        let store = store.clone();
        async move {
            let outcome = commit(&store, incoming_write(incoming, 2, PROVIDER)).await;
            assert_eq!(outcome, Outcome::AlreadyReceived);
            Ok::<(), String>(())
        }
    })
    .await
    .expect("round 2");
    assert_eq!(report.acknowledged.len(), 2, "{report:?}");
    assert_eq!(all_events(&store), first, "no second event");
    assert!(
        client.list(250).await.expect("list").is_empty(),
        "confirmed"
    );
    drop(closed);
}
both_backends!(
    #[tokio::test]
    a_message_stored_but_not_confirmed_comes_back_and_is_stored_once
);

async fn a_quarantined_payload_is_kept_with_its_reason_as_an_event_once(place: &Place) {
    let (store, closed) = place.open_store();
    let traceer_id = Uuid::new_v4();
    let write = || {
        Write::Incoming(Box::new(IncomingWrite {
            traceer_id,
            als_antwoord_op: None,
            at_ms: 1_743_580_800_000,
            addressee: PROVIDER.into(),
            payload: vec![0xff, 0xfe, b'<', b'x'],
            content: IncomingContent::Quarantined {
                reason: "not a valid iJw/iWmo 3.2 message".into(),
            },
            retour: None,
            owed: None,
            fence: None,
        }))
    };
    let outcome = commit(&store, write()).await;
    assert!(
        matches!(
            outcome,
            Outcome::Incoming {
                quarantined: true,
                correlated: None,
                ..
            }
        ),
        "{outcome:?}"
    );
    let (store, closed) = place.reopen(store, closed).await;
    assert_eq!(commit(&store, write()).await, Outcome::AlreadyReceived);
    let events = all_events(&store);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].agb, PROVIDER);
    assert_eq!(
        events[0].body,
        EventBody::Quarantined {
            reason: "not a valid iJw/iWmo 3.2 message".into()
        }
    );
    assert_eq!(events[0].traceer_id, Some(traceer_id));
    drop(closed);
}
both_backends!(
    #[tokio::test]
    a_quarantined_payload_is_kept_with_its_reason_as_an_event_once
);

async fn a_second_collector_on_the_store_is_refused_until_the_first_gives_up(place: &Place) {
    let (store, closed) = place.open_store();
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    let lease = |holder| Write::Lease {
        name: PROVIDER.into(),
        holder,
        now_ms: 1_000,
        until_ms: 61_000,
    };
    assert_eq!(
        commit(&store, lease(first)).await,
        Outcome::Lease(LeaseOutcome::Granted { token: 1 })
    );
    assert_eq!(
        commit(&store, lease(second)).await,
        Outcome::Lease(LeaseOutcome::Held {
            holder: first,
            until_ms: 61_000
        })
    );
    // Renewing keeps the token; after an expiry another may take it, with the next token.
    assert_eq!(
        commit(&store, lease(first)).await,
        Outcome::Lease(LeaseOutcome::Granted { token: 1 })
    );
    let late = Write::Lease {
        name: PROVIDER.into(),
        holder: second,
        now_ms: 61_000,
        until_ms: 121_000,
    };
    assert_eq!(
        commit(&store, late).await,
        Outcome::Lease(LeaseOutcome::Granted { token: 2 })
    );
    let release = Write::ReleaseLease {
        name: PROVIDER.into(),
        holder: second,
    };
    assert_eq!(
        commit(&store, release).await,
        Outcome::Lease(LeaseOutcome::Released)
    );
    // A release keeps the token: the next holding's is higher, also for the same holder.
    assert_eq!(
        commit(&store, lease(first)).await,
        Outcome::Lease(LeaseOutcome::Granted { token: 3 })
    );
    let (store, closed) = place.reopen(store, closed).await;
    let after_restart = commit(&store, lease(second)).await;
    match place.backend {
        // Alone on its store, a lease of an earlier open (a gateway that crashed) does not
        // keep a new one out.
        Backend::Sled => assert_eq!(
            after_restart,
            Outcome::Lease(LeaseOutcome::Granted { token: 4 })
        ),
        // A shared store: the restarted gateway is one more replica, and the lease of the
        // earlier open holds until it runs out (`lease::ttl`), as another replica's would.
        Backend::Postgres => assert_eq!(
            after_restart,
            Outcome::Lease(LeaseOutcome::Held {
                holder: first,
                until_ms: 61_000
            })
        ),
    }
    drop(closed);
}
both_backends!(
    #[tokio::test]
    a_second_collector_on_the_store_is_refused_until_the_first_gives_up
);

async fn a_collector_that_lost_its_lease_stores_nothing(place: &Place) {
    let (store, closed) = place.open_store();
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    let lease = |holder, now_ms: i64| Write::Lease {
        name: PROVIDER.into(),
        holder,
        now_ms,
        until_ms: now_ms + 60_000,
    };
    let collected = |token: u64, now_ms: i64| {
        Write::Incoming(Box::new(IncomingWrite {
            traceer_id: Uuid::new_v4(),
            als_antwoord_op: None,
            at_ms: now_ms,
            addressee: PROVIDER.into(),
            payload: b"<x/>".to_vec(),
            content: IncomingContent::Quarantined {
                reason: "not a valid iJw/iWmo 3.2 message".into(),
            },
            retour: None,
            owed: None,
            fence: Some(Fence {
                name: PROVIDER.into(),
                token,
                now_ms,
            }),
        }))
    };
    let fenced = |current| Outcome::Fenced {
        name: PROVIDER.into(),
        current,
    };
    // No lease taken yet: nothing to write under.
    assert_eq!(commit(&store, collected(1, 1_000)).await, fenced(None));
    assert_eq!(
        commit(&store, lease(first, 1_000)).await,
        Outcome::Lease(LeaseOutcome::Granted { token: 1 })
    );
    assert!(matches!(
        commit(&store, collected(1, 2_000)).await,
        Outcome::Incoming { .. }
    ));
    // Its lease ran out (a long pause): refused even before anyone took it over.
    assert_eq!(commit(&store, collected(1, 61_000)).await, fenced(Some(1)));
    assert_eq!(
        commit(&store, lease(second, 61_000)).await,
        Outcome::Lease(LeaseOutcome::Granted { token: 2 })
    );
    // The first holder wakes with its old token and a clock that says it still holds it.
    assert_eq!(commit(&store, collected(1, 3_000)).await, fenced(Some(2)));
    assert!(matches!(
        commit(&store, collected(2, 62_000)).await,
        Outcome::Incoming { .. }
    ));
    let (store, closed) = place.reopen(store, closed).await;
    let after_restart = commit(&store, collected(2, 63_000)).await;
    let held = match place.backend {
        // After a restart the lease of the earlier session holds no more.
        Backend::Sled => {
            assert_eq!(after_restart, fenced(Some(2)));
            2
        }
        // A shared store: leases are not bound to a process's session (replicas share
        // them), so the holding of token 2 runs until 121 000 across the restart.
        Backend::Postgres => {
            assert!(
                matches!(after_restart, Outcome::Incoming { .. }),
                "{after_restart:?}"
            );
            3
        }
    };
    assert_eq!(
        all_events(&store).len(),
        held,
        "only the writes under a held lease"
    );
    drop(closed);
}
both_backends!(
    #[tokio::test]
    a_collector_that_lost_its_lease_stores_nothing
);

/// The collector's write for `incoming`, with the retour it queues on a 301/319
/// (`[vecozo] auto_answer`, the default).
fn write_with_retour(
    store: &SledStore,
    headers: &HeaderFactory,
    incoming: ketenpoort::vecozo::collect::Incoming,
    at_ms: i64,
) -> Write {
    let conversatie_id = incoming.metadata.referentiegegevens.conversatie_id;
    let mut write = incoming_write(incoming, at_ms, PROVIDER);
    if let Write::Incoming(w) = &mut write
        && let IncomingContent::Message(m) = &w.content
    {
        let today = chrono::NaiveDate::from_ymd_opt(2025, 4, 2).expect("date");
        w.retour = ketenpoort::retour::queued(store, headers, today, m, conversatie_id)
            .expect("a retour builds");
    }
    write
}

async fn the_302_on_a_301_is_queued_with_it_once_across_a_redelivery_and_a_restart(place: &Place) {
    let sim = fast_sim().await;
    let client = sim.client(PROVIDER);
    let refs = References::new_conversation();
    deliver_once(&client, &jw315("KP000001"), refs, 0).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while client.list(250).await.expect("list").len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no 316 and 301 within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let headers = HeaderFactory::new(MessagesConfig::default());
    let (store, closed) = place.open_store();

    // Round 1: stored with the 302, then "crashed" before the confirmation.
    let report = collect_round(&client, 250, |incoming| {
        let store = store.clone();
        let write = write_with_retour(&store, &headers, incoming, 1);
        async move {
            match commit(&store, write).await {
                Outcome::Incoming { .. } => Err::<(), _>("crash between store and confirm"),
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .expect("round 1");
    assert_eq!(report.listed, 2);
    let queued = store.queued_ids(None, 10).expect("queue");
    assert_eq!(
        queued.len(),
        1,
        "one retour: a 302 on the 301, none on the 316"
    );
    let id = queued[0];
    let meta = store.message(id).expect("read").expect("the 302");
    assert_eq!(meta.kind, "JW302");
    assert_eq!(meta.agb, PROVIDER, "the provider sends it");
    assert_eq!(meta.municipality, "0268");
    assert_eq!(meta.identificatie, "KP0000000001");
    let allocation = all_events(&store)
        .into_iter()
        .find(|e| e.kind == "JW301")
        .expect("the 301's event");
    let outbox = store.outbox(id).expect("read").expect("its outbox record");
    assert_eq!(
        outbox.als_antwoord_op, allocation.traceer_id,
        "alsAntwoordOp = the 301's traceerId"
    );
    assert_eq!(
        outbox.conversatie_id, refs.conversatie_id,
        "the conversation of the 301 (the bot answers in the 315's)"
    );
    assert_eq!(outbox.attempts, 0);
    let xml = store.message_xml(id).expect("read").expect("xml");
    let retour = ketenpoort_messages::read(xml.as_bytes(), Default::default()).expect("reads");
    let heen = ketenpoort_messages::read(
        allocation.raw_xml.as_deref().expect("301 xml").as_bytes(),
        Default::default(),
    )
    .expect("301 reads");
    match &retour.content {
        ketenpoort_messages::Content::AllocationRetour(r) => {
            assert_eq!(&r.header.heen, heen.content.header(), "the 301's header");
            // The 302 judges the 301 against what this store holds. The 315 went straight to
            // the simulator, so the 301's ReferentieAanbieder answers no request the store
            // knows: TR379 (9379) on the product, 0200 in the header (IV028).
            assert_eq!(r.header.retour_codes, vec![RetourCode::R0200]);
            let body = r.body.as_ref().expect("the classes taken over");
            assert_eq!(
                body.toegewezen_producten[0].retour_codes,
                vec![RetourCode::R9379]
            );
        }
        other => panic!("not a 302: {:?}", other.message_type()),
    }

    // VECOZO hands the 301 over again after a restart: no second 302.
    let (store, closed) = place.reopen(store, closed).await;
    let kind = ketenpoort_messages::MessageKind::parse("JW302").expect("kind");
    let next = headers
        .identificatie(&*store, PROVIDER, kind, false)
        .expect("peek");
    assert_eq!(
        next.0, "KP0000000002",
        "the counter is durable with the 302"
    );
    let report = collect_round(&client, 250, |incoming| {
        let store = store.clone();
        let write = write_with_retour(&store, &headers, incoming, 2);
        async move {
            assert_eq!(commit(&store, write).await, Outcome::AlreadyReceived);
            Ok::<(), String>(())
        }
    })
    .await
    .expect("round 2");
    assert_eq!(report.acknowledged.len(), 2, "{report:?}");
    assert_eq!(store.queued_ids(None, 10).expect("queue"), vec![id]);
    // The first push keeps the persisted identifiers.
    let attempt = Write::Attempt {
        message_id: id,
        traceer_id: Uuid::new_v4(),
        conversatie_id: Uuid::new_v4(),
    };
    match commit(&store, attempt).await {
        Outcome::Attempt(Some(r)) => {
            assert_eq!(r.traceer_id, outbox.traceer_id);
            assert_eq!(r.conversatie_id, outbox.conversatie_id);
            assert_eq!(r.als_antwoord_op, outbox.als_antwoord_op);
            assert_eq!(r.attempts, 1);
        }
        other => panic!("{other:?}"),
    }
    drop(closed);
}
both_backends!(
    #[tokio::test]
    the_302_on_a_301_is_queued_with_it_once_across_a_redelivery_and_a_restart
);
