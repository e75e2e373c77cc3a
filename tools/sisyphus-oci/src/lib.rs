//! Config image format and reproducible OCI image layouts (no network).
//!
//! In: files (bytes with root-relative paths), a [`ConfigIndex`](sisyphus_core::config_image::ConfigIndex),
//! OCI image layout directories. Out: OCI image layout directories whose digests depend only on
//! the inputs ([`build`]), and validated [`ConfigImage`]s read back from layouts, layers or an
//! extracted cache directory ([`config_image`]).
//!
//! Touches only the files and directories it is given. No network, no clock, no environment:
//! the packer (a Bazel action) links this crate and nothing that talks to a registry.

pub mod build;
pub mod config_image;
mod error;
mod hash;
pub mod layer;
pub mod layout;
pub mod path;
pub mod reference;
pub mod spec;

pub use config_image::ConfigImage;
pub use error::{Error, JsonProblem};
pub use hash::sha256;
pub use layout::{Layout, LayoutWriter};
