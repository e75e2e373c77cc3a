//! The one error renderer: `error: <message>`, one `  Caused by: <cause>` line per source, and a
//! `hint:` when we know what to do. Also the one format of load problems ([`load_problem`]) and
//! logging setup (`-v`, `RUST_LOG`) on stderr.
//!
//! The renderer itself is `sisyphus_core::report::render`, shared with `sisyphus-packer`; this
//! module supplies the libraries' hints ([`LibraryHints`]).

#![allow(clippy::print_stderr)]

use std::io::IsTerminal;

pub use sisyphus_core::report::Hint;
use sisyphus_core::report::HintLookup;

/// `.hint("...")` on results: wrap the error in a [`Hint`] (an anyhow error, for commands).
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
        self.map_err(|e| anyhow::Error::new(Hint::wrap(hint, e)))
    }
}

/// The hints of the libraries the CLI links: registry errors know what to do (also when
/// wrapped by resolve errors, since the renderer looks at every cause).
pub struct LibraryHints;

impl HintLookup for LibraryHints {
    fn hint(&self, error: &(dyn std::error::Error + 'static)) -> Option<String> {
        error
            .downcast_ref::<sisyphus_registry::Error>()
            .and_then(sisyphus_registry::Error::hint)
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

/// Render an error chain in the house format (`sisyphus_core::report::render`, the renderer
/// `sisyphus-packer` uses too), with the libraries' hints.
pub fn render_error(err: &anyhow::Error) -> String {
    let root: &(dyn std::error::Error + 'static) = err.as_ref();
    sisyphus_core::report::render(root, &LibraryHints)
}

/// [`render_error`] for a library error not wrapped in anyhow.
pub fn render_std_error(err: &(dyn std::error::Error + 'static)) -> String {
    sisyphus_core::report::render(err, &LibraryHints)
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
