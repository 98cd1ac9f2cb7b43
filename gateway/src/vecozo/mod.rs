//! The VECOZO client: the provider's side of VSP-Koppeling (REST push v1, REST pull v1,
//! berichtstatus REST pull v3) over mutual TLS with the organisation's system certificate.
//!
//! These modules are self-contained building blocks with no knowledge of the store or the
//! gRPC server; the outbox worker and the collection loop call them.
//!
//! ## Layout
//!
//! - [`identity`]: the system certificate(s) — PKCS#12 (`.pfx`/`.p12`, password from an
//!   environment variable or a file) or PEM — one per AGB code or a default, checked for
//!   validity at start-up and on demand, turned into a rustls client configuration.
//! - [`environment`]: production, acceptance, test or the simulator: the three base URLs.
//! - [`envelope`]: the push metadata (routeringgegevens, referentiegegevens) built from the
//!   XML header of the message itself (BRS26), with the berichtstroom per message kind.
//! - [`wire`]: the JSON shapes of the three OpenAPI files, field for field.
//! - [`client`]: [`client::VecozoClient`], the typed HTTP client: push with typed outcomes,
//!   list, search, download with SHA-256 verification, acknowledge, status.
//! - [`clients`]: one client per certificate, chosen by AGB code; the pullers.
//! - [`retry`]: capped exponential backoff with jitter, seedable and pure.
//! - [`delivery`]: one delivery attempt of an outbox message as a decision: delivered,
//!   rejected, retry at, or conflict (BRS114 resolved through the status API).
//! - [`collect`]: one collection round: list, download, verify, parse (or quarantine), hand
//!   to the caller's durable store, and only then acknowledge.
//! - [`collector`]: the collection loop — one task per pulling certificate, a round every
//!   poll interval, stored through the store's idempotent [`crate::store::Write::Incoming`],
//!   with a lease so that one collector pulls per certificate.
//! - [`worker`]: the outbox worker — queued messages, oldest first, pushed with bounded
//!   concurrency; identifiers persisted before the first push.
//! - [`follow`]: the status follower — after an accepted push, the status API is asked
//!   until VECOZO reports the message delivered (`Bezorgd`) or refused
//!   (`AfgekeurdDoorDienst`); batched per certificate for VECOZO's rate limits.
//! - [`certificates`]: the certificate check at start-up and once a day: days-left metric,
//!   warning before expiry.
//! - [`error`]: [`Error`], one enum for the module.
//!
//! ## Decisions
//!
//! - **Transient or final.** A push that VECOZO answered with 400 or 422 is final
//!   ([`client::PushOutcome::Rejected`]): VECOZO says not to send the same request again.
//!   Everything that did not produce an answer (timeouts, resets, TLS failures) and 408, 429
//!   and 5xx are transient and retried with the *same* traceerId. Other answers (401, 403,
//!   404, …) point at configuration (certificate, URL) and are retried too, so a message is
//!   never lost to a misconfiguration; they are logged at `warn`.
//! - **BRS114 is resolved, not believed.** A "TraceerID is niet uniek" on a message we may
//!   have pushed before is checked against the status API: the same traceerId,
//!   conversatieId, referentieId and berichtstroom there means our earlier push landed.
//! - **Durable before acknowledged.** [`collect`] deletes a message at VECOZO only after the
//!   caller's store callback returned `Ok`, which it may do only after a flush.
//! - **Download URL.** The payload is fetched from the configured pull base and the
//!   traceerId, not from the URL in the listing, so the client certificate is only ever
//!   presented to the configured host.
//! - **Privacy.** Payloads, problem bodies and XML are never logged; logs carry traceerIds,
//!   kinds and codes.

pub mod certificates;
pub mod client;
pub mod clients;
pub mod collect;
pub mod collector;
pub mod delivery;
pub mod envelope;
pub mod environment;
pub mod error;
pub mod follow;
pub mod identity;
pub mod lease;
pub mod retry;
pub mod wire;
pub mod worker;

pub use error::{Error, TransportError, TransportErrorKind};
