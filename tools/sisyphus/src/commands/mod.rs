//! One module per command, each holding its `Args` and `run`.

pub mod app_run_config;
pub mod args;
pub mod app_run_image;
pub mod diff;
pub mod image;
pub mod local_run;
pub mod plan;
pub mod push;
pub mod render;

use crate::ExitStatus;
use crate::cli::{AppCommand, Cli, Command};

/// Run the command the user asked for.
///
/// # Errors
///
/// Whatever the command reports; the caller renders it.
pub fn dispatch(ctx: &crate::context::Context, cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::App(AppCommand::RunConfig(args)) => app_run_config::run(ctx, args),
        Command::App(AppCommand::RunImage(args)) => app_run_image::run(ctx, args),
        Command::Image(command) => image::run(ctx, command),
        Command::Plan(args) => plan::run(args),
        Command::Render(args) => render::run(ctx, args),
        Command::Diff(args) => diff::run(ctx, args),
        Command::Push(args) => push::run(ctx, args),
    }
}
