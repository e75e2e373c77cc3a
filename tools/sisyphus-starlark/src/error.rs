//! The crate's error type and the rendering of located diagnostics.

use std::fmt;

use sisyphus_core::text::escape_controls;
use starlark::codemap::FileSpan;

/// A problem located in a config file: `file:line:column: message` plus the source line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Config-root-relative file name.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What was expected and what was found.
    pub message: String,
    /// The source line and a caret line, already rendered (may be empty).
    pub snippet: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if !self.snippet.is_empty() {
            write!(f, "\n{}", self.snippet)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong loading or evaluating a config.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A config file could not be read from disk.
    #[error("failed to read config file `{path}`")]
    Read {
        /// Config-root-relative path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A config file does not exist.
    #[error("config file `{path}` does not exist")]
    NotFound {
        /// Config-root-relative path.
        path: String,
    },
    /// A path is not allowed (absolute, escapes the root, not `.star`, symlink leading out).
    #[error("config path `{path}` is not allowed: {reason}")]
    BadPath {
        /// The path as written.
        path: String,
        /// Why it is refused.
        reason: String,
    },
    /// The config is wrong: syntax, evaluation or validation error at a location.
    #[error("{0}")]
    Config(Box<Diagnostic>),
    /// The config exceeded an evaluation limit (steps, call stack depth, heap size).
    #[error("{0}")]
    Limit(Box<Diagnostic>),
}

impl Error {
    /// Where the problem is: `(file, line, column)`, 1-based, when known.
    pub fn location(&self) -> Option<(String, u32, u32)> {
        match self {
            Error::Config(d) | Error::Limit(d) => Some((d.file.clone(), d.line, d.column)),
            Error::Read { .. } | Error::NotFound { .. } | Error::BadPath { .. } => None,
        }
    }
}

/// Renders the source line and a caret line under columns `column..column+len` (0-based chars).
pub(crate) fn snippet(line_no: usize, source_line: &str, column: usize, len: usize) -> String {
    let source_line = &*escape_controls(source_line);
    let number = (line_no + 1).to_string();
    let pad = " ".repeat(number.len());
    let prefix: String = source_line
        .chars()
        .take(column)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let available = source_line.chars().count().saturating_sub(column);
    let carets = "^".repeat(len.clamp(1, available.max(1)));
    format!("{pad} |\n{number} | {source_line}\n{pad} | {prefix}{carets}")
}

/// A diagnostic at a Starlark span.
pub(crate) fn at_span(span: &FileSpan, message: String) -> Diagnostic {
    let span = &crate::rewrite::original_span(span);
    let resolved = span.resolve_span();
    let (begin, end) = (resolved.begin, resolved.end);
    let source_line = span.file.source_line(begin.line);
    let len = if end.line == begin.line {
        end.column.saturating_sub(begin.column)
    } else {
        source_line.chars().count().saturating_sub(begin.column)
    };
    Diagnostic {
        file: span.filename().to_owned(),
        line: to_u32(begin.line + 1),
        column: to_u32(begin.column + 1),
        message,
        snippet: snippet(begin.line, source_line, begin.column, len),
    }
}

/// A diagnostic at a span, or at the start of `fallback` when the span is unknown.
pub(crate) fn at(span: Option<&FileSpan>, fallback: &Fallback, message: String) -> Diagnostic {
    match span {
        Some(span) => at_span(span, message),
        None => fallback.diagnostic(message),
    }
}

/// Where to point when a problem has no span of its own (e.g. `def main` of the entrypoint).
#[derive(Debug, Clone)]
pub(crate) struct Fallback {
    /// File name.
    pub(crate) file: String,
    /// 0-based line.
    pub(crate) line: usize,
    /// 0-based column.
    pub(crate) column: usize,
    /// The source line.
    pub(crate) source_line: String,
    /// Caret length.
    pub(crate) len: usize,
}

impl Fallback {
    /// A diagnostic at this place.
    pub(crate) fn diagnostic(&self, message: String) -> Diagnostic {
        Diagnostic {
            file: self.file.clone(),
            line: to_u32(self.line + 1),
            column: to_u32(self.column + 1),
            message,
            snippet: snippet(self.line, &self.source_line, self.column, self.len),
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Converts a Starlark error (syntax, evaluation, limits) into a located [`Error`].
pub(crate) fn from_starlark(err: &starlark::Error, fallback: &Fallback) -> Error {
    use starlark::ErrorKind;
    // The message may quote config text (`fail()`'s argument): no raw control characters.
    let mut message = escape_controls(&err.without_diagnostic().to_string()).into_owned();
    let mut limit = matches!(err.kind(), ErrorKind::StackOverflow(_));
    if limit {
        message = format!(
            "call stack too deep: expected at most {MAX_CALLSTACK} nested calls, found more (infinite recursion?)"
        );
    } else if message.starts_with("Execution duration limit")
        || message.starts_with(crate::guard::STEP_LIMIT)
    {
        limit = true;
        message = format!(
            "evaluation took too many steps: expected at most {MAX_TICKS} function calls and loop iterations, found more (infinite loop?)"
        );
    } else if message.starts_with("Heap memory limit")
        || message.starts_with(crate::guard::HEAP_LIMIT)
    {
        limit = true;
        message = format!(
            "evaluation used too much memory: expected at most {} MiB",
            MAX_HEAP_BYTES >> 20
        );
    } else if message.contains(crate::sandbox::NESTED_TOO_DEEPLY)
        || message.starts_with(crate::sandbox::RANGE_TOO_LONG)
        || message.starts_with(crate::guard::TOO_LARGE)
    {
        limit = true;
    } else if message.starts_with("Evaluation cancelled")
        || message.starts_with(crate::guard::TIME_LIMIT)
    {
        limit = true;
        message = format!(
            "evaluation took too long: expected at most {} s",
            MAX_DURATION.as_secs()
        );
    }
    // A limit found between statements has no span; the checkpoint kept the statement's.
    // Else (starlark's own clock check, which fires between calls) the innermost call site.
    let breach = if limit && err.span().is_none() {
        crate::guard::take_breach_span().or_else(|| {
            err.call_stack()
                .frames
                .iter()
                .rev()
                .find_map(|f| f.location.clone())
        })
    } else {
        None
    };
    let mut d = at(err.span().or(breach.as_ref()), fallback, message);
    // The traceback only helps when the error is nested deeper than the reported span.
    let frames: Vec<_> = err.call_stack().frames.iter().collect();
    if frames
        .iter()
        .any(|f| f.location.is_some() && f.location.as_ref() != err.span())
    {
        d.snippet.push_str("\ntraceback (most recent call last):");
        let mut lines = Vec::new();
        let mut prev = "<module>";
        for frame in &frames {
            // Operators are calls of guarded builtins (see `crate::guard`); such a frame is
            // located at the operator, which the error already shows.
            let calls_operator = frame.name.starts_with(crate::guard::OPERATOR_PREFIX);
            if let Some(loc) = &frame.location
                && !calls_operator
            {
                let loc = crate::rewrite::original_span(loc);
                let r = loc.resolve_span();
                lines.push(format!(
                    "  {}:{}:{}: in {prev}",
                    loc.filename(),
                    r.begin.line + 1,
                    r.begin.column + 1
                ));
            }
            prev = &frame.name;
        }
        d.snippet.push_str(&collapse_repeats(&lines));
    }
    if limit {
        Error::Limit(Box::new(d))
    } else {
        Error::Config(Box::new(d))
    }
}

/// The traceback lines, each on its own line, with a run of identical lines (deep recursion)
/// shown once and counted.
fn collapse_repeats(lines: &[String]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let run = lines[i..].iter().take_while(|l| *l == &lines[i]).count();
        out.push('\n');
        out.push_str(&lines[i]);
        if run > 1 {
            out.push_str(&format!("\n  ... the line above {} more times", run - 1));
        }
        i += run;
    }
    out
}

/// Most nested calls a config may make.
pub(crate) const MAX_CALLSTACK: usize = 200;
/// Most ticks (function calls and loop iterations) one module evaluation or `main` call may take.
pub(crate) const MAX_TICKS: u64 = 2_000_000;
/// Most bytes of Starlark heap (best effort).
pub(crate) const MAX_HEAP_BYTES: usize = 512 << 20;
/// Wall-clock backstop for one module evaluation or `main` call.
pub(crate) const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(5);
