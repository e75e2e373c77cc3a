//! `sisyphus push` (and `diff` around it) end to end on the real test ground: two clusters, a
//! real registry, and the state database on SQLite, PostgreSQL and MariaDB (each test body runs
//! on all three). Asserts on `--output json` and on the live objects.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::ground::{
    CLUSTERS, Dialect, EAST, Ground, PLACEHOLDER, WEST, actions, block_on, on_every_database,
};

on_every_database!(
    first_push_creates_everything_and_the_second_writes_nothing,
    a_retag_updates_only_the_workloads,
    removed_resources_are_pruned_and_an_untracked_object_keeps_the_namespace,
    secret_values_are_never_clobbered_nor_stored,
    a_push_killed_midway_converges_on_the_next,
    a_held_lock_refuses_a_second_push,
    a_lock_whose_holder_died_elsewhere_is_taken_over_when_its_lease_ends,
);

/// The objects the example renders in each cluster.
const EXAMPLE: [&str; 6] = [
    "CronJob/echo-cleanup",
    "Deployment/echo",
    "Namespace/",
    "Secret/google",
    "Secret/tokens",
    "Service/echo",
];

fn example_actions(ns: &str, action: &str) -> Vec<String> {
    let mut all = Vec::new();
    for c in CLUSTERS {
        for o in EXAMPLE {
            let (kind, name) = o.split_once('/').unwrap();
            let name = if name.is_empty() { ns } else { name };
            all.push(format!("{c} {action} {kind} {name}"));
        }
    }
    all.sort();
    all
}

fn first_push_creates_everything_and_the_second_writes_nothing(dialect: Dialect) {
    let g = Ground::new("first", dialect);
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2, "changes before the first push");
    assert_eq!(actions(&diff), example_actions(&g.ns, "create"));

    assert!(
        !diff.to_string().contains(PLACEHOLDER),
        "a Secret value in the diff"
    );
    let (pushed, stderr) = g.push(&[]);
    assert_eq!(actions(&pushed), example_actions(&g.ns, "create"));
    assert!(stderr.contains("succeeded: 12 create"), "{stderr}");
    assert!(!pushed.to_string().contains(PLACEHOLDER) && !stderr.contains(PLACEHOLDER));
    for c in CLUSTERS {
        assert_eq!(pushed["counts"][c]["create"], 6, "{pushed:#}");
    }

    block_on(async {
        for c in CLUSTERS {
            let client = g.client(c).await;
            let deployments: Api<Deployment> = Api::namespaced(client.clone(), &g.ns);
            let d = deployments.get("echo").await.expect("deployment");
            let labels = d.metadata.labels.clone().unwrap_or_default();
            assert_eq!(
                labels
                    .get("app.kubernetes.io/managed-by")
                    .map(String::as_str),
                Some("sisyphus"),
                "{labels:?}"
            );
            let annotations = d.metadata.annotations.clone().unwrap_or_default();
            assert_eq!(
                annotations.get("sisyphus.dev/config-image"),
                Some(&format!(
                    "{}/acme/echo_config@{}",
                    g.registry.host(),
                    g.digest
                ))
            );
            let cronjobs: Api<CronJob> = Api::namespaced(client.clone(), &g.ns);
            cronjobs.get("echo-cleanup").await.expect("cronjob");
            let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
            let namespace = ns.get(&g.ns).await.expect("namespace");
            let labels = namespace.metadata.labels.unwrap_or_default();
            assert_eq!(labels.get("team").map(String::as_str), Some("echo"));
            assert_eq!(
                labels
                    .get("app.kubernetes.io/managed-by")
                    .map(String::as_str),
                Some("sisyphus")
            );
            assert_eq!(
                g.secret(c, "tokens").await,
                BTreeMap::from([("secret-token".to_owned(), PLACEHOLDER.to_owned())])
            );
            assert_eq!(
                g.secret(c, "google").await,
                BTreeMap::from([(
                    "google-application-credentials.json".to_owned(),
                    PLACEHOLDER.to_owned()
                )])
            );
        }
    });

    // Recorded: every object, with the uid it has live.
    block_on(async {
        let store = g.store().await;
        let snapshot = store.snapshot(None).await.expect("snapshot");
        store.close().await;
        assert_eq!(snapshot.objects.len(), 12);
        for recorded in snapshot.objects.values() {
            assert!(recorded.uid.is_some(), "{:?}", recorded.key);
            assert!(recorded.resource_version.is_some(), "{:?}", recorded.key);
            assert_eq!(recorded.push_id, 1, "{:?}", recorded.key);
        }
        for c in CLUSTERS {
            let deployment = snapshot
                .objects
                .values()
                .find(|r| r.key.cluster == c && r.key.kind == "Deployment")
                .expect("recorded Deployment");
            let config = deployment.config.as_ref().expect("config origin");
            assert_eq!(
                config.config_image,
                format!("{}/acme/echo_config@{}", g.registry.host(), g.digest)
            );
            assert_eq!(
                config.binary_image,
                format!("{}/acme/echo@{}", g.registry.host(), crate::ground::BINARY)
            );
            assert_eq!(
                deployment.resource.as_ref().map(ToString::to_string),
                Some(format!("Deployment {}/echo", g.ns))
            );
            let api: Api<Deployment> = Api::namespaced(g.client(c).await, &g.ns);
            let live = api.get("echo").await.unwrap();
            assert_eq!(live.metadata.uid, deployment.uid, "{c}");
        }
        // The push's row: who, how it ended, what it did.
        let pool = g.raw().await;
        let row = sqlx::query(
            "SELECT user_name, operation, outcome, creates, updates, deletes FROM pushes",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        assert_eq!(row.len(), 1);
        use sqlx::Row as _;
        assert_eq!(row[0].get::<String, _>(0), "tester");
        assert_eq!(row[0].get::<String, _>(1), "push");
        assert_eq!(row[0].get::<String, _>(2), "succeeded");
        assert_eq!(
            (
                row[0].get::<i64, _>(3),
                row[0].get::<i64, _>(4),
                row[0].get::<i64, _>(5)
            ),
            (12, 0, 0)
        );
    });

    // Second push: nothing to do, no write anywhere.
    let before = block_on(g.settled_versions());
    let pushes = block_on(g.push_rows());
    let (again, stderr) = g.push(&[]);
    assert_eq!(again["has_changes"], false, "{again:#}");
    assert_eq!(again["changes"], json!([]));
    for c in CLUSTERS {
        assert_eq!(again["counts"][c]["unchanged"], 6, "{again:#}");
    }
    assert!(stderr.contains("nothing to do"), "{stderr}");
    assert_eq!(block_on(g.all_versions_now()), before, "a no-op push wrote");
    assert_eq!(
        block_on(g.push_rows()),
        pushes,
        "a no-op push recorded a push"
    );
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 0, "{diff:#}");
    assert_eq!(diff["has_changes"], false);
}

