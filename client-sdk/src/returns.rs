//! [`ReturnStream`]: the chain's answers (retourberichten, toewijzingen, antwoorden,
//! delivery status changes) as one stream that survives disconnects.
//!
//! The gateway keeps one event log with increasing cursors and, per tenant, the cursor the
//! tenant last acknowledged. Delivery is at-least-once: an event is streamed again until it
//! is acknowledged. The stream here adds what a consumer would otherwise write by hand:
//!
//! - when the connection drops or the gateway restarts, it reconnects (under its
//!   [`RetryPolicy`], by default practically forever) and resumes **after the last cursor it
//!   acknowledged**, the durable position;
//! - events it already handed out in this session (cursor ≤ the highest delivered) are
//!   skipped, so a resumed stream gives no duplicates even for events that were delivered
//!   but not yet acknowledged.
//!
//! Acknowledge with [`ReturnStream::ack`] once an event is processed (stored in your own
//! database, say): a new process then starts after it. Events that were delivered but not
//! acknowledged when the process ended are delivered again to the next process.
//!
//! The streaming call has no deadline (it never ends on its own); HTTP/2 keep-alive pings
//! on the connection notice a dead peer instead.

use std::time::Duration;

use crate::client::Client;
use crate::error::Error;
use crate::proto;
use crate::retry::{RetryPolicy, is_retryable};

/// A resuming stream of [`proto::ReturnEvent`]s; see the [module docs](self).
#[derive(Debug)]
pub struct ReturnStream {
    client: Client,
    stream: Option<tonic::Streaming<proto::ReturnEvent>>,
    /// The position asked for at the start: after this cursor, or after the tenant's
    /// acknowledged cursor when `None`.
    start_after: Option<u64>,
    /// The highest cursor acknowledged through this stream.
    acked: u64,
    /// The highest cursor handed to the caller.
    delivered: u64,
    reconnect: RetryPolicy,
    connects: u64,
}

impl ReturnStream {
    pub(crate) fn new(client: Client, start_after: Option<u64>) -> ReturnStream {
        ReturnStream {
            client,
            stream: None,
            start_after,
            acked: 0,
            delivered: start_after.unwrap_or(0),
            reconnect: RetryPolicy::forever(Duration::from_secs(5)),
            connects: 0,
        }
    }

    /// This stream with another reconnect policy: `attempts` bounds the consecutive failed
    /// (re)connects before [`ReturnStream::next`] gives up with the last error.
    pub fn with_reconnect(mut self, policy: RetryPolicy) -> ReturnStream {
        self.reconnect = policy;
        self
    }

    /// The next event not yet handed out. Waits for one as long as it takes; reconnects
    /// after a disconnect. Fails on errors that reconnecting does not cure
    /// (UNAUTHENTICATED, …) or when the reconnect policy runs out.
    pub async fn next(&mut self) -> Result<proto::ReturnEvent, Error> {
        let mut failures = 0u32;
        loop {
            let stream = match &mut self.stream {
                Some(s) => s,
                None => {
                    let request = self.client.request(self.position(), false);
                    match self.client.raw().stream_returns(request).await {
                        Ok(r) => {
                            self.connects += 1;
                            self.stream.insert(r.into_inner())
                        }
                        Err(s) if is_retryable(&s) => {
                            failures += 1;
                            self.wait_or_fail(failures, s).await?;
                            continue;
                        }
                        Err(s) => return Err(Error::from_status(s, failures + 1, Duration::ZERO)),
                    }
                }
            };
            match stream.message().await {
                Ok(Some(event)) => {
                    failures = 0;
                    if event.cursor <= self.delivered {
                        continue;
                    }
                    self.delivered = event.cursor;
                    return Ok(event);
                }
                // The gateway ended the stream: it is stopping. Come back after a while.
                Ok(None) => {
                    self.stream = None;
                    failures += 1;
                    self.wait_or_fail(failures, tonic::Status::unavailable("stream ended"))
                        .await?;
                }
                Err(s) if is_retryable(&s) => {
                    self.stream = None;
                    failures += 1;
                    self.wait_or_fail(failures, s).await?;
                }
                Err(s) => {
                    self.stream = None;
                    return Err(Error::from_status(s, failures + 1, Duration::ZERO));
                }
            }
        }
    }

    /// The request for the next (re)connect: after what this stream acknowledged or the
    /// start position, whichever is later. An explicit position goes in `from_cursor`
    /// (inclusive), and in `after_cursor` too for gateways that predate `from_cursor`
    /// (they read 0 there as "the acknowledged cursor", the only position they cannot be
    /// asked for).
    fn position(&self) -> proto::StreamReturnsRequest {
        match self.start_after {
            None if self.acked == 0 => proto::StreamReturnsRequest::default(),
            start => {
                let after = self.acked.max(start.unwrap_or(0));
                proto::StreamReturnsRequest {
                    after_cursor: after,
                    from_cursor: Some(after + 1),
                }
            }
        }
    }

    async fn wait_or_fail(&self, failures: u32, last: tonic::Status) -> Result<(), Error> {
        if !self.reconnect.allows_retry_after(failures) {
            return Err(Error::from_status(last, failures, Duration::ZERO));
        }
        tokio::time::sleep(self.reconnect.backoff(failures)).await;
        Ok(())
    }

    /// Acknowledges every event up to and including `cursor` (with the client's retries);
    /// a reconnect then resumes after it. Returns the tenant's acknowledged cursor.
    pub async fn ack(&mut self, cursor: u64) -> Result<u64, Error> {
        let acked = self.client.ack_returns(cursor).await?;
        self.acked = self.acked.max(acked);
        Ok(acked)
    }

    /// The highest cursor acknowledged through this stream (0: none yet).
    pub fn last_acked(&self) -> u64 {
        self.acked
    }

    /// The highest cursor handed out by [`ReturnStream::next`].
    pub fn last_delivered(&self) -> u64 {
        self.delivered
    }

    /// How many times the stream has been opened: 1 after the first event, more after
    /// reconnects.
    pub fn connects(&self) -> u64 {
        self.connects
    }
}
