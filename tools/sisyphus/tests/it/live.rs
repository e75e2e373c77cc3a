//! `sisyphus diff --live` end to end: a hand edit (`kubectl scale`) shows as drift on exactly
//! the field it changed, the state-only diff does not see it, and `refresh` records it so the
//! next push reverts it.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::ground::{Dialect, EAST, Ground, WEST, block_on, json};

#[test]
fn kubectl_scale_shows_as_drift_in_diff_live() {
    let g = Ground::new("live", Dialect::Sqlite);
    g.push(&[]);
    let live_diff = || {
        let out = g.run_command("diff", &["--live"]).output().unwrap();
        let code = out.status.code().unwrap();
        (
            code,
            json(&out),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, value, stderr) = live_diff();
    assert_eq!(code, 0, "no drift right after a push: {value:#}\n{stderr}");
    assert_eq!(value["live"], json!([]), "{value:#}");

    // `kubectl scale` as another field manager, in one cluster.
    block_on(async {
        let api: Api<Deployment> = Api::namespaced(g.client(EAST).await, &g.ns);
        api.patch(
            "echo",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    });
    assert_eq!(g.diff(&[]).0, 0, "the state alone does not see a hand edit");
    let (code, value, stderr) = live_diff();
    assert_eq!(code, 2, "{value:#}\n{stderr}");
    let drift = value["live"].as_array().unwrap();
    assert_eq!(drift.len(), 1, "{value:#}");
    assert_eq!(drift[0]["cluster"], EAST, "{value:#}");
    assert_eq!(drift[0]["kind"], "Deployment", "{value:#}");
    assert_eq!(drift[0]["name"], "echo", "{value:#}");
    assert_eq!(drift[0]["paths"], json!(["spec.replicas"]), "{value:#}");
    let text = drift[0]["diff"].as_str().unwrap();
    assert!(
        text.contains("-  replicas: 3") && text.contains("+  replicas: 1"),
        "{text}"
    );
    assert!(drift.iter().all(|d| d["cluster"] != WEST), "{value:#}");

    // The text view names it too.
    let out = g
        .command("diff")
        .arg("--monitor-directory")
        .arg(g.production())
        .args(["--database-url", &g.url, "--live"])
        .arg("--kubeconfig")
        .arg(&g.kubeconfig)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "~ drift `{EAST}` apps/v1 Deployment {}/echo: spec.replicas",
            g.ns
        )),
        "{stdout}"
    );

    // `refresh` records it: the next state diff shows the update that reverts it.
    let out = g
        .command("refresh")
        .args(["--database-url", &g.url])
        .arg("--kubeconfig")
        .arg(&g.kubeconfig)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2, "{diff:#}");
    g.push(&[]);
    let (code, value, _) = live_diff();
    assert_eq!(code, 0, "reverted: {value:#}");
}
