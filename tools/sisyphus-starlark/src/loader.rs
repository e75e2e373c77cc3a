//! Parses and evaluates a config file and, depth first, every file it `load()`s: each file once
//! (cached by path), cycles reported with their chain, every path checked by [`crate::paths`].

use std::collections::{BTreeMap, HashMap};

use starlark::codemap::{FileSpan, Pos, Span};
use starlark::environment::{FrozenModule, Module};
use starlark::eval::{Evaluator, ReturnFileLoader};
use starlark::syntax::{AstModule, Dialect};

use crate::error::{Fallback, at_span, from_starlark};
use crate::sandbox::{MAX_VALUE_DEPTH, NESTED_TOO_DEEPLY, too_deep};
use crate::{ConfigFiles, Error, builtins, guard, paths, rewrite};
use sisyphus_core::text::escape_controls;

/// The dialect every config is parsed with.
pub(crate) fn dialect() -> Dialect {
    Dialect::Standard
}

/// Sends `print()` nowhere: configs have no stdout.
struct NoPrint;

impl starlark::PrintHandler for NoPrint {
    fn println(&self, _text: &str) -> starlark::Result<()> {
        Ok(())
    }
}

/// Applies the evaluation limits to an evaluator.
pub(crate) fn limit(eval: &mut Evaluator) {
    // These only fail when set twice or to zero, which we never do.
    let _ = eval.set_max_callstack_size(crate::error::MAX_CALLSTACK);
    let _ = eval.set_max_tick_count(crate::error::MAX_TICKS);
    let _ = eval.set_max_heap_size(crate::error::MAX_HEAP_BYTES);
    guard::set_deadline(std::time::Instant::now() + crate::error::MAX_DURATION);
    eval.set_check_cancelled(Box::new(guard::past_deadline));
    guard::install_checkpoint(eval);
    static NO_PRINT: NoPrint = NoPrint;
    eval.set_print_handler(&NO_PRINT);
}

/// Refuses module-level values nested too deeply for freezing (which recurses natively).
fn check_module_depth(module: &Module, fallback: &Fallback) -> Result<(), Error> {
    for name in module.names() {
        let Some(value) = module.get(name.as_str()) else {
            continue;
        };
        if too_deep(value, MAX_VALUE_DEPTH) {
            return Err(Error::Limit(Box::new(fallback.diagnostic(format!(
                "`{}`: {NESTED_TOO_DEEPLY}: expected at most {MAX_VALUE_DEPTH} levels of \
                 lists, tuples, dicts and structs, found more",
                name.as_str()
            )))));
        }
    }
    Ok(())
}

/// A fallback location: the first line of `file`.
pub(crate) fn file_start(file: &str, source: &str) -> Fallback {
    let first = source.lines().next().unwrap_or("");
    Fallback {
        file: file.to_owned(),
        line: 0,
        column: 0,
        source_line: first.to_owned(),
        len: first.chars().count(),
    }
}

/// Loads files depth first.
pub(crate) struct Loader<'a> {
    files: &'a dyn ConfigFiles,
    cache: BTreeMap<String, FrozenModule>,
    sources: BTreeMap<String, String>,
    stack: Vec<String>,
}

impl<'a> Loader<'a> {
    pub(crate) fn new(files: &'a dyn ConfigFiles) -> Self {
        Loader {
            files,
            cache: BTreeMap::new(),
            sources: BTreeMap::new(),
            stack: Vec::new(),
        }
    }

    /// Every file read so far with its text, by path.
    pub(crate) fn into_sources(self) -> BTreeMap<String, String> {
        self.sources
    }

    /// Loads `path` (normalized) and everything it loads.
    pub(crate) fn load(&mut self, path: &str) -> Result<FrozenModule, Error> {
        if let Some(m) = self.cache.get(path) {
            return Ok(m.clone());
        }
        let source = self.files.read(path)?;
        self.sources.insert(path.to_owned(), source.clone());
        let fallback = file_start(path, &source);
        let ast = AstModule::parse(path, source.clone(), &dialect())
            .map_err(|e| from_starlark(&e, &fallback))?;
        if let Some((line, column, op)) = guard::find_unguarded(&ast) {
            let source_line = source.lines().nth(line - 1).unwrap_or("");
            let at = Fallback {
                file: path.to_owned(),
                line: line - 1,
                column: column - 1,
                source_line: source_line.to_owned(),
                len: source_line.chars().count().saturating_sub(column - 1),
            };
            let plain = op.trim_end_matches('=');
            return Err(Error::Config(Box::new(at.diagnostic(format!(
                "`{op}` is not supported: expected `x = x {plain} y`, found `x {op} y` (the \
                 size limits of `{plain}` are checked on the operator only)"
            )))));
        }
        let mut ast = match rewrite::rewrite(path, &ast, &source) {
            Ok(None) => ast,
            Ok(Some(text)) => AstModule::parse(path, text, &dialect()).map_err(|e| {
                Error::Config(Box::new(fallback.diagnostic(format!(
                    "internal error: the size checks could not be added to this file ({})",
                    escape_controls(&e.without_diagnostic().to_string())
                ))))
            })?,
            Err(rewrite::Unrewritable { span }) => {
                return Err(Error::Config(Box::new(at_span(
                    &ast.file_span(span),
                    "internal error: the size checks could not be added to this expression"
                        .to_owned(),
                ))));
            }
        };
        guard::replace_operators(&mut ast);
        self.stack.push(path.to_owned());
        let mut deps: BTreeMap<String, FrozenModule> = BTreeMap::new();
        for load in ast.loads() {
            let module = self.load_dep(path, load.module_id, &load.span)?;
            for symbol in load.symbols.values() {
                check_symbol(&module, load.module_id, symbol, &load.span)?;
            }
            deps.insert(load.module_id.to_owned(), module);
        }
        self.stack.pop();
        let modules: HashMap<&str, &FrozenModule> =
            deps.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let loader = ReturnFileLoader { modules: &modules };
        let frozen = Module::with_temp_heap(|module| -> Result<FrozenModule, Error> {
            {
                let mut eval = Evaluator::new(&module);
                limit(&mut eval);
                eval.set_loader(&loader);
                eval.eval_module(ast, builtins::globals())
                    .map_err(|e| from_starlark(&e, &fallback))?;
            }
            check_module_depth(&module, &fallback)?;
            module.freeze().map_err(|e| {
                Error::Config(Box::new(fallback.diagnostic(format!(
                    "failed to freeze the module of `{path}`: {e:?}"
                ))))
            })
        })?;
        self.cache.insert(path.to_owned(), frozen.clone());
        Ok(frozen)
    }

