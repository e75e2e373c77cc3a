//! A config image resolved to a digest, with its Starlark loaded: what the resolve stage hands
//! the render stage. It lives here, beside [`Config`], because both stages use it and stage
//! crates never depend on each other.

use std::fmt;
use std::sync::Arc;

use sisyphus_core::Digest;
use sisyphus_core::app::{Application, EvalContext};
use sisyphus_core::config_image::ConfigIndex;

use crate::{Config, Error};

/// A config image pinned to a digest, with its index and its loaded Starlark config.
#[derive(Clone, Debug)]
pub struct ResolvedConfig {
    /// The pinned reference, `registry/repository@sha256:...`.
    pub reference: String,
    /// The config image digest.
    pub digest: Digest,
    /// Its `index.json`: the binary image and the entry point.
    pub index: ConfigIndex,
    /// The loaded config (a [`Config`], or in tests a fixed application), shared by every image
    /// pinned to the same digest and evaluated once per distinct context.
    pub config: Arc<dyn Evaluate>,
}

/// Something that turns an [`EvalContext`] into an [`Application`]: a loaded [`Config`], or in
/// tests a fixed application.
pub trait Evaluate: Send + Sync + fmt::Debug {
    /// Evaluate for `ctx`.
    ///
    /// # Errors
    ///
    /// The config's evaluation error, located in its Starlark files.
    fn evaluate(&self, ctx: &EvalContext) -> Result<Application, Error>;
}

impl Evaluate for Config {
    fn evaluate(&self, ctx: &EvalContext) -> Result<Application, Error> {
        Config::evaluate(self, ctx)
    }
}
