//! Shared helpers for the end-to-end and conformance tests live in the test files.

#![forbid(unsafe_code)]
