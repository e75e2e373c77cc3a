//! The one error renderer, shared by `sisyphus` and `sisyphus-packer`: `error: <message>`, one
//! `  Caused by: <cause>` line per source (continuation lines indented), then a blank line and
//! `hint: <what to do>` for every hint in the chain. Control characters in any message are
//! escaped ([`crate::text::escape_controls`]): messages quote config images, registry bodies
//! and YAML, which must not drive the terminal.
//!
//! Hints are found in one way: a [`Hint`] value in the chain (attached with [`HintExt::hint`]
//! or as the root of a message), and library errors that know what to do, through the
//! [`HintLookup`] a binary passes in (it knows which libraries it uses; this crate does not).

use std::fmt;

use crate::text::escape_controls;

/// What the user can do about an error. It sits in the chain, as the root of a message or
/// wrapped around a cause; the renderer prints it as `hint:`, never as a cause, and goes on
/// with its source.
#[derive(Debug)]
pub struct Hint {
    text: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Hint {
    /// A hint with no cause below it.
    pub fn new(text: impl Into<String>) -> Hint {
        Hint {
            text: text.into(),
            source: None,
        }
    }

    /// A hint wrapped around `cause`.
    pub fn wrap(
        text: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Hint {
        Hint {
            text: text.into(),
            source: Some(Box::new(cause)),
        }
    }

    /// The hint's text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Hint {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// `.hint("...")` on results: wrap the error in a [`Hint`].
pub trait HintExt<T> {
    /// Attach `hint` to the error.
    ///
    /// # Errors
    ///
    /// The error, wrapped in the hint.
    fn hint(self, hint: impl Into<String>) -> Result<T, Hint>;
}

impl<T, E> HintExt<T> for Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn hint(self, hint: impl Into<String>) -> Result<T, Hint> {
        self.map_err(|e| Hint::wrap(hint, e))
    }
}

/// Finds the hint a library error carries (the binary implements it for the libraries it
/// links, downcasting to their error types).
pub trait HintLookup {
    /// The hint of `error` itself (not of its sources), if it has one.
    fn hint(&self, error: &(dyn std::error::Error + 'static)) -> Option<String>;
}

/// A [`HintLookup`] that knows no library hints (only [`Hint`] values are shown).
pub struct NoHints;

impl HintLookup for NoHints {
    fn hint(&self, _: &(dyn std::error::Error + 'static)) -> Option<String> {
        None
    }
}

/// Render `error` and its sources in the house format (see the module documentation).
pub fn render(error: &(dyn std::error::Error + 'static), hints: &dyn HintLookup) -> String {
    let mut out = String::new();
    let mut found: Vec<String> = Vec::new();
    let mut first = true;
    for cause in std::iter::successors(Some(error), |e| e.source()) {
        if let Some(hint) = cause.downcast_ref::<Hint>() {
            found.push(hint.text.clone());
            continue;
        }
        found.extend(hints.hint(cause));
        let text = cause.to_string();
        let text = escape_controls(&text);
        if first {
            out.push_str(&format!("error: {text}\n"));
            first = false;
        } else {
            for (i, line) in text.lines().enumerate() {
                let lead = if i == 0 { "  Caused by: " } else { "    " };
                out.push_str(&format!("{lead}{line}\n"));
            }
        }
    }
    found.dedup();
    for hint in found {
        out.push_str(&format!("\nhint: {}\n", escape_controls(&hint)));
    }
    out
}

/// `message`, then one `  Caused by: cause` line per source, control characters escaped (for
/// messages that collect several errors and are printed later; no hints).
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = escape_controls(&error.to_string()).into_owned();
    for cause in std::iter::successors(error.source(), |e| e.source()) {
        out.push_str("\n  Caused by: ");
        out.push_str(&escape_controls(&cause.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn lists_every_cause() {
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(chain(&e), "outer\n  Caused by: inner");
    }

    #[test]
    fn hints_are_printed_once_after_the_causes_and_controls_are_escaped() {
        let e = Hint::wrap(
            "pass `--cluster`",
            Outer(std::io::Error::other("x\x1b]0;t\x07y")),
        );
        struct Lookup;
        impl HintLookup for Lookup {
            fn hint(&self, error: &(dyn std::error::Error + 'static)) -> Option<String> {
                error.is::<Outer>().then(|| "pass `--cluster`".to_owned())
            }
        }
        assert_eq!(
            render(&e, &Lookup),
            "error: outer\n  Caused by: x\\u{1b}]0;t\\u{7}y\n\nhint: pass `--cluster`\n"
        );
        assert_eq!(render(&e, &NoHints), render(&e, &Lookup));
    }
}
