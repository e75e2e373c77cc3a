//! The Sisyphus CLI as a library: argument definitions ([`cli`]), one module per command
//! ([`commands`]), the error renderer ([`diagnostics`]), stdout ([`printer`]), the environment
//! ([`settings`]) and exit codes ([`exit`]).
//!
//! The binary in `main.rs` only parses arguments and calls [`run`]. Domain logic lives in the
//! `sisyphus-*` library crates; the command modules glue them to the terminal.

pub mod cli;
pub mod commands;
pub mod context;
pub mod dashboard;
pub mod diagnostics;
pub mod exit;
pub mod live;
pub mod pins;
pub mod pipeline;
pub mod printer;
pub mod saved;
pub mod settings;
pub mod views;

pub use exit::ExitStatus;

/// Run a parsed command line and return its exit status. Errors are printed to stderr.
pub fn run(cli: cli::Cli) -> ExitStatus {
    diagnostics::init_logging(cli.global.verbose);
    let ctx = context::Context::new();
    match commands::dispatch(&ctx, cli) {
        Ok(status) => status,
        // The reader of our output went away (`| head`): not an error.
        Err(err) if err.chain().any(|c| c.is::<printer::StdoutClosed>()) => ExitStatus::Success,
        Err(err) if err.is::<views::problems::Problems>() => {
            if let Some(problems) = err.downcast_ref::<views::problems::Problems>() {
                diagnostics::print_text(&problems.text());
            }
            ExitStatus::Error
        }
        Err(err) => {
            diagnostics::print_error(&err);
            ExitStatus::Error
        }
    }
}
