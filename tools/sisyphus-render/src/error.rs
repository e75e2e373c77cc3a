//! Render errors and warnings: every problem names the resource, the cluster(s) and the source
//! location; [`Errors`] carries all of them at once.

use std::fmt;
use std::sync::Arc;

use sisyphus_core::desired::{ObjectKey, ResourceId};
use sisyphus_core::production::SourceLocation;
use sisyphus_core::quantity::QuantityError;

/// One render failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A resource could not be rendered for one or more clusters.
    #[error("{location}: failed to render {resource} for {}", ClusterList(.clusters))]
    Resource {
        /// The resource.
        resource: ResourceId,
        /// The clusters it failed for (sorted; one error per distinct problem).
        clusters: Vec<String>,
        /// Where the problem is declared: the field it is about (`config.env`, `config.image`, a
        /// `config.service.ports` or `footprint` entry, a variable binding, a CronJob policy),
        /// else the resource or raw object.
        location: SourceLocation,
        /// What is wrong.
        #[source]
        problem: Problem,
    },
    /// Two resources render the same object in the same cluster(s).
    #[error(
        "{location}: {resource} renders {} in {}, which {other} ({other_location}) renders too (expected one declaration per object and cluster)",
        ObjectName(.key),
        ClusterList(.clusters)
    )]
    Duplicate {
        /// The object both render, in the first of `clusters`.
        key: ObjectKey,
        /// Every cluster both render it in (sorted).
        clusters: Vec<String>,
        /// The resource rendered second.
        resource: ResourceId,
        /// Where it is declared.
        location: SourceLocation,
        /// The resource rendered first.
        other: ResourceId,
        /// Where that one is declared.
        other_location: SourceLocation,
    },
}

impl Error {
    /// Where the error is declared (errors are sorted by it).
    pub fn location(&self) -> &SourceLocation {
        match self {
            Error::Resource { location, .. } | Error::Duplicate { location, .. } => location,
        }
    }
}

/// `apps/v1 Deployment web/frontend`: an object key without its cluster.
struct ObjectName<'a>(&'a ObjectKey);

impl fmt::Display for ObjectName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.0;
        write!(f, "{} {} ", key.api_version(), key.kind)?;
        match &key.namespace {
            Some(ns) => write!(f, "{ns}/{}", key.name),
            None => f.write_str(&key.name),
        }
    }
}

struct ClusterList<'a>(&'a [String]);

impl fmt::Display for ClusterList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = if self.0.len() == 1 {
            "cluster"
        } else {
            "clusters"
        };
        f.write_str(word)?;
        for (i, c) in self.0.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}`{c}`")?;
        }
        Ok(())
    }
}

