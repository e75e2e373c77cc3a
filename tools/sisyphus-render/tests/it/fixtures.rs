//! Builders for render inputs: resources as load would produce them, and resolved configs whose
//! "evaluation" returns a hand-built application (counting calls).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sisyphus_core::Digest;
use sisyphus_core::app::{
    Application, EnvVar, EvalContext, HttpGetProbe, Port, Protocol, Resources, Value,
};
use sisyphus_core::config_image::ConfigIndex;
use sisyphus_core::production::{
    AppConfig, CronJobSpec, DeploymentSpec, FootprintEntry, KubernetesObject, KubernetesYamlSpec,
    Resource, ResourceSpec, ServicePort, SourceLocation, VariableBinding, VariableSource,
};
use sisyphus_render::{Errors, Evaluate, RenderInput, Rendered, ResolvedConfig, render};

/// The spec's two clusters.
pub const CENTRAL: &str = "gke_acme_us-central1_ap-us-central1";
pub const WEST: &str = "gke_acme_us-west4_ap-us-west4";

/// The config image as the spec writes it.
pub const ECHO_CONFIG: &str = "us-docker.pkg.dev/acme/containers/echo_config:latest";

pub fn digest(byte: char) -> Digest {
    Digest::from_sha256_hex(&byte.to_string().repeat(64)).expect("valid digest")
}

pub fn loc(file: &str, line: u32) -> SourceLocation {
    loc_at(file, line, 1)
}

pub fn loc_at(file: &str, line: u32, column: u32) -> SourceLocation {
    SourceLocation {
        file: file.into(),
        line,
        column,
    }
}

/// A `config.service.ports` entry whose key is at `echo/index.yaml:<line>:7`.
pub fn service_port(name: Option<&str>, number: u16, line: u32) -> ServicePort {
    ServicePort {
        name: name.map(str::to_owned),
        number,
        location: loc_at("echo/index.yaml", line, 7),
    }
}

type EvalFn = dyn Fn(&EvalContext) -> Result<Application, sisyphus_starlark::Error> + Send + Sync;

/// An evaluator returning a fixed application (or the result of a function of the context).
pub struct Fixed {
    f: Box<EvalFn>,
    pub calls: AtomicUsize,
}

impl std::fmt::Debug for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fixed")
    }
}

impl Evaluate for Fixed {
    fn evaluate(&self, ctx: &EvalContext) -> Result<Application, sisyphus_starlark::Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        (self.f)(ctx)
    }
}

impl Fixed {
    pub fn app(app: Application) -> Arc<Fixed> {
        Self::with(move |_| Ok(app.clone()))
    }

