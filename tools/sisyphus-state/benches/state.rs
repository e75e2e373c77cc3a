//! Speed of the state database on each dialect, at the size of the benchmark production
//! folder (1,000 Deployments with a Service each over 10 namespaces, 2 clusters: 4,200
//! objects): record every object one by one (one committed transaction each, as apply does),
//! the same with 8 concurrent writers, then read the snapshot back. Then the history: 1,000
//! pushes of 6 changes each (3 Deployments in 2 clusters, each moving to a new config image),
//! listed with `Store::history` (the query `sisyphus history` runs).
//!
//! `cargo bench -p sisyphus-state --bench state` starts PostgreSQL and MariaDB (from
//! `sisyphus-test-support`) and prints two tables; it asserts nothing about time. Arguments
//! after `--`: dialects (`sqlite postgres mariadb`), `history` for the history only,
//! `keep=FILE` to keep the SQLite history database (to time `sisyphus history` on it).

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "benchmark")]

use std::time::{Duration, Instant};

use serde_json::json;
use sisyphus_core::change::Action;
use sisyphus_core::desired::{ConfigOrigin, ObjectKey, ResourceId};
use sisyphus_core::production::ResourceKind;
use sisyphus_core::state::{RecordedObject, intent_hash};
use sisyphus_state::{
    DEFAULT_LEASE, DatabaseUrl, HistoryFilter, Holder, Operation, Outcome, PushChange, PushInfo,
    Store,
};
use sisyphus_test_support::{MariaDb, Postgres};

const CLUSTERS: [&str; 2] = ["prod-eu", "prod-us"];
const NAMESPACES: usize = 10;
const DEPLOYMENTS: usize = 1_000;
const CONFIG_MAPS: usize = 90;
const SNAPSHOT_RUNS: usize = 7;
const WRITERS: usize = 8;

fn object(key: ObjectKey, applied: serde_json::Value, push_id: i64) -> RecordedObject {
    RecordedObject {
        applied: applied.to_string(),
        applied_hash: intent_hash(&applied),
        uid: Some(format!(
            "{:08x}-0000-4000-8000-{:012x}",
            key.name.len(),
            push_id
        )),
        resource_version: Some("123456".into()),
        config: None,
        resource: None,
        push_id,
        created: true,
        key,
    }
}

fn key(cluster: &str, api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> ObjectKey {
    let (group, version) = ObjectKey::split_api_version(api_version);
    ObjectKey {
        cluster: cluster.into(),
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        namespace: ns.map(Into::into),
        name: name.into(),
    }
}

/// 4,200 objects: per cluster 10 Namespaces, 1,000 Deployments, 1,000 Services, 90
/// ConfigMaps.
fn objects(push_id: i64) -> Vec<RecordedObject> {
    let mut all = Vec::new();
    for cluster in CLUSTERS {
        for n in 0..NAMESPACES {
            let ns = format!("team-{n}");
            all.push(object(
                key(cluster, "v1", "Namespace", None, &ns),
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns,
                    "labels": {"app.kubernetes.io/managed-by": "sisyphus"}}}),
                push_id,
            ));
        }
        for d in 0..DEPLOYMENTS {
            let ns = format!("team-{}", d % NAMESPACES);
            let name = format!("service-{d:04}");
            let config = format!("registry.example/configs/app-{}", d % 50);
            let image = format!(
                "registry.example/apps/app-{}@sha256:{:064x}",
                d % 50,
                d % 50
            );
            let labels =
                json!({"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "sisyphus"});
            let mut deployment = object(
                key(cluster, "apps/v1", "Deployment", Some(&ns), &name),
                json!({
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": name, "namespace": ns, "labels": labels,
                        "annotations": {"sisyphus.io/config-image": format!("{config}@sha256:{:064x}", d)}},
                    "spec": {"replicas": 2, "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                        "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                            "name": "app", "image": image,
                            "args": ["--port=8080", "--config=/config/app.json"],
                            "env": [{"name": "ENVIRONMENT", "value": "prod"}, {"name": "CLUSTER", "value": cluster}],
                            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}}
                        }]}}}
                }),
                push_id,
            );
            deployment.config = Some(ConfigOrigin {
                config_image: format!("{config}@sha256:{:064x}", d),
                binary_image: image,
            });
            deployment.resource = Some(ResourceId {
                kind: ResourceKind::Deployment,
                folder: ns.clone(),
                name: name.clone(),
            });
            let mut service = object(
                key(cluster, "v1", "Service", Some(&ns), &name),
                json!({"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": name, "namespace": ns, "labels": labels},
                    "spec": {"selector": {"app.kubernetes.io/name": name},
                        "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}),
                push_id,
            );
            service.config = deployment.config.clone();
            service.resource = deployment.resource.clone();
            all.push(deployment);
            all.push(service);
        }
        for c in 0..CONFIG_MAPS {
            let ns = format!("team-{}", c % NAMESPACES);
            all.push(object(
                key(cluster, "v1", "ConfigMap", Some(&ns), &format!("settings-{c}")),
                json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": format!("settings-{c}"), "namespace": ns},
                    "data": {"settings.json": format!("{{\"level\": {c}, \"features\": [\"a\", \"b\"]}}")}}),
                push_id,
            ));
        }
    }
    all
}

