//! Waiting for what a push changed to get there: one watch per (cluster, kind, namespace),
//! never a poll per object; every cluster at once; one deadline for the whole wait. What did
//! not get there is named with why: its last state, its conditions, its pods and their newest
//! events.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt as _;
use serde_json::Value;
use sisyphus_cluster::{Cluster, Clusters, Seen};
use sisyphus_core::change::{Action, ChangeSet};
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::live::ListScope;
use sisyphus_core::text::escape_line;
use tokio::time::Instant;

use crate::preflight::chain;
use crate::readiness::{Readiness, WaitKind, conditions, readiness, ready_endpoints};

/// Objects explained in detail per cluster when a wait fails (the rest are only named).
const EXPLAINED_PER_CLUSTER: usize = 10;
/// Pods and events shown per object that did not get there.
const PODS_SHOWN: usize = 3;
const EVENTS_SHOWN: usize = 3;
/// The label an EndpointSlice carries naming its Service.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// How long to wait.
#[derive(Clone, Debug)]
pub struct WaitOptions {
    /// For everything, from the start of the wait.
    pub timeout: Duration,
}

impl Default for WaitOptions {
    fn default() -> WaitOptions {
        WaitOptions {
            timeout: Duration::from_secs(15 * 60),
        }
    }
}

/// One object a push wrote, as the API server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The object.
    pub key: ObjectKey,
    /// `metadata.generation` after the write.
    pub generation: Option<i64>,
}

/// Progress of a wait, for the CLI's bars and lines.
#[derive(Clone, Copy, Debug)]
pub enum WaitEvent<'a> {
    /// A cluster's wait starts with this many objects.
    Start {
        /// The cluster.
        cluster: &'a str,
        /// Objects waited for.
        total: usize,
    },
    /// An object's state changed.
    Changed {
        /// The object.
        key: &'a ObjectKey,
        /// Where it stands now.
        readiness: &'a Readiness,
    },
    /// A cluster's wait ended.
    Finish {
        /// The cluster.
        cluster: &'a str,
    },
}

/// An object that did not get there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotReady {
    /// The object.
    pub key: ObjectKey,
    /// Why, in one line (the failure, or the state it was left in at the deadline).
    pub why: String,
    /// Conditions, pods and their newest events, one line each.
    pub details: Vec<String>,
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} did not become ready: {}", self.key, self.why)?;
        for line in &self.details {
            write!(f, "\n  {line}")?;
        }
        Ok(())
    }
}

/// What [`wait`] found.
#[derive(Clone, Debug, Default)]
pub struct WaitReport {
    /// Objects that got there.
    pub ready: usize,
    /// Objects that did not, sorted by key.
    pub not_ready: Vec<NotReady>,
}

/// Which objects of `written` a push waits for: workloads, Jobs it declares and Namespaces
/// it wrote, and Services that select the pods of a workload it wrote in the same namespace.
/// CronJobs are not waited for: their Jobs are started by their schedule, not by the push.
pub fn waited(changes: &ChangeSet, written: &[Written]) -> Vec<Written> {
    let desired: BTreeMap<&ObjectKey, &Value> = changes
        .changes
        .iter()
        .filter(|c| c.action != Action::Delete)
        .filter_map(|c| Some((&c.key, &c.desired.as_ref()?.object)))
        .collect();
    // Pod template labels of the workloads written, per (cluster, namespace).
    let mut templates: BTreeMap<(&str, Option<&str>), Vec<&Labels>> = BTreeMap::new();
    for one in written {
        if matches!(
            WaitKind::of(&one.key),
            Some(WaitKind::Deployment | WaitKind::StatefulSet | WaitKind::DaemonSet)
        ) && let Some(labels) = desired
            .get(&one.key)
            .and_then(|o| o.pointer("/spec/template/metadata/labels"))
            .and_then(Value::as_object)
        {
            templates
                .entry((one.key.cluster.as_str(), one.key.namespace.as_deref()))
                .or_default()
                .push(labels);
        }
    }
    written
        .iter()
        .filter(|one| match WaitKind::of(&one.key) {
            None => false,
            Some(WaitKind::Service) => desired.get(&one.key).is_some_and(|service| {
                selects_written_pods(
                    service,
                    templates.get(&(one.key.cluster.as_str(), one.key.namespace.as_deref())),
                )
            }),
            Some(_) => true,
        })
        .cloned()
        .collect()
}

