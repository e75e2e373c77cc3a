//! Checks across resources, once everything is read: where raw objects may live (namespaced vs
//! cluster-scoped, `global/` vs a namespace folder), filling in their namespace, and duplicate
//! objects per cluster.

use std::collections::HashMap;

use sisyphus_core::names;
use sisyphus_core::production::{GLOBAL_FOLDER, Resource, ResourceSpec, SourceLocation};

use crate::diag::Diagnostics;
use crate::loader::pos_of;
use crate::scope::{Scopes, group_of, str_at};

/// Check every raw object's scope and namespace (filling in the folder's namespace), then
/// report objects declared twice for the same cluster.
pub(crate) fn check_objects(resources: &mut [Resource], diags: &mut Diagnostics) {
    let scopes = Scopes::new(resources);
    for resource in resources.iter_mut() {
        let folder = resource.folder.clone();
        let ResourceSpec::KubernetesYaml(spec) = &mut resource.spec else {
            continue;
        };
        for object in &mut spec.objects {
            let o = &object.object;
            let api_version = str_at(o, &["apiVersion"]).unwrap_or_default().to_string();
            let kind = str_at(o, &["kind"]).unwrap_or_default().to_string();
            let name = str_at(o, &["metadata", "name"])
                .unwrap_or_default()
                .to_string();
            let namespace = str_at(o, &["metadata", "namespace"]).map(str::to_string);
            let cluster_scoped = scopes.is_cluster_scoped(&api_version, &kind);
            let what = format!("{kind} `{name}` ({api_version})");
            let (file, pos) = (object.location.file.clone(), pos_of(&object.location));
            if folder == GLOBAL_FOLDER {
                match (cluster_scoped, namespace) {
                    (true, Some(ns)) => diags.error(&file, pos, format!("{what} is cluster-scoped, so it must not set `metadata.namespace` (found `{ns}`)")),
                    (false, None) => diags.error(&file, pos, format!("{what} is namespaced: objects in `global/` must set `metadata.namespace`")),
                    (false, Some(ns)) if !names::is_dns1123_label(&ns) => diags.error(&file, pos, format!("invalid namespace `{ns}` for {what}: expected a DNS-1123 label")),
                    _ => {}
                }
            } else if cluster_scoped {
                diags.error(&file, pos, format!("{what} is cluster-scoped: declare it in `global/`, not in the namespace folder `{folder}/`"));
            } else {
                match namespace {
                    Some(ns) if ns != folder => diags.error(&file, pos, format!("{what} sets `metadata.namespace: {ns}`, but objects in folder `{folder}/` go to namespace `{folder}`; remove it, or declare the object in `global/`")),
                    Some(_) => {}
                    None => {
                        if let Some(meta) = object.object.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                            meta.insert("namespace".into(), serde_json::Value::String(folder.clone()));
                            meta.sort_keys();
                        }
                    }
                }
            }
        }
    }
    report_duplicates(resources, diags);
}

fn report_duplicates(resources: &[Resource], diags: &mut Diagnostics) {
    // (group, kind, namespace, name, cluster); only looked up, never iterated.
    type Key<'r> = (&'r str, &'r str, &'r str, &'r str, &'r str);
    let mut first: HashMap<Key<'_>, (&SourceLocation, &str)> = HashMap::new();
    for resource in resources {
        let ResourceSpec::KubernetesYaml(spec) = &resource.spec else {
            continue;
        };
        for object in &spec.objects {
            let o = &object.object;
            let api_version = str_at(o, &["apiVersion"]).unwrap_or_default();
            let kind = str_at(o, &["kind"]).unwrap_or_default();
            let name = str_at(o, &["metadata", "name"]).unwrap_or_default();
            let namespace = str_at(o, &["metadata", "namespace"]).unwrap_or_default();
            let mut clashes = Vec::new();
            for cluster in &spec.clusters {
                let key = (
                    group_of(api_version),
                    kind,
                    namespace,
                    name,
                    cluster.as_str(),
                );
                match first.get(&key) {
                    Some(loc) => clashes.push((cluster.as_str(), *loc)),
                    None => {
                        first.insert(key, (&object.location, resource.name.as_str()));
                    }
                }
            }
            if let Some((_, (loc, by))) = clashes.first() {
                let clusters: Vec<String> = clashes.iter().map(|(c, _)| format!("`{c}`")).collect();
                let place = if namespace.is_empty() {
                    String::new()
                } else {
                    format!(" in namespace `{namespace}`")
                };
                diags.error(
                    &object.location.file,
                    pos_of(&object.location),
                    format!(
                        "duplicate object {kind} `{name}` ({api_version}){place} for cluster {} in KubernetesYaml `{}`, first declared at {loc} by KubernetesYaml `{by}`",
                        clusters.join(", "),
                        resource.name
                    ),
                );
            }
        }
    }
}
