//! `sisyphus refresh`: read what the clusters have for every tracked object (one list per
//! cluster, kind and namespace), record the new resourceVersions, and report objects deleted
//! behind Sisyphus's back and fields it applied that were changed by hand (drift). Deleted
//! objects are forgotten, so the next push creates them again; a drifted object is recorded
//! with the live values of the changed fields, so the next push shows and reverts them.
//! Secret values are never read into anything kept (the cluster crate masks them).

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt as _;
use serde_json::{Value, json};
use sisyphus_core::change::Action;
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::live::ListScope;
use sisyphus_core::secret::{MASK, holds_secrets, masked, secret_keys};
use sisyphus_core::state::{ObjectId, RecordedObject, canonical_json, intent_hash};
use sisyphus_state::{Operation, Outcome, PushInfo};

use crate::ExitStatus;
use crate::commands::args::{ClusterArgs, DatabaseArgs, Output, UserArgs};
use crate::context::Context;
use crate::pipeline::{self, Scope, chain};

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
    let store = pipeline::open_store(&args.database).await?;
    let holder = args.user.holder();
    let lock = pipeline::take_lock(&store, &holder).await?;
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
    let clusters = pipeline::connect(
        &args.clusters,
        &names,
        "the state database",
        "nothing recorded",
    )
    .await?;
    let lists = scopes.keys().map(|s| {
        let cluster = clusters.get(&s.cluster);
        async move {
            let found = match cluster {
                Some(c) => c.list_objects(s).await.map_err(|e| chain(&e)),
                None => Err(format!("cluster `{}` is not connected", s.cluster)),
            };
            (s, found)
        }
    });
    let results: Vec<_> = futures::stream::iter(lists)
        .buffer_unordered(8)
        .collect()
        .await;
    let mut live: BTreeMap<ObjectId, Value> = BTreeMap::new();
    let mut errors = Vec::new();
    for (_, result) in results {
        match result {
            Ok(found) => live.extend(found.into_iter().map(|(k, v)| (ObjectId::of(&k), v))),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        lock.release().await?;
        anyhow::bail!(
            "failed to read the clusters, nothing recorded:\n{}",
            errors.join("\n")
        );
    }

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
        let Some(object) = live.get(&id) else {
            store.remove(&lock, &id).await?;
            deleted.push(recorded.key.clone());
            continue;
        };
        let rv = object["metadata"]["resourceVersion"]
            .as_str()
            .map(str::to_owned);
        let uid = object["metadata"]["uid"].as_str().map(str::to_owned);
        let intent = recorded.applied_value().unwrap_or(Value::Null);
        let (compared, seen) = comparable(&intent, object);
        let paths = sisyphus_diff::drift::drifted_paths(&compared, &seen);
        let mut row = recorded.clone();
        row.uid = uid;
        row.resource_version = rv;
        if paths.is_empty() {
            if row == *recorded {
                unchanged += 1;
                continue;
            }
            unchanged += 1;
        } else {
            let projected = masked(&sisyphus_diff::drift::project(&compared, &seen));
            row.applied = canonical_json(&projected);
            row.applied_hash = intent_hash(&projected);
            drifted.push((recorded.key.clone(), paths));
        }
        row.push_id = push_id;
        store.record(&lock, &row).await?;
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

/// The intent and the live object in a form that compares: for Secrets, `stringData` keys
/// count as `data` keys (the API server moves them there) and only key names are compared.
fn comparable(intent: &Value, live: &Value) -> (Value, Value) {
    if !holds_secrets(intent) {
        return (intent.clone(), live.clone());
    }
    let mut want = intent.clone();
    let keys = secret_keys(intent);
    if let Some(map) = want.as_object_mut() {
        map.remove("stringData");
        map.remove("data");
        if !keys.is_empty() {
            let data: serde_json::Map<String, Value> =
                keys.into_iter().map(|k| (k, json!(MASK))).collect();
            map.insert("data".to_owned(), Value::Object(data));
        }
    }
    (masked(&want), masked(live))
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
