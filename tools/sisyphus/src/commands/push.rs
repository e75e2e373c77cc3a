//! `sisyphus push`: load → resolve → render → diff, show the change set, ask, then apply it
//! under the push lock and record every write. Nothing to do: says so and writes nothing.

use std::collections::BTreeSet;
use std::io::IsTerminal as _;
use std::time::Duration;

use anyhow::bail;
use sisyphus_apply::{ApplyReport, Event, Options, Preflight, Target, WaitOptions, WaitReport};
use sisyphus_core::desired::ResourceId;
use sisyphus_state::{Operation, Outcome, PushInfo, Store};

use crate::ExitStatus;
use crate::commands::args::{ClusterArgs, Output, RunArgs, UserArgs, parse_duration};
use crate::context::{self, Context};
use crate::diagnostics::Hint;
use crate::pipeline::{self, Diffed, Prepared};
use crate::views::problems::Problems;

/// What the problem summary says was not done.
const OUTCOME: &str = "nothing applied";

/// Arguments of `sisyphus push`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to push.
    #[command(flatten)]
    pub run: RunArgs,
    /// Take over objects that exist in a cluster but are not tracked (shown as `adopt`).
    #[arg(long)]
    pub adopt: bool,
    /// Consent, waiting, who.
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// How `push` and `rollback` apply a change set: consent, the rollout wait, who.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Apply without asking.
    #[arg(long)]
    pub yes: bool,
    /// Do not wait for what was applied to roll out.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for everything applied to roll out (`90s`, `15m`, `1h`).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Who is doing it.
    #[command(flatten)]
    pub user: UserArgs,
}

/// One application of a change set: what the history row says it is, how it asks and waits,
/// where, and (for a rollback) the pin to write once it is done.
pub struct Apply<'a> {
    /// `push` or `rollback`.
    pub operation: Operation,
    /// The plan's inputs hash, for the history row.
    pub inputs_hash: Option<String>,
    /// Consent, waiting, who.
    pub args: &'a ApplyArgs,
    /// Whether `adopt` changes are allowed.
    pub adopt: bool,
    /// How to reach the clusters.
    pub clusters: &'a ClusterArgs,
    /// How progress is shown.
    pub output: Output,
    /// What problem locations are relative to.
    pub shown: &'a str,
    /// Pin this resource to this history row after applying, under the same lock.
    pub pin: Option<(&'a ResourceId, i64)>,
}

/// Run the command.
///
/// # Errors
///
/// Problems of any stage or found before the first write (nothing applied then), consent
/// refused, the lock held by another push, or the state database failing.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let prepared = pipeline::prepare(ctx, &args.run, OUTCOME)?;
    crate::commands::diff::show(&prepared.diffed, None, args.run.output)?;
    if !prepared.diffed.changes.has_changes() {
        crate::printer::status("nothing to do: the clusters already have what the files say")?;
        return Ok(ExitStatus::Success);
    }
    let Prepared {
        plan,
        store,
        diffed,
        ..
    } = prepared;
    let shown = args.run.source.source().shown();
    let how = Apply {
        operation: Operation::Push,
        inputs_hash: Some(plan.inputs_hash.clone()),
        args: &args.apply,
        adopt: args.adopt,
        clusters: &args.run.clusters,
        output: args.run.output,
        shown: &shown,
        pin: None,
    };
    ctx.block_on(apply(&how, store, &diffed))
}

/// Check, ask, then apply `diffed`'s changes under the push lock, recording every write in one
/// history row; wait for the rollout unless told not to; write the pin, if any; summarize.
///
/// # Errors
///
/// Problems found before the first write (nothing applied), consent refused, the lock held,
/// the state moved since the diff, the state database failing; after applying, [`Problems`]
/// naming every error and every object that did not become ready.
pub async fn apply(how: &Apply<'_>, store: Store, diffed: &Diffed) -> anyhow::Result<ExitStatus> {
    let args = how.args;
    let shown = how.shown;
    let changes = &diffed.changes;
    let written: BTreeSet<String> = changes.writes().map(|c| c.key.cluster.clone()).collect();
    let clusters = context::connect(how.clusters, &written, shown, OUTCOME).await?;
    sisyphus_apply::preflight(changes, &clusters, Preflight { adopt: how.adopt })
        .await
        .map_err(|refused| Problems::of_messages(refused.0, shown, OUTCOME))?;
    let count = changes.writes().count();
    if !args.yes {
        consent(count, written.len())?;
    }

    let holder = args.user.holder();
    let lock = context::take_lock(&store, &holder).await?;
    if store.generation().await? != diffed.generation {
        lock.release().await?;
        bail!(
            "the state database changed since it was read (another push, import or forget ran); \
             nothing applied: run `sisyphus {}` again to see the new change set",
            how.operation
        );
    }
    let info = PushInfo {
        operation: how.operation,
        user: holder.user.clone(),
        host: holder.host.clone(),
        inputs_hash: how.inputs_hash.clone(),
    };
    let push_id = store.begin(&lock, &info).await?;
    let target = Target {
        clusters: &clusters,
        store: &store,
        lock: &lock,
        push_id,
    };
    let shows_progress = !how.output.eq(&Output::Json);
    let progress = crate::views::progress::Progress::new(shows_progress);
    let report = sisyphus_apply::apply(changes, &target, &Options::default(), &|event: Event<
        '_,
    >| {
        progress.event(event);
    })
    .await;
    progress.finish();
    let waited = if report.errors.is_empty() && !args.no_wait {
        wait(args, changes, &report, &clusters, shows_progress).await
    } else {
        WaitReport::default()
    };
    for cluster in clusters.iter() {
        let n = cluster.requests();
        tracing::info!(
            "cluster `{}`: {} read(s), {} write(s), {} dry run(s)",
            cluster.name(),
            n.reads,
            n.writes,
            n.dry_runs
        );
    }
    let outcome = if report.errors.is_empty() && waited.not_ready.is_empty() {
        Outcome::Succeeded
    } else {
        Outcome::Failed
    };
    let message = if !report.errors.is_empty() {
        Some(format!("{} error(s)", report.errors.len()))
    } else if !waited.not_ready.is_empty() {
        Some(format!(
            "applied; {} object(s) did not become ready: {}",
            waited.not_ready.len(),
            waited
                .not_ready
                .iter()
                .take(5)
                .map(|n| format!("{}: {}", n.key, n.why))
                .chain((waited.not_ready.len() > 5).then(|| "...".to_owned()))
                .collect::<Vec<_>>()
                .join("; ")
        ))
    } else {
        None
    };
    store
        .finish(&lock, push_id, outcome, &report.done, message.as_deref())
        .await?;
    // Pinned even when something failed: the next push must not undo what was rolled back.
    let pinned = match how.pin {
        Some((resource, to_push)) => {
            Some((resource, to_push, store.pin(&lock, resource, to_push).await))
        }
        None => None,
    };
    lock.release().await?;
    store.close().await;
    if let Some((resource, to_push, written)) = pinned {
        written.map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "{} {push_id} was applied but `{}` is NOT pinned: the next push would undo it; \
                 run `sisyphus rollback {} --to {to_push}` again",
                how.operation,
                resource.path(),
                resource.path()
            ))
        })?;
        crate::printer::status(&pinned_note(resource, to_push))?;
    }
    summarize(how.operation, push_id, &report, &waited, shown)
}

