//! Resolve errors: each names the config image as written, the resources using it and where
//! they write it (`config.image`); [`Errors`] carries all of them at once.

use std::fmt;

use sisyphus_core::Digest;
use sisyphus_core::production::SourceLocation;

use crate::ResolvedConfigs;
use crate::usage::Users;

/// One config image that could not be resolved, pulled or loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `config.image` is not an image reference.
    #[error("{location}: invalid config image reference `{image}` in {users}")]
    Reference {
        /// Where the first resource using it writes it (`config.image`).
        location: SourceLocation,
        /// The image as written.
        image: String,
        /// The resources using it.
        users: Users,
        /// What is wrong with it.
        #[source]
        source: sisyphus_registry::ReferenceError,
    },
    /// The tag could not be resolved to a digest (missing tag, registry down, no access).
    #[error("{location}: failed to resolve config image `{image}` for {users}")]
    Resolve {
        /// Where the first resource using it writes it (`config.image`).
        location: SourceLocation,
        /// The image as written.
        image: String,
        /// The resources using it.
        users: Users,
        /// The registry error.
        #[source]
        source: sisyphus_registry::Error,
    },
    /// The config image could not be pulled or is not a valid config image.
    #[error("{location}: failed to pull config image `{reference}` (`{image}`) for {users}")]
    Pull {
        /// Where the first resource using it writes it (`config.image`).
        location: SourceLocation,
        /// The image as written (the first of those pinned to this digest).
        image: String,
        /// The pinned reference.
        reference: String,
        /// The resources using any image pinned to this digest.
        users: Users,
        /// The registry or content error.
        #[source]
        source: sisyphus_registry::Error,
    },
    /// The config image's Starlark does not load (syntax error, bad `load()`, no `main`).
    #[error(
        "{location}: failed to load the Starlark of config image `{reference}` (`{image}`) for {users}"
    )]
    Load {
        /// Where the first resource using it writes it (`config.image`).
        location: SourceLocation,
        /// The image as written (the first of those pinned to this digest).
        image: String,
        /// The pinned reference.
        reference: String,
        /// The resources using any image pinned to this digest.
        users: Users,
        /// The Starlark error, located in the config image's files.
        #[source]
        source: sisyphus_starlark::Error,
    },
    /// Loading the Starlark panicked or was cancelled (a bug in the evaluator).
    #[error("loading the Starlark of config image `{digest}` did not finish: {reason}")]
    LoadTask {
        /// The config image digest.
        digest: Digest,
        /// Why the task did not finish.
        reason: String,
    },
}

impl Error {
    /// What to do about it, when we know (from the registry error).
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Resolve { source, .. } | Error::Pull { source, .. } => source.hint(),
            _ => None,
        }
    }

    /// Where the first resource using the image writes it in `config.image` (no location for
    /// [`Error::LoadTask`]).
    pub fn location(&self) -> Option<&SourceLocation> {
        match self {
            Error::Reference { location, .. }
            | Error::Resolve { location, .. }
            | Error::Pull { location, .. }
            | Error::Load { location, .. } => Some(location),
            Error::LoadTask { .. } => None,
        }
    }
}

/// Every resolve error, sorted by location, and the images that did resolve (so a caller can
/// still render, and report the problems of, the resources using them).
#[derive(Debug)]
pub struct Errors {
    /// The errors (at least one).
    pub errors: Vec<Error>,
    /// The config images that resolved, pulled and loaded.
    pub resolved: ResolvedConfigs,
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.len() {
            1 => f.write_str("1 config image failed to resolve"),
            n => write!(f, "{n} config images failed to resolve"),
        }
    }
}

impl std::error::Error for Errors {}
