//! The production folder model: the resources a plan holds after `load`, before any config
//! image is resolved.
//!
//! `sisyphus-load` builds these from Sisyphus YAML; `sisyphus-plan` converts them to and from
//! the protobuf plan artifact; `sisyphus-render` turns them (with resolved config images) into
//! Kubernetes objects.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// A place in a source file: a path relative to the monitored directory, 1-based line and column.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceLocation {
    /// Path relative to the monitored directory, with `/` separators.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl SourceLocation {
    /// Whether this names a place: a location left at its default (no file), as in a plan
    /// written before the field was recorded, is unknown.
    pub fn is_known(&self) -> bool {
        !self.file.is_empty()
    }

    /// This location when it is known, else `fallback` (typically the resource's location).
    pub fn or<'a>(&'a self, fallback: &'a SourceLocation) -> &'a SourceLocation {
        if self.is_known() { self } else { fallback }
    }
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The namespace folder `global`, which holds cluster-scoped objects and objects for any
/// namespace.
pub const GLOBAL_FOLDER: &str = "global";

/// Everything a production folder declares.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Production {
    /// Every resource, sorted by (folder, kind, name).
    pub resources: Vec<Resource>,
    /// The declared cluster list (`clusters.yaml`), when the folder has one.
    pub declared_clusters: Option<Vec<String>>,
}

impl Production {
    /// Every cluster a resource targets (footprints and KubernetesYaml `clusters`), sorted.
    pub fn targeted_clusters(&self) -> BTreeSet<&str> {
        self.resources
            .iter()
            .flat_map(|r| r.spec.clusters())
            .collect()
    }

    /// Keep only the clusters in `keep`: footprints and cluster lists lose the others, and a
    /// resource left with no cluster is dropped (for `--cluster` filters).
    pub fn retain_clusters(&mut self, keep: &BTreeSet<String>) {
        for resource in &mut self.resources {
            match &mut resource.spec {
                ResourceSpec::Deployment(d) => d.footprint.retain(|c, _| keep.contains(c)),
                ResourceSpec::CronJob(c) => c.clusters.retain(|c| keep.contains(c)),
                ResourceSpec::KubernetesYaml(k) => k.clusters.retain(|c| keep.contains(c)),
            }
        }
        self.resources
            .retain(|r| r.spec.clusters().next().is_some());
    }
}

/// The Sisyphus kind of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResourceKind {
    /// `kind: Deployment`.
    Deployment,
    /// `kind: CronJob`.
    CronJob,
    /// `kind: KubernetesYaml`.
    KubernetesYaml,
}

impl ResourceKind {
    /// The YAML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Deployment => "Deployment",
            ResourceKind::CronJob => "CronJob",
            ResourceKind::KubernetesYaml => "KubernetesYaml",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One Sisyphus resource (a `SisyphusYaml` include is flattened away by `load`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// The folder that declared it: a namespace name, or `global`.
    pub folder: String,
    /// `metadata.name`.
    pub name: String,
    /// Where the document starts.
    pub location: SourceLocation,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// The kind-specific part.
    pub spec: ResourceSpec,
}

impl Resource {
    /// The Sisyphus kind.
    pub fn kind(&self) -> ResourceKind {
        match self.spec {
            ResourceSpec::Deployment(_) => ResourceKind::Deployment,
            ResourceSpec::CronJob(_) => ResourceKind::CronJob,
            ResourceSpec::KubernetesYaml(_) => ResourceKind::KubernetesYaml,
        }
    }

    /// The namespace objects go to: the folder, or `None` for `global`.
    pub fn namespace(&self) -> Option<&str> {
        (self.folder != GLOBAL_FOLDER).then_some(self.folder.as_str())
    }
}

/// The kind-specific part of a resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ResourceSpec {
    /// A long-running app.
    Deployment(DeploymentSpec),
    /// A scheduled job.
    CronJob(CronJobSpec),
    /// Raw Kubernetes objects.
    KubernetesYaml(KubernetesYamlSpec),
}

impl ResourceSpec {
    /// The clusters this resource targets, in declaration order.
    pub fn clusters(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            ResourceSpec::Deployment(d) => Box::new(d.footprint.keys().map(String::as_str)),
            ResourceSpec::CronJob(c) => Box::new(c.clusters.iter().map(String::as_str)),
            ResourceSpec::KubernetesYaml(k) => Box::new(k.clusters.iter().map(String::as_str)),
        }
    }
}

/// How a `StringVariable`/`FileVariable` is bound in a cluster.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VariableSource {
    /// `secretKeyRef: {name, key}`.
    SecretKeyRef {
        /// Secret name.
        name: String,
        /// Key in the secret.
        key: String,
    },
    /// `configMapKeyRef: {name, key}`.
    ConfigMapKeyRef {
        /// ConfigMap name.
        name: String,
        /// Key in the config map.
        key: String,
    },
    /// `value: "literal"`.
    Value(String),
}

/// A declared variable binding with its location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableBinding {
    /// The source.
    pub source: VariableSource,
    /// Where it is declared: the variable's key in `config.variables`.
    pub location: SourceLocation,
}

/// What a Deployment and a CronJob share: which config image, which environment, which variables.
///
/// Field locations follow one rule throughout this module: a scalar field's location is that of
/// its value (for `env: prdo`, the `prdo`), a map entry's is that of its key (`http:` in
/// `service.ports`, a cluster in `footprint`, a variable name). A location left at its default
/// is unknown (see [`SourceLocation::is_known`]); users fall back to the resource's location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppConfig {
    /// `config.env`: the execution environment.
    pub environment: String,
    /// Where the `config.env` value is written.
    #[serde(default)]
    pub environment_location: SourceLocation,
    /// `config.image`: the config image reference as written (a tag or a digest).
    pub image: String,
    /// Where the `config.image` value is written.
    #[serde(default)]
    pub image_location: SourceLocation,
    /// `config.variables`, by variable name.
    pub variables: BTreeMap<String, VariableBinding>,
}