/// What is wrong with a resource in a cluster (the cause of an [`Error::Resource`]).
#[derive(Clone, Debug, thiserror::Error)]
pub enum Problem {
    /// `config.image` has no entry in the resolved configs.
    #[error("config image `{image}` was not resolved")]
    ConfigNotResolved {
        /// The image as written.
        image: String,
    },
    /// Evaluating the config failed.
    #[error("failed to evaluate config image `{reference}` for environment `{environment}`")]
    Evaluate {
        /// The pinned config image.
        reference: String,
        /// The environment.
        environment: String,
        /// The evaluation error (located in the config's Starlark files).
        #[source]
        source: Arc<sisyphus_starlark::Error>,
    },
    /// `config.env` names an environment that none of the config's per-environment values
    /// mention, while others are mentioned: almost surely a typo, which would silently drop
    /// every per-environment value.
    #[error(
        "environment `{environment}` appears in none of the per-environment values of config image `{reference}` (expected one of {}; check `config.env`, or add `{environment}` to a per-environment value of the config)",
        known.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
    )]
    UnknownEnvironment {
        /// `config.env`.
        environment: String,
        /// The pinned config image.
        reference: String,
        /// The environments the config mentions.
        known: Vec<String>,
    },
    /// A Deployment or CronJob in the `global` folder, which has no namespace.
    #[error("a {kind} needs a namespace: declare it in a namespace folder, not in `global`")]
    NoNamespace {
        /// `Deployment` or `CronJob`.
        kind: &'static str,
    },
    /// The resource name cannot name a container.
    #[error(
        "name `{name}` is not a valid container name (expected a DNS-1123 label: at most 63 lowercase letters, digits or `-`)"
    )]
    InvalidName {
        /// The name.
        name: String,
    },
    /// The config uses a variable that `config.variables` does not bind.
    #[error(
        "the config uses {kind} `{name}`, but `config.variables` does not bind it (expected `{name}: {{secretKeyRef: {{name, key}}}}`{}{})",
        if *.kind == "FileVariable" { " or `configMapKeyRef`" } else { ", `configMapKeyRef` or `value`" },
        .bound_instead.as_ref().map(|b| format!("; found `{b}`, which the config does not use: a typo?")).unwrap_or_default()
    )]
    MissingVariable {
        /// `StringVariable` or `FileVariable`.
        kind: &'static str,
        /// The variable name.
        name: String,
        /// A bound variable the config does not use whose name is close: likely a typo.
        bound_instead: Option<String>,
    },
    /// A FileVariable bound to a literal value.
    #[error(
        "FileVariable `{name}` is bound to a literal `value`, but a file must come from `secretKeyRef` or `configMapKeyRef`"
    )]
    FileVariableValue {
        /// The variable name.
        name: String,
    },
    /// A FileVariable path that cannot be mounted.
    #[error(
        "FileVariable `{name}` has path `{path}`, expected an absolute file path like `/etc/app/file.json`"
    )]
    BadFilePath {
        /// The variable name.
        name: String,
        /// The path.
        path: String,
    },
    /// Two FileVariables mounted at the same path.
    #[error("FileVariables `{first}` and `{second}` are both mounted at `{path}`")]
    DuplicateMountPath {
        /// The path.
        path: String,
        /// One variable.
        first: String,
        /// The other.
        second: String,
    },
    /// An env var Sisyphus adds for a StringVariable in `args` clashes with one the config sets.
    #[error(
        "env var `{env}` (added for StringVariable `{variable}` in `args`) is already set by the config to something else (rename that env var, or set it to `StringVariable(\"{variable}\")` so the arg uses it)"
    )]
    EnvVarConflict {
        /// The env var name.
        env: String,
        /// The variable.
        variable: String,
    },
    /// Two StringVariables in `args` whose names give the same added env var.
    #[error(
        "StringVariables `{first}` and `{second}` in `args` would both be passed as env var `{env}` (expected names that differ in upper snake case; or give one its own env var in `env`, which the arg then uses)"
    )]
    ArgVariablesClash {
        /// The env var name.
        env: String,
        /// The variable that took the name first.
        first: String,
        /// The other variable.
        second: String,
    },
    /// `args` or `env` use a port the application does not declare.
    #[error("the config uses Port `{name}`, which is not declared in this environment")]
    UnknownPort {
        /// The port name.
        name: String,
    },
    /// A resource quantity Kubernetes would reject.
    #[error("the config sets `resources.{field}` to an invalid quantity")]
    Quantity {
        /// `requests.memory`, `limits.cpu`, ...
        field: String,
        /// The quantity error (with a suggestion when one is likely).
        #[source]
        source: QuantityError,
    },
    /// A negative resource quantity (Kubernetes requires requests and limits to be at least 0).
    #[error("the config sets `resources.{field}` to `{found}`, expected a quantity of at least 0")]
    NegativeQuantity {
        /// `requests.cpu`, `limits.memory`, ...
        field: String,
        /// The value.
        found: String,
    },
    /// A probe names a port the application does not declare.
    #[error("the {probe} probe uses port `{port}`, but the config declares {}", PortList(.declared))]
    UnknownProbePort {
        /// `liveness`, `readiness` or `startup`.
        probe: &'static str,
        /// The port name.
        port: String,
        /// The ports the application declares.
        declared: Vec<String>,
    },
    /// A CronJob config with probes.
    #[error("a CronJob can't have liveness, readiness or startup probes, but the config sets `{}`", .probes.join("`, `"))]
    ProbeOnCronJob {
        /// The probes set.
        probes: Vec<&'static str>,
    },
    /// `config.service.ports` names a port the application does not declare.
    #[error("`config.service.ports` has `{port}`, but in environment `{environment}` the config declares {}", PortList(.declared))]
    UnknownServicePort {
        /// The key.
        port: String,
        /// The environment.
        environment: String,
        /// The ports the application declares.
        declared: Vec<String>,
    },
    /// Two Service ports with the same name.
    #[error(
        "`config.service.ports` entries `{first}` and `{second}` both name their Service port `{name}` (expected a distinct `name` per entry)"
    )]
    DuplicateServicePort {
        /// The Service port name.
        name: String,
        /// The entry (app port) that used the name first.
        first: String,
        /// The entry that used it again.
        second: String,
    },
    /// An invalid label or annotation.
    #[error("invalid {what} `{key}: {value}` (expected a qualified name key{})", if *.what == "label" { " and a label value: at most 63 alphanumerics, `-`, `_` or `.`" } else { "" })]
    InvalidMetadata {
        /// `label` or `annotation`.
        what: &'static str,
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// A footprint entry with more replicas than Kubernetes can store (load refuses these; a
    /// plan built another way may have them).
    #[error("the footprint sets `replicas: {replicas}`, expected at most 2147483647")]
    TooManyReplicas {
        /// The replicas.
        replicas: u32,
    },
    /// A CronJob field with a value Kubernetes rejects.
    #[error("`config.{field}` is `{found}`, expected one of {expected}")]
    InvalidCronJobField {
        /// The field.
        field: &'static str,
        /// The value.
        found: String,
        /// The allowed values.
        expected: &'static str,
    },
    /// A KubernetesYaml object without `apiVersion`, `kind` or `metadata.name`.
    #[error("the object has no string `{field}`")]
    ObjectField {
        /// The missing field.
        field: &'static str,
    },
}

