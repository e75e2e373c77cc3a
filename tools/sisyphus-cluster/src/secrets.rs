//! Secrets are created, then only extended: never server-side applied (a later apply without
//! an old key would delete it) and an existing key's value is never overwritten.

use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Map, Value, json};
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::labels::FIELD_MANAGER;
use sisyphus_core::secret::is_secret_kind;

use crate::connect::Cluster;
use crate::error::Error;
use crate::objects::{has_code, request_error, secret_resource};
use crate::operations::{Applied, data_keys};

/// How often [`Cluster::add_secret_keys`] tries (re-reading the Secret after a concurrent
/// edit), and its first pause between tries (doubled after each: 25, 50, ... 800 ms).
const ADD_ATTEMPTS: u32 = 6;
const FIRST_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(25);

/// What [`Cluster::add_secret_keys`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretUpdate {
    /// The keys added, sorted (empty: the Secret had them all).
    pub added: Vec<String>,
    /// Whether a write was sent (keys added, or desired labels/annotations merged in).
    pub written: bool,
    /// The Secret after the update (or as read, if nothing was written).
    pub applied: Applied,
}

impl Cluster {
    /// Creates the Secret `object` (`POST`, field manager `sisyphus`); with `dry_run`, the
    /// server validates it and persists nothing.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when it exists (then use [`Cluster::add_secret_keys`]);
    /// [`Error::InvalidObject`] when `object` is not a v1 Secret with a name and namespace;
    /// [`Error::Api`] with the server's message, scrubbed of the Secret's values.
    pub async fn create_secret(&self, object: &Value, dry_run: bool) -> Result<Applied, Error> {
        let operation = if dry_run { "dry-run create" } else { "create" };
        let (key, api) = self.secret_api(object, operation)?;
        let body: DynamicObject =
            serde_json::from_value(object.clone()).map_err(|_| Error::InvalidObject {
                operation,
                object: key.to_string(),
                // The serde message could quote a value: not shown.
                problem: "it is not a valid object".to_owned(),
            })?;
        let params = PostParams {
            dry_run,
            field_manager: Some(FIELD_MANAGER.to_owned()),
        };
        match api.create(&params, &body).await {
            Ok(created) => Ok(applied_of(&created)),
            Err(error) if has_code(&error, 409) => Err(Error::AlreadyExists {
                object: key.to_string(),
            }),
            Err(source) => Err(request_error(operation, &key, Some(object), source)),
        }
    }

    /// Adds to the live Secret the keys of `object`'s `data`/`stringData` it lacks, and only
    /// those (an existing key keeps its value, whatever `object` says), and merges in
    /// `object`'s labels and annotations. The merge patch carries the resourceVersion read, so
    /// a concurrent edit makes it fail with 409; it is then re-read and retried (6 attempts, with
    /// pauses of 25 ms doubling).
    /// Nothing is written when there is nothing to add.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with code 404 when the Secret does not exist; [`Error::Conflict`] when
    /// it kept changing; [`Error::InvalidObject`]; other [`Error::Api`]s (scrubbed).
    pub async fn add_secret_keys(
        &self,
        object: &Value,
        dry_run: bool,
    ) -> Result<SecretUpdate, Error> {
        let operation = if dry_run {
            "dry-run add keys to"
        } else {
            "add keys to"
        };
        let (key, api) = self.secret_api(object, operation)?;
        let mut pause = FIRST_RETRY_PAUSE;
        for attempt in 0..ADD_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            let live = api
                .get(&key.name)
                .await
                .map_err(|source| request_error(operation, &key, None, source))?;
            let Some(patch) = missing_patch(object, &live) else {
                return Ok(SecretUpdate {
                    added: Vec::new(),
                    written: false,
                    applied: applied_of(&live),
                });
            };
            let added = patch.added.clone();
            let params = PatchParams {
                dry_run,
                field_manager: Some(FIELD_MANAGER.to_owned()),
                ..PatchParams::default()
            };
            match api
                .patch(&key.name, &params, &Patch::Merge(&patch.body))
                .await
            {
                Ok(updated) => {
                    return Ok(SecretUpdate {
                        added,
                        written: true,
                        applied: applied_of(&updated),
                    });
                }
                Err(error) if has_code(&error, 409) => continue,
                Err(source) => return Err(request_error(operation, &key, Some(object), source)),
            }
        }
        Err(Error::Conflict {
            object: key.to_string(),
            attempts: ADD_ATTEMPTS,
        })
    }

    fn secret_api(
        &self,
        object: &Value,
        operation: &'static str,
    ) -> Result<(ObjectKey, Api<DynamicObject>), Error> {
        let key = self.key_of(object)?;
        if !(key.group.is_empty() && is_secret_kind(&key.version, &key.kind)) {
            return Err(Error::InvalidObject {
                operation,
                object: key.to_string(),
                problem: "it is not a v1 Secret".to_owned(),
            });
        }
        let api = self.api_with(&secret_resource(), true, &key, operation)?;
        Ok((key, api))
    }
}

