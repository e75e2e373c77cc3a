//! `sisyphus app run-image`: pull a config image and run its binary image with podman.

use crate::ExitStatus;

/// Arguments of `sisyphus app run-image`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run the command.
///
/// # Errors
///
/// Not built yet.
pub fn run(_args: Args) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`app run-image` is not built yet")
}
