//! The `sisyphus-packer` command: parse arguments, build, print the digest.

use std::process::ExitCode;

use clap::Parser;

#[allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "printing is the binary's job"
)]
fn main() -> ExitCode {
    let cli = sisyphus_packer::cli::Cli::parse();
    match sisyphus_packer::run(cli.command) {
        Ok(digest) => {
            println!("{digest}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  Caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}
