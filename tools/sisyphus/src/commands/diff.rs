//! `sisyphus diff`: load → resolve → render → diff against the state database; print the
//! change set. Writes nothing anywhere. Exit code 0: no changes, 2: changes, 1: error.

use crate::ExitStatus;
use crate::commands::args::{Output, RunArgs};
use crate::context::Context;
use crate::{pipeline, views};

/// Arguments of `sisyphus diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to diff.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Run the command.
///
/// # Errors
///
/// Problems of any stage, the state database, the clusters, or stdout closed.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let prepared = pipeline::prepare(ctx, &args.run, "nothing compared")?;
    let changes = &prepared.diffed.changes;
    show(changes, &prepared.diffed.skipped, args.run.output)?;
    ctx.block_on(async {
        prepared.store.close().await;
        Ok(())
    })?;
    Ok(if changes.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// Print the change set, and what pauses left out of it, on stdout in the chosen view.
///
/// # Errors
///
/// stdout is closed.
pub fn show(
    changes: &sisyphus_core::change::ChangeSet,
    skipped: &[sisyphus_core::pause::Skipped],
    output: Output,
) -> anyhow::Result<()> {
    let text = match output {
        Output::Text => {
            let color = crate::printer::color_stdout();
            let mut text = views::changes::text(changes, color);
            text.push_str(&views::skipped::text(skipped, color));
            text
        }
        Output::Json => {
            let mut value = views::changes::json(changes);
            value["skipped"] = views::skipped::json(skipped);
            let mut text = serde_json::to_string_pretty(&value)?;
            text.push('\n');
            text
        }
    };
    crate::printer::stdout(&text)
}
