//! Builders for the values diff reads, for the tests of this crate and of the stages around it
//! (enable the `testing` feature): keys, [`DesiredObjects`], [`StateSnapshot`]s recorded the
//! way the state database records them, [`LiveObjects`], and a few small Kubernetes objects.
//! Touches nothing.
//!
//! ```
//! use sisyphus_diff::testing::{deployment, desired, state};
//!
//! let objects = desired().object("prod", deployment("web", "web", "web@sha256:1")).build();
//! let snapshot = state().all(&objects).build();
//! assert_eq!(snapshot.objects.len(), 1);
//! ```

use serde_json::{Value, json};
use sisyphus_core::desired::{ConfigOrigin, DesiredObject, DesiredObjects, ObjectKey};
use sisyphus_core::labels::{MANAGED_BY, MANAGED_BY_LABEL, NAME_LABEL};
use sisyphus_core::live::{LiveObject, LiveObjects};
use sisyphus_core::secret;
use sisyphus_core::state::{ObjectId, RecordedObject, StateSnapshot, intent_hash};

/// A key: `key("prod", "apps/v1", "Deployment", Some("web"), "web")`.
pub fn key(
    cluster: &str,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> ObjectKey {
    let (group, version) = ObjectKey::split_api_version(api_version);
    ObjectKey {
        cluster: cluster.to_owned(),
        group: group.to_owned(),
        version: version.to_owned(),
        kind: kind.to_owned(),
        namespace: namespace.map(str::to_owned),
        name: name.to_owned(),
    }
}

/// The key of `object` in `cluster`, from its `apiVersion`, `kind` and `metadata` (missing
/// fields are empty).
pub fn key_of(cluster: &str, object: &Value) -> ObjectKey {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or("").to_owned();
    key(
        cluster,
        &text(object.get("apiVersion")),
        &text(object.get("kind")),
        object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str),
        &text(object.pointer("/metadata/name")),
    )
}

/// A config origin: `origin("cfg@sha256:1", "bin@sha256:1")`.
pub fn origin(config_image: &str, binary_image: &str) -> ConfigOrigin {
    ConfigOrigin {
        config_image: config_image.to_owned(),
        binary_image: binary_image.to_owned(),
    }
}

/// A desired object with no resource or location.
pub fn desired_object(object: Value, config: Option<ConfigOrigin>) -> DesiredObject {
    DesiredObject {
        secret: secret::holds_secrets(&object),
        object,
        resource: None,
        location: None,
        config,
    }
}

/// Builds [`DesiredObjects`]; see [`desired`].
#[derive(Debug, Default)]
pub struct Desired {
    objects: DesiredObjects,
}

/// Start building desired objects.
pub fn desired() -> Desired {
    Desired::default()
}

impl Desired {
    /// Add `object` in `cluster`, keyed by its own fields, with no config behind it.
    pub fn object(self, cluster: &str, object: Value) -> Self {
        self.with(cluster, object, None)
    }

    /// Add `object` in `cluster`, rendered from `config`.
    pub fn configured(self, cluster: &str, object: Value, config: ConfigOrigin) -> Self {
        self.with(cluster, object, Some(config))
    }

    /// Add `object` in `cluster` with an optional config.
    pub fn with(mut self, cluster: &str, object: Value, config: Option<ConfigOrigin>) -> Self {
        self.objects
            .insert(key_of(cluster, &object), desired_object(object, config));
        self
    }

    /// The objects.
    pub fn build(self) -> DesiredObjects {
        self.objects
    }
}

/// `object` recorded under `key` the way apply records it: masked JSON text, its
/// [`intent_hash`], a uid, created by Sisyphus, push 1.
pub fn recorded_object(
    key: &ObjectKey,
    object: &Value,
    config: Option<ConfigOrigin>,
) -> RecordedObject {
    let shown = secret::masked(object);
    RecordedObject {
        key: key.clone(),
        applied: shown.to_string(),
        applied_hash: intent_hash(&shown),
        uid: Some(format!("uid-{}", key.name)),
        resource_version: Some("1".to_owned()),
        config,
        resource: None,
        push_id: 1,
        created: true,
    }
}

/// Builds a [`StateSnapshot`]; see [`state`].
#[derive(Debug, Default)]
pub struct State {
    snapshot: StateSnapshot,
}

