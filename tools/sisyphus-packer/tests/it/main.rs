//! Integration tests of the `sisyphus-packer` binary.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on broken fixtures")]

/// Bad input: clear errors naming the argument.
mod errors;
/// Same inputs give the same bytes, whatever the clock, umask, directory or file mtimes; and a
/// golden digest catches format changes.
mod reproducible;
