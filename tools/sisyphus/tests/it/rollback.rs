//! `sisyphus rollback` and `unpin` end to end on the real test ground (two clusters, a real
//! registry), on SQLite, PostgreSQL and MariaDB: a rollback takes a resource back to its
//! objects of an earlier push and pins it there; later pushes keep it there and say so; after
//! `unpin` the push moves it forward; a rollback whose config image is gone from the registry
//! fails clearly; bad input changes nothing.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use serde_json::Value;

use crate::ground::{
    BINARY, CLUSTERS, Dialect, EAST, Ground, WEST, actions, block_on, json, on_every_database,
};
use crate::history::{state_command, state_json};

on_every_database!(a_rollback_pins_the_resource_until_unpinned);

/// `sisyphus rollback <args> --database-url --kubeconfig --output json --user carol --yes
/// --no-wait`, raw.
fn rollback(g: &Ground, args: &[&str]) -> std::process::Output {
    let kubeconfig = g.kubeconfig.display().to_string();
    let fixed = [
        "--database-url",
        &g.url,
        "--kubeconfig",
        &kubeconfig,
        "--output",
        "json",
        "--user",
        "carol",
        "--yes",
        "--no-wait",
    ];
    g.command("rollback")
        .args(args)
        .args(fixed)
        .output()
        .expect("run sisyphus")
}

/// Per cluster: the echo Deployment's container args and replicas.
fn echo(g: &Ground) -> Vec<(Vec<String>, i32)> {
    block_on(async {
        let mut all = Vec::new();
        for c in CLUSTERS {
            let api: Api<Deployment> = Api::namespaced(g.client(c).await, &g.ns);
            let spec = api.get("echo").await.unwrap().spec.unwrap();
            let args = spec.template.spec.unwrap().containers[0]
                .args
                .clone()
                .unwrap_or_default();
            all.push((args, spec.replicas.unwrap_or(1)));
        }
        all
    })
}

fn verbose(g: &Ground) -> Vec<bool> {
    echo(g)
        .iter()
        .map(|(args, _)| args.iter().any(|a| a == "--verbose"))
        .collect()
}

/// The `pinned` entries of a change set as `target to_push: cluster/Kind/name...`.
fn pinned(changes: &Value) -> Vec<String> {
    changes["pinned"]
        .as_array()
        .expect("pinned")
        .iter()
        .map(|p| {
            let differs: Vec<String> = p["differs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    format!(
                        "{}/{}/{}",
                        d["cluster"].as_str().unwrap(),
                        d["kind"].as_str().unwrap(),
                        d["name"].as_str().unwrap()
                    )
                })
                .collect();
            format!(
                "{} {}: {}",
                p["target"].as_str().unwrap(),
                p["to_push"],
                differs.join(" ")
            )
        })
        .collect()
}

#[track_caller]
fn fails_with(out: &std::process::Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(expected),
        "expected `{expected}` in:\n{stderr}"
    );
}

