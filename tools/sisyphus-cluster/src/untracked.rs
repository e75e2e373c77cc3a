//! "Does anything Sisyphus does not track live in this namespace?", asked before a namespace
//! whose last tracked object went is deleted.
//!
//! Every namespaced kind the cluster serves and can list (its preferred version, from the
//! cached discovery) is listed in the namespace, metadata only, 8 lists at a time. What the
//! cluster creates by itself is not counted ([`is_automatic`]):
//!
//! - events (`v1 Event`, `events.k8s.io Event`);
//! - the `default` ServiceAccount (service-account controller) and the `kube-root-ca.crt`
//!   ConfigMap (root-CA publisher), present in every namespace;
//! - objects with an owner reference (ReplicaSets, Pods, EndpointSlices, Jobs of CronJobs...):
//!   their owner is listed itself, and the garbage collector removes them with it;
//! - a `v1 Endpoints` named after a Service of the namespace (tracked or listed): the
//!   endpoints controller keeps it, without an owner reference;
//! - the `metrics.k8s.io` kinds, which are views of Pods and Nodes, not objects.
//!
//! A fresh namespace of the test cluster (kube-apiserver + kube-controller-manager 1.35) holds
//! exactly the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap (see the
//! `untracked` tests).

use std::collections::BTreeSet;

use futures::{StreamExt as _, TryStreamExt as _};
use kube::api::ObjectMeta;
use kube::discovery::{Scope, verbs};
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::live::ListScope;
use sisyphus_core::state::ObjectId;

use crate::connect::Cluster;
use crate::error::Error;

/// Lists sent at once by [`Cluster::untracked_in_namespace`].
const LIST_CONCURRENCY: usize = 8;

/// Whether an object of `group`/`kind` named `name` is one the cluster creates by itself
/// (see [`Cluster::untracked_in_namespace`]), not counting owner references or Endpoints.
pub fn is_automatic(group: &str, kind: &str, name: &str) -> bool {
    matches!(
        (group, kind, name),
        ("" | "events.k8s.io", "Event", _)
            | ("", "ServiceAccount", "default")
            | ("", "ConfigMap", "kube-root-ca.crt")
            | ("metrics.k8s.io", _, _)
    )
}

impl Cluster {
    /// The objects in `namespace` that are not in `tracked` and not made by the cluster
    /// itself, sorted. Pass in `tracked` every object Sisyphus tracks in the namespace,
    /// including those it just deleted (a deleted Service's Endpoints may linger a moment).
    ///
    /// Every namespaced kind the cluster serves and can list (its preferred version, from
    /// the cached discovery) is listed, metadata only, 8 lists at a time (about 30 requests
    /// on the test cluster). Not counted:
    ///
    /// - events (`v1 Event`, `events.k8s.io Event`);
    /// - the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap, which the
    ///   controllers put in every namespace (a fresh namespace of the test cluster holds
    ///   exactly these two);
    /// - objects with an owner reference (ReplicaSets, Pods, EndpointSlices, ...): their
    ///   owner is listed itself, and the garbage collector removes them with it;
    /// - a `v1 Endpoints` named after a Service of the namespace (tracked or listed);
    /// - the `metrics.k8s.io` kinds, views of Pods and Nodes rather than objects.
    ///
    /// # Errors
    ///
    /// [`Error::Discovery`]; the first failed list ([`Error::Api`], [`Error::Request`]).
    pub async fn untracked_in_namespace(
        &self,
        namespace: &str,
        tracked: &BTreeSet<ObjectId>,
    ) -> Result<Vec<ObjectKey>, Error> {
        let discovery = self.discovery().await?;
        let mut scopes = Vec::new();
        for group in discovery.groups() {
            for (resource, capabilities) in group.recommended_resources() {
                if capabilities.scope != Scope::Namespaced
                    || !capabilities.supports_operation(verbs::LIST)
                    || resource.kind == "Event"
                        && matches!(resource.group.as_str(), "" | "events.k8s.io")
                    || resource.group == "metrics.k8s.io"
                {
                    continue;
                }
                scopes.push(ListScope {
                    cluster: self.name().to_owned(),
                    group: resource.group.clone(),
                    version: resource.version.clone(),
                    kind: resource.kind.clone(),
                    namespace: Some(namespace.to_owned()),
                });
            }
        }
        let lists: Vec<Vec<(ObjectKey, ObjectMeta)>> = futures::stream::iter(scopes)
            .map(|scope| async move { self.list_meta(&scope).await })
            .buffer_unordered(LIST_CONCURRENCY)
            .try_collect()
            .await?;
        let found: Vec<(ObjectKey, ObjectMeta)> = lists.into_iter().flatten().collect();
        let services: BTreeSet<&str> = found
            .iter()
            .filter(|(key, _)| key.group.is_empty() && key.kind == "Service")
            .map(|(key, _)| key.name.as_str())
            .chain(
                tracked
                    .iter()
                    .filter(|id| id.group.is_empty() && id.kind == "Service")
                    .map(|id| id.name.as_str()),
            )
            .collect();
        let mut untracked: Vec<ObjectKey> = found
            .iter()
            .filter(|(key, metadata)| is_untracked(key, metadata, tracked, &services))
            .map(|(key, _)| key.clone())
            .collect();
        untracked.sort();
        Ok(untracked)
    }

    /// One kind's objects in a namespace with their metadata (paged like [`Cluster::list`]).
    async fn list_meta(&self, scope: &ListScope) -> Result<Vec<(ObjectKey, ObjectMeta)>, Error> {
        let objects = self
            .list_raw(scope, crate::operations::METADATA_PAGE_SIZE, false)
            .await?;
        Ok(objects
            .into_iter()
            .map(|(metadata, _)| (self.key_in(scope, &metadata), metadata))
            .collect())
    }
}

/// Whether `key` counts as untracked (see the module documentation).
fn is_untracked(
    key: &ObjectKey,
    metadata: &ObjectMeta,
    tracked: &BTreeSet<ObjectId>,
    services: &BTreeSet<&str>,
) -> bool {
    let owned = metadata
        .owner_references
        .as_ref()
        .is_some_and(|owners| !owners.is_empty());
    let service_endpoints =
        key.group.is_empty() && key.kind == "Endpoints" && services.contains(key.name.as_str());
    !owned
        && !service_endpoints
        && !is_automatic(&key.group, &key.kind, &key.name)
        && !tracked.contains(&ObjectId::of(key))
}
