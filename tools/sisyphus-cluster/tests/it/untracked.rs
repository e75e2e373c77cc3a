use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;
use sisyphus_cluster::{Cluster, ObjectId, ObjectKey};

use crate::common::{config_map, connect, deployment, namespace};

fn ids(cluster: &Cluster, objects: &[serde_json::Value]) -> BTreeSet<ObjectId> {
    objects
        .iter()
        .map(|object| ObjectId::of(&cluster.key_of(object).unwrap()))
        .collect()
}

/// Every object in `namespace` of every listable namespaced kind, no exceptions.
async fn everything_in(cluster: &Cluster, namespace: &str) -> Vec<ObjectKey> {
    let discovery = kube::Discovery::new(cluster.client().clone())
        .run_aggregated()
        .await
        .unwrap();
    let mut found = Vec::new();
    for group in discovery.groups() {
        for (resource, capabilities) in group.recommended_resources() {
            if capabilities.scope != kube::discovery::Scope::Namespaced
                || !capabilities.supports_operation(kube::discovery::verbs::LIST)
            {
                continue;
            }
            let scope = sisyphus_cluster::ListScope {
                cluster: cluster.name().to_owned(),
                group: resource.group.clone(),
                version: resource.version.clone(),
                kind: resource.kind.clone(),
                namespace: Some(namespace.to_owned()),
            };
            found.extend(
                cluster
                    .list(&scope)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|(key, _)| key),
            );
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn a_fresh_namespace_holds_only_what_the_cluster_makes_and_counts_as_empty() {
    let cluster = connect().await;
    let ns = namespace("fresh").await;
    // The controllers fill a new namespace within moments; wait for both.
    let deadline = Instant::now() + Duration::from_secs(20);
    let names = loop {
        let names: Vec<String> = everything_in(&cluster, &ns)
            .await
            .iter()
            .map(|key| format!("{} {}", key.kind, key.name))
            .collect();
        if names.len() >= 2 || Instant::now() > deadline {
            break names;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        names,
        ["ConfigMap kube-root-ca.crt", "ServiceAccount default"],
        "what a fresh namespace of the test cluster holds"
    );
    let untracked = cluster
        .untracked_in_namespace(&ns, &BTreeSet::new())
        .await
        .unwrap();
    assert_eq!(untracked, []);
}

#[tokio::test]
async fn an_untracked_config_map_is_found_and_tracked_objects_are_not() {
    let cluster = connect().await;
    let ns = namespace("untracked").await;
    let mine = config_map(&ns, "mine", json!({}));
    let stray = config_map(&ns, "stray", json!({}));
    cluster.apply(&mine, false).await.unwrap();
    cluster.apply(&stray, false).await.unwrap();
    let before = cluster.requests();
    let untracked = cluster
        .untracked_in_namespace(&ns, &ids(&cluster, &[mine]))
        .await
        .unwrap();
    let names: Vec<String> = untracked.iter().map(ToString::to_string).collect();
    assert_eq!(names, [format!("`cluster-it` v1 ConfigMap {ns}/stray")]);
    let step = cluster.requests().since(before);
    assert_eq!(step.writes, 0);
    eprintln!(
        "untracked_in_namespace: {} reads (discovery + one list per kind)",
        step.reads
    );
}

#[tokio::test]
async fn objects_owned_by_a_tracked_deployment_are_not_untracked() {
    let cluster = connect().await;
    let ns = namespace("owned").await;
    let web = deployment(&ns, "web");
    cluster.apply(&web, false).await.unwrap();
    // Wait for the deployment controller's ReplicaSet (and its Pod).
    let scope = sisyphus_cluster::ListScope {
        cluster: cluster.name().to_owned(),
        group: "apps".to_owned(),
        version: "v1".to_owned(),
        kind: "ReplicaSet".to_owned(),
        namespace: Some(ns.clone()),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while cluster.list(&scope).await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no ReplicaSet appeared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let untracked = cluster
        .untracked_in_namespace(&ns, &ids(&cluster, &[web]))
        .await
        .unwrap();
    assert_eq!(untracked, []);
}