/// Push the example, then push a changed config image (another argument) to the same tags;
/// the new digest.
fn retag(g: &Ground) -> String {
    g.push(&[]);
    let new_digest = g.push_verbose_config(&["echo_config", "echo_job_config"]);
    assert_ne!(new_digest, g.digest);
    new_digest
}

fn workload_updates() -> Vec<String> {
    let mut expected = Vec::new();
    for c in CLUSTERS {
        expected.push(format!("{c} update CronJob echo-cleanup"));
        expected.push(format!("{c} update Deployment echo"));
    }
    expected.sort();
    expected
}

/// Regression test for #8, found by this test: the Service beside a retagged Deployment was listed
/// as an update for its config origin alone (fixed in e6fdae3).
fn a_retag_updates_only_the_workloads(dialect: Dialect) {
    let g = Ground::new("retag", dialect);
    let new_digest = retag(&g);
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2, "{diff:#}");
    // Only the workloads: the Service beside them renders the same YAML from the new image.
    let expected = workload_updates();
    let listed = actions(&diff);
    assert_eq!(listed, expected, "{diff:#}");
    for c in CLUSTERS {
        assert_eq!(diff["counts"][c]["update"], 2, "{diff:#}");
        assert_eq!(diff["counts"][c]["unchanged"], 4, "{diff:#}");
    }
    let host = g.registry.host();
    for change in diff["changes"].as_array().unwrap() {
        if !["Deployment", "CronJob"].contains(&change["kind"].as_str().unwrap()) {
            continue;
        }
        let repo = if change["kind"] == "Deployment" {
            "echo_config"
        } else {
            "echo_job_config"
        };
        let reasons = change["reasons"].to_string();
        assert!(
            reasons.contains(&format!("config image `{host}/acme/{repo}@{}`", g.digest))
                && reasons.contains(&format!("`{host}/acme/{repo}@{new_digest}`")),
            "{reasons}"
        );
        assert_eq!(
            change["config"]["config_image"],
            format!("{host}/acme/{repo}@{new_digest}")
        );
        assert_eq!(
            change["recorded_config"]["config_image"],
            format!("{host}/acme/{repo}@{}", g.digest)
        );
        assert!(
            change["diff"].as_str().unwrap().contains("--verbose"),
            "{change:#}"
        );
    }

    let before = block_on(g.settled_versions());
    let (pushed, stderr) = g.push(&[]);
    assert_eq!(actions(&pushed), listed);
    assert!(stderr.contains("succeeded: 4 update"), "{stderr}");
    let after = block_on(g.all_versions_now());
    let changed: Vec<&String> = before
        .keys()
        .filter(|k| after.get(*k) != before.get(*k))
        .collect();
    let mut expected_changed = Vec::new();
    for c in CLUSTERS {
        expected_changed.push(format!("{c}/CronJob/echo-cleanup"));
        expected_changed.push(format!("{c}/Deployment/echo"));
    }
    expected_changed.sort();
    assert_eq!(changed, expected_changed.iter().collect::<Vec<_>>());
    block_on(async {
        for c in CLUSTERS {
            let api: Api<Deployment> = Api::namespaced(g.client(c).await, &g.ns);
            let d = api.get("echo").await.unwrap();
            let args = d.spec.unwrap().template.spec.unwrap().containers[0]
                .args
                .clone()
                .unwrap();
            assert!(args.contains(&"--verbose".to_owned()), "{args:?}");
        }
    });
    assert_eq!(g.diff(&[]).0, 0);
}

