//! Desired objects: the Kubernetes objects render produces and diff consumes, keyed by
//! [`ObjectKey`] and carrying where each one came from.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::production::{ResourceKind, SourceLocation};

/// The identity of one Kubernetes object in one cluster.
///
/// Ordered by cluster, group, kind, namespace, name, then version, so listings and diffs never
/// depend on hash order. The core group is the empty string; cluster-scoped objects have no
/// namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectKey {
    /// The cluster: a kubeconfig context name.
    pub cluster: String,
    /// API group (`""` for the core group, `apps`, `batch`, ...).
    pub group: String,
    /// API version (`v1`).
    pub version: String,
    /// Kind (`Deployment`).
    pub kind: String,
    /// Namespace, `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectKey {
    /// The `apiVersion` field: `v1` for the core group, `group/version` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Split an `apiVersion` into `(group, version)`: `apps/v1` → `("apps", "v1")`,
    /// `v1` → `("", "v1")`.
    pub fn split_api_version(api_version: &str) -> (&str, &str) {
        api_version.split_once('/').unwrap_or(("", api_version))
    }

    fn sort_key(&self) -> (&str, &str, &str, Option<&str>, &str, &str) {
        (
            &self.cluster,
            &self.group,
            &self.kind,
            self.namespace.as_deref(),
            &self.name,
            &self.version,
        )
    }
}

impl Ord for ObjectKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for ObjectKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ObjectKey {
    /// `` `cluster` apps/v1 Deployment echo/echo `` (no namespace part for cluster-scoped).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` {} {} ",
            self.cluster,
            self.api_version(),
            self.kind
        )?;
        match &self.namespace {
            Some(ns) => write!(f, "{ns}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The Sisyphus resource an object was rendered from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceId {
    /// Its Sisyphus kind.
    pub kind: ResourceKind,
    /// The folder that declares it (a namespace name, or `global`).
    pub folder: String,
    /// `metadata.name`.
    pub name: String,
}

impl ResourceId {
    /// `Deployment/web/echo`: the form pauses, pins, `--resource` and the dashboard's paths use.
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.kind, self.folder, self.name)
    }
}

impl fmt::Display for ResourceId {
    /// `Deployment echo/echo`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.folder, self.name)
    }
}

/// The config image and binary image behind a rendered Deployment, CronJob or Service.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConfigOrigin {
    /// The pinned config image, `repository@sha256:...`.
    pub config_image: String,
    /// The pinned binary image, `repository@sha256:...`.
    pub binary_image: String,
}

/// One desired object and where it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesiredObject {
    /// The object, as it would be sent with server-side apply.
    pub object: serde_json::Value,
    /// The resource that declared it; `None` for objects Sisyphus adds itself (a Namespace
    /// implied by the objects in it).
    pub resource: Option<ResourceId>,
    /// Where it is declared (the resource, or the object inside a KubernetesYaml source).
    pub location: Option<SourceLocation>,
    /// The config behind it, for objects rendered from a config image.
    pub config: Option<ConfigOrigin>,
    /// Whether it is a `v1 Secret` (its values are never stored or clobbered).
    pub secret: bool,
}

/// Every desired object of a push, sorted by [`ObjectKey`].
pub type DesiredObjects = BTreeMap<ObjectKey, DesiredObject>;

#[cfg(test)]
mod tests {
    use super::*;

    fn key(
        cluster: &str,
        api_version: &str,
        kind: &str,
        ns: Option<&str>,
        name: &str,
    ) -> ObjectKey {
        let (group, version) = ObjectKey::split_api_version(api_version);
        ObjectKey {
            cluster: cluster.into(),
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            namespace: ns.map(Into::into),
            name: name.into(),
        }
    }

    #[test]
    fn api_version_round_trips() {
        let k = key("c", "apps/v1", "Deployment", Some("ns"), "n");
        assert_eq!((k.group.as_str(), k.version.as_str()), ("apps", "v1"));
        assert_eq!(k.api_version(), "apps/v1");
        let k = key("c", "v1", "Namespace", None, "ns");
        assert_eq!(k.group, "");
        assert_eq!(k.api_version(), "v1");
        assert_eq!(k.to_string(), "`c` v1 Namespace ns");
    }

    #[test]
    fn orders_by_cluster_group_kind_namespace_name() {
        let mut keys = [
            key("b", "v1", "Service", Some("a"), "x"),
            key("a", "apps/v1", "Deployment", Some("a"), "x"),
            key("a", "v1", "Service", Some("b"), "x"),
            key("a", "v1", "Namespace", None, "z"),
            key("a", "v1", "Service", Some("a"), "y"),
        ];
        keys.sort();
        let shown: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "`a` v1 Namespace z",
                "`a` v1 Service a/y",
                "`a` v1 Service b/x",
                "`a` apps/v1 Deployment a/x",
                "`b` v1 Service a/x",
            ]
        );
    }
}
