//! Everything that can be found before the first write, found before it and reported together.

use std::collections::BTreeSet;

use futures::StreamExt as _;
use serde_json::Value;
use sisyphus_cluster::{Cluster, Clusters};
use sisyphus_core::change::{Action, Change, ChangeSet};
use sisyphus_core::secret::is_secret_kind;

use crate::Refused;

/// Dry-runs in flight at once.
const DRY_RUN_CONCURRENCY: usize = 16;

/// What [`preflight`] may accept.
#[derive(Clone, Copy, Debug, Default)]
pub struct Preflight {
    /// Take over objects that exist in a cluster but are not tracked (`--adopt`). Namespaces
    /// are adopted without it.
    pub adopt: bool,
}

/// Check `changes` against the clusters without writing anything: blocked changes, adoptions
/// without consent, unreachable clusters, kinds a cluster does not serve, and a server-side
/// dry-run of every object to be written. An object whose namespace this push creates is
/// dry-run in `default` (the API server dry-runs nothing in a missing namespace); one of a kind
/// a CustomResourceDefinition of this push defines cannot be checked before the CRD exists.
///
/// # Errors
///
/// [`Refused`] with every problem found.
pub async fn preflight(
    changes: &ChangeSet,
    clusters: &Clusters,
    options: Preflight,
) -> Result<(), Refused> {
    let mut problems: Vec<String> = Vec::new();
    for blocked in &changes.blocked {
        problems.push(format!(
            "{}: cannot change `{}`: {}",
            blocked.key, blocked.field, blocked.reason
        ));
    }
    for change in changes.writes() {
        if change.action == Action::Adopt && !options.adopt && !is_namespace(change) {
            problems.push(format!(
                "{} exists in the cluster but Sisyphus does not track it; pass `--adopt` to take \
                 it over (or record it first with `sisyphus import`)",
                change.key
            ));
        }
    }
    let written: BTreeSet<&str> = changes.writes().map(|c| c.key.cluster.as_str()).collect();
    for cluster in &written {
        if clusters.get(cluster).is_none() {
            problems.push(format!("cluster `{cluster}` is not connected"));
        }
    }
    if let Err(errors) = clusters.check().await {
        problems.extend(errors.iter().map(|e| chain(e)));
    }
    if !problems.is_empty() {
        return Err(Refused(problems));
    }

    let new_namespaces: BTreeSet<(&str, &str)> = changes
        .writes()
        .filter(|c| c.action == Action::Create && is_namespace(c))
        .map(|c| (c.key.cluster.as_str(), c.key.name.as_str()))
        .collect();
    let new_kinds = new_crd_kinds(changes);
    let checks = changes.writes().filter_map(|change| {
        let cluster = clusters.get(&change.key.cluster)?;
        let from_new_crd = new_kinds.contains(&(
            change.key.cluster.clone(),
            change.key.group.clone(),
            change.key.kind.clone(),
        ));
        let in_new_namespace = change
            .key
            .namespace
            .as_deref()
            .is_some_and(|ns| new_namespaces.contains(&(change.key.cluster.as_str(), ns)));
        Some(check(cluster, change, from_new_crd, in_new_namespace))
    });
    let found: Vec<Option<String>> = futures::stream::iter(checks)
        .buffer_unordered(DRY_RUN_CONCURRENCY)
        .collect()
        .await;
    problems.extend(found.into_iter().flatten());
    if problems.is_empty() {
        Ok(())
    } else {
        problems.sort();
        Err(Refused(problems))
    }
}

/// Discovery, then a dry-run of one change; the problem, if any.
async fn check(
    cluster: &Cluster,
    change: &Change,
    from_new_crd: bool,
    in_new_namespace: bool,
) -> Option<String> {
    if from_new_crd {
        return None;
    }
    let key = &change.key;
    if let Err(e) = cluster.kind(&key.group, &key.version, &key.kind).await {
        return Some(chain(&e));
    }
    if matches!(change.action, Action::Delete | Action::Recreate) {
        return None;
    }
    let object = &change.desired.as_ref()?.object;
    // The API server dry-runs nothing in a namespace that does not exist yet: such an object
    // is dry-run in `default`, which every cluster has (its schema and fields are checked the
    // same; nothing is persisted either way).
    let moved;
    let object = if in_new_namespace {
        let mut copy = object.clone();
        copy["metadata"]["namespace"] = Value::String("default".to_owned());
        moved = copy;
        &moved
    } else {
        object
    };
    let result = if key.group.is_empty() && is_secret_kind(&key.version, &key.kind) {
        match change.action {
            Action::Create => match cluster.create_secret(object, true).await {
                // Only possible in `default`: the Secret's own namespace is new.
                Err(sisyphus_cluster::Error::AlreadyExists { .. }) if in_new_namespace => Ok(()),
                other => other.map(|_| ()),
            },
            _ => match cluster.add_secret_keys(object, true).await {
                // Recorded but not in the cluster (pending, or deleted by hand): apply creates it.
                Err(e) if e.is_not_found() => cluster.create_secret(object, true).await.map(|_| ()),
                other => other.map(|_| ()),
            },
        }
    } else {
        cluster.apply(object, true).await.map(|_| ())
    };
    result.err().map(|e| {
        if in_new_namespace {
            format!(
                "{key} is refused by the API server (checked in namespace `default`, since its \
                 own is created by this push): {}",
                chain(&e)
            )
        } else {
            chain(&e)
        }
    })
}

/// `(cluster, group, kind)` of every kind a CustomResourceDefinition created or changed in this
/// change set defines.
fn new_crd_kinds(changes: &ChangeSet) -> BTreeSet<(String, String, String)> {
    changes
        .writes()
        .filter(|c| {
            c.key.group == "apiextensions.k8s.io" && c.key.kind == "CustomResourceDefinition"
        })
        .filter_map(|c| {
            let spec = c.desired.as_ref()?.object.get("spec")?;
            let group = spec.get("group").and_then(Value::as_str)?;
            let kind = spec.get("names")?.get("kind").and_then(Value::as_str)?;
            Some((c.key.cluster.clone(), group.to_owned(), kind.to_owned()))
        })
        .collect()
}

fn is_namespace(change: &Change) -> bool {
    change.key.group.is_empty() && change.key.kind == "Namespace"
}

pub(crate) use sisyphus_core::report::chain;
