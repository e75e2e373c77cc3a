//! Render errors: every problem is reported at once, each naming the resource, the cluster(s)
//! and the source location, with the cause underneath.

use std::collections::BTreeMap;

use serde_json::json;
use sisyphus_core::app::Application;
use sisyphus_core::production::{ServicePort, SourceLocation, VariableBinding, VariableSource};
use sisyphus_starlark::{Diagnostic, Error as StarlarkError};

use crate::fixtures::*;

fn errors_of(resources: &[sisyphus_core::production::Resource], app: Application) -> String {
    match run(resources, &configs(resolved(Fixed::app(app)))) {
        Ok(rendered) => panic!(
            "expected errors, rendered {} objects",
            rendered.objects.len()
        ),
        Err(errors) => report(&errors),
    }
}

#[test]
fn unbound_variables_name_the_variable_resource_cluster_and_file() {
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d).config.variables.clear();
    assert_eq!(
        errors_of(&[d], echo_prod()),
        "echo/index.yaml:1:1: failed to render Deployment echo/echo for cluster `c1`
  caused by: the config uses FileVariable `google-credentials`, but `config.variables` does not bind it (expected `google-credentials: {secretKeyRef: {name, key}}` or `configMapKeyRef`)
echo/index.yaml:1:1: failed to render Deployment echo/echo for cluster `c1`
  caused by: the config uses StringVariable `secret-token`, but `config.variables` does not bind it (expected `secret-token: {secretKeyRef: {name, key}}`, `configMapKeyRef` or `value`)
"
    );
}

#[test]
fn the_spec_example_quantities_are_rejected_with_a_suggestion() {
    let mut app = echo_prod();
    app.resources.requests.insert("memory".into(), "8Gb".into());
    app.resources.limits.insert("memory".into(), "16Gb".into());
    assert_eq!(
        errors_of(&[deployment("echo", &[CENTRAL])], app),
        "echo/index.yaml:1:1: failed to render Deployment echo/echo for cluster `gke_acme_us-central1_ap-us-central1`
  caused by: the config sets `resources.requests.memory` to an invalid quantity
  caused by: `8Gb` is not a valid Kubernetes quantity (did you mean `8Gi` or `8G`?)
echo/index.yaml:1:1: failed to render Deployment echo/echo for cluster `gke_acme_us-central1_ap-us-central1`
  caused by: the config sets `resources.limits.memory` to an invalid quantity
  caused by: `16Gb` is not a valid Kubernetes quantity (did you mean `16Gi` or `16G`?)
"
    );
}

#[test]
fn probes_on_a_cronjob_are_an_error() {
    let app = Application {
        liveness: Some(probe("http")),
        startup: Some(probe("http")),
        ..echo_prod()
    };
    assert_eq!(
        errors_of(&[cronjob("echo-cleanup", &["c1"])], app),
        "echo/index.yaml:27:1: failed to render CronJob echo/echo-cleanup for cluster `c1`
  caused by: a CronJob can't have liveness, readiness or startup probes, but the config sets `liveness`, `startup`
"
    );
}

/// Load refuses these; a plan built another way is still checked, at the policy's value.
#[test]
fn invalid_cronjob_policies_are_errors_at_their_values() {
    let mut c = cronjob("echo-cleanup", &["c1"]);
    let spec = cronjob_spec(&mut c);
    spec.restart_policy = Some("Always".into());
    spec.restart_policy_location = loc_at("echo/index.yaml", 37, 18);
    spec.concurrency_policy = Some("Sometimes".into());
    spec.concurrency_policy_location = loc_at("echo/index.yaml", 36, 22);
    assert_eq!(
        errors_of(&[c], echo_prod()),
        "echo/index.yaml:36:22: failed to render CronJob echo/echo-cleanup for cluster `c1`
  caused by: `config.concurrencyPolicy` is `Sometimes`, expected one of `Allow`, `Forbid`, `Replace`
echo/index.yaml:37:18: failed to render CronJob echo/echo-cleanup for cluster `c1`
  caused by: `config.restartPolicy` is `Always`, expected one of `OnFailure`, `Never`
"
    );
}

