//! `sisyphus refresh`, `import`, `forget` and `unlock` end to end on the real test ground (two
//! clusters, SQLite: what differs between databases is covered by `push` and sisyphus-state).

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use sisyphus_state::{Holder, Operation};

use crate::ground::{Dialect, EAST, Ground, WEST, actions, block_on, json};

/// `sisyphus <command> --database-url <url> --kubeconfig <kc> [args]` without a folder.
fn run_state(g: &Ground, command: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = g.command(command);
    cmd.args(["--database-url", &g.url]);
    if command == "refresh" {
        cmd.arg("--kubeconfig").arg(&g.kubeconfig);
    }
    cmd.args(args).output().expect("run sisyphus")
}

#[track_caller]
fn succeeded(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The operations of the history, oldest first.
fn operations(g: &Ground) -> Vec<Operation> {
    block_on(async {
        let store = g.store().await;
        let mut rows = store.pushes(100).await.expect("pushes");
        rows.reverse();
        rows.into_iter().map(|r| r.operation).collect()
    })
}

#[test]
fn refresh_reports_a_hand_edit_and_a_deletion_and_the_next_push_repairs_both() {
    let g = Ground::new("refresh", Dialect::Sqlite);
    g.push(&[]);
    block_on(async {
        let deployments: Api<Deployment> = Api::namespaced(g.client(EAST).await, &g.ns);
        deployments
            .patch(
                "echo",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": 3}})),
            )
            .await
            .expect("scale by hand");
        let services: Api<Service> = Api::namespaced(g.client(WEST).await, &g.ns);
        services
            .delete("echo", &DeleteParams::default())
            .await
            .expect("delete by hand");
    });
    let out = run_state(&g, "refresh", &["--output", "json"]);
    let report: Value = json(&out);
    assert_eq!(
        report["deleted"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert_eq!(report["deleted"][0]["cluster"], WEST);
    assert_eq!(report["deleted"][0]["kind"], "Service");
    assert_eq!(
        report["drifted"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert_eq!(report["drifted"][0]["kind"], "Deployment");
    assert_eq!(report["drifted"][0]["fields"], json!(["spec.replicas"]));

    // The next diff shows both repairs, and the push makes them.
    let (code, changes) = g.diff(&[]);
    assert_eq!(code, 2);
    assert_eq!(
        actions(&changes),
        [
            format!("{EAST} update Deployment echo"),
            format!("{WEST} create Service echo"),
        ]
    );
    g.push(&[]);
    block_on(async {
        let deployments: Api<Deployment> = Api::namespaced(g.client(EAST).await, &g.ns);
        let d = deployments.get("echo").await.expect("deployment");
        assert_eq!(d.spec.and_then(|s| s.replicas), Some(1));
        let services: Api<Service> = Api::namespaced(g.client(WEST).await, &g.ns);
        assert!(services.get_opt("echo").await.expect("get").is_some());
    });
    // Nothing moved since: a second refresh finds nothing, the diff is empty.
    let report: Value = json(&run_state(&g, "refresh", &["--output", "json"]));
    assert_eq!(report["deleted"], json!([]));
    assert_eq!(report["drifted"], json!([]));
    assert_eq!(g.diff(&[]).0, 0);
    assert_eq!(
        operations(&g),
        [
            Operation::Push,
            Operation::Refresh,
            Operation::Push,
            Operation::Refresh
        ]
    );
}

#[test]
fn import_records_live_objects_so_the_next_push_needs_no_adopt_and_keeps_secret_values() {
    let g = Ground::new("import", Dialect::Sqlite);
    // The namespace, a ConfigMap the files declare and the Secrets exist before Sisyphus.
    g.add_yaml_resource(
        "settings",
        "settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n",
    );
    block_on(async {
        for context in [EAST, WEST] {
            let client = g.client(context).await;
            let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
            namespaces
                .create(
                    &PostParams::default(),
                    &serde_json::from_value(json!({"metadata": {"name": g.ns}})).expect("ns"),
                )
                .await
                .expect("create namespace");
            let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &g.ns);
            maps.create(
                &PostParams::default(),
                &serde_json::from_value(
                    json!({"metadata": {"name": "settings"}, "data": {"color": "red"}}),
                )
                .expect("config map"),
            )
            .await
            .expect("create config map");
            let secrets: Api<Secret> = Api::namespaced(client, &g.ns);
            secrets
                .create(
                    &PostParams::default(),
                    &serde_json::from_value(json!({"metadata": {"name": "tokens"},
                        "stringData": {"secret-token": "the-real-token"}}))
                    .expect("secret"),
                )
                .await
                .expect("create secret");
        }
    });
    let (_, before) = g.diff(&[]);
    assert!(
        actions(&before).contains(&format!("{EAST} adopt ConfigMap settings")),
        "{:?}",
        actions(&before)
    );

    let out = g
        .run_command("import", &["--kind", "ConfigMap", "--kind", "Secret"])
        .output()
        .expect("run");
    let text = succeeded(&out);
    assert!(text.contains("imported 4 object(s)"), "{text}");
    // The import's history row lists what it recorded, as adopts, Secret values masked.
    let audit = crate::history::state_json(&g, &["history"], &["--audit", "--limit", "1"]);
    let import = &audit["history"][0];
    assert_eq!(import["operation"], "import");
    let id = import["id"].to_string();
    let shown = crate::history::state_json(&g, &["history", "show", &id], &[]);
    let mut kinds: Vec<String> = shown["changes"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| format!("{} {} {}", c["cluster"], c["action"], c["kind"]))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "\"east\" \"adopt\" \"ConfigMap\"",
            "\"east\" \"adopt\" \"Secret\"",
            "\"west\" \"adopt\" \"ConfigMap\"",
            "\"west\" \"adopt\" \"Secret\""
        ],
        "{shown:#}"
    );
    assert!(!shown.to_string().contains("the-real-token"));
    // Recorded as found: the next diff updates the ConfigMap to the files' value, has nothing
    // to adopt, and leaves the Secret's value alone.
    let (_, after) = g.diff(&[]);
    let lines = actions(&after);
    assert!(
        !lines
            .iter()
            .any(|l| l.contains(" adopt ") && !l.contains("Namespace")),
        "{lines:?}"
    );
    assert!(
        lines.contains(&format!("{EAST} update ConfigMap settings")),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("Secret tokens")),
        "{lines:?}"
    );
    g.push(&[]);
    block_on(async {
        assert_eq!(
            g.secret(EAST, "tokens").await["secret-token"],
            "the-real-token"
        );
        let maps: Api<ConfigMap> = Api::namespaced(g.client(WEST).await, &g.ns);
        let map = maps.get("settings").await.expect("config map");
        assert_eq!(map.data.unwrap_or_default()["color"], "blue");
    });
    // No value of the Secret reached the database.
    let values = block_on(g.every_value());
    assert!(
        !values
            .iter()
            .any(|(_, _, v)| String::from_utf8_lossy(v).contains("the-real-token")),
        "a secret value was stored"
    );
}

#[test]
fn forget_drops_rows_and_leaves_the_objects_and_needs_a_selector() {
    let g = Ground::new("forget", Dialect::Sqlite);
    g.push(&[]);
    let tracked = || {
        block_on(async {
            let store = g.store().await;
            store.snapshot(None).await.expect("snapshot").objects.len()
        })
    };
    let all = tracked();
    let out = run_state(&g, "forget", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs at least one of"));
    assert_eq!(tracked(), all);

    let text = succeeded(&run_state(
        &g,
        "forget",
        &["--cluster", WEST, "--kind", "service"],
    ));
    assert!(text.contains("forgot 1 object(s)"), "{text}");
    assert_eq!(tracked(), all - 1);
    block_on(async {
        let services: Api<Service> = Api::namespaced(g.client(WEST).await, &g.ns);
        assert!(services.get_opt("echo").await.expect("get").is_some());
    });
    // No longer tracked: the next diff asks to adopt it, saying Sisyphus wrote it.
    let (code, changes) = g.diff(&[]);
    assert_eq!(code, 2);
    assert_eq!(actions(&changes), [format!("{WEST} adopt Service echo")]);
    let reasons = changes["changes"][0]["reasons"].to_string();
    assert!(reasons.contains("it was forgotten"), "{reasons}");
    assert_eq!(operations(&g), [Operation::Push, Operation::Forget]);
}

#[test]
fn unlock_breaks_a_held_lock_and_is_recorded() {
    let g = Ground::new("unlock", Dialect::Sqlite);
    g.push(&[]);
    block_on(async {
        let store = g.store().await;
        let holder = Holder {
            user: "someone".into(),
            host: "elsewhere.example".into(),
            pid: 4242,
        };
        let lock = store
            .lock(&holder, sisyphus_state::DEFAULT_LEASE)
            .await
            .expect("lock");
        // Held elsewhere: a push is refused at once, naming the holder.
        g.edit("index.yaml", "replicas: 1", "replicas: 2");
        let out = g.push_output(&[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("someone") && stderr.contains("elsewhere.example"),
            "{stderr}"
        );
        let text = succeeded(&run_state(&g, "unlock", &["--user", "admin"]));
        assert!(
            text.contains("broke the push lock held by `someone`"),
            "{text}"
        );
        assert!(lock.is_lost() || lock.release().await.is_err());
    });
    g.push(&[]);
    let ops = operations(&g);
    assert_eq!(
        ops,
        [Operation::Push, Operation::Unlock, Operation::Push],
        "{ops:?}"
    );
    let unlock = block_on(async {
        let store = g.store().await;
        store
            .pushes(10)
            .await
            .expect("pushes")
            .into_iter()
            .find(|r| r.operation == Operation::Unlock)
            .expect("unlock row")
    });
    assert_eq!(unlock.user, "admin");
}
