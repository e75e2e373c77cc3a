//! The global environment of a config: the Starlark standard library plus `Application`,
//! `StringVariable`, `FileVariable`, `Port`, `Resources` and `HttpGetProbe`.
//!
//! Each builtin checks and converts its arguments into [`crate::spec`] values at call time, so
//! errors point at the call and name the argument, what was expected and what was found.

#![allow(non_snake_case)] // Builtin names are Starlark constructors: `Port`, `Application`, ...
#![allow(clippy::too_many_arguments)] // Builtins mirror their keyword arguments.

use std::num::NonZeroI32;
use std::sync::{Arc, LazyLock};

use anyhow::{anyhow, bail};
use starlark::codemap::FileSpan;
use starlark::environment::{Globals, GlobalsBuilder, LibraryExtension};
use starlark::eval::Evaluator;
use starlark::values::dict::DictRef;
use starlark::values::list::ListRef;
use starlark::values::range::Range;
use starlark::values::tuple::TupleRef;
use starlark::values::{FrozenValue, Value};
use starlark_derive::starlark_module;

use sisyphus_core::app::Protocol;
use sisyphus_core::names;

use crate::sandbox::{MAX_RANGE_LEN, MAX_VALUE_DEPTH, NESTED_TOO_DEEPLY, too_deep};
use crate::spec::{AppSpec, PerEnv, PortSpec, ProbeSpec, ResourcesSpec, ValueSpec};
use crate::values::{
    ApplicationValue, FileVariableSpec, FileVariableValue, PortValue, ProbeValue, ResourcesValue,
    StringVariableValue,
};

/// The globals every config module sees (built once).
pub(crate) fn globals() -> &'static Globals {
    static GLOBALS: LazyLock<Globals> = LazyLock::new(|| {
        GlobalsBuilder::extended_by(&[
            LibraryExtension::StructType,
            LibraryExtension::RecordType,
            LibraryExtension::EnumType,
            LibraryExtension::Map,
            LibraryExtension::Filter,
            LibraryExtension::Partial,
            LibraryExtension::Debug,
            LibraryExtension::Print,
            LibraryExtension::Json,
        ])
        .with(sisyphus_builtins)
        .with(crate::guard::guarded_operators)
        .with(crate::methods::guarded_methods)
        .with_namespace("json", json_members)
        .build()
    });
    &GLOBALS
}

const VALUE_EXPECTED: &str =
    "a string, int, float, bool, StringVariable, FileVariable, Port or None";

/// A readable type name for "found ..." messages.
pub(crate) fn describe(v: Value) -> String {
    match v.get_type() {
        "string" => format!("string {}", v.to_repr()),
        "NoneType" => "None".to_owned(),
        "int" | "float" | "bool" => format!("{} `{}`", v.get_type(), v.to_repr()),
        other => other.to_owned(),
    }
}

/// The text of a scalar (str as is, bool `true`/`false`, int decimal, float Starlark display).
fn scalar_text(v: Value) -> Option<String> {
    if let Some(s) = v.unpack_str() {
        return Some(s.to_owned());
    }
    if let Some(b) = v.unpack_bool() {
        return Some(if b { "true" } else { "false" }.to_owned());
    }
    match v.get_type() {
        "int" | "float" => Some(v.to_str()),
        _ => None,
    }
}

fn value_leaf(v: Value, what: &str) -> anyhow::Result<ValueSpec> {
    if let Some(s) = scalar_text(v) {
        return Ok(ValueSpec::Literal(s));
    }
    if let Some(var) = StringVariableValue::from_value(v) {
        return Ok(ValueSpec::StringVariable(var.0.as_ref().clone()));
    }
    if let Some(var) = FileVariableValue::from_value(v) {
        return Ok(ValueSpec::FileVariable {
            name: var.0.name.clone(),
            path: var.0.path.clone(),
        });
    }
    if let Some(port) = PortValue::from_value(v) {
        return Ok(ValueSpec::Port(port.0.as_ref().clone()));
    }
    bail!("{what}: expected {VALUE_EXPECTED}, found {}", describe(v))
}

