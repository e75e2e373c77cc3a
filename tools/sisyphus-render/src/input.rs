//! What render reads: the production resources and the config images resolved for them.

use sisyphus_core::production::Resource;
use std::collections::BTreeMap;

pub use sisyphus_starlark::{Evaluate, ResolvedConfig};

/// Everything render needs.
#[derive(Clone, Copy, Debug)]
pub struct RenderInput<'a> {
    /// Every resource of the production folder.
    pub resources: &'a [Resource],
    /// Resolved config images, by `config.image` as written in the resources.
    pub configs: &'a BTreeMap<String, ResolvedConfig>,
}
