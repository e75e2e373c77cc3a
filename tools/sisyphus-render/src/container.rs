//! The pod spec of a Deployment or CronJob: one container named after the resource running the
//! pinned binary image with the config's args, env, ports, resources and probes, and one volume
//! per FileVariable (see `volumes`).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use sisyphus_core::app::{Application, HttpGetProbe, Value as AppValue, Variable};
use sisyphus_core::names::{host_env_var, is_dns1123_label};
use sisyphus_core::production::VariableSource;
use sisyphus_core::quantity;

use crate::error::Problem;
use crate::suggest;
use crate::volumes;
use crate::workload::{Sink, Workload};

/// Prefix of the env vars Sisyphus adds so a StringVariable in `args` can be written `$(VAR)`.
pub const ARG_ENV_PREFIX: &str = "SISYPHUS_VAR_";

/// The pod spec: `restartPolicy` (when given), `containers` and `volumes`.
pub(crate) fn pod_spec(w: &Workload<'_>, restart_policy: Option<&str>, sink: &mut Sink) -> Value {
    if !is_dns1123_label(w.name()) {
        sink.problem(Problem::InvalidName {
            name: w.name().to_owned(),
        });
    }
    check_bindings(w, sink);
    let files = volumes::file_volumes(w, sink);

    let mut container = Map::new();
    container.insert("name".into(), w.name().into());
    container.insert("image".into(), w.resolved.index.binary_reference().into());
    let mut arg_env = ArgEnv::default();
    let args: Vec<Value> = w
        .app
        .args
        .iter()
        .filter_map(|v| arg(w.app, v, &mut arg_env, sink).map(Value::String))
        .collect();
    if !args.is_empty() {
        container.insert("args".into(), args.into());
    }
    let mut env: Vec<Value> = w
        .app
        .env
        .iter()
        .filter_map(|e| env_var(w, &e.name, &e.value, sink))
        .collect();
    for (env_name, variable) in &arg_env.added {
        let value = AppValue::StringVariable {
            name: variable.clone(),
        };
        env.extend(env_var(w, env_name, &value, sink));
    }
    if !env.is_empty() {
        container.insert("env".into(), env.into());
    }
    let mut ports = w.app.ports.clone();
    ports.sort_by(|a, b| a.name.cmp(&b.name));
    if !ports.is_empty() {
        let ports: Vec<Value> = ports
            .iter()
            .map(|p| json!({"name": p.name, "containerPort": p.number, "protocol": p.protocol.as_str()}))
            .collect();
        container.insert("ports".into(), ports.into());
    }
    if let Some(resources) = resources(w.app, sink) {
        container.insert("resources".into(), resources);
    }
    if !files.mounts.is_empty() {
        container.insert("volumeMounts".into(), files.mounts.into());
    }
    for (which, field, probe) in probes(w.app) {
        if let Some(probe) = probe {
            container.insert(field.into(), http_get_probe(w.app, which, probe, sink));
        }
    }

    let mut spec = Map::new();
    if let Some(policy) = restart_policy {
        spec.insert("restartPolicy".into(), policy.into());
    }
    spec.insert(
        "containers".into(),
        Value::Array(vec![Value::Object(container)]),
    );
    if !files.volumes.is_empty() {
        spec.insert("volumes".into(), files.volumes.into());
    }
    Value::Object(spec)
}

/// `(name, field, probe)` for the three probes.
pub(crate) fn probes(
    app: &Application,
) -> [(&'static str, &'static str, Option<&HttpGetProbe>); 3] {
    [
        ("liveness", "livenessProbe", app.liveness.as_ref()),
        ("readiness", "readinessProbe", app.readiness.as_ref()),
        ("startup", "startupProbe", app.startup.as_ref()),
    ]
}

