//! `sisyphus render`: load → resolve → render, then print the desired objects per cluster.
//!
//! Glue only: `sisyphus_load` reads the monitored directory, `sisyphus_resolve` pins and pulls
//! config images (registries, the cache directory), `sisyphus_render` builds the objects. This
//! module filters clusters, masks Secret values, prints the objects on stdout and every warning
//! and error on stderr. Nothing is applied.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use serde_json::Value;
use sisyphus_core::desired::DesiredObject;
use sisyphus_core::production::{Plan, ResourceSpec};
use sisyphus_render::{DesiredObjects, RenderInput};

use super::image::{RegistryArgs, block_on, registry_client};
use crate::ExitStatus;
use crate::diagnostics::{load_problem, render_error};

/// What a masked Secret value is printed as.
const MASK: &str = "****";

/// Arguments of `sisyphus render`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The production folder: one subfolder per namespace, plus `global/`.
    #[arg(long, env = "MONITOR_DIRECTORY", value_name = "DIR")]
    pub monitor_directory: PathBuf,
    /// Only render for this cluster (a kubeconfig context name; repeatable). Default: every
    /// cluster a resource targets.
    #[arg(long = "cluster", value_name = "CLUSTER")]
    pub clusters: Vec<String>,
    /// `yaml`: one `---` document per object, after a `# cluster: <name>` comment; `json`:
    /// `{"<cluster>": [objects...]}`.
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
    /// Registry access.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Output formats of `sisyphus render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Multi-document YAML.
    Yaml,
    /// One JSON object keyed by cluster.
    Json,
}

/// Run the command.
///
/// # Errors
///
/// The monitored directory cannot be listed, there is no cache directory, or stdout/stderr are
/// closed. Problems in the folder, its config images or the render are printed here and give
/// [`ExitStatus::Error`].
pub fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let dir = &args.monitor_directory;
    let mut plan = match sisyphus_load::load(dir) {
        Ok(plan) => plan,
        Err(sisyphus_load::Error::Invalid { diagnostics, .. }) => {
            let errors = diagnostics.iter().map(load_problem).collect();
            return report(&args, errors);
        }
        Err(err) => return Err(err.into()),
    };
    if !args.clusters.is_empty() {
        restrict_to_clusters(&mut plan, &args.clusters)?;
    }

    let client = registry_client(&args.registry);
    let cache = crate::settings::cache_dir()?;
    let options = sisyphus_resolve::Options::default();
    let (resolved, mut errors) = block_on(async {
        Ok(
            match sisyphus_resolve::resolve(&plan, &client, &cache, &options).await {
                Ok(resolved) => (resolved, Vec::new()),
                Err(e) => {
                    let shown = e.errors.into_iter().map(resolve_error).collect();
                    (e.resolved, shown)
                }
            },
        )
    })?;

    // After resolve errors, still render what resolved: every problem is reported in one run.
    let resources = if errors.is_empty() {
        plan.production.resources
    } else {
        plan.production
            .resources
            .into_iter()
            .filter(|r| app_image(&r.spec).is_none_or(|image| resolved.contains_key(image)))
            .collect()
    };
    let input = RenderInput {
        resources: &resources,
        configs: &resolved,
    };
    let rendered = match sisyphus_render::render(&input) {
        Ok(rendered) => Some(rendered),
        Err(e) => {
            errors.extend(
                e.0.into_iter()
                    .map(|e| render_error(&anyhow::Error::new(e))),
            );
            None
        }
    };
    if let Some(rendered) = &rendered {
        let mut stderr = std::io::stderr().lock();
        for warning in &rendered.warnings {
            writeln!(stderr, "warning: {warning}").context("failed to write to stderr")?;
        }
    }
    match rendered {
        Some(rendered) if errors.is_empty() => {
            let text = match args.format {
                Format::Yaml => yaml(&rendered.objects)?,
                Format::Json => json(&rendered.objects)?,
            };
            crate::printer::stdout(&text)?;
            Ok(ExitStatus::Success)
        }
        _ => report(&args, errors),
    }
}

/// The `config.image` of a Deployment or CronJob.
fn app_image(spec: &ResourceSpec) -> Option<&String> {
    match spec {
        ResourceSpec::Deployment(d) => Some(&d.config.image),
        ResourceSpec::CronJob(c) => Some(&c.config.image),
        ResourceSpec::KubernetesYaml(_) => None,
    }
}

/// Keep only `clusters`; a cluster that is neither declared nor targeted is an error (a typo
/// would otherwise print nothing and succeed).
fn restrict_to_clusters(plan: &mut Plan, clusters: &[String]) -> anyhow::Result<()> {
    let production = &mut plan.production;
    let mut known: BTreeSet<String> = production
        .targeted_clusters()
        .into_iter()
        .map(str::to_owned)
        .collect();
    known.extend(production.declared_clusters.iter().flatten().cloned());
    for cluster in clusters {
        if !known.contains(cluster) {
            let list: Vec<String> = known.iter().map(|c| format!("`{c}`")).collect();
            bail!(
                "unknown cluster `{cluster}` in `--cluster`: no resource targets it and \
                 `clusters.yaml` does not declare it (expected one of {})",
                list.join(", ")
            );
        }
    }
    production.retain_clusters(&clusters.iter().cloned().collect());
    Ok(())
}

