//! The one secret masker. Every view of an object that leaves memory (terminal, JSON output,
//! diffs, the state database, errors) goes through [`masked`]; nothing else replaces Secret
//! values. Like kapp's masked resources, it works on a copy and leaves the original alone.
//!
//! A *secret-holding* object is a core-group `Secret` (kind compared without regard to case, so
//! a mistyped `secret` is masked too, before the API server would refuse it). Its `data` and
//! `stringData` values are replaced by [`MASK`]; keys stay, since their names are not secret and
//! diff and apply need them. The `kubectl.kubernetes.io/last-applied-configuration` annotation
//! (which `kubectl apply` fills with the values in clear) is dropped from every object.

use serde_json::Value;

/// What a masked secret value is shown and stored as.
pub const MASK: &str = "****";

/// The annotation `kubectl apply` writes with the whole object in clear.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Fields of a Secret that hold values.
pub const SECRET_VALUE_FIELDS: [&str; 2] = ["data", "stringData"];

/// Whether `api_version`/`kind` name a Secret (kind in any case).
pub fn is_secret_kind(api_version: &str, kind: &str) -> bool {
    api_version == "v1" && kind.eq_ignore_ascii_case("Secret")
}

/// Whether `object` holds secret values (see [`is_secret_kind`]).
pub fn holds_secrets(object: &Value) -> bool {
    let text = |field: &str| object.get(field).and_then(Value::as_str).unwrap_or("");
    is_secret_kind(text("apiVersion"), text("kind"))
}

/// A copy of `object` that is safe to show or store: secret values replaced by [`MASK`] (a
/// value field that is not a mapping is masked whole), and the last-applied annotation gone.
pub fn masked(object: &Value) -> Value {
    let mut copy = object.clone();
    mask_in_place(&mut copy);
    copy
}

/// Whether [`masked`] would leave `object` as it is (nothing to hide or strip), without copying
/// it: diff hashes such an object directly.
pub fn is_masked(object: &Value) -> bool {
    if holds_secrets(object) {
        return false;
    }
    match object.get("metadata").and_then(|m| m.get("annotations")) {
        Some(Value::Object(annotations)) => {
            !annotations.is_empty() && !annotations.contains_key(LAST_APPLIED_ANNOTATION)
        }
        _ => true,
    }
}

/// [`masked`], in place.
pub fn mask_in_place(object: &mut Value) {
    if holds_secrets(object) {
        for field in SECRET_VALUE_FIELDS {
            match object.get_mut(field) {
                Some(Value::Object(values)) => {
                    for value in values.values_mut() {
                        *value = Value::String(MASK.to_owned());
                    }
                }
                Some(Value::Null) | None => {}
                Some(other) => *other = Value::String(MASK.to_owned()),
            }
        }
    }
    strip_last_applied(object);
}

/// [`masked`], shaped so the API server refuses it: a Secret's keys all go under `data` with the
/// value [`MASK`], which is not base64. `sisyphus render | kubectl apply -f -` then fails instead
/// of overwriting real values with `****` (a masked `stringData` would be accepted).
pub fn masked_unappliable(object: &Value) -> Value {
    let mut copy = masked(object);
    if holds_secrets(&copy) {
        let keys = secret_keys(&copy);
        if let Some(map) = copy.as_object_mut() {
            let shaped_wrong = map
                .get("data")
                .is_some_and(|d| !d.is_object() && !d.is_null())
                || map
                    .get("stringData")
                    .is_some_and(|d| !d.is_object() && !d.is_null());
            map.remove("stringData");
            if shaped_wrong {
                map.insert("data".to_owned(), Value::String(MASK.to_owned()));
            } else if !keys.is_empty() {
                let data = keys
                    .into_iter()
                    .map(|k| (k, Value::String(MASK.to_owned())))
                    .collect();
                map.insert("data".to_owned(), Value::Object(data));
            }
        }
    }
    copy
}

