//! The `sisyphus` command: parses arguments, runs one command, maps the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = sisyphus::cli::Cli::parse();
    sisyphus::run(cli).into()
}
