//! Whether a live object got where its last write asked it to go, per kind, from its
//! `status` alone (pure: the wait feeds it what the watches see).
//!
//! The rules follow `kubectl rollout status` and kapp's waiting rules: a workload is ready
//! when its controller has seen the generation we wrote and every replica is updated and
//! available; a Deployment whose `Progressing` condition says `ProgressDeadlineExceeded` has
//! failed; a Job has completed or failed; a Namespace is `Active`.

use serde_json::Value;
use sisyphus_core::desired::ObjectKey;

/// Where an object stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Not there yet, and why (`2 of 3 replicas available`).
    Waiting(String),
    /// There.
    Ready,
    /// It will not get there without a change, and why.
    Failed(String),
}

impl Readiness {
    /// Ready or failed: watching it longer changes nothing.
    pub fn is_final(&self) -> bool {
        !matches!(self, Readiness::Waiting(_))
    }
}

/// The kinds a push waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WaitKind {
    /// `v1 Namespace`: `Active`.
    Namespace,
    /// `apps/v1 Deployment`: rolled out.
    Deployment,
    /// `apps/v1 StatefulSet`: rolled out.
    StatefulSet,
    /// `apps/v1 DaemonSet`: rolled out.
    DaemonSet,
    /// `batch/v1 Job` (one the files declare; Jobs of a CronJob are not ours to start).
    Job,
    /// `v1 Service` that selects pods this push rolls out: has a ready endpoint.
    Service,
}

impl WaitKind {
    /// The kind of `key` if a push waits for it.
    pub fn of(key: &ObjectKey) -> Option<WaitKind> {
        match (key.group.as_str(), key.kind.as_str()) {
            ("", "Namespace") => Some(WaitKind::Namespace),
            ("apps", "Deployment") => Some(WaitKind::Deployment),
            ("apps", "StatefulSet") => Some(WaitKind::StatefulSet),
            ("apps", "DaemonSet") => Some(WaitKind::DaemonSet),
            ("batch", "Job") => Some(WaitKind::Job),
            ("", "Service") => Some(WaitKind::Service),
            _ => None,
        }
    }
}

/// Where `object` (as watched, with `status`) stands, for a write that left it at
/// `generation` (`None`: unknown, any observed generation will do).
pub fn readiness(kind: WaitKind, object: &Value, generation: Option<i64>) -> Readiness {
    match kind {
        WaitKind::Namespace => namespace(object),
        WaitKind::Deployment => deployment(object, generation),
        WaitKind::StatefulSet => stateful_set(object, generation),
        WaitKind::DaemonSet => daemon_set(object, generation),
        WaitKind::Job => job(object),
        // Services are judged by their EndpointSlices, see `service_endpoints`.
        WaitKind::Service => Readiness::Waiting("no ready endpoint yet".to_owned()),
    }
}

/// A Service's readiness from the ready endpoints its EndpointSlices list.
pub fn service_endpoints(ready: usize) -> Readiness {
    if ready > 0 {
        Readiness::Ready
    } else {
        Readiness::Waiting("no ready endpoint yet".to_owned())
    }
}

/// The ready endpoints of one EndpointSlice (an endpoint without conditions counts as ready,
/// as the API documents).
pub fn ready_endpoints(slice: &Value) -> usize {
    slice
        .get("endpoints")
        .and_then(Value::as_array)
        .map(|endpoints| {
            endpoints
                .iter()
                .filter(|endpoint| {
                    endpoint
                        .pointer("/conditions/ready")
                        .and_then(Value::as_bool)
                        != Some(false)
                })
                .count()
        })
        .unwrap_or(0)
}

fn namespace(object: &Value) -> Readiness {
    match text(object, "/status/phase") {
        Some("Active") => Readiness::Ready,
        Some("Terminating") => Readiness::Failed("the namespace is being deleted".to_owned()),
        other => Readiness::Waiting(format!("phase {}", other.unwrap_or("unknown"))),
    }
}

/// The controller has not seen our write yet: why, if so.
fn unobserved(object: &Value, generation: Option<i64>) -> Option<Readiness> {
    let wanted = generation.or_else(|| int(object, "/metadata/generation"))?;
    let observed = int(object, "/status/observedGeneration").unwrap_or(0);
    (observed < wanted).then(|| {
        Readiness::Waiting(format!(
            "waiting for the controller to observe generation {wanted} (at {observed})"
        ))
    })
}

