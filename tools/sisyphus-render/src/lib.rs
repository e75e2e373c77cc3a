//! The render stage: production resources plus their resolved config images → the Kubernetes
//! objects to apply, per cluster.
//!
//! In: a [`RenderInput`] (the resources load produced and a [`ResolvedConfig`] per config image
//! reference). Out: [`Rendered`] ([`DesiredObjects`] sorted by [`ObjectKey`], warnings, and the
//! number of Starlark evaluations), or [`Errors`] listing every problem, each naming the
//! resource, cluster(s) and source location.
//!
//! Pure: it evaluates configs (already loaded, in memory) and builds JSON; no files, network,
//! clock, kube client or database. Each distinct (config digest, environment, namespace,
//! cluster, name) is evaluated once, spread over the available cores.
//!
//! The rules (labels, variables, FileVariable volumes, Services, Namespaces) are described in
//! `docs/rendering.md`.

mod apps_v1_deployment;
mod batch_v1_cronjob;
mod container;
mod error;
mod evaluate;
mod input;
mod kubernetes_yaml;
mod metadata;
mod problems;
mod suggest;
mod v1_namespace;
mod v1_service;
mod volumes;
mod workload;

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use sisyphus_core::app::{Application, EvalContext};
use sisyphus_core::desired::{ConfigOrigin, DesiredObject, ResourceId};
use sisyphus_core::production::{
    AppConfig, CronJobSpec, DeploymentSpec, KubernetesYamlSpec, Resource, ResourceSpec,
    SourceLocation,
};

pub use container::ARG_ENV_PREFIX;
pub use error::{Error, Errors, Problem, Warning, WarningKind};
pub use input::{Evaluate, RenderInput, ResolvedConfig};
pub use metadata::{CONFIG_IMAGE_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL, NAME_LABEL};
pub use sisyphus_core::desired::{DesiredObjects, ObjectKey};
pub use v1_namespace::BUILT_IN_NAMESPACES;

use crate::evaluate::{EvalKey, Evaluated};
use crate::metadata::Meta;
use crate::problems::ResourceProblems;
use crate::workload::{Sink, Workload};

/// The result of a successful render.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    /// Every object to apply, sorted by cluster, group, kind, namespace, name.
    pub objects: DesiredObjects,
    /// Things worth telling the user that do not stop the push, sorted by location.
    pub warnings: Vec<Warning>,
    /// How many Starlark evaluations were done (distinct config digest and context).
    pub evaluations: usize,
}

/// Render every resource for every cluster it targets.
///
/// # Errors
///
/// [`Errors`] with every problem found (nothing is rendered partially): unresolved or failing
/// configs, unbound variables, invalid quantities, probes on CronJobs, Service ports the config
/// does not declare, objects rendered twice, ...
pub fn render(input: &RenderInput<'_>) -> Result<Rendered, Errors> {
    let mut jobs = BTreeMap::new();
    for resource in input.resources {
        let Some(app) = App::of(resource) else {
            continue;
        };
        let Some(resolved) = input.configs.get(&app.config().image) else {
            continue;
        };
        for cluster in app.clusters() {
            if let Some(key) = eval_key(resource, app.config(), cluster, resolved) {
                jobs.insert(key, Arc::clone(&resolved.config));
            }
        }
    }
    let evaluations = jobs.len();
    let results = evaluate::evaluate_all(jobs);

    let mut out = Collector::default();
    for resource in input.resources {
        match &resource.spec {
            ResourceSpec::Deployment(d) => {
                render_app(input, &results, resource, App::Deployment(d), &mut out);
            }
            ResourceSpec::CronJob(c) => {
                render_app(input, &results, resource, App::CronJob(c), &mut out);
            }
            ResourceSpec::KubernetesYaml(k) => render_kubernetes_yaml(resource, k, &mut out),
        }
    }
    if !out.errors.is_empty() {
        // Stable: errors at one location keep resource, then discovery order.
        out.errors.sort_by(|a, b| a.location().cmp(b.location()));
        return Err(Errors(out.errors));
    }
    v1_namespace::add_namespaces(&mut out.objects);
    Ok(Rendered {
        objects: out.objects,
        warnings: out.warnings.into_iter().collect(),
        evaluations,
    })
}