/// A service port: `config.service.ports.<app port name>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePort {
    /// The Service port's name (defaults to the app port name).
    pub name: Option<String>,
    /// The Service port number.
    pub number: u16,
    /// Where the entry is declared: its app port name key in `config.service.ports`.
    #[serde(default)]
    pub location: SourceLocation,
}

/// One `footprint` entry of a Deployment: `<cluster>: {replicas: N}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FootprintEntry {
    /// `replicas`.
    pub replicas: u32,
    /// Where the entry is declared: its cluster key in `footprint`.
    #[serde(default)]
    pub location: SourceLocation,
}

/// `kind: Deployment`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentSpec {
    /// The app config.
    pub config: AppConfig,
    /// `config.service.ports`, by app port name. Empty: no Service.
    pub service_ports: BTreeMap<String, ServicePort>,
    /// `footprint`: the entry (replicas) by cluster (kubeconfig context name).
    pub footprint: BTreeMap<String, FootprintEntry>,
}

/// `kind: CronJob`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronJobSpec {
    /// The app config.
    pub config: AppConfig,
    /// `config.schedule` (cron syntax).
    pub schedule: String,
    /// Where the `config.schedule` value is written.
    #[serde(default)]
    pub schedule_location: SourceLocation,
    /// `config.concurrencyPolicy`: `Allow`, `Forbid` or `Replace`.
    pub concurrency_policy: Option<String>,
    /// Where the `config.concurrencyPolicy` value is written (unknown when it is not set).
    #[serde(default)]
    pub concurrency_policy_location: SourceLocation,
    /// `config.restartPolicy`: `OnFailure` (default) or `Never`.
    pub restart_policy: Option<String>,
    /// Where the `config.restartPolicy` value is written (unknown when it is not set).
    #[serde(default)]
    pub restart_policy_location: SourceLocation,
    /// `config.timeZone`.
    pub time_zone: Option<String>,
    /// `config.suspend`.
    pub suspend: Option<bool>,
    /// `config.successfulJobsHistoryLimit`.
    pub successful_jobs_history_limit: Option<i32>,
    /// `config.failedJobsHistoryLimit`.
    pub failed_jobs_history_limit: Option<i32>,
    /// `config.backoffLimit`.
    pub backoff_limit: Option<i32>,
    /// `footprint`: the clusters it runs in.
    pub clusters: Vec<String>,
}

/// `kind: KubernetesYaml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KubernetesYamlSpec {
    /// The clusters the objects go to.
    pub clusters: Vec<String>,
    /// The objects, from `objects` then each of `sources` in order.
    pub objects: Vec<KubernetesObject>,
}

/// One raw Kubernetes object from a KubernetesYaml resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KubernetesObject {
    /// The object as JSON. In a namespace folder, `metadata.namespace` is filled in by load.
    pub object: serde_json::Value,
    /// Where it is written.
    pub location: SourceLocation,
    /// Whether it is a `v1 Secret` (its values are never stored or clobbered).
    pub secret: bool,
}

/// What the plan artifact holds: the production folder's resources and a hash of every file
/// `load` read, so later stages can tell which inputs a plan was computed from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The resources and declared clusters.
    pub production: Production,
    /// `sha256:<hex>` over the paths and bytes of every file read.
    pub inputs_hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(name: &str, spec: ResourceSpec) -> Resource {
        Resource {
            folder: "ns".into(),
            name: name.into(),
            location: SourceLocation::default(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            spec,
        }
    }

    #[test]
    fn retain_clusters_trims_targets_and_drops_emptied_resources() {
        let config = AppConfig {
            environment: "prod".into(),
            environment_location: SourceLocation::default(),
            image: "r/x:v1".into(),
            image_location: SourceLocation::default(),
            variables: BTreeMap::new(),
        };
        let entry = |replicas| FootprintEntry {
            replicas,
            location: SourceLocation::default(),
        };
        let mut production = Production {
            resources: vec![
                resource(
                    "web",
                    ResourceSpec::Deployment(DeploymentSpec {
                        config,
                        service_ports: BTreeMap::new(),
                        footprint: BTreeMap::from([("a".into(), entry(1)), ("b".into(), entry(2))]),
                    }),
                ),
                resource(
                    "only-b",
                    ResourceSpec::KubernetesYaml(KubernetesYamlSpec {
                        clusters: vec!["b".into()],
                        objects: vec![],
                    }),
                ),
            ],
            declared_clusters: None,
        };
        assert_eq!(
            production
                .targeted_clusters()
                .into_iter()
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        production.retain_clusters(&BTreeSet::from(["a".to_owned()]));
        assert_eq!(production.resources.len(), 1);
        assert_eq!(
            production.resources[0].spec.clusters().collect::<Vec<_>>(),
            ["a"]
        );
    }

    #[test]
    fn an_unknown_location_falls_back() {
        let resource = SourceLocation {
            file: "web/index.yaml".into(),
            line: 1,
            column: 1,
        };
        let field = SourceLocation {
            line: 4,
            column: 8,
            ..resource.clone()
        };
        assert!(field.is_known());
        assert_eq!(field.or(&resource), &field);
        let unknown = SourceLocation::default();
        assert!(!unknown.is_known());
        assert_eq!(unknown.or(&resource), &resource);
    }
}
