//! Issue 13 item 8: `/readyz` and `/metrics` no longer scan `q/` for the queue depth; the
//! writer keeps a counter. It must stay equal to the number of queued messages through every
//! write that queues or unqueues one: submits (also refused duplicates in one group),
//! deliveries, a delivery of a message no longer queued, a rejection, a requeue, a requeue
//! of a message that is not rejected. The oracle is the store's own list of queued ids
//! (`queued_ids`, a scan), and a reopened store, which counts `q/` once on open.
//!
//! On both backends (issue 16). On PostgreSQL the depth is this process's counter (counted
//! at open, kept by its writer) or, where the engine counts the shared queue itself
//! (`Engine::queue_depth`), that count; with one writer, as here, either equals the scan.

use crate::both_backends;
use crate::common::backend::Place;
use crate::vecozo_support;

use ketenpoort::store::sled_store::SledStore;
use ketenpoort::store::{Outcome, Store, Write};

fn submit(request_id: &str, n: usize) -> Write {
    let identificatie = format!("QD{n:06}");
    vecozo_support::jw315_submit(
        "t",
        request_id,
        &identificatie,
        vecozo_support::jw315_string(&identificatie),
        None,
        Vec::new(),
    )
}

fn scanned(store: &SledStore) -> usize {
    store
        .queued_ids(None, usize::MAX)
        .expect("queued ids")
        .len()
}

async fn write(store: &SledStore, w: Write) -> Outcome {
    store.commit(w).wait().await.expect("written")
}

async fn the_queue_depth_counter_follows_every_queueing_write(place: &Place) {
    let (store, closed) = place.open_store();
    let mut ids = Vec::new();
    // One group: ten submits and a retry of each (a duplicate queues nothing).
    let commits: Vec<_> = (0..10)
        .flat_map(|n| {
            let rid = format!("r{n}");
            [store.commit(submit(&rid, n)), store.commit(submit(&rid, n))]
        })
        .collect();
    for c in commits {
        if let Outcome::Stored(stored) = c.wait().await.expect("written") {
            ids.extend(stored);
        }
    }
    assert_eq!(ids.len(), 10);
    assert_eq!(store.queue_depth().expect("depth"), 10);
    assert_eq!(scanned(&store), 10);

    let delivered = |id: u64| Write::Delivered {
        message_id: id,
        at_ms: 1,
    };
    write(&store, delivered(ids[0])).await;
    write(&store, delivered(ids[1])).await;
    // Delivered again: no longer queued, nothing changes.
    write(&store, delivered(ids[1])).await;
    write(
        &store,
        Write::Rejected {
            message_id: ids[2],
            at_ms: 2,
            meldingen: Vec::new(),
            vecozo_status: None,
        },
    )
    .await;
    assert_eq!(store.queue_depth().expect("depth"), 7);
    assert_eq!(scanned(&store), 7);

    // Requeue the rejected one; a requeue of a delivered one does nothing.
    let requeued = write(
        &store,
        Write::Requeue {
            message_id: ids[2],
            at_ms: 3,
        },
    )
    .await;
    assert!(
        matches!(requeued, Outcome::Requeued(Some(_))),
        "{requeued:?}"
    );
    write(
        &store,
        Write::Requeue {
            message_id: ids[0],
            at_ms: 3,
        },
    )
    .await;
    assert_eq!(store.queue_depth().expect("depth"), 8);
    assert_eq!(scanned(&store), 8);

    let (reopened, _) = place.reopen(store, closed).await;
    assert_eq!(reopened.queue_depth().expect("depth"), 8);
    assert_eq!(scanned(&reopened), 8);
}
both_backends!(
    #[tokio::test]
    the_queue_depth_counter_follows_every_queueing_write
);
