//! # ketenpoort-client
//!
//! Rust client for the ketenpoort gRPC gateway: submit iJw/iWmo 3.2 messages (315, 317,
//! 305, 307, 323) without touching XML, follow their state, and consume the chain's answers.
//!
//! ```no_run
//! use ketenpoort_client::{Client, CareStart, Law, proto, codes};
//!
//! # async fn example() -> Result<(), ketenpoort_client::Error> {
//! let client = Client::connect_dev("127.0.0.1:50051").await?;
//! let start = CareStart::builder(Law::Ijw, "12345678", "0268")
//!     .client(proto::ClientIdentity::new("123456782", "2012-05-17", codes::sex::FEMALE, "Jansen")
//!         .with_initials("A"))
//!     .product(proto::CareStartProduct::new(
//!         1001, proto::Product::new("45", "45A48"), "2025-03-01", "2025-03-04"));
//! let submitted = client.submit_care_start(start).await?;
//! println!("{} queued as {}", submitted.response.kind, submitted.response.message_id);
//! # Ok(()) }
//! ```
//!
//! ## Layout
//!
//! - [`client`]: [`Client`] and its [`Config`]/[`TlsConfig`] (dev mode, API token, mutual
//!   TLS with a client certificate); every unary call gets the token, a deadline
//!   (`grpc-timeout`) and retries.
//! - [`retry`]: [`RetryPolicy`] and what is retried. A submit keeps one `request_id`
//!   (generated as a UUID v4 when the caller gives none) across its retries, so a retry
//!   never makes a second message.
//! - [`builders`]: [`RequestForAllocation`] (315), [`Declaration`] (323), [`CareStart`]
//!   (305), [`CareStop`] (307), [`ChangeRequest`] (317), and `new`/`with_*` on the part types.
//! - [`codes`]: named code strings of the standard's codelists.
//! - [`error`]: [`Error`], with rule violations decoded from `google.rpc.BadRequest` into
//!   [`Violation`]s (proto field, rule id, retourcode, description).
//! - [`returns`]: [`ReturnStream`], which resumes after the last acknowledged cursor when the
//!   connection drops or the gateway restarts; [`Client::answers`] waits for the answer to
//!   one message (the 301 on a 315, the 325 on a 323).
//! - [`proto`]: the contract as generated at build time from `proto/` (protox, no `protoc`).
//!
//! Examples for each message type are in `client-sdk/examples/`; run one against
//! `ketenpoort serve --dev` with `cargo run -p ketenpoort-client --example care_start`.

#![forbid(unsafe_code)]

pub mod builders;
pub mod client;
pub mod codes;
pub mod error;
pub mod proto;
pub mod retry;
pub mod returns;

pub use builders::{CareStart, CareStop, ChangeRequest, Declaration, RequestForAllocation};
pub use client::{Answers, Client, Config, DEV_TOKEN, Submitted, TlsConfig};
pub use error::{Error, Violation};
pub use proto::{Law, MessageState};
pub use retry::RetryPolicy;
pub use returns::ReturnStream;
