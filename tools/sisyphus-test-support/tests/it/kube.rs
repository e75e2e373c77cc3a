//! Kubernetes clusters started by `kube-testenv` behave like a real cluster (server-side apply
//! with defaulting, validation, controllers, namespace finalization, Pods scheduled to KWOK's
//! nodes and run) and several of them are independent. Needs `testing/kube/build.sh` and
//! `testing/kwok/build.sh` to have run.

use std::future::Future;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::config::Kubeconfig;
use serde_json::json;
use sisyphus_test_support::kube::{KubeCluster, client_for, merged_kubeconfig};

/// The field manager of our applies.
const MANAGER: &str = "sisyphus-test";

/// A minimal Deployment as a server-side-apply body.
fn deployment(name: &str, replicas: i64) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name },
        "spec": {
            "replicas": replicas,
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": { "labels": { "app": name } },
                "spec": { "containers": [{ "name": "app", "image": "registry.invalid/app:1" }] }
            }
        }
    })
}

/// Calls `check` every 200 ms until it returns `Some`, failing the test after `timeout`.
async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn config_map(name: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            ..ObjectMeta::default()
        },
        data: Some([("k".to_owned(), "v".to_owned())].into_iter().collect()),
        ..ConfigMap::default()
    }
}

#[tokio::test]
async fn server_side_apply_returns_server_defaulted_fields() {
    let cluster = KubeCluster::shared("c1");
    let ns = cluster.test_namespace("ssa").await;
    let api: Api<Deployment> = Api::namespaced(cluster.client().await, &ns);
    api.patch(
        "web",
        &PatchParams::apply(MANAGER),
        &Patch::Apply(deployment("web", 1)),
    )
    .await
    .unwrap();

    let live = api.get("web").await.unwrap();
    let spec = live.spec.unwrap();
    let strategy = spec.strategy.unwrap();
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
    assert_eq!(spec.revision_history_limit, Some(10));
    assert_eq!(spec.progress_deadline_seconds, Some(600));
    let managers: Vec<(String, String)> = live
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            (
                m.manager.unwrap_or_default(),
                m.operation.unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        managers.contains(&(MANAGER.to_owned(), "Apply".to_owned())),
        "{managers:?}"
    );
}

#[tokio::test]
async fn the_deployment_controller_creates_a_replicaset() {
    let cluster = KubeCluster::shared("c1");
    let ns = cluster.test_namespace("rs").await;
    let client = cluster.client().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    deployments
        .patch(
            "api",
            &PatchParams::apply(MANAGER),
            &Patch::Apply(deployment("api", 2)),
        )
        .await
        .unwrap();

    let replica_sets: Api<ReplicaSet> = Api::namespaced(client, &ns);
    let owned = eventually(
        "a ReplicaSet owned by Deployment `api`",
        Duration::from_secs(30),
        || async {
            let list = replica_sets.list(&ListParams::default()).await.ok()?;
            list.items.into_iter().find(|rs| {
                rs.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.kind == "Deployment" && o.name == "api")
            })
        },
    )
    .await;
    assert_eq!(owned.spec.and_then(|s| s.replicas), Some(2));
}

#[tokio::test]
async fn a_deleted_namespace_disappears_with_its_content() {
    let cluster = KubeCluster::shared("c1");
    let ns = cluster.test_namespace("gone").await;
    let client = cluster.client().await;
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    config_maps
        .create(&PostParams::default(), &config_map("settings"))
        .await
        .unwrap();

    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .delete(&ns, &DeleteParams::default())
        .await
        .unwrap();
    let start = Instant::now();
    eventually(
        "the namespace controller to finalize the namespace",
        Duration::from_secs(60),
        || async { matches!(namespaces.get_opt(&ns).await, Ok(None)).then_some(()) },
    )
    .await;
    eprintln!("namespace `{ns}` gone after {:?}", start.elapsed());
    // Its content went first (the controller empties a namespace before finalizing it).
    let all_config_maps: Api<ConfigMap> = Api::all(client);
    let left = all_config_maps
        .list(&ListParams::default().fields(&format!("metadata.namespace={ns}")))
        .await
        .unwrap();
    assert!(left.items.is_empty(), "{:?}", left.items);
}

