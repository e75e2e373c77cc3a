//! `v1 Namespace`: one per namespace in use per cluster, unless the production folder declares
//! it (then the declared one is used, labelled as managed by Sisyphus unless it sets that label).

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sisyphus_core::desired::{DesiredObject, DesiredObjects, ObjectKey};

use crate::metadata::{MANAGED_BY, MANAGED_BY_LABEL};

/// Namespaces every cluster has; Sisyphus never creates, labels or (later) deletes them.
pub const BUILT_IN_NAMESPACES: &[&str] =
    &["default", "kube-node-lease", "kube-public", "kube-system"];

fn namespace_key(cluster: &str, name: &str) -> ObjectKey {
    ObjectKey {
        cluster: cluster.to_owned(),
        group: String::new(),
        version: "v1".to_owned(),
        kind: "Namespace".to_owned(),
        namespace: None,
        name: name.to_owned(),
    }
}

/// Add a Namespace object for every namespace an object uses in its cluster, and label declared
/// Namespace objects.
pub(crate) fn add_namespaces(objects: &mut DesiredObjects) {
    let used: BTreeSet<(String, String)> = objects
        .keys()
        .filter_map(|k| Some((k.cluster.clone(), k.namespace.clone()?)))
        .collect();
    for (key, object) in objects.iter_mut() {
        if key.group.is_empty()
            && key.kind == "Namespace"
            && !BUILT_IN_NAMESPACES.contains(&key.name.as_str())
        {
            label_declared(&mut object.object);
        }
    }
    for (cluster, namespace) in used {
        if BUILT_IN_NAMESPACES.contains(&namespace.as_str()) {
            continue;
        }
        let key = namespace_key(&cluster, &namespace);
        if objects.contains_key(&key) {
            continue;
        }
        let object = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": namespace,
                "labels": {MANAGED_BY_LABEL: MANAGED_BY},
            },
        });
        objects.insert(
            key,
            DesiredObject {
                object,
                resource: None,
                location: None,
                config: None,
                secret: false,
            },
        );
    }
}

fn label_declared(object: &mut Value) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let labels = metadata.entry("labels").or_insert_with(|| json!({}));
    if let Some(labels) = labels.as_object_mut() {
        labels
            .entry(MANAGED_BY_LABEL)
            .or_insert_with(|| MANAGED_BY.into());
    }
}
