//! The simulator's own admin API (JSON), on the same mutual-TLS port: any certificate of the
//! simulator's CA may call it.
//!
//! - `GET /admin/v1/tellingen`: [`crate::sim::Counts`] — messages per state and, per
//!   traceerId, how often it was accepted, refused (with the codes), listed, downloaded and
//!   confirmed, so a test can assert "delivered exactly once"; what the municipality bot
//!   received, sent, has scheduled and left out (`gemeentebot`); and per `[[storing]]` of the
//!   scenario how many requests it matched and struck (`storingen`).
//! - `GET /admin/v1/klok`: the simulated time.
//! - `POST /admin/v1/klok` with `{"vooruitSeconden": N}`: moves the clock N seconds forward
//!   and makes every transition that became due, and sends every answer of the municipality
//!   bot that became due, before answering, so tests need no sleeps.
//! - `POST /admin/v1/gemeente/berichten`: a push (same multipart body) on behalf of a
//!   municipality, e.g. a 301 or 319 for a provider to pull ([`crate::api::push::post_as_gemeente`]).

use axum::Json;
use axum::extract::State;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::sim::{Counts, Simulator, timestamp};

/// `GET /admin/v1/tellingen`.
pub async fn counts(State(sim): State<Simulator>) -> Json<Counts> {
    Json(sim.counts())
}

/// The clock's state.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockState {
    /// Simulated time (RFC 3339).
    pub nu: String,
    /// Simulated seconds per real second.
    pub snelheid: f64,
    /// Transitions made by this call (POST only).
    #[serde(default)]
    pub overgangen: usize,
}

/// `POST /admin/v1/klok` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Advance {
    /// Seconds to move forward.
    pub vooruit_seconden: u64,
}

/// `GET /admin/v1/klok`.
pub async fn clock(State(sim): State<Simulator>) -> Json<ClockState> {
    Json(ClockState {
        nu: timestamp(sim.clock().now()),
        snelheid: sim.clock().speed(),
        overgangen: 0,
    })
}

/// `POST /admin/v1/klok`.
pub async fn advance(State(sim): State<Simulator>, Json(a): Json<Advance>) -> Json<ClockState> {
    let secs = i64::try_from(a.vooruit_seconden)
        .unwrap_or(i64::MAX / 1000)
        .min(i64::MAX / 1000);
    let made = sim.advance(TimeDelta::seconds(secs));
    Json(ClockState {
        nu: timestamp(sim.clock().now()),
        snelheid: sim.clock().speed(),
        overgangen: made,
    })
}
