//! `sisyphus diff` and the refusals of `sisyphus push` end to end on the real test ground (two
//! clusters, a real registry; SQLite unless the database is what is tested): exit codes, the
//! JSON change set, `--plan` against `--monitor-directory`, adoption, and everything that must
//! stop a push before its first write (unknown context, an object the API server rejects, bad
//! databases, bad URLs, a plan file of another version).

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, PostParams};
use serde_json::json;

use crate::ground::{
    CLUSTERS, Dialect, EAST, Ground, WEST, actions, block_on, json, on_every_database,
};

on_every_database!(a_database_from_a_newer_version_is_refused_unchanged);

/// Assert a run failed with exit 1 and nothing on stdout; its stderr.
#[track_caller]
fn failed(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{stderr}");
    stderr
}

/// `--yes` for `push`.
fn yes(command: &str) -> &'static [&'static str] {
    if command == "push" { &["--yes"] } else { &[] }
}

/// Neither cluster has this test's namespace.
fn nothing_applied(g: &Ground) {
    block_on(async {
        for c in CLUSTERS {
            assert!(!g.namespace_exists(c).await, "something was applied in {c}");
        }
    });
}

/// `sisyphus diff` with the default (text) output.
fn text_diff(g: &Ground) -> std::process::Output {
    g.command("diff")
        .arg("--monitor-directory")
        .arg(g.production())
        .args(["--database-url", &g.url])
        .arg("--kubeconfig")
        .arg(&g.kubeconfig)
        .output()
        .unwrap()
}

#[test]
fn diff_exit_codes_follow_the_changes() {
    let g = Ground::new("exit-codes", Dialect::Sqlite);
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2);
    assert_eq!(diff["version"], 1);
    assert_eq!(diff["has_changes"], true);
    assert_eq!(diff["blocked"], json!([]));
    // Text: counts per cluster, Secret values masked.
    let out = text_diff(&g);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("cluster `east`: 6 create"), "{text}");
    // Masked by the one masker (`****`; the text says `(hidden)`).
    assert!(
        text.contains("secret-token: \"****\"") && !text.contains("replace-me"),
        "{text}"
    );
    // diff writes nothing: not in the clusters, not in the database.
    nothing_applied(&g);
    assert_eq!(block_on(g.push_rows()), 0);
    // --cluster: only that cluster's changes.
    let (code, only_west) = g.diff(&["--cluster", WEST]);
    assert_eq!(code, 2);
    assert!(
        actions(&only_west).iter().all(|a| a.starts_with("west ")),
        "{only_west:#}"
    );
    assert_eq!(actions(&only_west).len(), 6);
    g.push(&[]);
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 0, "{diff:#}");
    // Text output says so too.
    let out = text_diff(&g);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("no changes"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "colour without a terminal: {text:?}"
    );
    // An error is 1, not 2.
    let out = g
        .run_command("diff", &["--cluster", "nowhere"])
        .output()
        .unwrap();
    assert!(failed(&out).contains("unknown cluster `nowhere`"));
}

/// Regression test for #8, found by this test: clap exited 2 on a usage error, which CI reads as
/// "changes" (fixed in e6fdae3).
#[test]
fn a_usage_error_of_diff_exits_1_not_2() {
    for args in [&["diff", "--no-such-flag"][..], &["diff"]] {
        let out = crate::common::sisyphus().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Regression test for #8, found by this test: the JSON `diff` had its lines concatenated (fixed in
/// e6fdae3).
#[test]
fn the_json_diff_keeps_its_line_breaks() {
    let g = Ground::new("json-lines", Dialect::Sqlite);
    let (_, diff) = g.diff(&[]);
    let change = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "Deployment")
        .unwrap();
    let text = change["diff"].as_str().unwrap();
    assert!(text.contains("\n+kind: Deployment\n"), "{text}");
    assert!(text.ends_with('\n'), "{text}");
}

/// Regression test for #8, found by this test: the recorded intent was stored with sorted keys, so
/// every update showed all reordered lines (fixed in e6fdae3).
#[test]
fn a_retag_diff_shows_only_the_changed_lines() {
    let g = Ground::new("diff-lines", Dialect::Sqlite);
    g.push(&[]);
    g.push_verbose_config(&["echo_config"]);
    let (_, diff) = g.diff(&[]);
    let change = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "Deployment" && c["cluster"] == EAST)
        .unwrap();
    let text = change["diff"].as_str().unwrap();
    let changed: Vec<&str> = text
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    // The annotation's digest (one line out, one in) and the new argument.
    assert_eq!(changed.len(), 3, "{text}");
}