/// A Deployment or CronJob.
#[derive(Clone, Copy)]
enum App<'a> {
    Deployment(&'a DeploymentSpec),
    CronJob(&'a CronJobSpec),
}

impl<'a> App<'a> {
    fn of(resource: &'a Resource) -> Option<Self> {
        match &resource.spec {
            ResourceSpec::Deployment(d) => Some(App::Deployment(d)),
            ResourceSpec::CronJob(c) => Some(App::CronJob(c)),
            ResourceSpec::KubernetesYaml(_) => None,
        }
    }

    fn config(&self) -> &'a AppConfig {
        match self {
            App::Deployment(d) => &d.config,
            App::CronJob(c) => &c.config,
        }
    }

    /// The footprint clusters, sorted and distinct.
    fn clusters(&self) -> BTreeSet<&'a str> {
        match self {
            App::Deployment(d) => d.footprint.keys().map(String::as_str).collect(),
            App::CronJob(c) => c.clusters.iter().map(String::as_str).collect(),
        }
    }
}

fn eval_key(
    resource: &Resource,
    config: &AppConfig,
    cluster: &str,
    resolved: &ResolvedConfig,
) -> Option<EvalKey> {
    let namespace = resource.namespace()?;
    let context = EvalContext {
        name: Some(resource.name.clone()),
        namespace: Some(namespace.to_owned()),
        cluster: Some(cluster.to_owned()),
        environment: config.environment.clone(),
    };
    Some((resolved.digest.clone(), context))
}

fn resource_id(resource: &Resource) -> ResourceId {
    ResourceId {
        kind: resource.kind(),
        folder: resource.folder.clone(),
        name: resource.name.clone(),
    }
}

/// Objects, errors and warnings gathered over all resources.
#[derive(Default)]
struct Collector {
    objects: DesiredObjects,
    errors: Vec<Error>,
    warnings: BTreeSet<Warning>,
}

impl Collector {
    /// Add an object, or an error when another resource already rendered the same key.
    fn insert(
        &mut self,
        key: ObjectKey,
        object: DesiredObject,
        id: &ResourceId,
        at: &SourceLocation,
    ) {
        match self.objects.entry(key) {
            Entry::Vacant(entry) => {
                entry.insert(object);
            }
            Entry::Occupied(entry) => {
                let existing = entry.get();
                let other = existing.resource.clone().unwrap_or_else(|| id.clone());
                let other_location = existing.location.clone().unwrap_or_default();
                let key = entry.key().clone();
                // The same clash in another cluster joins the error already reported.
                let same_clash = |e: &&mut Error| {
                    matches!(e, Error::Duplicate { key: k, resource: r, location: l, other: o, other_location: ol, .. }
                        if r == id && l == at && *o == other && *ol == other_location
                            && ObjectKey { cluster: key.cluster.clone(), ..k.clone() } == key)
                };
                if let Some(Error::Duplicate { clusters, .. }) =
                    self.errors.iter_mut().rev().find(same_clash)
                {
                    clusters.push(key.cluster);
                    return;
                }
                self.errors.push(Error::Duplicate {
                    clusters: vec![key.cluster.clone()],
                    key,
                    resource: id.clone(),
                    location: at.clone(),
                    other,
                    other_location,
                });
            }
        }
    }

    fn warnings(&mut self, id: &ResourceId, warnings: Vec<(SourceLocation, WarningKind)>) {
        for (location, kind) in warnings {
            self.warnings.insert(Warning {
                location,
                resource: id.clone(),
                kind,
            });
        }
    }
}

fn render_app(
    input: &RenderInput<'_>,
    results: &BTreeMap<EvalKey, Evaluated>,
    resource: &Resource,
    app: App<'_>,
    out: &mut Collector,
) {
    let id = resource_id(resource);
    let config = app.config();
    let mut problems = ResourceProblems::default();
    let mut used_variables: Option<BTreeSet<String>> = None;
    for cluster in app.clusters() {
        let mut sink = Sink::new(resource.location.clone());
        let evaluated = evaluated(input, results, resource, app, cluster, &mut sink);
        if let Some((namespace, resolved, application)) = evaluated {
            used_variables
                .get_or_insert_default()
                .extend(application.variables().iter().map(|v| v.name().to_owned()));
            let w = Workload {
                resource,
                namespace,
                config,
                resolved,
                app: &application,
            };
            let objects = app_objects(&w, app, cluster, &mut sink);
            if sink.problems.is_empty() {
                let origin = ConfigOrigin {
                    config_image: resolved.reference.clone(),
                    binary_image: resolved.index.binary_reference(),
                };
                for (key, object) in objects {
                    let desired = DesiredObject {
                        object,
                        resource: Some(id.clone()),
                        location: Some(resource.location.clone()),
                        config: Some(origin.clone()),
                        secret: false,
                    };
                    out.insert(key, desired, &id, &resource.location);
                }
            }
        }
        out.warnings(&id, sink.warnings);
        problems.add(cluster, sink.problems);
    }
    if let Some(used) = used_variables {
        for (name, binding) in &config.variables {
            if !used.contains(name) {
                out.warnings.insert(Warning {
                    location: binding.location.clone(),
                    resource: id.clone(),
                    kind: WarningKind::UnusedVariable { name: name.clone() },
                });
            }
        }
    }
    out.errors.extend(problems.into_errors(&id));
}

