//! Rendering rules: labels, variables in args, FileVariable volumes, Services, Namespaces,
//! evaluation reuse, warnings and determinism.

use std::collections::BTreeMap;

use serde_json::json;
use sisyphus_core::app::{Application, Value};
use sisyphus_core::names::is_dns1123_label;
use sisyphus_core::production::{VariableBinding, VariableSource};
use sisyphus_render::WarningKind;

use crate::fixtures::*;

const DEPLOYMENT: &str = "`c1` apps/v1 Deployment echo/echo";

fn container(object: &serde_json::Value) -> &serde_json::Value {
    &object["spec"]["template"]["spec"]["containers"][0]
}

#[test]
fn labels_merge_starlark_then_yaml_and_force_name_and_managed_by() {
    let app = Application {
        labels: BTreeMap::from([
            ("team".into(), "starlark".into()),
            ("tier".into(), "web".into()),
            ("app.kubernetes.io/name".into(), "other".into()),
        ]),
        annotations: BTreeMap::from([("a".into(), "starlark".into())]),
        ..echo_prod()
    };
    let mut d = deployment("echo", &["c1"]);
    d.labels.insert("team".into(), "yaml".into());
    d.annotations.insert("a".into(), "yaml".into());
    d.annotations.insert("b".into(), "yaml".into());
    let rendered = run(&[d], &configs(resolved(Fixed::app(app)))).expect("renders");
    let object = object(&rendered, DEPLOYMENT);
    let labels = json!({
        "app.kubernetes.io/managed-by": "sisyphus",
        "app.kubernetes.io/name": "echo",
        "team": "yaml",
        "tier": "web",
    });
    assert_eq!(object["metadata"]["labels"], labels);
    assert_eq!(object["spec"]["template"]["metadata"]["labels"], labels);
    assert_eq!(
        object["spec"]["selector"],
        json!({"matchLabels": {"app.kubernetes.io/name": "echo"}})
    );
    assert_eq!(object["metadata"]["annotations"]["a"], "yaml");
    assert_eq!(object["metadata"]["annotations"]["b"], "yaml");
    assert!(
        object["metadata"]["annotations"]["sisyphus.dev/config-image"]
            .as_str()
            .is_some_and(|s| s.contains("@sha256:")),
    );
    // The config image is not on the pod template: re-tagging an identical config rolls nothing.
    assert_eq!(
        object["spec"]["template"]["metadata"]["annotations"],
        json!({"a": "yaml", "b": "yaml"})
    );
    let warnings: Vec<String> = rendered.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "echo/index.yaml:1:1: Deployment echo/echo: label `app.kubernetes.io/name: other` is ignored: Sisyphus sets `app.kubernetes.io/name: echo`"
        ]
    );
}

#[test]
fn string_variable_in_args_becomes_a_reference_to_an_env_var() {
    let app = Application {
        args: vec![
            lit("--token"),
            string_var("secret-token"),
            lit("--api-key"),
            string_var("api.key"),
            string_var("api.key"),
        ],
        ..echo_prod()
    };
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d)
        .config
        .variables
        .insert("api.key".into(), secret_ref("keys", "api", 20));
    let rendered = run(&[d], &configs(resolved(Fixed::app(app)))).expect("renders");
    let c = container(object(&rendered, DEPLOYMENT));
    // `secret-token` is already mapped to SECRET_TOKEN by the config: reuse it.
    assert_eq!(
        c["args"],
        json!([
            "--token",
            "$(SECRET_TOKEN)",
            "--api-key",
            "$(SISYPHUS_VAR_API_KEY)",
            "$(SISYPHUS_VAR_API_KEY)"
        ])
    );
    let env = c["env"].as_array().expect("env list");
    assert_eq!(
        env.last(),
        Some(
            &json!({"name": "SISYPHUS_VAR_API_KEY", "valueFrom": {"secretKeyRef": {"name": "keys", "key": "api"}}})
        )
    );
    assert_eq!(
        env.iter()
            .filter(|e| e["name"] == "SISYPHUS_VAR_API_KEY")
            .count(),
        1
    );
}

