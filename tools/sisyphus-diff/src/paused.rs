//! Pauses: the changes a paused resource or namespace holds leave the change set, so neither
//! `diff` nor `push` makes them, and are returned as [`Skipped`] entries saying who paused
//! what, when and why. Pure: no I/O.

use std::collections::BTreeSet;

use sisyphus_core::change::{Action, ChangeSet};
use sisyphus_core::pause::{Pause, Skipped, is_namespace_object};

/// Moves every write (update, recreate, delete, create, adopt) held by one of `pauses` out of
/// `changes`, and with it any refusal (`blocked`) of that object. A Namespace deletion that
/// would take paused objects with it is skipped too. Unchanged objects stay where they are.
/// Returns the skipped changes in change-set order.
pub fn skip_paused(changes: &mut ChangeSet, pauses: &[Pause]) -> Vec<Skipped> {
    if pauses.is_empty() {
        return Vec::new();
    }
    // (cluster, namespace) → the first pause holding an object in it (to skip its deletion).
    let mut held_namespaces: Vec<((String, String), &Pause)> = Vec::new();
    let held = |change: &sisyphus_core::change::Change| {
        pauses.iter().find(|pause| pause.target.holds(change))
    };
    for change in &changes.changes {
        if let (Some(pause), Some(ns)) = (held(change), change.key.namespace.as_ref()) {
            let place = (change.key.cluster.clone(), ns.clone());
            if !held_namespaces.iter().any(|(p, _)| *p == place) {
                held_namespaces.push((place, pause));
            }
        }
    }
    let mut skipped = Vec::new();
    let mut kept = Vec::with_capacity(changes.changes.len());
    for change in std::mem::take(&mut changes.changes) {
        if !change.action.is_change() {
            kept.push(change);
            continue;
        }
        if let Some(pause) = held(&change) {
            skipped.push(Skipped {
                change,
                pause: pause.clone(),
                why: None,
            });
            continue;
        }
        let holding = (change.action == Action::Delete)
            .then(|| {
                held_namespaces.iter().find(|((cluster, ns), _)| {
                    *cluster == change.key.cluster && is_namespace_object(&change.key, ns)
                })
            })
            .flatten();
        match holding {
            Some((_, pause)) => skipped.push(Skipped {
                why: Some(format!(
                    "the namespace holds objects of the paused `{}`",
                    pause.target
                )),
                change,
                pause: (*pause).clone(),
            }),
            None => kept.push(change),
        }
    }
    changes.changes = kept;
    let gone: BTreeSet<_> = skipped.iter().map(|s| &s.change.key).collect();
    changes.blocked.retain(|b| !gone.contains(&b.key));
    skipped
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sisyphus_core::change::Change;
    use sisyphus_core::desired::{DesiredObject, ObjectKey, ResourceId};
    use sisyphus_core::pause::PauseTarget;
    use sisyphus_core::production::ResourceKind;
    use sisyphus_core::state::RecordedObject;

    fn key(kind: &str, ns: Option<&str>, name: &str) -> ObjectKey {
        ObjectKey {
            cluster: "east".into(),
            group: if kind == "Deployment" { "apps" } else { "" }.into(),
            version: "v1".into(),
            kind: kind.into(),
            namespace: ns.map(Into::into),
            name: name.into(),
        }
    }

    fn resource(name: &str) -> ResourceId {
        ResourceId {
            kind: ResourceKind::Deployment,
            folder: "web".into(),
            name: name.into(),
        }
    }

    fn change(key: ObjectKey, action: Action, resource: Option<ResourceId>) -> Change {
        let desired = (action != Action::Delete).then(|| DesiredObject {
            object: json!({}),
            resource: resource.clone(),
            location: None,
            config: None,
            secret: false,
        });
        let recorded = (action != Action::Create).then(|| RecordedObject {
            key: key.clone(),
            applied: "{}".into(),
            applied_hash: String::new(),
            uid: None,
            resource_version: None,
            config: None,
            resource,
            push_id: 1,
            created: true,
        });
        Change {
            key,
            action,
            desired,
            recorded,
            reasons: Vec::new(),
        }
    }

    fn pause(target: PauseTarget) -> Pause {
        Pause {
            target,
            user: "alice".into(),
            host: "ci-7".into(),
            since_ms: 0,
            reason: Some("incident".into()),
        }
    }

    #[test]
    fn a_paused_resource_and_its_namespace_deletion_are_skipped() {
        let mut changes = ChangeSet {
            changes: vec![
                change(
                    key("Deployment", Some("web"), "echo"),
                    Action::Delete,
                    Some(resource("echo")),
                ),
                change(
                    key("Deployment", Some("web"), "other"),
                    Action::Update,
                    Some(resource("other")),
                ),
                change(
                    key("Deployment", Some("web"), "same"),
                    Action::Unchanged,
                    Some(resource("echo")),
                ),
                change(key("Namespace", None, "web"), Action::Delete, None),
            ],
            blocked: vec![sisyphus_core::change::Blocked {
                key: key("Deployment", Some("web"), "echo"),
                field: "spec.selector".into(),
                reason: "immutable".into(),
            }],
        };
        let skipped = skip_paused(
            &mut changes,
            &[pause(PauseTarget::Resource(resource("echo")))],
        );
        let names: Vec<(&str, Option<&str>)> = skipped
            .iter()
            .map(|s| (s.change.key.name.as_str(), s.why.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("echo", None),
                (
                    "web",
                    Some("the namespace holds objects of the paused `Deployment/web/echo`")
                )
            ]
        );
        let left: Vec<&str> = changes
            .changes
            .iter()
            .map(|c| c.key.name.as_str())
            .collect();
        assert_eq!(left, ["other", "same"]);
        assert!(changes.blocked.is_empty());
    }

    #[test]
    fn a_paused_namespace_holds_everything_in_it_and_nothing_else() {
        let mut changes = ChangeSet {
            changes: vec![
                change(key("ConfigMap", Some("web"), "a"), Action::Create, None),
                change(key("ConfigMap", Some("api"), "b"), Action::Create, None),
                change(key("Namespace", None, "web"), Action::Create, None),
            ],
            blocked: Vec::new(),
        };
        let skipped = skip_paused(&mut changes, &[pause(PauseTarget::Namespace("web".into()))]);
        assert_eq!(skipped.len(), 2);
        assert_eq!(changes.changes.len(), 1);
        assert_eq!(changes.changes[0].key.name, "b");
        assert!(skip_paused(&mut changes, &[]).is_empty());
    }
}