/// The namespace, resolved config and evaluated application of `resource` in `cluster`, or the
/// reason there is none (in `sink`).
fn evaluated<'a>(
    input: &RenderInput<'a>,
    results: &BTreeMap<EvalKey, Evaluated>,
    resource: &'a Resource,
    app: App<'a>,
    cluster: &str,
    sink: &mut Sink,
) -> Option<(&'a str, &'a ResolvedConfig, Arc<Application>)> {
    let config = app.config();
    let Some(namespace) = resource.namespace() else {
        sink.problem(Problem::NoNamespace {
            kind: resource.kind().as_str(),
        });
        return None;
    };
    let unresolved = |sink: &mut Sink| {
        let problem = Problem::ConfigNotResolved {
            image: config.image.clone(),
        };
        sink.problem_at(&config.image_location, problem);
    };
    let Some(resolved) = input.configs.get(&config.image) else {
        unresolved(sink);
        return None;
    };
    let result = eval_key(resource, config, cluster, resolved).and_then(|key| results.get(&key));
    match result {
        Some(Ok(application))
            if !application.environments.is_empty()
                && !application.environments.contains(&config.environment) =>
        {
            let problem = Problem::UnknownEnvironment {
                environment: config.environment.clone(),
                reference: resolved.reference.clone(),
                known: application.environments.iter().cloned().collect(),
            };
            sink.problem_at(&config.environment_location, problem);
            None
        }
        Some(Ok(application)) => Some((namespace, resolved, Arc::clone(application))),
        Some(Err(source)) => {
            // The config image named there is what failed (its Starlark locates the cause).
            let problem = Problem::Evaluate {
                reference: resolved.reference.clone(),
                environment: config.environment.clone(),
                source: Arc::clone(source),
            };
            sink.problem_at(&config.image_location, problem);
            None
        }
        // Every key was evaluated in the first pass; this only guards against a logic slip.
        None => {
            unresolved(sink);
            None
        }
    }
}

fn app_objects(
    w: &Workload<'_>,
    app: App<'_>,
    cluster: &str,
    sink: &mut Sink,
) -> Vec<(ObjectKey, Value)> {
    let meta = Meta::new(w, sink);
    let key = |group: &str, kind: &str| ObjectKey {
        cluster: cluster.to_owned(),
        group: group.to_owned(),
        version: "v1".to_owned(),
        kind: kind.to_owned(),
        namespace: Some(w.namespace.to_owned()),
        name: w.name().to_owned(),
    };
    match app {
        App::Deployment(spec) => {
            let mut objects = Vec::new();
            if let Some(entry) = spec.footprint.get(cluster) {
                objects.push((
                    key("apps", "Deployment"),
                    apps_v1_deployment::render(w, entry, &meta, sink),
                ));
            }
            if let Some(service) = v1_service::render(w, &spec.service_ports, &meta, sink) {
                objects.push((key("", "Service"), service));
            }
            objects
        }
        App::CronJob(spec) => vec![(
            key("batch", "CronJob"),
            batch_v1_cronjob::render(w, spec, &meta, sink),
        )],
    }
}

fn render_kubernetes_yaml(resource: &Resource, spec: &KubernetesYamlSpec, out: &mut Collector) {
    let id = resource_id(resource);
    let clusters: BTreeSet<&str> = spec.clusters.iter().map(String::as_str).collect();
    let mut problems = ResourceProblems::default();
    for object in &spec.objects {
        let identity = match kubernetes_yaml::identity(object) {
            Ok(identity) => identity,
            Err((location, problem)) => {
                for cluster in &clusters {
                    problems.add_one(cluster, location.clone(), &problem);
                }
                continue;
            }
        };
        for cluster in &clusters {
            let key = ObjectKey {
                cluster: (*cluster).to_owned(),
                group: identity.group.clone(),
                version: identity.version.clone(),
                kind: identity.kind.clone(),
                namespace: identity.namespace.clone(),
                name: identity.name.clone(),
            };
            let desired = DesiredObject {
                object: object.object.clone(),
                resource: Some(id.clone()),
                location: Some(object.location.clone()),
                config: None,
                secret: object.secret,
            };
            out.insert(key, desired, &id, &object.location);
        }
    }
    out.errors.extend(problems.into_errors(&id));
}
