//! Integration tests for the Starlark evaluator, one module per topic.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod bad_input;
mod context;
mod limits;
mod load;
mod ports;
mod spec_example;

use sisyphus_starlark::{Application, Config, Error, EvalContext, MemoryFiles};

/// Held by the tests that run into the time and memory limits on purpose, so that on a small
/// machine they do not starve each other of CPU.
pub static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Takes [`HEAVY`] (a test that panicked while holding it does not poison the others).
pub fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A context for `environment` with nothing else known.
pub fn env(environment: &str) -> EvalContext {
    EvalContext {
        environment: environment.to_owned(),
        ..EvalContext::default()
    }
}

/// In-memory files from `(path, text)` pairs.
pub fn files(entries: &[(&str, &str)]) -> MemoryFiles {
    MemoryFiles(
        entries
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect(),
    )
}

/// Evaluates `main.star` with `source` for `environment`.
pub fn eval(source: &str, environment: &str) -> Result<Application, Error> {
    let files = files(&[("main.star", source)]);
    Config::load(&files, "main.star")?.evaluate(&env(environment))
}
