//! Picks one environment's values out of an [`AppSpec`] and checks what only makes sense per
//! environment: port conflicts and probes naming declared ports.

use std::collections::BTreeMap;

use starlark::codemap::FileSpan;

use sisyphus_core::app::{Application, EnvVar, HttpGetProbe, Port, Protocol, Resources, Value};

use crate::error::{Fallback, at};
use crate::spec::{AppSpec, PerEnv, PortSpec, ProbeSpec, ResourcesSpec, ValueSpec};
use crate::{Error, ports};

fn location(span: Option<&FileSpan>) -> String {
    match span {
        Some(s) => {
            let s = crate::rewrite::original_span(s);
            let r = s.resolve_span();
            format!(
                "{}:{}:{}",
                s.filename(),
                r.begin.line + 1,
                r.begin.column + 1
            )
        }
        None => "an unknown location".to_owned(),
    }
}

struct Resolver<'a> {
    environment: &'a str,
    fallback: &'a Fallback,
    app_span: Option<&'a FileSpan>,
}

impl Resolver<'_> {
    fn error(&self, span: Option<&FileSpan>, message: String) -> Error {
        Error::Config(Box::new(at(span.or(self.app_span), self.fallback, message)))
    }
}

fn value(spec: &ValueSpec) -> Value {
    match spec {
        ValueSpec::Literal(value) => Value::Literal {
            value: value.clone(),
        },
        ValueSpec::StringVariable(name) => Value::StringVariable { name: name.clone() },
        ValueSpec::FileVariable { name, path } => Value::FileVariable {
            name: name.clone(),
            path: path.clone(),
        },
        ValueSpec::Port(p) => Value::Port {
            name: p.name.clone(),
        },
    }
}

fn strings(entries: &[(String, PerEnv<String>)], env: &str) -> BTreeMap<String, String> {
    entries
        .iter()
        .filter_map(|(k, v)| v.pick(env).map(|v| (k.clone(), v.clone())))
        .collect()
}

/// Resolves `spec` for `environment`. `fallback` is where errors without a span point.
pub(crate) fn resolve(
    spec: &AppSpec,
    environment: &str,
    fallback: &Fallback,
) -> Result<Application, Error> {
    let r = Resolver {
        environment,
        fallback,
        app_span: spec.span.as_ref(),
    };
    r.check_label_keys(spec)?;
    let args: Vec<&ValueSpec> = spec
        .args
        .iter()
        .filter_map(|a| a.pick(environment))
        .collect();
    let env: Vec<(&String, &ValueSpec)> = spec
        .env
        .iter()
        .filter_map(|(k, v)| v.pick(environment).map(|v| (k, v)))
        .collect();
    let active: Vec<&PortSpec> = args
        .iter()
        .copied()
        .chain(env.iter().map(|(_, v)| *v))
        .filter_map(port_spec)
        .collect();
    let ports = r.ports(&active, &r.auto_numbers(spec)?)?;
    Ok(Application {
        args: args.into_iter().map(value).collect(),
        env: env
            .into_iter()
            .map(|(k, v)| EnvVar {
                name: k.clone(),
                value: value(v),
            })
            .collect(),
        resources: r.resources(spec.resources.as_ref()),
        labels: strings(&spec.labels, environment),
        annotations: strings(&spec.annotations, environment),
        liveness: r.probe("liveness", spec.liveness.as_ref(), &ports)?,
        readiness: r.probe("readiness", spec.readiness.as_ref(), &ports)?,
        startup: r.probe("startup", spec.startup.as_ref(), &ports)?,
        ports,
        environments: spec.environments(),
    })
}

/// The port of a value that is a `Port`.
fn port_spec(v: &ValueSpec) -> Option<&PortSpec> {
    match v {
        ValueSpec::Port(p) => Some(p),
        _ => None,
    }
}

