//! Discovery, list, server-side apply, get, delete and the waits of one [`Cluster`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, ObjectMeta, Patch, PatchParams,
};
use kube::discovery::{Discovery, Scope};
use serde_json::Value;
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::labels::{FIELD_MANAGER, MANAGED_BY_LABEL};
use sisyphus_core::live::{ListScope, LiveObject};
use sisyphus_core::secret::{is_secret_kind, mask_in_place};

use crate::connect::Cluster;
use crate::error::Error;
use crate::objects::{crd_resource, has_code, namespace_resource, request_error};

/// Objects per page of a metadata list (`limit`); a longer list is read in pages with
/// `continue`. A metadata-only item is a few hundred bytes, so a page is at most about 1 MB.
pub const METADATA_PAGE_SIZE: u32 = 1000;
/// Objects per page of a Secret list (full objects, which may be up to 1 MiB each).
pub const SECRET_PAGE_SIZE: u32 = 100;

/// The first and the longest pause between two polls of a wait.
const POLL_FIRST: Duration = Duration::from_millis(50);
const POLL_MAX: Duration = Duration::from_millis(500);

/// What discovery says about a kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindInfo {
    /// Group, version, kind and plural (the `kube` type every `Api` is built from).
    pub resource: ApiResource,
    /// Whether its objects live in namespaces.
    pub namespaced: bool,
    /// The verbs it supports (`get`, `list`, `patch`, ...).
    pub verbs: Vec<String>,
}

/// What the API server said after an apply or create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// `metadata.uid` (empty for a dry-run create, which assigns none).
    pub uid: String,
    /// `metadata.resourceVersion` after the write.
    pub resource_version: String,
    /// `metadata.generation`, for kinds that have one.
    pub generation: Option<i64>,
}

/// How a delete ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deleted {
    /// The object is gone (or was not there).
    Gone,
    /// The object is still there after the wait, held by these finalizers (possibly none, if
    /// something else holds it, e.g. pods still terminating).
    Stuck {
        /// `metadata.finalizers` as last seen.
        finalizers: Vec<String>,
    },
}

impl Applied {
    fn of(metadata: &ObjectMeta) -> Applied {
        Applied {
            uid: metadata.uid.clone().unwrap_or_default(),
            resource_version: metadata.resource_version.clone().unwrap_or_default(),
            generation: metadata.generation,
        }
    }
}

