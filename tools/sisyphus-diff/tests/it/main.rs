//! Tests of the diff stage, from values built with `sisyphus_diff::testing`: one binary, one
//! module per topic.

/// Create, adopt, update, unchanged and delete; ordering; other clusters.
mod actions;
/// Small helpers shared by the modules.
mod common;
/// Immutable fields: recreate or blocked.
mod immutable;
/// Config images: a retag is an update.
mod retag;
/// Which lists the CLI must make before diffing.
mod scopes;
/// Secrets: values never compared, keys added or dropped.
mod secrets;
/// Unified YAML diffs, and no secret value in any of them.
mod text;
/// apiVersion moves are updates, not a delete and a create.
mod versions;
