//! The access log (inzagelog, NEN 7513): who saw which client's personal data, when, in
//! which message, as the store keeps it (`n/` + sequence, u64 BE).
//!
//! An entry is written by [`super::Write::AccessLog`] and flushed before the operator console
//! shows the data it records (the console's "reveal" on a message page). Entries are only
//! ever added: the store has no write that changes or removes one, and the console offers
//! none. A tenant reads (and exports) the entries of the messages of its own AGB codes.

use serde::{Deserialize, Serialize};

/// The key prefix of the access log.
pub const PREFIX: &[u8] = b"n/";

/// One access to a client's personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// Position in the log, assigned by the store (ignored in the write).
    pub sequence: u64,
    /// When the data was shown, milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The tenant whose session it was.
    pub tenant: String,
    /// The person signed in, as they gave their name at sign-in.
    pub user: String,
    /// How the session was signed in: `API-token` or `certificaat <first 16 hex of the
    /// SHA-256>`.
    pub credential: String,
    /// The message whose data was shown.
    pub message_id: u64,
    /// Its AGB code (whose tenants may read the entry).
    pub agb: String,
    /// Its kind, e.g. `JW315`.
    pub kind: String,
    /// The BSNs of the clients whose data was shown.
    pub clients: Vec<String>,
}

/// The key of entry `sequence`.
pub fn key(sequence: u64) -> Vec<u8> {
    let mut k = PREFIX.to_vec();
    k.extend_from_slice(&sequence.to_be_bytes());
    k
}
