//! The Starlark types behind the builtins: `ctx`, `StringVariable`, `FileVariable`, `Port`,
//! `Resources`, `HttpGetProbe` and `Application`. Each wraps an immutable Rust value.
//!
//! `unsafe_code` is allowed in this module only because starlark's `ProvidesStaticType` derive
//! (required for every custom Starlark type) expands to an `unsafe impl`; there is no
//! hand-written unsafe code here.

#![allow(unsafe_code)]

use std::fmt;
use std::sync::Arc;

use allocative::Allocative;
use starlark::environment::{Methods, MethodsBuilder, MethodsStatic};
use starlark::starlark_simple_value;
use starlark::values::none::NoneOr;
use starlark::values::{NoSerialize, ProvidesStaticType, StarlarkValue};
use starlark_derive::{StarlarkPagablePanic, starlark_module, starlark_value};

use sisyphus_core::app::EvalContext;

use crate::spec::{AppSpec, PortSpec, ProbeSpec, ResourcesSpec};

/// Writes `Some("x")` as `"x"` and `None` as `None`.
struct OptStr<'a>(&'a Option<String>);

impl fmt::Display for OptStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, "{s:?}"),
            None => f.write_str("None"),
        }
    }
}

macro_rules! builtin_value {
    ($(#[$doc:meta])* $ty:ident($inner:ty), $name:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagablePanic)]
        pub(crate) struct $ty(#[allocative(skip)] pub(crate) Arc<$inner>);

        starlark_simple_value!($ty);

        #[starlark_value(type = $name)]
        impl<'v> StarlarkValue<'v> for $ty {}
    };
}

builtin_value!(
    /// `StringVariable(name)`.
    StringVariableValue(String),
    "StringVariable"
);

impl fmt::Display for StringVariableValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StringVariable({:?})", self.0)
    }
}

/// The contents of a `FileVariable`.
#[derive(Debug)]
pub(crate) struct FileVariableSpec {
    /// Variable name.
    pub(crate) name: String,
    /// Absolute path.
    pub(crate) path: String,
}

builtin_value!(
    /// `FileVariable(name=, path=)`.
    FileVariableValue(FileVariableSpec),
    "FileVariable"
);

impl fmt::Display for FileVariableValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FileVariable(name={:?}, path={:?})",
            self.0.name, self.0.path
        )
    }
}

builtin_value!(
    /// `Port(name=, number=, protocol=)`.
    PortValue(PortSpec),
    "Port"
);

impl fmt::Display for PortValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Port(name={:?}, number=", self.0.name)?;
        match self.0.number {
            Some(n) => write!(f, "{n}")?,
            None => f.write_str("None")?,
        }
        write!(f, ", protocol={:?})", self.0.protocol.as_str())
    }
}

builtin_value!(
    /// `Resources(requests=, limits=)`.
    ResourcesValue(ResourcesSpec),
    "Resources"
);

impl fmt::Display for ResourcesValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |entries: &[(String, _)]| {
            entries
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(
            f,
            "Resources(requests=[{}], limits=[{}])",
            names(&self.0.requests),
            names(&self.0.limits)
        )
    }
}

builtin_value!(
    /// `HttpGetProbe(...)`.
    ProbeValue(ProbeSpec),
    "HttpGetProbe"
);

impl fmt::Display for ProbeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HttpGetProbe(path={:?}, port={:?})",
            self.0.path, self.0.port
        )
    }
}

builtin_value!(
    /// `Application(...)`.
    ApplicationValue(AppSpec),
    "Application"
);

impl fmt::Display for ApplicationValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Application(args=<{} args>, env=<{} vars>)",
            self.0.args.len(),
            self.0.env.len()
        )
    }
}

/// The `ctx` argument of `main`.
#[derive(Debug, Clone, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagablePanic)]
pub(crate) struct ContextValue(#[allocative(skip)] pub(crate) Arc<EvalContext>);

starlark_simple_value!(ContextValue);

static CONTEXT_METHODS: MethodsStatic = MethodsStatic::new("sisyphus_context", context_methods);

#[starlark_value(type = "Context")]
impl<'v> StarlarkValue<'v> for ContextValue {
    fn get_methods() -> Option<&'static Methods> {
        Some(CONTEXT_METHODS.methods())
    }
}

impl fmt::Display for ContextValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.0;
        write!(
            f,
            "Context(name={}, namespace={}, cluster={}, environment={:?})",
            OptStr(&c.name),
            OptStr(&c.namespace),
            OptStr(&c.cluster),
            c.environment
        )
    }
}

fn opt(v: &Option<String>) -> NoneOr<String> {
    match v {
        Some(s) => NoneOr::Other(s.clone()),
        None => NoneOr::None,
    }
}

#[starlark_module]
fn context_methods(builder: &mut MethodsBuilder) {
    /// The resource name (`metadata.name`), or `None` when unknown.
    fn name(this: &ContextValue) -> starlark::Result<NoneOr<String>> {
        Ok(opt(&this.0.name))
    }

    /// The namespace (the production folder), or `None` when unknown.
    fn namespace(this: &ContextValue) -> starlark::Result<NoneOr<String>> {
        Ok(opt(&this.0.namespace))
    }

    /// The cluster (kubeconfig context name), or `None` when unknown.
    fn cluster(this: &ContextValue) -> starlark::Result<NoneOr<String>> {
        Ok(opt(&this.0.cluster))
    }

    /// The execution environment (`prod`, `test`, `dev`, ...).
    fn environment(this: &ContextValue) -> starlark::Result<NoneOr<String>> {
        let env = &this.0.environment;
        Ok(if env.is_empty() {
            NoneOr::None
        } else {
            NoneOr::Other(env.clone())
        })
    }
}