fn deployment(object: &Value, generation: Option<i64>) -> Readiness {
    if let Some(waiting) = unobserved(object, generation) {
        return waiting;
    }
    if let Some(progressing) = condition(object, "Progressing")
        && progressing.reason == Some("ProgressDeadlineExceeded")
    {
        return Readiness::Failed(progressing.describe("rollout exceeded its progress deadline"));
    }
    if object.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return Readiness::Failed("the Deployment is paused (spec.paused)".to_owned());
    }
    let wanted = int(object, "/spec/replicas").unwrap_or(1);
    let updated = int(object, "/status/updatedReplicas").unwrap_or(0);
    let replicas = int(object, "/status/replicas").unwrap_or(0);
    let available = int(object, "/status/availableReplicas").unwrap_or(0);
    if updated < wanted {
        return Readiness::Waiting(format!("{updated} of {wanted} replica(s) updated"));
    }
    if replicas > updated {
        return Readiness::Waiting(format!(
            "{} old replica(s) pending termination",
            replicas - updated
        ));
    }
    if available < updated {
        return Readiness::Waiting(format!("{available} of {wanted} replica(s) available"));
    }
    Readiness::Ready
}

fn stateful_set(object: &Value, generation: Option<i64>) -> Readiness {
    if let Some(waiting) = unobserved(object, generation) {
        return waiting;
    }
    let wanted = int(object, "/spec/replicas").unwrap_or(1);
    let ready = int(object, "/status/readyReplicas").unwrap_or(0);
    let on_delete = text(object, "/spec/updateStrategy/type") == Some("OnDelete");
    if !on_delete {
        let partition = int(object, "/spec/updateStrategy/rollingUpdate/partition").unwrap_or(0);
        let updated = int(object, "/status/updatedReplicas").unwrap_or(0);
        if updated < wanted - partition {
            return Readiness::Waiting(format!(
                "{updated} of {} replica(s) updated",
                wanted - partition
            ));
        }
        if partition == 0
            && text(object, "/status/currentRevision") != text(object, "/status/updateRevision")
        {
            return Readiness::Waiting(
                "waiting for the update revision to become current".to_owned(),
            );
        }
    }
    if ready < wanted {
        return Readiness::Waiting(format!("{ready} of {wanted} replica(s) ready"));
    }
    Readiness::Ready
}

fn daemon_set(object: &Value, generation: Option<i64>) -> Readiness {
    if let Some(waiting) = unobserved(object, generation) {
        return waiting;
    }
    let wanted = int(object, "/status/desiredNumberScheduled").unwrap_or(0);
    let updated = int(object, "/status/updatedNumberScheduled").unwrap_or(0);
    let available = int(object, "/status/numberAvailable").unwrap_or(0);
    if text(object, "/spec/updateStrategy/type") != Some("OnDelete") && updated < wanted {
        return Readiness::Waiting(format!("{updated} of {wanted} pod(s) updated"));
    }
    if available < wanted {
        return Readiness::Waiting(format!("{available} of {wanted} pod(s) available"));
    }
    Readiness::Ready
}

fn job(object: &Value) -> Readiness {
    if let Some(failed) = condition(object, "Failed")
        && failed.status == Some("True")
    {
        return Readiness::Failed(failed.describe("the Job failed"));
    }
    if let Some(complete) = condition(object, "Complete")
        && complete.status == Some("True")
    {
        return Readiness::Ready;
    }
    let succeeded = int(object, "/status/succeeded").unwrap_or(0);
    let active = int(object, "/status/active").unwrap_or(0);
    Readiness::Waiting(format!("{active} active, {succeeded} succeeded"))
}

/// One entry of `status.conditions`.
pub(crate) struct Condition<'a> {
    pub kind: &'a str,
    pub status: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub message: Option<&'a str>,
}

impl Condition<'_> {
    /// `what: Reason: message`.
    fn describe(&self, what: &str) -> String {
        let mut out = what.to_owned();
        if let Some(reason) = self.reason {
            out.push_str(&format!(" ({reason})"));
        }
        if let Some(message) = self.message.filter(|m| !m.is_empty()) {
            out.push_str(&format!(": {message}"));
        }
        out
    }

    /// `Available=False (MinimumReplicasUnavailable): message`.
    pub fn line(&self) -> String {
        let mut out = format!("{}={}", self.kind, self.status.unwrap_or("Unknown"));
        if let Some(reason) = self.reason {
            out.push_str(&format!(" ({reason})"));
        }
        if let Some(message) = self.message.filter(|m| !m.is_empty()) {
            out.push_str(&format!(": {message}"));
        }
        out
    }
}

