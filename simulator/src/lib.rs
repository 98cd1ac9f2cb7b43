//! # ketenpoort-sim
//!
//! A simulator of VECOZO's VSP-Koppeling (REST push v1, REST pull v1, berichtstatus REST
//! pull v3 and the deprecated v2) over mutual TLS, for iJw/iWmo 3.2: the test harness
//! provider software (and the ketenpoort gateway) talks to instead of VECOZO's test
//! environment.
//!
//! ## Layout
//!
//! - [`server`]: [`server::run`] serves HTTPS with required client certificates on a bound
//!   listener until a shutdown future completes; [`server::Config`] builds everything from a
//!   [`Scenario`] and a PKI directory.
//! - [`api`]: the HTTP routes — [`api::push`], [`api::pull`], [`api::status`] at VECOZO's
//!   paths, and [`api::admin`] (counts, clock) for tests; [`api::query`] reads query strings;
//!   every answer is one VECOZO's OpenAPI files document (`simulator/conformance/` checks
//!   that with schemathesis).
//! - [`sim`]: [`Simulator`], the simulated VECOZO as a value: push, pull, confirm, status,
//!   and [`Simulator::tick`], which makes the status transitions that are due.
//! - [`ontvangst`]: the synchronous ontvangstcontrole (BRS01, 03, 04, 05, 06, 14, 20, 26,
//!   30, 114, IB021) → `422`.
//! - [`keten`]: the asynchronous ketencontrole (BRS13 XSD level, BRS28 in-message rules).
//! - [`bot`]: the municipality (GGK) bot that answers 315/317/305/307/323 with retours, 301s,
//!   319s and 325s judged by the cross-message rules, after working-day delays.
//! - [`faults`]: the request faults of the scenario's `[[storing]]` entries (HTTP errors, slow
//!   responses, resets, maintenance windows, refused handshakes).
//! - [`store`]: in-memory state — records with status history, pull queues, uniqueness
//!   registries.
//! - [`registry`]: providers, municipalities, indieners and their toestemmingsverklaringen.
//! - [`scenario`]: the TOML scenario file (see `scenario.example.toml`): parties, timing, the
//!   municipality bot's behaviour and the faults.
//! - [`pki`]: the generated development PKI (CA, server and client certificates, PEM and
//!   PKCS#12).
//! - [`clock`]: simulated time (real, accelerated or frozen, with manual advance).
//! - [`wire`]: the JSON shapes of the OpenAPI specifications.
//! - `src/bin/ketenpoort-sim.rs`: the command line (`ketenpoort-sim serve …`).
//!
//! ## Time
//!
//! Nothing sleeps: status transitions and the municipality's answers are due at simulated
//! times and made by [`Simulator::tick`], which the server calls every `tick_interval_ms` and
//! the admin call `POST /admin/v1/klok` calls after moving the clock. With `speed = 0` a test
//! controls time completely. (The `traag` fault is the one real wait: it delays a response.)

#![forbid(unsafe_code)]

pub mod api;
pub mod bot;
pub mod clock;
pub mod error;
pub mod faults;
pub mod keten;
pub mod ontvangst;
pub mod pki;
pub mod registry;
pub mod retourcodes;
pub mod scenario;
pub mod server;
pub mod sim;
pub mod store;
pub mod wire;

pub use clock::Clock;
pub use error::Error;
pub use scenario::Scenario;
pub use sim::Simulator;
