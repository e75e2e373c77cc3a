//! Drift: how a live object differs from what Sisyphus applied, in the fields it applied (the
//! fields its field manager owns). Fields the API server or controllers add (defaults, status,
//! annotations of their own) are not drift.
//!
//! [`project`] reads the live object through the shape of the applied intent: every field the
//! intent sets, with the live value. The intent equals its projection exactly when nothing it
//! set was changed by hand; [`drifted_paths`] names the fields that were. [`refreshed`] is what
//! `sisyphus refresh` records for one tracked object, [`seen_through`] what `sisyphus import`
//! records for one live object.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use sisyphus_core::secret::{MASK, SECRET_VALUE_FIELDS, holds_secrets, masked, secret_keys};
use sisyphus_core::state::{RecordedObject, intent_hash};

/// What refresh found for one tracked object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refreshed {
    /// Gone from its cluster: forget it (the next push creates it again).
    Gone,
    /// As recorded, resourceVersion included: nothing to write.
    Same,
    /// The applied fields are as recorded, but the object moved (new resourceVersion or uid):
    /// record this row.
    Moved(RecordedObject),
    /// Applied fields were changed by hand (their paths): record this row, whose intent holds
    /// the live values, so the next push shows and reverts them.
    Drifted(RecordedObject, Vec<String>),
}

/// Compare a tracked object with its live state (`None`: not in the cluster). `live` must be
/// masked (as `sisyphus_cluster` returns it). A Secret is compared by key names only.
pub fn refreshed(recorded: &RecordedObject, live: Option<&Value>) -> Refreshed {
    let Some(live) = live else {
        return Refreshed::Gone;
    };
    let text = |field: &str| live["metadata"][field].as_str().map(str::to_owned);
    let mut row = recorded.clone();
    row.uid = text("uid");
    row.resource_version = text("resourceVersion");
    let intent = recorded.applied_value().unwrap_or(Value::Null);
    let (want, have) = comparable(&intent, live);
    let paths = drifted_paths(&want, &have);
    if !paths.is_empty() {
        let intent = masked(&project(&want, &have));
        row.applied = intent.to_string();
        row.applied_hash = intent_hash(&intent);
        return Refreshed::Drifted(row, paths);
    }
    if row == *recorded {
        Refreshed::Same
    } else {
        Refreshed::Moved(row)
    }
}

/// The intent to record for a `declared` object found `live` (masked) that Sisyphus did not
/// track: the declared fields with their live values. A Secret keeps the declared shape with
/// only the keys the live Secret has (the next push adds the others, never a value).
pub fn seen_through(declared: &Value, live: &Value) -> Value {
    if holds_secrets(declared) {
        let have: BTreeSet<String> = secret_keys(live).into_iter().collect();
        let mut intent = masked(declared);
        for field in SECRET_VALUE_FIELDS {
            if let Some(Value::Object(values)) = intent.get_mut(field) {
                values.retain(|k, _| have.contains(k));
            }
        }
        return intent;
    }
    masked(&project(&masked(declared), live))
}

/// The intent and the live object in a form that compares: for Secrets, `stringData` keys count
/// as `data` keys (the API server moves them there) and only key names are compared.
fn comparable(intent: &Value, live: &Value) -> (Value, Value) {
    if !holds_secrets(intent) {
        return (intent.clone(), live.clone());
    }
    let mut want = intent.clone();
    let keys = secret_keys(intent);
    if let Some(map) = want.as_object_mut() {
        map.remove("stringData");
        map.remove("data");
        if !keys.is_empty() {
            let data: Map<String, Value> = keys.into_iter().map(|k| (k, json!(MASK))).collect();
            map.insert("data".to_owned(), Value::Object(data));
        }
    }
    (masked(&want), masked(live))
}

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
    use sisyphus_core::desired::ObjectKey;

    fn recorded(intent: &Value, rv: &str) -> RecordedObject {
        RecordedObject {
            key: ObjectKey {
                cluster: "c".into(),
                group: String::new(),
                version: "v1".into(),
                kind: intent["kind"].as_str().unwrap_or("ConfigMap").into(),
                namespace: Some("ns".into()),
                name: "n".into(),
            },
            applied: intent.to_string(),
            applied_hash: intent_hash(intent),
            uid: Some("u".into()),
            resource_version: Some(rv.into()),
            config: None,
            resource: None,
            push_id: 1,
            created: true,
        }
    }

    #[test]
    fn refresh_tells_gone_same_moved_and_drifted_apart() {
        let intent = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "n"}, "data": {"a": "1"}});
        let row = recorded(&intent, "5");
        let live = |rv: &str, a: &str| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "n", "uid": "u", "resourceVersion": rv}, "data": {"a": a}})
        };
        assert_eq!(refreshed(&row, None), Refreshed::Gone);
        assert_eq!(refreshed(&row, Some(&live("5", "1"))), Refreshed::Same);
        let Refreshed::Moved(moved) = refreshed(&row, Some(&live("6", "1"))) else {
            panic!("expected moved");
        };
        assert_eq!(moved.resource_version.as_deref(), Some("6"));
        assert_eq!(moved.applied_hash, row.applied_hash);
        let Refreshed::Drifted(drifted, paths) = refreshed(&row, Some(&live("7", "2"))) else {
            panic!("expected drift");
        };
        assert_eq!(paths, ["data.a"]);
        assert_ne!(drifted.applied_hash, row.applied_hash);
        assert!(drifted.applied.contains("\"2\""), "{}", drifted.applied);
    }

    #[test]
    fn secrets_are_compared_by_key_names_and_never_hold_values() {
        let intent = masked(
            &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "n"},
            "stringData": {"a": "x", "b": "y"}}),
        );
        let row = recorded(&intent, "5");
        let live = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "n", "uid": "u", "resourceVersion": "5"}, "data": {"a": MASK, "b": MASK, "extra": MASK}});
        assert_eq!(refreshed(&row, Some(&live)), Refreshed::Same);
        let gone_key = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "n", "uid": "u", "resourceVersion": "6"}, "data": {"a": MASK}});
        let Refreshed::Drifted(drifted, paths) = refreshed(&row, Some(&gone_key)) else {
            panic!("expected drift");
        };
        assert_eq!(paths, ["data.b"]);
        assert!(!drifted.applied.contains("\"b\""), "{}", drifted.applied);
        let declared = json!({"apiVersion": "v1", "kind": "Secret", "stringData": {"a": "hunter2", "new": "z"}});
        let seen = seen_through(&declared, &gone_key);
        assert_eq!(seen["stringData"], json!({"a": MASK}));
    }

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