#[test]
fn literal_dollars_are_escaped_so_kubernetes_keeps_them() {
    let app = Application {
        args: vec![lit("$(HOME)"), lit("a$$b")],
        env: vec![env("PRICE", lit("$5"))],
        ..Application::default()
    };
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d).config.variables.clear();
    let rendered = run(&[d], &configs(resolved(Fixed::app(app)))).expect("renders");
    let c = container(object(&rendered, DEPLOYMENT));
    assert_eq!(c["args"], json!(["$$(HOME)", "a$$$$b"]));
    assert_eq!(c["env"], json!([{"name": "PRICE", "value": "$$5"}]));
}

#[test]
fn several_file_variables_in_one_directory_get_their_own_subpath_mounts() {
    let app = Application {
        env: vec![
            env("A", file_var("cert", "/etc/tls/tls.crt")),
            env("B", file_var("key", "/etc/tls/tls.key")),
            env("C", file_var("ca", "/etc/tls/ca.crt")),
        ],
        ..Application::default()
    };
    let mut d = deployment("echo", &["c1"]);
    let vars = &mut deployment_spec(&mut d).config.variables;
    vars.clear();
    vars.insert("cert".into(), secret_ref("tls", "tls.crt", 10));
    vars.insert("key".into(), secret_ref("tls", "tls.key", 11));
    vars.insert(
        "ca".into(),
        VariableBinding {
            source: VariableSource::ConfigMapKeyRef {
                name: "trust".into(),
                key: "ca.pem".into(),
            },
            location: loc("echo/index.yaml", 12),
        },
    );
    let rendered = run(&[d], &configs(resolved(Fixed::app(app)))).expect("renders");
    let object = object(&rendered, DEPLOYMENT);
    let mounts = container(object)["volumeMounts"]
        .as_array()
        .expect("mounts");
    let paths: Vec<&str> = mounts
        .iter()
        .filter_map(|m| m["mountPath"].as_str())
        .collect();
    // Sorted by variable name; each at its exact path, so nothing else in /etc/tls is hidden.
    assert_eq!(
        paths,
        ["/etc/tls/ca.crt", "/etc/tls/tls.crt", "/etc/tls/tls.key"]
    );
    let sub_paths: Vec<&str> = mounts
        .iter()
        .filter_map(|m| m["subPath"].as_str())
        .collect();
    assert_eq!(sub_paths, ["ca.crt", "tls.crt", "tls.key"]);
    let volumes = object["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("volumes");
    assert_eq!(volumes.len(), 3);
    assert_eq!(
        volumes[0]["configMap"],
        json!({"name": "trust", "items": [{"key": "ca.pem", "path": "ca.crt"}]})
    );
    assert_eq!(
        volumes[2]["secret"],
        json!({"secretName": "tls", "items": [{"key": "tls.key", "path": "tls.key"}]})
    );
    for (m, v) in mounts.iter().zip(volumes) {
        assert_eq!(m["name"], v["name"]);
        assert_eq!(m["readOnly"], true);
    }
}

#[test]
fn volume_names_from_awkward_variable_names_are_valid_and_distinct() {
    let app = Application {
        env: vec![
            env("A", file_var("my_file", "/etc/a/one")),
            env("B", file_var("A.B", "/etc/a/two")),
            env("C", file_var("my-file", "/etc/a/three")),
        ],
        ..Application::default()
    };
    let mut d = deployment("echo", &["c1"]);
    let vars = &mut deployment_spec(&mut d).config.variables;
    vars.clear();
    for (i, name) in ["my_file", "A.B", "my-file"].into_iter().enumerate() {
        vars.insert(name.into(), secret_ref("s", name, 10 + i as u32));
    }
    let rendered = run(&[d], &configs(resolved(Fixed::app(app)))).expect("renders");
    let volumes = object(&rendered, DEPLOYMENT)["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("volumes")
        .clone();
    let names: Vec<&str> = volumes.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names.len(), 3);
    for name in &names {
        assert!(is_dns1123_label(name), "{name}");
    }
    assert!(names[0].starts_with("file-a-b-"), "{names:?}");
    assert!(names[1].starts_with("file-my-file-"), "{names:?}");
    assert!(names[2].starts_with("file-my-file-"), "{names:?}");
    assert_ne!(names[1], names[2]);
}

#[test]
fn service_targets_the_app_port_by_name() {
    let mut app = echo_prod();
    app.ports.push(sisyphus_core::app::Port {
        protocol: sisyphus_core::app::Protocol::Udp,
        ..port("dns", 5353)
    });
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d).service_ports = BTreeMap::from([
        ("http".into(), service_port(Some("web"), 8080, 20)),
        ("dns".into(), service_port(None, 53, 19)),
    ]);
    let rendered = run(&[d], &configs(resolved(Fixed::app(app)))).expect("renders");
    let service = object(&rendered, "`c1` v1 Service echo/echo");
    assert_eq!(
        service["spec"],
        json!({
            "selector": {"app.kubernetes.io/name": "echo"},
            "ports": [
                {"name": "dns", "port": 53, "targetPort": "dns", "protocol": "UDP"},
                {"name": "web", "port": 8080, "targetPort": "http", "protocol": "TCP"},
            ],
        })
    );
    assert_eq!(
        service["metadata"]["labels"]["app.kubernetes.io/name"],
        "echo"
    );
    assert!(
        service["metadata"].get("annotations").is_none(),
        "no config-image annotation"
    );
}

