//! `v1 PersistentVolumeClaim`: the spec is fixed once the claim exists, except that
//! `resources.requests.storage` may grow (when the storage class allows expansion) and
//! `volumeAttributesClassName` may change. Recreating would delete the volume's data, so every
//! other change, and a smaller size, is refused.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use sisyphus_core::desired::ObjectKey;

use super::{Fix, Immutable, at, block, kubectl_delete, shown};

const HARM: &str = "delete the volume's data";

fn remedy(key: &ObjectKey) -> String {
    format!(
        "create a claim with another name and move the data, or, if the data may go, delete it \
         by hand ({}) and push again",
        kubectl_delete(key, "")
    )
}

/// The spec without the fields that may change.
fn fixed_part(object: &Value) -> Map<String, Value> {
    let mut spec = at(object, &["spec"])
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    spec.remove("volumeAttributesClassName");
    if let Some(Value::Object(resources)) = spec.get_mut("resources") {
        if let Some(Value::Object(requests)) = resources.get_mut("requests") {
            requests.remove("storage");
            if requests.is_empty() {
                resources.remove("requests");
            }
        }
        if resources.is_empty() {
            spec.remove("resources");
        }
    }
    spec.retain(|_, value| !value.is_null());
    spec
}

/// The PVC fields that changed and are refused.
pub(super) fn immutable(key: &ObjectKey, before: &Value, after: &Value) -> Vec<Immutable> {
    let (was, wanted) = (fixed_part(before), fixed_part(after));
    let fields: BTreeSet<&String> = was.keys().chain(wanted.keys()).collect();
    let mut found: Vec<Immutable> = fields
        .into_iter()
        .filter(|field| was.get(*field) != wanted.get(*field))
        .map(|field| block(key, &format!("spec.{field}"), HARM, &remedy(key)))
        .collect();
    let storage = ["spec", "resources", "requests", "storage"];
    let (old_size, new_size) = (at(before, &storage), at(after, &storage));
    if let (Some(old), Some(new)) = (old_size.and_then(bytes), new_size.and_then(bytes))
        && new < old
    {
        let field = "spec.resources.requests.storage".to_owned();
        found.push(Immutable {
            reason: format!(
                "`{field}` of a PersistentVolumeClaim can grow but not shrink ({} → {}), and \
                 recreating it would {HARM}: {}",
                shown(old_size),
                shown(new_size),
                remedy(key)
            ),
            field,
            fix: Fix::Block,
        });
    }
    found
}

/// A quantity in bytes (`10Gi`, `500M`, `1e9`, `1000`); `None` when it is not one (the API
/// server decides then).
fn bytes(value: &Value) -> Option<f64> {
    let text = match value {
        Value::Number(n) => return n.as_f64(),
        Value::String(text) => text.trim(),
        _ => return None,
    };
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        other => {
            let exponent: i32 = other.strip_prefix(['e', 'E'])?.parse().ok()?;
            10f64.powi(exponent)
        }
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::key;
    use super::*;
    use serde_json::json;

    fn claim(size: &str, class: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": class,
                     "resources": {"requests": {"storage": size}}}})
    }

    #[test]
    fn growing_is_allowed_shrinking_and_other_fields_are_not() {
        let k = key("v1", "PersistentVolumeClaim", "data");
        assert!(immutable(&k, &claim("1Gi", "ssd"), &claim("2Gi", "ssd")).is_empty());
        assert!(immutable(&k, &claim("1Gi", "ssd"), &claim("1024Mi", "ssd")).is_empty());
        let shrink = immutable(&k, &claim("2Gi", "ssd"), &claim("1G", "ssd"));
        assert_eq!(shrink.len(), 1);
        assert_eq!(shrink[0].field, "spec.resources.requests.storage");
        assert!(
            shrink[0].reason.contains("`2Gi` → `1G`"),
            "{}",
            shrink[0].reason
        );
        let class = immutable(&k, &claim("1Gi", "ssd"), &claim("1Gi", "hdd"));
        assert_eq!(class.len(), 1);
        assert_eq!(
            (class[0].field.as_str(), class[0].fix),
            ("spec.storageClassName", Fix::Block)
        );
        assert!(
            class[0].reason.contains("delete the volume's data"),
            "{}",
            class[0].reason
        );
        let mut with_vac = claim("1Gi", "ssd");
        with_vac["spec"]["volumeAttributesClassName"] = json!("fast");
        assert!(immutable(&k, &claim("1Gi", "ssd"), &with_vac).is_empty());
    }

    #[test]
    fn quantities() {
        assert_eq!(bytes(&json!("1Ki")), Some(1024.0));
        assert_eq!(bytes(&json!("1e3")), Some(1000.0));
        assert_eq!(bytes(&json!(5)), Some(5.0));
        assert_eq!(bytes(&json!("5Gb")), None);
        assert_eq!(bytes(&json!("")), None);
        assert_eq!(bytes(&json!(["x"])), None);
    }
}
