use std::path::PathBuf;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};
use sisyphus_cluster::{Cluster, Clusters};
use sisyphus_test_support::kube::KubeCluster;

/// The context name of the shared test cluster.
pub const CONTEXT: &str = "cluster-it";

pub fn cluster() -> &'static KubeCluster {
    KubeCluster::shared(CONTEXT)
}

pub fn kubeconfig() -> PathBuf {
    cluster().kubeconfig().to_owned()
}

/// A freshly connected cluster (its own request counter and discovery cache).
pub async fn connect() -> Cluster {
    let clusters = Clusters::connect(&[kubeconfig()], &[CONTEXT.to_owned()])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    clusters.get(CONTEXT).unwrap().clone()
}

/// A fresh namespace of the shared cluster.
pub async fn namespace(prefix: &str) -> String {
    cluster().test_namespace(prefix).await
}

pub fn config_map(namespace: &str, name: &str, data: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {"app.kubernetes.io/managed-by": "sisyphus"}},
        "data": data
    })
}

pub fn secret(namespace: &str, name: &str, data: Value, string_data: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "data": data,
        "stringData": string_data
    })
}

pub fn deployment(namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name}},
                "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}
            }
        }
    })
}

/// A kube `Api` for a core v1 kind in `namespace`, for editing objects by hand.
pub async fn core_api(namespace: &str, kind: &str, plural: &str) -> Api<DynamicObject> {
    let resource = kube::api::ApiResource {
        group: String::new(),
        version: "v1".to_owned(),
        api_version: "v1".to_owned(),
        kind: kind.to_owned(),
        plural: plural.to_owned(),
    };
    Api::namespaced_with(cluster().client().await, namespace, &resource)
}

/// Merge-patches `name` by hand (as a person with kubectl would), as manager `by-hand`.
pub async fn hand_edit(api: &Api<DynamicObject>, name: &str, patch: Value) {
    let params = PatchParams {
        field_manager: Some("by-hand".to_owned()),
        ..PatchParams::default()
    };
    api.patch(name, &params, &Patch::Merge(&patch))
        .await
        .unwrap_or_else(|e| panic!("hand edit of {name}: {e}"));
}

/// The error's message with its causes, as the CLI prints it.
pub fn report(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str("\n  Caused by: ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
