//! The pipeline every command that reads a production folder runs: load (or read a plan file)
//! → resolve → render → diff → apply, stopping at the stage the command needs. Stages are the
//! `sisyphus-*` crates; this module only chains them and turns their problems into
//! [`Problems`] (every problem of a stage, reported together, nothing done).

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use sisyphus_core::change::ChangeSet;
use sisyphus_core::desired::DesiredObjects;
use sisyphus_core::live::LiveObjects;
use sisyphus_core::pause::Skipped;
use sisyphus_core::pin::Held;
use sisyphus_core::production::{Plan, ResourceSpec};
use sisyphus_core::state::StateSnapshot;
use sisyphus_diff::DiffInput;
use sisyphus_render::{RenderInput, Rendered};
use sisyphus_state::Store;

use crate::commands::args::{ClusterArgs, RunArgs};
use crate::commands::image::RegistryArgs;
use crate::context::Context;
use crate::diagnostics::{load_problem, render_error};
use crate::views::problems::Problems;

/// Where the resources come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A production folder, loaded now.
    Folder(PathBuf),
    /// A plan file written by `sisyphus plan -o` or `sisyphus-packer plan`.
    PlanFile(PathBuf),
    /// A change set saved by `sisyphus diff --out`: its plan, rendered with its pins.
    Changes(PathBuf),
}

impl Source {
    /// What problem locations are relative to, as shown.
    pub fn shown(&self) -> String {
        match self {
            Source::Folder(dir) => dir.display().to_string(),
            Source::PlanFile(file) | Source::Changes(file) => file.display().to_string(),
        }
    }
}

/// Load stage: the plan of `source`.
///
/// # Errors
///
/// [`Problems`] for a folder with problems (every one, `outcome` says what was not done);
/// another error when the folder cannot be listed or the plan file cannot be read.
pub fn load(source: &Source, outcome: &str) -> anyhow::Result<Plan> {
    match source {
        Source::Folder(dir) => match sisyphus_load::load(dir) {
            Ok(plan) => Ok(plan),
            Err(sisyphus_load::Error::Invalid { diagnostics, .. }) => {
                let errors = diagnostics.iter().map(load_problem).collect();
                Err(Problems::new(errors, &source.shown(), outcome).into())
            }
            Err(err) => Err(err.into()),
        },
        Source::PlanFile(file) => {
            let bytes = fs_err::read(file)?;
            sisyphus_plan::read(&bytes)
                .with_context(|| format!("failed to read the plan file `{}`", file.display()))
        }
        Source::Changes(file) => Ok(crate::saved::read(file)?.plan),
    }
}

/// Keep only `clusters` in the plan (when any are given); a cluster that is neither declared
/// nor targeted is an error (a typo would otherwise do nothing and succeed).
///
/// # Errors
///
/// An unknown cluster, with the known ones listed.
pub fn restrict_to_clusters(plan: &mut Plan, clusters: &[String]) -> anyhow::Result<()> {
    if clusters.is_empty() {
        return Ok(());
    }
    let known = plan_clusters(plan);
    for cluster in clusters {
        if !known.contains(cluster) {
            let list: Vec<String> = known.iter().map(|c| format!("`{c}`")).collect();
            bail!(
                "unknown cluster `{cluster}` in `--cluster`: no resource targets it and \
                 `clusters.yaml` does not declare it (expected one of {})",
                list.join(", ")
            );
        }
    }
    plan.production
        .retain_clusters(&clusters.iter().cloned().collect());
    Ok(())
}

/// The clusters a plan knows: those its resources target and those `clusters.yaml` declares.
pub fn plan_clusters(plan: &Plan) -> BTreeSet<String> {
    let production = &plan.production;
    let mut known: BTreeSet<String> = production
        .targeted_clusters()
        .into_iter()
        .map(str::to_owned)
        .collect();
    known.extend(production.declared_clusters.iter().flatten().cloned());
    known
}

/// Resolve and render stages: pin and pull every config image, then render the objects.
/// After resolve errors the resources that did resolve are still rendered, so one run reports
/// every problem.
///
/// # Errors
///
/// [`Problems`] listing every resolve and render error (`outcome` says what was not done); an
/// error when there is no cache directory.
pub fn render(
    ctx: &Context,
    plan: &Plan,
    registry: &RegistryArgs,
    shown: &str,
    outcome: &str,
) -> anyhow::Result<Rendered> {
    render_pinned(ctx, plan, registry, &Pins::new(), shown, outcome).map(|(rendered, _)| rendered)
}

/// Config images as written → the digest they resolved to.
pub type Pins = std::collections::BTreeMap<String, sisyphus_core::Digest>;

