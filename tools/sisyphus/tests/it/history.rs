//! `sisyphus history`, `history show`, `history --audit` and `status` end to end on the real
//! test ground (two clusters, a real registry), on SQLite, PostgreSQL and MariaDB: three
//! pushes and the images each resource moved between, one push's change set, and an audit row
//! for every command that changes the state.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use serde_json::Value;

use crate::ground::{
    CLUSTERS, Dialect, EAST, Ground, PLACEHOLDER, WEST, block_on, json, on_every_database,
};

on_every_database!(history_after_three_pushes_and_an_audit_row_for_every_command);

/// `sisyphus <command> --database-url <url> [args]`, raw.
pub fn state_command(g: &Ground, command: &[&str], args: &[&str]) -> std::process::Output {
    let mut cmd = g.command(command[0]);
    cmd.args(&command[1..])
        .args(["--database-url", &g.url])
        .args(args);
    cmd.output().expect("run sisyphus")
}

/// The JSON of a state command that must succeed.
#[track_caller]
pub fn state_json(g: &Ground, command: &[&str], args: &[&str]) -> Value {
    let out = state_command(g, command, &[&["--output", "json"], args].concat());
    crate::common::assert_success(&out);
    json(&out)
}

/// The resource entries of history row `push` as `resource clusters actions` strings.
fn resources(entry: &Value) -> Vec<String> {
    entry["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["resource"].as_str().unwrap_or("-"),
                r["clusters"],
                r["actions"]
            )
        })
        .collect()
}

fn resource<'a>(entry: &'a Value, name: &str) -> &'a Value {
    entry["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == name)
        .unwrap_or_else(|| panic!("no {name} in {entry:#}"))
}

