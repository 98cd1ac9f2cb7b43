//! The generated gRPC contract `ketenpoort.v1` (from `proto/ketenpoort/v1/gateway.proto`,
//! compiled by `build.rs` with protox and tonic-prost-build).

#![allow(missing_docs, clippy::all, clippy::pedantic)]

tonic::include_proto!("ketenpoort.v1");

/// The encoded file descriptor set of the contract, served by gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("ketenpoort_descriptor");
