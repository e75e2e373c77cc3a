//! Helpers shared by the operations: an object's identity, the `Api` for it, and turning kube
//! errors into [`Error`]s that name the object and never carry a Secret value.

use kube::api::{Api, ApiResource, DynamicObject};
use serde_json::Value;
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::secret::{SECRET_VALUE_FIELDS, holds_secrets};

use crate::connect::Cluster;
use crate::error::Error;

/// Server messages are scrubbed of Secret values at least this long (shorter ones would
/// mangle ordinary words).
const MIN_SCRUBBED_LEN: usize = 4;

impl Cluster {
    /// The identity of `object` in this cluster (version included).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidObject`] when apiVersion, kind or metadata.name is missing.
    pub fn key_of(&self, object: &Value) -> Result<ObjectKey, Error> {
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
        let api_version = text(object.get("apiVersion"));
        let kind = text(object.get("kind"));
        let metadata = object.get("metadata");
        let name = text(metadata.and_then(|m| m.get("name")));
        let namespace = text(metadata.and_then(|m| m.get("namespace")));
        let (Some(api_version), Some(kind), Some(name)) = (api_version, kind, name) else {
            return Err(Error::InvalidObject {
                operation: "identify",
                object: format!("an object in cluster `{}`", self.name()),
                problem: "apiVersion, kind and metadata.name are required".to_owned(),
            });
        };
        let (group, version) = ObjectKey::split_api_version(&api_version);
        Ok(ObjectKey {
            cluster: self.name().to_owned(),
            group: group.to_owned(),
            version: version.to_owned(),
            kind,
            namespace,
            name,
        })
    }

    /// The `Api` for `key`'s kind and namespace, after discovery.
    pub(crate) async fn api_for(
        &self,
        key: &ObjectKey,
        operation: &'static str,
    ) -> Result<Api<DynamicObject>, Error> {
        let info = self.kind(&key.group, &key.version, &key.kind).await?;
        self.api_with(&info.resource, info.namespaced, key, operation)
    }

    /// The `Api` for `key` with a known resource.
    pub(crate) fn api_with(
        &self,
        resource: &ApiResource,
        namespaced: bool,
        key: &ObjectKey,
        operation: &'static str,
    ) -> Result<Api<DynamicObject>, Error> {
        let client = self.inner.client.clone();
        match (&key.namespace, namespaced) {
            (Some(namespace), true) => Ok(Api::namespaced_with(client, namespace, resource)),
            (None, false) => Ok(Api::all_with(client, resource)),
            (None, true) => Err(Error::InvalidObject {
                operation,
                object: key.to_string(),
                problem: format!("{} is namespaced: metadata.namespace is required", key.kind),
            }),
            (Some(_), false) => Err(Error::InvalidObject {
                operation,
                object: key.to_string(),
                problem: format!(
                    "{} is cluster-scoped: metadata.namespace must not be set",
                    key.kind
                ),
            }),
        }
    }
}

/// `source` as an [`Error`] about `object`: an API refusal keeps the server's code, reason
/// and message (scrubbed of the values of `secret`, when given); anything else is
/// [`Error::Request`].
pub(crate) fn request_error(
    operation: &'static str,
    object: &impl ToString,
    secret: Option<&Value>,
    source: kube::Error,
) -> Error {
    match source {
        kube::Error::Api(status) => Error::Api {
            operation,
            object: object.to_string(),
            code: status.code,
            reason: status.reason.clone(),
            message: match secret {
                Some(secret) => scrub(&status.message, secret),
                None => status.message.clone(),
            },
        },
        source => Error::Request {
            operation,
            object: object.to_string(),
            source,
        },
    }
}

/// Whether `error` is an API refusal with `code`.
pub(crate) fn has_code(error: &kube::Error, code: u16) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == code)
}

/// `message` with every value of `object`'s `data`/`stringData` (if it holds secrets) that is
/// at least [`MIN_SCRUBBED_LEN`] long replaced by `****`.
pub(crate) fn scrub(message: &str, object: &Value) -> String {
    if !holds_secrets(object) {
        return message.to_owned();
    }
    let mut text = message.to_owned();
    let values = SECRET_VALUE_FIELDS
        .iter()
        .filter_map(|field| object.get(*field).and_then(Value::as_object))
        .flat_map(|values| values.values())
        .filter_map(Value::as_str)
        .filter(|value| value.len() >= MIN_SCRUBBED_LEN);
    for value in values {
        text = text.replace(value, sisyphus_core::secret::MASK);
    }
    text
}

/// The `ApiResource` of core v1 Secrets (no discovery needed).
pub(crate) fn secret_resource() -> ApiResource {
    ApiResource {
        group: String::new(),
        version: "v1".to_owned(),
        api_version: "v1".to_owned(),
        kind: "Secret".to_owned(),
        plural: "secrets".to_owned(),
    }
}

/// The `ApiResource` of core v1 Namespaces.
pub(crate) fn namespace_resource() -> ApiResource {
    ApiResource {
        group: String::new(),
        version: "v1".to_owned(),
        api_version: "v1".to_owned(),
        kind: "Namespace".to_owned(),
        plural: "namespaces".to_owned(),
    }
}

/// The `ApiResource` of apiextensions.k8s.io/v1 CustomResourceDefinitions.
pub(crate) fn crd_resource() -> ApiResource {
    ApiResource {
        group: "apiextensions.k8s.io".to_owned(),
        version: "v1".to_owned(),
        api_version: "apiextensions.k8s.io/v1".to_owned(),
        kind: "CustomResourceDefinition".to_owned(),
        plural: "customresourcedefinitions".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scrub_replaces_secret_values_only_in_secrets() {
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret",
            "data": {"a": "aHVudGVyMg=="}, "stringData": {"b": "hunter2", "c": "x"}
        });
        let message = "bad value aHVudGVyMg== and hunter2 near x";
        assert_eq!(scrub(message, &secret), "bad value **** and **** near x");
        let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "hunter2"}});
        assert_eq!(scrub(message, &config_map), message);
    }
}
