use std::time::Duration;

use serde_json::json;
use sisyphus_cluster::Error;

use crate::common::{connect, report};

#[tokio::test]
async fn built_in_kinds_are_discovered_in_two_requests() {
    let cluster = connect().await;
    for (group, version, kind, plural, namespaced) in [
        ("", "v1", "ConfigMap", "configmaps", true),
        ("", "v1", "Namespace", "namespaces", false),
        ("apps", "v1", "Deployment", "deployments", true),
        ("batch", "v1", "CronJob", "cronjobs", true),
        (
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            false,
        ),
    ] {
        let info = cluster.kind(group, version, kind).await.unwrap();
        assert_eq!(info.resource.plural, plural);
        assert_eq!(info.namespaced, namespaced, "{kind}");
        assert!(info.verbs.iter().any(|verb| verb == "patch"), "{kind}");
    }
    // Aggregated discovery: /api and /apis, cached for every later lookup.
    assert_eq!(cluster.requests().reads, 2);
    assert_eq!(cluster.requests().writes, 0);
}

#[tokio::test]
async fn a_kind_the_cluster_does_not_serve_names_cluster_api_version_and_kind() {
    let cluster = connect().await;
    for (group, version, kind, api_version) in [
        ("apps", "v1beta1", "Deployment", "apps/v1beta1"),
        ("", "v1", "Deployment", "v1"),
        ("example.com", "v1", "Widget", "example.com/v1"),
    ] {
        let error = cluster.kind(group, version, kind).await.err().unwrap();
        assert!(matches!(error, Error::UnknownKind { .. }));
        assert_eq!(
            report(&error),
            format!("cluster `cluster-it` does not serve {api_version} {kind}")
        );
    }
}

#[tokio::test]
async fn a_crd_is_discovered_after_it_is_established_and_discovery_refreshed() {
    let cluster = connect().await;
    let group = format!("t{}.sisyphus.test", std::process::id());
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("widgets.{group}")},
        "spec": {
            "group": group, "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                          "schema": {"openAPIV3Schema": {"type": "object",
                              "x-kubernetes-preserve-unknown-fields": true}}}]
        }
    });
    // Discovery is cached before the CRD exists.
    assert!(matches!(
        cluster.kind(&group, "v1", "Widget").await,
        Err(Error::UnknownKind { .. })
    ));
    cluster.apply(&crd, false).await.unwrap();
    cluster
        .wait_crd_established(&format!("widgets.{group}"), Duration::from_secs(30))
        .await
        .unwrap();
    let info = cluster.kind(&group, "v1", "Widget").await.unwrap();
    assert_eq!(info.resource.plural, "widgets");
    assert!(info.namespaced);

    let namespace = crate::common::namespace("crd").await;
    let widget = json!({
        "apiVersion": format!("{group}/v1"), "kind": "Widget",
        "metadata": {"name": "w", "namespace": namespace}, "spec": {"size": 3}
    });
    cluster.apply(&widget, false).await.unwrap();
    let key = cluster.key_of(&widget).unwrap();
    assert_eq!(cluster.get(&key).await.unwrap().unwrap()["spec"]["size"], 3);
}

#[tokio::test]
async fn waiting_for_a_crd_that_does_not_exist_fails_with_the_server_message() {
    let cluster = connect().await;
    let error = cluster
        .wait_crd_established("nothings.example.com", Duration::from_secs(1))
        .await
        .err()
        .unwrap();
    assert!(error.is_not_found(), "{}", report(&error));
}