fn removed_resources_are_pruned_and_an_untracked_object_keeps_the_namespace(dialect: Dialect) {
    let g = Ground::new("prune", dialect);
    g.push(&[]);

    // The CronJob goes from the files: deleted in each cluster.
    let index = g.folder().join("index.yaml");
    let text = crate::ground::read(&index);
    let start = text.find("apiVersion: sisyphus/v1\nkind: CronJob").unwrap();
    let end = start + text[start..].find("---").unwrap() + 3;
    std::fs::write(&index, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2);
    assert_eq!(
        actions(&diff),
        [
            format!("{EAST} delete CronJob echo-cleanup"),
            format!("{WEST} delete CronJob echo-cleanup")
        ]
    );
    let (_, stderr) = g.push(&[]);
    assert!(stderr.contains("succeeded: 2 delete"), "{stderr}");
    block_on(async {
        for c in CLUSTERS {
            let api: Api<CronJob> = Api::namespaced(g.client(c).await, &g.ns);
            assert!(api.get_opt("echo-cleanup").await.unwrap().is_none(), "{c}");
        }
    });

    // An untracked ConfigMap in the namespace of the east cluster.
    block_on(async {
        let api: Api<ConfigMap> = Api::namespaced(g.client(EAST).await, &g.ns);
        let cm: ConfigMap = serde_json::from_value(json!({
            "metadata": {"name": "hand-made"}, "data": {"a": "b"}
        }))
        .unwrap();
        api.create(&PostParams::default(), &cm).await.unwrap();
    });

    // Everything in the namespace goes: the namespace is deleted in west, kept in east.
    std::fs::remove_dir_all(g.folder()).unwrap();
    std::fs::remove_dir_all(g.production().join("global")).unwrap();
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2);
    assert!(
        actions(&diff).contains(&format!("{EAST} delete Namespace {}", g.ns)),
        "{diff:#}"
    );
    let (_, stderr) = g.push(&[]);
    assert!(
        stderr.contains(&format!("kept `{EAST}` v1 Namespace {}", g.ns))
            && stderr.contains("ConfigMap hand-made"),
        "{stderr}"
    );
    assert!(!stderr.contains(&format!("kept `{WEST}`")), "{stderr}");
    block_on(async {
        assert!(g.namespace_exists(EAST).await);
        let api: Api<ConfigMap> = Api::namespaced(g.client(EAST).await, &g.ns);
        api.get("hand-made")
            .await
            .expect("untracked ConfigMap kept");
        let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(g.client(WEST).await);
        // Deleted, or terminating (the namespace controller empties it first).
        if let Some(n) = ns.get_opt(&g.ns).await.unwrap() {
            assert!(n.metadata.deletion_timestamp.is_some(), "{n:?}");
        }
        let store = g.store().await;
        let snapshot = store.snapshot(None).await.unwrap();
        store.close().await;
        assert_eq!(snapshot.objects.len(), 0, "{:?}", snapshot.objects.keys());
    });
    assert_eq!(g.diff(&[]).0, 0);
}

