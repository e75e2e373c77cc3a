//! `sisyphus push` waits for what it applied to roll out, on the test ground whose pods run
//! (KWOK nodes): a rollout that succeeds returns with every replica available, one whose pods
//! never become ready fails naming the object and why, and the outcome is in the history.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;

use crate::ground::{CLUSTERS, Dialect, Ground, block_on};

/// A Deployment (in a KubernetesYaml resource) whose pods KWOK never makes ready.
const NEVER_READY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: stuck
spec:
  replicas: 1
  selector:
    matchLabels:
      app: stuck
  template:
    metadata:
      labels:
        app: stuck
        sisyphus.test/never-ready: \"true\"
    spec:
      containers:
        - name: app
          image: registry.invalid/stuck:1
";

/// `sisyphus push --yes` that waits.
fn waiting_push(g: &Ground, args: &[&str]) -> std::process::Output {
    g.waiting_command("push")
        .arg("--monitor-directory")
        .arg(g.production())
        .args(["--database-url", &g.url, "--yes", "--user", "tester"])
        .arg("--kubeconfig")
        .arg(&g.kubeconfig)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_push_returns_once_every_replica_is_available() {
    let g = Ground::new("rollout-ok", Dialect::Sqlite);
    let out = waiting_push(&g, &["--timeout", "2m"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "push failed:\n{stderr}");
    assert!(stderr.contains("waiting for"), "{stderr}");
    assert!(
        stderr.contains(&format!("apps/v1 Deployment {}/echo: ready", g.ns)),
        "{stderr}"
    );
    // The push returned after the rollout: no need to wait here.
    block_on(async {
        for c in CLUSTERS {
            let api: Api<Deployment> = Api::namespaced(g.client(c).await, &g.ns);
            let d = api.get("echo").await.unwrap();
            let wanted = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            let status = d.status.unwrap_or_default();
            assert_eq!(
                status.available_replicas,
                Some(wanted),
                "{c}: {status:?}\n{stderr}"
            );
            assert_eq!(
                status.updated_replicas,
                Some(wanted),
                "{c}: {status:?}\n{stderr}"
            );
        }
    });
    // The Service selecting those pods had a ready endpoint.
    assert!(
        stderr.contains(&format!("v1 Service {}/echo: ready", g.ns)),
        "{stderr}"
    );
}

#[test]
fn a_rollout_that_never_gets_ready_fails_naming_the_object_and_why() {
    let g = Ground::new("rollout-stuck", Dialect::Sqlite);
    g.add_yaml_resource("stuck", "stuck.yaml", NEVER_READY);
    let out = waiting_push(&g, &["--timeout", "15s"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for c in CLUSTERS {
        assert!(
            stderr.contains(&format!(
                "`{c}` apps/v1 Deployment {}/stuck did not become ready: timed out after 15s: \
                 0 of 1 replica(s) available",
                g.ns
            )),
            "{stderr}"
        );
    }
    // Why: the Deployment's conditions and its pod.
    assert!(stderr.contains("condition Available=False"), "{stderr}");
    assert!(stderr.contains("pod stuck-"), "{stderr}");
    assert!(
        stderr.contains("everything was applied and recorded"),
        "{stderr}"
    );
    // The echo Deployment next to it did roll out, and is not blamed.
    assert!(
        !stderr.contains(&format!("Deployment {}/echo did not", g.ns)),
        "{stderr}"
    );

    // The outcome is in the history; what was applied is recorded (nothing left to do).
    let rows = block_on(async { g.store().await.pushes(1).await.unwrap() });
    let row = &rows[0];
    assert_eq!(row.outcome, sisyphus_state::Outcome::Failed, "{row:?}");
    let message = row.message.clone().unwrap_or_default();
    assert!(
        message.contains("did not become ready") && message.contains("stuck"),
        "{message}"
    );
    assert_eq!(g.diff(&[]).0, 0, "everything applied was recorded");
}

#[test]
fn no_wait_and_a_bad_timeout() {
    let g = Ground::new("rollout-flags", Dialect::Sqlite);
    let out = waiting_push(&g, &["--no-wait"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("waiting for"), "{stderr}");

    let out = waiting_push(&g, &["--timeout", "soon"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid duration `soon`: expected a number with a unit"),
        "{stderr}"
    );
}
