//! Command-line definitions (clap derive). Help text lives in the doc comments: the first line is
//! the short help, later paragraphs the long help.

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// Sisyphus deploys config-paired container images to Kubernetes clusters.
///
/// Exit codes: 0 success, 1 error, 2 usage error or (`diff`) changes found; `app run-config`
/// and `app run-image` exit with the child's code (128+n when killed by signal n).
#[derive(Debug, Parser)]
#[command(name = "sisyphus", version, propagate_version = true)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options for every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More log output on stderr (-v info, -vv debug). `RUST_LOG` overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per process")]
pub enum Command {
    /// Run an application locally with its config.
    #[command(subcommand)]
    App(AppCommand),
    /// Build, push, resolve and inspect config images.
    #[command(subcommand)]
    Image(commands::image::Command),
    /// Load a production folder into a plan: validate it, write the plan file or print it.
    Plan(commands::plan::Args),
    /// Load, resolve and render a production folder: print the Kubernetes objects per cluster.
    ///
    /// Every config image tag is resolved to a digest on each run; config images are pulled
    /// once per digest into the cache (`$XDG_CACHE_HOME/sisyphus`, else `~/.cache/sisyphus`).
    /// Secret values are printed as `****`. Nothing is applied.
    Render(commands::render::Args),
    /// Compare what the files say with what Sisyphus last applied: print the change set.
    ///
    /// Runs load → resolve → render → diff. Writes nothing, anywhere. Exit code 0: no changes,
    /// 2: changes, 1: error (for CI). Objects not tracked are looked up in their cluster (one
    /// list per cluster, kind and namespace) and shown as `adopt` when they exist.
    Diff(commands::diff::Args),
    /// Apply the change set to the clusters and record it in the state database.
    ///
    /// Shows the change set, checks everything it can before the first write (clusters,
    /// kinds, a server-side dry-run of every object), asks (`--yes` skips), takes the push
    /// lock, applies with server-side apply (field manager `sisyphus`) in dependency order and
    /// records each object as the API server accepts it. Secrets are created once and then
    /// only get keys they lack: a value in a cluster is never overwritten. Then it waits until
    /// what it changed has rolled out (`--no-wait` skips, `--timeout` bounds it) and names
    /// whatever did not get there.
    Push(commands::push::Args),
    /// Read every tracked object from its cluster and record what changed behind Sisyphus's
    /// back.
    ///
    /// One list per cluster, kind and namespace. Records new resourceVersions; reports objects
    /// deleted by hand (forgotten: the next push creates them again) and fields Sisyphus
    /// applied that were changed by hand (recorded as found: the next push shows and reverts
    /// them). Never reads a Secret value into anything it keeps.
    Refresh(commands::refresh::Args),
    /// Drop tracked objects from the state database (they stay in their clusters).
    Forget(commands::forget::Args),
    /// Record live objects the files declare as Sisyphus's, so the next push manages them.
    ///
    /// Writes nothing to any cluster and never changes a Secret's data.
    Import(commands::import::Args),
    /// Break the push lock, whoever holds it (recorded in the history).
    Unlock(commands::unlock::Args),
    /// List the pushes: who, when, how it ended, and what each resource moved between.
    ///
    /// Newest first: outcome, plan inputs hash, counts, and per resource the clusters it
    /// changed in and the config and binary images before and after. `--audit` lists every
    /// operation that changed the state instead (push, import, forget, refresh, unlock, pause,
    /// resume). `history show PUSH` prints the change set a push made, Secret values masked
    /// (they were never stored).
    History(commands::history::Args),
    /// Leave resources exactly as they are in every cluster until `sisyphus resume`.
    ///
    /// A paused resource (or every resource of a paused namespace) is not updated, not
    /// recreated and not deleted, even when removed from the files; `diff` and `push` list what
    /// they skipped and who paused it, when and why. Taken under the push lock and recorded in
    /// the history. Pausing what neither the files (`--monitor-directory`) nor the state
    /// database know is an error.
    Pause(commands::pause::Args),
    /// End pauses: the next push makes the changes they held back.
    Resume(commands::resume::Args),
    /// Take one resource back to its objects as of a push, and pin it there.
    ///
    /// The objects come from the history (every push records each object as it applied it);
    /// the config image behind them is checked by digest in its registry first. The change set
    /// is shown, consented to (`--yes`), applied and waited on like a push, and recorded as a
    /// `rollback` row. Then the resource is pinned: later pushes keep it at those objects, and
    /// say so, until `sisyphus unpin`. Secrets are never rolled back (their values are never
    /// recorded): they keep following the files.
    Rollback(commands::rollback::Args),
    /// End a rollback's pin: the next push moves the resource to what the files say.
    Unpin(commands::unpin::Args),
    /// Show who holds the push lock, what is paused and pinned, and the last push.
    Status(commands::status::Args),
    /// Serve a web dashboard: status, history, change sets, and per resource its pods and logs.
    ///
    /// It shows what `status`, `history` and `history show` print, and per resource its pause
    /// and pin, its recorded objects, its pods in every cluster and their logs, and its
    /// history. With `--allow-writes` it can pause and resume a resource (under the push lock,
    /// recorded in the audit trail). No script, no external asset; listens on loopback unless
    /// told otherwise.
    Dashboard(commands::dashboard::Args),
}

/// `sisyphus app ...`: local development runs.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per process")]
pub enum AppCommand {
    /// Run a local binary with the args and env a Starlark config gives it.
    ///
    /// StringVariable("secret-token") reads SECRET_TOKEN from your environment;
    /// FileVariable(name="google-credentials", ...) reads the file's path from GOOGLE_CREDENTIALS;
    /// Port(name="http") is overridden by PORT_HTTP. The child gets only the variables the config
    /// defines, on top of a small base environment (see `--pass-env`).
    RunConfig(commands::app_run_config::Args),
    /// Pull a config image and run its binary image with podman.
    RunImage(commands::app_run_image::Args),
}

/// The exit code of a command line clap refused: 0 for `--help` and `--version`, 2 for a usage
/// error, except under `sisyphus diff`, whose 2 means "changes found": there a usage error is
/// 1, so a typo in CI never reads as changes.
pub fn usage_exit_code(
    err: &clap::Error,
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> u8 {
    if err.exit_code() == 0 {
        return 0;
    }
    let command = args
        .into_iter()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'));
    if command.is_some_and(|c| c == "diff") {
        1
    } else {
        2
    }
}