/// A resolve error in the house format (the renderer finds the registry's hint in the chain),
/// followed by a blank line when it has a hint.
fn resolve_error(e: sisyphus_resolve::Error) -> String {
    let has_hint = e.hint().is_some();
    let mut text = render_error(&anyhow::Error::new(e));
    if has_hint {
        text.push('\n');
    }
    text
}

/// Print every error, then a count naming the directory locations are relative to.
fn report(args: &Args, errors: Vec<String>) -> anyhow::Result<ExitStatus> {
    let mut out = errors.concat().trim_end().to_owned();
    out.push_str(&format!(
        "\n\n{} error(s) in `{}` (locations are relative to it); no objects printed\n",
        errors.len(),
        args.monitor_directory.display()
    ));
    std::io::stderr()
        .lock()
        .write_all(out.as_bytes())
        .context("failed to write to stderr")?;
    Ok(ExitStatus::Error)
}

/// The object as printed: a Secret's `data` and `stringData` values are masked (whole, when
/// they are not mappings).
fn shown(desired: &DesiredObject) -> Value {
    let mut object = desired.object.clone();
    let is_secret = desired.secret || (object["apiVersion"] == "v1" && object["kind"] == "Secret");
    if is_secret {
        for field in ["data", "stringData"] {
            match object.get_mut(field) {
                Some(Value::Object(values)) => {
                    for value in values.values_mut() {
                        *value = Value::String(MASK.to_owned());
                    }
                }
                Some(Value::Null) | None => {}
                // Not a mapping (the API server refuses it, but it must not leak here).
                Some(other) => *other = Value::String(MASK.to_owned()),
            }
        }
    }
    object
}

/// `---`, `# cluster: <name>`, then the object, for every object in key order. Multi-line
/// strings are literal blocks (`|`); long single-line strings stay on one line.
fn yaml(objects: &DesiredObjects) -> anyhow::Result<String> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    let mut out = String::new();
    for (key, desired) in objects {
        let text =
            serde_saphyr::to_string_with_options(&YamlValue(&shown(desired)), options.clone())
                .with_context(|| format!("failed to write {key} as YAML"))?;
        out.push_str("---\n# cluster: ");
        out.push_str(&key.cluster);
        out.push('\n');
        out.push_str(&text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// `{"<cluster>": [objects...]}`, clusters and objects in key order.
fn json(objects: &DesiredObjects) -> anyhow::Result<String> {
    let mut by_cluster = serde_json::Map::new();
    for (key, desired) in objects {
        let list = by_cluster
            .entry(key.cluster.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            list.push(shown(desired));
        }
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(by_cluster))
        .context("failed to write the objects as JSON")?;
    text.push('\n');
    Ok(text)
}

/// A JSON value serialized with plain numbers. (`serde_json::Number` serializes as a private
/// struct under serde_json's `arbitrary_precision` feature, which a dependency turns on.)
struct YamlValue<'a>(&'a Value);

impl serde::Serialize for YamlValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap as _, SerializeSeq as _};
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    s.serialize_u64(u)
                } else if let Some(i) = n.as_i64() {
                    s.serialize_i64(i)
                } else if let Some(f) = n.as_f64() {
                    s.serialize_f64(f)
                } else {
                    s.serialize_str(&n.to_string())
                }
            }
            Value::String(text) => s.serialize_str(text),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&YamlValue(item))?;
                }
                seq.end()
            }
            Value::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, &YamlValue(v))?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(object: Value, secret: bool) -> DesiredObject {
        DesiredObject {
            object,
            resource: None,
            location: None,
            config: None,
            secret,
        }
    }

    #[test]
    fn yaml_has_plain_numbers_literal_blocks_and_one_line_long_strings() {
        let long = format!(
            "registry.example/{}@sha256:{}",
            "a".repeat(60),
            "0".repeat(64)
        );
        let value = serde_json::json!({
            "num": 80, "neg": -1, "f": 0.5, "s": "80", "multi": "a\nb\n", "long": long, "none": null
        });
        let mut options = serde_saphyr::SerializerOptions::default();
        options.folded_wrap_chars = usize::MAX;
        let text = serde_saphyr::to_string_with_options(&YamlValue(&value), options).expect("yaml");
        assert_eq!(
            text,
            format!(
                "num: 80\nneg: -1\nf: 0.5\ns: \"80\"\nmulti: |\n  a\n  b\nlong: {long}\nnone: null\n"
            )
        );
    }

    #[test]
    fn secret_values_are_masked_on_a_copy() {
        let secret = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"a": "c2VjcmV0"}, "stringData": {"b": "secret"}
        });
        for flagged in [true, false] {
            let desired = object(secret.clone(), flagged);
            let shown = shown(&desired);
            assert_eq!(shown["data"]["a"], MASK);
            assert_eq!(shown["stringData"]["b"], MASK);
            assert_eq!(desired.object["stringData"]["b"], "secret");
        }
        let odd = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": "c2VjcmV0", "stringData": [{"password": "hunter2"}]
        });
        let shown_odd = shown(&object(odd, true));
        assert_eq!(shown_odd["data"], MASK);
        assert_eq!(shown_odd["stringData"], MASK);
        let config_map =
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "x"}});
        assert_eq!(shown(&object(config_map.clone(), false)), config_map);
    }
}