#[tokio::test]
async fn an_invalid_object_is_rejected_with_the_validation_message() {
    let cluster = KubeCluster::shared("c1");
    let ns = cluster.test_namespace("invalid").await;
    let api: Api<Deployment> = Api::namespaced(cluster.client().await, &ns);

    let negative = api
        .patch(
            "neg",
            &PatchParams::apply(MANAGER),
            &Patch::Apply(deployment("neg", -1)),
        )
        .await;
    let Err(kube::Error::Api(status)) = negative else {
        panic!("replicas: -1 was not rejected by the API server: {negative:?}");
    };
    assert_eq!(status.code, 422, "{status:?}");
    assert!(
        status
            .message
            .contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        "{}",
        status.message
    );

    let bad_name = api
        .patch(
            "Bad_Name",
            &PatchParams::apply(MANAGER),
            &Patch::Apply(deployment("Bad_Name", 1)),
        )
        .await;
    let Err(kube::Error::Api(status)) = bad_name else {
        panic!("name `Bad_Name` was not rejected by the API server: {bad_name:?}");
    };
    assert_eq!(status.code, 422, "{status:?}");
    assert!(
        status.message.contains("a lowercase RFC 1123 subdomain"),
        "{}",
        status.message
    );
    assert!(api.get_opt("neg").await.unwrap().is_none());
}

#[tokio::test]
async fn two_clusters_are_independent_and_one_merged_kubeconfig_reaches_both() {
    let (c1, c2) = std::thread::scope(|s| {
        let c2 = s.spawn(|| KubeCluster::shared("c2"));
        let c1 = KubeCluster::shared("c1");
        (c1, c2.join().unwrap())
    });
    assert_ne!(c1.server(), c2.server());

    let name = format!("only-in-c1-{}", std::process::id());
    let in_c1: Api<ConfigMap> = Api::namespaced(c1.client().await, "default");
    in_c1
        .create(&PostParams::default(), &config_map(&name))
        .await
        .unwrap();
    let in_c2: Api<ConfigMap> = Api::namespaced(c2.client().await, "default");
    assert!(in_c2.get_opt(&name).await.unwrap().is_none());

    let merged = merged_kubeconfig(&[c1, c2]);
    let kubeconfig = Kubeconfig::read_from(&merged).unwrap();
    let contexts: Vec<&str> = kubeconfig
        .contexts
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(contexts, ["c1", "c2"]);
    assert_eq!(kubeconfig.current_context.as_deref(), Some("c1"));

    let via_merged_c1: Api<ConfigMap> = Api::namespaced(client_for(&merged, "c1").await, "default");
    let via_merged_c2: Api<ConfigMap> = Api::namespaced(client_for(&merged, "c2").await, "default");
    assert!(via_merged_c1.get_opt(&name).await.unwrap().is_some());
    assert!(via_merged_c2.get_opt(&name).await.unwrap().is_none());
}

#[tokio::test]
async fn pods_are_scheduled_to_kwok_nodes_and_run_unless_labelled_never_ready() {
    let cluster = KubeCluster::shared("c1");
    let ns = cluster.test_namespace("pods").await;
    let pods: Api<Pod> = Api::namespaced(cluster.client().await, &ns);
    for (name, labels) in [
        ("ready", json!({})),
        (
            "unready",
            json!({ sisyphus_test_support::kube::NEVER_READY_LABEL: "true" }),
        ),
    ] {
        let pod = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": { "name": name, "labels": labels },
            "spec": { "containers": [{ "name": "app", "image": "registry.invalid/app:1" }] }
        });
        pods.create(
            &PostParams::default(),
            &serde_json::from_value(pod).unwrap(),
        )
        .await
        .unwrap();
    }
    for (name, want_ready) in [("ready", "True"), ("unready", "False")] {
        let (node, ready) = eventually(
            &format!("pod `{name}` to run on a node"),
            Duration::from_secs(60),
            || async {
                let pod = pods.get(name).await.ok()?;
                let status = pod.status?;
                (status.phase.as_deref() == Some("Running")).then_some(())?;
                let ready = status
                    .conditions?
                    .into_iter()
                    .find(|c| c.type_ == "Ready")?
                    .status;
                Some((pod.spec?.node_name?, ready))
            },
        )
        .await;
        assert!(
            cluster.nodes().contains(&node),
            "{node} {:?}",
            cluster.nodes()
        );
        assert_eq!(ready, want_ready, "pod `{name}`");
    }
}

