//! The application model: what a config's `main(ctx)` returns, resolved for one execution
//! environment.
//!
//! The Starlark evaluator (`sisyphus-starlark`) produces an [`Application`]; local runs
//! (`sisyphus-local`) and rendering (`sisyphus-render`) consume it. Everything here is plain data
//! and serializes to JSON for tests and `--print`/`--json` output.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Where a config is evaluated: what `ctx.name()`, `ctx.namespace()`, `ctx.cluster()` and
/// `ctx.environment()` return. `None` means unknown (e.g. a local run without `--cluster`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EvalContext {
    /// The resource name (`metadata.name` of the Sisyphus Deployment or CronJob).
    pub name: Option<String>,
    /// The namespace (the production folder's name).
    pub namespace: Option<String>,
    /// The cluster: a kubeconfig context name.
    pub cluster: Option<String>,
    /// The execution environment (`prod`, `test`, `dev`, ...) that picks per-environment values.
    pub environment: String,
}

/// An application resolved for one execution environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Command-line arguments, in order. Arguments whose value is not set in this environment are
    /// left out.
    pub args: Vec<Value>,
    /// Environment variables, in declaration order. Variables not set in this environment are
    /// left out.
    pub env: Vec<EnvVar>,
    /// Every port active in this environment (used anywhere in args, env, resources or probes),
    /// sorted by name, with its number decided.
    pub ports: Vec<Port>,
    /// Resource requests and limits.
    pub resources: Resources,
    /// Labels for the rendered objects and pod template.
    pub labels: BTreeMap<String, String>,
    /// Annotations for the rendered objects and pod template.
    pub annotations: BTreeMap<String, String>,
    /// Liveness probe.
    pub liveness: Option<HttpGetProbe>,
    /// Readiness probe.
    pub readiness: Option<HttpGetProbe>,
    /// Startup probe.
    pub startup: Option<HttpGetProbe>,
    /// Every environment name that the config's per-environment dicts mention, in any field and
    /// branch; empty when the config has no per-environment values. A cluster-bound environment
    /// outside this set is almost surely a typo (see `sisyphus-render`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub environments: BTreeSet<String>,
}

/// One environment variable of the application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    /// The variable name (a valid Kubernetes env var name).
    pub name: String,
    /// Its value.
    pub value: Value,
}

/// A value in `args` or `env`: a literal, or a reference resolved where the app runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// A literal string (Starlark ints, floats and bools are converted to their text form).
    Literal {
        /// The text.
        value: String,
    },
    /// `StringVariable(name)`: a secret string bound per resource (`variables` in Sisyphus YAML)
    /// or read from the host environment in local runs.
    StringVariable {
        /// The variable name, e.g. `secret-token`.
        name: String,
    },
    /// `FileVariable(name=, path=)`: a file mounted at `path`; the value is the path.
    FileVariable {
        /// The variable name, e.g. `google-credentials`.
        name: String,
        /// Absolute path where the file appears inside the container.
        path: String,
    },
    /// `Port(name=...)`: the value is the port's number (see [`Application::ports`]).
    Port {
        /// The port name.
        name: String,
    },
}

/// A declared port with its decided number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Port {
    /// The port name (IANA_SVC_NAME: at most 15 chars, lowercase alphanumerics and `-`).
    pub name: String,
    /// The port number, 1–65535.
    pub number: u16,
    /// The protocol.
    pub protocol: Protocol,
    /// `true` when the config left the number out and Sisyphus assigned it.
    pub assigned: bool,
}

/// A port protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Protocol {
    /// TCP (the default).
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// SCTP.
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    /// The Kubernetes spelling: `TCP`, `UDP` or `SCTP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// Resource requests and limits, by resource name (`cpu`, `memory`, ...). Values are kept as
/// written (`16`, `8Gi`); [`crate::quantity::check`] validates them where they reach a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    /// Requests.
    pub requests: BTreeMap<String, String>,
    /// Limits.
    pub limits: BTreeMap<String, String>,
}

/// `HttpGetProbe(...)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpGetProbe {
    /// The HTTP path.
    pub path: String,
    /// The name of a port the application declares.
    pub port: String,
    /// `initialDelaySeconds`.
    pub initial_delay_seconds: Option<i32>,
    /// `periodSeconds`.
    pub period_seconds: Option<i32>,
    /// `timeoutSeconds`.
    pub timeout_seconds: Option<i32>,
    /// `successThreshold`.
    pub success_threshold: Option<i32>,
    /// `failureThreshold`.
    pub failure_threshold: Option<i32>,
}

/// A variable the application needs bound (from `StringVariable` or `FileVariable`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Variable {
    /// A string variable.
    String {
        /// The variable name.
        name: String,
    },
    /// A file variable mounted at `path`.
    File {
        /// The variable name.
        name: String,
        /// Absolute path inside the container.
        path: String,
    },
}

impl Variable {
    /// The variable's name.
    pub fn name(&self) -> &str {
        match self {
            Variable::String { name } | Variable::File { name, .. } => name,
        }
    }
}

impl Application {
    /// Every variable used by args and env, deduplicated, sorted by name then kind.
    pub fn variables(&self) -> Vec<Variable> {
        let mut out: Vec<Variable> = self
            .args
            .iter()
            .chain(self.env.iter().map(|e| &e.value))
            .filter_map(|v| match v {
                Value::StringVariable { name } => Some(Variable::String { name: name.clone() }),
                Value::FileVariable { name, path } => Some(Variable::File {
                    name: name.clone(),
                    path: path.clone(),
                }),
                Value::Literal { .. } | Value::Port { .. } => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The port with this name, if the application declares it in this environment.
    pub fn port(&self, name: &str) -> Option<&Port> {
        self.ports.iter().find(|p| p.name == name)
    }
}
