use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kube::config::{Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};
use sisyphus_cluster::{Clusters, Error};

use crate::common::{CONTEXT, connect, kubeconfig, report};

/// A kubeconfig in `dir` with the shared cluster's context plus `extra` contexts:
/// `(context, server, user)`, each with its own cluster entry; `user` is the shared user's
/// name, an undefined name, or `bad-cert` (a user whose certificate files do not exist).
fn kubeconfig_with(dir: &Path, extra: &[(&str, &str, &str)]) -> PathBuf {
    let mut config = Kubeconfig::read_from(kubeconfig()).unwrap();
    let base_cluster = config.clusters[0].clone();
    let base_context = config.contexts[0].clone();
    config.auth_infos.push(NamedAuthInfo {
        name: "bad-cert".to_owned(),
        auth_info: Some(kube::config::AuthInfo {
            client_certificate: Some("/nonexistent/client.crt".to_owned()),
            client_key: Some("/nonexistent/client.key".to_owned()),
            ..kube::config::AuthInfo::default()
        }),
        other: Default::default(),
    });
    for (name, server, user) in extra {
        let mut cluster: NamedCluster = base_cluster.clone();
        cluster.name = format!("{name}-cluster");
        if let Some(entry) = cluster.cluster.as_mut() {
            entry.server = Some((*server).to_owned());
        }
        config.clusters.push(cluster);
        let mut context: NamedContext = base_context.clone();
        context.name = (*name).to_owned();
        if let Some(entry) = context.context.as_mut() {
            entry.cluster = format!("{name}-cluster");
            if *user != "shared" {
                entry.user = Some((*user).to_owned());
            }
        }
        config.contexts.push(context);
    }
    let path = dir.join("kubeconfig");
    // JSON is YAML.
    std::fs::write(&path, serde_json::to_vec(&config).unwrap()).unwrap();
    path
}

/// A URL on 127.0.0.1 where nothing listens.
fn closed_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("https://127.0.0.1:{port}")
}

fn messages(errors: &sisyphus_cluster::Errors) -> Vec<String> {
    errors.iter().map(|e| report(e)).collect()
}

#[tokio::test]
async fn every_unknown_context_is_reported_with_the_file_and_the_known_ones() {
    let file = kubeconfig();
    let contexts = ["nope-a".to_owned(), CONTEXT.to_owned(), "nope-b".to_owned()];
    let errors = Clusters::connect(std::slice::from_ref(&file), &contexts)
        .await
        .err()
        .unwrap();
    let messages = messages(&errors);
    assert_eq!(errors.len(), 2, "{messages:?}");
    for (message, name) in messages.iter().zip(["nope-a", "nope-b"]) {
        assert_eq!(
            message,
            &format!(
                "unknown kubeconfig context `{name}` in `{}`; known contexts: `{CONTEXT}`",
                file.display()
            )
        );
    }
    assert!(
        errors
            .to_string()
            .starts_with("2 problems with the clusters:"),
        "{errors}"
    );
}

#[tokio::test]
async fn missing_users_and_credentials_are_reported_with_unknown_contexts() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::common::cluster().server().to_owned();
    let file = kubeconfig_with(
        dir.path(),
        &[
            ("no-user", &server, "ghost"),
            ("bad-cert", &server, "bad-cert"),
        ],
    );
    let contexts: Vec<String> = ["no-user", "bad-cert", "nope", CONTEXT]
        .map(str::to_owned)
        .into();
    let errors = Clusters::connect(std::slice::from_ref(&file), &contexts)
        .await
        .err()
        .unwrap();
    let messages = messages(&errors);
    assert_eq!(errors.len(), 3, "{messages:?}");
    assert!(
        messages[0].starts_with("kubeconfig context `no-user` names user `ghost`, which `")
            && messages[0].ends_with("` does not define"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].starts_with(
            "failed to set up TLS and credentials of kubeconfig context `bad-cert` from `"
        ) && messages[1].contains("/nonexistent/client.crt"),
        "{}",
        messages[1]
    );
    assert!(
        messages[2].contains("unknown kubeconfig context `nope`")
            && messages[2].contains("known contexts: `bad-cert`, `cluster-it`, `no-user`"),
        "{}",
        messages[2]
    );
}

#[tokio::test]
async fn an_unreadable_kubeconfig_names_the_file() {
    let errors = Clusters::connect(&[PathBuf::from("/nonexistent/kubeconfig")], &[])
        .await
        .err()
        .unwrap();
    let message = report(errors.iter().next().unwrap());
    assert!(
        message.starts_with("failed to read kubeconfig `/nonexistent/kubeconfig`"),
        "{message}"
    );
}

#[tokio::test]
async fn unreachable_clusters_are_reported_together_without_network_io_at_connect() {
    let dir = tempfile::tempdir().unwrap();
    let (closed_a, closed_b) = (closed_server(), closed_server());
    let file = kubeconfig_with(
        dir.path(),
        &[
            ("closed-a", &closed_a, "shared"),
            ("closed-b", &closed_b, "shared"),
        ],
    );
    let contexts: Vec<String> = [CONTEXT, "closed-a", "closed-b"].map(str::to_owned).into();
    let clusters = Clusters::connect(std::slice::from_ref(&file), &contexts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for cluster in clusters.iter() {
        assert_eq!(cluster.requests().total(), 0, "connect sends nothing");
    }
    let started = Instant::now();
    let errors = clusters
        .check_within(Duration::from_secs(5))
        .await
        .err()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let messages = messages(&errors);
    assert_eq!(errors.len(), 2, "{messages:?}");
    assert!(
        messages[0].starts_with(&format!("cluster `closed-a` at {closed_a} is unreachable")),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].starts_with(&format!("cluster `closed-b` at {closed_b} is unreachable")),
        "{}",
        messages[1]
    );
    assert!(matches!(
        errors.iter().next(),
        Some(Error::Unreachable { .. })
    ));
    let reachable = clusters.get(CONTEXT).unwrap();
    assert_eq!(reachable.requests().reads, 1);
    // Failed connections are requests too: one each.
    assert_eq!(clusters.requests().reads, 3);
    assert_eq!(clusters.requests().writes, 0);
}

#[tokio::test]
async fn a_reachable_cluster_passes_the_check() {
    let cluster = connect().await;
    cluster.check(Duration::from_secs(5)).await.unwrap();
    assert_eq!(cluster.server(), crate::common::cluster().server());
}

#[tokio::test]
async fn two_clusters_in_one_kubeconfig_get_their_own_clients() {
    let a = crate::common::cluster();
    let b = sisyphus_test_support::kube::KubeCluster::shared("cluster-it-b");
    let file = sisyphus_test_support::kube::merged_kubeconfig(&[a, b]);
    let contexts: Vec<String> = [a.context(), b.context()].map(str::to_owned).into();
    let clusters = Clusters::connect(std::slice::from_ref(&file), &contexts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    clusters.check().await.unwrap_or_else(|e| panic!("{e}"));
    let servers: Vec<&str> = clusters.iter().map(|cluster| cluster.server()).collect();
    assert_eq!(servers, [a.server(), b.server()]);
    for cluster in clusters.iter() {
        assert_eq!(cluster.requests().reads, 1, "{}", cluster.name());
    }
}