impl Resolver<'_> {
    /// The number of every port declared without one, from every `Port` in every environment.
    fn auto_numbers(&self, spec: &AppSpec) -> Result<BTreeMap<String, u16>, Error> {
        let all_values = spec.args.iter().chain(spec.env.iter().map(|(_, v)| v));
        let all_ports: Vec<&PortSpec> = all_values
            .flat_map(PerEnv::all)
            .filter_map(port_spec)
            .collect();
        ports::assign(all_ports.iter().copied()).ok_or_else(|| {
            self.error(
                None,
                "cannot assign port numbers: expected at most 10000 ports without a number, \
                 found more"
                    .to_owned(),
            )
        })
    }

    /// The requests and limits set in this environment.
    fn resources(&self, spec: Option<&PerEnv<ResourcesSpec>>) -> Resources {
        match spec.and_then(|res| res.pick(self.environment)) {
            Some(res) => Resources {
                requests: strings(&res.requests, self.environment),
                limits: strings(&res.limits, self.environment),
            },
            None => Resources::default(),
        }
    }

    /// The probe `field` in this environment, checked to name one of `ports`.
    fn probe(
        &self,
        field: &str,
        spec: Option<&PerEnv<ProbeSpec>>,
        ports: &[Port],
    ) -> Result<Option<HttpGetProbe>, Error> {
        let Some(p) = spec.and_then(|p| p.pick(self.environment)) else {
            return Ok(None);
        };
        if !ports.iter().any(|port| port.name == p.port) {
            let declared: Vec<String> = ports.iter().map(|p| format!("`{}`", p.name)).collect();
            let declared = if declared.is_empty() {
                "none".to_owned()
            } else {
                declared.join(", ")
            };
            return Err(self.error(
                p.span.as_ref(),
                format!(
                    "Application `{field}`: expected a port name declared in environment \
                     `{}` (declared: {declared}), found `{}`",
                    self.environment, p.port
                ),
            ));
        }
        Ok(Some(HttpGetProbe {
            path: p.path.clone(),
            port: p.port.clone(),
            initial_delay_seconds: p.initial_delay,
            period_seconds: p.period,
            timeout_seconds: p.timeout,
            success_threshold: p.success_threshold,
            failure_threshold: p.failure_threshold,
        }))
    }

    /// Refuses a label or annotation keyed by an environment name with a per-environment
    /// value, such as `labels = {"prod": {"team": "web"}}`: that reads as label `prod` whose
    /// value exists in an environment named `team`, which is almost never what was meant.
    fn check_label_keys(&self, spec: &AppSpec) -> Result<(), Error> {
        let mentioned = spec.environments();
        for (field, entries) in [("labels", &spec.labels), ("annotations", &spec.annotations)] {
            for (key, value) in entries {
                let PerEnv::ByEnv(by_env) = value else {
                    continue;
                };
                // An environment name used as a key elsewhere, or the one being evaluated.
                let is_environment = (key == self.environment || mentioned.contains(key))
                    && !by_env.iter().any(|(inner, _)| inner == key);
                if is_environment {
                    let (inner, _) = &by_env[0];
                    return Err(self.error(
                        None,
                        format!(
                            "Application `{field}` entry `{key}`: expected a key with a value \
                             per environment (`{{\"{inner}\": {{\"{key}\": ...}}}}`), found the \
                             environment name `{key}` as the key of a dict keyed by `{inner}`"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Resolver<'_> {
    /// The ports active in this environment, sorted by name, numbers decided and checked.
    fn ports(
        &self,
        active: &[&PortSpec],
        auto: &BTreeMap<String, u16>,
    ) -> Result<Vec<Port>, Error> {
        let env = self.environment;
        // name -> (explicit number and where, protocol and where)
        let mut explicit: BTreeMap<&str, (u16, &PortSpec)> = BTreeMap::new();
        let mut protocol: BTreeMap<&str, &PortSpec> = BTreeMap::new();
        for p in active {
            if let Some(n) = p.number {
                if let Some((m, first)) = explicit.get(p.name.as_str()) {
                    if *m != n {
                        return Err(self.error(
                            p.span.as_ref(),
                            format!(
                                "port `{}` in environment `{env}`: expected one number, found {m} \
                                 (at {}) and {n}",
                                p.name,
                                location(first.span.as_ref())
                            ),
                        ));
                    }
                } else {
                    explicit.insert(&p.name, (n, p));
                }
            }
            match protocol.get(p.name.as_str()) {
                Some(first) if first.protocol != p.protocol => {
                    return Err(self.error(
                        p.span.as_ref(),
                        format!(
                            "port `{}` in environment `{env}`: expected one protocol, found {} \
                             (at {}) and {}",
                            p.name,
                            first.protocol.as_str(),
                            location(first.span.as_ref()),
                            p.protocol.as_str()
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    protocol.insert(&p.name, p);
                }
            }
        }
        let mut out = Vec::with_capacity(protocol.len());
        // Kubernetes allows one number twice with different protocols (DNS on 53/TCP and
        // 53/UDP), so a number is taken per protocol.
        let mut by_number: BTreeMap<(u16, Protocol), &PortSpec> = BTreeMap::new();
        for (name, p) in &protocol {
            let (number, assigned, decl) = match explicit.get(name) {
                Some((n, decl)) => (*n, false, *decl),
                None => match auto.get(*name) {
                    Some(n) => (*n, true, *p),
                    None => {
                        return Err(self.error(
                            p.span.as_ref(),
                            format!("internal error: port `{name}` has no number"),
                        ));
                    }
                },
            };
            if let Some(other) = by_number.get(&(number, p.protocol)) {
                return Err(self.error(
                    decl.span.as_ref(),
                    format!(
                        "port `{name}` in environment `{env}`: expected a number no other {} \
                         port uses, found {number}, which port `{}` (at {}) uses too",
                        p.protocol.as_str(),
                        other.name,
                        location(other.span.as_ref())
                    ),
                ));
            }
            by_number.insert((number, p.protocol), decl);
            out.push(Port {
                name: (*name).to_owned(),
                number,
                protocol: p.protocol,
                assigned,
            });
        }
        Ok(out)
    }
}
