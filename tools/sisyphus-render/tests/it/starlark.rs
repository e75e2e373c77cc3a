//! The same renders with real Starlark: the spec's example config loaded from disk with
//! `sisyphus_starlark::DirFiles` renders exactly the golden objects, and evaluation is shared.

use std::sync::Arc;

use sisyphus_starlark::{Config, DirFiles};

use crate::fixtures::*;

fn echo_config() -> Arc<Config> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/testdata/echo");
    Arc::new(Config::load(&DirFiles::new(root), "frontend.star").expect("example config loads"))
}

#[test]
fn the_spec_example_config_renders_the_golden_objects() {
    let resources = [
        deployment("echo", &[CENTRAL, WEST]),
        cronjob("echo-cleanup", &[CENTRAL, WEST]),
        echo_secrets(&[CENTRAL, WEST]),
    ];
    let from_starlark = run(&resources, &configs(resolved(echo_config()))).expect("renders");
    let from_fixture =
        run(&resources, &configs(resolved(Fixed::app(echo_prod())))).expect("renders");
    assert_eq!(from_starlark.evaluations, 4);
    assert_eq!(
        pretty(&listing(&from_starlark)),
        pretty(&listing(&from_fixture))
    );
}

#[test]
fn the_spec_example_dev_environment_renders_its_own_port_and_no_cpu_request() {
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d).config.environment = "dev".into();
    let rendered = run(&[d], &configs(resolved(echo_config()))).expect("renders");
    let c = &object(&rendered, "`c1` apps/v1 Deployment echo/echo")["spec"]["template"]["spec"]["containers"]
        [0];
    assert_eq!(c["ports"][0]["containerPort"], 8080);
    assert_eq!(c["args"][1], "backend-test.svc");
    assert_eq!(
        c["resources"],
        serde_json::json!({"limits": {"cpu": "32", "memory": "16Gi"}})
    );
}