/// Start building a state snapshot.
pub fn state() -> State {
    State::default()
}

impl State {
    /// Record every desired object as applied exactly as desired (the state after a push).
    pub fn all(mut self, desired: &DesiredObjects) -> Self {
        for (key, object) in desired {
            self = self.record(recorded_object(key, &object.object, object.config.clone()));
        }
        self
    }

    /// Record `object` in `cluster` as applied, with no config behind it.
    pub fn applied(self, cluster: &str, object: Value) -> Self {
        self.applied_with(cluster, object, None)
    }

    /// Record `object` in `cluster` as applied from `config`.
    pub fn applied_with(self, cluster: &str, object: Value, config: Option<ConfigOrigin>) -> Self {
        let key = key_of(cluster, &object);
        self.record(recorded_object(&key, &object, config))
    }

    /// Record `recorded` (replacing any record of the same object).
    pub fn record(mut self, recorded: RecordedObject) -> Self {
        self.snapshot
            .objects
            .insert(ObjectId::of(&recorded.key), recorded);
        self
    }

    /// Change the record of the object `key` names (if any) with `edit`.
    pub fn edit(mut self, key: &ObjectKey, edit: impl FnOnce(&mut RecordedObject)) -> Self {
        if let Some(recorded) = self.snapshot.objects.get_mut(&ObjectId::of(key)) {
            edit(recorded);
        }
        self
    }

    /// Set the generation.
    pub fn generation(mut self, generation: i64) -> Self {
        self.snapshot.generation = generation;
        self
    }

    /// The snapshot.
    pub fn build(self) -> StateSnapshot {
        self.snapshot
    }
}

/// Builds [`LiveObjects`]; see [`live`].
#[derive(Debug, Default)]
pub struct Live {
    objects: LiveObjects,
}

/// Start building live objects.
pub fn live() -> Live {
    Live::default()
}

impl Live {
    /// An object that exists, not managed by anyone.
    pub fn object(self, key: &ObjectKey) -> Self {
        self.with(key, LiveObject::default())
    }

    /// A Secret that exists with these keys.
    pub fn secret(self, key: &ObjectKey, keys: &[&str]) -> Self {
        let mut secret_keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        secret_keys.sort();
        self.with(
            key,
            LiveObject {
                secret_keys,
                ..LiveObject::default()
            },
        )
    }

    /// An object that exists as `live` says (a uid and resourceVersion are filled in when
    /// empty).
    pub fn with(mut self, key: &ObjectKey, mut live: LiveObject) -> Self {
        if live.uid.is_empty() {
            live.uid = format!("live-{}", key.name);
        }
        if live.resource_version.is_empty() {
            live.resource_version = "7".to_owned();
        }
        self.objects.insert(ObjectId::of(key), live);
        self
    }

    /// The objects.
    pub fn build(self) -> LiveObjects {
        self.objects
    }
}

fn labels(name: &str) -> Value {
    json!({MANAGED_BY_LABEL: MANAGED_BY, NAME_LABEL: name})
}

/// A Namespace as render implies it.
pub fn namespace(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": {MANAGED_BY_LABEL: MANAGED_BY}}
    })
}

/// A Deployment shaped like the rendered ones, with one container running `image`.
pub fn deployment(namespace: &str, name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {NAME_LABEL: name}},
            "template": {
                "metadata": {"labels": labels(name)},
                "spec": {"containers": [{
                    "name": name,
                    "image": image,
                    "args": ["--port", "8080"],
                    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                    "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}
                }]}
            }
        }
    })
}

/// A Service for the Deployment of the same name.
pub fn service(namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
        "spec": {
            "selector": {NAME_LABEL: name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
        }
    })
}

/// A Job running `image` once.
pub fn job(namespace: &str, name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
        "spec": {
            "backoffLimit": 3,
            "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": name, "image": image}]
            }}
        }
    })
}

/// A Secret holding `values` in `stringData`, as KubernetesYaml declares one.
pub fn secret(namespace: &str, name: &str, values: &[(&str, &str)]) -> Value {
    let data: serde_json::Map<String, Value> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
        .collect();
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "stringData": data
    })
}

/// A ConfigMap holding `values`.
pub fn config_map(namespace: &str, name: &str, values: &[(&str, &str)]) -> Value {
    let data: serde_json::Map<String, Value> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
        .collect();
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data
    })
}