#[test]
fn a_plan_file_gives_the_same_change_set_as_the_folder() {
    let g = Ground::new("plan-file", Dialect::Sqlite);
    let plan = g.write_plan("plan.bin");
    let from_plan = g
        .run_command_from("diff", "--plan", &plan, &[])
        .output()
        .unwrap();
    assert_eq!(from_plan.status.code(), Some(2));
    let (_, from_folder) = g.diff(&[]);
    assert_eq!(json(&from_plan), from_folder);
    let (pushed, _) = {
        let out = g
            .run_command_from("push", "--plan", &plan, &["--yes"])
            .output()
            .unwrap();
        crate::common::assert_success(&out);
        (json(&out), ())
    };
    assert_eq!(pushed, from_folder);
    assert_eq!(g.diff(&[]).0, 0, "the plan pushed what the folder says");
    let again = g
        .run_command_from("diff", "--plan", &plan, &[])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn an_untracked_object_is_adopted_only_with_adopt() {
    let g = Ground::new("adopt", Dialect::Sqlite);
    block_on(async {
        let client = g.client(EAST).await;
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": g.ns}})).unwrap();
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .unwrap();
        let cm: ConfigMap = serde_json::from_value(json!({
            "metadata": {"name": "settings"}, "data": {"colour": "by-hand"}
        }))
        .unwrap();
        Api::<ConfigMap>::namespaced(client, &g.ns)
            .create(&PostParams::default(), &cm)
            .await
            .unwrap();
    });
    g.add_yaml_resource(
        "settings",
        "settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  colour: from-files\n",
    );
    let (code, diff) = g.diff(&[]);
    assert_eq!(code, 2);
    let listed = actions(&diff);
    assert!(
        listed.contains(&format!("{EAST} adopt ConfigMap settings")),
        "{listed:#?}"
    );
    assert!(
        listed.contains(&format!("{EAST} adopt Namespace {}", g.ns)),
        "{listed:#?}"
    );
    assert!(
        listed.contains(&format!("{WEST} create ConfigMap settings")),
        "{listed:#?}"
    );
    assert_eq!(diff["counts"][EAST]["adopt"], 2, "{diff:#}");

    let before = block_on(g.settled_versions());
    let out = g.push_output(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "`{EAST}` v1 ConfigMap {}/settings exists in the cluster but Sisyphus does not track it; pass `--adopt`",
            g.ns
        )),
        "{stderr}"
    );
    assert!(stderr.contains("nothing applied"), "{stderr}");
    assert_eq!(
        block_on(g.all_versions_now()),
        before,
        "refused, yet written"
    );
    block_on(async {
        assert!(!g.namespace_exists(WEST).await, "applied in west");
    });
    assert_eq!(block_on(g.push_rows()), 0);

    let (pushed, _) = g.push(&["--adopt"]);
    assert_eq!(pushed["counts"][EAST]["adopt"], 2, "{pushed:#}");
    block_on(async {
        for c in CLUSTERS {
            let api: Api<ConfigMap> = Api::namespaced(g.client(c).await, &g.ns);
            let cm = api.get("settings").await.unwrap();
            assert_eq!(cm.data.unwrap()["colour"], "from-files", "{c}");
        }
    });
    assert_eq!(g.diff(&[]).0, 0);

    // Everything goes from the files: the namespace Sisyphus created (west) is deleted, the
    // one it adopted (east) is kept and forgotten.
    std::fs::remove_dir_all(g.folder()).unwrap();
    std::fs::remove_dir_all(g.production().join("global")).unwrap();
    let (_, stderr) = g.push(&[]);
    assert!(
        stderr.contains(&format!(
            "kept `{EAST}` v1 Namespace {}: Sisyphus did not create it",
            g.ns
        )),
        "{stderr}"
    );
    block_on(async {
        let ns: Api<Namespace> = Api::all(g.client(EAST).await);
        let kept = ns.get(&g.ns).await.expect("adopted namespace kept");
        assert!(kept.metadata.deletion_timestamp.is_none());
        let ns: Api<Namespace> = Api::all(g.client(WEST).await);
        if let Some(n) = ns.get_opt(&g.ns).await.unwrap() {
            assert!(
                n.metadata.deletion_timestamp.is_some(),
                "west namespace not deleted"
            );
        }
    });
    assert_eq!(g.diff(&[]).0, 0);
}

