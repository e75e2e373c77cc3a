//! The one error type of this crate.

use sisyphus_core::Digest;

/// What can go wrong talking to registries.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The registry wants credentials and we have none (or they were refused).
    #[error("authentication required for `{registry}`")]
    AuthenticationRequired {
        /// The registry host.
        registry: String,
    },
    /// The credentials are valid but lack permission.
    #[error("access to `{reference}` denied by `{registry}`")]
    Denied {
        /// The reference.
        reference: String,
        /// The registry host.
        registry: String,
    },
    /// The tag, digest or repository does not exist.
    #[error("`{reference}` not found in repository `{repository}`")]
    NotFound {
        /// The reference.
        reference: String,
        /// `registry/repository`.
        repository: String,
    },
    /// Any other registry failure (after retries for transient ones).
    #[error("failed to {operation} `{reference}`")]
    Registry {
        /// What was being done, e.g. "push blob".
        operation: &'static str,
        /// The reference or blob.
        reference: String,
        /// The client error.
        #[source]
        source: oci_client::errors::OciDistributionError,
    },
    /// The registry answered something that is not a digest.
    #[error(
        "registry returned `{found}` as the digest of `{reference}`, expected `sha256:<64 hex>`"
    )]
    BadDigest {
        /// The reference.
        reference: String,
        /// What it returned.
        found: String,
    },
    /// Credentials could not be read (a helper failed, a config file is malformed).
    #[error("failed to get credentials for `{registry}` from {source_name}")]
    Credentials {
        /// The registry.
        registry: String,
        /// Where they were looked for.
        source_name: String,
        /// What went wrong.
        #[source]
        source: docker_credential::CredentialRetrievalError,
    },
    /// A credential file exists but cannot be read.
    #[error("failed to read the credentials for `{registry}`")]
    CredentialFile {
        /// The registry.
        registry: String,
        /// The fs-err error, naming the file.
        #[source]
        source: std::io::Error,
    },
    /// Image content is invalid (bad layout, digest mismatch, bad config image).
    #[error("invalid image content for `{reference}`")]
    Content {
        /// The reference.
        reference: String,
        /// What is wrong.
        #[source]
        source: sisyphus_oci::Error,
    },
    /// The config image cache could not be read or written.
    #[error("failed to {action} in the config image cache")]
    Cache {
        /// What was being done.
        action: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A tag reference to push to names a digest other than the layout's.
    #[error("the layout's digest is `{layout_digest}`, but the tag `{tag}` names `{tag_digest}`")]
    TagDigestMismatch {
        /// The tag reference, as given.
        tag: String,
        /// The digest it names.
        tag_digest: Digest,
        /// The digest of the layout being pushed.
        layout_digest: Digest,
    },
    /// A manifest, index or blob body is longer than its limit.
    #[error("`{registry}` sent more than {limit} bytes for {what} `{reference}`")]
    BodyTooLarge {
        /// What was read: "manifest", "layer".
        what: &'static str,
        /// The reference or blob.
        reference: String,
        /// The registry host.
        registry: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A registry's token service sent a token response longer than the limit.
    #[error("the token service `{realm}` of `{registry}` sent more than {limit} bytes for a token")]
    TokenTooLarge {
        /// The registry host.
        registry: String,
        /// The token service's URL (the challenge's realm).
        realm: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A registry did not finish an operation in time.
    #[error(
        "`{registry}` did not answer in time: {operation} `{reference}` took more than {seconds} s"
    )]
    Timeout {
        /// The registry host.
        registry: String,
        /// What was being done, e.g. "resolve".
        operation: &'static str,
        /// The reference.
        reference: String,
        /// The overall deadline, in seconds.
        seconds: u64,
    },
    /// A reference is malformed.
    #[error(transparent)]
    BadReference(#[from] sisyphus_oci::reference::ReferenceError),
}

impl Error {
    /// A short hint for the user, when we know what to do.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::AuthenticationRequired { registry } => Some(format!(
                "log in with `docker login {registry}` or `podman login {registry}` (credentials are read from `$DOCKER_CONFIG/config.json`, `~/.docker/config.json` and podman's `auth.json`)"
            )),
            Error::CredentialFile { .. } => Some(
                "fix the file's permissions, or point `DOCKER_CONFIG` or `REGISTRY_AUTH_FILE` elsewhere".to_owned(),
            ),
            Error::Timeout { .. } => Some(
                "is the registry overloaded or behind a slow proxy? The deadlines are set with `Client::with_timeouts` (see docs/production.md, \"Registry limits\")".to_owned(),
            ),
            Error::Registry { source, .. } if crate::retry::is_connection(source) => Some(
                "is the registry running and reachable? For a plain-HTTP registry that is not on localhost, pass `--insecure-registry HOST`".to_owned(),
            ),
            _ => None,
        }
    }
}
