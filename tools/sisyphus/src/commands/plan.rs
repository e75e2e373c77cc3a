//! `sisyphus plan`: load a production folder into a plan and write or print it.

use crate::ExitStatus;

/// Arguments of `sisyphus plan`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run the command.
///
/// # Errors
///
/// Not built yet.
pub fn run(_args: Args) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`plan` is not built yet")
}
