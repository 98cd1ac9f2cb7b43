//! The simulator's clock: real time, accelerated, or frozen, always with a manual offset.
//!
//! Everything time-dependent in the simulator (status transitions of the ketencontrole,
//! the municipality's answer deadlines) reads [`Clock::now`] and nothing else, and is moved on
//! by [`crate::Simulator::tick`]. A frozen clock (speed 0) makes a test fully deterministic:
//! time only moves when the test calls [`Clock::advance`] (or `POST /admin/v1/klok`).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};

/// A cloneable handle on one simulated clock; clones share the same time.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Real instant at which the clock was made.
    real_start: Instant,
    /// Simulated time at `real_start`.
    sim_start: DateTime<Utc>,
    /// Simulated seconds per real second: 1 real time, 0 frozen, 60 a minute per second.
    speed: f64,
    /// Time added by [`Clock::advance`].
    offset: Mutex<TimeDelta>,
}

impl Clock {
    /// A clock that runs at `speed` × real time from `start` (0 = frozen).
    pub fn new(start: DateTime<Utc>, speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            0.0
        };
        Clock {
            inner: Arc::new(Inner {
                real_start: Instant::now(),
                sim_start: start,
                speed,
                offset: Mutex::new(TimeDelta::zero()),
            }),
        }
    }

    /// The wall clock (speed 1, starting now).
    pub fn system() -> Self {
        Clock::new(Utc::now(), 1.0)
    }

    /// A frozen clock at `start`: it moves only by [`Clock::advance`].
    pub fn frozen(start: DateTime<Utc>) -> Self {
        Clock::new(start, 0.0)
    }

    /// The current simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = self.inner.real_start.elapsed().as_secs_f64() * self.inner.speed;
        let scaled = TimeDelta::milliseconds((elapsed * 1000.0).min(1e15) as i64);
        let offset = *self
            .inner
            .offset
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.inner.sim_start + scaled + offset
    }

    /// Moves the clock forward by `by` (negative values are ignored: time never runs back).
    pub fn advance(&self, by: TimeDelta) {
        if by <= TimeDelta::zero() {
            return;
        }
        let mut offset = self
            .inner
            .offset
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *offset += by;
    }

    /// Simulated seconds per real second.
    pub fn speed(&self) -> f64 {
        self.inner.speed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let clock = Clock::frozen(start);
        assert_eq!(clock.now(), start);
        clock.advance(TimeDelta::seconds(90));
        clock.advance(TimeDelta::seconds(-30));
        assert_eq!(clock.clone().now(), start + TimeDelta::seconds(90));
    }
}
