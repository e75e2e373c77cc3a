//! The order objects are written in: what others depend on first. Deletions run in reverse.

use sisyphus_core::desired::ObjectKey;

/// The phases of one cluster's apply, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Phase {
    /// `v1 Namespace`.
    Namespaces,
    /// `apiextensions.k8s.io CustomResourceDefinition` (then wait until established).
    Crds,
    /// Every other cluster-scoped object (ClusterRoles, StorageClasses, ...).
    ClusterScoped,
    /// ServiceAccounts, ConfigMaps, Secrets, RBAC, storage claims: what workloads use.
    Dependencies,
    /// Services, workloads and everything else namespaced.
    Workloads,
}

/// The phase `key` is written in.
pub(crate) fn phase(key: &ObjectKey) -> Phase {
    match (
        key.group.as_str(),
        key.kind.as_str(),
        key.namespace.is_some(),
    ) {
        ("", "Namespace", _) => Phase::Namespaces,
        ("apiextensions.k8s.io", "CustomResourceDefinition", _) => Phase::Crds,
        (_, _, false) => Phase::ClusterScoped,
        ("", "ServiceAccount" | "ConfigMap" | "Secret" | "PersistentVolumeClaim", true)
        | ("rbac.authorization.k8s.io", "Role" | "RoleBinding", true) => Phase::Dependencies,
        _ => Phase::Workloads,
    }
}

/// Every phase, in write order.
pub(crate) const PHASES: [Phase; 5] = [
    Phase::Namespaces,
    Phase::Crds,
    Phase::ClusterScoped,
    Phase::Dependencies,
    Phase::Workloads,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn key(api_version: &str, kind: &str, namespace: Option<&str>) -> ObjectKey {
        let (group, version) = ObjectKey::split_api_version(api_version);
        ObjectKey {
            cluster: "c".into(),
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            namespace: namespace.map(Into::into),
            name: "n".into(),
        }
    }

    #[test]
    fn dependencies_come_before_what_uses_them() {
        let order = [
            key("v1", "Namespace", None),
            key("apiextensions.k8s.io/v1", "CustomResourceDefinition", None),
            key("rbac.authorization.k8s.io/v1", "ClusterRole", None),
            key("v1", "Secret", Some("ns")),
            key("rbac.authorization.k8s.io/v1", "RoleBinding", Some("ns")),
            key("apps/v1", "Deployment", Some("ns")),
        ];
        let phases: Vec<Phase> = order.iter().map(phase).collect();
        let mut sorted = phases.clone();
        sorted.sort();
        assert_eq!(phases, sorted);
        assert_eq!(phase(&key("v1", "Service", Some("ns"))), Phase::Workloads);
        assert_eq!(
            phase(&key("v1", "ServiceAccount", Some("ns"))),
            Phase::Dependencies
        );
    }
}
