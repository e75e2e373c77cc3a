//! The error of starting or driving a fixture, and how it is shown in a test failure.
//!
//! Owns no resources.

use std::path::PathBuf;

/// Failures of the service fixtures (registry, PostgreSQL, MariaDB).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A temporary directory for the service could not be created.
    #[error("failed to create a temporary directory for {service}")]
    TempDir {
        /// Service name.
        service: &'static str,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A configuration or data file could not be written.
    #[error("failed to write `{path}`")]
    Write {
        /// File path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The unprivileged user that runs PostgreSQL when tests run as root is missing.
    #[error(
        "failed to find user `{name}` to run PostgreSQL as (PostgreSQL refuses to run as root)"
    )]
    User {
        /// User name.
        name: String,
    },
    /// Handing the data directory to the unprivileged user failed.
    #[error("failed to change the owner of `{path}`")]
    Chown {
        /// Directory.
        path: PathBuf,
        /// Cause.
        #[source]
        source: nix::Error,
    },
    /// A process failed to start, exited or timed out (the message carries its log tail).
    #[error("failed to run {service}")]
    Process {
        /// Service name.
        service: &'static str,
        /// Cause, with the log tail.
        #[source]
        source: crate::process::Error,
    },
    /// A database name that would need quoting in URLs or SQL.
    #[error("invalid database name `{name}`, expected lowercase letters, digits and `_`")]
    DatabaseName {
        /// The name given.
        name: String,
    },
}

impl Error {
    /// Wraps a process error of `service` (for `map_err`).
    pub fn process(service: &'static str) -> impl Fn(crate::process::Error) -> Error {
        move |source| Error::Process { service, source }
    }

    /// Whether a server failed because its port was taken (see [`crate::ports::with_free_port`]).
    pub fn is_address_in_use(&self) -> bool {
        matches!(self, Error::Process { source, .. } if source.is_address_in_use())
    }
}

/// Renders `error` and its sources, one `caused by:` line each, for panic messages.
pub fn report(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str("\n  caused by: ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