fn a_rollback_pins_the_resource_until_unpinned(dialect: Dialect) {
    let g = Ground::new("rollback", dialect);
    let host = g.registry.host();
    let deployment = format!("Deployment/{}/echo", g.ns);
    let old_config = format!("{host}/acme/echo_config@{}", g.digest);

    // Push 1 on the first config image; push 2 on a new one that adds `--verbose`.
    g.push(&[]);
    let new_digest = g.push_verbose_config(&["echo_config", "echo_job_config"]);
    let new_config = format!("{host}/acme/echo_config@{new_digest}");
    g.push(&[]);
    assert_eq!(verbose(&g), [true, true]);

    // Bad input: a clear error, nothing written anywhere.
    let before = block_on(g.every_value());
    fails_with(
        &rollback(&g, &[&deployment, "--to", "99"]),
        "push 99 is not in the history",
    );
    let nope = format!("Deployment/{}/nope", g.ns);
    fails_with(
        &rollback(&g, &[&nope, "--to", "1"]),
        &format!("`{nope}` has no history"),
    );
    fails_with(
        &rollback(&g, &["web", "--to", "1"]),
        "invalid resource `web`",
    );
    fails_with(
        &rollback(&g, &[&format!("namespace/{}", g.ns), "--to", "1"]),
        "not a namespace",
    );
    let out = rollback(&g, &[&deployment]);
    assert_eq!(out.status.code(), Some(2), "--to or --previous is required");
    fails_with(
        &state_command(&g, &["unpin"], &[&deployment]),
        &format!("`{deployment}` is not pinned"),
    );
    assert_eq!(block_on(g.every_value()), before);

    // A paused resource is not rolled back.
    let production = g.production().display().to_string();
    let out = state_command(
        &g,
        &["pause"],
        &[&deployment, "--monitor-directory", &production],
    );
    crate::common::assert_success(&out);
    fails_with(
        &rollback(&g, &[&deployment, "--previous"]),
        "`sisyphus resume Deployment/",
    );
    let out = state_command(&g, &["resume"], &[&deployment]);
    crate::common::assert_success(&out);

    // Roll back: the Deployment goes back to push 1 in both clusters; nothing else moves.
    let out = rollback(&g, &[&deployment, "--previous"]);
    crate::common::assert_success(&out);
    let changes = json(&out);
    assert_eq!(
        actions(&changes),
        [
            format!("{EAST} update Deployment echo"),
            format!("{WEST} update Deployment echo"),
        ],
        "{changes:#}"
    );
    assert_eq!(verbose(&g), [false, false]);

    // History: the rollback row moved the Deployment from the new image to the old one, and
    // the pin has its own audit row. (Ids are not counted: a refused write may use one up.)
    let history = state_json(&g, &["history"], &["--limit", "1"]);
    let row = &history["history"][0];
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("rollback {} succeeded: 2 update", row["id"])),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("`{deployment}` is pinned to push 1")),
        "{stderr}"
    );
    // The example's binary image was never pushed to the test registry: a warning only (the
    // kubelet pulls it with its own credentials).
    assert!(
        stderr.contains(&format!(
            "the binary image `{host}/acme/echo@{BINARY}` behind push 1 is not in the registry \
             any more"
        )),
        "{stderr}"
    );
    assert_eq!(row["operation"], "rollback");
    assert_eq!(row["user"], "carol");
    assert_eq!(row["resources"][0]["resource"], deployment.as_str());
    assert_eq!(
        row["resources"][0]["before"]["config_image"],
        new_config.as_str()
    );
    assert_eq!(
        row["resources"][0]["after"]["config_image"],
        old_config.as_str()
    );
    let audit = state_json(&g, &["history"], &["--audit", "--limit", "1"]);
    assert_eq!(audit["history"][0]["operation"], "pin");
    assert_eq!(
        audit["history"][0]["message"],
        format!("pinned `{deployment}` to push 1")
    );
    let status = state_json(&g, &["status"], &[]);
    assert_eq!(status["pins"][0]["target"], deployment.as_str());
    assert_eq!(status["pins"][0]["to_push"], 1);
    assert_eq!(status["pins"][0]["user"], "carol");

    // Later pushes keep it there and say so, even when the files change it more.
    g.edit("index.yaml", "replicas: 1", "replicas: 3");
    let (code, changes) = g.diff(&[]);
    assert_eq!(code, 0, "nothing to do: {changes:#}");
    let both = format!("{deployment} 1: {EAST}/Deployment/echo {WEST}/Deployment/echo");
    assert_eq!(pinned(&changes), std::slice::from_ref(&both));
    let (changes, stderr) = g.push(&[]);
    assert_eq!(pinned(&changes), [both]);
    assert!(stderr.contains("nothing to do"), "{stderr}");
    let kubeconfig = g.kubeconfig.display().to_string();
    let production = g.production().display().to_string();
    let out = g
        .command("diff")
        .args(["--monitor-directory", &production, "--database-url", &g.url])
        .args(["--kubeconfig", &kubeconfig])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("`{deployment}` pinned to push 1 by `carol`"))
            && text.contains("the files differ in 2 object(s), not applied")
            && text.contains(&format!(
                "`sisyphus unpin {deployment}` to follow the files again"
            )),
        "{text}"
    );
    assert_eq!(echo(&g).iter().map(|e| e.1).collect::<Vec<_>>(), [1, 1]);

    // Unpin: the next push moves it forward to what the files say.
    let out = state_command(&g, &["unpin"], &[&deployment, "--user", "carol"]);
    let text = crate::common::ok(&out);
    assert!(text.contains(&format!("unpinned `{deployment}`")), "{text}");
    let audit = state_json(&g, &["history"], &["--audit", "--limit", "1"]);
    assert_eq!(audit["history"][0]["operation"], "unpin");
    let (changes, _) = g.push(&[]);
    assert_eq!(pinned(&changes), Vec::<String>::new());
    assert_eq!(
        actions(&changes),
        [
            format!("{EAST} update Deployment echo"),
            format!("{WEST} update Deployment echo"),
        ]
    );
    assert_eq!(verbose(&g), [true, true]);
    assert_eq!(echo(&g).iter().map(|e| e.1).collect::<Vec<_>>(), [3, 1]);

    // Back to push 2 (same image, one replica in east): only east changes, and the new pin
    // replaces nothing but is the only one.
    let out = rollback(&g, &[&deployment, "--to", "2"]);
    crate::common::assert_success(&out);
    assert_eq!(
        actions(&json(&out)),
        [format!("{EAST} update Deployment echo")]
    );
    assert_eq!(echo(&g).iter().map(|e| e.1).collect::<Vec<_>>(), [1, 1]);
    let status = state_json(&g, &["status"], &[]);
    assert_eq!(status["pins"].as_array().unwrap().len(), 1);
    assert_eq!(status["pins"][0]["to_push"], 2);
    // Rolling back to where it is already: nothing to apply, pinned all the same.
    let out = rollback(&g, &[&deployment, "--to", "2"]);
    crate::common::assert_success(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing to apply"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The namespace folder leaves the files: its other resources are pruned, but the pinned
    // Deployment and Service stay, and so does the Namespace that holds them.
    std::fs::remove_dir_all(g.folder()).unwrap();
    let (changes, _) = g.push(&[]);
    let deleted = actions(&changes);
    assert!(
        deleted.contains(&format!("{EAST} delete CronJob echo-cleanup")),
        "{deleted:?}"
    );
    assert!(
        !deleted
            .iter()
            .any(|l| l.contains("Namespace") || l.ends_with(" echo")),
        "{deleted:?}"
    );
    assert_eq!(
        echo(&g).len(),
        2,
        "the Deployment is still in both clusters"
    );
    for c in CLUSTERS {
        assert!(block_on(g.namespace_exists(c)), "{c}");
    }

    // The first config image is deleted from the registry: a rollback to it fails, naming
    // the image, before anything is applied or pinned.
    let out = state_command(&g, &["unpin"], &[&deployment]);
    crate::common::assert_success(&out);
    g.registry.delete_manifest("acme/echo_config", &g.digest);
    let before = block_on(g.every_value());
    let out = rollback(&g, &[&deployment, "--to", "1"]);
    fails_with(
        &out,
        &format!("its config image `{old_config}` is not in the registry any more"),
    );
    fails_with(&out, "nothing rolled back");
    assert_eq!(block_on(g.every_value()), before);
}
