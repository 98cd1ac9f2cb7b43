//! Capped exponential backoff with jitter, pure and seedable.
//!
//! Attempt `n` (0 for the first retry) waits `min(cap, base · 2ⁿ)`, jittered so that many
//! gateways (or many messages after one outage) do not retry in lock-step. The default is
//! "equal jitter": half the step fixed, half random, so a retry never comes sooner than half
//! the step. A `Retry-After` from VECOZO is honoured when it asks for longer (up to
//! [`Backoff::max_retry_after`]).
//!
//! The random numbers come from a [`Jitter`] source: [`SplitMix64`] with a seed in tests, and
//! seeded from the system's randomness in production.

use std::time::Duration;

use serde::Deserialize;

/// How the random part is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JitterMode {
    /// No randomness: exactly `min(cap, base · 2ⁿ)`.
    None,
    /// Uniform in `[0, step]` (AWS "full jitter"): spreads best, may retry at once.
    Full,
    /// `step/2 + uniform[0, step/2]`.
    Equal,
}

/// The backoff policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    /// The first step.
    #[serde(with = "millis", rename = "base_ms", default = "default_base")]
    pub base: Duration,
    /// No step is longer.
    #[serde(with = "millis", rename = "cap_ms", default = "default_cap")]
    pub cap: Duration,
    /// The random part.
    #[serde(default = "default_mode")]
    pub jitter: JitterMode,
    /// The longest `Retry-After` honoured, by pushes and by the status follower (which asks a
    /// certificate nothing more until then); longer hints are cut to this.
    #[serde(
        with = "millis",
        rename = "max_retry_after_ms",
        default = "default_max_hint"
    )]
    pub max_retry_after: Duration,
}

fn default_base() -> Duration {
    Duration::from_secs(2)
}
fn default_cap() -> Duration {
    Duration::from_secs(15 * 60)
}
fn default_mode() -> JitterMode {
    JitterMode::Equal
}
fn default_max_hint() -> Duration {
    Duration::from_secs(60 * 60)
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

impl Default for Backoff {
    /// 2 s, 4 s, 8 s … up to 15 minutes, equal jitter, `Retry-After` up to an hour.
    fn default() -> Self {
        Backoff {
            base: default_base(),
            cap: default_cap(),
            jitter: default_mode(),
            max_retry_after: default_max_hint(),
        }
    }
}

/// A source of uniform random numbers.
pub trait Jitter {
    /// The next uniformly distributed 64-bit number.
    fn next_u64(&mut self) -> u64;
}

/// SplitMix64: tiny, fast, good enough for jitter, and reproducible from a seed.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator for `seed` (tests: the same seed gives the same delays).
    pub fn seeded(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// A generator seeded from the system's randomness (ring), or the clock if that fails.
    pub fn from_entropy() -> SplitMix64 {
        use ring::rand::SecureRandom as _;
        let mut bytes = [0u8; 8];
        let seed = match ring::rand::SystemRandom::new().fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x5EED),
        };
        SplitMix64::seeded(seed)
    }
}

impl Jitter for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Uniform in `[0, max]` milliseconds.
fn uniform_ms(rng: &mut dyn Jitter, max: u64) -> u64 {
    if max == 0 {
        0
    } else {
        rng.next_u64() % (max + 1)
    }
}

impl Backoff {
    /// The step before jitter for `attempt` (0-based): `min(cap, base · 2^attempt)`, without
    /// overflow for any attempt.
    pub fn step(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// The wait before retry `attempt` (0-based).
    pub fn delay(&self, attempt: u32, rng: &mut dyn Jitter) -> Duration {
        let step = u64::try_from(self.step(attempt).as_millis()).unwrap_or(u64::MAX);
        let ms = match self.jitter {
            JitterMode::None => step,
            JitterMode::Full => uniform_ms(rng, step),
            JitterMode::Equal => step / 2 + uniform_ms(rng, step - step / 2),
        };
        Duration::from_millis(ms)
    }

    /// [`Backoff::delay`], or VECOZO's `Retry-After` when that is longer (cut to
    /// `max_retry_after`).
    pub fn delay_with_hint(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        rng: &mut dyn Jitter,
    ) -> Duration {
        let own = self.delay(attempt, rng);
        match retry_after {
            Some(hint) => own.max(hint.min(self.max_retry_after)),
            None => own,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(jitter: JitterMode) -> Backoff {
        Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(10),
            jitter,
            max_retry_after: Duration::from_secs(30),
        }
    }

    #[test]
    fn steps_double_until_the_cap_and_never_overflow() {
        let b = policy(JitterMode::None);
        let mut rng = SplitMix64::seeded(1);
        let ms: Vec<u128> = (0..10).map(|a| b.delay(a, &mut rng).as_millis()).collect();
        assert_eq!(
            ms,
            vec![100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]
        );
        for attempt in [31, 32, 64, 1000, u32::MAX] {
            assert_eq!(b.step(attempt), Duration::from_secs(10));
        }
        let huge = Backoff {
            base: Duration::from_secs(u64::MAX / 4),
            cap: Duration::MAX,
            ..policy(JitterMode::None)
        };
        assert_eq!(huge.step(10), Duration::MAX);
    }

    #[test]
    fn equal_jitter_stays_between_half_and_the_whole_step() {
        let b = policy(JitterMode::Equal);
        let mut rng = SplitMix64::seeded(7);
        for attempt in 0..40 {
            let step = b.step(attempt);
            for _ in 0..50 {
                let d = b.delay(attempt, &mut rng);
                assert!(d >= step / 2 && d <= step, "{attempt}: {d:?} vs {step:?}");
            }
        }
    }

    #[test]
    fn full_jitter_stays_within_the_step_and_spreads() {
        let b = policy(JitterMode::Full);
        let mut rng = SplitMix64::seeded(11);
        let ds: Vec<Duration> = (0..200).map(|_| b.delay(6, &mut rng)).collect();
        assert!(ds.iter().all(|d| *d <= b.step(6)));
        let distinct: std::collections::BTreeSet<_> = ds.iter().collect();
        assert!(
            distinct.len() > 100,
            "jitter should spread: {}",
            distinct.len()
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_delays() {
        let b = policy(JitterMode::Equal);
        let run = |seed| {
            let mut rng = SplitMix64::seeded(seed);
            (0..20).map(|a| b.delay(a, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }

    #[test]
    fn retry_after_is_honoured_when_longer_and_capped() {
        let b = policy(JitterMode::None);
        let mut rng = SplitMix64::seeded(3);
        assert_eq!(
            b.delay_with_hint(0, Some(Duration::from_secs(5)), &mut rng),
            Duration::from_secs(5)
        );
        assert_eq!(
            b.delay_with_hint(0, Some(Duration::from_secs(3600)), &mut rng),
            Duration::from_secs(30)
        );
        assert_eq!(
            b.delay_with_hint(9, Some(Duration::from_millis(1)), &mut rng),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn the_default_policy_parses_from_toml() {
        let b: Backoff = toml::from_str("base_ms = 500\njitter = \"full\"").expect("toml");
        assert_eq!(b.base, Duration::from_millis(500));
        assert_eq!(b.cap, Backoff::default().cap);
        assert_eq!(b.jitter, JitterMode::Full);
    }
}
