use std::time::{Duration, Instant};

use serde_json::json;
use sisyphus_cluster::Deleted;

use crate::common::{config_map, connect, core_api, hand_edit, namespace};

#[tokio::test]
async fn delete_waits_until_gone_and_a_missing_object_is_gone() {
    let cluster = connect().await;
    let ns = namespace("delete").await;
    let object = config_map(&ns, "doomed", json!({}));
    cluster.apply(&object, false).await.unwrap();
    let key = cluster.key_of(&object).unwrap();
    assert_eq!(
        cluster.delete(&key, Duration::from_secs(10)).await.unwrap(),
        Deleted::Gone
    );
    assert_eq!(cluster.get(&key).await.unwrap(), None);
    assert_eq!(
        cluster.delete(&key, Duration::from_secs(10)).await.unwrap(),
        Deleted::Gone
    );
}

#[tokio::test]
async fn a_finalizer_makes_the_delete_stuck_within_the_wait() {
    let cluster = connect().await;
    let ns = namespace("stuck").await;
    let mut object = config_map(&ns, "held", json!({}));
    object["metadata"]["finalizers"] = json!(["sisyphus.test/hold"]);
    cluster.apply(&object, false).await.unwrap();
    let key = cluster.key_of(&object).unwrap();
    let started = Instant::now();
    let deleted = cluster.delete(&key, Duration::from_secs(1)).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        deleted,
        Deleted::Stuck {
            finalizers: vec!["sisyphus.test/hold".to_owned()]
        }
    );
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    let listed = cluster
        .list(&sisyphus_cluster::ListScope {
            cluster: key.cluster.clone(),
            group: String::new(),
            version: "v1".to_owned(),
            kind: "ConfigMap".to_owned(),
            namespace: Some(ns.clone()),
        })
        .await
        .unwrap();
    assert!(
        listed
            .iter()
            .any(|(k, live)| k.name == "held" && live.terminating)
    );

    // Once the finalizer is removed, it goes.
    let api = core_api(&ns, "ConfigMap", "configmaps").await;
    hand_edit(&api, "held", json!({"metadata": {"finalizers": null}})).await;
    assert_eq!(
        cluster.delete(&key, Duration::from_secs(10)).await.unwrap(),
        Deleted::Gone
    );
}

#[tokio::test]
async fn a_namespace_delete_waits_for_the_namespace_controller() {
    let cluster = connect().await;
    let ns = namespace("ns-delete").await;
    cluster
        .apply(&config_map(&ns, "inside", json!({})), false)
        .await
        .unwrap();
    let key = cluster
        .key_of(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
        .unwrap();
    let deleted = cluster.delete(&key, Duration::from_secs(60)).await.unwrap();
    assert_eq!(deleted, Deleted::Gone);
    assert_eq!(
        cluster
            .wait_namespace_gone(&ns, Duration::from_secs(1))
            .await
            .unwrap(),
        Deleted::Gone
    );
}