#[test]
fn an_unknown_context_applies_nothing_anywhere() {
    let g = Ground::new("unknown-context", Dialect::Sqlite);
    g.replace_everywhere("west", "north");
    for command in ["diff", "push"] {
        let out = g.run_command(command, yes(command)).output().unwrap();
        let stderr = failed(&out);
        assert!(stderr.contains("`north`"), "{command}: {stderr}");
        assert!(stderr.contains("context"), "{command}: {stderr}");
    }
    nothing_applied(&g);
    assert_eq!(block_on(g.push_rows()), 0);
}

#[test]
fn an_unreachable_cluster_applies_nothing_anywhere() {
    let g = Ground::new("unreachable", Dialect::Sqlite);
    let west = sisyphus_test_support::kube::KubeCluster::shared(WEST)
        .server()
        .to_owned();
    // A port nothing listens on (reserved by binding it, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = g.tmp.path().join("unreachable.kubeconfig");
    let text = crate::ground::read(&g.kubeconfig);
    assert!(text.contains(&west), "{west} not in the kubeconfig");
    std::fs::write(
        &kubeconfig,
        text.replace(&west, &format!("https://127.0.0.1:{port}")),
    )
    .unwrap();
    let out = g
        .command("push")
        .arg("--monitor-directory")
        .arg(g.production())
        .args(["--database-url", &g.url, "--yes", "--output", "json"])
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .output()
        .unwrap();
    let stderr = failed(&out);
    assert!(stderr.contains("`west`"), "{stderr}");
    nothing_applied(&g);
}

/// A Deployment without a selector, only in west: the API server rejects it.
fn add_rejected_deployment(g: &Ground) {
    std::fs::write(
        g.folder().join("broken.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\nspec:\n  template:\n    \
         metadata:\n      labels:\n        app: broken\n    spec:\n      containers:\n      - \
         name: app\n        image: busybox\n",
    )
    .unwrap();
    let index = g.folder().join("index.yaml");
    let mut text = crate::ground::read(&index);
    text.push_str(&format!(
        "\n---\n\napiVersion: sisyphus/v1\nkind: KubernetesYaml\nmetadata:\n  name: broken\n\
         sources:\n  - broken.yaml\nclusters:\n  - {WEST}\n"
    ));
    std::fs::write(&index, text).unwrap();
}

#[test]
fn an_object_the_api_server_rejects_applies_nothing_in_existing_namespaces() {
    let g = Ground::new("rejected", Dialect::Sqlite);
    g.push(&[]);
    add_rejected_deployment(&g);
    // Something to write in east too, which must not be written either.
    g.edit("index.yaml", "replicas: 1", "replicas: 3");
    let before = block_on(g.settled_versions());
    let pushes = block_on(g.push_rows());
    let out = g.push_output(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("broken"), "{stderr}");
    assert!(stderr.contains("selector"), "{stderr}");
    assert!(stderr.contains("nothing applied"), "{stderr}");
    assert_eq!(
        block_on(g.all_versions_now()),
        before,
        "refused, yet written"
    );
    assert_eq!(block_on(g.push_rows()), pushes);
    block_on(async {
        let api: Api<Deployment> = Api::namespaced(g.client(WEST).await, &g.ns);
        assert!(api.get_opt("broken").await.unwrap().is_none());
    });
}

/// Regression test for #8, found by this test: objects in a namespace the push creates were not
/// dry-run, so the namespace and the other cluster were written before the rejection (fixed in
/// e6fdae3).
#[test]
fn an_object_the_api_server_rejects_applies_nothing_on_a_first_push() {
    let g = Ground::new("rejected-first", Dialect::Sqlite);
    add_rejected_deployment(&g);
    let out = g.push_output(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("broken") && stderr.contains("selector"),
        "{stderr}"
    );
    nothing_applied(&g);
}

#[test]
fn a_corrupt_database_file_is_refused_unchanged() {
    let g = Ground::new("corrupt-db", Dialect::Sqlite);
    let file = g.tmp.path().join("state.db");
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&file, &garbage).unwrap();
    for command in ["diff", "push"] {
        let out = g.run_command(command, yes(command)).output().unwrap();
        let stderr = failed(&out);
        assert!(
            stderr.contains("is not an SQLite database, or is corrupt; it was left unchanged"),
            "{command}: {stderr}"
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), garbage);
    nothing_applied(&g);
}

