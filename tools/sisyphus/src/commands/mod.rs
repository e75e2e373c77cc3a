//! One module per command, each holding its `Args` and `run`.

pub mod app_run_config;
pub mod app_run_image;
pub mod args;
pub mod dashboard;
pub mod diff;
pub mod forget;
pub mod history;
pub mod image;
pub mod import;
pub mod local_run;
pub mod pause;
pub mod plan;
pub mod push;
pub mod refresh;
pub mod render;
pub mod resume;
pub mod rollback;
pub mod status;
pub mod unlock;
pub mod unpin;

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
        Command::Refresh(args) => refresh::run(ctx, args),
        Command::Forget(args) => forget::run(ctx, args),
        Command::Import(args) => import::run(ctx, args),
        Command::Unlock(args) => unlock::run(ctx, args),
        Command::History(args) => history::run(ctx, args),
        Command::Pause(args) => pause::run(ctx, args),
        Command::Resume(args) => resume::run(ctx, args),
        Command::Rollback(args) => rollback::run(ctx, args),
        Command::Unpin(args) => unpin::run(ctx, args),
        Command::Status(args) => status::run(ctx, args),
        Command::Dashboard(args) => dashboard::run(ctx, args),
    }
}
