//! The plan artifact (`proto/sisyphus/plan/v1/plan.proto`): versioned, deterministic
//! read/write of a [`Plan`], plus its JSON and text views.
//!
//! Modules: [`wire`] (prost types generated from `proto/` at build time), `convert` (domain ↔
//! wire), [`file`](mod@file) (the versioned byte format: [`write()`], [`read()`]), [`json`] and [`text`]
//! (what `sisyphus plan --format json|text` prints), [`saved`] (saved change sets: what
//! `sisyphus diff --out` writes and `sisyphus push --changes` applies exactly). The only I/O is [`write_file()`], which writes a plan file atomically.

mod convert;
pub mod file;
pub mod json;
pub mod saved;
pub mod text;
pub mod wire;

pub use file::{
    VERSION, read, write, write_bytes, write_bytes_outside, write_file, write_file_outside,
};
pub use saved::{CHANGES_VERSION, SavedChange, SavedChanges, read_changes, write_changes};
pub use sisyphus_core::production::Plan;

/// Why a plan file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a protobuf plan message.
    #[error("failed to decode the plan file")]
    Decode(#[source] prost::DecodeError),
    /// Not a saved change set (a plan file, or something else).
    #[error(
        "not a saved change set (written by `sisyphus diff --out`); a plan file is given with \
         `--plan`"
    )]
    NotChanges,
    /// A saved change set written by a Sisyphus with another format version.
    #[error("unsupported format version {found}: this sisyphus reads version {expected}")]
    UnsupportedChangesVersion {
        /// The version in the file.
        found: u64,
        /// The version this build reads.
        expected: u64,
    },
    /// The plan was written by a Sisyphus with another format version.
    #[error("unsupported plan version {found}: this sisyphus reads plan version {expected}")]
    UnsupportedVersion {
        /// The version in the file.
        found: u64,
        /// The version this build reads.
        expected: u64,
    },
    /// A message is missing a required part (e.g. a resource without its kind).
    #[error("invalid plan: {what}")]
    Invalid {
        /// What is missing or wrong.
        what: String,
    },
    /// A raw Kubernetes object is not valid JSON.
    #[error("invalid plan: the Kubernetes object at {location} is not valid JSON")]
    ObjectJson {
        /// Where the object was declared.
        location: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
}
