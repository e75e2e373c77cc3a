//! A resource's pods in its clusters, for its page and its logs. Pods are listed by each
//! recorded workload's labels, then kept only when their owner is that workload (a Deployment's
//! ReplicaSet, a CronJob's Job, the StatefulSet, DaemonSet or Job itself): two resources may
//! share labels (a Deployment and a CronJob of one name do), and a pod someone else labelled
//! alike is not the resource's. Every cluster is asked at once, each with a deadline, so one
//! that does not answer delays the page by that deadline only.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use sisyphus_cluster::Clusters;
use sisyphus_core::state::RecordedObject;

use super::App;

/// How long one cluster may take to list a workload's pods.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a log read may take (the API server sets no deadline of its own on it).
pub const LOG_TIMEOUT: Duration = Duration::from_secs(20);

/// Which pods are a workload's, by their first owner reference.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owner {
    /// A Deployment's: owned by a ReplicaSet named `<name>-<hash>`.
    ReplicaSetOf(String),
    /// A CronJob's: owned by a Job named `<name>-<number>`.
    JobOf(String),
    /// Owned by this kind and name itself (StatefulSet, DaemonSet, Job).
    Exactly(&'static str, String),
}

impl Owner {
    /// Whether `pod`'s controlling owner is this.
    fn owns(&self, pod: &Value) -> bool {
        let owners = pod
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array);
        let Some(owner) = owners.and_then(|all| {
            all.iter()
                .find(|o| o["controller"] == true)
                .or_else(|| all.first())
        }) else {
            return false;
        };
        let kind = owner["kind"].as_str().unwrap_or("");
        let name = owner["name"].as_str().unwrap_or("");
        let suffix = |prefix: &str| name.strip_prefix(prefix)?.strip_prefix('-');
        match self {
            Owner::ReplicaSetOf(deployment) => {
                kind == "ReplicaSet"
                    && suffix(deployment).is_some_and(|hash| {
                        !hash.is_empty() && hash.chars().all(|c| c.is_ascii_alphanumeric())
                    })
            }
            Owner::JobOf(cronjob) => {
                kind == "Job"
                    && suffix(cronjob)
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            }
            Owner::Exactly(want, workload) => kind == *want && name == workload,
        }
    }
}

/// One recorded workload: where its pods are, the labels they carry and who owns them.
#[derive(Clone, Debug)]
pub struct Workload {
    namespace: String,
    labels: BTreeMap<String, String>,
    owner: Owner,
}

/// Per cluster, the workloads among `objects` (Deployment, StatefulSet, DaemonSet: the
/// selector's `matchLabels`; Job: its template's labels; CronJob: its job template's).
pub fn workloads(objects: &[&RecordedObject]) -> BTreeMap<String, Vec<Workload>> {
    let mut all: BTreeMap<String, Vec<Workload>> = BTreeMap::new();
    for object in objects {
        let key = &object.key;
        let Some(namespace) = &key.namespace else {
            continue;
        };
        let name = key.name.clone();
        let (pointer, owner) = match (key.group.as_str(), key.kind.as_str()) {
            ("apps", "Deployment") => ("/spec/selector/matchLabels", Owner::ReplicaSetOf(name)),
            ("apps", "StatefulSet") => (
                "/spec/selector/matchLabels",
                Owner::Exactly("StatefulSet", name),
            ),
            ("apps", "DaemonSet") => (
                "/spec/selector/matchLabels",
                Owner::Exactly("DaemonSet", name),
            ),
            ("batch", "Job") => (
                "/spec/template/metadata/labels",
                Owner::Exactly("Job", name),
            ),
            ("batch", "CronJob") => (
                "/spec/jobTemplate/spec/template/metadata/labels",
                Owner::JobOf(name),
            ),
            _ => continue,
        };
        let Ok(applied) = object.applied_value() else {
            continue;
        };
        let labels: BTreeMap<String, String> = applied
            .pointer(pointer)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        if !labels.is_empty() {
            all.entry(key.cluster.clone()).or_default().push(Workload {
                namespace: namespace.clone(),
                labels,
                owner,
            });
        }
    }
    all
}