/// A label map as JSON (`metadata.labels`, `spec.selector`).
type Labels = serde_json::Map<String, Value>;

fn selects_written_pods(service: &Value, templates: Option<&Vec<&Labels>>) -> bool {
    if service.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName") {
        return false;
    }
    let Some(selector) = service
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .filter(|s| !s.is_empty())
    else {
        return false;
    };
    templates.is_some_and(|all| {
        all.iter()
            .any(|labels| selector.iter().all(|(k, v)| labels.get(k) == Some(v)))
    })
}

/// Waits until every object of `targets` (from [`waited`]) is ready, has failed, or the
/// timeout passes: every cluster at once, one watch per (kind, namespace).
pub async fn wait(
    targets: &[Written],
    clusters: &Clusters,
    options: &WaitOptions,
    progress: &(dyn Fn(WaitEvent<'_>) + Sync),
) -> WaitReport {
    let deadline = Instant::now() + options.timeout;
    let mut by_cluster: BTreeMap<&str, Vec<&Written>> = BTreeMap::new();
    for target in targets {
        by_cluster
            .entry(target.key.cluster.as_str())
            .or_default()
            .push(target);
    }
    let runs = by_cluster.into_iter().map(|(name, targets)| async move {
        progress(WaitEvent::Start {
            cluster: name,
            total: targets.len(),
        });
        let report = match clusters.get(name) {
            Some(cluster) => wait_cluster(cluster, &targets, deadline, options, progress).await,
            None => WaitReport {
                ready: 0,
                not_ready: targets
                    .iter()
                    .map(|t| NotReady {
                        key: t.key.clone(),
                        why: format!("cluster `{name}` is not connected"),
                        details: Vec::new(),
                    })
                    .collect(),
            },
        };
        progress(WaitEvent::Finish { cluster: name });
        report
    });
    let mut report = WaitReport::default();
    for one in futures::future::join_all(runs).await {
        report.ready += one.ready;
        report.not_ready.extend(one.not_ready);
    }
    report.not_ready.sort_by(|a, b| a.key.cmp(&b.key));
    report
}

/// What the watches of one cluster know: each target's state and last seen object.
struct Board<'a> {
    states: Mutex<BTreeMap<&'a ObjectKey, (Readiness, Option<Value>)>>,
    progress: &'a (dyn Fn(WaitEvent<'_>) + Sync),
}

impl Board<'_> {
    /// Sets `key`'s state; tells progress when it changed.
    fn set(&self, key: &ObjectKey, readiness: Readiness, seen: Option<Value>) {
        let Ok(mut states) = self.states.lock() else {
            return;
        };
        let Some(entry) = states.get_mut(key) else {
            return;
        };
        if entry.0.is_final() {
            return;
        }
        let changed = entry.0 != readiness;
        entry.0 = readiness;
        if seen.is_some() {
            entry.1 = seen;
        }
        if changed {
            (self.progress)(WaitEvent::Changed {
                key,
                readiness: &entry.0,
            });
        }
    }

    fn all_final(&self, keys: &[&ObjectKey]) -> bool {
        self.states.lock().is_ok_and(|states| {
            keys.iter()
                .all(|k| states.get(*k).is_none_or(|(r, _)| r.is_final()))
        })
    }
}

/// The watch of one (kind, namespace) of one cluster.
struct Group<'a> {
    kind: WaitKind,
    scope: ListScope,
    /// name → (key, generation written).
    targets: BTreeMap<&'a str, (&'a ObjectKey, Option<i64>)>,
}

