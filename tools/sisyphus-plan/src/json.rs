//! The plan as JSON (`sisyphus plan --format json`): the same content as the plan file, shaped
//! like the YAML it came from. Secret objects' `data` and `stringData` values are masked as
//! `****`: output may end up in CI logs, the plan file keeps them.

use serde_json::{Map, Value, json};
use sisyphus_core::production::{AppConfig, Plan, ResourceSpec, VariableSource};

use crate::convert::canonical_json;
use crate::file::VERSION;

/// `plan` as a JSON value; the same plan always gives the same text.
pub fn to_json(plan: &Plan) -> Value {
    let resources: Vec<Value> = plan
        .production
        .resources
        .iter()
        .map(|r| {
            let mut out = Map::new();
            out.insert("kind".into(), json!(r.kind().as_str()));
            out.insert("folder".into(), json!(r.folder));
            out.insert("name".into(), json!(r.name));
            out.insert("location".into(), json!(r.location.to_string()));
            out.insert("labels".into(), json!(r.labels));
            out.insert("annotations".into(), json!(r.annotations));
            match &r.spec {
                ResourceSpec::Deployment(d) => {
                    out.insert("config".into(), config(&d.config));
                    let ports: Map<String, Value> = d
                        .service_ports
                        .iter()
                        .map(|(k, p)| (k.clone(), json!({"name": p.name, "number": p.number})))
                        .collect();
                    out.insert("servicePorts".into(), Value::Object(ports));
                    let footprint: Map<String, Value> = d
                        .footprint
                        .iter()
                        .map(|(c, e)| (c.clone(), json!({"replicas": e.replicas})))
                        .collect();
                    out.insert("footprint".into(), Value::Object(footprint));
                }
                ResourceSpec::CronJob(c) => {
                    let mut cfg = config(&c.config);
                    if let Value::Object(m) = &mut cfg {
                        m.insert("schedule".into(), json!(c.schedule));
                        let optional = [
                            (
                                "concurrencyPolicy",
                                c.concurrency_policy.as_ref().map(|v| json!(v)),
                            ),
                            ("restartPolicy", c.restart_policy.as_ref().map(|v| json!(v))),
                            ("timeZone", c.time_zone.as_ref().map(|v| json!(v))),
                            ("suspend", c.suspend.map(|v| json!(v))),
                            (
                                "successfulJobsHistoryLimit",
                                c.successful_jobs_history_limit.map(|v| json!(v)),
                            ),
                            (
                                "failedJobsHistoryLimit",
                                c.failed_jobs_history_limit.map(|v| json!(v)),
                            ),
                            ("backoffLimit", c.backoff_limit.map(|v| json!(v))),
                        ];
                        for (k, v) in optional {
                            if let Some(v) = v {
                                m.insert(k.into(), v);
                            }
                        }
                    }
                    out.insert("config".into(), cfg);
                    let mut clusters = c.clusters.clone();
                    clusters.sort();
                    out.insert("clusters".into(), json!(clusters));
                }
                ResourceSpec::KubernetesYaml(k) => {
                    out.insert("clusters".into(), json!(k.clusters));
                    let objects: Vec<Value> = k
                        .objects
                        .iter()
                        .map(|o| {
                            // The one masker: Secret values (kind in any case) and the
                            // last-applied annotation of any object.
                            let mut object = o.object.clone();
                            sisyphus_core::secret::mask_in_place(&mut object);
                            let object: Value = serde_json::from_str(&canonical_json(&object))
                                .unwrap_or(Value::Null);
                            json!({
                                "location": o.location.to_string(),
                                "secret": o.secret,
                                "object": object,
                            })
                        })
                        .collect();
                    out.insert("objects".into(), Value::Array(objects));
                }
            }
            Value::Object(out)
        })
        .collect();
    json!({
        "version": VERSION,
        "inputsHash": plan.inputs_hash,
        "declaredClusters": plan.production.declared_clusters,
        "resources": resources,
    })
}

fn config(c: &AppConfig) -> Value {
    let variables: Map<String, Value> = c
        .variables
        .iter()
        .map(|(name, b)| {
            let source = match &b.source {
                VariableSource::SecretKeyRef { name, key } => {
                    json!({"secretKeyRef": {"name": name, "key": key}})
                }
                VariableSource::ConfigMapKeyRef { name, key } => {
                    json!({"configMapKeyRef": {"name": name, "key": key}})
                }
                VariableSource::Value(v) => json!({"value": v}),
            };
            (name.clone(), source)
        })
        .collect();
    json!({"env": c.environment, "image": c.image, "variables": variables})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_masked_whatever_their_shape() {
        let mut object = json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": "c2VjcmV0", "stringData": [{"password": "hunter2"}]
        });
        sisyphus_core::secret::mask_in_place(&mut object);
        assert_eq!(object["data"], "****");
        assert_eq!(object["stringData"], "****");
        let mut object = json!({"apiVersion": "v1", "kind": "secret", "data": {"a": "c2VjcmV0"}, "stringData": null});
        sisyphus_core::secret::mask_in_place(&mut object);
        assert_eq!(
            object,
            json!({"apiVersion": "v1", "kind": "secret", "data": {"a": "****"}, "stringData": null})
        );
    }
}