/// [`render`], with the images in `pins` pulled by that digest instead of resolved; also
/// returns every image's digest.
///
/// # Errors
///
/// As [`render`].
pub fn render_pinned(
    ctx: &Context,
    plan: &Plan,
    registry: &RegistryArgs,
    pins: &Pins,
    shown: &str,
    outcome: &str,
) -> anyhow::Result<(Rendered, Pins)> {
    let client = ctx.registry(registry);
    let cache = ctx.cache_dir()?;
    let options = sisyphus_resolve::Options {
        pins: pins.clone(),
        ..sisyphus_resolve::Options::default()
    };
    let (resolved, mut errors) = ctx.block_on(async {
        Ok(
            match sisyphus_resolve::resolve(plan, &client, &cache, &options).await {
                Ok(resolved) => (resolved, Vec::new()),
                Err(e) => {
                    let shown = e.errors.into_iter().map(resolve_error).collect();
                    (e.resolved, shown)
                }
            },
        )
    })?;
    let resources: Vec<_> = if errors.is_empty() {
        plan.production.resources.clone()
    } else {
        plan.production
            .resources
            .iter()
            .filter(|r| app_image(&r.spec).is_none_or(|image| resolved.contains_key(image)))
            .cloned()
            .collect()
    };
    let input = RenderInput {
        resources: &resources,
        configs: &resolved,
    };
    let used: Pins = resolved
        .iter()
        .map(|(image, config)| (image.clone(), config.digest.clone()))
        .collect();
    match sisyphus_render::render(&input) {
        Ok(rendered) if errors.is_empty() => Ok((rendered, used)),
        Ok(rendered) => {
            crate::printer::warnings(&rendered.warnings)?;
            Err(Problems::new(errors, shown, outcome).into())
        }
        Err(e) => {
            errors.extend(
                e.0.into_iter()
                    .map(|e| render_error(&anyhow::Error::new(e))),
            );
            Err(Problems::new(errors, shown, outcome).into())
        }
    }
}

/// The `config.image` of a Deployment or CronJob.
fn app_image(spec: &ResourceSpec) -> Option<&String> {
    match spec {
        ResourceSpec::Deployment(d) => Some(&d.config.image),
        ResourceSpec::CronJob(c) => Some(&c.config.image),
        ResourceSpec::KubernetesYaml(_) => None,
    }
}

/// A resolve error in the house format, followed by a blank line when it has a hint.
fn resolve_error(e: sisyphus_resolve::Error) -> String {
    let has_hint = e.hint().is_some();
    let mut text = render_error(&anyhow::Error::new(e));
    if has_hint {
        text.push('\n');
    }
    text
}

/// The clusters and namespaces a run covers: objects outside it are neither changed nor
/// deleted.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// The clusters.
    pub clusters: BTreeSet<String>,
    /// The namespaces (`--namespace`); empty: all.
    pub namespaces: BTreeSet<String>,
}

impl Scope {
    /// Whether `key` is in scope: its cluster is, and (with namespaces given) its namespace is
    /// one of them or it is the Namespace object of one.
    pub fn contains(&self, key: &sisyphus_core::desired::ObjectKey) -> bool {
        self.clusters.contains(&key.cluster)
            && (self.namespaces.is_empty()
                || match &key.namespace {
                    Some(ns) => self.namespaces.contains(ns),
                    None => {
                        key.group.is_empty()
                            && key.kind == "Namespace"
                            && self.namespaces.contains(&key.name)
                    }
                })
    }
}

/// What the diff stage found, and what it was computed from.
pub struct Diffed {
    /// The change set.
    pub changes: ChangeSet,
    /// The state's generation when it was read.
    pub generation: i64,
    /// What the run covers.
    pub scope: Scope,
    /// The changes left out because their resource or namespace is paused.
    pub skipped: Vec<Skipped>,
    /// The pinned resources, each with the objects in scope where the files say otherwise.
    pub held: Vec<Held>,
}