#[test]
fn probes_use_the_port_name() {
    let app = Application {
        liveness: Some(probe("http")),
        ..echo_prod()
    };
    let rendered = run(
        &[deployment("echo", &["c1"])],
        &configs(resolved(Fixed::app(app))),
    )
    .expect("renders");
    assert_eq!(
        container(object(&rendered, DEPLOYMENT))["livenessProbe"],
        json!({"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"}, "periodSeconds": 5, "failureThreshold": 6})
    );
}

#[test]
fn namespaces_per_cluster_declared_ones_win_built_in_ones_are_left_alone() {
    let app = echo_prod();
    let mut other = deployment("web", &["c2"]);
    other.folder = "web".into();
    let global = kubernetes_yaml(
        "global",
        "namespaces",
        &["c1"],
        vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "echo", "annotations": {"owner": "team-a"}}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "kube-system"}}),
        ],
    );
    let resources = [deployment("echo", &["c1", "c2"]), other, global];
    let rendered = run(&resources, &configs(resolved(Fixed::app(app)))).expect("renders");
    let namespaces: Vec<String> = rendered
        .objects
        .keys()
        .filter(|k| k.kind == "Namespace")
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        namespaces,
        [
            "`c1` v1 Namespace echo",
            "`c2` v1 Namespace echo",
            "`c2` v1 Namespace web"
        ]
    );
    // c1 uses the declared Namespace, labelled; c2 gets a generated one.
    assert_eq!(
        object(&rendered, "`c1` v1 Namespace echo")["metadata"],
        json!({"name": "echo", "annotations": {"owner": "team-a"}, "labels": {"app.kubernetes.io/managed-by": "sisyphus"}})
    );
    assert_eq!(
        object(&rendered, "`c2` v1 Namespace web"),
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web", "labels": {"app.kubernetes.io/managed-by": "sisyphus"}}})
    );
    let generated = rendered
        .objects
        .iter()
        .find(|(k, _)| k.to_string() == "`c2` v1 Namespace web")
        .map(|(_, o)| o.resource.clone());
    assert_eq!(generated, Some(None));
}

#[test]
fn each_distinct_context_is_evaluated_once_and_sees_its_cluster() {
    let evaluator = Fixed::with(|ctx| {
        let mut app = echo_prod();
        app.args.push(lit(ctx.cluster.as_deref().unwrap_or("?")));
        app.args.push(lit(ctx.name.as_deref().unwrap_or("?")));
        Ok(app)
    });
    let mut d = deployment("echo", &["c1", "c2"]);
    deployment_spec(&mut d).service_ports =
        BTreeMap::from([("http".into(), service_port(None, 80, 19))]);
    let resources = [d, cronjob("echo-cleanup", &["c1"])];
    let rendered = run(&resources, &configs(resolved(evaluator.clone()))).expect("renders");
    // Deployment + Service share one evaluation per cluster.
    assert_eq!(evaluator.calls(), 3);
    assert_eq!(rendered.evaluations, 3);
    let args = &container(object(&rendered, "`c2` apps/v1 Deployment echo/echo"))["args"];
    assert_eq!(
        args,
        &json!(["--service_spec", "backend-prod.svc", "c2", "echo"])
    );
}

