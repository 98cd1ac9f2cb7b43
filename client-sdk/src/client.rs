//! [`Client`]: the connection to a gateway, with credentials, a per-call deadline and the
//! retry policy applied to every call.

use std::future::Future;
use std::time::Duration;

use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::proto;
use crate::proto::gateway_client::GatewayClient;
use crate::retry::{RetryPolicy, is_retryable};
use crate::returns::ReturnStream;

/// The API token of a gateway started with `ketenpoort serve --dev`.
pub const DEV_TOKEN: &str = "dev";

/// Largest message the SDK sends or accepts. A 25 MB claim is a few MB of protobuf, and its
/// response carries the XML, so the 4 MiB default of gRPC is too small.
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// TLS towards the gateway (rustls with the ring provider).
#[derive(Clone, Default)]
pub struct TlsConfig {
    /// CA certificate(s) that signed the gateway's server certificate, PEM.
    pub ca_pem: Vec<u8>,
    /// The client certificate (PEM) for mutual TLS, when the gateway knows the tenant by
    /// certificate. Give it together with `client_key_pem`.
    pub client_cert_pem: Option<Vec<u8>>,
    /// The private key of the client certificate, PEM.
    pub client_key_pem: Option<Vec<u8>>,
    /// The name to check the server certificate against, when it is not the URL's host
    /// (e.g. connecting to 127.0.0.1 with a certificate for `gateway.example`).
    pub domain_name: Option<String>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TlsConfig")
            .field("ca_pem", &format_args!("{} bytes", self.ca_pem.len()))
            .field("client_cert", &self.client_cert_pem.is_some())
            .field("domain_name", &self.domain_name)
            .finish_non_exhaustive()
    }
}

/// Where and how to connect.
#[derive(Clone)]
pub struct Config {
    /// The gateway's URL: `https://gateway.example:50051`, or `http://…` without TLS (dev
    /// mode, or behind a TLS-terminating proxy).
    pub url: String,
    /// API token, sent as `authorization: Bearer <token>`; `None` with mutual TLS.
    pub token: Option<String>,
    /// TLS; required for `https://` URLs.
    pub tls: Option<TlsConfig>,
    /// Deadline of each attempt of a unary call, sent to the gateway as `grpc-timeout`
    /// (`Request::set_timeout`; a channel timeout would not be sent).
    pub timeout: Duration,
    /// How long to wait for the first connection.
    pub connect_timeout: Duration,
    /// Retries of unary calls.
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .field("tls", &self.tls)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Config {
    /// A configuration for `url` with no credentials, a 30 s deadline per attempt and the
    /// default [`RetryPolicy`].
    pub fn new(url: impl Into<String>) -> Config {
        Config {
            url: url.into(),
            token: None,
            tls: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }

    /// Sets the API token.
    pub fn token(mut self, token: impl Into<String>) -> Config {
        self.token = Some(token.into());
        self
    }

    /// Sets TLS.
    pub fn tls(mut self, tls: TlsConfig) -> Config {
        self.tls = Some(tls);
        self
    }

    /// Sets the deadline of each attempt.
    pub fn timeout(mut self, timeout: Duration) -> Config {
        self.timeout = timeout;
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Config {
        self.retry = retry;
        self
    }
}

/// What a submit answered, with the request_id it was sent with.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    /// The idempotency key every attempt carried: the caller's, or one the SDK generated
    /// (UUID v4). Submitting again with it returns this same answer.
    pub request_id: String,
    /// The gateway's answer: message id, kind, Identificatie, state and the XML.
    pub response: proto::SubmitResponse,
}

/// What [`Client::answers`] found about one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answers {
    /// The message's events in cursor order, the awaited one last when it came.
    pub events: Vec<proto::ReturnEvent>,
    /// Whether an event of an awaited kind came in time.
    pub answered: bool,
}

impl Answers {
    /// The awaited event, when it came.
    pub fn answer(&self) -> Option<&proto::ReturnEvent> {
        self.events.last().filter(|_| self.answered)
    }
}

/// A connection to a ketenpoort gateway. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Client {
    grpc: GatewayClient<Channel>,
    authorization: Option<AsciiMetadataValue>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to a gateway in dev mode (`ketenpoort serve --dev`): plaintext, token
    /// `dev`. `addr` is `host:port` or a full `http://` URL.
    pub async fn connect_dev(addr: impl AsRef<str>) -> Result<Client, Error> {
        let addr = addr.as_ref();
        let url = if addr.contains("://") {
            addr.to_owned()
        } else {
            format!("http://{addr}")
        };
        Client::connect(Config::new(url).token(DEV_TOKEN)).await
    }

