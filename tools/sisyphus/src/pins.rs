//! What pins hold: a pinned resource's objects as of its history row, read back from the
//! state's history (`push_changes`), for the diff stage and for `sisyphus rollback`.

use std::collections::BTreeMap;

use sisyphus_core::change::Action;
use sisyphus_core::desired::DesiredObjects;
use sisyphus_core::pin::Pin;
use sisyphus_core::state::{ObjectId, StateSnapshot};
use sisyphus_diff::Pinned;
use sisyphus_state::{ChangeRef, PushChange, Store};

/// Every pin with what it holds (see [`load`]).
///
/// # Errors
///
/// The state database fails, or holds an intent that is not JSON.
pub async fn pinned(store: &Store, state: &StateSnapshot) -> anyhow::Result<Vec<Pinned>> {
    let mut all = Vec::new();
    for pin in store.pins().await? {
        let history = store.resource_history(&pin.resource).await?;
        all.push(load(store, pin, &history, state).await?);
    }
    Ok(all)
}

/// What `pin` holds its resource at, given the resource's `history` (oldest first): the rows
/// [`held_rows`] picks, read whole.
///
/// # Errors
///
/// The state database fails, or holds an intent that is not JSON.
pub async fn load(
    store: &Store,
    pin: Pin,
    history: &[ChangeRef],
    state: &StateSnapshot,
) -> anyhow::Result<Pinned> {
    let rows = store
        .changes_by_id(&held_rows(&pin, history, state))
        .await?;
    pinned_from(pin, history, &rows)
}

/// The history rows `pin` holds its resource at: per object, its newest change at or before
/// `pin.to_push` unless that deleted it, and only for objects Sisyphus still manages (in
/// `state`, or deleted by a later push; one forgotten since is not brought back).
pub fn held_rows(pin: &Pin, history: &[ChangeRef], state: &StateSnapshot) -> Vec<i64> {
    let newest: BTreeMap<ObjectId, Action> = history
        .iter()
        .map(|c| (ObjectId::of(&c.key), c.action))
        .collect();
    sisyphus_state::as_of(history, pin.to_push)
        .into_iter()
        .filter(|change| {
            let id = ObjectId::of(&change.key);
            state.objects.contains_key(&id) || newest.get(&id) == Some(&Action::Delete)
        })
        .map(|change| change.id)
        .collect()
}

/// The pin with the objects of `rows` (read by [`held_rows`]'s ids) and every object
/// `history` knows.
///
/// # Errors
///
/// A stored intent is not JSON (a database edited by hand).
pub fn pinned_from(pin: Pin, history: &[ChangeRef], rows: &[PushChange]) -> anyhow::Result<Pinned> {
    let mut objects = DesiredObjects::new();
    for row in rows {
        if let Some(object) = row.desired()? {
            objects.insert(row.key.clone(), object);
        }
    }
    Ok(Pinned {
        pin,
        objects,
        known: history.iter().map(|c| ObjectId::of(&c.key)).collect(),
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

    fn change(id: i64, push_id: i64, name: &str, action: Action) -> (ChangeRef, PushChange) {
        let intent = json!({"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": name, "namespace": "web"},
                            "data": {"push": push_id.to_string()}})
        .to_string();
        (
            ChangeRef {
                id,
                push_id,
                action,
                key: key(name),
            },
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
            },
        )
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
        let (history, rows): (Vec<ChangeRef>, Vec<PushChange>) = [
            change(1, 1, "kept", Action::Create),
            change(2, 1, "deleted", Action::Create),
            change(3, 1, "forgotten", Action::Create),
            change(4, 2, "kept", Action::Update),
            change(5, 2, "deleted", Action::Delete),
            change(6, 2, "new", Action::Create),
        ]
        .into_iter()
        .unzip();
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
        let ids = held_rows(&pin, &history, &state);
        assert_eq!(
            ids,
            [2, 1],
            "deleted since: back; forgotten: not (in object order)"
        );
        let read: Vec<PushChange> = rows
            .into_iter()
            .zip(&history)
            .filter(|(_, h)| ids.contains(&h.id))
            .map(|(row, _)| row)
            .collect();
        let pinned = pinned_from(pin, &history, &read).unwrap();
        let names: Vec<&str> = pinned.objects.keys().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["deleted", "kept"]);
        let kept = &pinned.objects[&key("kept")];
        assert_eq!(kept.object["data"]["push"], "1", "as of push 1");
        assert_eq!(kept.resource, Some(echo()));
        assert_eq!(pinned.known.len(), 4);
    }
}
