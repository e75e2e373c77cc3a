//! `sisyphus resume`: end pauses, under the push lock; the next push makes their changes.
//! A target that is not paused is refused, and nothing is resumed then.

use crate::ExitStatus;
use crate::commands::args::{DatabaseArgs, UserArgs};
use crate::commands::pause::Targets;
use crate::context::{self, Context};

/// Arguments of `sisyphus resume`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to resume, as it was paused.
    #[command(flatten)]
    pub targets: Targets,
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Who resumes.
    #[command(flatten)]
    pub user: UserArgs,
}

/// Run the command.
///
/// # Errors
///
/// Malformed targets or one not paused (nothing resumed), the lock held, the database failing.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let targets = args.targets.parse("resume", "nothing resumed")?;
    ctx.block_on(async {
        let store = context::open_store(&args.database).await?;
        let lock = context::take_lock(&store, &args.user.holder()).await?;
        let resumed = store.resume(&lock, &targets).await;
        lock.release().await?;
        store.close().await;
        let id = resumed?;
        let mut out = String::new();
        for target in &targets {
            out.push_str(&format!("resumed `{target}`\n"));
        }
        out.push_str(&format!(
            "recorded as operation {id}; the next push makes its changes\n"
        ));
        crate::printer::stdout(&out)?;
        Ok(ExitStatus::Success)
    })
}
