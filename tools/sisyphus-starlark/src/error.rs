//! The crate's error type and the rendering of located diagnostics.

use std::fmt;

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
