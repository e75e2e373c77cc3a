//! Saved change sets end to end: `diff --out` then `push --changes` applies exactly what was
//! saved (no tag resolved again), and refuses it when the state, the clusters or the database
//! differ, changing nothing.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::path::PathBuf;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};

use crate::ground::{CLUSTERS, Dialect, EAST, Ground, actions, block_on, json, on_every_database};

on_every_database!(
    a_saved_change_set_is_applied_exactly_without_resolving_tags_again,
    a_change_set_is_stale_once_the_state_moved,
);

/// `diff --out` to a file in the test's directory; the file.
fn save(g: &Ground, name: &str) -> PathBuf {
    let file = g.tmp.path().join(name);
    let out = g
        .run_command("diff", &["--out", file.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("saved the change set to"), "{stderr}");
    file
}

/// `sisyphus push --changes FILE --yes` (with this ground's database unless `url`).
fn push_changes(g: &Ground, file: &PathBuf, url: Option<&str>) -> std::process::Output {
    g.command("push")
        .arg("--changes")
        .arg(file)
        .args([
            "--database-url",
            url.unwrap_or(&g.url),
            "--yes",
            "--output",
            "json",
        ])
        .arg("--kubeconfig")
        .arg(&g.kubeconfig)
        .output()
        .unwrap()
}

fn config_annotation(g: &Ground) -> Vec<String> {
    block_on(async {
        let mut all = Vec::new();
        for c in CLUSTERS {
            let api: Api<Deployment> = Api::namespaced(g.client(c).await, &g.ns);
            let d = api.get("echo").await.unwrap();
            all.push(
                d.metadata.annotations.unwrap_or_default()["sisyphus.dev/config-image"].clone(),
            );
        }
        all
    })
}

fn a_saved_change_set_is_applied_exactly_without_resolving_tags_again(dialect: Dialect) {
    let g = Ground::new("saved", dialect);
    let file = save(&g, "changes.binpb");
    // The tag moves after the review: the saved set still pushes the reviewed digest.
    let moved = g.push_verbose_config(&["echo_config", "echo_job_config"]);
    assert_ne!(moved, g.digest);

    let out = push_changes(&g, &file, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let pushed = json(&out);
    assert_eq!(actions(&pushed).len(), 12, "{pushed:#}");
    for annotation in config_annotation(&g) {
        assert!(
            annotation.ends_with(&format!("@{}", g.digest)),
            "pushed {annotation}, not the reviewed {}",
            g.digest
        );
    }
    // A fresh diff of the folder resolves the tag again and finds the move.
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2, "{diff:#}");
    assert!(diff.to_string().contains(&moved), "{diff:#}");

    // Applied once: the same file again is stale (the state moved).
    let out = push_changes(&g, &file, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the saved change set is stale"), "{stderr}");
}

fn a_change_set_is_stale_once_the_state_moved(dialect: Dialect) {
    let g = Ground::new("stale", dialect);
    let file = save(&g, "changes.binpb");
    g.push(&[]);
    let before = block_on(g.all_versions_now());
    let rows = block_on(g.push_rows());

    let out = push_changes(&g, &file, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "the saved change set is stale: the state database changed since it was saved \
             (push 1 by tester on"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("run `sisyphus diff --out` again"),
        "{stderr}"
    );
    assert_eq!(block_on(g.all_versions_now()), before, "nothing applied");
    assert_eq!(block_on(g.push_rows()), rows, "nothing recorded");
}

#[test]
fn a_change_set_whose_objects_moved_names_each_one() {
    let g = Ground::new("moved", Dialect::Sqlite);
    let file = save(&g, "changes.binpb");
    // Someone creates one of the objects by hand: it would now be adopted, not created.
    block_on(async {
        let client = g.client(EAST).await;
        let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
        let mut namespace = k8s_openapi::api::core::v1::Namespace::default();
        namespace.metadata.name = Some(g.ns.clone());
        ns.create(&PostParams::default(), &namespace).await.unwrap();
        let secrets: Api<Secret> = Api::namespaced(client, &g.ns);
        let mut secret = Secret::default();
        secret.metadata.name = Some("tokens".to_owned());
        secrets
            .create(&PostParams::default(), &secret)
            .await
            .unwrap();
    });
    let out = push_changes(&g, &file, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "`{EAST}` v1 Secret {}/tokens: saved as create, now adopt",
            g.ns
        )),
        "{stderr}"
    );
    assert!(
        !block_on(g.namespace_exists(crate::ground::WEST)),
        "nothing applied"
    );
}

#[test]
fn a_change_set_from_another_database_or_a_plan_file_is_refused() {
    let g = Ground::new("otherdb", Dialect::Sqlite);
    let file = save(&g, "changes.binpb");
    let other = format!("sqlite://{}", g.tmp.path().join("other.db").display());
    let out = push_changes(&g, &file, Some(&other));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the saved change set was made against another state database"),
        "{stderr}"
    );
    for c in CLUSTERS {
        assert!(!block_on(g.namespace_exists(c)), "nothing applied in {c}");
    }

    // A plan file is not a change set.
    let plan = g.write_plan("production.plan");
    let out = push_changes(&g, &plan, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not a saved change set"), "{stderr}");

    // `import` takes no change set.
    let out = g
        .command("import")
        .arg("--changes")
        .arg(&file)
        .args(["--database-url", &g.url])
        .arg("--kubeconfig")
        .arg(&g.kubeconfig)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not a saved change set (--changes)"),
        "{stderr}"
    );

    // The scope is the saved one.
    let out = g
        .command("push")
        .arg("--changes")
        .arg(&file)
        .args(["--database-url", &g.url, "--yes", "--cluster", EAST])
        .arg("--kubeconfig")
        .arg(&g.kubeconfig)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("differ from the saved change set's scope"),
        "{stderr}"
    );
}
