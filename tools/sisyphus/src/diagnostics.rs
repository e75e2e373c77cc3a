//! The one error renderer: `error: <message>`, one `  Caused by: <cause>` line per source, and a
//! `hint:` when we know what to do. Also sets up logging (`-v`, `RUST_LOG`) on stderr.

#![allow(clippy::print_stderr)]

use std::fmt;
use std::io::IsTerminal;

/// A hint attached to an error with `anyhow::Context`-style wrapping: `err.context(Hint(..))` is
/// not used; instead return `Err(anyhow::Error::new(HintedError { .. }))`.
#[derive(Debug)]
pub struct Hint(pub String);

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Hint {}

/// Print an error chain to stderr in the house format.
pub fn print_error(err: &anyhow::Error) {
    eprint!("{}", render_error(err));
}

/// Render an error chain: `error: <message>`, `  Caused by: <cause>` per source, then
/// `hint: ...` for any [`Hint`] found in the chain (hints are not printed as causes).
pub fn render_error(err: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut hints = Vec::new();
    let mut first = true;
    for cause in err.chain() {
        if let Some(hint) = cause.downcast_ref::<Hint>() {
            hints.push(hint.0.clone());
            continue;
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
    for hint in hints {
        out.push_str(&format!("\nhint: {hint}\n"));
    }
    out
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
        let err = anyhow::Error::new(Hint("pass `--cluster`".into()))
            .context("cluster is unknown")
            .context("failed to evaluate `main.star`");
        assert_eq!(
            render_error(&err),
            "error: failed to evaluate `main.star`\n  Caused by: cluster is unknown\n\nhint: pass `--cluster`\n"
        );
    }
}