fn string_leaf(v: Value, what: &str) -> anyhow::Result<String> {
    match v.unpack_str() {
        Some(s) => Ok(s.to_owned()),
        None => bail!("{what}: expected a string or None, found {}", describe(v)),
    }
}

fn quantity_leaf(v: Value, what: &str) -> anyhow::Result<String> {
    match v.get_type() {
        "string" | "int" | "float" => Ok(v
            .unpack_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_str())),
        _ => bail!(
            "{what}: expected a string, int, float or None, found {}",
            describe(v)
        ),
    }
}

fn probe_leaf(v: Value, what: &str) -> anyhow::Result<ProbeSpec> {
    match ProbeValue::from_value(v) {
        Some(p) => Ok(p.0.as_ref().clone()),
        None => bail!(
            "{what}: expected an HttpGetProbe or None, found {}",
            describe(v)
        ),
    }
}

fn resources_leaf(v: Value, what: &str) -> anyhow::Result<ResourcesSpec> {
    match ResourcesValue::from_value(v) {
        Some(r) => Ok(r.0.as_ref().clone()),
        None => bail!(
            "{what}: expected Resources(...) or None, found {}",
            describe(v)
        ),
    }
}

/// A value that may be a dict keyed by environment name.
fn per_env<T>(
    v: Value,
    what: &str,
    leaf: fn(Value, &str) -> anyhow::Result<T>,
) -> anyhow::Result<PerEnv<T>> {
    if v.is_none() {
        return Ok(PerEnv::Always(None));
    }
    let Some(dict) = DictRef::from_value(v) else {
        return Ok(PerEnv::Always(Some(leaf(v, what)?)));
    };
    let mut entries = Vec::with_capacity(dict.len());
    for (k, val) in dict.iter() {
        let Some(env) = k.unpack_str() else {
            bail!(
                "{what}: expected a per-environment dict keyed by environment name, found key {}",
                describe(k)
            );
        };
        let what = format!("{what} for environment `{env}`");
        if val.is_none() {
            entries.push((env.to_owned(), None));
        } else if DictRef::from_value(val).is_some() {
            bail!("{what}: expected a single value, found a nested dict");
        } else {
            entries.push((env.to_owned(), Some(leaf(val, &what)?)));
        }
    }
    Ok(PerEnv::ByEnv(entries))
}

/// The entries of an optional dict argument, keys checked as strings.
fn dict_entries<'v>(v: Option<Value<'v>>, what: &str) -> anyhow::Result<Vec<(String, Value<'v>)>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    let Some(dict) = DictRef::from_value(v) else {
        bail!("{what}: expected a dict, found {}", describe(v));
    };
    dict.iter()
        .map(|(k, val)| match k.unpack_str() {
            Some(k) => Ok((k.to_owned(), val)),
            None => Err(anyhow!(
                "{what}: expected string keys, found key {}",
                describe(k)
            )),
        })
        .collect()
}

fn required_str(v: Value, what: &str) -> anyhow::Result<String> {
    match v.unpack_str() {
        Some(s) => Ok(s.to_owned()),
        None => bail!("{what}: expected a string, found {}", describe(v)),
    }
}

/// Variable names are looked up in Sisyphus YAML `variables` and (upper-snake-cased) in the host
/// environment: letters, digits, `-`, `_`, `.`.
fn variable_name(v: Value, what: &str) -> anyhow::Result<String> {
    let name = required_str(v, what)?;
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !ok {
        bail!("{what}: expected a name of letters, digits, `-`, `_` or `.`, found {name:?}");
    }
    Ok(name)
}

fn optional_int(v: Option<Value>, what: &str, min: i32) -> anyhow::Result<Option<i32>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if v.get_type() != "int" {
        bail!("{what}: expected an int or None, found {}", describe(v));
    }
    match v.unpack_i32() {
        Some(n) if n >= min => Ok(Some(n)),
        _ => bail!(
            "{what}: expected an int of at least {min}, found {}",
            v.to_repr()
        ),
    }
}

