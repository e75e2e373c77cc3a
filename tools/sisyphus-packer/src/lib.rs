//! Hermetic tool for Bazel actions: build config images, plain images, image indexes, and plan
//! files.
//!
//! In: files named on the command line (and in `--files-from` argument files), image layout
//! directories, a production folder (`plan`). Out: an OCI image layout directory and its digest,
//! or a plan file. Touches only those paths: no network (no registry code is linked), clock,
//! home directory or environment variables.

pub mod cli;
mod commands;

pub use commands::{LoadProblems, Outcome, run};
