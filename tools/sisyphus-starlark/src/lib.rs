//! Sandboxed Starlark evaluator for Sisyphus configs.
//!
//! In: config files (a config root on disk via [`DirFiles`], or a pulled config image via
//! [`MemoryFiles`]) and an entrypoint path. Out: a [`sisyphus_core::app::Application`] resolved
//! for one [`EvalContext`]. Touches nothing but the files it is given through [`ConfigFiles`]:
//! no network, clock (beyond a wall-clock evaluation limit), environment variables or stdout.
//!
//! [`Config::load`] parses the entrypoint and every file it `load()`s once; [`Config::evaluate`]
//! only calls `main(ctx)` and converts the result, so one `Config` serves many contexts and
//! threads. Both catch panics and run on a large stack ([`EVAL_STACK_SIZE`], see
//! [`with_eval_stack`]). The language is documented in `docs/starlark.md`.

mod builtins;
mod config;
mod error;
mod files;
mod guard;
mod loader;
mod methods;
mod paths;
mod ports;
mod resolve;
mod resolved;
mod rewrite;
mod sandbox;
mod spec;
mod values;

pub use config::{Config, evaluate};
pub use error::{Diagnostic, Error};
pub use files::{ConfigFiles, DirFiles, MemoryFiles};
pub use resolved::{Evaluate, ResolvedConfig};
pub use sandbox::{EVAL_STACK_SIZE, with_eval_stack};
pub use sisyphus_core::app::{Application, EvalContext};
