//! # ketenpoort
//!
//! The gateway between provider software and the Dutch municipal care chain: iJw (Jeugdwet)
//! and iWmo (Wmo 2015) release 3.2 messages, exchanged with municipalities through VECOZO.
//!
//! Provider software submits typed messages over gRPC (`ketenpoort.v1.Gateway`, see
//! `proto/ketenpoort/v1/gateway.proto`); ketenpoort fills in the header, checks the schema
//! and the in-message rules, builds the XML, stores it durably and queues it; the outbox
//! worker sends it to VECOZO over mutual TLS. In dev mode the VECOZO at the other end is
//! the built-in simulator ([`dev_simulator`]), reached through the same client.
//!
//! ## Layout
//!
//! - [`server`]: [`server::Gateway`] opens the store and serves gRPC (with grpc.health.v1
//!   and server reflection), the admin endpoint and what `[vecozo] mode` asks for;
//!   [`server::run`] is the
//!   short form for tests (a listener on port 0, a shutdown future).
//! - [`api`]: the tonic service, one module per group of RPCs — `submit`, `convert`
//!   (proto → model), `query` (Get/List), `returns` (Stream/Ack), and `status`, the one
//!   place where [`Error`] becomes a `tonic::Status` with BadRequest field violations.
//! - [`store`]: the narrow [`store::Store`] trait, [`store::sled_store::SledStore`]
//!   with group commit, and [`store::history`], the message history the cross-message rules
//!   read (rebuilt from the store on open, kept current by the store's writer).
//! - [`config`]: the typed configuration (TOML + `KETENPOORT_*` overrides).
//! - [`tenant`]: who is calling (API token or client certificate) and for which AGB codes.
//! - [`deadlines`]: the answers a sent message is owed and their due dates;
//!   [`deadline_check`] reports the ones that did not arrive in time.
//! - [`retour`]: the 302 and 320 the provider owes on a received 301 and 319.
//! - [`header`]: Identificatie, Dagtekening (from an injectable [`header::Clock`]) and
//!   XsdVersie of the messages ketenpoort sends.
//! - [`dev_simulator`]: mode `simulator` (dev mode's default): ketenpoort-sim in-process.
//! - [`loopback`]: a stand-in that marks messages delivered. It is not VECOZO.
//! - [`vecozo`]: the VECOZO client — system certificates, environments, envelopes built from
//!   the XML header, push/pull/status over mTLS, backoff, the delivery step and the
//!   collection round (not yet wired into the server).
//! - [`admin`] and [`metrics`]: `/healthz`, `/readyz`, `/metrics`.
//! - [`console`]: the operator console (web pages per tenant on `[console] listen`).
//! - [`manual`]: durability, tenants, idempotency — the decisions, in prose.
//! - [`proto`]: the generated contract.
//! - [`verantwoording`]: the yearly productieverantwoording (XLSX and CSV) from claim lines
//!   and their verdicts, data in and bytes out; [`csv`]: the CSV row writer of the reports.
//! - [`cli`]: the command line (`validate`, `serve`, `hash-token`, `backup`, `export`, and
//!   the client commands `submit`, `status`, `returns`, `outbox`, `report`, which talk to a
//!   running gateway through the Rust SDK); `main.rs` parses and dispatches, and is the
//!   only place `anyhow` is used.

#![forbid(unsafe_code)]

pub mod admin;
pub mod api;
pub mod cli;
pub mod config;
pub mod console;
pub mod csv;
pub mod deadline_check;
pub mod deadlines;
pub mod dev_simulator;
pub mod error;
pub mod header;
pub mod listen;
pub mod loopback;
pub mod manual;
pub mod metrics;
pub mod proto;
pub mod retour;
pub mod server;
pub mod store;
pub mod tariffs;
pub mod tenant;
pub mod vecozo;
pub mod verantwoording;

pub use error::{Error, FieldViolation};