fn location(eval: &Evaluator) -> Option<FileSpan> {
    eval.call_stack_top_location()
}

/// Whether `path` is absolute and normalized: `/a/b`, no `.`/`..`/empty segments, not `/`.
fn is_absolute_normalized(path: &str) -> bool {
    match path.strip_prefix('/') {
        Some(rest) => rest
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != ".."),
        None => false,
    }
}

/// Fails when `x` is nested too deeply for the recursive operation `what` (see
/// [`crate::sandbox`]).
fn check_depth(x: Value, what: &str) -> anyhow::Result<()> {
    if too_deep(x, MAX_VALUE_DEPTH) {
        bail!(
            "`{what}`: {NESTED_TOO_DEEPLY}: expected at most {MAX_VALUE_DEPTH} levels of lists, \
             tuples, dicts and structs, found more"
        );
    }
    Ok(())
}

/// The standard `json` namespace, whose `decode` our `json.decode` calls.
fn standard_json() -> Option<FrozenValue> {
    static STANDARD: LazyLock<Globals> =
        LazyLock::new(|| Globals::extended_by(&[LibraryExtension::Json]));
    STANDARD
        .iter()
        .find_map(|(name, value)| (name == "json").then_some(value))
}

/// The standard `int`, which our `int` calls.
fn standard_int() -> Option<FrozenValue> {
    static STANDARD: LazyLock<Globals> = LazyLock::new(Globals::standard);
    STANDARD
        .iter()
        .find_map(|(name, value)| (name == "int").then_some(value))
}

/// A `range()` argument as an `i32`, or an error naming it and what was found.
fn range_arg(v: Value, what: &str) -> anyhow::Result<i32> {
    if let Some(i) = v.unpack_i32() {
        return Ok(i);
    }
    if v.get_type() == "int" {
        bail!(
            "`range()` {what}: expected an int from {} to {}, found {}",
            i32::MIN,
            i32::MAX,
            crate::guard::short_repr(v)
        );
    }
    bail!("`range()` {what}: expected an int, found {}", describe(v))
}

#[starlark_module]
fn json_members(builder: &mut GlobalsBuilder) {
    /// `json.encode(x)`, refusing values nested too deeply.
    fn encode(#[starlark(require = pos)] x: Value) -> anyhow::Result<String> {
        check_depth(x, "json.encode()")?;
        crate::guard::check_text(x, "json.encode()")?;
        x.to_json()
    }

    /// `json.decode(x)`: the standard one.
    fn decode<'v>(
        #[starlark(require = pos)] x: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Value<'v>> {
        if let Some(text) = x.unpack_str() {
            crate::guard::check_digits(text, "json.decode()", false)?;
        }
        let decode = standard_json()
            .and_then(|json| {
                json.to_value()
                    .get_attr("decode", eval.heap())
                    .ok()
                    .flatten()
            })
            .ok_or_else(|| anyhow!("internal error: the standard `json.decode` is missing"))?;
        eval.eval_function(decode, &[x], &[])
            .map_err(starlark::Error::into_anyhow)
    }
}

