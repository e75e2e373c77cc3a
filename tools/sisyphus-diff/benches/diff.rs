//! Diff N objects (Deployments, each with a Service, over 10 namespaces and 2 clusters, plus the
//! namespaces) and print wall times. Not a timed test: run with
//! `cargo bench -p sisyphus-diff` and compare by eye. Goal: a no-op over the 4,200
//! objects in a few milliseconds (it hashes each desired object once and parses nothing).
//!
//! Cases: a no-op (everything recorded as desired), a first push (nothing recorded, no live
//! objects), a retag of every Deployment (the config image moved: the recorded objects are
//! parsed and checked for immutable fields), and `live_scopes` on the no-op.

#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;
use sisyphus_core::change::Action;
use sisyphus_core::desired::DesiredObjects;
use sisyphus_core::labels::CONFIG_IMAGE_ANNOTATION;
use sisyphus_core::live::LiveObjects;
use sisyphus_core::state::StateSnapshot;
use sisyphus_diff::testing::{deployment, desired, namespace, origin, service, state};
use sisyphus_diff::{DiffInput, diff, live_scopes};

const CLUSTERS: [&str; 2] = ["prod", "staging"];
const NAMESPACES: usize = 10;
const CONFIGS: usize = 50;
const RUNS: usize = 15;

fn config_image(i: usize, generation: usize) -> String {
    format!(
        "registry.example/acme/app-{}_config@sha256:{:064x}",
        i % CONFIGS,
        generation * 1000 + i % CONFIGS
    )
}

fn binary_image(i: usize) -> String {
    format!(
        "registry.example/acme/app-{}@sha256:{:064x}",
        i % CONFIGS,
        i % CONFIGS
    )
}

fn app(i: usize, generation: usize) -> Value {
    let ns = format!("ns-{}", i % NAMESPACES);
    let mut object = deployment(&ns, &format!("app-{i}"), &binary_image(i));
    object["metadata"]["annotations"] =
        serde_json::json!({CONFIG_IMAGE_ANNOTATION: config_image(i, generation)});
    object
}

/// About `n` objects: `n / 4` Deployments with a Service each, in both clusters, plus the
/// namespaces.
fn objects(n: usize, generation: usize) -> DesiredObjects {
    let mut built = desired();
    for cluster in CLUSTERS {
        for ns in 0..NAMESPACES {
            built = built.object(cluster, namespace(&format!("ns-{ns}")));
        }
        for i in 0..n / 4 {
            let config = origin(&config_image(i, generation), &binary_image(i));
            built = built
                .configured(cluster, app(i, generation), config)
                .object(
                    cluster,
                    service(&format!("ns-{}", i % NAMESPACES), &format!("app-{i}")),
                );
        }
    }
    built.build()
}

fn time(mut run: impl FnMut() -> Duration) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run()).collect();
    times.sort();
    (times[0], times[RUNS / 2])
}

fn diff_time(
    desired: &DesiredObjects,
    state: &StateSnapshot,
    clusters: &BTreeSet<String>,
    expect: Action,
) -> (Duration, Duration) {
    let live = LiveObjects::new();
    time(|| {
        let input = DiffInput {
            desired: desired.clone(),
            state,
            live: &live,
            clusters,
        };
        let start = Instant::now();
        let set = diff(input);
        let took = start.elapsed();
        assert!(set.changes.iter().any(|c| c.action == expect));
        drop(set);
        took
    })
}

fn ms(d: Duration) -> String {
    format!("{:8.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let clusters: BTreeSet<String> = CLUSTERS.iter().map(|c| (*c).to_owned()).collect();
    println!(
        "{:>8} {:>8}  {:>24}  {:>24}  {:>24}  {:>24}",
        "N", "objects", "no-op diff (min/median)", "first push", "retag all", "live_scopes no-op"
    );
    for n in [1_000, 4_200, 10_000] {
        let wanted = objects(n, 1);
        let recorded = state().all(&wanted).build();
        let empty = StateSnapshot::default();
        let retagged = objects(n, 2);

        let noop = diff_time(&wanted, &recorded, &clusters, Action::Unchanged);
        let first = diff_time(&wanted, &empty, &clusters, Action::Create);
        let retag = diff_time(&retagged, &recorded, &clusters, Action::Update);
        let scopes = time(|| {
            let start = Instant::now();
            let scopes = live_scopes(&wanted, &recorded);
            let took = start.elapsed();
            assert!(scopes.is_empty());
            took
        });
        let pair = |(min, median): (Duration, Duration)| format!("{} {}", ms(min), ms(median));
        println!(
            "{n:>8} {:>8}  {:>24}  {:>24}  {:>24}  {:>24}",
            wanted.len(),
            pair(noop),
            pair(first),
            pair(retag),
            pair(scopes)
        );
    }
}
