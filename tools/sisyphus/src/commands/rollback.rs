//! `sisyphus rollback`: take one resource back to its objects as of a history row, in every
//! cluster, and pin it there. The objects come from the history (`push_changes` keeps every
//! object as each push applied it, masked), the config image behind them is checked by digest
//! in its registry first, then the change set is shown, consented to, applied and recorded
//! under one `rollback` history row, and a `pin` row keeps later pushes from moving it until
//! `sisyphus unpin`. Nothing is applied or pinned when any check fails.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::bail;
use sisyphus_core::desired::{ConfigOrigin, DesiredObjects, ResourceId};
use sisyphus_core::pause::PauseTarget;
use sisyphus_core::pin::Pin;
use sisyphus_core::state::StateSnapshot;
use sisyphus_diff::Pinned;
use sisyphus_state::{ChangeRef, Operation, Store};

use crate::ExitStatus;
use crate::commands::args::{ClusterArgs, DatabaseArgs, Output};
use crate::commands::image::RegistryArgs;
use crate::commands::push::{Apply, ApplyArgs};
use crate::context::{self, Context};
use crate::pipeline::{Diffed, Scope};
use crate::views::problems::Problems;

/// What the problem summary says was not done.
const OUTCOME: &str = "nothing rolled back";

/// Arguments of `sisyphus rollback`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("when").required(true).args(["to", "previous"])))]
pub struct Args {
    /// The resource, `KIND/NAMESPACE/NAME` (e.g. `Deployment/web/echo`): KIND is
    /// `Deployment`, `CronJob` or `KubernetesYaml`, NAMESPACE the folder that declares it.
    #[arg(value_name = "RESOURCE")]
    pub resource: String,
    /// Back to its objects as of this history row (`sisyphus history --resource RESOURCE`
    /// lists the pushes that changed it).
    #[arg(long, value_name = "PUSH")]
    pub to: Option<i64>,
    /// Back to where it was before the newest push that changed it.
    #[arg(long)]
    pub previous: bool,
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The kubeconfig file. Default: `$KUBECONFIG` (a path list), else `~/.kube/config`.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Registry access (the config images are checked there by digest).
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// How to show the change set.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Consent, waiting, who.
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// Run the command.
///
/// # Errors
///
/// A malformed resource, one the history does not know, a push it cannot go back to, a paused
/// resource, a config image gone from its registry (all before anything is applied); then as
/// `push`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let resource = PauseTarget::parse_resource(&args.resource).map_err(anyhow::Error::msg)?;
    let shown = resource.path();
    let client = ctx.registry(&args.registry);
    ctx.block_on(async {
        let store = context::open_store(&args.database).await?;
        let history = store.resource_history(&resource).await?;
        let to_push = match target_push(&store, &resource, &history, &args).await {
            Ok(push) => push,
            Err(e) => {
                store.close().await;
                return Err(e);
            }
        };
        let holder = args.apply.user.holder();
        let pin = Pin {
            resource: resource.clone(),
            to_push,
            user: holder.user.clone(),
            host: holder.host.clone(),
            since_ms: 0,
            push_id: 0,
        };
        let state = store.snapshot(None).await?;
        let pinned = crate::pins::load(&store, pin, &history, &state).await?;
        if pinned.objects.is_empty() {
            bail!(
                "`{shown}` had no objects that Sisyphus still manages as of push {to_push} (they \
                 were deleted by then, or forgotten since): nothing to roll back to; {OUTCOME}"
            );
        }
        if let Some(pause) = store
            .pauses()
            .await?
            .into_iter()
            .find(|p| p.target.holds_resource(&resource))
        {
            bail!(
                "{}: `sisyphus resume {}` first; {OUTCOME}",
                crate::views::skipped::paused_by(&pause),
                pause.target
            );
        }
        check_images(&client, &pinned.objects, &shown, to_push).await?;

        let clusters = ClusterArgs {
            clusters: Vec::new(),
            namespaces: Vec::new(),
            kubeconfig: args.kubeconfig.clone(),
        };
        let diffed = diff(state, pinned, &clusters, &shown).await?;
        crate::commands::diff::show(&diffed, None, args.output)?;
        if !diffed.changes.has_changes() {
            let lock = context::take_lock(&store, &holder).await?;
            if store.generation().await? != diffed.generation {
                lock.release().await?;
                bail!(
                    "the state database changed since it was read (another push, import or \
                     forget ran); nothing pinned: run `sisyphus rollback` again"
                );
            }
            let written = store.pin(&lock, &resource, to_push).await;
            lock.release().await?;
            store.close().await;
            written?;
            crate::printer::status(&format!(
                "nothing to apply: `{shown}` already has its objects of push {to_push}"
            ))?;
            crate::printer::status(&crate::commands::push::pinned_note(&resource, to_push))?;
            return Ok(ExitStatus::Success);
        }
        let how = Apply {
            operation: Operation::Rollback,
            inputs_hash: None,
            args: &args.apply,
            adopt: false,
            clusters: &clusters,
            output: args.output,
            shown: &shown,
            pin: Some((&resource, to_push)),
        };
        crate::commands::push::apply(&how, store, &diffed).await
    })
}