#[starlark_module]
fn sisyphus_builtins(builder: &mut GlobalsBuilder) {
    /// `range()` as in the Starlark spec, refusing more than `MAX_RANGE_LEN` elements (a
    /// `list()` of it would be one huge allocation that no step limit sees).
    fn range(
        #[starlark(require = pos)] a1: Value,
        #[starlark(require = pos)] a2: Option<Value>,
        #[starlark(require = pos)] step: Option<Value>,
    ) -> anyhow::Result<Range> {
        let (start, stop) = match a2 {
            None => (0, range_arg(a1, "`stop`")?),
            Some(stop) => (range_arg(a1, "`start`")?, range_arg(stop, "`stop`")?),
        };
        let step = match step {
            Some(step) => range_arg(step, "`step`")?,
            None => 1,
        };
        let Some(step) = NonZeroI32::new(step) else {
            bail!("`range()` `step`: expected a non-zero int, found 0");
        };
        let (start, stop, by) = (i64::from(start), i64::from(stop), i64::from(step.get()));
        let len = if by > 0 {
            (stop - start + by - 1).max(0) / by
        } else {
            (start - stop - by - 1).max(0) / -by
        };
        if len > MAX_RANGE_LEN {
            bail!(
                "`range()`: expected at most {MAX_RANGE_LEN} elements, found {len} (configs \
                 have no use for more; the step limit would stop a loop over them anyway)"
            );
        }
        Ok(Range::new(
            i32::try_from(start)?,
            i32::try_from(stop)?,
            step,
        ))
    }

    /// `str(x)`, refusing values nested too deeply.
    fn str(#[starlark(require = pos)] x: Value) -> anyhow::Result<String> {
        check_depth(x, "str()")?;
        crate::guard::check_text(x, "str()")?;
        Ok(x.to_str())
    }

    /// `repr(x)`, refusing values nested too deeply.
    fn repr(#[starlark(require = pos)] x: Value) -> anyhow::Result<String> {
        check_depth(x, "repr()")?;
        crate::guard::check_text(x, "repr()")?;
        Ok(x.to_repr())
    }

    /// `int(x, base=...)`, refusing strings of more digits than an int may have.
    fn int<'v>(
        #[starlark(require = pos)] x: Option<Value<'v>>,
        base: Option<Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<Value<'v>> {
        if let Some(text) = x.and_then(Value::unpack_str) {
            crate::guard::check_digits(text, "int()", true)?;
        }
        let int = standard_int()
            .ok_or_else(|| anyhow!("internal error: the standard `int` is missing"))?;
        let positional: Vec<Value> = x.into_iter().collect();
        let named: Vec<(&str, Value)> = base.map(|b| ("base", b)).into_iter().collect();
        eval.eval_function(int.to_value(), &positional, &named)
            .map_err(starlark::Error::into_anyhow)
    }

    /// A string variable bound per resource (`variables` in Sisyphus YAML) or read from the host
    /// environment in local runs.
    fn StringVariable<'v>(name: Value<'v>) -> anyhow::Result<StringVariableValue> {
        let name = variable_name(name, "StringVariable `name`")?;
        Ok(StringVariableValue(Arc::new(name)))
    }

    /// A file variable: the bound secret is mounted at `path`; its value is the path.
    fn FileVariable<'v>(
        #[starlark(require = named)] name: Value<'v>,
        #[starlark(require = named)] path: Value<'v>,
    ) -> anyhow::Result<FileVariableValue> {
        let name = variable_name(name, "FileVariable `name`")?;
        let path = required_str(path, "FileVariable `path`")?;
        if !is_absolute_normalized(&path) {
            bail!(
                "FileVariable `path`: expected an absolute, normalized file path like \
                 `/etc/app/creds.json`, found {path:?}"
            );
        }
        Ok(FileVariableValue(Arc::new(FileVariableSpec { name, path })))
    }

    /// A container port. `number=None` lets Sisyphus assign one (see docs/starlark.md).
    fn Port<'v>(
        #[starlark(require = named)] name: Value<'v>,
        #[starlark(require = named)] number: Option<Value<'v>>,
        #[starlark(require = named)] protocol: Option<Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<PortValue> {
        let name = required_str(name, "Port `name`")?;
        if !names::is_port_name(&name) {
            bail!(
                "Port `name`: expected at most 15 lowercase letters, digits or `-` with at least \
                 one letter (IANA service name), found {name:?}"
            );
        }
        let number = match number.filter(|v| !v.is_none()) {
            None => None,
            Some(v) if v.get_type() == "int" => match v.unpack_i32() {
                Some(n) if (1..=65535).contains(&n) => u16::try_from(n).ok(),
                _ => bail!(
                    "Port `number`: expected 1 to 65535 or None, found {}",
                    v.to_repr()
                ),
            },
            Some(v) => bail!(
                "Port `number`: expected an int or None, found {}",
                describe(v)
            ),
        };
        let protocol = match protocol.filter(|v| !v.is_none()) {
            None => Protocol::Tcp,
            Some(v) => match v.unpack_str() {
                Some("TCP") => Protocol::Tcp,
                Some("UDP") => Protocol::Udp,
                Some("SCTP") => Protocol::Sctp,
                _ => bail!(
                    "Port `protocol`: expected \"TCP\", \"UDP\" or \"SCTP\", found {}",
                    describe(v)
                ),
            },
        };
        Ok(PortValue(Arc::new(PortSpec {
            name,
            number,
            protocol,
            span: location(eval),
        })))
    }

    /// Resource requests and limits: dicts of resource name to quantity (per environment).
    fn Resources<'v>(
        #[starlark(require = named)] requests: Option<Value<'v>>,
        #[starlark(require = named)] limits: Option<Value<'v>>,
    ) -> anyhow::Result<ResourcesValue> {
        let convert = |v: Option<Value<'v>>,
                       field: &str|
         -> anyhow::Result<Vec<(String, PerEnv<String>)>> {
            dict_entries(v, &format!("Resources `{field}`"))?
                .into_iter()
                .map(|(name, val)| {
                    let what = format!("Resources `{field}` entry `{name}`");
                    if !names::is_qualified_name(&name) {
                        bail!("{what}: expected a resource name like `cpu`, `memory` or `example.com/gpu`, found {name:?}");
                    }
                    Ok((name, per_env(val, &what, quantity_leaf)?))
                })
                .collect()
        };
        Ok(ResourcesValue(Arc::new(ResourcesSpec {
            requests: convert(requests, "requests")?,
            limits: convert(limits, "limits")?,
        })))
    }

    /// An HTTP GET probe against a named port.
    fn HttpGetProbe<'v>(
        #[starlark(require = named)] path: Value<'v>,
        #[starlark(require = named)] port: Value<'v>,
        #[starlark(require = named)] initial_delay: Option<Value<'v>>,
        #[starlark(require = named)] period: Option<Value<'v>>,
        #[starlark(require = named)] timeout: Option<Value<'v>>,
        #[starlark(require = named)] success_threshold: Option<Value<'v>>,
        #[starlark(require = named)] failure_threshold: Option<Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<ProbeValue> {
        let path = required_str(path, "HttpGetProbe `path`")?;
        if !path.starts_with('/') {
            bail!("HttpGetProbe `path`: expected an HTTP path starting with `/`, found {path:?}");
        }
        let port = match port.unpack_str() {
            Some(p) => p.to_owned(),
            None if PortValue::from_value(port).is_some() => bail!(
                "HttpGetProbe `port`: expected the name of a port (a string), found a Port; \
                 write port=\"<name>\""
            ),
            None => bail!(
                "HttpGetProbe `port`: expected a port name string, found {}",
                describe(port)
            ),
        };
        Ok(ProbeValue(Arc::new(ProbeSpec {
            path,
            port,
            initial_delay: optional_int(initial_delay, "HttpGetProbe `initial_delay`", 0)?,
            period: optional_int(period, "HttpGetProbe `period`", 1)?,
            timeout: optional_int(timeout, "HttpGetProbe `timeout`", 1)?,
            success_threshold: optional_int(
                success_threshold,
                "HttpGetProbe `success_threshold`",
                1,
            )?,
            failure_threshold: optional_int(
                failure_threshold,
                "HttpGetProbe `failure_threshold`",
                1,
            )?,
            span: location(eval),
        })))
    }

    /// What `main(ctx)` returns.
    fn Application<'v>(
        #[starlark(require = named)] args: Option<Value<'v>>,
        #[starlark(require = named)] env: Option<Value<'v>>,
        #[starlark(require = named)] resources: Option<Value<'v>>,
        #[starlark(require = named)] labels: Option<Value<'v>>,
        #[starlark(require = named)] annotations: Option<Value<'v>>,
        #[starlark(require = named)] liveness: Option<Value<'v>>,
        #[starlark(require = named)] readiness: Option<Value<'v>>,
        #[starlark(require = named)] startup: Option<Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<ApplicationValue> {
        let span = location(eval);
        Ok(ApplicationValue(Arc::new(application(
            args,
            env,
            resources,
            labels,
            annotations,
            liveness,
            readiness,
            startup,
            span,
        )?)))
    }
}