/// `` `Deployment/web/echo` is pinned to push 3: ... until `sisyphus unpin ...` ``.
pub fn pinned_note(resource: &ResourceId, to_push: i64) -> String {
    let target = resource.path();
    format!(
        "`{target}` is pinned to push {to_push}: pushes keep it there until `sisyphus unpin \
         {target}`"
    )
}

/// Wait for what was written to roll out, showing progress.
async fn wait(
    args: &ApplyArgs,
    changes: &sisyphus_core::change::ChangeSet,
    report: &ApplyReport,
    clusters: &sisyphus_cluster::Clusters,
    shows_progress: bool,
) -> WaitReport {
    let targets = sisyphus_apply::waited(changes, &report.written);
    if targets.is_empty() {
        return WaitReport::default();
    }
    let progress = crate::views::progress::WaitProgress::new(shows_progress);
    let options = WaitOptions {
        timeout: args.timeout,
    };
    let waited = sisyphus_apply::wait(&targets, clusters, &options, &|event| {
        progress.event(event);
    })
    .await;
    progress.finish();
    waited
}

/// Ask on the terminal; refuse without one.
fn consent(changes: usize, clusters: usize) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(anyhow::Error::new(Hint::new(
            "pass `--yes` to apply without asking (CI), or run on a terminal",
        ))
        .context("refusing to push without consent: no terminal to ask on"));
    }
    let question = format!("Apply {changes} change(s) to {clusters} cluster(s)? [y/N] ");
    let mut stderr = std::io::stderr().lock();
    std::io::Write::write_all(&mut stderr, question.as_bytes())?;
    std::io::Write::flush(&mut stderr)?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        bail!("push cancelled: nothing applied")
    }
}

/// What was done, what was kept, what did not become ready, and every error (exit 1 when
/// there is one).
fn summarize(
    operation: Operation,
    push_id: i64,
    report: &ApplyReport,
    waited: &WaitReport,
    shown: &str,
) -> anyhow::Result<ExitStatus> {
    let done: Vec<String> = report
        .done
        .iter()
        .map(|(action, n)| format!("{n} {}", action.word()))
        .collect();
    for kept in &report.kept {
        crate::printer::status(&format!("kept {}: {}", kept.key, kept.why))?;
    }
    if report.errors.is_empty() && !waited.not_ready.is_empty() {
        let mut problems = Problems::of_messages(&waited.not_ready, shown, "the rollout failed");
        problems.footer = format!(
            "{operation} {push_id} failed: everything was applied and recorded ({}), but {} object(s) \
             did not become ready{}",
            done.join(", "),
            waited.not_ready.len(),
            if waited.ready > 0 {
                format!(" ({} did)", waited.ready)
            } else {
                String::new()
            }
        );
        return Err(problems.into());
    }
    if report.errors.is_empty() {
        crate::printer::status(&format!(
            "{operation} {push_id} succeeded: {}",
            if done.is_empty() {
                "nothing done".to_owned()
            } else {
                done.join(", ")
            }
        ))?;
        return Ok(ExitStatus::Success);
    }
    let mut problems = Problems::of_messages(&report.errors, shown, "the push failed");
    problems.footer = format!(
        "{operation} {push_id} failed with {} error(s) ({}); what was applied is recorded, the next \
         push continues from there",
        report.errors.len(),
        if done.is_empty() {
            "nothing done".to_owned()
        } else {
            done.join(", ")
        }
    );
    Err(problems.into())
}
