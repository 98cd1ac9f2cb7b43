//! The generated contract `ketenpoort.v1`, compiled from `proto/ketenpoort/v1/gateway.proto`
//! by `build.rs`. The ergonomic layer ([`crate::Client`], the builders) wraps these types;
//! they stay public so that nothing the contract offers is out of reach.
//!
//! The builders in [`crate::builders`] add `new` and `with_*` methods to the part types
//! (e.g. [`Product::new`], [`RequestedProduct::with_extent`]).

#![allow(missing_docs, clippy::all, clippy::pedantic)]

tonic::include_proto!("ketenpoort.v1");