/// Remove the `kubectl.kubernetes.io/last-applied-configuration` annotation (and an
/// `annotations` mapping it leaves empty).
pub fn strip_last_applied(object: &mut Value) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
        annotations.remove(LAST_APPLIED_ANNOTATION);
        if annotations.is_empty() {
            metadata.remove("annotations");
        }
    }
}

/// The key names of a Secret's `data` and `stringData`, sorted and without duplicates.
pub fn secret_keys(object: &Value) -> Vec<String> {
    let mut keys: Vec<String> = SECRET_VALUE_FIELDS
        .iter()
        .filter_map(|field| object.get(*field).and_then(Value::as_object))
        .flat_map(|values| values.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_values_keeps_keys_and_leaves_the_original() {
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"a": "c2VjcmV0"}, "stringData": {"b": "secret"}
        });
        let shown = masked(&secret);
        assert_eq!(shown["data"]["a"], MASK);
        assert_eq!(shown["stringData"]["b"], MASK);
        assert_eq!(secret["stringData"]["b"], "secret");
        assert_eq!(secret_keys(&secret), ["a", "b"]);
    }

    #[test]
    fn masks_odd_shapes_and_other_cases_of_the_kind() {
        let odd = json!({
            "apiVersion": "v1", "kind": "secret",
            "data": "c2VjcmV0", "stringData": [{"password": "hunter2"}]
        });
        let shown = masked(&odd);
        assert_eq!(shown["data"], MASK);
        assert_eq!(shown["stringData"], MASK);
        let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "x"}});
        assert_eq!(masked(&config_map), config_map);
        let other_group =
            json!({"apiVersion": "example.com/v1", "kind": "Secret", "data": {"a": "x"}});
        assert_eq!(masked(&other_group), other_group);
    }

    #[test]
    fn is_masked_agrees_with_masked() {
        let cases = [
            (
                json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "x"}}),
                true,
            ),
            (
                json!({"apiVersion": "v1", "kind": "Secret", "data": {"a": "x"}}),
                false,
            ),
            (
                json!({"kind": "ConfigMap", "metadata": {"annotations": {}}}),
                false,
            ),
            (
                json!({"kind": "ConfigMap", "metadata": {"annotations": {"keep": "y"}}}),
                true,
            ),
            (
                json!({"kind": "ConfigMap", "metadata": {"annotations": {LAST_APPLIED_ANNOTATION: "x"}}}),
                false,
            ),
            (
                json!({"kind": "ConfigMap", "metadata": {"annotations": null}}),
                true,
            ),
            (json!("not an object"), true),
        ];
        for (case, expected) in cases {
            assert_eq!(is_masked(&case), expected, "{case}");
            assert_eq!(masked(&case) == case, expected, "{case}");
        }
    }

    #[test]
    fn unappliable_secrets_hold_only_invalid_base64() {
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"a": "c2VjcmV0"}, "stringData": {"b": "secret"}
        });
        let shown = masked_unappliable(&secret);
        assert_eq!(shown["data"], json!({"a": MASK, "b": MASK}));
        assert!(shown.get("stringData").is_none());
        let odd = json!({"apiVersion": "v1", "kind": "Secret", "stringData": ["x"]});
        assert_eq!(masked_unappliable(&odd)["data"], MASK);
        let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "x"}});
        assert_eq!(masked_unappliable(&config_map), config_map);
    }

    #[test]
    fn drops_the_last_applied_annotation_everywhere() {
        let object = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "annotations": {LAST_APPLIED_ANNOTATION: "{\"data\":{\"a\":\"eA==\"}}"}},
            "data": {"a": "eA=="}
        });
        let shown = masked(&object);
        assert!(shown["metadata"].get("annotations").is_none(), "{shown}");
        let config_map = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"annotations": {LAST_APPLIED_ANNOTATION: "x", "keep": "y"}}
        });
        assert_eq!(
            masked(&config_map)["metadata"]["annotations"],
            json!({"keep": "y"})
        );
    }
}