/// Diff stage: the rendered objects against the state database (and, for objects it does not
/// track, one list per cluster, kind and namespace to find those that exist already). A
/// pinned resource is diffed at its pinned objects instead of the files' ([`Diffed::held`]
/// says where they differ); the changes of paused resources and namespaces are moved to
/// [`Diffed::skipped`].
///
/// # Errors
///
/// The state cannot be read; [`Problems`] for unknown clusters or failed lists.
pub async fn diff(
    plan: &Plan,
    rendered: Rendered,
    store: &Store,
    cluster_args: &ClusterArgs,
    shown: &str,
    outcome: &str,
) -> anyhow::Result<Diffed> {
    let mut snapshot = store.snapshot(None).await?;
    let mut scope = Scope {
        clusters: if cluster_args.clusters.is_empty() {
            let mut all = plan_clusters(plan);
            all.extend(snapshot.objects.keys().map(|id| id.cluster.clone()));
            all
        } else {
            cluster_args.clusters.iter().cloned().collect()
        },
        namespaces: cluster_args.namespaces.iter().cloned().collect(),
    };
    scope.clusters.retain(|c| !c.is_empty());
    let mut desired = rendered.objects;
    let pinned = crate::pins::pinned(store, &snapshot).await?;
    let mut held = sisyphus_diff::hold_pinned(&mut desired, &mut snapshot, pinned);
    for one in &mut held {
        one.differs.retain(|key| scope.contains(key));
    }
    desired.retain(|key, _| scope.contains(key));
    // A pin is worth telling about when its resource is in this run at all.
    held.retain(|one| {
        !one.differs.is_empty()
            || desired
                .values()
                .any(|o| o.resource.as_ref() == Some(&one.pin.resource))
    });
    let generation = snapshot.generation;
    snapshot
        .objects
        .retain(|_, recorded| scope.contains(&recorded.key));

    let mut changes = compare(desired, &snapshot, &scope, cluster_args, shown, outcome).await?;
    let skipped = sisyphus_diff::skip_paused(&mut changes, &store.pauses().await?);
    Ok(Diffed {
        changes,
        generation,
        scope,
        skipped,
        held,
    })
}

/// The comparison itself: one list per cluster, kind and namespace for the desired objects
/// `state` does not record (to find those that exist already), then `sisyphus_diff::diff`.
///
/// # Errors
///
/// [`Problems`] for unknown clusters or failed lists.
pub async fn compare(
    desired: DesiredObjects,
    state: &StateSnapshot,
    scope: &Scope,
    cluster_args: &ClusterArgs,
    shown: &str,
    outcome: &str,
) -> anyhow::Result<ChangeSet> {
    let scopes = sisyphus_diff::live_scopes(&desired, state);
    let live = if scopes.is_empty() {
        LiveObjects::new()
    } else {
        let names: BTreeSet<String> = scopes.iter().map(|s| s.cluster.clone()).collect();
        let connected = crate::context::connect(cluster_args, &names, shown, outcome).await?;
        crate::context::list_existing(&connected, &scopes)
            .await
            .map_err(|errors| Problems::of_messages(errors, shown, outcome))?
    };
    Ok(sisyphus_diff::diff(DiffInput {
        desired,
        state,
        live: &live,
        clusters: &scope.clusters,
    }))
}

/// An error and its causes as one message (see [`sisyphus_core::report::chain`]).
pub use sisyphus_core::report::chain;

/// Everything up to the diff stage, for `diff` and `push`.
pub struct Prepared {
    /// The plan.
    pub plan: Plan,
    /// Every config image's digest.
    pub pins: Pins,
    /// The state database.
    pub store: Store,
    /// The diff.
    pub diffed: Diffed,
}

/// Load (or read the plan file) → resolve → render → diff.
///
/// # Errors
///
/// [`Problems`] from any stage (every problem of it; `outcome` says what was not done); other
/// errors from the state database and the environment.
///
/// A saved change set (`--changes`) is rendered from its own plan with its own pins and scope,
/// and refused unless this diff finds exactly its changes against exactly its state.
pub fn prepare(ctx: &Context, run: &RunArgs, outcome: &str) -> anyhow::Result<Prepared> {
    let source = run.source.source();
    let shown = source.shown();
    let (mut plan, saved) = match &source {
        Source::Changes(file) => {
            let saved = crate::saved::read(file)?;
            crate::saved::check_scope(&saved, &run.clusters)?;
            (saved.plan.clone(), Some(saved))
        }
        _ => (load(&source, outcome)?, None),
    };
    let cluster_args = match &saved {
        Some(saved) => ClusterArgs {
            clusters: saved.clusters.clone(),
            namespaces: saved.namespaces.clone(),
            kubeconfig: run.clusters.kubeconfig.clone(),
        },
        None => run.clusters.clone(),
    };
    restrict_to_clusters(&mut plan, &cluster_args.clusters)?;
    let pins = match &saved {
        Some(saved) => crate::saved::pins(saved)?,
        None => Pins::new(),
    };
    let (rendered, pins) = render_pinned(ctx, &plan, &run.registry, &pins, &shown, outcome)?;
    crate::printer::warnings(&rendered.warnings)?;
    ctx.block_on(async {
        let store = crate::context::open_store(&run.database).await?;
        let diffed = diff(&plan, rendered, &store, &cluster_args, &shown, outcome).await?;
        if let Some(saved) = &saved {
            crate::saved::check(saved, &store, &diffed).await?;
        }
        Ok(Prepared {
            plan,
            pins,
            store,
            diffed,
        })
    })
}