#[test]
fn unused_variables_are_warnings() {
    let mut d = deployment("echo", &["c1"]);
    deployment_spec(&mut d)
        .config
        .variables
        .insert("forgotten".into(), secret_ref("s", "k", 30));
    let rendered = run(&[d], &configs(resolved(Fixed::app(echo_prod())))).expect("renders");
    assert_eq!(rendered.warnings.len(), 1);
    assert_eq!(
        rendered.warnings[0].kind,
        WarningKind::UnusedVariable {
            name: "forgotten".into()
        }
    );
    assert_eq!(
        rendered.warnings[0].to_string(),
        "echo/index.yaml:30:1: Deployment echo/echo: variable `forgotten` is bound in `config.variables` but the config does not use it"
    );
}

#[test]
fn string_variable_bound_to_value_and_config_map() {
    let app = Application {
        env: vec![
            env("MODE", string_var("mode")),
            env("REGION", string_var("region")),
        ],
        ..Application::default()
    };
    let mut d = deployment("echo", &["c1"]);
    let vars = &mut deployment_spec(&mut d).config.variables;
    vars.clear();
    vars.insert(
        "mode".into(),
        VariableBinding {
            source: VariableSource::Value("fast".into()),
            location: loc("echo/index.yaml", 9),
        },
    );
    vars.insert(
        "region".into(),
        VariableBinding {
            source: VariableSource::ConfigMapKeyRef {
                name: "cluster".into(),
                key: "region".into(),
            },
            location: loc("echo/index.yaml", 10),
        },
    );
    let rendered = run(&[d], &configs(resolved(Fixed::app(app)))).expect("renders");
    assert_eq!(
        container(object(&rendered, DEPLOYMENT))["env"],
        json!([
            {"name": "MODE", "value": "fast"},
            {"name": "REGION", "valueFrom": {"configMapKeyRef": {"name": "cluster", "key": "region"}}},
        ])
    );
}

#[test]
fn rendering_is_deterministic_and_independent_of_resource_order() {
    let resources = vec![
        deployment("echo", &[CENTRAL, WEST]),
        cronjob("echo-cleanup", &[WEST, CENTRAL]),
        echo_secrets(&[WEST, CENTRAL]),
    ];
    let configs = configs(resolved(Fixed::app(echo_prod())));
    let first = run(&resources, &configs).expect("renders");
    let again = run(&resources, &configs).expect("renders");
    let reversed: Vec<_> = resources.iter().rev().cloned().collect();
    let reversed = run(&reversed, &configs).expect("renders");
    assert_eq!(pretty(&listing(&first)), pretty(&listing(&again)));
    assert_eq!(pretty(&listing(&first)), pretty(&listing(&reversed)));
    let clusters: Vec<&str> = first.objects.keys().map(|k| k.cluster.as_str()).collect();
    let mut sorted = clusters.clone();
    sorted.sort();
    assert_eq!(clusters, sorted);
}

#[test]
fn ports_in_args_render_as_numbers() {
    let app = Application {
        args: vec![
            lit("--port"),
            Value::Port {
                name: "http".into(),
            },
        ],
        ..echo_prod()
    };
    let rendered = run(
        &[deployment("echo", &["c1"])],
        &configs(resolved(Fixed::app(app))),
    )
    .expect("renders");
    assert_eq!(
        container(object(&rendered, DEPLOYMENT))["args"],
        json!(["--port", "80"])
    );
}

#[test]
fn objects_record_their_resource_config_and_secret_flag() {
    let resources = [deployment("echo", &["c1"]), echo_secrets(&["c1"])];
    let rendered = run(&resources, &configs(resolved(Fixed::app(echo_prod())))).expect("renders");
    let find = |key: &str| {
        rendered
            .objects
            .iter()
            .find(|(k, _)| k.to_string() == key)
            .map(|(_, o)| o.clone())
            .expect("object")
    };
    let deployment = find(DEPLOYMENT);
    assert_eq!(
        deployment.resource.map(|r| r.to_string()).as_deref(),
        Some("Deployment echo/echo")
    );
    let origin = deployment.config.expect("config origin");
    assert!(
        origin
            .config_image
            .starts_with("us-docker.pkg.dev/acme/containers/echo_config@sha256:c")
    );
    assert!(
        origin
            .binary_image
            .starts_with("us-docker.pkg.dev/acme/containers/echo@sha256:b")
    );
    assert!(!deployment.secret);
    let secret = find("`c1` v1 Secret echo/tokens");
    assert!(secret.secret);
    assert_eq!(secret.config, None);
    assert_eq!(
        secret.location.map(|l| l.to_string()).as_deref(),
        Some("echo/secrets.yaml:10:1")
    );
}
