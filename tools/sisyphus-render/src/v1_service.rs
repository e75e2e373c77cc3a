//! `v1 Service`: rendered beside a Deployment when `config.service.ports` is set.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use serde_json::{Value, json};
use sisyphus_core::production::ServicePort;

use crate::error::Problem;
use crate::metadata::{Meta, NAME_LABEL, object, object_meta};
use crate::workload::{Sink, Workload};

/// The Service for `w`, or `None` when `ports` is empty. Each key must be a port the
/// application declares in this environment; `targetPort` is that port's name. Problems point
/// at the entry's key (for a duplicate name, the entry that repeats it).
pub(crate) fn render(
    w: &Workload<'_>,
    ports: &BTreeMap<String, ServicePort>,
    meta: &Meta,
    sink: &mut Sink,
) -> Option<Value> {
    if ports.is_empty() {
        return None;
    }
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = Vec::new();
    for (app_port, service_port) in ports {
        let name = service_port.name.as_deref().unwrap_or(app_port);
        match names.entry(name) {
            Entry::Occupied(first) => {
                let problem = Problem::DuplicateServicePort {
                    name: name.to_owned(),
                    first: (*first.get()).to_owned(),
                    second: app_port.clone(),
                };
                sink.problem_at(&service_port.location, problem);
            }
            Entry::Vacant(entry) => {
                entry.insert(app_port);
            }
        }
        let Some(port) = w.app.port(app_port) else {
            let problem = Problem::UnknownServicePort {
                port: app_port.clone(),
                environment: w.config.environment.clone(),
                declared: w.app.ports.iter().map(|p| p.name.clone()).collect(),
            };
            sink.problem_at(&service_port.location, problem);
            continue;
        };
        out.push(json!({
            "name": name,
            "port": service_port.number,
            "targetPort": app_port,
            "protocol": port.protocol.as_str(),
        }));
    }
    Some(object([
        ("apiVersion", "v1".into()),
        ("kind", "Service".into()),
        (
            "metadata",
            object_meta(w.name(), Some(w.namespace), &meta.labels, &meta.annotations),
        ),
        (
            "spec",
            object([
                ("selector", json!({NAME_LABEL: w.name()})),
                ("ports", Value::Array(out)),
            ]),
        ),
    ]))
}
