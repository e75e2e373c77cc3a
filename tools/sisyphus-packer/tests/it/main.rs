//! Integration tests of the `sisyphus-packer` binary.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on broken fixtures")]

/// Bad input: clear errors naming the argument.
mod errors;
/// `plan`: the same plan file bytes as `sisyphus plan -o`, problems listed like it.
mod plan;
/// Same inputs give the same bytes, whatever the clock, umask, directory or file mtimes; and a
/// golden digest catches format changes.
mod reproducible;
