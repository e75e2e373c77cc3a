//! Golden renders of the product spec's example production folder: Deployment `echo`, CronJob
//! `echo-cleanup` with the same config, and the KubernetesYaml `secrets`, for one and two
//! clusters. Snapshots are reviewed by hand. (JSON text, not insta's YAML: starlark turns on
//! serde_json's `arbitrary_precision`, which insta's serializer shows as a private struct.)

use crate::fixtures::*;

fn spec_example(clusters: &[&str]) -> Vec<sisyphus_core::production::Resource> {
    vec![
        deployment("echo", clusters),
        cronjob("echo-cleanup", clusters),
        echo_secrets(clusters),
    ]
}

#[test]
fn spec_example_one_cluster() {
    let configs = configs(resolved(Fixed::app(echo_prod())));
    let rendered = run(&spec_example(&[CENTRAL]), &configs).expect("renders");
    assert_eq!(rendered.warnings, []);
    assert_eq!(
        rendered.evaluations, 2,
        "echo and echo-cleanup in one cluster"
    );
    insta::assert_snapshot!(pretty(&listing(&rendered)));
}

#[test]
fn spec_example_two_clusters() {
    let configs = configs(resolved(Fixed::app(echo_prod())));
    let rendered = run(&spec_example(&[CENTRAL, WEST]), &configs).expect("renders");
    assert_eq!(rendered.evaluations, 4);
    insta::assert_snapshot!(pretty(&listing(&rendered)));
}
