//! A loaded config and its evaluation for one context.

use std::sync::Arc;

use starlark::docs::{DocItem, DocMember, DocParam};
use starlark::environment::Module;
use starlark::eval::Evaluator;
use starlark::values::{OwnedFrozenValue, Value};

use sisyphus_core::app::{Application, EvalContext};

use crate::builtins::describe;
use crate::error::{Fallback, from_starlark};
use crate::loader::{Loader, file_start, limit};
use crate::values::{ApplicationValue, ContextValue};
use crate::{ConfigFiles, Error, paths, resolve, sandbox};

/// A config parsed and its module evaluated once (loads resolved and cached); `main` not yet
/// called. `Send + Sync`: share it across threads and evaluate it for many contexts.
#[derive(Debug)]
pub struct Config {
    entrypoint: String,
    files: Vec<String>,
    /// The entrypoint's `main` (keeps the frozen heaps of every loaded module alive).
    main: OwnedFrozenValue,
    /// Where `def main` is: errors without a span of their own point here.
    main_def: Fallback,
}

/// Finds the top-level `def main(` in the entrypoint source, for errors that have no span of
/// their own. `def main_helper(` does not count.
fn find_main_def(file: &str, source: &str) -> Fallback {
    for (i, line) in source.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("def")
            && rest.starts_with(char::is_whitespace)
            && let Some(after) = rest.trim_start().strip_prefix("main")
            && after.trim_start().starts_with('(')
        {
            return Fallback {
                file: file.to_owned(),
                line: i,
                column: 0,
                source_line: line.to_owned(),
                len: line.trim_end().chars().count(),
            };
        }
    }
    file_start(file, source)
}

/// The parameters of `main` as written, when `main(ctx)` with one positional argument cannot
/// bind them; `None` when it can (or the signature is unknown).
fn wrong_main_signature(main: Value) -> Option<String> {
    let DocItem::Member(DocMember::Function(function)) = main.documentation() else {
        return None;
    };
    let p = &function.params;
    let positional: Vec<&DocParam> = p.pos_only.iter().chain(&p.pos_or_named).collect();
    let required = positional
        .iter()
        .filter(|param| param.default_value.is_none())
        .count();
    let named_required = p
        .named_only
        .iter()
        .any(|param| param.default_value.is_none());
    let takes_one = (!positional.is_empty() || p.args.is_some()) && required <= 1;
    if takes_one && !named_required {
        return None;
    }
    let written = |param: &DocParam| match &param.default_value {
        Some(_) => format!("{}=...", param.name),
        None => param.name.clone(),
    };
    let mut parts: Vec<String> = positional.iter().map(|param| written(param)).collect();
    match &p.args {
        Some(args) => parts.push(format!("*{}", args.name)),
        None if !p.named_only.is_empty() => parts.push("*".to_owned()),
        None => {}
    }
    parts.extend(p.named_only.iter().map(written));
    if let Some(kwargs) = &p.kwargs {
        parts.push(format!("**{}", kwargs.name));
    }
    Some(parts.join(", "))
}

impl Config {
    /// Parse `entrypoint` (config-root-relative) and everything it loads, and evaluate each
    /// module once.
    ///
    /// # Errors
    /// Unreadable or disallowed files, syntax errors, load cycles, evaluation errors and limits,
    /// no `main` function.
    pub fn load(files: &dyn ConfigFiles, entrypoint: &str) -> Result<Config, Error> {
        let fallback = file_start(entrypoint, "");
        sandbox::guarded(&fallback, || Self::load_here(files, entrypoint))
    }

    /// [`Config::load`] on the current thread, panics not caught.
    fn load_here(files: &dyn ConfigFiles, entrypoint: &str) -> Result<Config, Error> {
        let path = paths::resolve(None, entrypoint).map_err(|reason| Error::BadPath {
            path: entrypoint.to_owned(),
            reason,
        })?;
        let mut loader = Loader::new(files);
        let module = loader.load(&path)?;
        let sources = loader.into_sources();
        let source = sources.get(&path).map_or("", String::as_str);
        let main_def = find_main_def(&path, source);
        let main = match module.get_option("main") {
            Ok(Some(main)) => main,
            Ok(None) | Err(_) => {
                return Err(Error::Config(Box::new(
                    file_start(&path, source).diagnostic(format!(
                        "expected the entrypoint `{path}` to define `def main(ctx):`, found no \
                         `main`"
                    )),
                )));
            }
        };
        if main.value().get_type() != "function" {
            return Err(Error::Config(Box::new(main_def.diagnostic(format!(
                "expected `main` to be a function `def main(ctx):`, found {}",
                describe(main.value())
            )))));
        }
        if let Some(found) = wrong_main_signature(main.value()) {
            return Err(Error::Config(Box::new(main_def.diagnostic(format!(
                "expected `def main(ctx)` with one parameter, found `def main({found})`"
            )))));
        }
        Ok(Config {
            entrypoint: path,
            files: sources.into_keys().collect(),
            main,
            main_def,
        })
    }

    /// The normalized entrypoint path.
    pub fn entrypoint(&self) -> &str {
        &self.entrypoint
    }

    /// Every file this config read (the entrypoint and everything it loads), sorted.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Call `main(ctx)` and resolve the returned `Application` for `ctx.environment`.
    ///
    /// # Errors
    /// Evaluation errors and limits, a `main` that does not take one argument or does not return
    /// an `Application`, and values invalid in this environment (port conflicts, probes naming
    /// undeclared ports).
    pub fn evaluate(&self, ctx: &EvalContext) -> Result<Application, Error> {
        sandbox::guarded(&self.main_def, || self.evaluate_here(ctx))
    }

    /// [`Config::evaluate`] on the current thread, panics not caught.
    fn evaluate_here(&self, ctx: &EvalContext) -> Result<Application, Error> {
        let spec = Module::with_temp_heap(|module| {
            let main = module.heap().access_owned_frozen_value(&self.main);
            let mut eval = Evaluator::new(&module);
            limit(&mut eval);
            let ctx_value = module.heap().alloc(ContextValue(Arc::new(ctx.clone())));
            let ret = eval
                .eval_function(main, &[ctx_value], &[])
                .map_err(|e| from_starlark(&e, &self.main_def))?;
            match ApplicationValue::from_value(ret) {
                Some(app) => Ok(app.0.clone()),
                None => Err(Error::Config(Box::new(self.main_def.diagnostic(format!(
                    "expected `main` to return Application(...), found {}",
                    describe(ret)
                ))))),
            }
        })?;
        resolve::resolve(&spec, &ctx.environment, &self.main_def)
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

#[cfg(test)]
mod tests {
    #[test]
    fn config_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::Config>();
    }
}
