//! The application as `main(ctx)` built it, before an environment is chosen.
//!
//! Builtins convert their Starlark arguments into these plain Rust values at call time, so the
//! Starlark heap can be dropped as soon as `main` returns. Per-environment dicts stay as
//! [`PerEnv::ByEnv`] until [`crate::resolve`] picks one entry.

use starlark::codemap::FileSpan;

use sisyphus_core::app::Protocol;

/// A value that may vary per environment.
#[derive(Debug, Clone)]
pub(crate) enum PerEnv<T> {
    /// The same in every environment (`None`: never set).
    Always(Option<T>),
    /// A dict keyed by environment name; a missing key or `None` means "not set".
    ByEnv(Vec<(String, Option<T>)>),
}

impl<T> PerEnv<T> {
    /// The value for `environment`, if set there.
    pub(crate) fn pick(&self, environment: &str) -> Option<&T> {
        match self {
            PerEnv::Always(v) => v.as_ref(),
            PerEnv::ByEnv(entries) => entries
                .iter()
                .find(|(env, _)| env == environment)
                .and_then(|(_, v)| v.as_ref()),
        }
    }

    /// The environment names this value is keyed by (none for [`PerEnv::Always`]).
    pub(crate) fn environments(&self) -> impl Iterator<Item = &str> {
        let entries: &[(String, Option<T>)] = match self {
            PerEnv::Always(_) => &[],
            PerEnv::ByEnv(entries) => entries,
        };
        entries.iter().map(|(env, _)| env.as_str())
    }

    /// Every value in every environment branch.
    pub(crate) fn all(&self) -> Vec<&T> {
        match self {
            PerEnv::Always(v) => v.iter().collect(),
            PerEnv::ByEnv(entries) => entries.iter().filter_map(|(_, v)| v.as_ref()).collect(),
        }
    }
}

/// An arg or env value before resolution.
#[derive(Debug, Clone)]
pub(crate) enum ValueSpec {
    /// A literal, already converted to text.
    Literal(String),
    /// `StringVariable(name)`.
    StringVariable(String),
    /// `FileVariable(name=, path=)`.
    FileVariable {
        /// Variable name.
        name: String,
        /// Absolute path in the container.
        path: String,
    },
    /// `Port(...)`.
    Port(PortSpec),
}

/// `Port(name=, number=, protocol=)` as written.
#[derive(Debug, Clone)]
pub(crate) struct PortSpec {
    /// Port name.
    pub(crate) name: String,
    /// Explicit number, if given.
    pub(crate) number: Option<u16>,
    /// Protocol.
    pub(crate) protocol: Protocol,
    /// Where `Port(...)` was called.
    pub(crate) span: Option<FileSpan>,
}

/// `Resources(requests=, limits=)` as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResourcesSpec {
    /// Requests by resource name.
    pub(crate) requests: Vec<(String, PerEnv<String>)>,
    /// Limits by resource name.
    pub(crate) limits: Vec<(String, PerEnv<String>)>,
}

/// `HttpGetProbe(...)` as written.
#[derive(Debug, Clone)]
pub(crate) struct ProbeSpec {
    /// HTTP path.
    pub(crate) path: String,
    /// Port name.
    pub(crate) port: String,
    /// `initial_delay`.
    pub(crate) initial_delay: Option<i32>,
    /// `period`.
    pub(crate) period: Option<i32>,
    /// `timeout`.
    pub(crate) timeout: Option<i32>,
    /// `success_threshold`.
    pub(crate) success_threshold: Option<i32>,
    /// `failure_threshold`.
    pub(crate) failure_threshold: Option<i32>,
    /// Where `HttpGetProbe(...)` was called.
    pub(crate) span: Option<FileSpan>,
}

/// `Application(...)` as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct AppSpec {
    /// Args in order.
    pub(crate) args: Vec<PerEnv<ValueSpec>>,
    /// Env vars in declaration order.
    pub(crate) env: Vec<(String, PerEnv<ValueSpec>)>,
    /// Resources.
    pub(crate) resources: Option<PerEnv<ResourcesSpec>>,
    /// Labels.
    pub(crate) labels: Vec<(String, PerEnv<String>)>,
    /// Annotations.
    pub(crate) annotations: Vec<(String, PerEnv<String>)>,
    /// Liveness probe.
    pub(crate) liveness: Option<PerEnv<ProbeSpec>>,
    /// Readiness probe.
    pub(crate) readiness: Option<PerEnv<ProbeSpec>>,
    /// Startup probe.
    pub(crate) startup: Option<PerEnv<ProbeSpec>>,
    /// Where `Application(...)` was called.
    pub(crate) span: Option<FileSpan>,
}

impl AppSpec {
    /// Every environment name any per-environment value mentions, nested ones included.
    pub(crate) fn environments(&self) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut add = |names: &mut dyn Iterator<Item = &str>| {
            out.extend(names.map(str::to_owned));
        };
        for a in &self.args {
            add(&mut a.environments());
        }
        for (_, v) in &self.env {
            add(&mut v.environments());
        }
        for (_, v) in self.labels.iter().chain(&self.annotations) {
            add(&mut v.environments());
        }
        if let Some(res) = &self.resources {
            add(&mut res.environments());
            for r in res.all() {
                for (_, v) in r.requests.iter().chain(&r.limits) {
                    add(&mut v.environments());
                }
            }
        }
        for probe in [&self.liveness, &self.readiness, &self.startup]
            .into_iter()
            .flatten()
        {
            add(&mut probe.environments());
        }
        out
    }
}
