//! Located problems found while loading, accumulated so that one run reports all of them.

use std::fmt;

use sisyphus_core::production::SourceLocation;

use crate::yaml::Pos;

/// One problem in the production folder: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// `file:line:column`, the file relative to the monitored directory.
    pub location: SourceLocation,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// The problems found so far.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Record a problem at `pos` in `file`.
    pub fn error(&mut self, file: &str, pos: Pos, message: impl Into<String>) {
        // Messages quote the folder's YAML (keys, values, names): no raw control characters
        // reach the terminal (issue #11, item 16).
        let message = message.into();
        let message = match sisyphus_core::text::escape_controls(&message) {
            std::borrow::Cow::Borrowed(_) => message,
            std::borrow::Cow::Owned(escaped) => escaped,
        };
        let mut location = location(file, pos);
        location.file = sisyphus_core::text::escape_line(&location.file).into_owned();
        self.0.push(Diagnostic { location, message });
    }

    /// Add the problems another loader found.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem, sorted by file, line and column, duplicates removed.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.0.sort();
        self.0.dedup();
        self.0
    }
}

/// A [`SourceLocation`] for `pos` in `file` (positions below 1 become 1).
pub(crate) fn location(file: &str, pos: Pos) -> SourceLocation {
    SourceLocation {
        file: file.to_string(),
        line: pos.line.max(1),
        column: pos.column.max(1),
    }
}