struct Figures {
    dialect: &'static str,
    records: Duration,
    concurrent: Duration,
    snapshot_median: Duration,
    snapshot_min: Duration,
    one_cluster: Duration,
    objects: usize,
}

async fn measure(dialect: &'static str, url: &str) -> Figures {
    let store = Store::open(&DatabaseUrl::parse(url).unwrap())
        .await
        .unwrap();
    let holder = Holder {
        user: "bench".into(),
        host: "bench-host".into(),
        pid: std::process::id(),
    };
    let lock = store.lock(&holder, DEFAULT_LEASE).await.unwrap();
    let info = PushInfo {
        operation: Operation::Push,
        user: holder.user.clone(),
        host: holder.host.clone(),
        inputs_hash: None,
    };
    let push = store.begin(&lock, &info).await.unwrap();
    let all = objects(push);

    let started = Instant::now();
    for object in &all {
        store.record(&lock, object).await.unwrap();
    }
    let records = started.elapsed();

    // Again (every row an update), as 8 writers at once.
    let lock = std::sync::Arc::new(lock);
    let started = Instant::now();
    let mut writers = Vec::new();
    for chunk in all.chunks(all.len().div_ceil(WRITERS)) {
        let (store, lock, chunk) = (store.clone(), lock.clone(), chunk.to_vec());
        writers.push(tokio::spawn(async move {
            for object in &chunk {
                store.record(&lock, object).await.unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let concurrent = started.elapsed();

    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..SNAPSHOT_RUNS {
        let started = Instant::now();
        let snapshot = store.snapshot(None).await.unwrap();
        times.push(started.elapsed());
        count = snapshot.objects.len();
    }
    times.sort();
    let one = std::collections::BTreeSet::from([CLUSTERS[0].to_owned()]);
    let started = Instant::now();
    let half = store.snapshot(Some(&one)).await.unwrap();
    let one_cluster = started.elapsed();
    assert_eq!(half.objects.len() * 2, count);
    std::sync::Arc::into_inner(lock)
        .unwrap()
        .release()
        .await
        .unwrap();
    store.close().await;
    Figures {
        dialect,
        records,
        concurrent,
        snapshot_median: times[times.len() / 2],
        snapshot_min: times[0],
        one_cluster,
        objects: count,
    }
}

const PUSHES: usize = 1_000;
const HISTORY_RUNS: usize = 7;

struct HistoryFigures {
    dialect: &'static str,
    write: Duration,
    all: (Duration, Duration),
    newest: Duration,
    one_resource: Duration,
    rows: usize,
}

/// 1,000 pushes, each recording 3 Deployments in 2 clusters with their change rows; then the
/// history of all of them (median and min of 7), the newest 20, and one resource's.
async fn measure_history(dialect: &'static str, url: &str) -> HistoryFigures {
    let store = Store::open(&DatabaseUrl::parse(url).unwrap())
        .await
        .unwrap();
    let holder = Holder {
        user: "bench".into(),
        host: "bench-host".into(),
        pid: std::process::id(),
    };
    let lock = store.lock(&holder, DEFAULT_LEASE).await.unwrap();
    let info = PushInfo {
        operation: Operation::Push,
        user: holder.user.clone(),
        host: holder.host.clone(),
        inputs_hash: Some(format!("{:064x}", 7)),
    };
    let template: Vec<RecordedObject> = objects(0)
        .into_iter()
        .filter(|o| o.key.kind == "Deployment")
        .collect();
    let started = Instant::now();
    let mut previous: Vec<Option<RecordedObject>> = vec![None; template.len()];
    for n in 0..PUSHES {
        let push = store.begin(&lock, &info).await.unwrap();
        // Three resources per push, in both clusters (the template alternates clusters per
        // 1,000 objects).
        for r in 0..3 {
            for c in 0..CLUSTERS.len() {
                let i = c * DEPLOYMENTS + (n * 3 + r) % DEPLOYMENTS;
                let mut object = template[i].clone();
                object.push_id = push;
                if let Some(config) = object.config.as_mut() {
                    config.config_image = format!("registry.example/configs/app@sha256:{n:064x}");
                }
                let before = previous[i].take();
                let change = PushChange {
                    push_id: push,
                    key: object.key.clone(),
                    action: if before.is_some() {
                        Action::Update
                    } else {
                        Action::Create
                    },
                    resource: object.resource.clone(),
                    before: before.as_ref().and_then(|b| b.config.clone()),
                    after: object.config.clone(),
                    before_intent: before.as_ref().map(|b| b.applied.clone()),
                    after_intent: Some(object.applied.clone()),
                    reasons: vec!["config image moved".into()],
                };
                store.record_change(&lock, &object, &change).await.unwrap();
                previous[i] = Some(object);
            }
        }
        let counts = [(Action::Update, 6)].into_iter().collect();
        store
            .finish(&lock, push, Outcome::Succeeded, &counts, None)
            .await
            .unwrap();
    }
    let write = started.elapsed();
    let filter = |limit: usize| HistoryFilter {
        audit: false,
        resource: None,
        cluster: None,
        limit,
    };
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..HISTORY_RUNS {
        let started = Instant::now();
        let history = store.history(&filter(PUSHES)).await.unwrap();
        times.push(started.elapsed());
        rows = history.len();
        assert!(history.iter().all(|e| e.moves.len() == 3));
    }
    times.sort();
    let started = Instant::now();
    assert_eq!(store.history(&filter(20)).await.unwrap().len(), 20);
    let newest = started.elapsed();
    let started = Instant::now();
    let one = store
        .history(&HistoryFilter {
            resource: template[0].resource.clone(),
            ..filter(PUSHES)
        })
        .await
        .unwrap();
    let one_resource = started.elapsed();
    assert!(!one.is_empty());
    lock.release().await.unwrap();
    store.close().await;
    HistoryFigures {
        dialect,
        write,
        all: (times[times.len() / 2], times[0]),
        newest,
        one_resource,
        rows,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    // `cargo bench -p sisyphus-state --bench state -- sqlite postgres mariadb` picks dialects.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    // `-- history` measures only the history.
    let objects_too = !only.iter().any(|o| o == "history");
    let wanted = |name: &str| {
        let dialects: Vec<&String> = only
            .iter()
            .filter(|o| *o != "history" && !o.starts_with("keep="))
            .collect();
        dialects.is_empty() || dialects.iter().any(|o| *o == name)
    };
    let mut figures = Vec::new();
    let mut history = Vec::new();
    if wanted("sqlite") {
        let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
        if objects_too {
            figures.push(measure("SQLite (file, WAL)", &sqlite).await);
        }
        // `-- keep=FILE` keeps the SQLite history database, to time `sisyphus history` on it.
        let file = only
            .iter()
            .find_map(|o| o.strip_prefix("keep="))
            .map_or_else(|| dir.path().join("history.db"), std::path::PathBuf::from);
        let sqlite = format!("sqlite://{}", file.display());
        history.push(measure_history("SQLite (file, WAL)", &sqlite).await);
    }
    if wanted("postgres") {
        let postgres = Postgres::start();
        if objects_too {
            figures.push(measure("PostgreSQL", &postgres.new_database("bench")).await);
        }
        history.push(measure_history("PostgreSQL", &postgres.new_database("history")).await);
    }
    if wanted("mariadb") {
        let mariadb = MariaDb::start();
        if objects_too {
            figures.push(measure("MariaDB", &mariadb.new_database("bench")).await);
        }
        history.push(measure_history("MariaDB", &mariadb.new_database("history")).await);
    }
    println!(
        "| dialect | writing {PUSHES} pushes × 6 changes | `history` of {PUSHES} pushes (median of {HISTORY_RUNS}, min) | newest 20 | one resource's |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for h in &history {
        println!(
            "| {} | {} | {}, {} ({} rows) | {} | {} |",
            h.dialect,
            ms(h.write),
            ms(h.all.0),
            ms(h.all.1),
            h.rows,
            ms(h.newest),
            ms(h.one_resource)
        );
    }
    if figures.is_empty() {
        return;
    }
    println!(
        "| dialect | objects | {} `record`s, one by one | the same, {WRITERS} writers | `snapshot` (median of {SNAPSHOT_RUNS}, min) | `snapshot` of 1 of 2 clusters |",
        figures[0].objects
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for f in &figures {
        println!(
            "| {} | {} | {} ({:.0} µs each) | {} | {}, {} | {} |",
            f.dialect,
            f.objects,
            ms(f.records),
            f.records.as_secs_f64() * 1e6 / f.objects as f64,
            ms(f.concurrent),
            ms(f.snapshot_median),
            ms(f.snapshot_min),
            ms(f.one_cluster),
        );
    }
}
