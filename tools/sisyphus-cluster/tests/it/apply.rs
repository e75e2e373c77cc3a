use serde_json::json;
use sisyphus_cluster::Error;

use crate::common::{config_map, connect, deployment, namespace, report, secret};

#[tokio::test]
async fn apply_creates_and_the_same_apply_changes_no_resource_version() {
    let cluster = connect().await;
    let ns = namespace("apply").await;
    let object = config_map(&ns, "settings", json!({"a": "1"}));
    let first = cluster.apply(&object, false).await.unwrap();
    assert!(!first.uid.is_empty());
    let before = cluster.requests();
    let second = cluster.apply(&object, false).await.unwrap();
    assert_eq!(second, first, "a no-op apply changes nothing");
    let step = cluster.requests().since(before);
    assert_eq!((step.reads, step.writes, step.dry_runs), (0, 1, 0));

    let changed = cluster
        .apply(&config_map(&ns, "settings", json!({"a": "2"})), false)
        .await
        .unwrap();
    assert_eq!(changed.uid, first.uid);
    assert_ne!(changed.resource_version, first.resource_version);

    let deployment = cluster.apply(&deployment(&ns, "web"), false).await.unwrap();
    assert_eq!(deployment.generation, Some(1));
}

#[tokio::test]
async fn a_dry_run_creates_nothing_and_is_counted_apart() {
    let cluster = connect().await;
    let ns = namespace("dry-run").await;
    let object = deployment(&ns, "web");
    let key = cluster.key_of(&object).unwrap();
    cluster.kind("apps", "v1", "Deployment").await.unwrap();
    let before = cluster.requests();
    cluster.apply(&object, true).await.unwrap();
    let step = cluster.requests().since(before);
    assert_eq!((step.writes, step.dry_runs), (0, 1));
    assert_eq!(cluster.get(&key).await.unwrap(), None);
}

#[tokio::test]
async fn an_invalid_object_returns_the_server_message_and_its_identity() {
    let cluster = connect().await;
    let ns = namespace("invalid").await;
    let mut object = deployment(&ns, "web");
    object["spec"]["selector"]["matchLabels"] = json!({"other": "label"});
    for dry_run in [true, false] {
        let error = cluster.apply(&object, dry_run).await.err().unwrap();
        assert_eq!(error.code(), Some(422), "{}", report(&error));
        let message = report(&error);
        let operation = if dry_run { "dry-run apply" } else { "apply" };
        assert!(
            message.starts_with(&format!(
                "failed to {operation} `cluster-it` apps/v1 Deployment {ns}/web: 422 Invalid: "
            )),
            "{message}"
        );
        assert!(
            message.contains("`selector` does not match template `labels`"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_missing_namespace_is_a_404_naming_the_object() {
    let cluster = connect().await;
    let object = config_map("no-such-namespace", "x", json!({}));
    // A dry run too: objects of a namespace the push creates cannot be dry-run before it.
    for dry_run in [true, false] {
        let error = cluster.apply(&object, dry_run).await.err().unwrap();
        assert!(error.is_not_found(), "{}", report(&error));
        assert!(
            report(&error).contains("`cluster-it` v1 ConfigMap no-such-namespace/x: 404 NotFound: namespaces \"no-such-namespace\" not found"),
            "{}",
            report(&error)
        );
    }
}

#[tokio::test]
async fn secrets_are_never_server_side_applied() {
    let cluster = connect().await;
    let object = secret("ns", "s", json!({}), json!({"password": "hunter2"}));
    let error = cluster.apply(&object, false).await.err().unwrap();
    assert!(matches!(error, Error::SecretApply { .. }));
    assert!(!report(&error).contains("hunter2"));
    assert_eq!(cluster.requests().total(), 0);
}

#[tokio::test]
async fn scope_mistakes_are_refused_before_any_write() {
    let cluster = connect().await;
    let mut no_namespace = config_map("x", "y", json!({}));
    no_namespace["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("namespace");
    let error = cluster.apply(&no_namespace, false).await.err().unwrap();
    assert_eq!(
        report(&error),
        "cannot apply `cluster-it` v1 ConfigMap y: ConfigMap is namespaced: metadata.namespace is required"
    );
    let error = cluster
        .apply(&json!({"apiVersion": "v1", "kind": "ConfigMap"}), false)
        .await
        .err()
        .unwrap();
    assert!(matches!(error, Error::InvalidObject { .. }));
    assert_eq!(cluster.requests().writes, 0);
}

#[tokio::test]
async fn get_strips_managed_fields_and_status() {
    let cluster = connect().await;
    let ns = namespace("get").await;
    let object = deployment(&ns, "web");
    cluster.apply(&object, false).await.unwrap();
    let live = cluster
        .get(&cluster.key_of(&object).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live["apiVersion"], "apps/v1");
    assert!(live["metadata"].get("managedFields").is_none(), "{live}");
    assert!(live.get("status").is_none(), "{live}");
    assert_eq!(live["spec"]["replicas"], 1);
}