/// The history row to go back to: `--to`, checked, or the one before the newest push that
/// changed the resource.
async fn target_push(
    store: &Store,
    resource: &ResourceId,
    changes: &[ChangeRef],
    args: &Args,
) -> anyhow::Result<i64> {
    let shown = resource.path();
    let (Some(first), Some(newest)) = (changes.first(), changes.last()) else {
        bail!(
            "`{shown}` has no history: no push recorded a change to it (`sisyphus history \
             --resource {shown}` lists none); {OUTCOME}"
        );
    };
    match args.to {
        Some(push) => {
            if store.push(push).await?.is_none() {
                bail!("push {push} is not in the history; {OUTCOME}");
            }
            if push < first.push_id {
                bail!(
                    "`{shown}` did not exist yet at push {push}: push {} created it; {OUTCOME}",
                    first.push_id
                );
            }
            Ok(push)
        }
        None => changes
            .iter()
            .rev()
            .map(|c| c.push_id)
            .find(|id| *id < newest.push_id)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "`{shown}` has no push before push {} (which created it) to go back to; \
                     {OUTCOME}",
                    newest.push_id
                )
            }),
    }
}

/// Ask each registry, by digest, whether the config images behind `objects` still exist (and
/// the binary images: only a warning, see below).
///
/// # Errors
///
/// [`Problems`] naming every config image that is gone or cannot be checked.
async fn check_images(
    client: &sisyphus_registry::Client,
    objects: &DesiredObjects,
    shown: &str,
    to_push: i64,
) -> anyhow::Result<()> {
    let origins: Vec<&ConfigOrigin> = objects.values().filter_map(|o| o.config.as_ref()).collect();
    let configs: BTreeSet<&str> = origins.iter().map(|c| c.config_image.as_str()).collect();
    let binaries: BTreeSet<&str> = origins.iter().map(|c| c.binary_image.as_str()).collect();
    let mut errors = Vec::new();
    for image in configs {
        if let Err(why) = check(client, image).await {
            errors.push(format!(
                "error: cannot roll back `{shown}` to push {to_push}: its config image `{image}` {why}\n"
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Problems::of_messages(&errors, shown, OUTCOME).into());
    }
    // The kubelet pulls the binary with its own credentials, which Sisyphus may not have (and
    // a registry may answer "not found" to a stranger): a warning, not a refusal.
    let mut warnings = Vec::new();
    for image in binaries {
        if let Err(why) = check(client, image).await {
            warnings.push(format!(
                "the binary image `{image}` behind push {to_push} {why}: if it is gone, the \
                 rolled-back pods cannot start"
            ));
        }
    }
    crate::printer::warnings(&warnings)
}

/// `Ok` when the registry has `image`, else why not, worded to follow the image's name.
async fn check(client: &sisyphus_registry::Client, image: &str) -> Result<(), String> {
    let reference = image
        .parse::<sisyphus_registry::Reference>()
        .map_err(|e| format!("is not a valid reference: {e}"))?;
    match sisyphus_registry::check(client, &reference).await {
        Ok(_) => Ok(()),
        Err(e @ sisyphus_registry::Error::NotFound { .. }) => Err(format!(
            "is not in the registry any more: {}",
            crate::pipeline::chain(&e)
        )),
        Err(e) => Err(format!(
            "could not be checked in its registry: {}",
            crate::pipeline::chain(&e)
        )),
    }
}

/// The change set that takes the resource's recorded objects to the pinned ones: only its
/// objects are compared (every other recorded object is out of it); an object the history has
/// no record of (recorded before history was kept) is left as it is, with a warning.
async fn diff(
    mut state: StateSnapshot,
    pinned: Pinned,
    clusters: &ClusterArgs,
    shown: &str,
) -> anyhow::Result<Diffed> {
    let resource = pinned.pin.resource.clone();
    state
        .objects
        .retain(|_, recorded| recorded.resource.as_ref() == Some(&resource));
    let unknown: Vec<String> = state
        .objects
        .iter()
        .filter(|(id, _)| !pinned.known.contains(id))
        .map(|(_, recorded)| {
            format!(
                "left {} as it is: the history has no record of it (recorded before history was \
                 kept)",
                recorded.key
            )
        })
        .collect();
    crate::printer::warnings(&unknown)?;
    let mut desired = DesiredObjects::new();
    sisyphus_diff::hold_pinned(&mut desired, &mut state, vec![pinned]);
    let mut scope = Scope::default();
    scope
        .clusters
        .extend(desired.keys().map(|k| k.cluster.clone()));
    scope
        .clusters
        .extend(state.objects.values().map(|r| r.key.cluster.clone()));
    let changes =
        crate::pipeline::compare(desired, &state, &scope, clusters, shown, OUTCOME).await?;
    Ok(Diffed {
        changes,
        generation: state.generation,
        scope,
        skipped: Vec::new(),
        held: Vec::new(),
    })
}