impl Cluster {
    /// Discovery's answer for `group`/`version`/`kind` (the core group is `""`). Discovery runs
    /// once per cluster (aggregated discovery: two requests) and is cached; see
    /// [`Cluster::refresh_discovery`].
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKind`] when the cluster does not serve it; [`Error::Discovery`] when
    /// discovery fails.
    pub async fn kind(&self, group: &str, version: &str, kind: &str) -> Result<KindInfo, Error> {
        let discovery = self.discovery().await?;
        let found = discovery.get(group).and_then(|api_group| {
            api_group
                .versioned_resources(version)
                .into_iter()
                .find(|(resource, _)| resource.kind == kind)
        });
        match found {
            Some((resource, capabilities)) => Ok(KindInfo {
                resource,
                namespaced: capabilities.scope == Scope::Namespaced,
                verbs: capabilities.operations,
            }),
            None => Err(Error::UnknownKind {
                cluster: self.name().to_owned(),
                api_version: if group.is_empty() {
                    version.to_owned()
                } else {
                    format!("{group}/{version}")
                },
                kind: kind.to_owned(),
            }),
        }
    }

    /// Runs discovery again (after CRDs were created or removed).
    ///
    /// # Errors
    ///
    /// [`Error::Discovery`].
    pub async fn refresh_discovery(&self) -> Result<(), Error> {
        let mut cache = self.inner.discovery.lock().await;
        *cache = Some(Arc::new(self.run_discovery().await?));
        Ok(())
    }

    /// Whether the cached discovery (none yet: no) serves `group`/`version`/`kind`.
    async fn cached_has_kind(&self, group: &str, version: &str, kind: &str) -> bool {
        let cache = self.inner.discovery.lock().await;
        cache.as_ref().is_some_and(|discovery| {
            discovery.get(group).is_some_and(|api_group| {
                api_group
                    .versioned_resources(version)
                    .iter()
                    .any(|(resource, _)| resource.kind == kind)
            })
        })
    }

    /// The cached discovery, run on first use. Concurrent first callers wait for one run.
    pub(crate) async fn discovery(&self) -> Result<Arc<Discovery>, Error> {
        let mut cache = self.inner.discovery.lock().await;
        if let Some(discovery) = cache.as_ref() {
            return Ok(Arc::clone(discovery));
        }
        let discovery = Arc::new(self.run_discovery().await?);
        *cache = Some(Arc::clone(&discovery));
        Ok(discovery)
    }

    /// Aggregated discovery (`/api` and `/apis`, two requests); per-group discovery if the
    /// server refuses the aggregated form.
    async fn run_discovery(&self) -> Result<Discovery, Error> {
        let client = self.inner.client.clone();
        let error = |source| Error::Discovery {
            cluster: self.name().to_owned(),
            source,
        };
        match Discovery::new(client.clone()).run_aggregated().await {
            Ok(discovery) => Ok(discovery),
            Err(kube::Error::Api(_)) => Discovery::new(client).run().await.map_err(error),
            Err(source) => Err(error(source)),
        }
    }

    /// Every object of `scope`: one list request (more only for more than
    /// [`METADATA_PAGE_SIZE`] objects, or [`SECRET_PAGE_SIZE`] Secrets), metadata only. For Secrets the full objects are read
    /// and only their key names kept ([`LiveObject::secret_keys`]); values are dropped at
    /// once. A namespaced kind with no namespace in `scope` is listed across all namespaces.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKind`], [`Error::Api`], [`Error::Request`].
    pub async fn list(&self, scope: &ListScope) -> Result<Vec<(ObjectKey, LiveObject)>, Error> {
        let secrets = scope.group.is_empty() && is_secret_kind(&scope.version, &scope.kind);
        let page_size = if secrets {
            SECRET_PAGE_SIZE
        } else {
            METADATA_PAGE_SIZE
        };
        self.list_paged(scope, page_size).await
    }

    /// [`Cluster::list`] with `page_size` objects per request.
    ///
    /// # Errors
    ///
    /// As [`Cluster::list`].
    pub async fn list_paged(
        &self,
        scope: &ListScope,
        page_size: u32,
    ) -> Result<Vec<(ObjectKey, LiveObject)>, Error> {
        let secrets = scope.group.is_empty() && is_secret_kind(&scope.version, &scope.kind);
        let objects = self.list_raw(scope, page_size, secrets).await?;
        Ok(objects
            .into_iter()
            .map(|(metadata, secret_keys)| self.live(scope, &metadata, secret_keys))
            .collect())
    }

    /// The metadata of every object of `scope`, with the `data` key names when
    /// `secret_keys` (full objects are read then; values are dropped at once).
    pub(crate) async fn list_raw(
        &self,
        scope: &ListScope,
        page_size: u32,
        secret_keys: bool,
    ) -> Result<Vec<(ObjectMeta, Vec<String>)>, Error> {
        let info = self.kind(&scope.group, &scope.version, &scope.kind).await?;
        let api = self.list_api(&info, scope.namespace.as_deref());
        let what = ScopeName(scope);
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut params = ListParams::default().limit(page_size.max(1));
            if let Some(token) = &token {
                params = params.continue_token(token);
            }
            let next = if secret_keys {
                let page = api
                    .list(&params)
                    .await
                    .map_err(|source| request_error("list", &what, None, source))?;
                for object in page.items {
                    let keys = data_keys(&object.data);
                    // The values are dropped here, with the rest of `object.data`.
                    found.push((object.metadata, keys));
                }
                page.metadata.continue_
            } else {
                let page = api
                    .list_metadata(&params)
                    .await
                    .map_err(|source| request_error("list", &what, None, source))?;
                found.extend(
                    page.items
                        .into_iter()
                        .map(|item| (item.metadata, Vec::new())),
                );
                page.metadata.continue_
            };
            match next {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => break,
            }
        }
        Ok(found)
    }

    fn list_api(&self, info: &KindInfo, namespace: Option<&str>) -> Api<DynamicObject> {
        let client = self.inner.client.clone();
        match namespace {
            Some(namespace) if info.namespaced => {
                Api::namespaced_with(client, namespace, &info.resource)
            }
            _ => Api::all_with(client, &info.resource),
        }
    }

    /// The key of an object of `scope` with `metadata`.
    pub(crate) fn key_in(&self, scope: &ListScope, metadata: &ObjectMeta) -> ObjectKey {
        ObjectKey {
            cluster: self.name().to_owned(),
            group: scope.group.clone(),
            version: scope.version.clone(),
            kind: scope.kind.clone(),
            namespace: metadata.namespace.clone(),
            name: metadata.name.clone().unwrap_or_default(),
        }
    }

    fn live(
        &self,
        scope: &ListScope,
        metadata: &ObjectMeta,
        secret_keys: Vec<String>,
    ) -> (ObjectKey, LiveObject) {
        let key = self.key_in(scope, metadata);
        let object = LiveObject {
            uid: metadata.uid.clone().unwrap_or_default(),
            resource_version: metadata.resource_version.clone().unwrap_or_default(),
            managed_by: metadata
                .labels
                .as_ref()
                .and_then(|labels| labels.get(MANAGED_BY_LABEL))
                .cloned(),
            terminating: metadata.deletion_timestamp.is_some(),
            written_by_sisyphus: metadata
                .managed_fields
                .iter()
                .flatten()
                .any(|entry| entry.manager.as_deref() == Some(FIELD_MANAGER)),
            secret_keys,
        };
        (key, object)
    }

    /// Server-side apply of `object` (field manager [`FIELD_MANAGER`], forced); with
    /// `dry_run`, the server validates and admits it but persists nothing.
    ///
    /// # Errors
    ///
    /// [`Error::SecretApply`] for a Secret (see [`Cluster::create_secret`]);
    /// [`Error::UnknownKind`]; [`Error::InvalidObject`]; [`Error::Api`] with the server's
    /// message (422 invalid, 404 when the namespace is missing, 409, ...). A dry run of an
    /// object whose namespace does not exist yet is a 404 as well.
    pub async fn apply(&self, object: &Value, dry_run: bool) -> Result<Applied, Error> {
        let key = self.key_of(object)?;
        if key.group.is_empty() && is_secret_kind(&key.version, &key.kind) {
            return Err(Error::SecretApply {
                object: key.to_string(),
            });
        }
        let operation = if dry_run { "dry-run apply" } else { "apply" };
        let api = self.api_for(&key, operation).await?;
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        params.dry_run = dry_run;
        let applied = api
            .patch(&key.name, &params, &Patch::Apply(object))
            .await
            .map_err(|source| request_error(operation, &key, None, source))?;
        Ok(Applied::of(&applied.metadata))
    }

    /// What `object` would look like live after a server-side apply (field manager
    /// [`FIELD_MANAGER`], forced), without persisting anything: a dry run, returned as
    /// [`Cluster::get`] returns live objects (managed fields and status removed). For
    /// `diff --live`, which compares it with the live object.
    ///
    /// # Errors
    ///
    /// As [`Cluster::apply`].
    pub async fn dry_run_object(&self, object: &Value) -> Result<Value, Error> {
        let key = self.key_of(object)?;
        if key.group.is_empty() && is_secret_kind(&key.version, &key.kind) {
            return Err(Error::SecretApply {
                object: key.to_string(),
            });
        }
        let api = self.api_for(&key, "dry-run apply").await?;
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        params.dry_run = true;
        let applied = api
            .patch(&key.name, &params, &Patch::Apply(object))
            .await
            .map_err(|source| request_error("dry-run apply", &key, None, source))?;
        shown(&key, applied, "dry-run apply")
    }

    /// The live object of `key`, or `None` if it does not exist: `metadata.managedFields` and
    /// `status` removed, Secret values masked ([`sisyphus_core::secret::masked`]), the
    /// last-applied annotation dropped. The unmasked form never leaves this function.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKind`]; [`Error::Api`]; [`Error::Request`].
    pub async fn get(&self, key: &ObjectKey) -> Result<Option<Value>, Error> {
        let api = self.api_for(key, "get").await?;
        let Some(object) = api
            .get_opt(&key.name)
            .await
            .map_err(|source| request_error("get", key, None, source))?
        else {
            return Ok(None);
        };
        shown(key, object, "get").map(Some)
    }

    /// Every object of `scope` in full, as [`Cluster::get`] returns them (managed fields and
    /// status removed, Secret values masked): one list request per page of
    /// [`METADATA_PAGE_SIZE`] objects. For refresh and import, which compare live fields.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKind`], [`Error::Api`], [`Error::Request`].
    pub async fn list_objects(&self, scope: &ListScope) -> Result<Vec<(ObjectKey, Value)>, Error> {
        let info = self.kind(&scope.group, &scope.version, &scope.kind).await?;
        let api = self.list_api(&info, scope.namespace.as_deref());
        let what = ScopeName(scope);
        let page_size = if scope.group.is_empty() && is_secret_kind(&scope.version, &scope.kind) {
            SECRET_PAGE_SIZE
        } else {
            METADATA_PAGE_SIZE
        };
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut params = ListParams::default().limit(page_size);
            if let Some(token) = &token {
                params = params.continue_token(token);
            }
            let page = api
                .list(&params)
                .await
                .map_err(|source| request_error("list", &what, None, source))?;
            for object in page.items {
                let key = self.key_in(scope, &object.metadata);
                let value = shown(&key, object, "list")?;
                found.push((key, value));
            }
            match page.metadata.continue_ {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => break,
            }
        }
        Ok(found)
    }

    /// Deletes `key` (background propagation) and waits up to `wait` for it to go.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKind`]; [`Error::Api`]; [`Error::Request`].
    pub async fn delete(&self, key: &ObjectKey, wait: Duration) -> Result<Deleted, Error> {
        let api = self.api_for(key, "delete").await?;
        let uid = match api.delete(&key.name, &DeleteParams::background()).await {
            Ok(either) => either.left().and_then(|object| object.metadata.uid),
            Err(error) if has_code(&error, 404) => return Ok(Deleted::Gone),
            Err(source) => return Err(request_error("delete", key, None, source)),
        };
        self.wait_gone(&api, key, uid.as_deref(), wait).await
    }

    /// Waits up to `wait` for `key` (with `uid`, if known) to disappear: polls its metadata,
    /// starting at 50 ms and backing off to 500 ms. An object of the same name with another
    /// uid counts as gone.
    async fn wait_gone(
        &self,
        api: &Api<DynamicObject>,
        key: &ObjectKey,
        uid: Option<&str>,
        wait: Duration,
    ) -> Result<Deleted, Error> {
        let deadline = Instant::now() + wait;
        let mut pause = POLL_FIRST;
        loop {
            let current = api
                .get_metadata_opt(&key.name)
                .await
                .map_err(|source| request_error("wait for the deletion of", key, None, source))?;
            let Some(current) = current else {
                return Ok(Deleted::Gone);
            };
            if uid.is_some() && current.metadata.uid.as_deref() != uid {
                return Ok(Deleted::Gone);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Deleted::Stuck {
                    finalizers: current.metadata.finalizers.unwrap_or_default(),
                });
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(POLL_MAX);
        }
    }

    /// Waits up to `timeout` for namespace `name` to be gone (after its delete; namespace
    /// deletion empties it first, which takes the namespace controller a few seconds).
    ///
    /// # Errors
    ///
    /// [`Error::Api`]; [`Error::Request`].
    pub async fn wait_namespace_gone(
        &self,
        name: &str,
        timeout: Duration,
    ) -> Result<Deleted, Error> {
        let api: Api<DynamicObject> =
            Api::all_with(self.inner.client.clone(), &namespace_resource());
        let key = ObjectKey {
            cluster: self.name().to_owned(),
            group: String::new(),
            version: "v1".to_owned(),
            kind: "Namespace".to_owned(),
            namespace: None,
            name: name.to_owned(),
        };
        self.wait_gone(&api, &key, None, timeout).await
    }

    /// Waits up to `timeout` for CustomResourceDefinition `name` to have condition
    /// `Established` true and its kind to be in discovery (refreshed until it is).
    ///
    /// # Errors
    ///
    /// [`Error::WaitTimeout`]; [`Error::Api`] (404 if there is no such CRD);
    /// [`Error::Request`]; [`Error::Discovery`].
    pub async fn wait_crd_established(&self, name: &str, timeout: Duration) -> Result<(), Error> {
        let api: Api<DynamicObject> = Api::all_with(self.inner.client.clone(), &crd_resource());
        let what = format!(
            "`{}` apiextensions.k8s.io/v1 CustomResourceDefinition {name} to be established",
            self.name()
        );
        let deadline = Instant::now() + timeout;
        let mut pause = POLL_FIRST;
        loop {
            let crd = api
                .get(name)
                .await
                .map_err(|source| request_error("wait for", &what, None, source))?;
            // Established, and served by discovery: the aggregated discovery document can lag
            // the condition by a moment, so refresh until the kind is in it.
            if is_established(&crd.data) {
                self.refresh_discovery().await?;
                let served = match served_kind(&crd.data) {
                    Some((group, version, kind)) => {
                        self.cached_has_kind(&group, &version, &kind).await
                    }
                    None => true,
                };
                if served {
                    return Ok(());
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::WaitTimeout { what, timeout });
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(POLL_MAX);
        }
    }
}

