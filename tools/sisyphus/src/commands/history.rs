//! `sisyphus history`: the pushes newest first, with who, when, outcome, inputs hash, counts
//! and per resource the images it moved between; `--audit` lists every operation that changed
//! the state; `history show PUSH` prints one push's change set. Reads only.

use anyhow::bail;
use sisyphus_core::change::ChangeSet;
use sisyphus_core::pause::PauseTarget;
use sisyphus_state::HistoryFilter;

use crate::ExitStatus;
use crate::commands::args::{DatabaseArgs, Format, print_json};
use crate::context::{self, Context};
use crate::diagnostics::Hint;
use crate::views::history as view;

/// Arguments of `sisyphus history`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// `show PUSH`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Which rows.
    #[command(flatten)]
    pub list: ListArgs,
}

/// `sisyphus history` without a subcommand.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only pushes that changed this resource, `KIND/NAMESPACE/NAME` (`Deployment/web/echo`;
    /// NAMESPACE is the folder that declares it, or `global`).
    #[arg(long, value_name = "KIND/NAMESPACE/NAME", conflicts_with = "audit")]
    pub resource: Option<String>,
    /// Only pushes that changed an object in this cluster, and only those changes.
    #[arg(long, value_name = "CLUSTER", conflicts_with = "audit")]
    pub cluster: Option<String>,
    /// At most this many rows, newest first.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
    /// Every operation that changed the state (push, import, forget, refresh, unlock, pause,
    /// resume), one line each: who, when, from which host, what.
    #[arg(long)]
    pub audit: bool,
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How to show it.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

/// `sisyphus history ...` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the change set a push made (Secret values were never kept, so never shown).
    Show(ShowArgs),
}

/// Arguments of `sisyphus history show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The push's id, as `sisyphus history` lists it.
    #[arg(value_name = "PUSH")]
    pub push: i64,
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
/// A malformed `--resource`, an unknown push, the database failing, stdout closed.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    match args.command {
        Some(Command::Show(show_args)) => show(ctx, &show_args),
        None => list(ctx, &args.list),
    }
}

fn list(ctx: &Context, args: &ListArgs) -> anyhow::Result<ExitStatus> {
    let resource = match args.resource.as_deref().map(PauseTarget::parse_resource) {
        None => None,
        Some(Ok(resource)) => Some(resource),
        Some(Err(e)) => bail!("{e} in `--resource`"),
    };
    let filter = HistoryFilter {
        audit: args.audit,
        resource,
        cluster: args.cluster.clone(),
        limit: usize::try_from(args.limit).unwrap_or(usize::MAX),
    };
    let entries = ctx.block_on(async {
        let store = context::open_store(&args.database).await?;
        let entries = store.history(&filter).await?;
        store.close().await;
        Ok(entries)
    })?;
    match (args.output, args.audit) {
        (Format::Json, _) => print_json(&view::json(&entries))?,
        (Format::Text, true) => crate::printer::stdout(&view::audit_text(&entries))?,
        (Format::Text, false) => crate::printer::stdout(&view::text(&entries))?,
    }
    Ok(ExitStatus::Success)
}

fn show(ctx: &Context, args: &ShowArgs) -> anyhow::Result<ExitStatus> {
    let id = args.push;
    let (row, changes) = ctx.block_on(async {
        let store = context::open_store(&args.database).await?;
        let row = store.push(id).await?;
        let changes = match &row {
            Some(_) => store.push_changes(id).await?,
            None => Vec::new(),
        };
        store.close().await;
        Ok((row, changes))
    })?;
    let Some(row) = row else {
        return Err(anyhow::Error::new(Hint::new(
            "`sisyphus history --audit` lists the id of every operation",
        ))
        .context(format!("push {id} is not in the history")));
    };
    let changes = ChangeSet {
        changes: changes
            .iter()
            .map(sisyphus_state::PushChange::change)
            .collect::<Result<_, _>>()?,
        blocked: Vec::new(),
    };
    match args.output {
        Format::Json => print_json(&view::show_json(&row, &changes))?,
        Format::Text => crate::printer::stdout(&view::show_text(
            &row,
            &changes,
            crate::printer::color_stdout(),
        ))?,
    }
    Ok(ExitStatus::Success)
}
