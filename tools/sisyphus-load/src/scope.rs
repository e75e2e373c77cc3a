//! Which Kubernetes kinds are cluster-scoped: a built-in table of the core API, plus the
//! CustomResourceDefinitions declared in the production folder.

use std::collections::BTreeMap;

use sisyphus_core::production::{Resource, ResourceSpec};

/// (group, kind) of every cluster-scoped kind of the core Kubernetes API (1.34).
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "ComponentStatus"),
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("internal.apiserver.k8s.io", "StorageVersion"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("resource.k8s.io", "DeviceClass"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
];

/// The group of an `apiVersion`: `apps` for `apps/v1`, `` for `v1`.
pub(crate) fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Scopes known from the built-in table and from declared CRDs.
pub(crate) struct Scopes {
    crds: BTreeMap<(String, String), bool>,
}

impl Scopes {
    /// The built-in table plus every CRD declared in `resources`.
    pub fn new(resources: &[Resource]) -> Self {
        let mut crds = BTreeMap::new();
        for resource in resources {
            let ResourceSpec::KubernetesYaml(spec) = &resource.spec else {
                continue;
            };
            for object in &spec.objects {
                let o = &object.object;
                if group_of(str_at(o, &["apiVersion"]).unwrap_or_default())
                    != "apiextensions.k8s.io"
                    || str_at(o, &["kind"]) != Some("CustomResourceDefinition")
                {
                    continue;
                }
                if let (Some(group), Some(kind), Some(scope)) = (
                    str_at(o, &["spec", "group"]),
                    str_at(o, &["spec", "names", "kind"]),
                    str_at(o, &["spec", "scope"]),
                ) {
                    crds.insert((group.to_string(), kind.to_string()), scope == "Cluster");
                }
            }
        }
        Scopes { crds }
    }

    /// Whether objects of `kind` in `api_version` are cluster-scoped. Kinds that are neither in
    /// the table nor declared as CRDs count as namespaced.
    pub fn is_cluster_scoped(&self, api_version: &str, kind: &str) -> bool {
        let group = group_of(api_version);
        CLUSTER_SCOPED.contains(&(group, kind))
            || !self.crds.is_empty()
                && self
                    .crds
                    .get(&(group.to_string(), kind.to_string()))
                    .copied()
                    .unwrap_or(false)
    }
}

/// The string at `path` in a JSON object.
pub(crate) fn str_at<'v>(value: &'v serde_json::Value, path: &[&str]) -> Option<&'v str> {
    let mut v = value;
    for key in path {
        v = v.get(key)?;
    }
    v.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_table_and_groups() {
        let scopes = Scopes::new(&[]);
        assert!(scopes.is_cluster_scoped("v1", "Namespace"));
        assert!(scopes.is_cluster_scoped("rbac.authorization.k8s.io/v1", "ClusterRole"));
        assert!(!scopes.is_cluster_scoped("rbac.authorization.k8s.io/v1", "Role"));
        assert!(!scopes.is_cluster_scoped("v1", "Secret"));
        assert!(!scopes.is_cluster_scoped("example.com/v1", "Namespace"));
        assert_eq!(group_of("apps/v1"), "apps");
        assert_eq!(group_of("v1"), "");
    }
}
