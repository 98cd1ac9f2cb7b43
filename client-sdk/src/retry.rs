//! Automatic retries.
//!
//! A call is sent again when the gateway answers UNAVAILABLE (it could not reach its store,
//! or is stopping), when the per-call deadline passes (DEADLINE_EXCEEDED, or the local
//! deadline), or when the connection fails (a transport error). Nothing else is retried: a
//! rule violation or a permission error will not go away by itself.
//!
//! Retrying a submit is safe because every attempt carries the **same** `request_id`: the
//! gateway stores the first attempt that reached it and answers every later attempt with the
//! original response, so a retried submit never makes a second message (AIP-155).

use std::time::Duration;

use tonic::Code;

use crate::error::is_local;

/// How often and how patiently a call is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Sends in total, including the first (at least 1; 1 means no retries).
    pub attempts: u32,
    /// Wait before the first retry.
    pub initial_backoff: Duration,
    /// Longest wait between two attempts; the wait doubles up to this.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waiting 100 ms, 200 ms, 400 ms and 800 ms in between (≈1.5 s in all).
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Sends once and never retries.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Retries practically forever, waiting up to `max_backoff` between attempts: what a
    /// long-running consumer of [`crate::ReturnStream`] wants.
    pub fn forever(max_backoff: Duration) -> RetryPolicy {
        RetryPolicy {
            attempts: u32::MAX,
            initial_backoff: Duration::from_millis(100).min(max_backoff),
            max_backoff,
        }
    }

    /// The wait after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// True when another attempt may follow failed attempt number `attempt`.
    pub fn allows_retry_after(&self, attempt: u32) -> bool {
        attempt < self.attempts.max(1)
    }
}

/// True when `status` is worth another attempt: UNAVAILABLE, DEADLINE_EXCEEDED, or an error
/// made on this side by the transport or the local deadline (tonic reports those as
/// UNKNOWN, CANCELLED or INTERNAL with the underlying error as source).
pub fn is_retryable(status: &tonic::Status) -> bool {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded => true,
        Code::Unknown | Code::Cancelled | Code::Internal => is_local(status),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(5), Duration::from_millis(1600));
        assert_eq!(p.backoff(6), Duration::from_secs(2));
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        assert!(is_retryable(&tonic::Status::unavailable("x")));
        assert!(is_retryable(&tonic::Status::deadline_exceeded("x")));
        assert!(!is_retryable(&tonic::Status::invalid_argument("x")));
        assert!(!is_retryable(&tonic::Status::already_exists("x")));
        // Sent by the server (no local source): not a transport error.
        assert!(!is_retryable(&tonic::Status::internal("x")));
        let local = tonic::Status::from_error(Box::new(std::io::Error::other("reset")));
        assert!(is_retryable(&local), "{local:?}");
    }

    #[test]
    fn attempts_are_counted_from_one() {
        let p = RetryPolicy::none();
        assert!(!p.allows_retry_after(1));
        let p = RetryPolicy::default();
        assert!(p.allows_retry_after(4));
        assert!(!p.allows_retry_after(5));
    }
}