    /// Connects as `config` says. Fails when the gateway cannot be reached within
    /// `connect_timeout`; later the connection is re-established by itself.
    pub async fn connect(config: Config) -> Result<Client, Error> {
        let authorization = match &config.token {
            Some(t) => Some(
                MetadataValue::try_from(format!("Bearer {t}"))
                    .map_err(|_| Error::Config("the token is not valid in a header".into()))?,
            ),
            None => None,
        };
        let mut endpoint = Endpoint::from_shared(config.url.clone())?
            .connect_timeout(config.connect_timeout)
            .tcp_nodelay(true)
            // A return stream has no deadline: pings notice a peer that vanished.
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_timeout(Duration::from_secs(10))
            .keep_alive_while_idle(true);
        if let Some(tls) = &config.tls {
            let mut c = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&tls.ca_pem));
            match (&tls.client_cert_pem, &tls.client_key_pem) {
                (Some(cert), Some(key)) => c = c.identity(Identity::from_pem(cert, key)),
                (None, None) => {}
                _ => {
                    return Err(Error::Config(
                        "give both client_cert_pem and client_key_pem, or neither".into(),
                    ));
                }
            }
            if let Some(name) = &tls.domain_name {
                c = c.domain_name(name.clone());
            }
            endpoint = endpoint.tls_config(c)?;
        }
        let channel = endpoint.connect().await?;
        Ok(Client {
            grpc: GatewayClient::new(channel)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            authorization,
            timeout: config.timeout,
            retry: config.retry,
        })
    }

    /// This client with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Client {
        self.retry = retry;
        self
    }

    /// This client with another per-attempt deadline.
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// The generated tonic client, for what the ergonomic layer does not cover. Requests
    /// sent through it get no token, deadline or retries; see [`Client::request`].
    pub fn raw(&self) -> GatewayClient<Channel> {
        self.grpc.clone()
    }

    /// `message` as a request with the token and, for unary calls (`deadline`), the
    /// per-call deadline.
    pub fn request<T>(&self, message: T, deadline: bool) -> Request<T> {
        let mut r = Request::new(message);
        if let Some(a) = &self.authorization {
            r.metadata_mut().insert("authorization", a.clone());
        }
        if deadline {
            r.set_timeout(self.timeout);
        }
        r
    }

    /// Sends a unary call, retrying transient failures under the retry policy. `message` is
    /// sent unchanged on every attempt.
    pub(crate) async fn unary<T, R, F, Fut>(&self, message: T, call: F) -> Result<R, Error>
    where
        T: Clone,
        F: Fn(GatewayClient<Channel>, Request<T>) -> Fut,
        Fut: Future<Output = Result<Response<R>, Status>>,
    {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match call(self.grpc.clone(), self.request(message.clone(), true)).await {
                Ok(r) => return Ok(r.into_inner()),
                Err(s) if is_retryable(&s) && self.retry.allows_retry_after(attempt) => {
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                }
                Err(s) => return Err(Error::from_status(s, attempt, self.timeout)),
            }
        }
    }

    /// Submits `message`, after giving it a request_id (UUID v4) when it has none, so that
    /// every retry carries the same one.
    async fn submit<T, F, Fut>(
        &self,
        mut message: T,
        common: fn(&mut T) -> &mut Option<proto::SubmitCommon>,
        call: F,
    ) -> Result<Submitted, Error>
    where
        T: Clone,
        F: Fn(GatewayClient<Channel>, Request<T>) -> Fut,
        Fut: Future<Output = Result<Response<proto::SubmitResponse>, Status>>,
    {
        let c = common(&mut message).get_or_insert_with(Default::default);
        if c.request_id.is_empty() && !c.validate_only {
            c.request_id = uuid::Uuid::new_v4().to_string();
        }
        let request_id = c.request_id.clone();
        let response = self.unary(message, call).await?;
        Ok(Submitted {
            request_id,
            response,
        })
    }

    /// Sends a 315 Verzoek om toewijzing (request for allocation).
    pub async fn submit_request_for_allocation(
        &self,
        message: impl Into<proto::SubmitRequestForAllocationRequest>,
    ) -> Result<Submitted, Error> {
        self.submit(
            message.into(),
            |m| &mut m.common,
            |mut g, r| async move { g.submit_request_for_allocation(r).await },
        )
        .await
    }

    /// Sends a 323 Declaratie (claim); see [`crate::Declaration`].
    pub async fn submit_declaration(
        &self,
        message: impl Into<proto::SubmitDeclarationRequest>,
    ) -> Result<Submitted, Error> {
        self.submit(
            message.into(),
            |m| &mut m.common,
            |mut g, r| async move { g.submit_declaration(r).await },
        )
        .await
    }

    /// Sends a 305 Start zorg (care start).
    pub async fn submit_care_start(
        &self,
        message: impl Into<proto::SubmitCareStartRequest>,
    ) -> Result<Submitted, Error> {
        self.submit(
            message.into(),
            |m| &mut m.common,
            |mut g, r| async move { g.submit_care_start(r).await },
        )
        .await
    }

    /// Sends a 307 Stop zorg (care stop).
    pub async fn submit_care_stop(
        &self,
        message: impl Into<proto::SubmitCareStopRequest>,
    ) -> Result<Submitted, Error> {
        self.submit(
            message.into(),
            |m| &mut m.common,
            |mut g, r| async move { g.submit_care_stop(r).await },
        )
        .await
    }

    /// Sends a 317 Verzoek om wijziging (request for change).
    pub async fn submit_change_request(
        &self,
        message: impl Into<proto::SubmitChangeRequestRequest>,
    ) -> Result<Submitted, Error> {
        self.submit(
            message.into(),
            |m| &mut m.common,
            |mut g, r| async move { g.submit_change_request(r).await },
        )
        .await
    }

    /// Sends the 302/320 the provider owes on a received 301/319 (for AGB codes whose answers
    /// are manual): `event_cursor` is the cursor of its [`proto::AllocationReceived`] or
    /// [`proto::AnswerReceived`] event (a DeadlineMissed for it names it in
    /// `answers_cursor`). The gateway builds the retour, queues it with alsAntwoordOp and
    /// answers like a submit. A request_id (UUID v4) is generated and kept across retries, so
    /// a retry never makes a second retour; a 301/319 answered already (automatically or by
    /// an earlier call) is refused with [`Error::Violations`] (`cross_message`, FAILED_PRECONDITION,
    /// no violations).
    pub async fn submit_retour(&self, event_cursor: u64) -> Result<Submitted, Error> {
        self.submit_retour_request(proto::SubmitRetourRequest {
            request_id: String::new(),
            validate_only: false,
            event_cursor,
        })
        .await
    }

    /// [`Client::submit_retour`] with the request given whole (a request_id of the caller's,
    /// or `validate_only` to see the retour without sending it).
    pub async fn submit_retour_request(
        &self,
        mut message: proto::SubmitRetourRequest,
    ) -> Result<Submitted, Error> {
        if message.request_id.is_empty() && !message.validate_only {
            message.request_id = uuid::Uuid::new_v4().to_string();
        }
        let request_id = message.request_id.clone();
        let response = self
            .unary(message, |mut g, r| async move { g.submit_retour(r).await })
            .await?;
        Ok(Submitted {
            request_id,
            response,
        })
    }

    /// One message the tenant sent, with its state, XML and event cursors.
    pub async fn get_message(
        &self,
        message_id: impl Into<String>,
    ) -> Result<proto::MessageRecord, Error> {
        let r = proto::GetMessageRequest {
            message_id: message_id.into(),
        };
        self.unary(r, |mut g, r| async move { g.get_message(r).await })
            .await
    }

    /// Puts a message VECOZO refused (REJECTED_BY_VECOZO) back into the queue, to be pushed
    /// again under a new traceerId; answers the message as it is now (QUEUED). For refusals
    /// whose cause lay outside the message (BRS03, BRS04) and was removed. A retry after a
    /// lost answer gets FAILED_PRECONDITION (the message is queued already).
    pub async fn resend_message(
        &self,
        message_id: impl Into<String>,
    ) -> Result<proto::MessageRecord, Error> {
        let r = proto::ResendMessageRequest {
            message_id: message_id.into(),
        };
        self.unary(r, |mut g, r| async move { g.resend_message(r).await })
            .await
    }

    /// One page of the tenant's messages, newest first (see [`proto::ListMessagesRequest`]
    /// for the filters; `ListMessagesRequest::default()` lists everything).
    pub async fn list_messages(
        &self,
        request: proto::ListMessagesRequest,
    ) -> Result<proto::ListMessagesResponse, Error> {
        self.unary(request, |mut g, r| async move { g.list_messages(r).await })
            .await
    }

    /// Every message matching `filter`, following the page tokens.
    pub async fn list_all_messages(
        &self,
        mut filter: proto::ListMessagesRequest,
    ) -> Result<Vec<proto::MessageRecord>, Error> {
        let mut all = Vec::new();
        loop {
            let page = self.list_messages(filter.clone()).await?;
            all.extend(page.messages);
            if page.next_page_token.is_empty() {
                return Ok(all);
            }
            filter.page_token = page.next_page_token;
        }
    }

    /// One page of the tenant's events after `request.after_cursor`, in cursor order,
    /// without acknowledging them (see [`proto::ListEventsRequest`] for the filters).
    pub async fn list_events(
        &self,
        request: proto::ListEventsRequest,
    ) -> Result<proto::ListEventsResponse, Error> {
        self.unary(request, |mut g, r| async move { g.list_events(r).await })
            .await
    }

    /// Every event matching `filter` after its `after_cursor`, following the pages.
    pub async fn list_all_events(
        &self,
        mut filter: proto::ListEventsRequest,
    ) -> Result<Vec<proto::ReturnEvent>, Error> {
        let mut all = Vec::new();
        loop {
            let page = self.list_events(filter.clone()).await?;
            all.extend(page.events);
            if page.next_cursor == 0 {
                return Ok(all);
            }
            filter.after_cursor = page.next_cursor;
        }
    }

    /// The organisation details configured for `agb_code` (empty: the tenant's own).
    pub async fn get_organisation(
        &self,
        agb_code: impl Into<String>,
    ) -> Result<proto::Organisation, Error> {
        let r = proto::GetOrganisationRequest {
            agb_code: agb_code.into(),
        };
        self.unary(r, |mut g, r| async move { g.get_organisation(r).await })
            .await
    }

    /// Acknowledges every return event up to and including `cursor`; returns the tenant's
    /// acknowledged cursor afterwards (it never moves back).
    pub async fn ack_returns(&self, cursor: u64) -> Result<u64, Error> {
        let r = proto::AckReturnsRequest { cursor };
        let response = self
            .unary(r, |mut g, r| async move { g.ack_returns(r).await })
            .await?;
        Ok(response.acked_cursor)
    }

    /// The return events of the tenant's AGB codes, from the tenant's last acknowledged
    /// cursor on, resuming by itself after a disconnect; see [`ReturnStream`].
    pub fn returns(&self) -> ReturnStream {
        ReturnStream::new(self.clone(), None)
    }

    /// Like [`Client::returns`], but starting after `cursor` (exclusive), acknowledged or
    /// not: `returns_after(0)` starts at the first event the gateway logged.
    pub fn returns_after(&self, cursor: u64) -> ReturnStream {
        ReturnStream::new(self.clone(), Some(cursor))
    }

    /// The events about one message — its delivery, its retour, the 301/319 or 325 that
    /// answers it (as [`proto::ReturnEvent::message_id`] names them) — from its first event
    /// on, up to and including the first whose kind is one of `kinds` (e.g. `["JW301",
    /// "JW319"]`, any case), waiting at most `wait` for it. Nothing is acknowledged, and
    /// acknowledged events count as well: for a message submitted earlier (a retry with its
    /// request_id returns it) the answers that came already are returned at once.
    ///
    /// Until the message has a first event (its delivery, seconds after the submit) this
    /// asks [`Client::get_message`] every 200 ms; then it reads the return stream from that
    /// cursor. [`Answers::answered`] says whether the awaited kind came in time.
    pub async fn answers(
        &self,
        message_id: &str,
        kinds: &[&str],
        wait: Duration,
    ) -> Result<Answers, Error> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut answers = Answers::default();
        let first = loop {
            let record = self.get_message(message_id.to_owned()).await?;
            if let Some(&first) = record.event_cursors.iter().min() {
                break first;
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(answers);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let mut stream = self
            .returns_from(first)
            .with_reconnect(crate::retry::RetryPolicy::default());
        loop {
            let event = match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(event) => event?,
                Err(_) => return Ok(answers),
            };
            if event.message_id != message_id {
                continue;
            }
            let reached = kinds.iter().any(|k| k.eq_ignore_ascii_case(&event.kind));
            answers.events.push(event);
            if reached {
                answers.answered = true;
                return Ok(answers);
            }
        }
    }

    /// Like [`Client::returns`], but starting at `cursor` (inclusive), acknowledged or not:
    /// `returns_from(1)` re-reads every event from the first on.
    pub fn returns_from(&self, cursor: u64) -> ReturnStream {
        ReturnStream::new(self.clone(), Some(cursor.saturating_sub(1)))
    }
}