async fn wait_cluster(
    cluster: &Cluster,
    targets: &[&Written],
    deadline: Instant,
    options: &WaitOptions,
    progress: &(dyn Fn(WaitEvent<'_>) + Sync),
) -> WaitReport {
    let board = Board {
        states: Mutex::new(
            targets
                .iter()
                .map(|t| {
                    let why = if WaitKind::of(&t.key) == Some(WaitKind::Service) {
                        "no EndpointSlice yet"
                    } else {
                        "not seen yet"
                    };
                    (&t.key, (Readiness::Waiting(why.to_owned()), None))
                })
                .collect(),
        ),
        progress,
    };
    let mut groups: BTreeMap<(WaitKind, &str, &str, &str, Option<&str>), Group<'_>> =
        BTreeMap::new();
    for target in targets {
        let key = &target.key;
        let Some(kind) = WaitKind::of(key) else {
            continue;
        };
        let group = groups
            .entry((
                kind,
                key.group.as_str(),
                key.version.as_str(),
                key.kind.as_str(),
                key.namespace.as_deref(),
            ))
            .or_insert_with(|| Group {
                kind,
                scope: watched_scope(kind, key),
                targets: BTreeMap::new(),
            });
        group
            .targets
            .insert(key.name.as_str(), (key, target.generation));
    }
    let watches = groups
        .values()
        .map(|group| watch_group(cluster, group, &board));
    let finished = tokio::time::timeout_at(deadline, futures::future::join_all(watches)).await;
    let timed_out = finished.is_err();
    let states = board
        .states
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut report = WaitReport::default();
    let mut explained = 0;
    for (key, (state, seen)) in states {
        let why = match state {
            Readiness::Ready => {
                report.ready += 1;
                continue;
            }
            Readiness::Failed(why) => why,
            Readiness::Waiting(why) if timed_out => {
                format!("timed out after {:?}: {why}", options.timeout)
            }
            Readiness::Waiting(why) => why,
        };
        let details = if explained < EXPLAINED_PER_CLUSTER {
            explained += 1;
            explain(cluster, key, seen.as_ref()).await
        } else {
            Vec::new()
        };
        report.not_ready.push(NotReady {
            key: key.clone(),
            why: escape_line(&why).into_owned(),
            details,
        });
    }
    report
}

/// What a group watches: the object's own kind, or a Service's EndpointSlices.
fn watched_scope(kind: WaitKind, key: &ObjectKey) -> ListScope {
    let (group, version, kind) = match kind {
        WaitKind::Service => ("discovery.k8s.io", "v1", "EndpointSlice"),
        _ => (key.group.as_str(), key.version.as_str(), key.kind.as_str()),
    };
    ListScope {
        cluster: key.cluster.clone(),
        group: group.to_owned(),
        version: version.to_owned(),
        kind: kind.to_owned(),
        namespace: key.namespace.clone(),
    }
}

/// Watches one group until each of its targets is ready or has failed (the caller's deadline
/// ends it otherwise).
async fn watch_group(cluster: &Cluster, group: &Group<'_>, board: &Board<'_>) {
    let keys: Vec<&ObjectKey> = group.targets.values().map(|(k, _)| *k).collect();
    let only = match (group.kind, group.targets.keys().next()) {
        (WaitKind::Service, _) => None,
        (_, Some(name)) if group.targets.len() == 1 => Some(*name),
        _ => None,
    };
    let stream = match cluster.watch(&group.scope, only).await {
        Ok(stream) => stream,
        Err(e) => {
            let why = format!("cannot watch it: {}", chain(&e));
            for key in keys {
                board.set(key, Readiness::Failed(why.clone()), None);
            }
            return;
        }
    };
    futures::pin_mut!(stream);
    // For Services: ready endpoints per EndpointSlice name, and the slice's Service.
    let mut slices: BTreeMap<String, (String, usize)> = BTreeMap::new();
    while let Some(seen) = stream.next().await {
        match seen {
            Ok(Seen::Object(object)) => {
                // No `continue` here: every event ends with the check below.
                if group.kind == WaitKind::Service {
                    note_slice(group, &mut slices, Some(&object), board);
                } else if let Some((key, generation)) = object
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .and_then(|name| group.targets.get(name))
                {
                    board.set(
                        key,
                        readiness(group.kind, &object, *generation),
                        Some(object),
                    );
                }
            }
            Ok(Seen::Gone { name }) => {
                if group.kind == WaitKind::Service {
                    slices.remove(&name);
                    note_slice(group, &mut slices, None, board);
                } else if let Some((key, _)) = group.targets.get(name.as_str()) {
                    board.set(
                        key,
                        Readiness::Failed("it was deleted while waiting".to_owned()),
                        None,
                    );
                }
            }
            Err(e) => tracing::debug!("{}", chain(&e)),
        }
        if board.all_final(&keys) {
            return;
        }
    }
}

/// Records one EndpointSlice (or a removal, `None`) and updates the Services it counts for.
fn note_slice(
    group: &Group<'_>,
    slices: &mut BTreeMap<String, (String, usize)>,
    slice: Option<&Value>,
    board: &Board<'_>,
) {
    if let Some(slice) = slice {
        let name = slice.pointer("/metadata/name").and_then(Value::as_str);
        let service = slice
            .pointer("/metadata/labels")
            .and_then(|labels| labels.get(SERVICE_NAME_LABEL))
            .and_then(Value::as_str);
        if let (Some(name), Some(service)) = (name, service) {
            slices.insert(
                name.to_owned(),
                (service.to_owned(), ready_endpoints(slice)),
            );
        }
    }
    for (name, (key, _)) in &group.targets {
        let ready: usize = slices
            .values()
            .filter(|(service, _)| service == name)
            .map(|(_, n)| n)
            .sum();
        board.set(key, crate::readiness::service_endpoints(ready), None);
    }
}

/// Why `key` is not there, in lines: its conditions, and for a workload its pods and the
/// newest events about it, its ReplicaSets and its pods.
async fn explain(cluster: &Cluster, key: &ObjectKey, seen: Option<&Value>) -> Vec<String> {
    let mut lines = Vec::new();
    let Some(object) = seen else {
        return lines;
    };
    for condition in conditions(object) {
        if condition.status != Some("True") || condition.kind == "Progressing" {
            lines.push(format!("condition {}", escape_line(&condition.line())));
        }
    }
    let Some(namespace) = key.namespace.as_deref() else {
        return lines;
    };
    let mut names: BTreeSet<String> = BTreeSet::from([key.name.clone()]);
    let selector: Option<BTreeMap<String, String>> = object
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .filter(|labels: &BTreeMap<String, String>| !labels.is_empty());
    if let Some(selector) = selector {
        match cluster.pods_matching(namespace, &selector).await {
            Ok(pods) => {
                if pods.is_empty() {
                    lines.push("no pod matches its selector".to_owned());
                }
                for pod in &pods {
                    if let Some(name) = pod.pointer("/metadata/name").and_then(Value::as_str) {
                        names.insert(name.to_owned());
                    }
                    for owner in pod
                        .pointer("/metadata/ownerReferences")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(name) = owner.get("name").and_then(Value::as_str) {
                            names.insert(name.to_owned());
                        }
                    }
                }
                lines.extend(pods.iter().take(PODS_SHOWN).map(pod_line));
                if pods.len() > PODS_SHOWN {
                    lines.push(format!("and {} more pod(s)", pods.len() - PODS_SHOWN));
                }
            }
            Err(e) => lines.push(format!("its pods could not be listed: {}", chain(&e))),
        }
    }
    match cluster.events_about(namespace, &names).await {
        Ok(events) => lines.extend(events.iter().take(EVENTS_SHOWN).map(event_line)),
        Err(e) => lines.push(format!("its events could not be listed: {}", chain(&e))),
    }
    lines
}

/// `pod web-5d-x: Pending, Ready=False (ContainersNotReady), container app waiting: ImagePullBackOff`.
fn pod_line(pod: &Value) -> String {
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Unknown");
    let mut parts = vec![phase.to_owned()];
    for condition in conditions(pod) {
        if condition.status != Some("True") && matches!(condition.kind, "Ready" | "PodScheduled") {
            parts.push(condition.line());
        }
    }
    for status in pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let container = status.get("name").and_then(Value::as_str).unwrap_or("?");
        if let Some(waiting) = status.pointer("/state/waiting") {
            let reason = waiting.get("reason").and_then(Value::as_str).unwrap_or("");
            parts.push(format!("container {container} waiting: {reason}"));
        }
    }
    escape_line(&format!("pod {name}: {}", parts.join(", "))).into_owned()
}

