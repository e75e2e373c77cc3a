//! `apps/v1 Deployment`: one per footprint cluster.

use serde_json::{Value, json};
use sisyphus_core::production::FootprintEntry;

use crate::container;
use crate::error::Problem;
use crate::metadata::{Meta, NAME_LABEL, object, object_meta, template_meta};
use crate::workload::{Sink, Workload};

/// The Deployment for `w` with the replicas of its footprint `entry` for this cluster (at most
/// `i32::MAX`: Kubernetes stores replicas as a 32-bit integer).
///
/// The config-image annotation is on the Deployment only, not on the pod template: pods roll
/// when what they run changes (image, args, env, ...), not when an identical config is re-tagged.
pub(crate) fn render(
    w: &Workload<'_>,
    entry: &FootprintEntry,
    meta: &Meta,
    sink: &mut Sink,
) -> Value {
    let replicas = entry.replicas;
    if i32::try_from(replicas).is_err() {
        sink.problem_at(&entry.location, Problem::TooManyReplicas { replicas });
    }
    let annotations = meta.workload_annotations(w, sink);
    let template = object([
        ("metadata", template_meta(&meta.labels, &meta.annotations)),
        ("spec", container::pod_spec(w, None, sink)),
    ]);
    let spec = object([
        ("replicas", replicas.into()),
        ("selector", json!({"matchLabels": {NAME_LABEL: w.name()}})),
        ("template", template),
    ]);
    object([
        ("apiVersion", "apps/v1".into()),
        ("kind", "Deployment".into()),
        (
            "metadata",
            object_meta(w.name(), Some(w.namespace), &meta.labels, &annotations),
        ),
        ("spec", spec),
    ])
}
