//! Hermetic tool for Bazel actions: build config images and plans.
//!
//! In: files named on the command line (and in `--files-from` argument files), image layout
//! directories. Out: an OCI image layout directory and its digest. Touches only those paths: no
//! network (no registry code is linked), clock, home directory or environment variables.

pub mod cli;
mod commands;

pub use commands::run;
