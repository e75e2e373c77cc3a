//! `sisyphus pause`: record, under the push lock, that pushes leave resources (or every
//! resource of a namespace) exactly as they are in every cluster: not updated, not recreated,
//! not deleted, even once removed from the files. Something neither declared in the files nor
//! recorded in the state is refused, and nothing is paused then.

use std::path::PathBuf;

use anyhow::bail;
use sisyphus_core::pause::PauseTarget;

use crate::ExitStatus;
use crate::commands::args::{DatabaseArgs, UserArgs};
use crate::context::{self, Context};
use crate::pipeline::{self, Source};
use crate::views::problems::Problems;

/// What the problem summary says was not done.
const OUTCOME: &str = "nothing paused";

/// Which resources and namespaces.
#[derive(Debug, clap::Args)]
pub struct Targets {
    /// A resource, `KIND/NAMESPACE/NAME`: KIND is `Deployment`, `CronJob` or `KubernetesYaml`
    /// (any case), NAMESPACE the folder that declares it (or `global`), e.g.
    /// `Deployment/web/echo`. `namespace/NAME` is the same as `--namespace NAME`.
    #[arg(value_name = "RESOURCE")]
    pub resources: Vec<String>,
    /// Every resource of this namespace folder, and every object in the namespace
    /// (repeatable).
    #[arg(long = "namespace", value_name = "NAMESPACE")]
    pub namespaces: Vec<String>,
}

impl Targets {
    /// The targets named, or every malformed one (as problems).
    ///
    /// # Errors
    ///
    /// None named, or [`Problems`] listing each malformed one.
    pub fn parse(&self, command: &str, outcome: &str) -> anyhow::Result<Vec<PauseTarget>> {
        if self.resources.is_empty() && self.namespaces.is_empty() {
            bail!("`sisyphus {command}` needs a RESOURCE (`KIND/NAMESPACE/NAME`) or `--namespace`");
        }
        let mut targets = Vec::new();
        let mut errors = Vec::new();
        for text in &self.resources {
            match PauseTarget::parse(text) {
                Ok(target) => targets.push(target),
                Err(e) => errors.push(format!("error: {e}\n")),
            }
        }
        for ns in &self.namespaces {
            if ns.is_empty() || ns.contains('/') {
                errors.push(format!(
                    "error: invalid namespace `{ns}` in `--namespace`\n"
                ));
            } else {
                targets.push(PauseTarget::Namespace(ns.clone()));
            }
        }
        if !errors.is_empty() {
            return Err(problems(errors, outcome).into());
        }
        targets.sort();
        targets.dedup();
        Ok(targets)
    }
}

/// Problems with the command line's targets: `N error(s); <outcome>`.
fn problems(errors: Vec<String>, outcome: &str) -> Problems {
    let footer = format!("{} error(s); {outcome}", errors.len());
    Problems { errors, footer }
}

/// The production folder or plan file, to check that a resource exists before it is paused
/// (without one, only the state database is asked).
#[derive(Debug, clap::Args)]
#[group(multiple = false)]
pub struct Files {
    /// The production folder (only loaded: nothing is resolved or rendered).
    #[arg(long, env = "MONITOR_DIRECTORY", value_name = "DIR")]
    pub monitor_directory: Option<PathBuf>,
    /// A plan file, instead of a folder.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
}

impl Files {
    fn source(&self) -> Option<Source> {
        match (&self.monitor_directory, &self.plan) {
            (_, Some(plan)) => Some(Source::PlanFile(plan.clone())),
            (Some(dir), None) => Some(Source::Folder(dir.clone())),
            (None, None) => None,
        }
    }
}

/// Arguments of `sisyphus pause`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to pause.
    #[command(flatten)]
    pub targets: Targets,
    /// Why, shown by `diff`, `push` and `status` next to what they skip.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Where resources are declared.
    #[command(flatten)]
    pub files: Files,
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Who pauses.
    #[command(flatten)]
    pub user: UserArgs,
}

/// Run the command.
///
/// # Errors
///
/// Malformed or unknown targets (nothing paused), the lock held, the database failing.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let targets = args.targets.parse("pause", OUTCOME)?;
    let declared = match args.files.source() {
        Some(source) => pipeline::load(&source, OUTCOME)?.production.resources,
        None => Vec::new(),
    };
    let checked_files = args.files.source().is_some();
    let reason = args.reason.as_deref().filter(|r| !r.trim().is_empty());
    ctx.block_on(async {
        let store = context::open_store(&args.database).await?;
        let lock = context::take_lock(&store, &args.user.holder()).await?;
        let snapshot = match store.snapshot(None).await {
            Ok(snapshot) => snapshot,
            Err(e) => {
                lock.release().await?;
                return Err(e.into());
            }
        };
        let missing: Vec<String> = targets
            .iter()
            .filter(|t| !t.declared_in(&declared) && !t.recorded_in(snapshot.objects.values()))
            .map(|t| {
                format!(
                    "error: `{t}` does not exist: {} and the state database records no object \
                     of it\n",
                    if checked_files {
                        "the files declare no such resource"
                    } else {
                        "no folder was given (`--monitor-directory`)"
                    }
                )
            })
            .collect();
        if !missing.is_empty() {
            lock.release().await?;
            store.close().await;
            return Err(problems(missing, OUTCOME).into());
        }
        let paused = store.pause(&lock, &targets, reason).await;
        lock.release().await?;
        let id = paused?;
        store.close().await;
        let mut out = String::new();
        for target in &targets {
            out.push_str(&format!("paused `{target}`\n"));
        }
        out.push_str(&format!(
            "recorded as operation {id}; pushes leave it as it is until `sisyphus resume`\n"
        ));
        crate::printer::stdout(&out)?;
        Ok(ExitStatus::Success)
    })
}
