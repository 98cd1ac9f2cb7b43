//! # ketenpoort
//!
//! The gateway between provider software and the Dutch municipal care chain: iJw (Jeugdwet)
//! and iWmo (Wmo 2015) release 3.2 messages, exchanged with municipalities through VECOZO.
//!
//! Today this crate is the `ketenpoort` command line around
//! [`ketenpoort_messages`]: it validates message files. The gRPC gateway (tenants, outbox,
//! VECOZO client, returns processing) is not built yet; `ketenpoort serve` says so and exits.
//!
//! ## Layout
//!
//! - [`cli`]: the command line. [`cli::Cli`] declares the arguments (clap derive); one module
//!   per subcommand does the work and returns the process exit code:
//!   - [`cli::validate`]: `ketenpoort validate [--json] FILE...` reads each file with
//!     [`ketenpoort_messages::read`] and reports every violation, as text or as one JSON
//!     object per file.
//!   - [`cli::serve`]: `ketenpoort serve [--dev] [--config FILE]`, a placeholder that states
//!     the gateway is not implemented yet.
//! - `main.rs` (the binary): parses the arguments and dispatches; `anyhow` lives only there.

#![forbid(unsafe_code)]

pub mod cli;
pub mod proto;