struct PortList<'a>(&'a [String]);

impl fmt::Display for PortList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no ports");
        }
        f.write_str("only ")?;
        for (i, p) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}`{p}`")?;
        }
        Ok(())
    }
}

/// Every render error, sorted by location (file, line, column), then in resource order.
#[derive(Debug)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.len() {
            1 => f.write_str("1 render error"),
            n => write!(f, "{n} render errors"),
        }
    }
}

impl std::error::Error for Errors {}

/// Something suspicious that does not stop the render.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// Where the resource (or binding) is declared.
    pub location: SourceLocation,
    /// The resource.
    pub resource: ResourceId,
    /// What is suspicious.
    pub kind: WarningKind,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.resource, self.kind)
    }
}

/// What a [`Warning`] is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WarningKind {
    /// `config.variables` binds a variable the config never uses (in any of the clusters).
    UnusedVariable {
        /// The variable name.
        name: String,
    },
    /// A label or annotation Sisyphus sets itself was given another value, which is ignored.
    Overridden {
        /// `label` or `annotation`.
        what: &'static str,
        /// The key.
        key: String,
        /// The ignored value.
        ignored: String,
        /// The value Sisyphus uses.
        used: String,
    },
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::UnusedVariable { name } => write!(
                f,
                "variable `{name}` is bound in `config.variables` but the config does not use it"
            ),
            WarningKind::Overridden {
                what,
                key,
                ignored,
                used,
            } => write!(
                f,
                "{what} `{key}: {ignored}` is ignored: Sisyphus sets `{key}: {used}`"
            ),
        }
    }
}
