//! The store's group commit: the submits that wait together are written as one sled batch,
//! and a submit in a group must see what the submits before it in the same group wrote —
//! its request_id, its DeclaratieNummer, its counters — before the batch is applied.
//!
//! Each round sends its writes without waiting in between, so the writer usually finds them
//! waiting together (one group); when it takes them one by one, the same outcomes must hold.

use crate::both_backends;
use crate::common::backend::Place;
use crate::vecozo_support;

use ketenpoort::store::{Outcome, Store, Write};

const ROUNDS: usize = 40;

/// A JW315 submit that carries counter `ident/test` = `counter`.
fn submit(request_id: &str, identificatie: &str, number: Option<&str>, counter: u64) -> Write {
    vecozo_support::jw315_submit(
        "t",
        request_id,
        identificatie,
        vecozo_support::jw315_string(identificatie),
        number,
        vec![("ident/test".into(), counter)],
    )
}

async fn submits_waiting_together_see_each_others_keys(place: &Place) {
    let mut stored = Vec::new();
    let closed;
    {
        let (store, closed_rx) = place.open_store();
        closed = closed_rx;
        for round in 0..ROUNDS {
            // Two submits with one request_id, then two with one DeclaratieNummer. The first
            // carries the round's highest counter value, the third a lower one, which must not
            // replace it.
            let high = 1000 + 10 * round as u64;
            let a = store.commit(submit(
                &format!("same-{round}"),
                &format!("ZZA{round:05}"),
                None,
                high,
            ));
            let b = store.commit(submit(
                &format!("same-{round}"),
                &format!("ZZB{round:05}"),
                None,
                high + 5,
            ));
            let number = format!("N{round:011}");
            let c = store.commit(submit(
                &format!("c-{round}"),
                &format!("ZZC{round:05}"),
                Some(&number),
                high - 1,
            ));
            let d = store.commit(submit(
                &format!("d-{round}"),
                &format!("ZZD{round:05}"),
                Some(&number),
                high + 5,
            ));
            let (a, b) = (a.wait().await.expect("a"), b.wait().await.expect("b"));
            let Outcome::Stored(ids) = a else {
                panic!("round {round}: the first submit is stored, got {a:?}")
            };
            match b {
                Outcome::Duplicate(record) => assert_eq!(record.message_ids, ids, "round {round}"),
                other => panic!("round {round}: a second submit with one request_id: {other:?}"),
            }
            stored.extend(ids);
            let (c, d) = (c.wait().await.expect("c"), d.wait().await.expect("d"));
            let Outcome::Stored(ids) = c else {
                panic!("round {round}: the first claim number is stored, got {c:?}")
            };
            assert_eq!(
                d,
                Outcome::DeclarationNumberUsed(number.clone()),
                "round {round}"
            );
            stored.extend(ids);
        }
        // Stored and readable before the store closes, request_ids included.
        for id in &stored {
            assert!(store.message(*id).expect("read").is_some(), "message {id}");
            // Its XML, compressed by the writer (the submits here left that to it).
            let xml = store.message_xml(*id).expect("read").unwrap_or_default();
            assert!(xml.contains(":Bericht "), "message {id}: {xml:.80}");
        }
        for round in 0..ROUNDS {
            for request_id in [format!("same-{round}"), format!("c-{round}")] {
                let found = store.idempotency("t", &request_id).expect("read");
                assert!(found.is_some(), "{request_id} known before a restart");
            }
        }
        assert!(
            store
                .idempotency("t", "never-sent")
                .expect("read")
                .is_none()
        );
    }
    // Durable: after reopening, every stored message, its queue entry, its request_id and
    // the highest counter value are there.
    closed.await.expect("the writer reports the store closed");
    let (store, _) = place.open_store();
    let queued = store.queued_ids(None, 10_000).expect("queue");
    assert_eq!(queued, stored, "every stored message queued once, in order");
    for round in 0..ROUNDS {
        let record = store
            .idempotency("t", &format!("same-{round}"))
            .expect("read")
            .expect("request_id kept");
        assert_eq!(record.message_ids.len(), 1);
    }
    // The highest value a stored submit carried (refused submits carried higher ones).
    let highest = 1000 + 10 * (ROUNDS as u64 - 1);
    assert_eq!(store.peek("ident/test").expect("counter"), highest + 1);
}
both_backends!(
    #[tokio::test]
    submits_waiting_together_see_each_others_keys
);
