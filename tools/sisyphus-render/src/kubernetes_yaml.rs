//! `KubernetesYaml`: the objects as load read them, one copy per listed cluster.

use sisyphus_core::production::{KubernetesObject, SourceLocation};

use crate::error::Problem;

/// An object's identity without the cluster: `(group, version, kind, namespace, name)`.
pub(crate) struct Identity {
    /// API group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

/// The identity of `object`, or the problem with it and where.
pub(crate) fn identity(object: &KubernetesObject) -> Result<Identity, (SourceLocation, Problem)> {
    let field = |path: &[&str]| {
        path.iter()
            .try_fold(&object.object, |v, k| v.get(k))
            .and_then(|v| v.as_str())
    };
    let missing = |field: &'static str| (object.location.clone(), Problem::ObjectField { field });
    let api_version = field(&["apiVersion"]).ok_or_else(|| missing("apiVersion"))?;
    let kind = field(&["kind"]).ok_or_else(|| missing("kind"))?;
    let name = field(&["metadata", "name"]).ok_or_else(|| missing("metadata.name"))?;
    let (group, version) = sisyphus_core::desired::ObjectKey::split_api_version(api_version);
    Ok(Identity {
        group: group.to_owned(),
        version: version.to_owned(),
        kind: kind.to_owned(),
        namespace: field(&["metadata", "namespace"]).map(str::to_owned),
        name: name.to_owned(),
    })
}
