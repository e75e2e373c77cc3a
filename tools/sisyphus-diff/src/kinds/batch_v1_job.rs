//! `batch/v1 Job`: the pod template, the selector and the shape of the run (completions,
//! completion mode, failure and success policies) are fixed at creation. Recreating a Job is
//! safe: it runs again with the new spec, which is what changing it means.

use serde_json::Value;
use sisyphus_core::desired::ObjectKey;

use super::{Immutable, recreate_changed};

const FIELDS: [&[&str]; 8] = [
    &["spec", "template"],
    &["spec", "selector"],
    &["spec", "completions"],
    &["spec", "completionMode"],
    &["spec", "podFailurePolicy"],
    &["spec", "successPolicy"],
    &["spec", "backoffLimitPerIndex"],
    &["spec", "managedBy"],
];

/// The Job fields that changed and force a recreate.
pub(super) fn immutable(key: &ObjectKey, before: &Value, after: &Value) -> Vec<Immutable> {
    recreate_changed(key, before, after, &FIELDS, "the Job runs again")
}

#[cfg(test)]
mod tests {
    use super::super::{Fix, test_util::key};
    use super::*;
    use serde_json::json;

    fn job(image: &str, parallelism: u32) -> Value {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
            "spec": {"parallelism": parallelism, "template": {"spec": {"containers": [{"name": "m", "image": image}]}}}})
    }

    #[test]
    fn template_recreates_parallelism_does_not() {
        let k = key("batch/v1", "Job", "migrate");
        let found = immutable(&k, &job("a", 1), &job("b", 1));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "spec.template");
        assert_eq!(found[0].fix, Fix::Recreate);
        assert!(
            found[0].reason.contains("runs again"),
            "{}",
            found[0].reason
        );
        assert!(immutable(&k, &job("a", 1), &job("a", 3)).is_empty());
    }
}