/// Every variable the config uses must be bound; a FileVariable must not be bound to a value.
fn check_bindings(w: &Workload<'_>, sink: &mut Sink) {
    // By name, then kind; a variable used both ways, or a FileVariable at two paths, once.
    let used: BTreeSet<(String, &'static str)> = w
        .app
        .variables()
        .into_iter()
        .map(|variable| match variable {
            Variable::String { name } => (name, "StringVariable"),
            Variable::File { name, .. } => (name, "FileVariable"),
        })
        .collect();
    let unused = w
        .config
        .variables
        .keys()
        .filter(|bound| !used.iter().any(|(name, _)| name == *bound))
        .map(String::as_str);
    for (name, kind) in &used {
        let kind = *kind;
        match w.binding(name) {
            None => {
                let bound_instead = suggest::closest(name, unused.clone());
                let problem = Problem::MissingVariable {
                    kind,
                    name: name.clone(),
                    bound_instead: bound_instead.map(str::to_owned),
                };
                // A likely typo: point at the misspelt binding rather than the resource.
                match bound_instead.and_then(|b| w.binding(b)) {
                    Some(binding) => sink.problem_at(&binding.location, problem),
                    None => sink.problem(problem),
                }
            }
            Some(binding) => {
                if kind == "FileVariable" && matches!(binding.source, VariableSource::Value(_)) {
                    sink.problem_at(
                        &binding.location,
                        Problem::FileVariableValue { name: name.clone() },
                    );
                }
            }
        }
    }
}

/// Env vars added for StringVariables used in `args`, in order of first use.
#[derive(Default)]
struct ArgEnv {
    /// `(env var name, variable name)`.
    added: Vec<(String, String)>,
}

/// Kubernetes expands `$(VAR)` in args and env values and turns `$$` into `$`; escaping every
/// `$` keeps a literal exactly as written.
pub(crate) fn escape(literal: &str) -> String {
    literal.replace('$', "$$")
}

fn arg(app: &Application, value: &AppValue, added: &mut ArgEnv, sink: &mut Sink) -> Option<String> {
    match value {
        AppValue::Literal { value } => Some(escape(value)),
        AppValue::FileVariable { path, .. } => Some(escape(path)),
        AppValue::Port { name } => port_number(app, name, sink),
        AppValue::StringVariable { name } => {
            let env = arg_env_name(app, name, added, sink)?;
            Some(format!("$({env})"))
        }
    }
}

/// The env var a StringVariable in `args` is read from: the one the config already maps to the
/// same variable, or `SISYPHUS_VAR_<NAME>` added for it.
fn arg_env_name(
    app: &Application,
    variable: &str,
    added: &mut ArgEnv,
    sink: &mut Sink,
) -> Option<String> {
    let wanted = AppValue::StringVariable {
        name: variable.to_owned(),
    };
    if let Some(existing) = app.env.iter().find(|e| e.value == wanted) {
        return Some(existing.name.clone());
    }
    let env = format!("{ARG_ENV_PREFIX}{}", host_env_var(variable));
    if app.env.iter().any(|e| e.name == env) {
        sink.problem(Problem::EnvVarConflict {
            env,
            variable: variable.to_owned(),
        });
        return None;
    }
    if let Some((_, first)) = added.added.iter().find(|(e, v)| *e == env && v != variable) {
        sink.problem(Problem::ArgVariablesClash {
            env,
            first: first.clone(),
            second: variable.to_owned(),
        });
        return None;
    }
    if !added.added.iter().any(|(e, _)| *e == env) {
        added.added.push((env.clone(), variable.to_owned()));
    }
    Some(env)
}

fn port_number(app: &Application, name: &str, sink: &mut Sink) -> Option<String> {
    match app.port(name) {
        Some(port) => Some(port.number.to_string()),
        None => {
            sink.problem(Problem::UnknownPort {
                name: name.to_owned(),
            });
            None
        }
    }
}

fn env_var(w: &Workload<'_>, name: &str, value: &AppValue, sink: &mut Sink) -> Option<Value> {
    let value = match value {
        AppValue::Literal { value } => json!({"name": name, "value": escape(value)}),
        AppValue::FileVariable { path, .. } => json!({"name": name, "value": escape(path)}),
        AppValue::Port { name: port } => {
            json!({"name": name, "value": port_number(w.app, port, sink)?})
        }
        // Unbound variables are reported once by `check_bindings`.
        AppValue::StringVariable { name: variable } => match &w.binding(variable)?.source {
            VariableSource::SecretKeyRef { name: secret, key } => {
                json!({"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}})
            }
            VariableSource::ConfigMapKeyRef { name: map, key } => {
                json!({"name": name, "valueFrom": {"configMapKeyRef": {"name": map, "key": key}}})
            }
            VariableSource::Value(value) => json!({"name": name, "value": escape(value)}),
        },
    };
    Some(value)
}

/// `{requests, limits}` with every quantity checked; `None` when both are empty.
fn resources(app: &Application, sink: &mut Sink) -> Option<Value> {
    let mut out = Map::new();
    for (section, values) in [
        ("requests", &app.resources.requests),
        ("limits", &app.resources.limits),
    ] {
        if values.is_empty() {
            continue;
        }
        for (resource, value) in values {
            let field = format!("{section}.{resource}");
            if let Err(source) = quantity::check(value) {
                sink.problem(Problem::Quantity { field, source });
            } else if is_negative(value) {
                sink.problem(Problem::NegativeQuantity {
                    field,
                    found: value.clone(),
                });
            }
        }
        out.insert(section.into(), crate::metadata::to_json(values));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Whether a valid quantity is below zero (`-1`, `-500m`; not `-0`).
fn is_negative(quantity: &str) -> bool {
    quantity.strip_prefix('-').is_some_and(|rest| {
        rest.bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .any(|b| matches!(b, b'1'..=b'9'))
    })
}

fn http_get_probe(
    app: &Application,
    which: &'static str,
    probe: &HttpGetProbe,
    sink: &mut Sink,
) -> Value {
    if app.port(&probe.port).is_none() {
        sink.problem(Problem::UnknownProbePort {
            probe: which,
            port: probe.port.clone(),
            declared: app.ports.iter().map(|p| p.name.clone()).collect(),
        });
    }
    let mut out = Map::new();
    out.insert(
        "httpGet".into(),
        json!({"path": probe.path, "port": probe.port, "scheme": "HTTP"}),
    );
    for (field, value) in [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("periodSeconds", probe.period_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ] {
        if let Some(value) = value {
            out.insert(field.into(), value.into());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::is_negative;

    #[test]
    fn only_quantities_below_zero_are_negative() {
        for q in ["-1", "-500m", "-0.5Gi", "-0.001"] {
            assert!(is_negative(q), "{q}");
        }
        for q in ["1", "+1", "-0", "-0.0", "0", "1e-3", "500m"] {
            assert!(!is_negative(q), "{q}");
        }
    }
}
