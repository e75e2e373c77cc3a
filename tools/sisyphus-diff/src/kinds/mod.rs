//! Immutable fields, one file per kind (`<group>_<version>_<kind>.rs`, like kapp's
//! `resourcesmisc`). In come the recorded object and the desired one, both masked; out go the
//! fields that changed but cannot change in place, each with whether recreating the object is
//! safe and a reason that says which field, why, and what to do. Touches nothing.
//!
//! Only changed objects get here, so these checks may parse and walk whole objects.

mod apps_v1_daemonset;
mod apps_v1_deployment;
mod apps_v1_replicaset;
mod apps_v1_statefulset;
mod batch_v1_job;
mod rbac_v1_rolebinding;
mod v1_configmap;
mod v1_persistentvolumeclaim;
mod v1_secret;
mod v1_service;

use serde_json::Value;
use sisyphus_core::desired::ObjectKey;

/// What to do about an immutable field that changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fix {
    /// Delete the object and create it again: safe for this kind.
    Recreate,
    /// Refuse: recreating would lose something (pods, data, secret values).
    Block,
}

/// One immutable field that changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Immutable {
    /// The field, as a path (`spec.selector`).
    pub(crate) field: String,
    /// Recreate or refuse.
    pub(crate) fix: Fix,
    /// The field, why it matters, and what happens or what to do.
    pub(crate) reason: String,
}

/// The immutable fields that changed between `before` (recorded) and `after` (desired).
pub(crate) fn immutable(key: &ObjectKey, before: &Value, after: &Value) -> Vec<Immutable> {
    match (key.group.as_str(), key.kind.as_str()) {
        ("batch", "Job") => batch_v1_job::immutable(key, before, after),
        ("apps", "Deployment") => apps_v1_deployment::immutable(key, before, after),
        ("apps", "DaemonSet") => apps_v1_daemonset::immutable(key, before, after),
        ("apps", "ReplicaSet") => apps_v1_replicaset::immutable(key, before, after),
        ("apps", "StatefulSet") => apps_v1_statefulset::immutable(key, before, after),
        ("", "Service") => v1_service::immutable(key, before, after),
        ("", "PersistentVolumeClaim") => v1_persistentvolumeclaim::immutable(key, before, after),
        ("", "ConfigMap") => v1_configmap::immutable(key, before, after),
        ("", kind) if kind.eq_ignore_ascii_case("Secret") => {
            v1_secret::immutable(key, before, after)
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            rbac_v1_rolebinding::immutable(key, before, after)
        }
        _ => Vec::new(),
    }
}

/// The value at `path`; a null counts as absent (the API server drops it).
pub(crate) fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut here = value;
    for part in path {
        here = here.get(part)?;
    }
    (!here.is_null()).then_some(here)
}

/// Whether the value at `path` differs.
pub(crate) fn changed(before: &Value, after: &Value, path: &[&str]) -> bool {
    at(before, path) != at(after, path)
}

/// `spec.template` for `["spec", "template"]`.
pub(crate) fn dotted(path: &[&str]) -> String {
    path.join(".")
}

/// A short, one-line form of a value for a reason: `` `10.0.0.1` ``, or `(none)`.
pub(crate) fn shown(value: Option<&Value>) -> String {
    const MAX: usize = 60;
    let Some(value) = value else {
        return "(none)".to_owned();
    };
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("`{cut}…`")
    } else {
        format!("`{text}`")
    }
}

/// `` `kubectl --context c delete deployment.apps -n ns name` `` (with `flags` before the name).
pub(crate) fn kubectl_delete(key: &ObjectKey, flags: &str) -> String {
    let mut resource = key.kind.to_lowercase();
    if !key.group.is_empty() {
        resource.push('.');
        resource.push_str(&key.group);
    }
    let namespace = key
        .namespace
        .as_deref()
        .map(|ns| format!(" -n {ns}"))
        .unwrap_or_default();
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(" {flags}")
    };
    format!(
        "`kubectl --context {} delete {resource}{namespace}{flags} {}`",
        key.cluster, key.name
    )
}

/// The fields among `paths` that changed, each to be recreated because of `consequence`
/// (what recreating does, e.g. "the Job runs again").
pub(crate) fn recreate_changed(
    key: &ObjectKey,
    before: &Value,
    after: &Value,
    paths: &[&[&str]],
    consequence: &str,
) -> Vec<Immutable> {
    paths
        .iter()
        .filter(|path| changed(before, after, path))
        .map(|path| Immutable {
            field: dotted(path),
            fix: Fix::Recreate,
            reason: format!(
                "`{}` of a {} cannot change in place: it is deleted and created again ({consequence})",
                dotted(path),
                key.kind
            ),
        })
        .collect()
}

/// The fields among `paths` that changed, each refused because recreating would do `harm`;
/// `remedy` says what to do instead.
pub(crate) fn block_changed(
    key: &ObjectKey,
    before: &Value,
    after: &Value,
    paths: &[&[&str]],
    harm: &str,
    remedy: &str,
) -> Vec<Immutable> {
    paths
        .iter()
        .filter(|path| changed(before, after, path))
        .map(|path| block(key, &dotted(path), harm, remedy))
        .collect()
}

/// One refused field.
pub(crate) fn block(key: &ObjectKey, field: &str, harm: &str, remedy: &str) -> Immutable {
    Immutable {
        field: field.to_owned(),
        fix: Fix::Block,
        reason: format!(
            "`{field}` of a {} cannot change in place, and recreating it would {harm}: {remedy}",
            key.kind
        ),
    }
}

/// The usual remedy: delete it by hand (the command), then push again, or rename it.
pub(crate) fn delete_or_rename(key: &ObjectKey, flags: &str) -> String {
    format!(
        "delete it by hand ({}) and push again, or rename it",
        kubectl_delete(key, flags)
    )
}

#[cfg(test)]
pub(crate) mod test_util {
    //! A key for the per-kind tests.

    use sisyphus_core::desired::ObjectKey;

    pub(crate) fn key(api_version: &str, kind: &str, name: &str) -> ObjectKey {
        let (group, version) = ObjectKey::split_api_version(api_version);
        ObjectKey {
            cluster: "c".into(),
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            namespace: Some("ns".into()),
            name: name.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::key;
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_are_absent_and_values_are_short() {
        let value = json!({"spec": {"a": null, "b": "x".repeat(100)}});
        assert_eq!(at(&value, &["spec", "a"]), None);
        assert!(!changed(&value, &json!({"spec": {}}), &["spec", "a"]));
        assert_eq!(shown(None), "(none)");
        assert_eq!(shown(at(&value, &["spec", "b"])).chars().count(), 63);
    }

    #[test]
    fn kubectl_commands_name_group_namespace_and_flags() {
        let k = key("apps/v1", "StatefulSet", "db");
        assert_eq!(
            kubectl_delete(&k, "--cascade=orphan"),
            "`kubectl --context c delete statefulset.apps -n ns --cascade=orphan db`"
        );
        let mut ns = key("v1", "Namespace", "web");
        ns.namespace = None;
        assert_eq!(
            kubectl_delete(&ns, ""),
            "`kubectl --context c delete namespace web`"
        );
    }
}
