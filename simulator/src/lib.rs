//! Simulator of VECOZO VSP-Koppeling and a municipality (GGK) for iJw/iWmo 3.2. Not built yet: see the simulator issue.
//!
//! This crate is a placeholder so the workspace has its final shape; it has no API yet.

#![forbid(unsafe_code)]
