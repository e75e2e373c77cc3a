//! `cargo test -p sisyphus-cluster --test it figures -- --ignored --nocapture` prints the
//! figures quoted in the crate's README; nothing here is a timed assertion.

use std::time::Instant;

use futures::{StreamExt as _, TryStreamExt as _};
use serde_json::json;
use sisyphus_cluster::{Cluster, ListScope};

use crate::common::{config_map, connect, namespace};

const OBJECTS: usize = 1000;

async fn apply_all(cluster: &Cluster, ns: &str, concurrency: usize) -> f64 {
    let objects: Vec<_> = (0..OBJECTS)
        .map(|i| config_map(ns, &format!("cm-{i:04}"), json!({"index": i.to_string()})))
        .collect();
    let started = Instant::now();
    futures::stream::iter(objects.iter())
        .map(|object| cluster.apply(object, false))
        .buffer_unordered(concurrency)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    started.elapsed().as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "figures, not a test: run with --ignored --nocapture"]
async fn figures() {
    let cluster = connect().await;
    let started = Instant::now();
    cluster.refresh_discovery().await.unwrap();
    eprintln!(
        "discovery: {} requests, {:.1} ms",
        cluster.requests().reads,
        started.elapsed().as_secs_f64() * 1000.0
    );

    let serial = namespace("figures-serial").await;
    let parallel = namespace("figures-parallel").await;
    let one = apply_all(&cluster, &serial, 1).await;
    let sixteen = apply_all(&cluster, &parallel, 16).await;
    eprintln!(
        "SSA of {OBJECTS} new ConfigMaps: concurrency 1 {one:.2} s, concurrency 16 {sixteen:.2} s"
    );
    let one = apply_all(&cluster, &serial, 1).await;
    let sixteen = apply_all(&cluster, &parallel, 16).await;
    eprintln!(
        "SSA of {OBJECTS} unchanged ConfigMaps: concurrency 1 {one:.2} s, concurrency 16 {sixteen:.2} s"
    );

    let scope = ListScope {
        cluster: cluster.name().to_owned(),
        group: String::new(),
        version: "v1".to_owned(),
        kind: "ConfigMap".to_owned(),
        namespace: Some(parallel.clone()),
    };
    for _ in 0..2 {
        let before = cluster.requests();
        let started = Instant::now();
        let listed = cluster.list(&scope).await.unwrap();
        eprintln!(
            "list of {} ConfigMaps (metadata): {:.1} ms, {} requests",
            listed.len(),
            started.elapsed().as_secs_f64() * 1000.0,
            cluster.requests().since(before).reads
        );
    }
}
