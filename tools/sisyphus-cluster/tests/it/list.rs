use serde_json::json;
use sisyphus_cluster::ListScope;

use crate::common::{config_map, connect, namespace, secret};

fn scope(namespace: &str, kind: &str) -> ListScope {
    ListScope {
        cluster: crate::common::CONTEXT.to_owned(),
        group: String::new(),
        version: "v1".to_owned(),
        kind: kind.to_owned(),
        namespace: Some(namespace.to_owned()),
    }
}

#[tokio::test]
async fn one_list_request_per_scope_with_identity_and_labels() {
    let cluster = connect().await;
    let ns = namespace("list").await;
    for name in ["a", "b", "c"] {
        cluster
            .apply(&config_map(&ns, name, json!({"k": name})), false)
            .await
            .unwrap();
    }
    let before = cluster.requests();
    let listed = cluster.list(&scope(&ns, "ConfigMap")).await.unwrap();
    assert_eq!(cluster.requests().since(before).reads, 1);
    let ours: Vec<_> = listed
        .iter()
        .filter(|(_, live)| live.managed_by.as_deref() == Some("sisyphus"))
        .collect();
    assert_eq!(ours.len(), 3);
    let (key, live) = ours[0];
    assert_eq!(key.to_string(), format!("`cluster-it` v1 ConfigMap {ns}/a"));
    assert!(!live.uid.is_empty() && !live.resource_version.is_empty());
    assert!(!live.terminating && live.secret_keys.is_empty());
}

#[tokio::test]
async fn long_lists_are_read_in_pages() {
    let cluster = connect().await;
    let ns = namespace("pages").await;
    for i in 0..5 {
        cluster
            .apply(&config_map(&ns, &format!("cm-{i}"), json!({})), false)
            .await
            .unwrap();
    }
    let before = cluster.requests();
    let listed = cluster
        .list_paged(&scope(&ns, "ConfigMap"), 2)
        .await
        .unwrap();
    let names: Vec<&str> = listed.iter().map(|(key, _)| key.name.as_str()).collect();
    // 5 ours (+ kube-root-ca.crt once the publisher made it): 3 or 4 pages of 2.
    assert!(names.len() >= 5, "{names:?}");
    assert!(cluster.requests().since(before).reads >= 3);
    for i in 0..5 {
        assert!(names.contains(&format!("cm-{i}").as_str()), "{names:?}");
    }
}

#[tokio::test]
async fn secret_lists_keep_key_names_only() {
    let cluster = connect().await;
    let ns = namespace("list-secrets").await;
    cluster
        .create_secret(
            &secret(
                &ns,
                "db",
                json!({"user": "YWRtaW4="}),
                json!({"password": "hunter2-value"}),
            ),
            false,
        )
        .await
        .unwrap();
    let listed = cluster.list(&scope(&ns, "Secret")).await.unwrap();
    let (_, live) = listed.iter().find(|(key, _)| key.name == "db").unwrap();
    assert_eq!(live.secret_keys, ["password", "user"]);
    let shown = format!("{listed:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("aHVudGVy") && !shown.contains("YWRtaW4="),
        "{shown}"
    );
}

#[tokio::test]
async fn cluster_scoped_kinds_are_listed_without_a_namespace() {
    let cluster = connect().await;
    let ns = namespace("cluster-scoped").await;
    let listed = cluster
        .list(&ListScope {
            namespace: None,
            ..scope("", "Namespace")
        })
        .await
        .unwrap();
    assert!(
        listed
            .iter()
            .any(|(key, _)| key.name == ns && key.namespace.is_none())
    );
}
