//! `sisyphus image ...`: build, push, resolve and inspect config images.

use crate::ExitStatus;

/// `sisyphus image` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Run the command.
///
/// # Errors
///
/// Whatever the subcommand reports.
pub fn run(command: Command) -> anyhow::Result<ExitStatus> {
    match command {}
}