    pub fn with(
        f: impl Fn(&EvalContext) -> Result<Application, sisyphus_starlark::Error>
        + Send
        + Sync
        + 'static,
    ) -> Arc<Fixed> {
        Arc::new(Fixed {
            f: Box::new(f),
            calls: AtomicUsize::new(0),
        })
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// A resolved config for `echo_config` whose binary is `.../echo@sha256:bbbb...`.
pub fn resolved(evaluator: Arc<dyn Evaluate>) -> ResolvedConfig {
    resolved_with(evaluator, 'c')
}

pub fn resolved_with(evaluator: Arc<dyn Evaluate>, config_digest: char) -> ResolvedConfig {
    let digest = digest(config_digest);
    ResolvedConfig {
        reference: format!("us-docker.pkg.dev/acme/containers/echo_config@{digest}"),
        digest,
        index: ConfigIndex {
            binary_digest: self::digest('b'),
            binary_repository: "us-docker.pkg.dev/acme/containers/echo".into(),
            config_entrypoint: "frontend.star".into(),
        },
        config: evaluator,
    }
}

pub fn configs(config: ResolvedConfig) -> BTreeMap<String, ResolvedConfig> {
    BTreeMap::from([(ECHO_CONFIG.to_owned(), config)])
}

pub fn run(
    resources: &[Resource],
    configs: &BTreeMap<String, ResolvedConfig>,
) -> Result<Rendered, Errors> {
    render(&RenderInput { resources, configs })
}

pub fn lit(s: &str) -> Value {
    Value::Literal { value: s.into() }
}

pub fn string_var(name: &str) -> Value {
    Value::StringVariable { name: name.into() }
}

pub fn file_var(name: &str, path: &str) -> Value {
    Value::FileVariable {
        name: name.into(),
        path: path.into(),
    }
}

pub fn env(name: &str, value: Value) -> EnvVar {
    EnvVar {
        name: name.into(),
        value,
    }
}

pub fn port(name: &str, number: u16) -> Port {
    Port {
        name: name.into(),
        number,
        protocol: Protocol::Tcp,
        assigned: false,
    }
}

/// `example/echo/frontend.star` from the spec, evaluated for `prod`, with the quantities
/// corrected to ones Kubernetes accepts (`8Gi`, `16Gi`).
pub fn echo_prod() -> Application {
    Application {
        args: vec![lit("--service_spec"), lit("backend-prod.svc")],
        env: vec![
            env("COLOR", lit("pink")),
            env("SECRET_TOKEN", string_var("secret-token")),
            env(
                "GOOGLE_APPLICATION_CREDENTIALS",
                file_var("google-credentials", "/etc/google/credentials.json"),
            ),
            env(
                "HTTP_PORT",
                Value::Port {
                    name: "http".into(),
                },
            ),
        ],
        ports: vec![port("http", 80)],
        resources: Resources {
            requests: BTreeMap::from([
                ("cpu".into(), "16".into()),
                ("memory".into(), "8Gi".into()),
            ]),
            limits: BTreeMap::from([
                ("cpu".into(), "32".into()),
                ("memory".into(), "16Gi".into()),
            ]),
        },
        ..Application::default()
    }
}

pub fn probe(port: &str) -> HttpGetProbe {
    HttpGetProbe {
        path: "/healthz".into(),
        port: port.into(),
        initial_delay_seconds: None,
        period_seconds: Some(5),
        timeout_seconds: None,
        success_threshold: None,
        failure_threshold: Some(6),
    }
}

pub fn secret_ref(name: &str, key: &str, line: u32) -> VariableBinding {
    VariableBinding {
        source: VariableSource::SecretKeyRef {
            name: name.into(),
            key: key.into(),
        },
        location: loc("echo/index.yaml", line),
    }
}

/// The spec's `config.variables` for echo.
pub fn echo_variables() -> BTreeMap<String, VariableBinding> {
    BTreeMap::from([
        (
            "google-credentials".into(),
            secret_ref("google", "google-application-credentials.json", 9),
        ),
        (
            "secret-token".into(),
            secret_ref("tokens", "secret-token", 13),
        ),
    ])
}

/// The config of a resource at `echo/index.yaml:<line>:1`, laid out like the spec's: `env` at
/// `<line + 5>:8`, `image` at `<line + 6>:10`.
fn app_config(line: u32) -> AppConfig {
    AppConfig {
        environment: "prod".into(),
        environment_location: loc_at("echo/index.yaml", line + 5, 8),
        image: ECHO_CONFIG.into(),
        image_location: loc_at("echo/index.yaml", line + 6, 10),
        variables: echo_variables(),
    }
}

/// The spec's Deployment `echo` in folder `echo`, with `replicas: 1` in each cluster (the
/// footprint entries at `echo/index.yaml:22:3`, `24:3`, ...).
pub fn deployment(name: &str, clusters: &[&str]) -> Resource {
    Resource {
        folder: "echo".into(),
        name: name.into(),
        location: loc("echo/index.yaml", 1),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        spec: ResourceSpec::Deployment(DeploymentSpec {
            config: app_config(1),
            service_ports: BTreeMap::new(),
            footprint: (22..)
                .step_by(2)
                .zip(clusters)
                .map(|(line, c)| {
                    let entry = FootprintEntry {
                        replicas: 1,
                        location: loc_at("echo/index.yaml", line, 3),
                    };
                    ((*c).to_owned(), entry)
                })
                .collect(),
        }),
    }
}

pub fn deployment_spec(r: &mut Resource) -> &mut DeploymentSpec {
    match &mut r.spec {
        ResourceSpec::Deployment(d) => d,
        _ => panic!("not a Deployment"),
    }
}

/// The spec's CronJob `echo-cleanup` (same config image), daily at 2 AM.
pub fn cronjob(name: &str, clusters: &[&str]) -> Resource {
    Resource {
        folder: "echo".into(),
        name: name.into(),
        location: loc("echo/index.yaml", 27),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        spec: ResourceSpec::CronJob(CronJobSpec {
            config: app_config(27),
            schedule: "0 2 * * *".into(),
            schedule_location: loc_at("echo/index.yaml", 35, 13),
            concurrency_policy: None,
            concurrency_policy_location: SourceLocation::default(),
            restart_policy: None,
            restart_policy_location: SourceLocation::default(),
            time_zone: None,
            suspend: None,
            successful_jobs_history_limit: None,
            failed_jobs_history_limit: None,
            backoff_limit: None,
            clusters: clusters.iter().map(|c| (*c).to_owned()).collect(),
        }),
    }
}

pub fn cronjob_spec(r: &mut Resource) -> &mut CronJobSpec {
    match &mut r.spec {
        ResourceSpec::CronJob(c) => c,
        _ => panic!("not a CronJob"),
    }
}

/// A KubernetesYaml resource in `folder` with `objects` (load fills `metadata.namespace` in
/// namespace folders; these builders expect the caller to have done so).
pub fn kubernetes_yaml(
    folder: &str,
    name: &str,
    clusters: &[&str],
    objects: Vec<serde_json::Value>,
) -> Resource {
    let file = format!("{folder}/index.yaml");
    Resource {
        folder: folder.into(),
        name: name.into(),
        location: loc(&file, 40),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        spec: ResourceSpec::KubernetesYaml(KubernetesYamlSpec {
            clusters: clusters.iter().map(|c| (*c).to_owned()).collect(),
            objects: objects
                .into_iter()
                .enumerate()
                .map(|(i, object)| KubernetesObject {
                    secret: object["kind"] == "Secret",
                    object,
                    location: loc(&format!("{folder}/secrets.yaml"), 1 + 9 * i as u32),
                })
                .collect(),
        }),
    }
}

/// The spec's `echo/secrets.yaml`, namespace filled in as load does.
pub fn echo_secrets(clusters: &[&str]) -> Resource {
    kubernetes_yaml(
        "echo",
        "secrets",
        clusters,
        vec![
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "google", "namespace": "echo"},
                "stringData": {"google-application-credentials.json": "replace-me"},
            }),
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "tokens", "namespace": "echo"},
                "stringData": {"secret-token": "replace-me"},
            }),
        ],
    )
}

/// Each error with its causes, one `  caused by:` line per source.
pub fn report(errors: &Errors) -> String {
    let mut out = String::new();
    for error in &errors.0 {
        out.push_str(&error.to_string());
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            out.push_str("\n  caused by: ");
            out.push_str(&cause.to_string());
            source = cause.source();
        }
        out.push('\n');
    }
    out
}

/// The rendered objects as a list of `{key, object}` for snapshots.
pub fn listing(rendered: &Rendered) -> serde_json::Value {
    rendered
        .objects
        .iter()
        .map(|(key, object)| serde_json::json!({"key": key.to_string(), "object": object.object}))
        .collect()
}

/// The single object with this key text (see [`sisyphus_render::ObjectKey`]'s Display).
pub fn object<'a>(rendered: &'a Rendered, key: &str) -> &'a serde_json::Value {
    let found = rendered.objects.iter().find(|(k, _)| k.to_string() == key);
    match found {
        Some((_, o)) => &o.object,
        None => panic!(
            "no object {key}; have: {:#?}",
            rendered
                .objects
                .keys()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        ),
    }
}

/// Pretty JSON text.
pub fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values serialize")
}
