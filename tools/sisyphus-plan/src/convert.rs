//! Domain ([`sisyphus_core::production`]) ↔ wire ([`crate::wire`]) conversion. Maps become
//! sorted lists, raw objects canonical JSON strings.

use std::collections::BTreeMap;

use sisyphus_core::production::{
    AppConfig, CronJobSpec, DeploymentSpec, FootprintEntry, KubernetesObject, KubernetesYamlSpec,
    Plan, Production, Resource, ResourceSpec, ServicePort, SourceLocation, VariableBinding,
    VariableSource,
};

use crate::file::VERSION;
use crate::{Error, wire};

/// `plan` as a wire message.
pub(crate) fn to_wire(plan: &Plan) -> wire::Plan {
    wire::Plan {
        version: VERSION,
        inputs_hash: plan.inputs_hash.clone(),
        resources: plan
            .production
            .resources
            .iter()
            .map(resource_to_wire)
            .collect(),
        declared_clusters: plan.production.declared_clusters.as_ref().map(|names| {
            let mut names = names.clone();
            names.sort();
            wire::DeclaredClusters { names }
        }),
    }
}

/// An unknown location (the default) is written as absent.
fn location_to_wire(l: &SourceLocation) -> Option<wire::SourceLocation> {
    if !l.is_known() {
        return None;
    }
    Some(wire::SourceLocation {
        file: l.file.clone(),
        line: l.line,
        column: l.column,
    })
}

fn entries(map: &BTreeMap<String, String>) -> Vec<wire::StringEntry> {
    map.iter()
        .map(|(key, value)| wire::StringEntry {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

fn resource_to_wire(r: &Resource) -> wire::Resource {
    use wire::resource::Spec;
    let spec = match &r.spec {
        ResourceSpec::Deployment(d) => Spec::Deployment(wire::Deployment {
            config: Some(config_to_wire(&d.config)),
            service_ports: d
                .service_ports
                .iter()
                .map(|(app_port, p)| wire::ServicePort {
                    app_port: app_port.clone(),
                    name: p.name.clone(),
                    number: u32::from(p.number),
                    location: location_to_wire(&p.location),
                })
                .collect(),
            footprint: d
                .footprint
                .iter()
                .map(|(cluster, entry)| wire::Replicas {
                    cluster: cluster.clone(),
                    replicas: entry.replicas,
                    location: location_to_wire(&entry.location),
                })
                .collect(),
        }),
        ResourceSpec::CronJob(c) => Spec::CronJob(wire::CronJob {
            config: Some(config_to_wire(&c.config)),
            schedule: c.schedule.clone(),
            concurrency_policy: c.concurrency_policy.clone(),
            restart_policy: c.restart_policy.clone(),
            time_zone: c.time_zone.clone(),
            suspend: c.suspend,
            successful_jobs_history_limit: c.successful_jobs_history_limit,
            failed_jobs_history_limit: c.failed_jobs_history_limit,
            backoff_limit: c.backoff_limit,
            clusters: {
                let mut clusters = c.clusters.clone();
                clusters.sort();
                clusters
            },
            schedule_location: location_to_wire(&c.schedule_location),
            concurrency_policy_location: location_to_wire(&c.concurrency_policy_location),
            restart_policy_location: location_to_wire(&c.restart_policy_location),
        }),
        ResourceSpec::KubernetesYaml(k) => Spec::KubernetesYaml(wire::KubernetesYaml {
            clusters: k.clusters.clone(),
            objects: k
                .objects
                .iter()
                .map(|o| wire::KubernetesObject {
                    json: canonical_json(&o.object),
                    location: location_to_wire(&o.location),
                    secret: o.secret,
                })
                .collect(),
        }),
    };
    wire::Resource {
        folder: r.folder.clone(),
        name: r.name.clone(),
        location: location_to_wire(&r.location),
        labels: entries(&r.labels),
        annotations: entries(&r.annotations),
        spec: Some(spec),
    }
}

fn config_to_wire(c: &AppConfig) -> wire::AppConfig {
    use wire::variable::Source;
    wire::AppConfig {
        environment: c.environment.clone(),
        environment_location: location_to_wire(&c.environment_location),
        image: c.image.clone(),
        image_location: location_to_wire(&c.image_location),
        variables: c
            .variables
            .iter()
            .map(|(name, binding)| wire::Variable {
                name: name.clone(),
                location: location_to_wire(&binding.location),
                source: Some(match &binding.source {
                    VariableSource::SecretKeyRef { name, key } => {
                        Source::SecretKeyRef(wire::KeyRef {
                            name: name.clone(),
                            key: key.clone(),
                        })
                    }
                    VariableSource::ConfigMapKeyRef { name, key } => {
                        Source::ConfigMapKeyRef(wire::KeyRef {
                            name: name.clone(),
                            key: key.clone(),
                        })
                    }
                    VariableSource::Value(v) => Source::Value(v.clone()),
                }),
            })
            .collect(),
    }
}

/// JSON with object keys sorted at every level and no whitespace.
pub(crate) fn canonical_json(value: &serde_json::Value) -> String {
    sorted(value).to_string()
}

fn sorted(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(sorted).collect())
        }
        other => other.clone(),
    }
}

