//! End-to-end tests of the `sisyphus` binary: each module runs the built binary as a user would.

mod cli_parse;
mod common;
mod dashboard;
mod diff;
mod ground;
mod help;
mod history;
mod image;
mod live;
mod pause;
mod plan;
mod pods;
mod push;
mod render;
mod rollback;
mod rollout;
mod run_config;
mod run_image;
mod saved;
mod state_commands;
