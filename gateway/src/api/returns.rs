//! StreamReturns and AckReturns.
//!
//! The event log has one cursor sequence for the whole gateway; a tenant's stream skips the
//! events of other tenants' AGB codes. A stream starts after `after_cursor`, or after the
//! tenant's acknowledged cursor when it is 0, sends everything stored since, then waits for
//! new events. Delivery is at-least-once: a client that acknowledges what it has processed
//! and reconnects with `after_cursor = 0` gets each event once.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::query::{meldingen, state_to_proto, timestamp};
use super::{ReturnStream, Shared};
use crate::error::{Error, FieldViolation};
use crate::proto;
use crate::store::{EventBody, EventRecord, Outcome, Write};
use crate::tenant::Tenant;

/// Events read from the store per batch.
const BATCH: usize = 256;

fn to_proto(e: EventRecord) -> proto::ReturnEvent {
    let event = match e.body {
        EventBody::Delivery {
            state,
            meldingen: m,
            vecozo_status,
        } => proto::return_event::Event::Delivery(proto::DeliveryStatusChanged {
            state: state_to_proto(state) as i32,
            meldingen: meldingen(&m),
            vecozo_status: vecozo_status.unwrap_or_default(),
        }),
    };
    proto::ReturnEvent {
        cursor: e.cursor,
        agb_code: e.agb,
        at: Some(timestamp(e.at_ms)),
        message_id: e.message_id.map(|id| id.to_string()).unwrap_or_default(),
        kind: e.kind,
        raw_xml: e.raw_xml.unwrap_or_default(),
        event: Some(event),
    }
}

/// StreamReturns.
pub fn stream(
    shared: Arc<Shared>,
    tenant: Arc<Tenant>,
    r: proto::StreamReturnsRequest,
) -> Result<ReturnStream, Error> {
    let mut cursor = if r.after_cursor == 0 {
        shared.store.acked(&tenant.name)?
    } else {
        r.after_cursor
    };
    let (tx, rx) = mpsc::channel::<Result<proto::ReturnEvent, Status>>(64);
    let mut head = shared.store.watch_events();
    let mut stopping = shared.stopping.subscribe();
    tokio::spawn(async move {
        loop {
            let seen = *head.borrow_and_update();
            let filter = |e: &EventRecord| tenant.may_act_for(&e.agb);
            let events = match shared.store.events_after(cursor, BATCH, &filter) {
                Ok(events) => events,
                Err(e) => {
                    let _ = tx.send(Err(Status::from(e))).await;
                    return;
                }
            };
            let caught_up = events.len() < BATCH;
            for e in events {
                cursor = e.cursor;
                if tx.send(Ok(to_proto(e))).await.is_err() {
                    return;
                }
            }
            if !caught_up {
                continue;
            }
            cursor = cursor.max(seen);
            tokio::select! {
                changed = head.changed() => if changed.is_err() { return },
                _ = tx.closed() => return,
                _ = stopping.wait_for(|s| *s) => return,
            }
        }
    });
    Ok(Box::pin(ReceiverStream::new(rx)))
}

/// AckReturns: acknowledges every event up to and including the cursor (never moves back).
pub async fn ack(
    shared: &Shared,
    tenant: &Tenant,
    r: proto::AckReturnsRequest,
) -> Result<proto::AckReturnsResponse, Error> {
    if r.cursor == 0 {
        return Err(Error::InvalidArgument(vec![FieldViolation::request(
            "cursor",
            "XSD-required",
            "is required: the cursor of the last event processed",
        )]));
    }
    let outcome = shared
        .store
        .commit(Write::Ack {
            tenant: tenant.name.clone(),
            cursor: r.cursor,
        })
        .wait()
        .await?;
    match outcome {
        Outcome::Acked(acked_cursor) => Ok(proto::AckReturnsResponse { acked_cursor }),
        other => Err(Error::Internal(format!(
            "unexpected store outcome {other:?}"
        ))),
    }
}
