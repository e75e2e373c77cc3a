//! `sisyphus import`: record live objects that the files declare as Sisyphus's, so the next
//! push manages them (instead of refusing them as `adopt`). Nothing is written to any cluster;
//! a Secret's data is never changed or read beyond its key names.
//!
//! What is recorded is the live object seen through the declared one (the fields the files
//! set, with their live values), so the next push shows exactly what it will change; each
//! object also gets its history row (an `adopt`), as a push's would.

use std::collections::{BTreeMap, BTreeSet};

use sisyphus_core::change::Action;
use sisyphus_core::desired::{DesiredObject, ObjectKey};
use sisyphus_core::live::ListScope;
use sisyphus_core::state::{ObjectId, RecordedObject, intent_hash};
use sisyphus_state::{Operation, Outcome, PushChange, PushInfo};

use crate::ExitStatus;
use crate::commands::args::{RunArgs, UserArgs};
use crate::context::{self, Context};
use crate::pipeline::{self, Scope};

/// What the problem summary says was not done.
const OUTCOME: &str = "nothing imported";

/// Arguments of `sisyphus import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The files that declare the objects, the database, clusters and namespaces.
    #[command(flatten)]
    pub run: RunArgs,
    /// Only objects of this kind (repeatable; any case).
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Only objects with this name (repeatable).
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// Who is importing.
    #[command(flatten)]
    pub user: UserArgs,
}

/// Run the command.
///
/// # Errors
///
/// Problems of load, resolve or render; the database, the lock, a cluster or a list failing.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let source = args.run.source.source();
    if let pipeline::Source::Changes(_) = source {
        anyhow::bail!(
            "import reads a production folder (--monitor-directory) or a plan file (--plan), \
             not a saved change set (--changes), which only `diff` and `push` apply"
        );
    }
    let shown = source.shown();
    let mut plan = pipeline::load(&source, OUTCOME)?;
    pipeline::restrict_to_clusters(&mut plan, &args.run.clusters.clusters)?;
    let rendered = pipeline::render(ctx, &plan, &args.run.registry, &shown, OUTCOME)?;
    ctx.block_on(async {
        let store = context::open_store(&args.run.database).await?;
        let holder = args.user.holder();
        let lock = context::take_lock(&store, &holder).await?;
        let snapshot = store.snapshot(None).await?;
        let scope = Scope {
            clusters: if args.run.clusters.clusters.is_empty() {
                pipeline::plan_clusters(&plan)
            } else {
                args.run.clusters.clusters.iter().cloned().collect()
            },
            namespaces: args.run.clusters.namespaces.iter().cloned().collect(),
        };
        let chosen: Vec<(&ObjectKey, &DesiredObject)> = rendered
            .objects
            .iter()
            .filter(|(key, _)| {
                scope.contains(key)
                    && (args.kinds.is_empty()
                        || args.kinds.iter().any(|k| k.eq_ignore_ascii_case(&key.kind)))
                    && (args.names.is_empty() || args.names.contains(&key.name))
                    && !snapshot.objects.contains_key(&ObjectId::of(key))
            })
            .collect();
        let mut scopes: BTreeSet<ListScope> = BTreeSet::new();
        for (key, _) in &chosen {
            scopes.insert(ListScope {
                cluster: key.cluster.clone(),
                group: key.group.clone(),
                version: key.version.clone(),
                kind: key.kind.clone(),
                namespace: key.namespace.clone(),
            });
        }
        let names: BTreeSet<String> = scopes.iter().map(|s| s.cluster.clone()).collect();
        let clusters = context::connect(&args.run.clusters, &names, &shown, OUTCOME).await?;
        let live = match context::list_live(&clusters, &scopes).await {
            Ok(live) => live,
            Err(errors) => {
                lock.release().await?;
                anyhow::bail!(
                    "failed to read the clusters, nothing imported:\n{}",
                    errors.join("\n")
                );
            }
        };
        let info = PushInfo {
            operation: Operation::Import,
            user: holder.user.clone(),
            host: holder.host.clone(),
            inputs_hash: Some(plan.inputs_hash.clone()),
        };
        let id = store.begin(&lock, &info).await?;
        let mut out = String::new();
        let (mut imported, mut missing) = (0usize, 0usize);
        for (key, desired) in chosen {
            let Some(object) = live.get(&ObjectId::of(key)) else {
                missing += 1;
                out.push_str(&format!(
                    "not in its cluster (the next push creates it): {key}\n"
                ));
                continue;
            };
            let intent = sisyphus_diff::drift::seen_through(&desired.object, object);
            let recorded = RecordedObject {
                key: key.clone(),
                applied: intent.to_string(),
                applied_hash: intent_hash(&intent),
                uid: object["metadata"]["uid"].as_str().map(str::to_owned),
                resource_version: object["metadata"]["resourceVersion"]
                    .as_str()
                    .map(str::to_owned),
                config: desired.config.clone(),
                resource: desired.resource.clone(),
                push_id: id,
                created: false,
            };
            // Its history row, so `history show` lists what was imported and a rollback
            // knows the object.
            let change = PushChange {
                push_id: id,
                key: key.clone(),
                action: Action::Adopt,
                resource: desired.resource.clone(),
                before: None,
                after: desired.config.clone(),
                before_intent: None,
                after_intent: Some(recorded.applied.clone()),
                reasons: vec!["imported: recorded as found in its cluster".to_owned()],
            };
            store.record_change(&lock, &recorded, &change).await?;
            imported += 1;
            out.push_str(&format!("imported {key}\n"));
        }
        let counts: BTreeMap<Action, usize> = [(Action::Adopt, imported)].into_iter().collect();
        store
            .finish(&lock, id, Outcome::Succeeded, &counts, None)
            .await?;
        lock.release().await?;
        store.close().await;
        out.push_str(&format!(
            "imported {imported} object(s), {missing} not found; the next push manages them\n"
        ));
        crate::printer::stdout(&out)?;
        Ok(ExitStatus::Success)
    })
}
