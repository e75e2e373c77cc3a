//! `apps/v1 DaemonSet`: `spec.selector` is fixed at creation. Recreating would stop every pod
//! at once, so a selector change is refused.

use serde_json::Value;
use sisyphus_core::desired::ObjectKey;

use super::{Immutable, block_changed, delete_or_rename};

/// The DaemonSet fields that changed and cannot be changed by Sisyphus.
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

    fn object(app: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
            "spec": {"selector": {"matchLabels": {"app": app}}}})
    }

    #[test]
    fn selector_is_blocked() {
        let k = key("apps/v1", "DaemonSet", "agent");
        let found = immutable(&k, &object("a"), &object("b"));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].field.as_str(), found[0].fix),
            ("spec.selector", Fix::Block)
        );
        assert!(
            found[0].reason.contains("daemonset.apps"),
            "{}",
            found[0].reason
        );
        assert!(immutable(&k, &object("a"), &object("a")).is_empty());
    }
}