/// KWOK renews a Lease for every node: without one the node lifecycle controller marks the
/// nodes NotReady after its grace period (about a minute) and every Pod on them Ready=False for
/// good, so a test or a benchmark running longer than that saw its rollouts fall over.
#[tokio::test]
async fn every_kwok_node_has_a_lease_that_kwok_renews() {
    use k8s_openapi::api::coordination::v1::Lease;
    let cluster = KubeCluster::shared("c1");
    let leases: Api<Lease> = Api::namespaced(cluster.client().await, "kube-node-lease");
    let renewed = |name: String| {
        let leases = &leases;
        async move {
            let lease = leases.get_opt(&name).await.ok()??;
            lease.spec?.renew_time.map(|t| t.0)
        }
    };
    for node in cluster.nodes() {
        let first = eventually(
            &format!("a Lease for node `{node}`"),
            Duration::from_secs(30),
            || renewed(node.clone()),
        )
        .await;
        eventually(
            &format!("the Lease of node `{node}` to be renewed"),
            Duration::from_secs(30),
            || {
                let again = renewed(node.clone());
                async move { again.await.filter(|t| *t > first) }
            },
        )
        .await;
    }
}

#[tokio::test]
async fn the_api_server_reports_its_real_version() {
    let cluster = KubeCluster::shared("c1");
    let info = cluster.client().await.apiserver_version().await.unwrap();
    assert_eq!(info.git_version, "v1.35.4");
    assert_eq!((info.major.as_str(), info.minor.as_str()), ("1", "35"));
    assert_eq!(cluster.version(), "v1.35.4");
}

#[test]
fn shared_clusters_are_started_once_per_context() {
    let a = KubeCluster::shared("c1");
    let b = KubeCluster::shared("c1");
    assert!(std::ptr::eq(a, b));
    assert_eq!(a.context(), "c1");
    assert!(
        a.server().starts_with("https://127.0.0.1:"),
        "{}",
        a.server()
    );
}

#[test]
fn an_own_cluster_stops_all_its_processes_and_deletes_its_directory_on_drop() {
    let cluster = KubeCluster::start("solo");
    let pid = cluster.pid();
    let dir = cluster.dir().to_owned();
    let children = children_of(pid);
    let mut roles: Vec<String> = children.iter().map(|&child| role(child)).collect();
    roles.sort();
    assert_eq!(
        roles,
        ["apiserver", "controller-manager", "kwok", "scheduler"],
        "components under {pid}: {children:?}"
    );
    assert!(dir.join("kubeconfig").is_file());
    assert_eq!(cluster.nodes().len(), 3, "{:?}", cluster.nodes());

    drop(cluster);
    assert!(super::gone(pid), "kube-testenv {pid} still running");
    for child in children {
        assert!(
            super::gone(child),
            "component {child} of {pid} still running"
        );
    }
    assert!(!dir.exists(), "{} not deleted", dir.display());
}

/// What process `pid` runs: the `kube-testenv` subcommand, or `kwok`.
fn role(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<String> = cmdline
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let program = args.first().map(|p| p.rsplit('/').next().unwrap_or(p));
    match program {
        Some(p) if p.starts_with("kwok") => "kwok".to_owned(),
        _ => args.get(1).cloned().unwrap_or_default(),
    }
}

/// Process ids whose parent is `pid`, from `/proc/<id>/stat`.
fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(id) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // Fields after the `(comm)`: state, ppid, ...
        let after_comm = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let ppid = after_comm.split_whitespace().nth(1);
        if ppid == Some(&pid.to_string()) {
            children.push(id);
        }
    }
    children
}
