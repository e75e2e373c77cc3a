//! Render 10,000 Deployments (one cluster each, 20 namespaces) from 50 distinct Starlark
//! configs and print the wall time and the number of evaluations. Not a timed test: run with
//! `cargo bench -p sisyphus-render` and compare by eye (goal: < 1 s in release).
//!
//! Also renders the same resources with a fixed (pre-evaluated) application to show how much of
//! the time is Starlark evaluation and how much is building objects.

#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use sisyphus_core::Digest;
use sisyphus_core::app::{Application, EvalContext};
use sisyphus_core::config_image::ConfigIndex;
use sisyphus_core::production::{
    AppConfig, DeploymentSpec, FootprintEntry, Resource, ResourceSpec, ServicePort, SourceLocation,
    VariableBinding, VariableSource,
};
use sisyphus_render::{Evaluate, RenderInput, ResolvedConfig, render};
use sisyphus_starlark::{Config, MemoryFiles};

const CONFIGS: usize = 50;
const DEPLOYMENTS: usize = 10_000;
const NAMESPACES: usize = 20;

fn star(i: usize) -> String {
    format!(
        r#"
def main(ctx):
    return Application(
        args = ["--service_spec", {{"prod": "backend-prod-{i}.svc", "dev": "localhost:9000"}}, "--name", ctx.name()],
        env = {{
            "COLOR": "pink",
            "SECRET_TOKEN": StringVariable("secret-token"),
            "GOOGLE_APPLICATION_CREDENTIALS": FileVariable(name = "google-credentials", path = "/etc/google/credentials.json"),
            "HTTP_PORT": Port(name = "http", number = 80),
            "ADMIN_PORT": Port(name = "admin"),
        }},
        resources = Resources(
            requests = {{"cpu": {{"prod": 2, "dev": None}}, "memory": "1Gi"}},
            limits = {{"cpu": 4, "memory": "2Gi"}},
        ),
        labels = {{"team": "team-{t}"}},
        liveness = HttpGetProbe(path = "/healthz", port = "admin", period = 5),
    )
"#,
        t = i % 7
    )
}

fn digest(i: usize) -> Digest {
    Digest::from_sha256_hex(&format!("{i:064x}")).unwrap()
}

fn binding(name: &str, key: &str) -> VariableBinding {
    VariableBinding {
        source: VariableSource::SecretKeyRef {
            name: name.into(),
            key: key.into(),
        },
        location: SourceLocation::default(),
    }
}

fn resources() -> Vec<Resource> {
    (0..DEPLOYMENTS)
        .map(|i| Resource {
            folder: format!("ns-{}", i % NAMESPACES),
            name: format!("app-{i}"),
            location: SourceLocation {
                file: format!("ns-{}/index.yaml", i % NAMESPACES),
                line: 1 + i as u32,
                column: 1,
            },
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            spec: ResourceSpec::Deployment(DeploymentSpec {
                config: AppConfig {
                    environment: "prod".into(),
                    environment_location: SourceLocation::default(),
                    image: format!("registry.example/app-{}_config:latest", i % CONFIGS),
                    image_location: SourceLocation::default(),
                    variables: BTreeMap::from([
                        ("secret-token".into(), binding("tokens", "secret-token")),
                        ("google-credentials".into(), binding("google", "creds.json")),
                    ]),
                },
                service_ports: BTreeMap::from([(
                    "http".into(),
                    ServicePort {
                        name: None,
                        number: 80,
                        location: SourceLocation::default(),
                    },
                )]),
                footprint: BTreeMap::from([(
                    "cluster-a".into(),
                    FootprintEntry {
                        replicas: 2,
                        location: SourceLocation::default(),
                    },
                )]),
            }),
        })
        .collect()
}

fn resolved(i: usize, config: Arc<dyn Evaluate>) -> ResolvedConfig {
    ResolvedConfig {
        reference: format!("registry.example/app-{i}_config@{}", digest(i)),
        digest: digest(i),
        index: ConfigIndex {
            binary_digest: digest(1000 + i),
            binary_repository: format!("registry.example/app-{i}"),
            config_entrypoint: "main.star".into(),
        },
        config,
    }
}

#[derive(Debug)]
struct Fixed(Application);

impl Evaluate for Fixed {
    fn evaluate(&self, _: &EvalContext) -> Result<Application, sisyphus_starlark::Error> {
        Ok(self.0.clone())
    }
}

fn main() {
    let resources = resources();
    let load_start = Instant::now();
    let configs: BTreeMap<String, ResolvedConfig> = (0..CONFIGS)
        .map(|i| {
            let files = MemoryFiles(BTreeMap::from([("main.star".to_owned(), star(i))]));
            let config = Config::load(&files, "main.star").unwrap();
            (
                format!("registry.example/app-{i}_config:latest"),
                resolved(i, Arc::new(config)),
            )
        })
        .collect();
    let load = load_start.elapsed();

    for round in 1..=3 {
        let start = Instant::now();
        let rendered = render(&RenderInput {
            resources: &resources,
            configs: &configs,
        })
        .unwrap();
        let took = start.elapsed();
        println!(
            "starlark round {round}: {DEPLOYMENTS} Deployments from {CONFIGS} configs -> {} objects, {} evaluations, {} warnings in {:.0} ms (config load {:.0} ms)",
            rendered.objects.len(),
            rendered.evaluations,
            rendered.warnings.len(),
            took.as_secs_f64() * 1000.0,
            load.as_secs_f64() * 1000.0,
        );
    }

    // Build-only baseline: the same resources with pre-evaluated applications.
    let context = EvalContext {
        name: Some("app-0".into()),
        namespace: Some("ns-0".into()),
        cluster: Some("cluster-a".into()),
        environment: "prod".into(),
    };
    let fixed: BTreeMap<String, ResolvedConfig> = configs
        .iter()
        .map(|(image, r)| {
            let app = r.config.evaluate(&context).unwrap();
            let evaluator: Arc<dyn Evaluate> = Arc::new(Fixed(app));
            (
                image.clone(),
                ResolvedConfig {
                    config: evaluator,
                    ..r.clone()
                },
            )
        })
        .collect();
    let start = Instant::now();
    let rendered = render(&RenderInput {
        resources: &resources,
        configs: &fixed,
    })
    .unwrap();
    println!(
        "fixed applications: {} objects, {} evaluations in {:.0} ms",
        rendered.objects.len(),
        rendered.evaluations,
        start.elapsed().as_secs_f64() * 1000.0,
    );
}
