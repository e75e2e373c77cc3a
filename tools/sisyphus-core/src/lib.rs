//! Vocabulary shared by every Sisyphus crate: the evaluated application model, the production
//! resources a plan holds, the config image index, digests, and validators for Kubernetes names
//! and quantities.
//!
//! This crate does no I/O and has no async code: it is the meeting point of the pipeline stages
//! (load → resolve → render → diff → apply), which never depend on each other directly.

pub mod app;
pub mod change;
pub mod config_image;
pub mod desired;
pub mod digest;
pub mod labels;
pub mod live;
pub mod names;
pub mod pause;
pub mod pin;
pub mod plain;
pub mod production;
pub mod quantity;
pub mod report;
pub mod secret;
pub mod state;
pub mod suggest;
pub mod text;

pub use digest::Digest;
