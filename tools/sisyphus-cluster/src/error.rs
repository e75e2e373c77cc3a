//! Errors of cluster access. Every message names the cluster and, for object operations, the
//! object (`` `cluster` apps/v1 Deployment ns/name ``); API server refusals keep the server's
//! message. No message carries a Secret value.

use std::error::Error as _;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// One failure of cluster access.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No kubeconfig was given and none was found.
    #[error(
        "failed to find a kubeconfig: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config"
    )]
    NoKubeconfig,
    /// A kubeconfig file could not be read, parsed or merged with the others.
    #[error("failed to read kubeconfig `{path}`")]
    ReadKubeconfig {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// A context asked for is not in the kubeconfig.
    #[error("unknown kubeconfig context `{context}` in {files}; known contexts: {known}")]
    UnknownContext {
        /// The context asked for.
        context: String,
        /// The kubeconfig files, quoted and comma-separated.
        files: String,
        /// The contexts the kubeconfig has, quoted and comma-separated (`none` if empty).
        known: String,
    },
    /// A context names a cluster or user entry the kubeconfig does not define.
    #[error("kubeconfig context `{context}` names {entry} `{name}`, which {files} does not define")]
    MissingEntry {
        /// The context.
        context: String,
        /// `cluster` or `user`.
        entry: &'static str,
        /// The missing entry's name.
        name: String,
        /// The kubeconfig files.
        files: String,
    },
    /// The cluster address or credentials of a context could not be loaded (a missing client
    /// certificate file, an unparsable server URL, ...).
    #[error(
        "failed to load the server and credentials of kubeconfig context `{context}` from {files}"
    )]
    LoadContext {
        /// The context.
        context: String,
        /// The kubeconfig files.
        files: String,
        /// Cause.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// The client of a context could not be built: TLS setup, client certificate or key files
    /// that cannot be read.
    #[error("failed to set up TLS and credentials of kubeconfig context `{context}` from {files}")]
    Client {
        /// The context.
        context: String,
        /// The kubeconfig files.
        files: String,
        /// Cause.
        #[source]
        source: kube::Error,
    },
    /// A cluster did not answer `/version`.
    #[error("cluster `{cluster}` at {server} is unreachable")]
    Unreachable {
        /// The cluster.
        cluster: String,
        /// Its server URL.
        server: String,
        /// Cause.
        #[source]
        source: kube::Error,
    },
    /// A cluster did not answer `/version` in time.
    #[error("cluster `{cluster}` at {server} did not answer within {timeout:?}")]
    CheckTimeout {
        /// The cluster.
        cluster: String,
        /// Its server URL.
        server: String,
        /// How long it was given.
        timeout: Duration,
    },
    /// Discovery failed.
    #[error("failed to discover the kinds cluster `{cluster}` serves")]
    Discovery {
        /// The cluster.
        cluster: String,
        /// Cause.
        #[source]
        source: kube::Error,
    },
    /// The cluster does not serve this apiVersion and kind.
    #[error("cluster `{cluster}` does not serve {api_version} {kind}")]
    UnknownKind {
        /// The cluster.
        cluster: String,
        /// `group/version` or `v1`.
        api_version: String,
        /// The kind.
        kind: String,
    },
    /// An object lacks what the operation needs (apiVersion, kind, name, or a namespace for a
    /// namespaced kind), or has a namespace its cluster-scoped kind cannot have.
    #[error("cannot {operation} {object}: {problem}")]
    InvalidObject {
        /// What was attempted.
        operation: &'static str,
        /// The object as far as it is known.
        object: String,
        /// What is wrong.
        problem: String,
    },
    /// A Secret was given to [`crate::Cluster::apply`], which never applies Secrets.
    #[error(
        "refusing to server-side apply {object}: Secrets are created with create_secret and \
         extended with add_secret_keys, so an existing key's value is never overwritten"
    )]
    SecretApply {
        /// The Secret.
        object: String,
    },
    /// The API server refused the request.
    #[error("failed to {operation} {object}: {code} {reason}: {message}")]
    Api {
        /// What was attempted (`apply`, `dry-run apply`, `list`, ...).
        operation: &'static str,
        /// The object or scope.
        object: String,
        /// HTTP status code (404, 409, 422, ...).
        code: u16,
        /// The status reason (`NotFound`, `Conflict`, `Invalid`, ...).
        reason: String,
        /// The server's message (Secret values scrubbed).
        message: String,
    },
    /// [`crate::Cluster::create_secret`] found the Secret already there.
    #[error("failed to create {object}: it already exists")]
    AlreadyExists {
        /// The object.
        object: String,
    },
    /// The request could not be sent or its answer not read.
    #[error("failed to {operation} {object}")]
    Request {
        /// What was attempted.
        operation: &'static str,
        /// The object or scope.
        object: String,
        /// Cause.
        #[source]
        source: kube::Error,
    },
    /// A Secret kept changing while keys were added to it.
    #[error("failed to add keys to {object}: it changed under us {attempts} times in a row")]
    Conflict {
        /// The Secret.
        object: String,
        /// How many times the add was tried.
        attempts: u32,
    },
    /// A wait ended before its condition held.
    #[error("timed out after {timeout:?} waiting for {what}")]
    WaitTimeout {
        /// What was waited for.
        what: String,
        /// How long.
        timeout: Duration,
    },
    /// A watch broke (it is restarted with backoff).
    #[error("the watch of {what} failed: {message}")]
    Watch {
        /// What was watched.
        what: String,
        /// Why.
        message: String,
    },
}

impl Error {
    /// The HTTP status code of an API server refusal ([`Error::Api`]); `None` otherwise.
    pub fn code(&self) -> Option<u16> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the API server answered 404 (for apply: usually the namespace is missing).
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(404)
    }

    /// Whether the API server answered 409.
    pub fn is_conflict(&self) -> bool {
        self.code() == Some(409)
    }
}

/// Several failures, found together (e.g. every unknown context and unreachable cluster).
#[derive(Debug, Default)]
pub struct Errors(pub Vec<Error>);

impl Errors {
    /// The failures.
    pub fn iter(&self) -> std::slice::Iter<'_, Error> {
        self.0.iter()
    }

    /// The number of failures.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` if empty, else `Err(self)`.
    pub fn into_result(self) -> Result<(), Errors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<Error> for Errors {
    fn from(error: Error) -> Errors {
        Errors(vec![error])
    }
}

impl IntoIterator for Errors {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Errors {
    /// One error: its message. Several: a count, then each message with its causes on its own
    /// line (a renderer that walks `source()` sees no further cause, so nothing is printed
    /// twice).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("no errors"),
            [only] => write!(f, "{}", chain(only)),
            many => {
                write!(f, "{} problems with the clusters:", many.len())?;
                for error in many {
                    write!(f, "\n  - {}", chain(error))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Errors {}

/// `message: cause: cause`.
fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