/// The group, first served version and kind a CRD defines, if it says.
fn served_kind(data: &Value) -> Option<(String, String, String)> {
    let text = |pointer: &str| {
        data.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let version = data
        .pointer("/spec/versions")
        .and_then(Value::as_array)?
        .iter()
        .find(|v| v.get("served").and_then(Value::as_bool) == Some(true))?
        .get("name")?
        .as_str()?
        .to_owned();
    Some((text("/spec/group")?, version, text("/spec/names/kind")?))
}

/// Whether a CRD's `status.conditions` has `Established` = `True`.
fn is_established(data: &Value) -> bool {
    data.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|conditions| {
            conditions.iter().any(|condition| {
                condition.get("type").and_then(Value::as_str) == Some("Established")
                    && condition.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// The sorted key names of a Secret's `data` (the server folds `stringData` into it).
pub(crate) fn data_keys(data: &Value) -> Vec<String> {
    let mut keys: Vec<String> = data
        .get("data")
        .and_then(Value::as_object)
        .map(|values| values.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// A list scope for messages: `` `cluster` v1 ConfigMap in namespace ns ``.
struct ScopeName<'a>(&'a ListScope);

impl std::fmt::Display for ScopeName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scope = self.0;
        let api_version = if scope.group.is_empty() {
            scope.version.clone()
        } else {
            format!("{}/{}", scope.group, scope.version)
        };
        write!(f, "`{}` {api_version} {}", scope.cluster, scope.kind)?;
        match &scope.namespace {
            Some(namespace) => write!(f, " in namespace {namespace}"),
            None => Ok(()),
        }
    }
}

/// A live object as it may leave this crate: apiVersion and kind from the key, `status` and
/// `metadata.managedFields` removed, Secret values masked, the last-applied annotation dropped.
fn shown(key: &ObjectKey, object: DynamicObject, operation: &'static str) -> Result<Value, Error> {
    let mut value = serde_json::to_value(object).map_err(|source| Error::Request {
        operation,
        object: key.to_string(),
        source: kube::Error::SerdeError(source),
    })?;
    // The core group is "" in the key, but the object says `v1`: make sure it is masked even
    // if the server answered with an unexpected shape.
    if let Some(map) = value.as_object_mut() {
        map.insert("apiVersion".to_owned(), Value::String(key.api_version()));
        map.insert("kind".to_owned(), Value::String(key.kind.clone()));
        map.remove("status");
        if let Some(Value::Object(metadata)) = map.get_mut("metadata") {
            metadata.remove("managedFields");
        }
    }
    mask_in_place(&mut value);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn established_needs_the_true_condition() {
        let ok = json!({"status": {"conditions": [
            {"type": "NamesAccepted", "status": "True"},
            {"type": "Established", "status": "True"}
        ]}});
        let pending =
            json!({"status": {"conditions": [{"type": "Established", "status": "False"}]}});
        assert!(is_established(&ok));
        assert!(!is_established(&pending));
        assert!(!is_established(&json!({})));
    }
}
