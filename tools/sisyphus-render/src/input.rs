//! What render reads: the production resources and the config images resolved for them.

use std::collections::BTreeMap;
use std::sync::Arc;

use sisyphus_core::Digest;
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
    /// The loaded config, evaluated once per distinct context.
    pub config: Arc<sisyphus_starlark::Config>,
}

/// Everything render needs.
#[derive(Clone, Copy, Debug)]
pub struct RenderInput<'a> {
    /// Every resource of the production folder.
    pub resources: &'a [Resource],
    /// Resolved config images, by `config.image` as written in the resources.
    pub configs: &'a BTreeMap<String, ResolvedConfig>,
}