fn secret_values_are_never_clobbered_nor_stored(dialect: Dialect) {
    let g = Ground::new("secrets", dialect);
    // A third Secret with base64 `data` rather than `stringData`.
    let raw_value = "raw-data-value-5150";
    let path = g.folder().join("secrets.yaml");
    let mut text = crate::ground::read(&path);
    text.push_str(&format!(
        "\n---\n\napiVersion: v1\nkind: Secret\nmetadata:\n  name: raw\ntype: Opaque\ndata:\n  \
         raw-key: {}\n",
        base64(raw_value)
    ));
    std::fs::write(&path, text).unwrap();
    g.push(&[]);
    block_on(async {
        for c in CLUSTERS {
            assert_eq!(g.secret(c, "raw").await["raw-key"], raw_value, "{c}");
        }
    });
    let hand_set = "hand-set-token-4711";
    block_on(async {
        let api: Api<Secret> = Api::namespaced(g.client(EAST).await, &g.ns);
        let patch = json!({"stringData": {"secret-token": hand_set}});
        api.patch("tokens", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
    });
    // The files still say `replace-me`: nothing to do, the value stays.
    let (pushed, _) = g.push(&[]);
    assert_eq!(pushed["has_changes"], false, "{pushed:#}");
    block_on(async {
        assert_eq!(g.secret(EAST, "tokens").await["secret-token"], hand_set);
    });

    // A push that writes the Secret (a new key in the files): the key is added, the existing
    // value kept.
    g.edit(
        "secrets.yaml",
        "  secret-token: replace-me\n",
        "  secret-token: replace-me\n  new-key: new-value-0815\n",
    );
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2);
    assert_eq!(
        actions(&diff),
        [
            format!("{EAST} update Secret tokens"),
            format!("{WEST} update Secret tokens")
        ]
    );
    let text = diff.to_string();
    assert!(text.contains("adds key `new-key`"), "{diff:#}");
    assert!(
        !text.contains("new-value-0815") && !text.contains(PLACEHOLDER),
        "{diff:#}"
    );
    let out = g.push_output(&[]);
    crate::common::assert_success(&out);
    for output in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(output);
        for secret in [PLACEHOLDER, hand_set, "new-value-0815", raw_value] {
            assert!(!text.contains(secret), "`{secret}` shown:\n{text}");
            assert!(!text.contains(&base64(secret)), "`{secret}` shown:\n{text}");
        }
    }
    block_on(async {
        assert_eq!(
            g.secret(EAST, "tokens").await,
            BTreeMap::from([
                ("new-key".to_owned(), "new-value-0815".to_owned()),
                ("secret-token".to_owned(), hand_set.to_owned()),
            ])
        );
        assert_eq!(
            g.secret(WEST, "tokens").await,
            BTreeMap::from([
                ("new-key".to_owned(), "new-value-0815".to_owned()),
                ("secret-token".to_owned(), PLACEHOLDER.to_owned()),
            ])
        );
    });
    assert_eq!(g.diff(&[]).0, 0);

    // No value, in clear or base64, anywhere in the database.
    let values = block_on(g.every_value());
    assert!(values.len() > 20, "{}", values.len());
    for secret in [PLACEHOLDER, hand_set, "new-value-0815", raw_value] {
        for needle in [secret.to_owned(), base64(secret)] {
            for (table, column, value) in &values {
                assert!(
                    !contains(value, needle.as_bytes()),
                    "`{needle}` found in {table}.{column}: {}",
                    String::from_utf8_lossy(value)
                );
            }
        }
    }
}

