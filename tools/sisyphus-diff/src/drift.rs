//! Drift: how a live object differs from what Sisyphus applied, in the fields it applied (the
//! fields its field manager owns). Fields the API server or controllers add (defaults, status,
//! annotations of their own) are not drift.
//!
//! [`project`] reads the live object through the shape of the applied intent: every field the
//! intent sets, with the live value. The intent equals its projection exactly when nothing it
//! set was changed by hand; [`drifted_paths`] names the fields that were.

use serde_json::{Map, Value};

/// The live values of the fields `intent` sets: mappings are followed key by key, lists of the
/// same length element by element; any other value (or a list whose length changed) is taken
/// whole from `live`. A field missing from `live` is left out.
pub fn project(intent: &Value, live: &Value) -> Value {
    match (intent, live) {
        (Value::Object(want), Value::Object(have)) => {
            let mut out = Map::new();
            for (k, v) in want {
                if let Some(found) = have.get(k) {
                    out.insert(k.clone(), project(v, found));
                }
            }
            Value::Object(out)
        }
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => {
            Value::Array(want.iter().zip(have).map(|(w, h)| project(w, h)).collect())
        }
        (_, found) => found.clone(),
    }
}

/// The fields of `intent` whose live value differs, as dotted paths (`spec.replicas`,
/// `spec.template.spec.containers[0].image`), sorted. A field gone from `live` counts.
pub fn drifted_paths(intent: &Value, live: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(intent, Some(live), String::new(), &mut out);
    out.sort();
    out
}

fn walk(intent: &Value, live: Option<&Value>, path: String, out: &mut Vec<String>) {
    match (intent, live) {
        (Value::Object(want), Some(Value::Object(have))) => {
            for (k, v) in want {
                let next = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(v, have.get(k), next, out);
            }
        }
        (Value::Array(want), Some(Value::Array(have))) if want.len() == have.len() => {
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                walk(w, Some(h), format!("{path}[{i}]"), out);
            }
        }
        (want, Some(have)) if same(want, have) => {}
        _ => out.push(path),
    }
}

/// Equal, counting a number and the same number written as a string (`"80"`/`80` in
/// `targetPort`, quantities) as the same.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            n.to_string() == *s
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_added_by_the_server_are_not_drift() {
        let intent = json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}});
        let live = json!({"spec": {"replicas": 1, "strategy": {}, "template": {"spec": {"containers": [
            {"name": "a", "image": "x", "imagePullPolicy": "IfNotPresent"}]}}}, "status": {}});
        assert!(drifted_paths(&intent, &live).is_empty());
        assert_eq!(project(&intent, &live), intent);
    }

    #[test]
    fn hand_edits_of_applied_fields_are_drift() {
        let intent = json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}, "data": {"k": "v"}});
        let live = json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "a", "image": "y"}]}}}});
        assert_eq!(
            drifted_paths(&intent, &live),
            [
                "data",
                "spec.replicas",
                "spec.template.spec.containers[0].image"
            ]
        );
        let projected = project(&intent, &live);
        assert_eq!(projected["spec"]["replicas"], 3);
        assert!(projected.get("data").is_none());
    }
}
