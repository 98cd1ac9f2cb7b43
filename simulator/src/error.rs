//! The simulator's error type.

use std::path::PathBuf;

/// Why the simulator could not start or serve.
///
/// Errors of a single request never end up here: they become HTTP responses (400, 404, 422)
/// in the `api` module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory of the PKI, the scenario or the dump directory could not be read
    /// or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("read", "write", "create directory").
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The scenario file is not valid TOML or breaks a rule of the scenario format; the
    /// message names the key.
    #[error("scenario: {0}")]
    Scenario(String),
    /// Generating or loading a certificate or key failed.
    #[error("pki: {0}")]
    Pki(String),
    /// The TLS configuration could not be built from the certificates.
    #[error("tls: {0}")]
    Tls(String),
    /// Accepting connections failed in a way that stops the server.
    #[error("server: {0}")]
    Server(String),
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
