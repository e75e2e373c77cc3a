//! Watches and the reads a rollout wait needs: one watch per (kind, namespace) with status,
//! the pods a selector picks, and the newest events of named objects.

use std::collections::{BTreeMap, BTreeSet};

use futures::{Stream, StreamExt as _};
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event as WatcherEvent};
use serde_json::Value;
use sisyphus_core::live::ListScope;
use sisyphus_core::secret::is_secret_kind;

use crate::connect::Cluster;
use crate::error::Error;
use crate::objects::request_error;

/// Events listed per namespace when a wait explains a failure (the newest are kept).
const EVENT_LIST_LIMIT: u32 = 1000;

/// What a watch saw.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    /// An object as it is now (listed, added or modified), with its `status`.
    Object(Value),
    /// An object was deleted.
    Gone {
        /// Its name.
        name: String,
    },
}

impl Cluster {
    /// Watches every object of `scope`'s kind in its namespace (cluster-wide for a
    /// cluster-scoped kind), with status: one list, then one watch, re-listing with backoff
    /// when the watch breaks. With `name`, only that object is watched (a field selector). A
    /// broken watch yields the error and goes on.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidObject`] for Secrets (values are never read for a wait);
    /// [`Error::UnknownKind`]; [`Error::Discovery`]. Later failures come through the stream
    /// as [`Error::Watch`] or [`Error::Request`].
    pub async fn watch(
        &self,
        scope: &ListScope,
        name: Option<&str>,
    ) -> Result<impl Stream<Item = Result<Seen, Error>> + Send + 'static, Error> {
        if scope.group.is_empty() && is_secret_kind(&scope.version, &scope.kind) {
            return Err(Error::InvalidObject {
                operation: "watch",
                object: format!("`{}` v1 {}", self.name(), scope.kind),
                problem: "Secrets are never watched (their values would be read)".to_owned(),
            });
        }
        let info = self.kind(&scope.group, &scope.version, &scope.kind).await?;
        let api = self.namespace_api(&info.resource, info.namespaced, scope);
        let mut config = watcher::Config::default();
        if let Some(name) = name {
            config = config.fields(&format!("metadata.name={name}"));
        }
        let what = format!(
            "`{}` {} {}",
            self.name(),
            info.resource.api_version,
            scope.kind
        );
        let stream = watcher::watcher(api, config)
            .default_backoff()
            .filter_map(move |event| {
                let what = what.clone();
                async move {
                    match event {
                        Ok(WatcherEvent::Apply(object) | WatcherEvent::InitApply(object)) => Some(
                            serde_json::to_value(object)
                                .map(Seen::Object)
                                .map_err(|source| Error::Request {
                                    operation: "watch",
                                    object: what,
                                    source: kube::Error::SerdeError(source),
                                }),
                        ),
                        Ok(WatcherEvent::Delete(object)) => Some(Ok(Seen::Gone {
                            name: object.metadata.name.unwrap_or_default(),
                        })),
                        Ok(WatcherEvent::Init | WatcherEvent::InitDone) => None,
                        Err(source) => Some(Err(Error::Watch {
                            what,
                            message: source.to_string(),
                        })),
                    }
                }
            });
        Ok(stream)
    }

    /// The pods of `namespace` whose labels match every label of `match_labels`, with status
    /// (one list request).
    ///
    /// # Errors
    ///
    /// [`Error::Api`]; [`Error::Request`].
    pub async fn pods_matching(
        &self,
        namespace: &str,
        match_labels: &BTreeMap<String, String>,
    ) -> Result<Vec<Value>, Error> {
        let selector: Vec<String> = match_labels
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        let resource = core_resource("Pod", "pods");
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client().clone(), namespace, &resource);
        let what = format!("`{}` v1 Pod in namespace {namespace}", self.name());
        let pods = api
            .list(&ListParams::default().labels(&selector.join(",")).limit(100))
            .await
            .map_err(|source| request_error("list", &what, None, source))?;
        pods.items
            .into_iter()
            .map(|pod| {
                serde_json::to_value(pod).map_err(|source| Error::Request {
                    operation: "list",
                    object: what.clone(),
                    source: kube::Error::SerdeError(source),
                })
            })
            .collect()
    }

    /// The events of `namespace` about objects named in `names`, newest first (one list
    /// request of at most 1,000 events).
    ///
    /// # Errors
    ///
    /// [`Error::Api`]; [`Error::Request`].
    pub async fn events_about(
        &self,
        namespace: &str,
        names: &BTreeSet<String>,
    ) -> Result<Vec<Value>, Error> {
        let resource = core_resource("Event", "events");
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client().clone(), namespace, &resource);
        let what = format!("`{}` v1 Event in namespace {namespace}", self.name());
        let events = api
            .list(&ListParams::default().limit(EVENT_LIST_LIMIT))
            .await
            .map_err(|source| request_error("list", &what, None, source))?;
        let mut found: Vec<Value> = events
            .items
            .into_iter()
            .filter_map(|event| serde_json::to_value(event).ok())
            .filter(|event| {
                event
                    .pointer("/involvedObject/name")
                    .and_then(Value::as_str)
                    .is_some_and(|name| names.contains(name))
            })
            .collect();
        found.sort_by_key(|event| std::cmp::Reverse(event_time(event)));
        Ok(found)
    }

    fn namespace_api(
        &self,
        resource: &ApiResource,
        namespaced: bool,
        scope: &ListScope,
    ) -> Api<DynamicObject> {
        match (&scope.namespace, namespaced) {
            (Some(namespace), true) => {
                Api::namespaced_with(self.client().clone(), namespace, resource)
            }
            _ => Api::all_with(self.client().clone(), resource),
        }
    }
}

/// When an event last happened: `lastTimestamp`, else `eventTime`, else its creation (RFC 3339
/// strings of one format compare in time order).
pub fn event_time(event: &Value) -> String {
    [
        "/lastTimestamp",
        "/eventTime",
        "/metadata/creationTimestamp",
    ]
    .iter()
    .find_map(|pointer| event.pointer(pointer).and_then(Value::as_str))
    .unwrap_or_default()
    .to_owned()
}

fn core_resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: String::new(),
        version: "v1".to_owned(),
        api_version: "v1".to_owned(),
        kind: kind.to_owned(),
        plural: plural.to_owned(),
    }
}
