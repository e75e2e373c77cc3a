//! `sisyphus refresh`: read what the clusters have for every tracked object (one list per
//! cluster, kind and namespace), record the new resourceVersions, and report objects deleted
//! behind Sisyphus's back and fields it applied that were changed by hand (drift). Deleted
//! objects are forgotten, so the next push creates them again; a drifted object is recorded
//! with the live values of the changed fields, so the next push shows and reverts them.
//! Secret values are never read into anything kept (the cluster crate masks them).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sisyphus_core::change::Action;
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::live::ListScope;
use sisyphus_core::state::{ObjectId, RecordedObject};
use sisyphus_diff::drift::{Refreshed, refreshed};
use sisyphus_state::{Operation, Outcome, PushInfo};

use crate::ExitStatus;
use crate::commands::args::{ClusterArgs, DatabaseArgs, Output, UserArgs};
use crate::context::{self, Context};
use crate::pipeline::Scope;

/// Arguments of `sisyphus refresh`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Clusters and namespaces (default: every cluster the state database has objects in).
    #[command(flatten)]
    pub clusters: ClusterArgs,
    /// Who is refreshing.
    #[command(flatten)]
    pub user: UserArgs,
    /// `text` or `json`.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// Run the command.
///
/// # Errors
///
/// The database, the lock, a cluster or a list fails (nothing recorded then).
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    ctx.block_on(refresh(&args))
}

async fn refresh(args: &Args) -> anyhow::Result<ExitStatus> {
    let store = context::open_store(&args.database).await?;
    let holder = args.user.holder();
    let lock = context::take_lock(&store, &holder).await?;
    let snapshot = store.snapshot(None).await?;
    let scope = Scope {
        clusters: if args.clusters.clusters.is_empty() {
            snapshot
                .objects
                .keys()
                .map(|id| id.cluster.clone())
                .collect()
        } else {
            args.clusters.clusters.iter().cloned().collect()
        },
        namespaces: args.clusters.namespaces.iter().cloned().collect(),
    };
    let tracked: Vec<&RecordedObject> = snapshot
        .objects
        .values()
        .filter(|r| scope.contains(&r.key))
        .collect();
    let mut scopes: BTreeMap<ListScope, Vec<&RecordedObject>> = BTreeMap::new();
    for recorded in &tracked {
        scopes
            .entry(list_scope(&recorded.key))
            .or_default()
            .push(recorded);
    }
    let names: BTreeSet<String> = scopes.keys().map(|s| s.cluster.clone()).collect();
    let clusters = context::connect(
        &args.clusters,
        &names,
        "the state database",
        "nothing recorded",
    )
    .await?;
    let live = match context::list_live(&clusters, scopes.keys()).await {
        Ok(live) => live,
        Err(errors) => {
            lock.release().await?;
            anyhow::bail!(
                "failed to read the clusters, nothing recorded:\n{}",
                errors.join("\n")
            );
        }
    };

    let info = PushInfo {
        operation: Operation::Refresh,
        user: holder.user.clone(),
        host: holder.host.clone(),
        inputs_hash: None,
    };
    let push_id = store.begin(&lock, &info).await?;
    let mut deleted: Vec<ObjectKey> = Vec::new();
    let mut drifted: Vec<(ObjectKey, Vec<String>)> = Vec::new();
    let mut unchanged = 0usize;
    for recorded in tracked {
        let id = ObjectId::of(&recorded.key);
        match refreshed(recorded, live.get(&id)) {
            Refreshed::Gone => {
                store.remove(&lock, &id).await?;
                deleted.push(recorded.key.clone());
            }
            Refreshed::Same => unchanged += 1,
            Refreshed::Moved(mut row) => {
                row.push_id = push_id;
                store.record(&lock, &row).await?;
                unchanged += 1;
            }
            Refreshed::Drifted(mut row, paths) => {
                row.push_id = push_id;
                store.record(&lock, &row).await?;
                drifted.push((recorded.key.clone(), paths));
            }
        }
    }
    let counts: BTreeMap<Action, usize> = [
        (Action::Delete, deleted.len()),
        (Action::Update, drifted.len()),
        (Action::Unchanged, unchanged),
    ]
    .into_iter()
    .collect();
    store
        .finish(&lock, push_id, Outcome::Succeeded, &counts, None)
        .await?;
    lock.release().await?;
    store.close().await;
    show(args.output, &deleted, &drifted, unchanged)?;
    Ok(ExitStatus::Success)
}

/// The list that finds `key`.
fn list_scope(key: &ObjectKey) -> ListScope {
    ListScope {
        cluster: key.cluster.clone(),
        group: key.group.clone(),
        version: key.version.clone(),
        kind: key.kind.clone(),
        namespace: key.namespace.clone(),
    }
}

fn show(
    output: Output,
    deleted: &[ObjectKey],
    drifted: &[(ObjectKey, Vec<String>)],
    unchanged: usize,
) -> anyhow::Result<()> {
    let text = match output {
        Output::Json => {
            let key = |k: &ObjectKey| {
                json!({"cluster": k.cluster, "apiVersion": k.api_version(), "kind": k.kind,
                       "namespace": k.namespace, "name": k.name})
            };
            let drifted: Vec<Value> = drifted
                .iter()
                .map(|(k, paths)| {
                    let mut v = key(k);
                    v["fields"] = json!(paths);
                    v
                })
                .collect();
            let deleted: Vec<Value> = deleted.iter().map(key).collect();
            let mut text = serde_json::to_string_pretty(
                &json!({"deleted": deleted, "drifted": drifted, "unchanged": unchanged}),
            )?;
            text.push('\n');
            text
        }
        Output::Text => {
            let mut out = String::new();
            for key in deleted {
                out.push_str(&format!(
                    "deleted behind Sisyphus's back (forgotten; the next push creates it): {key}\n"
                ));
            }
            for (key, paths) in drifted {
                out.push_str(&format!(
                    "changed by hand (the next push reverts it): {key}: {}\n",
                    paths
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            out.push_str(&format!(
                "{} deleted, {} changed by hand, {unchanged} as recorded\n",
                deleted.len(),
                drifted.len()
            ));
            out
        }
    };
    crate::printer::stdout(&text)
}