fn applied_of(object: &DynamicObject) -> Applied {
    Applied {
        uid: object.metadata.uid.clone().unwrap_or_default(),
        resource_version: object.metadata.resource_version.clone().unwrap_or_default(),
        generation: object.metadata.generation,
    }
}

/// A merge patch adding what the live Secret lacks.
#[derive(Debug)]
struct MissingPatch {
    added: Vec<String>,
    body: Value,
}

/// The patch that adds `desired`'s keys missing from `live` and its labels and annotations
/// that differ, guarded by `live`'s resourceVersion; `None` if there is nothing to add.
fn missing_patch(desired: &Value, live: &DynamicObject) -> Option<MissingPatch> {
    let present = data_keys(&live.data);
    let lacks = |key: &String| present.binary_search(key).is_err();
    let mut data = Map::new();
    let mut string_data = Map::new();
    for (field, target) in [("data", &mut data), ("stringData", &mut string_data)] {
        if let Some(values) = desired.get(field).and_then(Value::as_object) {
            for (key, value) in values {
                if lacks(key) {
                    target.insert(key.clone(), value.clone());
                }
            }
        }
    }
    // A key in both: stringData wins, as the API server does.
    data.retain(|key, _| !string_data.contains_key(key));
    let mut added: Vec<String> = data.keys().chain(string_data.keys()).cloned().collect();
    added.sort();

    let mut metadata = Map::new();
    for (field, live_map) in [
        ("labels", live.metadata.labels.as_ref()),
        ("annotations", live.metadata.annotations.as_ref()),
    ] {
        let Some(wanted) = desired
            .pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        let differing: Map<String, Value> = wanted
            .iter()
            .filter(|(key, value)| {
                live_map.and_then(|map| map.get(*key)).map(String::as_str) != value.as_str()
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        if !differing.is_empty() {
            metadata.insert(field.to_owned(), Value::Object(differing));
        }
    }
    if added.is_empty() && metadata.is_empty() {
        return None;
    }
    metadata.insert(
        "resourceVersion".to_owned(),
        json!(live.metadata.resource_version.clone().unwrap_or_default()),
    );
    let mut body = Map::new();
    body.insert("metadata".to_owned(), Value::Object(metadata));
    if !data.is_empty() {
        body.insert("data".to_owned(), Value::Object(data));
    }
    if !string_data.is_empty() {
        body.insert("stringData".to_owned(), Value::Object(string_data));
    }
    Some(MissingPatch {
        added,
        body: Value::Object(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(data: Value, labels: Value) -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "n", "resourceVersion": "7", "labels": labels},
            "data": data
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_missing_keys_are_added_and_existing_values_kept() {
        let desired = json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "labels": {"a": "1"}},
            "data": {"old": "bmV3", "new": "eA=="}, "stringData": {"plain": "p", "old": "q"}
        });
        let patch = missing_patch(&desired, &live(json!({"old": "b2xk"}), json!({"a": "1"})))
            .unwrap_or_else(|| panic!("a patch"));
        assert_eq!(patch.added, ["new", "plain"]);
        assert_eq!(
            patch.body,
            json!({"metadata": {"resourceVersion": "7"}, "data": {"new": "eA=="}, "stringData": {"plain": "p"}})
        );
    }

    #[test]
    fn nothing_to_add_is_no_patch_and_labels_alone_are_merged() {
        let desired = json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "labels": {"a": "2"}},
            "data": {"old": "bmV3"}
        });
        let patch = missing_patch(&desired, &live(json!({"old": "b2xk"}), json!({"a": "1"})))
            .unwrap_or_else(|| panic!("a patch"));
        assert!(patch.added.is_empty());
        assert_eq!(
            patch.body,
            json!({"metadata": {"labels": {"a": "2"}, "resourceVersion": "7"}})
        );
        assert!(
            missing_patch(&desired, &live(json!({"old": "b2xk"}), json!({"a": "2"}))).is_none()
        );
    }
}
