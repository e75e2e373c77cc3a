//! Writing data to stdout. Every command's data output goes through [`stdout`]: it writes with
//! `write_all` (no `println!`, which panics when stdout is closed) and turns a closed pipe
//! (`sisyphus image inspect ... | head -1`) into [`StdoutClosed`], which [`crate::run`] ends
//! quietly with exit code 0, like `ripgrep` and `cat` do.

use std::io::Write as _;

/// stdout was closed by the reader: nothing more to print, and nothing to report.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Write `text` to stdout and flush it.
///
/// # Errors
///
/// [`StdoutClosed`] when the reader went away (broken pipe), another I/O error otherwise.
pub fn stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("failed to write to stdout")),
    }
}

/// Write `text` and a newline to stdout (see [`stdout`]).
///
/// # Errors
///
/// As [`stdout`].
pub fn stdout_line(text: &str) -> anyhow::Result<()> {
    stdout(&format!("{text}\n"))
}

/// Write `warning: <text>` lines to stderr.
///
/// # Errors
///
/// stderr is closed.
pub fn warnings<W: std::fmt::Display>(warnings: &[W]) -> anyhow::Result<()> {
    let mut stderr = std::io::stderr().lock();
    for warning in warnings {
        writeln!(stderr, "warning: {warning}")
            .map_err(|e| anyhow::Error::new(e).context("failed to write to stderr"))?;
    }
    Ok(())
}

/// Write a status line to stderr (progress and summaries; data goes to stdout).
///
/// # Errors
///
/// stderr is closed.
pub fn status(text: &str) -> anyhow::Result<()> {
    let mut stderr = std::io::stderr().lock();
    writeln!(stderr, "{text}")
        .map_err(|e| anyhow::Error::new(e).context("failed to write to stderr"))
}

/// Whether stdout gets colours: a terminal, and `NO_COLOR` unset.
pub fn color_stdout() -> bool {
    use std::io::IsTerminal as _;
    std::io::stdout().is_terminal() && !crate::settings::no_color()
}
