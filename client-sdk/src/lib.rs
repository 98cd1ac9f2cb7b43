//! Rust client SDK for the ketenpoort gRPC gateway. Not built yet: see the client SDK issue.
//!
//! This crate is a placeholder so the workspace has its final shape; it has no API yet.

#![forbid(unsafe_code)]