/// What one cluster said: its client, and its pods of the resource (with their namespace) or
/// why they could not be listed.
pub struct Found {
    /// The cluster, connected (`None` when it could not be).
    pub cluster: Option<Clusters>,
    /// The pods, or why not.
    pub pods: Result<Vec<(String, Value)>, String>,
}

/// Asks every cluster of `workloads` at once for the resource's pods.
pub async fn list(
    app: &App,
    workloads: &BTreeMap<String, Vec<Workload>>,
) -> BTreeMap<String, Found> {
    let asked = workloads.iter().map(|(name, workloads)| async move {
        (name.clone(), list_one(app, name, workloads).await)
    });
    futures::future::join_all(asked).await.into_iter().collect()
}

/// One cluster's pods of the resource.
async fn list_one(app: &App, name: &str, workloads: &[Workload]) -> Found {
    if app.kubeconfig.is_empty() {
        return Found {
            cluster: None,
            pods: Err("no kubeconfig: start the dashboard with `--kubeconfig FILE`".to_owned()),
        };
    }
    let clusters = match Clusters::connect(&app.kubeconfig, &[name.to_owned()]).await {
        Ok(clusters) => clusters,
        Err(errors) => {
            let why: Vec<String> = errors.iter().map(|e| crate::pipeline::chain(e)).collect();
            return Found {
                cluster: None,
                pods: Err(why.join("; ")),
            };
        }
    };
    let mut pods = Vec::new();
    let mut failed = None;
    if let Some(cluster) = clusters.get(name) {
        for workload in workloads {
            let listed = tokio::time::timeout(
                LIST_TIMEOUT,
                cluster.pods_matching(&workload.namespace, &workload.labels),
            )
            .await;
            match listed {
                Ok(Ok(found)) => pods.extend(
                    found
                        .into_iter()
                        .filter(|pod| workload.owner.owns(pod))
                        .map(|pod| (workload.namespace.clone(), pod)),
                ),
                Ok(Err(e)) => failed = Some(crate::pipeline::chain(&e)),
                Err(_) => {
                    failed = Some(format!(
                        "`{name}` did not list the pods within {} s",
                        LIST_TIMEOUT.as_secs()
                    ));
                }
            }
        }
    }
    Found {
        cluster: Some(clusters),
        pods: match failed {
            Some(why) => Err(why),
            None => Ok(pods),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(kind: &str, owner: &str) -> Value {
        json!({"metadata": {"ownerReferences": [
            {"kind": kind, "name": owner, "controller": true}
        ]}})
    }

    #[test]
    fn a_pod_is_a_workloads_only_when_the_workload_owns_it() {
        let deployment = Owner::ReplicaSetOf("echo".into());
        assert!(deployment.owns(&pod("ReplicaSet", "echo-7d4b9c8f6")));
        assert!(!deployment.owns(&pod("ReplicaSet", "echo-cleanup-7d4b9c8f6")));
        assert!(!deployment.owns(&pod("Job", "echo-28391")));
        assert!(!deployment.owns(&json!({"metadata": {}})), "a bare pod");
        let cronjob = Owner::JobOf("echo".into());
        assert!(cronjob.owns(&pod("Job", "echo-28391020")));
        assert!(!cronjob.owns(&pod("Job", "echo-manual")));
        assert!(!cronjob.owns(&pod("ReplicaSet", "echo-7d4b9c8f6")));
        let statefulset = Owner::Exactly("StatefulSet", "db".into());
        assert!(statefulset.owns(&pod("StatefulSet", "db")));
        assert!(!statefulset.owns(&pod("StatefulSet", "db-2")));
    }
}
