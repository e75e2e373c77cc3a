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
    /// Also save the change set to FILE, for `sisyphus push --changes FILE` to apply exactly
    /// (it holds the plan, so it is as sensitive as the production folder).
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// Also compare each tracked object with the cluster (a server-side dry run against the
    /// live object, on the fields Sisyphus applies): hand edits show as drift.
    #[arg(long)]
    pub live: bool,
}

/// Run the command.
///
/// # Errors
///
/// Problems of any stage, the state database, the clusters, or stdout closed.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    if args.out.is_some() && args.run.source.changes.is_some() {
        anyhow::bail!("--out with --changes: the change set is saved already");
    }
    let prepared = pipeline::prepare(ctx, &args.run, "nothing compared")?;
    let changes = &prepared.diffed.changes;
    let shown = args.run.source.source().shown();
    let drift = if args.live {
        Some(ctx.block_on(crate::live::drift(
            changes,
            &args.run.clusters,
            &shown,
            "nothing compared",
        ))?)
    } else {
        None
    };
    show(&prepared.diffed, drift.as_deref(), args.run.output)?;
    ctx.block_on(async {
        if let Some(file) = &args.out {
            crate::saved::save(
                &prepared,
                &args.run.clusters,
                file,
                args.run.source.monitor_directory.as_deref(),
            )
            .await?;
            crate::printer::status(&format!(
                "saved the change set to `{}`: `sisyphus push --changes {}` applies exactly it",
                file.display(),
                file.display()
            ))?;
        }
        prepared.store.close().await;
        anyhow::Ok(())
    })?;
    Ok(
        if changes.has_changes() || drift.is_some_and(|d| !d.is_empty()) {
            ExitStatus::Changes
        } else {
            ExitStatus::Success
        },
    )
}

/// Print the change set, what pauses left out of it, what pins held back and (with `--live`)
/// the drift, on stdout in the chosen view.
///
/// # Errors
///
/// stdout is closed.
pub fn show(
    diffed: &pipeline::Diffed,
    drift: Option<&[crate::live::Drift]>,
    output: Output,
) -> anyhow::Result<()> {
    let changes = &diffed.changes;
    let text = match output {
        Output::Text => {
            let color = crate::printer::color_stdout();
            let mut text = views::changes::text(changes, color);
            text.push_str(&views::skipped::text(&diffed.skipped, color));
            text.push_str(&views::pinned::text(&diffed.held, color));
            if let Some(drift) = drift {
                text.push_str(&crate::live::text(drift));
            }
            text
        }
        Output::Json => {
            let mut value = views::changes::json(changes);
            value["skipped"] = views::skipped::json(&diffed.skipped);
            value["pinned"] = views::pinned::json(&diffed.held);
            if let Some(drift) = drift {
                value["live"] = crate::live::json(drift);
            }
            let mut text = serde_json::to_string_pretty(&value)?;
            text.push('\n');
            text
        }
    };
    crate::printer::stdout(&text)
}