/// Every condition of `object`, in its order.
pub(crate) fn conditions(object: &Value) -> Vec<Condition<'_>> {
    object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(|all| {
            all.iter()
                .filter_map(|c| {
                    Some(Condition {
                        kind: c.get("type")?.as_str()?,
                        status: c.get("status").and_then(Value::as_str),
                        reason: c.get("reason").and_then(Value::as_str),
                        message: c.get("message").and_then(Value::as_str),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn condition<'a>(object: &'a Value, kind: &str) -> Option<Condition<'a>> {
    conditions(object).into_iter().find(|c| c.kind == kind)
}

fn int(object: &Value, pointer: &str) -> Option<i64> {
    object.pointer(pointer).and_then(Value::as_i64)
}

fn text<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn waiting(r: &Readiness) -> &str {
        match r {
            Readiness::Waiting(why) => why,
            other => panic!("expected waiting, got {other:?}"),
        }
    }

    #[test]
    fn a_deployment_is_ready_when_every_replica_is_updated_and_available() {
        let mut d = json!({
            "metadata": {"generation": 2},
            "spec": {"replicas": 3},
            "status": {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3,
                       "availableReplicas": 3}
        });
        assert!(waiting(&readiness(WaitKind::Deployment, &d, Some(2))).contains("generation 2"));
        d["status"]["observedGeneration"] = json!(2);
        d["status"]["updatedReplicas"] = json!(1);
        assert_eq!(
            waiting(&readiness(WaitKind::Deployment, &d, Some(2))),
            "1 of 3 replica(s) updated"
        );
        d["status"]["updatedReplicas"] = json!(3);
        d["status"]["replicas"] = json!(4);
        assert_eq!(
            waiting(&readiness(WaitKind::Deployment, &d, Some(2))),
            "1 old replica(s) pending termination"
        );
        d["status"]["replicas"] = json!(3);
        d["status"]["availableReplicas"] = json!(2);
        assert_eq!(
            waiting(&readiness(WaitKind::Deployment, &d, Some(2))),
            "2 of 3 replica(s) available"
        );
        d["status"]["availableReplicas"] = json!(3);
        assert_eq!(
            readiness(WaitKind::Deployment, &d, Some(2)),
            Readiness::Ready
        );
        // A newer generation than ours (someone wrote after us) is observed too.
        assert_eq!(
            readiness(WaitKind::Deployment, &d, Some(1)),
            Readiness::Ready
        );
    }

    #[test]
    fn a_progress_deadline_is_a_failure_with_the_controllers_message() {
        let d = json!({
            "metadata": {"generation": 1},
            "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
                "conditions": [{"type": "Progressing", "status": "False",
                    "reason": "ProgressDeadlineExceeded",
                    "message": "ReplicaSet \"web-5d\" has timed out progressing."}]}
        });
        assert_eq!(
            readiness(WaitKind::Deployment, &d, Some(1)),
            Readiness::Failed(
                "rollout exceeded its progress deadline (ProgressDeadlineExceeded): ReplicaSet \
                 \"web-5d\" has timed out progressing."
                    .to_owned()
            )
        );
    }

    #[test]
    fn zero_replicas_is_ready_once_observed() {
        let d = json!({"metadata": {"generation": 1}, "spec": {"replicas": 0},
                       "status": {"observedGeneration": 1}});
        assert_eq!(
            readiness(WaitKind::Deployment, &d, Some(1)),
            Readiness::Ready
        );
    }

    #[test]
    fn jobs_complete_or_fail() {
        let running = json!({"status": {"active": 1}});
        assert_eq!(
            waiting(&readiness(WaitKind::Job, &running, None)),
            "1 active, 0 succeeded"
        );
        let done = json!({"status": {"succeeded": 1,
            "conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(readiness(WaitKind::Job, &done, None), Readiness::Ready);
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True",
            "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
        assert_eq!(
            readiness(WaitKind::Job, &failed, None),
            Readiness::Failed(
                "the Job failed (BackoffLimitExceeded): Job has reached the specified backoff limit"
                    .to_owned()
            )
        );
    }

    #[test]
    fn stateful_sets_wait_for_the_update_revision() {
        let mut s = json!({"metadata": {"generation": 1}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 2,
                       "currentRevision": "a", "updateRevision": "b"}});
        assert!(waiting(&readiness(WaitKind::StatefulSet, &s, Some(1))).contains("revision"));
        s["status"]["currentRevision"] = json!("b");
        assert_eq!(
            readiness(WaitKind::StatefulSet, &s, Some(1)),
            Readiness::Ready
        );
    }

    #[test]
    fn daemon_sets_count_scheduled_pods() {
        let d = json!({"metadata": {"generation": 1},
            "status": {"observedGeneration": 1, "desiredNumberScheduled": 3,
                       "updatedNumberScheduled": 3, "numberAvailable": 1}});
        assert_eq!(
            waiting(&readiness(WaitKind::DaemonSet, &d, Some(1))),
            "1 of 3 pod(s) available"
        );
    }

    #[test]
    fn namespaces_are_ready_when_active() {
        assert_eq!(
            readiness(
                WaitKind::Namespace,
                &json!({"status": {"phase": "Active"}}),
                None
            ),
            Readiness::Ready
        );
        assert!(matches!(
            readiness(
                WaitKind::Namespace,
                &json!({"status": {"phase": "Terminating"}}),
                None
            ),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn endpoints_without_conditions_count_as_ready() {
        let slice = json!({"endpoints": [
            {"addresses": ["10.0.0.1"]},
            {"addresses": ["10.0.0.2"], "conditions": {"ready": false}},
            {"addresses": ["10.0.0.3"], "conditions": {"ready": true}}
        ]});
        assert_eq!(ready_endpoints(&slice), 2);
        assert_eq!(
            service_endpoints(0),
            Readiness::Waiting("no ready endpoint yet".to_owned())
        );
    }
}