/// A wire plan (version already checked) as the domain type.
pub(crate) fn from_wire(plan: wire::Plan) -> Result<Plan, Error> {
    Ok(Plan {
        production: Production {
            resources: plan
                .resources
                .into_iter()
                .map(resource_from_wire)
                .collect::<Result<_, _>>()?,
            declared_clusters: plan.declared_clusters.map(|d| d.names),
        },
        inputs_hash: plan.inputs_hash,
    })
}

fn location_from_wire(l: Option<wire::SourceLocation>) -> SourceLocation {
    l.map(|l| SourceLocation {
        file: l.file,
        line: l.line,
        column: l.column,
    })
    .unwrap_or_default()
}

fn map_from(entries: Vec<wire::StringEntry>) -> BTreeMap<String, String> {
    entries.into_iter().map(|e| (e.key, e.value)).collect()
}

fn resource_from_wire(r: wire::Resource) -> Result<Resource, Error> {
    use wire::resource::Spec;
    let what = format!("resource `{}/{}`", r.folder, r.name);
    let spec = match r.spec {
        None => {
            return Err(Error::Invalid {
                what: format!("{what} has no kind"),
            });
        }
        Some(Spec::Deployment(d)) => ResourceSpec::Deployment(DeploymentSpec {
            config: config_from_wire(d.config, &what)?,
            service_ports: d
                .service_ports
                .into_iter()
                .map(|p| {
                    let number = u16::try_from(p.number).map_err(|_| Error::Invalid {
                        what: format!("{what} has service port number {}", p.number),
                    })?;
                    Ok((
                        p.app_port,
                        ServicePort {
                            name: p.name,
                            number,
                            location: location_from_wire(p.location),
                        },
                    ))
                })
                .collect::<Result<_, Error>>()?,
            footprint: d
                .footprint
                .into_iter()
                .map(|f| {
                    let entry = FootprintEntry {
                        replicas: f.replicas,
                        location: location_from_wire(f.location),
                    };
                    (f.cluster, entry)
                })
                .collect(),
        }),
        Some(Spec::CronJob(c)) => ResourceSpec::CronJob(CronJobSpec {
            config: config_from_wire(c.config, &what)?,
            schedule: c.schedule,
            schedule_location: location_from_wire(c.schedule_location),
            concurrency_policy: c.concurrency_policy,
            concurrency_policy_location: location_from_wire(c.concurrency_policy_location),
            restart_policy: c.restart_policy,
            restart_policy_location: location_from_wire(c.restart_policy_location),
            time_zone: c.time_zone,
            suspend: c.suspend,
            successful_jobs_history_limit: c.successful_jobs_history_limit,
            failed_jobs_history_limit: c.failed_jobs_history_limit,
            backoff_limit: c.backoff_limit,
            clusters: c.clusters,
        }),
        Some(Spec::KubernetesYaml(k)) => ResourceSpec::KubernetesYaml(KubernetesYamlSpec {
            clusters: k.clusters,
            objects: k
                .objects
                .into_iter()
                .map(|o| {
                    let location = location_from_wire(o.location);
                    let object =
                        serde_json::from_str(&o.json).map_err(|source| Error::ObjectJson {
                            location: location.to_string(),
                            source,
                        })?;
                    Ok(KubernetesObject {
                        object,
                        location,
                        secret: o.secret,
                    })
                })
                .collect::<Result<_, Error>>()?,
        }),
    };
    Ok(Resource {
        folder: r.folder,
        name: r.name,
        location: location_from_wire(r.location),
        labels: map_from(r.labels),
        annotations: map_from(r.annotations),
        spec,
    })
}

fn config_from_wire(c: Option<wire::AppConfig>, what: &str) -> Result<AppConfig, Error> {
    use wire::variable::Source;
    let c = c.ok_or_else(|| Error::Invalid {
        what: format!("{what} has no config"),
    })?;
    let mut variables = BTreeMap::new();
    for v in c.variables {
        let source = match v.source {
            Some(Source::SecretKeyRef(r)) => VariableSource::SecretKeyRef {
                name: r.name,
                key: r.key,
            },
            Some(Source::ConfigMapKeyRef(r)) => VariableSource::ConfigMapKeyRef {
                name: r.name,
                key: r.key,
            },
            Some(Source::Value(value)) => VariableSource::Value(value),
            None => {
                return Err(Error::Invalid {
                    what: format!("variable `{}` of {what} has no source", v.name),
                });
            }
        };
        variables.insert(
            v.name,
            VariableBinding {
                source,
                location: location_from_wire(v.location),
            },
        );
    }
    Ok(AppConfig {
        environment: c.environment,
        environment_location: location_from_wire(c.environment_location),
        image: c.image,
        image_location: location_from_wire(c.image_location),
        variables,
    })
}
