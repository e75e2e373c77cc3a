//! `apps/v1 StatefulSet`: only replicas, ordinals, the template, the update strategy, the PVC
//! retention policy, minReadySeconds and revisionHistoryLimit may change. The selector, the
//! governing service, the volume claim templates and the pod management policy are fixed;
//! recreating would stop every pod at once, so such a change is refused. Deleting it by hand
//! with `--cascade=orphan` keeps the pods and the volumes.

use serde_json::Value;
use sisyphus_core::desired::ObjectKey;

use super::{Immutable, block_changed, delete_or_rename};

const FIELDS: [&[&str]; 4] = [
    &["spec", "selector"],
    &["spec", "serviceName"],
    &["spec", "volumeClaimTemplates"],
    &["spec", "podManagementPolicy"],
];

/// The StatefulSet fields that changed and cannot be changed by Sisyphus.
pub(super) fn immutable(key: &ObjectKey, before: &Value, after: &Value) -> Vec<Immutable> {
    block_changed(
        key,
        before,
        after,
        &FIELDS,
        "stop all its pods at once",
        &format!(
            "{} (the pods and their volumes stay)",
            delete_or_rename(key, "--cascade=orphan")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Fix, test_util::key};
    use super::*;
    use serde_json::json;

    fn set(service: &str, size: &str, replicas: u32) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
            "spec": {"serviceName": service, "replicas": replicas,
                     "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": size}}}}]}})
    }

    #[test]
    fn service_and_claims_are_blocked_replicas_are_not() {
        let k = key("apps/v1", "StatefulSet", "db");
        let found = immutable(&k, &set("db", "1Gi", 1), &set("db-2", "2Gi", 1));
        let fields: Vec<&str> = found.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["spec.serviceName", "spec.volumeClaimTemplates"]);
        assert!(found.iter().all(|f| f.fix == Fix::Block));
        assert!(
            found[0].reason.contains("--cascade=orphan"),
            "{}",
            found[0].reason
        );
        assert!(immutable(&k, &set("db", "1Gi", 1), &set("db", "1Gi", 3)).is_empty());
    }
}