/// A plan written before field locations were recorded: errors point at the resource.
#[test]
fn a_field_without_a_location_falls_back_to_the_resource() {
    let mut c = cronjob("echo-cleanup", &["c1"]);
    let spec = cronjob_spec(&mut c);
    spec.restart_policy = Some("Always".into());
    spec.config.environment = "prdo".into();
    spec.config.environment_location = SourceLocation::default();
    let app = Application {
        environments: ["prod"].map(String::from).into(),
        ..echo_prod()
    };
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d).service_ports = BTreeMap::from([(
        "grpc".into(),
        ServicePort {
            name: None,
            number: 9000,
            location: SourceLocation::default(),
        },
    )]);
    assert_eq!(
        errors_of(&[d, c], app),
        "echo/index.yaml:1:1: failed to render Deployment echo/echo for cluster `c1`
  caused by: `config.service.ports` has `grpc`, but in environment `prod` the config declares only `http`
echo/index.yaml:27:1: failed to render CronJob echo/echo-cleanup for cluster `c1`
  caused by: environment `prdo` appears in none of the per-environment values of config image `us-docker.pkg.dev/acme/containers/echo_config@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc` (expected one of `prod`; check `config.env`, or add `prdo` to a per-environment value of the config)
"
    );
}

#[test]
fn a_service_port_the_config_does_not_declare_is_an_error_at_its_key() {
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d).service_ports =
        BTreeMap::from([("grpc".into(), service_port(None, 9000, 19))]);
    assert_eq!(
        errors_of(&[d], echo_prod()),
        "echo/index.yaml:19:7: failed to render Deployment echo/echo for cluster `c1`
  caused by: `config.service.ports` has `grpc`, but in environment `prod` the config declares only `http`
"
    );
}

/// The entry that repeats a Service port name is the one pointed at.
#[test]
fn a_repeated_service_port_name_is_an_error_at_the_second_entry() {
    let mut app = echo_prod();
    app.ports.push(port("admin", 9000));
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d).service_ports = BTreeMap::from([
        ("admin".into(), service_port(Some("web"), 9000, 19)),
        ("http".into(), service_port(Some("web"), 80, 21)),
    ]);
    assert_eq!(
        errors_of(&[d], app),
        "echo/index.yaml:21:7: failed to render Deployment echo/echo for cluster `c1`
  caused by: `config.service.ports` entries `admin` and `http` both name their Service port `web` (expected a distinct `name` per entry)
"
    );
}

/// Load caps replicas at `i32::MAX`; a plan built another way is checked per footprint entry.
#[test]
fn replicas_kubernetes_cannot_store_are_an_error_at_the_footprint_entry() {
    let mut d = deployment("echo", &[CENTRAL, WEST]);
    if let Some(entry) = deployment_spec(&mut d).footprint.get_mut(WEST) {
        entry.replicas = 1 << 31;
    }
    assert_eq!(
        errors_of(&[d], echo_prod()),
        "echo/index.yaml:24:3: failed to render Deployment echo/echo for cluster `gke_acme_us-west4_ap-us-west4`
  caused by: the footprint sets `replicas: 2147483648`, expected at most 2147483647
"
    );
}

#[test]
fn a_probe_on_an_undeclared_port_is_an_error() {
    let app = Application {
        readiness: Some(probe("admin")),
        ..echo_prod()
    };
    let text = errors_of(&[deployment("echo", &["c1"])], app);
    assert!(
        text.contains("the readiness probe uses port `admin`, but the config declares only `http`"),
        "{text}"
    );
}

#[test]
fn a_file_variable_bound_to_a_value_points_at_the_binding() {
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d).config.variables.insert(
        "google-credentials".into(),
        VariableBinding {
            source: VariableSource::Value("{}".into()),
            location: loc("echo/index.yaml", 9),
        },
    );
    assert_eq!(
        errors_of(&[d], echo_prod()),
        "echo/index.yaml:9:1: failed to render Deployment echo/echo for cluster `c1`
  caused by: FileVariable `google-credentials` is bound to a literal `value`, but a file must come from `secretKeyRef` or `configMapKeyRef`
"
    );
}

#[test]
fn two_file_variables_at_one_path_and_relative_paths_are_errors() {
    let app = Application {
        env: vec![
            env("A", file_var("google-credentials", "/etc/creds.json")),
            env("B", file_var("secret-token", "/etc/creds.json")),
            env("C", file_var("google-credentials", "relative/creds.json")),
        ],
        ..Application::default()
    };
    let text = errors_of(&[deployment("echo", &["c1"])], app);
    assert!(
        text.contains("FileVariables `google-credentials` and `secret-token` are both mounted at `/etc/creds.json`"),
        "{text}"
    );
    assert!(
        text.contains("FileVariable `google-credentials` has path `relative/creds.json`, expected an absolute file path"),
        "{text}"
    );
}

