//! `diff --live`: what a push would change in each cluster beyond what the state database
//! says, i.e. hand edits (`kubectl scale`, `kubectl edit`) of fields Sisyphus applies. Each
//! tracked object is server-side dry-run applied (so defaults and normalisation are the
//! server's), and the result is compared with the live object on the fields Sisyphus's
//! intent sets. Secrets are left out: their values are never fetched.

use std::collections::BTreeSet;

use futures::StreamExt as _;
use serde_json::{Value, json};
use sisyphus_core::change::{Action, ChangeSet};
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::live::ListScope;
use sisyphus_core::secret::is_secret_kind;
use sisyphus_core::state::ObjectId;
use sisyphus_diff::drift::{drifted_paths, project};

use crate::commands::args::ClusterArgs;
use crate::views::problems::Problems;

/// Dry-run applies in flight at once per run.
const CONCURRENCY: usize = 16;

/// One object whose live fields differ from what Sisyphus applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    /// The object.
    pub key: ObjectKey,
    /// The fields that differ (`spec.replicas`), sorted.
    pub paths: Vec<String>,
    /// Live (`-`) against what a push applies (`+`), those fields only, as a unified YAML diff.
    pub diff: String,
}

/// The drift of every tracked, desired object of `changes` (neither created nor deleted by
/// this change set), found with one list per cluster, kind and namespace and one dry run per
/// object.
///
/// # Errors
///
/// [`Problems`] when a cluster cannot be reached, a list or a dry run fails.
pub async fn drift(
    changes: &ChangeSet,
    cluster_args: &ClusterArgs,
    shown: &str,
    outcome: &str,
) -> anyhow::Result<Vec<Drift>> {
    let targets: Vec<(&ObjectKey, &Value)> = changes
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Unchanged | Action::Update))
        .filter(|c| !(c.key.group.is_empty() && is_secret_kind(&c.key.version, &c.key.kind)))
        .filter_map(|c| Some((&c.key, &c.desired.as_ref()?.object)))
        .collect();
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let names: BTreeSet<String> = targets.iter().map(|(k, _)| k.cluster.clone()).collect();
    let clusters = crate::context::connect(cluster_args, &names, shown, outcome).await?;
    let scopes: BTreeSet<ListScope> = targets
        .iter()
        .map(|(k, _)| ListScope {
            cluster: k.cluster.clone(),
            group: k.group.clone(),
            version: k.version.clone(),
            kind: k.kind.clone(),
            namespace: k.namespace.clone(),
        })
        .collect();
    let problems = |errors: Vec<String>| Problems::of_messages(errors, shown, outcome);
    let live = crate::context::list_live(&clusters, &scopes)
        .await
        .map_err(problems)?;
    let results: Vec<Result<Option<Drift>, String>> = futures::stream::iter(targets)
        .map(|(key, desired)| {
            let live = live.get(&ObjectId::of(key));
            let cluster = clusters.get(&key.cluster);
            async move {
                let (Some(live), Some(cluster)) = (live, cluster) else {
                    // Gone from the cluster: the diff against the state does not know; a
                    // refresh forgets it and the next push creates it.
                    return Ok(Some(Drift {
                        key: key.clone(),
                        paths: vec!["(the object)".to_owned()],
                        diff: format!(
                            "{key} is tracked but not in the cluster (deleted by hand?): \
                             `sisyphus refresh` forgets it, the next push creates it\n"
                        ),
                    }));
                };
                let applied = cluster
                    .dry_run_object(desired)
                    .await
                    .map_err(|e| crate::pipeline::chain(&e))?;
                Ok(compare(key, desired, &applied, live))
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(drift) => found.extend(drift),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(problems(errors).into());
    }
    Ok(found)
}

/// The drift of one object: the fields `desired` sets, as the dry run `applied` has them,
/// against `live`.
fn compare(key: &ObjectKey, desired: &Value, applied: &Value, live: &Value) -> Option<Drift> {
    let wanted = project(desired, applied);
    let paths = drifted_paths(&wanted, live);
    if paths.is_empty() {
        return None;
    }
    let have = project(desired, live);
    Some(Drift {
        key: key.clone(),
        paths,
        diff: sisyphus_diff::text::yaml_diff(Some(&have), Some(&wanted)),
    })
}

/// The drift as printed after the change set.
pub fn text(drift: &[Drift]) -> String {
    if drift.is_empty() {
        return "live: no drift, the clusters have what Sisyphus applied\n".to_owned();
    }
    let mut out = format!("live: {} object(s) changed by hand\n", drift.len());
    for d in drift {
        out.push_str(&format!("\n~ drift {}: {}\n", d.key, d.paths.join(", ")));
        out.push_str(&d.diff);
    }
    out
}

/// The drift as JSON (the `live` member of `diff --live --output json`).
pub fn json(drift: &[Drift]) -> Value {
    Value::Array(
        drift
            .iter()
            .map(|d| {
                let mut v = crate::views::changes::key_json(&d.key);
                v["paths"] = json!(d.paths);
                v["diff"] = json!(d.diff);
                v
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fields_sisyphus_sets_count() {
        let key = ObjectKey {
            cluster: "east".to_owned(),
            group: "apps".to_owned(),
            version: "v1".to_owned(),
            kind: "Deployment".to_owned(),
            namespace: Some("ns".to_owned()),
            name: "web".to_owned(),
        };
        let desired = json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [
            {"name": "app", "resources": {"limits": {"cpu": "0.5"}}}]}}}});
        let applied = json!({"spec": {"replicas": 1, "progressDeadlineSeconds": 600,
            "template": {"spec": {"containers": [
                {"name": "app", "resources": {"limits": {"cpu": "500m"}}}]}}}});
        let mut live = applied.clone();
        live["metadata"] = json!({"annotations": {"deployment.kubernetes.io/revision": "3"}});
        assert_eq!(compare(&key, &desired, &applied, &live), None);
        live["spec"]["replicas"] = json!(3);
        let drift = compare(&key, &desired, &applied, &live).expect("drift");
        assert_eq!(drift.paths, ["spec.replicas"]);
        assert!(drift.diff.contains("-  replicas: 3"), "{}", drift.diff);
        assert!(drift.diff.contains("+  replicas: 1"), "{}", drift.diff);
    }
}
