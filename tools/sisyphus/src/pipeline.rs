//! The pipeline every command that reads a production folder runs: load (or read a plan file)
//! → resolve → render → diff → apply, stopping at the stage the command needs. Stages are the
//! `sisyphus-*` crates; this module only chains them and turns their problems into
//! [`Problems`] (every problem of a stage, reported together, nothing done).

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use sisyphus_core::production::{Plan, ResourceSpec};
use sisyphus_render::{RenderInput, Rendered};

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
}

impl Source {
    /// What problem locations are relative to, as shown.
    pub fn shown(&self) -> String {
        match self {
            Source::Folder(dir) => dir.display().to_string(),
            Source::PlanFile(file) => file.display().to_string(),
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
    let client = ctx.registry(registry);
    let cache = ctx.cache_dir()?;
    let options = sisyphus_resolve::Options::default();
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
    match sisyphus_render::render(&input) {
        Ok(rendered) if errors.is_empty() => Ok(rendered),
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
