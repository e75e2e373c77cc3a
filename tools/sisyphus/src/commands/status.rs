//! `sisyphus status`: who holds the push lock, what is paused and pinned, and the last push.
//! Reads only.

use sisyphus_state::HistoryFilter;

use crate::ExitStatus;
use crate::commands::args::{DatabaseArgs, Format, print_json};
use crate::context::{self, Context};
use crate::views::status::{self as view, Status};

/// Arguments of `sisyphus status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How to show it.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

/// Run the command.
///
/// # Errors
///
/// The database fails, stdout closed.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let status = ctx.block_on(async {
        let store = context::open_store(&args.database).await?;
        let filter = HistoryFilter {
            audit: false,
            resource: None,
            cluster: None,
            limit: 1,
        };
        let status = Status {
            lock: store.lock_info().await?,
            pauses: store.pauses().await?,
            pins: store.pins().await?,
            last_push: store.history(&filter).await?.into_iter().next(),
        };
        store.close().await;
        Ok(status)
    })?;
    match args.output {
        Format::Json => print_json(&view::json(&status))?,
        Format::Text => crate::printer::stdout(&view::text(&status))?,
    }
    Ok(ExitStatus::Success)
}