fn a_database_from_a_newer_version_is_refused_unchanged(dialect: Dialect) {
    let g = Ground::new("newer-db", dialect);
    // Create and migrate it, then pretend a newer sisyphus migrated it further.
    block_on(async {
        g.store().await.close().await;
        let pool = g.raw().await;
        let checksum = match dialect {
            Dialect::Postgres => "decode('00', 'hex')",
            Dialect::Sqlite | Dialect::MariaDb => "X'00'",
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES (99, 'from the future', TRUE, {checksum}, 1)"
        )))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
    let before = block_on(g.every_value());
    for command in ["diff", "push"] {
        let out = g.run_command(command, yes(command)).output().unwrap();
        let stderr = failed(&out);
        assert!(
            stderr.contains("has schema version 99, newer than this sisyphus knows")
                && stderr.contains("left unchanged"),
            "{command}: {stderr}"
        );
        assert!(
            !stderr.contains(sisyphus_test_support::mariadb::PASSWORD),
            "{stderr}"
        );
    }
    assert_eq!(block_on(g.every_value()), before, "the database changed");
    nothing_applied(&g);
}

#[test]
fn a_database_url_that_does_not_parse_is_refused_without_its_password() {
    let g = Ground::new("bad-url", Dialect::Sqlite);
    for url in [
        "postgres://deploy:hunter2-secret@127.0.0.1:notaport/state",
        "mysql://deploy:hunter2-secret@[::1/state",
        "oracle://deploy:hunter2-secret@db/state",
    ] {
        for command in ["diff", "push"] {
            let mut cmd = g.command(command);
            cmd.arg("--monitor-directory")
                .arg(g.production())
                .args(["--database-url", url, "--output", "json"])
                .args(yes(command))
                .arg("--kubeconfig")
                .arg(&g.kubeconfig);
            let out = cmd.output().unwrap();
            let stderr = failed(&out);
            assert!(!stderr.contains("hunter2-secret"), "{url}: {stderr}");
            assert!(stderr.contains("database url"), "{url}: {stderr}");
        }
        // The same through the environment.
        let out = g
            .command("push")
            .arg("--monitor-directory")
            .arg(g.production())
            .args(["--yes", "--kubeconfig"])
            .arg(&g.kubeconfig)
            .env("SISYPHUS_DATABASE_URL", url)
            .output()
            .unwrap();
        let stderr = failed(&out);
        assert!(!stderr.contains("hunter2-secret"), "{url}: {stderr}");
    }
    nothing_applied(&g);
    assert!(
        !g.tmp.path().join("state").exists(),
        "fell back to the default database"
    );
}

#[test]
fn a_plan_file_of_another_version_is_refused() {
    let g = Ground::new("plan-version", Dialect::Sqlite);
    let plan = g.write_plan("plan.bin");
    let mut bytes = std::fs::read(&plan).unwrap();
    assert_eq!(&bytes[..2], [0x08, 0x01], "field 1 (version) comes first");
    bytes[1] = 0x02;
    std::fs::write(&plan, &bytes).unwrap();
    for command in ["diff", "push"] {
        let out = g
            .run_command_from(command, "--plan", &plan, yes(command))
            .output()
            .unwrap();
        let stderr = failed(&out);
        assert!(
            stderr.contains("unsupported plan version 2: this sisyphus reads plan version 1"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains(&plan.display().to_string()), "{stderr}");
    }
    nothing_applied(&g);
    assert!(
        !g.tmp.path().join("state.db").exists(),
        "the database was opened"
    );
}

/// What another state database's pushes wrote is not this database's to take: `adopt`, and the
/// push needs `--adopt` (#8, "never silently taken over"). Regression test: 2916fa9 took over
/// every untracked object the field manager `sisyphus` wrote; a killed push now converges by
/// write-ahead rows instead.
#[test]
fn objects_another_database_pushed_are_adopted_only_with_adopt() {
    let g = Ground::new("other-db", Dialect::Sqlite);
    g.push(&[]);
    let other = format!("sqlite://{}", g.tmp.path().join("other.db").display());
    let run = |command: &str, extra: &[&str]| {
        g.command(command)
            .arg("--monitor-directory")
            .arg(g.production())
            .args(["--database-url", &other, "--output", "json"])
            .arg("--kubeconfig")
            .arg(&g.kubeconfig)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run("diff", &[]);
    assert_eq!(out.status.code(), Some(2));
    let diff = json(&out);
    for change in diff["changes"].as_array().unwrap() {
        assert_eq!(change["action"], "adopt", "{change:#}");
    }
    let before = block_on(g.settled_versions());
    // The change set is shown (stdout), then the push refuses it (stderr, exit 1).
    let out = run("push", &["--yes"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("pass `--adopt`"), "{stderr}");
    assert!(stderr.contains("nothing applied"), "{stderr}");
    assert_eq!(block_on(g.all_versions_now()), before);
}
