//! The config image's `index.json`: which binary image a config belongs to, and where its
//! Starlark entry point is.

use serde::{Deserialize, Serialize};

use crate::Digest;

/// The contents of a config image's `index.json`.
///
/// `binary_image` is accepted as a synonym of `binary_repository` when reading (the product
/// README spells it that way); writing always uses `binary_repository`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigIndex {
    /// Digest of the binary image (a manifest or an image index).
    pub binary_digest: Digest,
    /// Repository of the binary image, without tag or digest, e.g. `registry.example/echo`.
    #[serde(alias = "binary_image")]
    pub binary_repository: String,
    /// Path of the Starlark entry point, relative to the config root (the image root).
    pub config_entrypoint: String,
}

impl ConfigIndex {
    /// The pinned binary image reference: `binary_repository@binary_digest`.
    pub fn binary_reference(&self) -> String {
        format!("{}@{}", self.binary_repository, self.binary_digest)
    }
}
