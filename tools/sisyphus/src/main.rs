//! The `sisyphus` command: parses arguments, runs one command, maps the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match sisyphus::cli::Cli::try_parse() {
        Ok(cli) => sisyphus::run(cli).into(),
        Err(err) => {
            let _ = err.print();
            ExitCode::from(sisyphus::cli::usage_exit_code(&err, std::env::args_os()))
        }
    }
}
