//! `v1 Secret`: `type` never changes, and one marked `immutable: true` cannot change its keys
//! nor lose the mark. Values are masked on both sides, so only key names are compared.
//! Recreating is refused: the new Secret would hold the values in the files, not the ones in
//! the cluster, and Sisyphus never overwrites a Secret's values.

use serde_json::Value;
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::secret;

use super::{Immutable, at, block, delete_or_rename};

const HARM: &str = "replace the values in the cluster with the ones in the files (Sisyphus never \
                    overwrites a Secret's values)";

/// The Secret fields that changed and are refused.
pub(super) fn immutable(key: &ObjectKey, before: &Value, after: &Value) -> Vec<Immutable> {
    let secret_type = |object: &Value| {
        at(object, &["type"])
            .and_then(Value::as_str)
            .unwrap_or("Opaque")
            .to_owned()
    };
    let remedy = delete_or_rename(key, "");
    let mut found = Vec::new();
    if secret_type(before) != secret_type(after) {
        found.push(block(key, "type", HARM, &remedy));
    }
    if at(before, &["immutable"]) == Some(&Value::Bool(true)) {
        if secret::secret_keys(before) != secret::secret_keys(after) {
            found.push(block(key, "data", HARM, &remedy));
        }
        if at(after, &["immutable"]) != Some(&Value::Bool(true)) {
            found.push(block(key, "immutable", HARM, &remedy));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::super::{Fix, test_util::key};
    use super::*;
    use serde_json::json;

    fn masked(immutable: bool, keys: &[&str]) -> Value {
        let data: serde_json::Map<String, Value> = keys
            .iter()
            .map(|k| ((*k).to_owned(), json!(secret::MASK)))
            .collect();
        json!({"apiVersion": "v1", "kind": "Secret", "immutable": immutable, "data": data})
    }

    #[test]
    fn keys_of_an_immutable_secret_are_blocked() {
        let k = key("v1", "Secret", "tokens");
        let found = immutable(&k, &masked(true, &["a"]), &masked(true, &["a", "b"]));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].field.as_str(), found[0].fix),
            ("data", Fix::Block)
        );
        assert!(
            found[0].reason.contains("never overwrites"),
            "{}",
            found[0].reason
        );
        assert!(immutable(&k, &masked(true, &["a"]), &masked(true, &["a"])).is_empty());
        assert!(immutable(&k, &masked(false, &["a"]), &masked(false, &["a", "b"])).is_empty());
    }

    #[test]
    fn type_is_blocked_opaque_is_the_default() {
        let k = key("v1", "Secret", "tokens");
        let mut typed = masked(false, &["a"]);
        typed["type"] = json!("Opaque");
        assert!(immutable(&k, &masked(false, &["a"]), &typed).is_empty());
        typed["type"] = json!("kubernetes.io/tls");
        assert_eq!(
            immutable(&k, &masked(false, &["a"]), &typed)[0].field,
            "type"
        );
    }
}
