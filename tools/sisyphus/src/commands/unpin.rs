//! `sisyphus unpin`: end the pin a rollback put on a resource, under the push lock; the next
//! push moves it to what the files say. A resource that is not pinned is refused.

use sisyphus_core::pause::PauseTarget;

use crate::ExitStatus;
use crate::commands::args::{DatabaseArgs, UserArgs};
use crate::context::{self, Context};

/// Arguments of `sisyphus unpin`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pinned resource, `KIND/NAMESPACE/NAME` (as `sisyphus status` lists it).
    #[arg(value_name = "RESOURCE")]
    pub resource: String,
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Who unpins.
    #[command(flatten)]
    pub user: UserArgs,
}

/// Run the command.
///
/// # Errors
///
/// A malformed resource or one not pinned (nothing written), the lock held, the database
/// failing.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let resource = PauseTarget::parse_resource(&args.resource).map_err(anyhow::Error::msg)?;
    ctx.block_on(async {
        let store = context::open_store(&args.database).await?;
        let lock = context::take_lock(&store, &args.user.holder()).await?;
        let unpinned = store.unpin(&lock, &resource).await;
        lock.release().await?;
        store.close().await;
        let id = unpinned?;
        crate::printer::stdout(&format!(
            "unpinned `{}`\nrecorded as operation {id}; the next push moves it to what the files \
             say\n",
            resource.path()
        ))?;
        Ok(ExitStatus::Success)
    })
}
