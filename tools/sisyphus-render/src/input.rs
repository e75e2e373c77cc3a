//! What render reads: the production resources and the config images resolved for them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use sisyphus_core::Digest;
use sisyphus_core::app::{Application, EvalContext};
use sisyphus_core::config_image::ConfigIndex;
use sisyphus_core::production::Resource;

/// A config image pinned to a digest, with its index and its loaded Starlark config.
#[derive(Clone, Debug)]
pub struct ResolvedConfig {
    /// The pinned reference, `repository@sha256:...`.
    pub reference: String,
    /// The config image digest.
    pub digest: Digest,
    /// Its `index.json`: the binary image and the entry point.
    pub index: ConfigIndex,
    /// The loaded config (an `Arc<sisyphus_starlark::Config>`), evaluated once per distinct
    /// context.
    pub config: Arc<dyn Evaluate>,
}

/// Something that turns an [`EvalContext`] into an [`Application`]: a loaded Starlark config, or
/// in tests a fixed application.
pub trait Evaluate: Send + Sync + fmt::Debug {
    /// Evaluate for `ctx`.
    ///
    /// # Errors
    ///
    /// The config's evaluation error, located in its Starlark files.
    fn evaluate(&self, ctx: &EvalContext) -> Result<Application, sisyphus_starlark::Error>;
}

impl Evaluate for sisyphus_starlark::Config {
    fn evaluate(&self, ctx: &EvalContext) -> Result<Application, sisyphus_starlark::Error> {
        sisyphus_starlark::Config::evaluate(self, ctx)
    }
}

/// Everything render needs.
#[derive(Clone, Copy, Debug)]
pub struct RenderInput<'a> {
    /// Every resource of the production folder.
    pub resources: &'a [Resource],
    /// Resolved config images, by `config.image` as written in the resources.
    pub configs: &'a BTreeMap<String, ResolvedConfig>,
}
