//! `v1 ConfigMap`: one marked `immutable: true` cannot change its data, nor lose the mark.
//! Recreating is safe: the data is all in the files; pods already running keep the old contents
//! until they restart.

use serde_json::Value;
use sisyphus_core::desired::ObjectKey;

use super::{Immutable, at, recreate_changed};

const FIELDS: [&[&str]; 3] = [&["data"], &["binaryData"], &["immutable"]];

/// The ConfigMap fields that changed and force a recreate (only when it was immutable).
pub(super) fn immutable(key: &ObjectKey, before: &Value, after: &Value) -> Vec<Immutable> {
    if at(before, &["immutable"]) != Some(&Value::Bool(true)) {
        return Vec::new();
    }
    recreate_changed(
        key,
        before,
        after,
        &FIELDS,
        "it was marked `immutable: true`; running pods keep the old contents until they restart",
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Fix, test_util::key};
    use super::*;
    use serde_json::json;

    fn map(immutable: bool, value: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "immutable": immutable, "data": {"a": value}})
    }

    #[test]
    fn data_of_an_immutable_map_recreates() {
        let k = key("v1", "ConfigMap", "settings");
        let found = immutable(&k, &map(true, "x"), &map(true, "y"));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].field.as_str(), found[0].fix),
            ("data", Fix::Recreate)
        );
        assert!(immutable(&k, &map(false, "x"), &map(false, "y")).is_empty());
        assert!(immutable(&k, &map(false, "x"), &map(true, "y")).is_empty());
        let unmarked = immutable(&k, &map(true, "x"), &map(false, "x"));
        assert_eq!(unmarked[0].field, "immutable");
    }
}
