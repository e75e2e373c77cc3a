//! `apps/v1 Deployment`: `spec.selector` is fixed at creation. Recreating would stop every pod
//! at once, so a selector change is refused.

use serde_json::Value;
use sisyphus_core::desired::ObjectKey;

use super::{Immutable, block_changed, delete_or_rename};

/// The Deployment fields that changed and cannot be changed by Sisyphus.
pub(super) fn immutable(key: &ObjectKey, before: &Value, after: &Value) -> Vec<Immutable> {
    block_changed(
        key,
        before,
        after,
        &[&["spec", "selector"]],
        "stop all its pods at once",
        &delete_or_rename(key, ""),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Fix, test_util::key};
    use super::*;
    use serde_json::json;

    fn deployment(app: &str, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": app}},
                     "template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
    }

    #[test]
    fn selector_is_blocked_template_is_not() {
        let k = key("apps/v1", "Deployment", "web");
        let found = immutable(&k, &deployment("a", "x"), &deployment("b", "x"));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].field.as_str(), found[0].fix),
            ("spec.selector", Fix::Block)
        );
        assert_eq!(
            found[0].reason,
            "`spec.selector` of a Deployment cannot change in place, and recreating it would stop \
             all its pods at once: delete it by hand (`kubectl --context c delete \
             deployment.apps -n ns web`) and push again, or rename it"
        );
        assert!(immutable(&k, &deployment("a", "x"), &deployment("a", "y")).is_empty());
    }
}