/// Refuses `resources = {"requests": ...}`: a dict there is keyed by environment, so
/// `requests` would be read as an environment name.
fn check_not_bare_resources(v: Value) -> anyhow::Result<()> {
    let Some(dict) = DictRef::from_value(v) else {
        return Ok(());
    };
    if let Some(key) = dict
        .keys()
        .filter_map(|k| k.unpack_str())
        .find(|k| *k == "requests" || *k == "limits")
    {
        bail!(
            "Application `resources`: expected Resources(requests = {{...}}, limits = {{...}}) \
             or a dict of them keyed by environment, found a dict with key `{key}`; write \
             resources = Resources({key} = {{...}})"
        );
    }
    Ok(())
}

fn application<'v>(
    args: Option<Value<'v>>,
    env: Option<Value<'v>>,
    resources: Option<Value<'v>>,
    labels: Option<Value<'v>>,
    annotations: Option<Value<'v>>,
    liveness: Option<Value<'v>>,
    readiness: Option<Value<'v>>,
    startup: Option<Value<'v>>,
    span: Option<FileSpan>,
) -> anyhow::Result<AppSpec> {
    let mut spec = AppSpec {
        span,
        ..AppSpec::default()
    };
    if let Some(args) = args.filter(|v| !v.is_none()) {
        let items: Vec<Value> = if let Some(list) = ListRef::from_value(args) {
            list.iter().collect()
        } else if let Some(tuple) = TupleRef::from_value(args) {
            tuple.iter().collect()
        } else {
            bail!(
                "Application `args`: expected a list or tuple, found {}",
                describe(args)
            );
        };
        for (i, item) in items.into_iter().enumerate() {
            spec.args.push(per_env(
                item,
                &format!("Application `args[{i}]`"),
                value_leaf,
            )?);
        }
    }
    for (name, val) in dict_entries(env, "Application `env`")? {
        if !names::is_env_var_name(&name) {
            bail!(
                "Application `env`: expected an environment variable name of letters, digits, \
                 `_`, `-` or `.` not starting with a digit, found {name:?}"
            );
        }
        let what = format!("Application `env` entry `{name}`");
        spec.env.push((name, per_env(val, &what, value_leaf)?));
    }
    if let Some(r) = resources {
        check_not_bare_resources(r)?;
        spec.resources = Some(per_env(r, "Application `resources`", resources_leaf)?);
    }
    for (field, dict, out) in [
        ("labels", labels, &mut spec.labels),
        ("annotations", annotations, &mut spec.annotations),
    ] {
        for (key, val) in dict_entries(dict, &format!("Application `{field}`"))? {
            if !names::is_qualified_name(&key) {
                bail!(
                    "Application `{field}`: expected a key like `team` or `example.com/team` \
                     (optional DNS prefix, at most 63 letters, digits, `-`, `_`, `.`), found {key:?}"
                );
            }
            let what = format!("Application `{field}` entry `{key}`");
            let value = per_env(val, &what, string_leaf)?;
            if field == "labels" {
                for v in value.all() {
                    if !names::is_label_value(v) {
                        bail!(
                            "{what}: expected a label value (at most 63 letters, digits, `-`, \
                             `_`, `.`, starting and ending with a letter or digit), found {v:?}"
                        );
                    }
                }
            }
            out.push((key, value));
        }
    }
    for (field, v, out) in [
        ("liveness", liveness, &mut spec.liveness),
        ("readiness", readiness, &mut spec.readiness),
        ("startup", startup, &mut spec.startup),
    ] {
        if let Some(v) = v {
            *out = Some(per_env(v, &format!("Application `{field}`"), probe_leaf)?);
        }
    }
    Ok(spec)
}
