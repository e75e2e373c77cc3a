//! `v1 Service`: a cluster IP, once set, cannot change, and neither can the primary IP family
//! or a LoadBalancer's `loadBalancerClass`. A Service becoming or ceasing to be an
//! `ExternalName` changes in place (the API server clears or allocates the IPs), so IPs are not
//! compared then. Recreating for a new cluster IP is safe: clients find Services by name, and
//! the Service has no endpoints only for a moment. Recreating for a new load balancer class is
//! refused: the Service would get a new external address.

use serde_json::Value;
use sisyphus_core::desired::ObjectKey;

use super::{Fix, Immutable, at, block, delete_or_rename, dotted, shown};

fn text<'a>(object: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(object, path)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn first<'a>(object: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(object, path)
        .and_then(|list| list.get(0))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn service_type(object: &Value) -> &str {
    text(object, &["spec", "type"]).unwrap_or("ClusterIP")
}

/// The Service fields that changed and force a recreate or are refused.
pub(super) fn immutable(key: &ObjectKey, before: &Value, after: &Value) -> Vec<Immutable> {
    if service_type(before) == "ExternalName" || service_type(after) == "ExternalName" {
        return Vec::new();
    }
    let mut found = Vec::new();
    let pairs = [
        (
            ["spec", "clusterIP"],
            text(before, &["spec", "clusterIP"]),
            text(after, &["spec", "clusterIP"]),
        ),
        (
            ["spec", "clusterIPs"],
            first(before, &["spec", "clusterIPs"]),
            first(after, &["spec", "clusterIPs"]),
        ),
        (
            ["spec", "ipFamilies"],
            first(before, &["spec", "ipFamilies"]),
            first(after, &["spec", "ipFamilies"]),
        ),
    ];
    for (path, was, wanted) in pairs {
        if let (Some(was), Some(wanted)) = (was, wanted)
            && was != wanted
        {
            let field = dotted(&path);
            found.push(Immutable {
                reason: format!(
                    "`{field}` of a Service cannot change in place ({} → {}): it is deleted and \
                     created again (it has no endpoints for a moment)",
                    shown(Some(&Value::String(was.to_owned()))),
                    shown(Some(&Value::String(wanted.to_owned())))
                ),
                field,
                fix: Fix::Recreate,
            });
        }
    }
    let class = ["spec", "loadBalancerClass"];
    if service_type(before) == "LoadBalancer"
        && service_type(after) == "LoadBalancer"
        && text(before, &class).is_some()
        && text(before, &class) != text(after, &class)
    {
        found.push(block(
            key,
            &dotted(&class),
            "give it a new external address",
            &delete_or_rename(key, ""),
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::super::test_util::key;
    use super::*;
    use serde_json::json;

    fn service(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec})
    }

    #[test]
    fn a_new_cluster_ip_recreates() {
        let k = key("v1", "Service", "web");
        let found = immutable(
            &k,
            &service(json!({"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"]})),
            &service(json!({"clusterIP": "None", "clusterIPs": ["None"]})),
        );
        let fields: Vec<&str> = found.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["spec.clusterIP", "spec.clusterIPs"]);
        assert!(found.iter().all(|f| f.fix == Fix::Recreate));
        assert!(
            found[0].reason.contains("`10.0.0.1` → `None`"),
            "{}",
            found[0].reason
        );
    }

    #[test]
    fn setting_an_ip_or_switching_to_external_name_changes_in_place() {
        let k = key("v1", "Service", "web");
        let before = service(json!({"clusterIP": "10.0.0.1"}));
        assert!(immutable(&k, &service(json!({})), &before).is_empty());
        assert!(immutable(&k, &before, &service(json!({"clusterIP": ""}))).is_empty());
        let external = service(
            json!({"type": "ExternalName", "externalName": "example.com", "clusterIP": "x"}),
        );
        assert!(immutable(&k, &before, &external).is_empty());
        assert!(immutable(&k, &external, &before).is_empty());
    }

    #[test]
    fn a_new_load_balancer_class_is_blocked() {
        let k = key("v1", "Service", "web");
        let lb = |class: &str| service(json!({"type": "LoadBalancer", "loadBalancerClass": class}));
        let found = immutable(&k, &lb("a"), &lb("b"));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].field.as_str(), found[0].fix),
            ("spec.loadBalancerClass", Fix::Block)
        );
    }
}