    fn load_dep(
        &mut self,
        from: &str,
        target: &str,
        span: &FileSpan,
    ) -> Result<FrozenModule, Error> {
        let located = |message: String| Error::Config(Box::new(at_span(span, message)));
        let resolved = paths::resolve(Some(from), target)
            .map_err(|reason| located(format!("cannot load {target:?}: {reason}")))?;
        if let Some(i) = self.stack.iter().position(|p| *p == resolved) {
            let mut chain: Vec<&str> = self.stack[i..].iter().map(String::as_str).collect();
            chain.push(&resolved);
            return Err(located(format!(
                "cannot load {target:?}: expected files that do not load each other in a \
                 cycle, found the load cycle {}",
                chain.join(" -> ")
            )));
        }
        self.load(&resolved).map_err(|e| match e {
            Error::Config(_) | Error::Limit(_) => e,
            Error::NotFound { .. } => located(format!(
                "cannot load {target:?}: expected a file `{resolved}` in the config root, found none"
            )),
            Error::BadPath { reason, .. } => located(format!("cannot load {target:?}: {reason}")),
            Error::Read { source, .. } => located(format!(
                "cannot load {target:?}: failed to read `{resolved}`: {source}"
            )),
        })
    }
}

/// Checks that `module` (loaded as `target`) exports `symbol`, so a typo is reported with what
/// the file does define instead of starlark's "Module has no symbol".
fn check_symbol(
    module: &FrozenModule,
    target: &str,
    symbol: &str,
    load: &FileSpan,
) -> Result<(), Error> {
    let message = match module.get_option(symbol) {
        Ok(Some(_)) => return Ok(()),
        Err(_) => format!(
            "cannot load `{symbol}` from {target:?}: expected a public name, found `{symbol}`, \
             which is private to {target:?} (names starting with `_` cannot be loaded)"
        ),
        Ok(None) => {
            let mut names: Vec<String> = module
                .names()
                .map(|n| format!("`{}`", n.as_str()))
                .collect();
            names.sort();
            const SHOWN: usize = 10;
            match names.len() {
                0 => format!(
                    "cannot load `{symbol}` from {target:?}: expected a name it defines, found \
                     `{symbol}`, and it defines no public names"
                ),
                n => {
                    let listed = if n > SHOWN {
                        format!("{}, and {} more", names[..SHOWN].join(", "), n - SHOWN)
                    } else {
                        names.join(", ")
                    };
                    format!(
                        "cannot load `{symbol}` from {target:?}: expected a name it defines \
                         ({listed}), found `{symbol}`"
                    )
                }
            }
        }
    };
    Err(Error::Config(Box::new(at_span(
        &symbol_span(load, symbol),
        message,
    ))))
}

/// The span of the quoted `symbol` in the `load(...)` whose module string is at `module`, or
/// the module string when it cannot be found.
fn symbol_span(module: &FileSpan, symbol: &str) -> FileSpan {
    let source = module.file.source();
    let after = usize::try_from(module.span.end().get()).unwrap_or(usize::MAX);
    // The symbols follow the module string, before the closing parenthesis.
    let rest = source.get(after..).unwrap_or("");
    let rest = &rest[..rest.find(')').unwrap_or(rest.len())];
    let found = ['"', '\'']
        .iter()
        .find_map(|q| rest.find(&format!("{q}{symbol}{q}")));
    let begin = found.and_then(|at| u32::try_from(after + at).ok());
    let len = u32::try_from(symbol.len() + 2).ok();
    match (begin, len) {
        (Some(begin), Some(len)) => FileSpan {
            file: module.file.clone(),
            span: Span::new(Pos::new(begin), Pos::new(begin + len)),
        },
        _ => module.clone(),
    }
}