fn history_after_three_pushes_and_an_audit_row_for_every_command(dialect: Dialect) {
    let g = Ground::new("history", dialect);
    let host = g.registry.host();
    let deployment = format!("Deployment/{}/echo", g.ns);
    let cronjob = format!("CronJob/{}/echo-cleanup", g.ns);
    let old_config = format!("{host}/acme/echo_config@{}", g.digest);

    // 1: everything created. 2: a retag moves both workloads to a new config image.
    // 3: another replica count in one cluster moves the Deployment there only.
    g.push(&[]);
    let new_digest = g.push_verbose_config(&["echo_config", "echo_job_config"]);
    let new_config = format!("{host}/acme/echo_config@{new_digest}");
    g.push(&[]);
    g.edit("index.yaml", "replicas: 1", "replicas: 3");
    g.push(&[]);

    let history = state_json(&g, &["history"], &[]);
    let rows = history["history"].as_array().unwrap();
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [3, 2, 1], "{history:#}");
    for row in rows {
        assert_eq!(row["operation"], "push");
        assert_eq!(row["user"], "tester");
        assert_eq!(row["outcome"], "succeeded");
        assert!(row["inputs_hash"].as_str().unwrap().len() >= 16, "{row:#}");
        assert!(row["finished_ms"].as_i64() >= row["started_ms"].as_i64());
    }
    assert_eq!(rows[2]["counts"]["create"], 12);
    assert_eq!(rows[1]["counts"]["update"], 4);
    assert_eq!(rows[0]["counts"]["update"], 1);
    let both = format!("[\"{EAST}\",\"{WEST}\"]");
    assert_eq!(
        resources(&rows[1]),
        [
            format!("{deployment} {both} [\"update\"]"),
            format!("{cronjob} {both} [\"update\"]"),
        ],
        "sorted by resource: Deployments, then CronJobs"
    );
    let moved = resource(&rows[1], &deployment);
    assert_eq!(moved["before"]["config_image"], old_config.as_str());
    assert_eq!(moved["after"]["config_image"], new_config.as_str());
    assert_eq!(
        moved["after"]["binary_image"],
        format!("{host}/acme/echo@{}", crate::ground::BINARY)
    );
    // The third push moved the Deployment in east only, on the same images.
    assert_eq!(
        resources(&rows[0]),
        [format!("{deployment} [\"{EAST}\"] [\"update\"]")]
    );
    let same = resource(&rows[0], &deployment);
    assert_eq!(same["before"], same["after"]);
    assert_eq!(same["after"]["config_image"], new_config.as_str());
    // The first created everything (the Namespace is of no resource).
    let created = resource(&rows[2], &deployment);
    assert_eq!(created["before"], Value::Null);
    assert_eq!(created["after"]["config_image"], old_config.as_str());

    // Filters: the Deployment in west moved in pushes 2 and 1 only.
    let west = state_json(
        &g,
        &["history"],
        &["--resource", &deployment, "--cluster", WEST],
    );
    let ids: Vec<i64> = west["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [2, 1], "{west:#}");
    let limited = state_json(&g, &["history"], &["--limit", "1"]);
    assert_eq!(limited["history"].as_array().unwrap().len(), 1);

    // The text view says the same for people.
    let out = state_command(&g, &["history"], &[]);
    let text = crate::common::ok(&out);
    assert!(text.contains("push 2  succeeded"), "{text}");
    assert!(
        text.contains(&format!("config image: `{old_config}` -> `{new_config}`")),
        "{text}"
    );

    // One push's change set: the updates with their diffs, no Secret value anywhere.
    let shown = state_json(&g, &["history", "show", "2"], &[]);
    assert_eq!(shown["push"]["id"], 2);
    let changes = shown["changes"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 4, "{shown:#}");
    for change in changes {
        assert_eq!(change["action"], "update");
        assert!(
            change["diff"]
                .as_str()
                .unwrap()
                .contains("+        - --verbose")
                || change["diff"].as_str().unwrap().contains("--verbose"),
            "{change:#}"
        );
    }
    let first = state_json(&g, &["history", "show", "1"], &[]);
    let kinds: Vec<&str> = first["changes"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 12, "{kinds:?}");
    assert!(kinds.contains(&"Secret"));
    let out = state_command(&g, &["history", "show", "1"], &[]);
    let text = crate::common::ok(&out);
    assert!(text.contains("+ create `east` v1 Secret"), "{text}");
    for shown in [first.to_string(), text] {
        assert!(!shown.contains(PLACEHOLDER), "a Secret value shown");
    }

    // An unknown push: a clear error, exit 1, nothing written.
    let before = block_on(g.every_value());
    let out = state_command(&g, &["history", "show", "99"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: push 99 is not in the history"),
        "{stderr}"
    );
    let out = state_command(&g, &["history"], &["--resource", "Service/x/y"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown kind `Service`"));
    assert_eq!(block_on(g.every_value()), before);

    // Every command that changes the state leaves an audit row: who, when, from where, what.
    let kubeconfig = g.kubeconfig.display().to_string();
    let run = |command: &[&str], args: &[&str]| {
        let out = state_command(&g, command, &[&["--user", "auditor"], args].concat());
        crate::common::assert_success(&out);
    };
    run(&["refresh"], &["--kubeconfig", &kubeconfig]);
    let out = g
        .run_command("import", &["--kind", "ConfigMap", "--user", "auditor"])
        .output()
        .unwrap();
    crate::common::assert_success(&out);
    run(
        &["forget"],
        &["--kind", "ConfigMap", "--name", "nothing-here"],
    );
    let production = g.production().display().to_string();
    run(
        &["pause", &deployment],
        &["--monitor-directory", &production, "--reason", "audit"],
    );
    run(&["resume", &deployment], &[]);
    run(&["unlock"], &[]);
    let audit = state_json(&g, &["history"], &["--audit"]);
    let rows = audit["history"].as_array().unwrap();
    let operations: Vec<&str> = rows
        .iter()
        .map(|r| r["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        [
            "unlock", "resume", "pause", "forget", "import", "refresh", "push", "push", "push"
        ],
        "{audit:#}"
    );
    let hostname = rows[8]["host"].as_str().unwrap().to_owned();
    for row in &rows[..6] {
        assert_eq!(row["user"], "auditor", "{row:#}");
        assert_eq!(row["host"], hostname.as_str(), "{row:#}");
        assert_eq!(row["outcome"], "succeeded", "{row:#}");
        assert!(row["started_ms"].as_i64().unwrap() > 1_700_000_000_000);
    }
    assert_eq!(
        rows[2]["what"],
        format!("paused `{deployment}`: audit"),
        "{audit:#}"
    );
    assert_eq!(rows[1]["what"], format!("resumed `{deployment}`"));
    let text = crate::common::ok(&state_command(&g, &["history"], &["--audit"]));
    assert_eq!(text.lines().count(), 9, "{text}");
    assert!(text.contains("`auditor` on"), "{text}");

    // status: nobody holds the lock, nothing is paused, the last push is 3.
    let status = state_json(&g, &["status"], &[]);
    assert_eq!(status["lock"], Value::Null, "{status:#}");
    assert_eq!(status["pauses"], serde_json::json!([]));
    assert_eq!(status["last_push"]["id"], 3);
    for c in CLUSTERS {
        assert!(block_on(g.namespace_exists(c)));
    }
}
