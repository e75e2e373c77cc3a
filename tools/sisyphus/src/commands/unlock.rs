//! `sisyphus unlock`: break the push lock, whoever holds it (a push that died on another host,
//! say). Recorded in the history.

use crate::ExitStatus;
use crate::commands::args::{DatabaseArgs, UserArgs};
use crate::context::{self, Context};

/// Arguments of `sisyphus unlock`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Who breaks it.
    #[command(flatten)]
    pub user: UserArgs,
}

/// Run the command.
///
/// # Errors
///
/// The database fails.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    ctx.block_on(async {
        let store = context::open_store(&args.database).await?;
        let text = match store.unlock(&args.user.holder()).await? {
            Some(info) => format!(
                "broke the push lock held by `{}` (process {}) on `{}` since {}\n",
                info.holder.user, info.holder.pid, info.holder.host, info.since
            ),
            None => "the push lock was not held\n".to_owned(),
        };
        store.close().await;
        crate::printer::stdout(&text)?;
        Ok(ExitStatus::Success)
    })
}
