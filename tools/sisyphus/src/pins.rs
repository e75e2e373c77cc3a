//! What pins hold: a pinned resource's objects as of its history row, read back from the
//! state's history (`push_changes`), for the diff stage and for `sisyphus rollback`.

use std::collections::BTreeMap;

use sisyphus_core::change::Action;
use sisyphus_core::desired::DesiredObjects;
use sisyphus_core::pin::Pin;
use sisyphus_core::state::{ObjectId, StateSnapshot};
use sisyphus_diff::Pinned;
use sisyphus_state::{PushChange, Store};

/// Every pin with what it holds (see [`pinned_at`]).
///
/// # Errors
///
/// The state database fails, or holds an intent that is not JSON.
pub async fn pinned(store: &Store, state: &StateSnapshot) -> anyhow::Result<Vec<Pinned>> {
    let mut all = Vec::new();
    for pin in store.pins().await? {
        let changes = store.resource_changes(&pin.resource).await?;
        all.push(pinned_at(pin, &changes, state)?);
    }
    Ok(all)
}

/// What `pin` holds its resource at, from the resource's history `changes` (oldest first):
/// its objects as of `pin.to_push`, except those Sisyphus no longer manages (forgotten since:
/// not in `state`, and not deleted by a later push either), and every object the history
/// knows of it.
///
/// # Errors
///
/// A stored intent is not JSON (a database edited by hand).
pub fn pinned_at(
    pin: Pin,
    changes: &[PushChange],
    state: &StateSnapshot,
) -> anyhow::Result<Pinned> {
    let newest: BTreeMap<ObjectId, Action> = changes
        .iter()
        .map(|c| (ObjectId::of(&c.key), c.action))
        .collect();
    let mut objects = DesiredObjects::new();
    for change in sisyphus_state::as_of(changes, pin.to_push) {
        let id = ObjectId::of(&change.key);
        let managed = state.objects.contains_key(&id) || newest.get(&id) == Some(&Action::Delete);
        if !managed {
            continue;
        }
        if let Some(object) = change.desired()? {
            objects.insert(change.key.clone(), object);
        }
    }
    Ok(Pinned {
        pin,
        objects,
        known: newest.into_keys().collect(),
    })
}

/// `` `Deployment/web/echo` pinned to push 3 by `alice` on `ci-7` since ... ``.
pub fn pinned_by(pin: &Pin) -> String {
    format!(
        "`{}` pinned to push {} by `{}` on `{}` since {}",
        pin.target(),
        pin.to_push,
        pin.user,
        pin.host,
        sisyphus_state::Timestamp(pin.since_ms)
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sisyphus_core::desired::{ObjectKey, ResourceId};
    use sisyphus_core::production::ResourceKind;
    use sisyphus_core::state::RecordedObject;

    use super::*;

    fn echo() -> ResourceId {
        ResourceId {
            kind: ResourceKind::Deployment,
            folder: "web".into(),
            name: "echo".into(),
        }
    }

    fn key(name: &str) -> ObjectKey {
        ObjectKey {
            cluster: "east".into(),
            group: String::new(),
            version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("web".into()),
            name: name.into(),
        }
    }

    fn change(push_id: i64, name: &str, action: Action) -> PushChange {
        let intent = json!({"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": name, "namespace": "web"},
                            "data": {"push": push_id.to_string()}})
        .to_string();
        PushChange {
            push_id,
            key: key(name),
            action,
            resource: Some(echo()),
            before: None,
            after: None,
            before_intent: None,
            after_intent: (action != Action::Delete).then_some(intent),
            reasons: Vec::new(),
        }
    }

    fn recorded(name: &str) -> (ObjectId, RecordedObject) {
        (
            ObjectId::of(&key(name)),
            RecordedObject {
                key: key(name),
                applied: "{}".into(),
                applied_hash: String::new(),
                uid: None,
                resource_version: None,
                config: None,
                resource: Some(echo()),
                push_id: 1,
                created: true,
            },
        )
    }

    #[test]
    fn a_pin_holds_what_sisyphus_still_manages_as_of_its_push() {
        let changes = [
            change(1, "kept", Action::Create),
            change(1, "deleted", Action::Create),
            change(1, "forgotten", Action::Create),
            change(2, "kept", Action::Update),
            change(2, "deleted", Action::Delete),
            change(2, "new", Action::Create),
        ];
        // `forgotten` was dropped by `sisyphus forget`: in no state and never deleted.
        let state = StateSnapshot {
            objects: [recorded("kept"), recorded("new")].into_iter().collect(),
            generation: 7,
        };
        let pin = Pin {
            resource: echo(),
            to_push: 1,
            user: "alice".into(),
            host: "ci-7".into(),
            since_ms: 0,
            push_id: 3,
        };
        let pinned = pinned_at(pin, &changes, &state).unwrap();
        let names: Vec<&str> = pinned.objects.keys().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            ["deleted", "kept"],
            "deleted since: back; forgotten: not"
        );
        let kept = &pinned.objects[&key("kept")];
        assert_eq!(kept.object["data"]["push"], "1", "as of push 1");
        assert_eq!(kept.resource, Some(echo()));
        assert_eq!(pinned.known.len(), 4);
    }
}
