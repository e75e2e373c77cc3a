//! The `sisyphus-packer` command: parse arguments, build, print the digest.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use sisyphus_packer::{LoadProblems, Outcome};

fn main() -> ExitCode {
    let cli = sisyphus_packer::cli::Cli::parse();
    match sisyphus_packer::run(cli.command) {
        Ok(Outcome::Digest(digest)) => {
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{digest}").and_then(|()| out.flush()) {
                // The reader went away (`| head`): nothing to report.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    report(&anyhow::Error::new(e).context("failed to write to stdout"))
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Ok(Outcome::Plan) => ExitCode::SUCCESS,
        Err(err) => report(&err),
    }
}

/// Print `err` with the renderer the `sisyphus` CLI uses (`sisyphus_core::report::render`);
/// load problems as they are.
fn report(err: &anyhow::Error) -> ExitCode {
    let text = match err.downcast_ref::<LoadProblems>() {
        Some(problems) => problems.0.clone(),
        None => {
            let root: &(dyn std::error::Error + 'static) = err.as_ref();
            sisyphus_core::report::render(root, &sisyphus_core::report::NoHints)
        }
    };
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
    ExitCode::from(1)
}
