//! End-to-end tests of the `sisyphus` binary: each module runs the built binary as a user would.

mod common;
mod run_config;
mod plan;
mod image;
mod run_image;