/// `event Pod web-5d-x: Warning FailedScheduling: 0/3 nodes are available (3x)`.
fn event_line(event: &Value) -> String {
    let field = |pointer: &str| event.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    let count = event.get("count").and_then(Value::as_i64).unwrap_or(1);
    let times = if count > 1 {
        format!(" ({count}x)")
    } else {
        String::new()
    };
    escape_line(&format!(
        "event {} {}: {} {}: {}{times}",
        field("/involvedObject/kind"),
        field("/involvedObject/name"),
        field("/type"),
        field("/reason"),
        field("/message"),
    ))
    .into_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sisyphus_core::change::Change;
    use sisyphus_core::desired::DesiredObject;

    use super::*;

    fn key(kind: &str, name: &str) -> ObjectKey {
        let group = match kind {
            "Deployment" => "apps",
            "CronJob" => "batch",
            _ => "",
        };
        ObjectKey {
            cluster: "a".to_owned(),
            group: group.to_owned(),
            version: "v1".to_owned(),
            kind: kind.to_owned(),
            namespace: Some("ns".to_owned()),
            name: name.to_owned(),
        }
    }

    fn change(key: &ObjectKey, object: Value) -> Change {
        Change {
            key: key.clone(),
            action: Action::Create,
            desired: Some(DesiredObject {
                object,
                resource: None,
                location: None,
                config: None,
                secret: false,
            }),
            recorded: None,
            reasons: Vec::new(),
        }
    }

    #[test]
    fn services_are_waited_for_only_when_they_select_pods_the_push_rolls_out() {
        let web = key("Deployment", "web");
        let selected = key("Service", "web");
        let elsewhere = key("Service", "db");
        let external = key("Service", "ext");
        let cron = key("CronJob", "nightly");
        let changes = ChangeSet {
            changes: vec![
                change(
                    &web,
                    json!({"spec": {"template": {"metadata": {"labels": {"app": "web", "tier": "x"}}}}}),
                ),
                change(&selected, json!({"spec": {"selector": {"app": "web"}}})),
                change(&elsewhere, json!({"spec": {"selector": {"app": "db"}}})),
                change(
                    &external,
                    json!({"spec": {"type": "ExternalName", "selector": {"app": "web"}}}),
                ),
                change(&cron, json!({})),
            ],
            blocked: Vec::new(),
        };
        let written: Vec<Written> = [&web, &selected, &elsewhere, &external, &cron]
            .into_iter()
            .map(|k| Written {
                key: k.clone(),
                generation: Some(1),
            })
            .collect();
        let names: Vec<String> = waited(&changes, &written)
            .into_iter()
            .map(|w| format!("{}/{}", w.key.kind, w.key.name))
            .collect();
        assert_eq!(names, ["Deployment/web", "Service/web"]);
    }

    #[test]
    fn pods_and_events_read_as_one_line_each() {
        let pod = json!({
            "metadata": {"name": "web-1"},
            "status": {"phase": "Pending",
                "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
                "containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "ErrImagePull"}}}]}
        });
        assert_eq!(
            pod_line(&pod),
            "pod web-1: Pending, PodScheduled=False (Unschedulable), container app waiting: ErrImagePull"
        );
        let event = json!({"involvedObject": {"kind": "Pod", "name": "web-1"}, "type": "Warning",
            "reason": "FailedScheduling", "message": "0/3 nodes are available\u{1b}[31m", "count": 4});
        assert_eq!(
            event_line(&event),
            "event Pod web-1: Warning FailedScheduling: 0/3 nodes are available\\u{1b}[31m (4x)"
        );
    }
}
