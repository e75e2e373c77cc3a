//! Labels and annotations: Starlark values merged with the Sisyphus YAML ones (YAML wins), plus
//! the ones Sisyphus sets itself.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sisyphus_core::names::{is_label_value, is_qualified_name};

use crate::error::{Problem, WarningKind};
use crate::workload::{Sink, Workload};

pub use sisyphus_core::labels::{
    CONFIG_IMAGE_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL, NAME_LABEL,
};

/// Starlark labels ∪ YAML `metadata.labels` (YAML wins), then the forced name and managed-by
/// labels (a different user value is ignored with a warning).
pub(crate) fn labels(w: &Workload<'_>, sink: &mut Sink) -> BTreeMap<String, String> {
    let mut labels = w.app.labels.clone();
    labels.extend(w.resource.labels.clone());
    force(&mut labels, "label", NAME_LABEL, w.name(), sink);
    force(&mut labels, "label", MANAGED_BY_LABEL, MANAGED_BY, sink);
    for (key, value) in &labels {
        if !is_qualified_name(key) || !is_label_value(value) {
            sink.problem(Problem::InvalidMetadata {
                what: "label",
                key: key.clone(),
                value: value.clone(),
            });
        }
    }
    labels
}

/// Starlark annotations ∪ YAML `metadata.annotations` (YAML wins).
pub(crate) fn annotations(w: &Workload<'_>, sink: &mut Sink) -> BTreeMap<String, String> {
    let mut annotations = w.app.annotations.clone();
    annotations.extend(w.resource.annotations.clone());
    for (key, value) in &annotations {
        if !is_qualified_name(key) {
            sink.problem(Problem::InvalidMetadata {
                what: "annotation",
                key: key.clone(),
                value: value.clone(),
            });
        }
    }
    annotations
}

/// Set `key` to `value`, warning when the user had set another value.
pub(crate) fn force(
    map: &mut BTreeMap<String, String>,
    what: &'static str,
    key: &str,
    value: &str,
    sink: &mut Sink,
) {
    if let Some(old) = map.insert(key.to_owned(), value.to_owned())
        && old != value
    {
        sink.warn(WarningKind::Overridden {
            what,
            key: key.to_owned(),
            ignored: old,
            used: value.to_owned(),
        });
    }
}

/// A string map as a JSON object, in key order.
pub(crate) fn to_json(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<_, _>>(),
    )
}

/// `{name, namespace, labels, annotations}`, leaving out empty maps.
pub(crate) fn object_meta(
    name: &str,
    namespace: Option<&str>,
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), name.into());
    if let Some(ns) = namespace {
        meta.insert("namespace".into(), ns.into());
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), to_json(labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), to_json(annotations));
    }
    Value::Object(meta)
}

/// A pod or job template's metadata: `{labels, annotations}`, leaving out empty maps.
pub(crate) fn template_meta(
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Value {
    let mut meta = Map::new();
    if !labels.is_empty() {
        meta.insert("labels".into(), to_json(labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), to_json(annotations));
    }
    Value::Object(meta)
}

/// A workload's labels and annotations, computed once per (resource, cluster) and shared by the
/// objects rendered from it.
pub(crate) struct Meta {
    /// Merged labels, forced ones included.
    pub labels: BTreeMap<String, String>,
    /// Merged annotations (without the config-image annotation).
    pub annotations: BTreeMap<String, String>,
}

impl Meta {
    /// Merge labels and annotations for `w`.
    pub fn new(w: &Workload<'_>, sink: &mut Sink) -> Self {
        Meta {
            labels: labels(w, sink),
            annotations: annotations(w, sink),
        }
    }

    /// The annotations of a Deployment or CronJob: with the pinned config image.
    pub fn workload_annotations(
        &self,
        w: &Workload<'_>,
        sink: &mut Sink,
    ) -> BTreeMap<String, String> {
        let mut out = self.annotations.clone();
        force(
            &mut out,
            "annotation",
            CONFIG_IMAGE_ANNOTATION,
            &w.resolved.reference,
            sink,
        );
        out
    }
}

/// A JSON object from `(key, value)` pairs, moving the values (`json!` would deep-copy every
/// interpolated `Value` through serde).
pub(crate) fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
