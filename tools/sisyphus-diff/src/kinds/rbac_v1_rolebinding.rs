//! `rbac.authorization.k8s.io/v1 RoleBinding` and `ClusterRoleBinding`: `roleRef` is fixed at
//! creation. Recreating is safe: the subjects lose the old role for the moment between the
//! delete and the create.

use serde_json::Value;
use sisyphus_core::desired::ObjectKey;

use super::{Immutable, recreate_changed};

/// The binding fields that changed and force a recreate.
pub(super) fn immutable(key: &ObjectKey, before: &Value, after: &Value) -> Vec<Immutable> {
    recreate_changed(
        key,
        before,
        after,
        &[&["roleRef"]],
        "its subjects hold no role for a moment",
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Fix, test_util::key};
    use super::*;
    use serde_json::json;

    #[test]
    fn role_ref_recreates() {
        let k = key("rbac.authorization.k8s.io/v1", "RoleBinding", "read");
        let binding =
            |role: &str| json!({"roleRef": {"kind": "Role", "name": role}, "subjects": []});
        let found = immutable(&k, &binding("a"), &binding("b"));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].field.as_str(), found[0].fix),
            ("roleRef", Fix::Recreate)
        );
        assert!(immutable(&k, &binding("a"), &binding("a")).is_empty());
    }
}
