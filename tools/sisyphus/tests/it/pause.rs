//! `sisyphus pause`, `resume` and `status` end to end on the real test ground (two clusters,
//! a real registry), on SQLite, PostgreSQL and MariaDB: a paused resource survives an update
//! and its removal from the files, `diff` and `push` say what they skipped and who paused it;
//! after `resume` the push moves it; a paused namespace keeps everything in it; bad input
//! changes nothing.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use kube::api::Api;
use serde_json::Value;

use crate::ground::{CLUSTERS, Dialect, Ground, actions, block_on, on_every_database};
use crate::history::{state_command, state_json};

on_every_database!(
    a_paused_resource_survives_an_update_and_a_removal_until_resumed,
    a_paused_namespace_keeps_everything_in_it,
);

/// `sisyphus pause|resume <args> --monitor-directory <production> --database-url <url>`.
fn pause(g: &Ground, command: &str, args: &[&str]) -> std::process::Output {
    let production = g.production().display().to_string();
    let mut all = vec![
        "--user",
        "alice",
        "--monitor-directory",
        production.as_str(),
    ];
    if command == "resume" {
        all.truncate(2);
    }
    state_command(g, &[command], &[args, &all].concat())
}

/// The skipped entries of a change set as sorted `cluster action Kind name by user: reason`.
fn skipped(changes: &Value) -> Vec<String> {
    let mut lines: Vec<String> = changes["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {} by {}: {}",
                s["cluster"].as_str().unwrap(),
                s["action"].as_str().unwrap(),
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap(),
                s["paused"]["user"].as_str().unwrap(),
                s["paused"]["reason"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    lines.sort();
    lines
}

/// The Deployment `echo`'s replicas in each cluster (`None`: gone).
fn replicas(g: &Ground) -> Vec<Option<i32>> {
    block_on(async {
        let mut all = Vec::new();
        for c in CLUSTERS {
            let api: Api<Deployment> = Api::namespaced(g.client(c).await, &g.ns);
            all.push(
                api.get_opt("echo")
                    .await
                    .unwrap()
                    .map(|d| d.spec.and_then(|s| s.replicas).unwrap_or(1)),
            );
        }
        all
    })
}

/// Remove the document of `kind` from the namespace's index.yaml.
fn remove_document(g: &Ground, kind: &str) {
    let index = g.folder().join("index.yaml");
    let text = crate::ground::read(&index);
    let start = text
        .find(&format!("apiVersion: sisyphus/v1\nkind: {kind}"))
        .unwrap();
    let end = start + text[start..].find("---").unwrap() + 3;
    std::fs::write(&index, format!("{}{}", &text[..start], &text[end..])).unwrap();
}

fn a_paused_resource_survives_an_update_and_a_removal_until_resumed(dialect: Dialect) {
    let g = Ground::new("pause", dialect);
    g.push(&[]);
    let deployment = format!("Deployment/{}/echo", g.ns);

    // Bad input first: a resource nobody knows, a malformed one, resuming what is not paused.
    let before = block_on(g.every_value());
    let out = pause(
        &g,
        "pause",
        &[&deployment, &format!("Deployment/{}/nope", g.ns), "web"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid resource `web`"), "{stderr}");
    let out = pause(
        &g,
        "pause",
        &[&deployment, &format!("Deployment/{}/nope", g.ns)],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("`Deployment/{}/nope` does not exist", g.ns))
            && stderr.contains("nothing paused"),
        "{stderr}"
    );
    let out = pause(&g, "resume", &[&deployment]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("`{deployment}` is not paused")),
        "{stderr}"
    );
    assert_eq!(
        block_on(g.every_value()),
        before,
        "bad input changed the state"
    );

    let out = pause(&g, "pause", &[&deployment, "--reason", "incident 42"]);
    let text = crate::common::ok(&out);
    assert!(text.contains(&format!("paused `{deployment}`")), "{text}");
    let status = state_json(&g, &["status"], &[]);
    assert_eq!(
        status["pauses"][0]["target"],
        deployment.as_str(),
        "{status:#}"
    );
    assert_eq!(status["pauses"][0]["user"], "alice");
    assert_eq!(status["pauses"][0]["reason"], "incident 42");
    let text = crate::common::ok(&state_command(&g, &["status"], &[]));
    assert!(
        text.contains(&format!("`{deployment}` paused by `alice`"))
            && text.contains(": incident 42"),
        "{text}"
    );

    // An update: skipped, by diff and push, saying who paused it and why.
    g.edit("index.yaml", "replicas: 1", "replicas: 3");
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 0, "only paused changes: nothing to push\n{diff:#}");
    let expected = ["east update Deployment echo by alice: incident 42"];
    assert_eq!(skipped(&diff), expected);
    let versions = block_on(g.settled_versions());
    let (pushed, stderr) = g.push(&[]);
    assert_eq!(skipped(&pushed), expected);
    assert!(stderr.contains("nothing to do"), "{stderr}");
    assert_eq!(replicas(&g), [Some(1), Some(1)]);
    let text = crate::common::ok(
        &g.command("diff")
            .arg("--monitor-directory")
            .arg(g.production())
            .args(["--database-url", &g.url])
            .arg("--kubeconfig")
            .arg(&g.kubeconfig)
            .output()
            .unwrap(),
    );
    assert!(
        text.contains("skipped (paused): 1 change(s) not made")
            && text.contains(&format!("`{deployment}` paused by `alice`")),
        "{text}"
    );

    // Removed from the files: its Deployment and Service stay in both clusters.
    remove_document(&g, "Deployment");
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 0, "{diff:#}");
    assert_eq!(
        skipped(&diff),
        [
            "east delete Deployment echo by alice: incident 42",
            "east delete Service echo by alice: incident 42",
            "west delete Deployment echo by alice: incident 42",
            "west delete Service echo by alice: incident 42",
        ]
    );
    g.push(&[]);
    assert_eq!(
        block_on(g.all_versions_now()),
        versions,
        "a paused object was written"
    );

    // Resumed: the next push deletes them.
    let out = pause(&g, "resume", &[&deployment]);
    assert!(crate::common::ok(&out).contains(&format!("resumed `{deployment}`")));
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2);
    assert_eq!(diff["skipped"], serde_json::json!([]));
    let (_, stderr) = g.push(&[]);
    assert!(stderr.contains("succeeded: 4 delete"), "{stderr}");
    assert_eq!(replicas(&g), [None, None]);
    block_on(async {
        for c in CLUSTERS {
            let api: Api<Service> = Api::namespaced(g.client(c).await, &g.ns);
            assert!(api.get_opt("echo").await.unwrap().is_none(), "{c}");
        }
    });
    assert_eq!(
        state_json(&g, &["status"], &[])["pauses"],
        serde_json::json!([])
    );
}

fn a_paused_namespace_keeps_everything_in_it(dialect: Dialect) {
    let g = Ground::new("pausens", dialect);
    g.push(&[]);
    let out = pause(&g, "pause", &["--namespace", &g.ns]);
    crate::common::assert_success(&out);
    let versions = block_on(g.settled_versions());
    // Everything goes from the files: every deletion is skipped, the Namespace's included.
    std::fs::remove_dir_all(g.folder()).unwrap();
    std::fs::remove_dir_all(g.production().join("global")).unwrap();
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 0, "{diff:#}");
    assert_eq!(actions(&diff), Vec::<String>::new());
    let lines = skipped(&diff);
    assert_eq!(lines.len(), 12, "{lines:#?}");
    assert!(
        lines.contains(&format!("east delete Namespace {} by alice: -", g.ns)),
        "{lines:#?}"
    );
    g.push(&[]);
    assert_eq!(block_on(g.all_versions_now()), versions);
    for c in CLUSTERS {
        assert!(block_on(g.namespace_exists(c)));
    }
}
