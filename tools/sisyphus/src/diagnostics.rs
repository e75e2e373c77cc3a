//! The one error renderer: `error: <message>`, one `  Caused by: <cause>` line per source, and a
//! `hint:` when we know what to do. Also the one format of load problems ([`load_problem`]) and
//! logging setup (`-v`, `RUST_LOG`) on stderr.
//!
//! Hints come from one place, the error chain, in two forms: a [`Hint`] value attached with
//! `.context(Hint(..))` (see [`HintExt`]), and library errors that know what to do
//! (`sisyphus_registry::Error::hint`, also found when wrapped by resolve errors).

#![allow(clippy::print_stderr)]

use std::fmt;
use std::io::IsTerminal;

/// What the user can do about an error. It sits in the chain: either as the root error of a
/// message (`anyhow::Error::new(Hint::new(..)).context("message")`) or wrapped around a cause
/// (`result.hint(..)`, see [`HintExt`]). The renderer prints it as `hint:`, never as a cause, and
/// goes on with its source.
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
    /// The error, with the hint in its chain.
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T>;
}

impl<T, E> HintExt<T> for Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T> {
        self.map_err(|e| {
            anyhow::Error::new(Hint {
                text: hint.into(),
                source: Some(Box::new(e)),
            })
        })
    }
}

/// Print an error chain to stderr in the house format.
pub fn print_error(err: &anyhow::Error) {
    eprint!("{}", render_error(err));
}

/// Print already rendered text (a [`crate::views::problems::Problems`] report) to stderr.
pub fn print_text(text: &str) {
    eprint!("{text}");
}

/// Render an error chain: `error: <message>`, `  Caused by: <cause>` per source, then
/// `hint: ...` for any [`Hint`] in the chain and any registry error there that has one (hints
/// are not printed as causes; the same hint is printed once).
pub fn render_error(err: &anyhow::Error) -> String {
    render_chain(err.chain())
}

/// [`render_error`] for a library error not wrapped in anyhow.
pub fn render_std_error(err: &(dyn std::error::Error + 'static)) -> String {
    render_chain(std::iter::successors(Some(err), |e| e.source()))
}

fn render_chain<'a>(chain: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>) -> String {
    let mut out = String::new();
    let mut hints: Vec<String> = Vec::new();
    let mut first = true;
    for cause in chain {
        if let Some(hint) = cause.downcast_ref::<Hint>() {
            hints.push(hint.text.clone());
            continue;
        }
        if let Some(hint) = cause
            .downcast_ref::<sisyphus_registry::Error>()
            .and_then(sisyphus_registry::Error::hint)
        {
            hints.push(hint);
        }
        let text = cause.to_string();
        if first {
            out.push_str(&format!("error: {text}\n"));
            first = false;
        } else {
            for (i, line) in text.lines().enumerate() {
                if i == 0 {
                    out.push_str(&format!("  Caused by: {line}\n"));
                } else {
                    out.push_str(&format!("    {line}\n"));
                }
            }
        }
    }
    hints.dedup();
    for hint in hints {
        out.push_str(&format!("\nhint: {hint}\n"));
    }
    out
}

/// One problem found while loading a production folder: `error: <file>:<line>:<column>:
/// <message>`, the file relative to the monitored directory (as `plan`, `render` and the corpus
/// print it).
pub fn load_problem(d: &sisyphus_load::Diagnostic) -> String {
    format!("error: {}: {}\n", d.location, d.message)
}

/// Log to stderr: warnings by default, more with `-v`/`-vv`, or as `RUST_LOG` says.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && !crate::settings::no_color())
        .without_time()
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_causes_and_hints() {
        let err = anyhow::Error::new(Hint::new("pass `--cluster`"))
            .context("cluster is unknown")
            .context("failed to evaluate `main.star`");
        assert_eq!(
            render_error(&err),
            "error: failed to evaluate `main.star`\n  Caused by: cluster is unknown\n\nhint: pass `--cluster`\n"
        );
    }

    #[test]
    fn registry_errors_bring_their_hint_from_anywhere_in_the_chain() {
        let registry = sisyphus_registry::Error::AuthenticationRequired {
            registry: "r.example".into(),
        };
        let expected = registry.hint().expect("a hint");
        let err = anyhow::Error::new(registry).context("failed to pull config image `x`");
        let text = render_error(&err);
        assert_eq!(
            text,
            format!(
                "error: failed to pull config image `x`\n  Caused by: authentication required for `r.example`\n\nhint: {expected}\n"
            )
        );
    }

    #[test]
    fn hint_ext_attaches_below_the_message() {
        let err = Err::<(), _>(std::io::Error::other("gone"))
            .hint("try again")
            .map_err(|e| e.context("failed to do it"))
            .unwrap_err();
        assert_eq!(
            render_error(&err),
            "error: failed to do it\n  Caused by: gone\n\nhint: try again\n"
        );
    }
}