#[test]
fn an_unresolved_config_image_is_an_error() {
    let resources = [deployment("echo", &["c1"])];
    let errors = run(&resources, &BTreeMap::new()).expect_err("no configs");
    assert_eq!(
        report(&errors),
        "echo/index.yaml:7:10: failed to render Deployment echo/echo for cluster `c1`
  caused by: config image `us-docker.pkg.dev/acme/containers/echo_config:latest` was not resolved
"
    );
}

#[test]
fn evaluation_errors_carry_the_starlark_location() {
    let evaluator = Fixed::with(|_| {
        Err(StarlarkError::Config(Box::new(Diagnostic {
            file: "frontend.star".into(),
            line: 7,
            column: 13,
            message: "unknown environment key `prd`".into(),
            snippet: String::new(),
        })))
    });
    let resources = [deployment("echo", &["c1", "c2"])];
    let errors = run(&resources, &configs(resolved(evaluator))).expect_err("fails");
    assert_eq!(
        report(&errors),
        "echo/index.yaml:7:10: failed to render Deployment echo/echo for clusters `c1`, `c2`
  caused by: failed to evaluate config image `us-docker.pkg.dev/acme/containers/echo_config@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc` for environment `prod`
  caused by: frontend.star:7:13: unknown environment key `prd`
"
    );
}

#[test]
fn every_problem_of_every_resource_is_reported_grouped_by_cluster() {
    let mut d = deployment("echo", &["c1", "c2"]);
    deployment_spec(&mut d)
        .config
        .variables
        .remove("secret-token");
    let mut c = cronjob("echo-cleanup", &["c2"]);
    cronjob_spec(&mut c).config.variables.remove("secret-token");
    let app = Application {
        liveness: Some(probe("http")),
        ..echo_prod()
    };
    let errors = run(&[d, c], &configs(resolved(Fixed::app(app)))).expect_err("fails");
    let heads: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    assert_eq!(
        heads,
        [
            "echo/index.yaml:1:1: failed to render Deployment echo/echo for clusters `c1`, `c2`",
            "echo/index.yaml:27:1: failed to render CronJob echo/echo-cleanup for cluster `c2`",
            "echo/index.yaml:27:1: failed to render CronJob echo/echo-cleanup for cluster `c2`",
        ]
    );
    assert_eq!(errors.to_string(), "3 render errors");
}

#[test]
fn the_same_object_from_two_resources_is_an_error() {
    let raw = kubernetes_yaml(
        "echo",
        "raw",
        &["c1"],
        vec![
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "echo", "namespace": "echo"}}),
        ],
    );
    let errors = run(
        &[deployment("echo", &["c1"]), raw],
        &configs(resolved(Fixed::app(echo_prod()))),
    )
    .expect_err("duplicate");
    assert_eq!(
        report(&errors),
        "echo/secrets.yaml:1:1: KubernetesYaml echo/raw renders apps/v1 Deployment echo/echo in cluster `c1`, which Deployment echo/echo (echo/index.yaml:1:1) renders too (expected one declaration per object and cluster)\n"
    );
}

#[test]
fn a_workload_in_global_and_an_object_without_a_name_are_errors() {
    let mut d = deployment("echo", &["c1"]);
    d.folder = "global".into();
    let raw = kubernetes_yaml(
        "global",
        "raw",
        &["c1", "c2"],
        vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})],
    );
    let text = errors_of(&[d, raw], echo_prod());
    assert_eq!(
        text,
        "echo/index.yaml:1:1: failed to render Deployment global/echo for cluster `c1`
  caused by: a Deployment needs a namespace: declare it in a namespace folder, not in `global`
global/secrets.yaml:1:1: failed to render KubernetesYaml global/raw for clusters `c1`, `c2`
  caused by: the object has no string `metadata.name`
"
    );
}

#[test]
fn an_environment_the_config_never_mentions_is_an_error() {
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d).config.environment = "prdo".into();
    let app = Application {
        environments: ["dev", "prod", "test"].map(String::from).into(),
        ..echo_prod()
    };
    let errors = run(&[d], &configs(resolved(Fixed::app(app)))).expect_err("unknown env");
    assert_eq!(
        report(&errors),
        "echo/index.yaml:6:8: failed to render Deployment echo/echo for cluster `c1`
  caused by: environment `prdo` appears in none of the per-environment values of config image `us-docker.pkg.dev/acme/containers/echo_config@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc` (expected one of `dev`, `prod`, `test`; check `config.env`, or add `prdo` to a per-environment value of the config)
"
    );
}

#[test]
fn a_config_without_per_environment_values_takes_any_environment() {
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d).config.environment = "staging".into();
    let rendered = run(&[d], &configs(resolved(Fixed::app(echo_prod()))));
    assert!(rendered.is_ok());
}