/// Regression test for #8, found by this test: objects applied but not yet recorded when the push
/// was killed were `adopt` on the next push, which refused without `--adopt` (fixed in 2916fa9).
fn a_push_killed_midway_converges_on_the_next(dialect: Dialect) {
    use std::os::unix::process::ExitStatusExt as _;
    let g = Ground::new("sigkill", dialect);
    g.add_yaml_resource("many", "many.yaml", &many_config_maps(300));
    let mut child = g
        .run_command("push", &["--yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the first ConfigMaps land.
    let seen = block_on(async {
        let api: Api<ConfigMap> = Api::namespaced(g.client(EAST).await, &g.ns);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(list) = api.list(&Default::default()).await
                && list.items.len() > 10
            {
                return list.items.len();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no ConfigMap appeared"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the push ended before it was killed"
    );
    let recorded = block_on(async {
        let store = g.store().await;
        let n = store.snapshot(None).await.unwrap().objects.len();
        store.close().await;
        n
    });
    assert!(
        recorded < 2 * 306,
        "killed after everything was recorded ({seen} ConfigMaps seen)"
    );

    // The next push breaks the dead process's lock and converges.
    let (pushed, stderr) = g.push(&[]);
    assert!(stderr.contains("no longer runs: breaking it"), "{stderr}");
    assert_eq!(pushed["has_changes"], true);
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 0, "{diff:#}");
    let (last, stderr) = g.push(&[]);
    assert_eq!(last["has_changes"], false);
    assert!(stderr.contains("nothing to do"), "{stderr}");
    // Every recorded object exists live with the recorded uid, and every object we wrote is
    // recorded.
    block_on(async {
        let store = g.store().await;
        let snapshot = store.snapshot(None).await.unwrap();
        store.close().await;
        assert_eq!(snapshot.objects.len(), 2 * (6 + 300));
        for c in CLUSTERS {
            let api: Api<ConfigMap> = Api::namespaced(g.client(c).await, &g.ns);
            let live: BTreeMap<String, String> = api
                .list(&Default::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .filter(|cm| cm.metadata.name.as_deref() != Some("kube-root-ca.crt"))
                .map(|cm| (cm.metadata.name.unwrap(), cm.metadata.uid.unwrap()))
                .collect();
            let recorded: BTreeMap<String, String> = snapshot
                .objects
                .values()
                .filter(|r| r.key.cluster == c && r.key.kind == "ConfigMap")
                .map(|r| (r.key.name.clone(), r.uid.clone().unwrap()))
                .collect();
            assert_eq!(live, recorded, "{c}");
            let versions = g.versions(c).await;
            for r in snapshot.objects.values().filter(|r| r.key.cluster == c) {
                let name = if r.key.kind == "Namespace" {
                    &g.ns
                } else {
                    &r.key.name
                };
                assert!(
                    versions.contains_key(&format!("{}/{name}", r.key.kind)),
                    "recorded {:?} is not in {c}",
                    r.key
                );
            }
        }
    });
}

fn a_held_lock_refuses_a_second_push(dialect: Dialect) {
    let g = Ground::new("lock", dialect);
    // One runtime for the store and its lock (its heartbeat runs on it).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (store, lock) = runtime.block_on(async {
        let store = g.store().await;
        let holder = sisyphus_state::Holder {
            user: "alice".to_owned(),
            host: "build-host-7".to_owned(),
            pid: 4242,
        };
        let lock = store
            .lock(&holder, std::time::Duration::from_secs(120))
            .await
            .unwrap();
        (store, lock)
    });
    let out = g.push_output(&[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the push lock is held by `alice` on host `build-host-7` (pid 4242)"),
        "{stderr}"
    );
    block_on(async {
        for c in CLUSTERS {
            assert!(
                !g.namespace_exists(c).await,
                "applied in {c} without the lock"
            );
        }
    });
    runtime.block_on(async {
        lock.release().await.unwrap();
        store.close().await;
    });
    g.push(&[]);

    // Two pushes at once: the one that gets the lock applies, the other is refused.
    g.add_yaml_resource("many", "many.yaml", &many_config_maps(300));
    let spawn = || {
        g.run_command("push", &["--yes", "--user", "racer"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut outcomes = [&a, &b].map(|o| {
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    });
    outcomes.sort();
    assert_eq!(outcomes[0].0, Some(0), "{outcomes:#?}");
    assert_eq!(outcomes[1].0, Some(1), "{outcomes:#?}");
    let refused = &outcomes[1].1;
    assert!(
        refused.contains("the push lock is held by `racer` on host")
            || refused.contains("the state database changed since it was read"),
        "{refused}"
    );
    assert_eq!(g.diff(&[]).0, 0);
}

#[test]
fn a_push_without_yes_and_no_terminal_is_refused() {
    let g = Ground::new("consent", Dialect::Sqlite);
    let out = g
        .run_command("push", &[])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("refusing to push without consent") && stderr.contains("--yes"),
        "{stderr}"
    );
    block_on(async {
        for c in CLUSTERS {
            assert!(
                !g.namespace_exists(c).await,
                "applied in {c} without consent"
            );
        }
    });
    assert_eq!(block_on(g.push_rows()), 0);
}

fn a_lock_whose_holder_died_elsewhere_is_taken_over_when_its_lease_ends(dialect: Dialect) {
    let g = Ground::new("lease", dialect);
    let lease = std::time::Duration::from_secs(8);
    let taken = std::time::Instant::now();
    block_on(async {
        let store = g.store().await;
        let holder = sisyphus_state::Holder {
            user: "bob".to_owned(),
            host: "gone-host".to_owned(),
            pid: 1,
        };
        // Dropped without release: its heartbeat stops, as when its process dies.
        drop(store.lock(&holder, lease).await.unwrap());
        store.close().await;
    });
    let out = g.push_output(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(taken.elapsed() < lease, "too slow to see the lock held");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the push lock is held by `bob` on host `gone-host`"),
        "{stderr}"
    );
    std::thread::sleep(
        lease.saturating_sub(taken.elapsed()) + std::time::Duration::from_millis(500),
    );
    let (pushed, _) = g.push(&[]);
    assert_eq!(actions(&pushed), example_actions(&g.ns, "create"));
    assert_eq!(g.diff(&[]).0, 0);
}

/// A KubernetesYaml file of `n` ConfigMaps.
pub fn many_config_maps(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many-{i:04}\ndata:\n  \
                 index: \"{i}\"\n  text: \"{}\"\n",
                "x".repeat(200)
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

fn base64(s: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = s.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn base64_matches_kubernetes() {
    assert_eq!(base64("replace-me"), "cmVwbGFjZS1tZQ==");
    assert_eq!(base64("abc"), "YWJj");
}

#[test]
fn an_immutable_change_recreates_a_job_and_blocks_a_selector_change() {
    let g = Ground::new("immutable", Dialect::Sqlite);
    g.add_yaml_resource(
        "raw",
        "raw.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    \
         spec:\n      restartPolicy: Never\n      containers:\n      - name: migrate\n        \
         image: busybox\n        command: [\"echo\", \"1\"]\n---\napiVersion: apps/v1\nkind: \
         Deployment\nmetadata:\n  name: plain\nspec:\n  selector:\n    matchLabels:\n      app: \
         plain\n  template:\n    metadata:\n      labels:\n        app: plain\n    spec:\n      \
         containers:\n      - name: app\n        image: busybox\n",
    );
    g.push(&[]);
    let uid = |c: &'static str| {
        let g = &g;
        async move {
            let api: Api<k8s_openapi::api::batch::v1::Job> =
                Api::namespaced(g.client(c).await, &g.ns);
            api.get("migrate").await.unwrap().metadata.uid.unwrap()
        }
    };
    let old_uid = block_on(uid(EAST));

    // A Job's template is immutable: recreated.
    g.edit("raw.yaml", "[\"echo\", \"1\"]", "[\"echo\", \"2\"]");
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2);
    assert_eq!(
        actions(&diff),
        [
            format!("{EAST} recreate Job migrate"),
            format!("{WEST} recreate Job migrate")
        ]
    );
    let (_, stderr) = g.push(&[]);
    assert!(stderr.contains("succeeded: 2 recreate"), "{stderr}");
    let new_uid = block_on(uid(EAST));
    assert_ne!(old_uid, new_uid, "not recreated");
    block_on(async {
        let api: Api<k8s_openapi::api::batch::v1::Job> =
            Api::namespaced(g.client(WEST).await, &g.ns);
        let job = api.get("migrate").await.unwrap();
        let command = job.spec.unwrap().template.spec.unwrap().containers[0]
            .command
            .clone();
        assert_eq!(command, Some(vec!["echo".to_owned(), "2".to_owned()]));
    });
    assert_eq!(g.diff(&[]).0, 0);

    // A Deployment's selector is immutable and recreating it is not safe: blocked, with the
    // field, and nothing else of the push applied.
    g.edit("raw.yaml", "      app: plain\n", "      app: plain-2\n");
    g.edit("raw.yaml", "        app: plain\n", "        app: plain-2\n");
    g.edit("index.yaml", "replicas: 1", "replicas: 2");
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2);
    let blocked = diff["blocked"].as_array().unwrap();
    assert_eq!(blocked.len(), 2, "{diff:#}");
    for b in blocked {
        assert_eq!(b["kind"], "Deployment");
        assert_eq!(b["name"], "plain");
        assert_eq!(b["field"], "spec.selector");
    }
    let before = block_on(g.settled_versions());
    let out = g.push_output(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("plain") && stderr.contains("spec.selector"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing applied"), "{stderr}");
    assert_eq!(
        block_on(g.all_versions_now()),
        before,
        "blocked, yet written"
    );
}

#[test]
fn namespace_and_cluster_flags_limit_what_a_push_touches() {
    let g = Ground::new("scope", Dialect::Sqlite);
    let other = format!("{}-b", g.ns);
    let folder = g.production().join(&other);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("index.yaml"),
        format!(
            "apiVersion: sisyphus/v1\nkind: KubernetesYaml\nmetadata:\n  name: other\nobjects:\n  \
             - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: other\n    data:\n      \
             a: b\nclusters:\n  - {EAST}\n  - {WEST}\n"
        ),
    )
    .unwrap();
    g.push(&[]);
    let exists = |c: &'static str| {
        let (g, other) = (&g, &other);
        async move {
            let api: Api<ConfigMap> = Api::namespaced(g.client(c).await, other);
            api.get_opt("other").await.unwrap().is_some()
        }
    };
    assert!(block_on(exists(EAST)) && block_on(exists(WEST)));

    std::fs::remove_dir_all(&folder).unwrap();
    // Both footprints.
    g.edit("index.yaml", "replicas: 1", "replicas: 2");
    g.edit("index.yaml", "replicas: 1", "replicas: 2");
    // --namespace: only that namespace (and its Namespace object).
    let (code, diff) = g.diff(&["--namespace", &other]);
    assert_eq!(code, 2);
    assert_eq!(
        actions(&diff),
        [
            format!("{EAST} delete ConfigMap other"),
            format!("{EAST} delete Namespace {other}"),
            format!("{WEST} delete ConfigMap other"),
            format!("{WEST} delete Namespace {other}"),
        ]
    );
    let (pushed, _) = g.push(&["--namespace", &g.ns]);
    assert_eq!(
        actions(&pushed),
        [
            format!("{EAST} update Deployment echo"),
            format!("{WEST} update Deployment echo"),
        ]
    );
    assert!(
        block_on(exists(EAST)) && block_on(exists(WEST)),
        "deleted out of scope"
    );
    // --cluster: only that cluster.
    let (pushed, _) = g.push(&["--cluster", EAST]);
    assert_eq!(
        actions(&pushed),
        [
            format!("{EAST} delete ConfigMap other"),
            format!("{EAST} delete Namespace {other}"),
        ]
    );
    assert!(!block_on(exists(EAST)));
    assert!(block_on(exists(WEST)), "deleted in the other cluster");
    let (pushed, _) = g.push(&[]);
    assert_eq!(
        actions(&pushed),
        [
            format!("{WEST} delete ConfigMap other"),
            format!("{WEST} delete Namespace {other}"),
        ]
    );
    assert_eq!(g.diff(&[]).0, 0);
}

#[test]
fn an_adopted_secret_keeps_its_value_and_kubectls_copy_of_it_is_not_stored() {
    let g = Ground::new("adopt-secret", Dialect::Sqlite);
    let value = "kubectl-applied-9931";
    block_on(async {
        let client = g.client(EAST).await;
        let ns: k8s_openapi::api::core::v1::Namespace =
            serde_json::from_value(json!({"metadata": {"name": g.ns}})).unwrap();
        Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .unwrap();
        // As `kubectl apply` leaves it: the whole object, value included, in an annotation.
        let last_applied = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "tokens", "namespace": g.ns},
            "stringData": {"secret-token": value}
        })
        .to_string();
        let secret: Secret = serde_json::from_value(json!({
            "metadata": {
                "name": "tokens",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied}
            },
            "stringData": {"secret-token": value}
        }))
        .unwrap();
        Api::<Secret>::namespaced(client, &g.ns)
            .create(&PostParams::default(), &secret)
            .await
            .unwrap();
    });
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2);
    let change = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cluster"] == EAST && c["kind"] == "Secret" && c["name"] == "tokens")
        .expect("the Secret is in the change set");
    assert_eq!(change["action"], "adopt", "{change:#}");
    assert!(
        change["reasons"]
            .to_string()
            .contains("key `secret-token` exists: its value in the cluster is kept"),
        "{change:#}"
    );
    assert!(!diff.to_string().contains(value), "{diff:#}");
    let out = g.push_output(&["--adopt"]);
    crate::common::assert_success(&out);
    for output in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(output).contains(value));
    }
    block_on(async {
        assert_eq!(g.secret(EAST, "tokens").await["secret-token"], value);
        assert_eq!(g.secret(WEST, "tokens").await["secret-token"], PLACEHOLDER);
    });
    let values = block_on(g.every_value());
    for needle in [
        value.to_owned(),
        base64(value),
        "last-applied-configuration".to_owned(),
    ] {
        for (table, column, bytes) in &values {
            assert!(
                !contains(bytes, needle.as_bytes()),
                "`{needle}` found in {table}.{column}: {}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
    assert_eq!(g.diff(&[]).0, 0);
}

#[test]
fn without_a_url_the_database_is_a_file_under_xdg_state_home() {
    let g = Ground::new("default-db", Dialect::Sqlite);
    let file = g.tmp.path().join("state/sisyphus/sisyphus.db");
    let push = |extra: &[&str]| {
        g.command("push")
            .arg("--monitor-directory")
            .arg(g.production())
            .arg("--kubeconfig")
            .arg(&g.kubeconfig)
            .args(["--yes", "--output", "json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = push(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("state database: `{}`", file.display())),
        "{stderr}"
    );
    assert!(file.is_file());
    let out = push(&[]);
    assert!(out.status.success());
    assert_eq!(crate::ground::json(&out)["has_changes"], false);
    // SISYPHUS_DATABASE_URL is used when set (here: the test's own, empty database).
    let out = g
        .command("diff")
        .arg("--monitor-directory")
        .arg(g.production())
        .arg("--kubeconfig")
        .arg(&g.kubeconfig)
        .args(["--output", "json"])
        .env("SISYPHUS_DATABASE_URL", &g.url)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_cluster_dropped_from_the_files_is_emptied_and_the_other_left_alone() {
    let g = Ground::new("drop-cluster", Dialect::Sqlite);
    g.push(&[]);
    let before = block_on(g.settled_versions());
    // West goes from clusters.yaml, the footprints and the KubernetesYaml lists.
    for file in [
        "clusters.yaml".to_owned(),
        "global/index.yaml".to_owned(),
        format!("{}/index.yaml", g.ns),
    ] {
        let path = g.production().join(file);
        let text = crate::ground::read(&path)
            .replace(&format!("  - {WEST}\n"), "")
            .replace(&format!("  {WEST}:\n    replicas: 1\n"), "")
            .replace(&format!("  {WEST}: {{}}\n"), "");
        assert!(!text.contains(WEST), "{text}");
        std::fs::write(&path, text).unwrap();
    }
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2);
    assert_eq!(
        actions(&diff),
        example_actions(&g.ns, "delete")[6..].to_vec(),
        "{diff:#}"
    );
    g.push(&[]);
    block_on(async {
        assert!(
            g.namespace_is_gone(WEST).await,
            "west still has the namespace"
        );
    });
    let after = block_on(g.all_versions_now());
    let east = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.iter()
            .filter(|(k, _)| k.starts_with("east/"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    assert_eq!(east(&after), east(&before), "east was written");
    assert_eq!(g.diff(&[]).0, 0);
}

#[test]
fn a_namespace_a_push_deleted_can_be_pushed_again_at_once() {
    let g = Ground::new("terminating", Dialect::Sqlite);
    let saved = g.tmp.path().join("saved");
    std::fs::create_dir_all(&saved).unwrap();
    g.push(&[]);
    // Everything goes: the namespaces are deleted (the namespace controller empties them).
    std::fs::rename(g.folder(), saved.join("ns")).unwrap();
    std::fs::rename(g.production().join("global"), saved.join("global")).unwrap();
    g.push(&[]);
    // Back at once (the deleting push waits for the namespaces to be gone; if one is still
    // terminating, the push must say so and apply nothing there).
    std::fs::rename(saved.join("ns"), g.folder()).unwrap();
    std::fs::rename(saved.join("global"), g.production().join("global")).unwrap();
    let out = g.push_output(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(&g.ns), "{stderr}");
    }
    // Once they are gone, the next push converges.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = g.push_output(&[]);
        if out.status.success() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    assert_eq!(g.diff(&[]).0, 0);
    block_on(async {
        for c in CLUSTERS {
            let api: Api<Deployment> = Api::namespaced(g.client(c).await, &g.ns);
            api.get("echo").await.expect("recreated");
            assert!(!g.namespace_is_gone(c).await, "{c}");
        }
    });
}
