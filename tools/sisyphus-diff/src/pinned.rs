//! Pins: a pinned resource's objects as of its pin take the place of what the files render
//! for it, so diff moves it back there (a rollback) and keeps it there (every later push),
//! and the objects where the files say otherwise are returned as [`Held`]. Pure: no I/O.
//!
//! Left alone, neither changed nor deleted, whatever the files say:
//! - a Secret of the resource that the files do not render (Secret values are never recorded,
//!   so no Secret is ever taken back; one the files render stays as rendered: Secrets only ever
//!   get missing keys);
//! - an object of the resource that the history has no record of (recorded before history
//!   was kept): one the files render follows them;
//! - the Namespace a pinned object lives in, when the files no longer render it (deleting it
//!   would delete the pinned objects with it).
//!
//! An object another resource renders now (moved since the pin) stays with that resource, and
//! is named in [`Held::differs`].

use std::collections::BTreeSet;

use sisyphus_core::desired::{DesiredObjects, ResourceId};
use sisyphus_core::pin::{Held, Pin};
use sisyphus_core::secret::is_secret_kind;
use sisyphus_core::state::{ObjectId, StateSnapshot};

use crate::diff::masked_hash;

/// A pin, the objects it holds its resource at (those of its history row), and every object
/// the history knows of the resource.
#[derive(Clone, Debug)]
pub struct Pinned {
    /// The pin.
    pub pin: Pin,
    /// The resource's objects as of `pin.to_push` (Secrets among them are not used).
    pub objects: DesiredObjects,
    /// Every object of the resource the history has a row of, at any push.
    pub known: BTreeSet<ObjectId>,
}

/// Replaces, in `desired`, what the files render for each pinned resource with the pinned
/// objects, and removes from `state` what the module says is left alone, so diff neither
/// changes nor deletes it. Returns, per pin in the order given, the objects where the files
/// differ from the pin.
pub fn hold_pinned(
    desired: &mut DesiredObjects,
    state: &mut StateSnapshot,
    pinned: Vec<Pinned>,
) -> Vec<Held> {
    let mut held = Vec::with_capacity(pinned.len());
    for Pinned {
        pin,
        objects,
        known,
    } in pinned
    {
        let of_pin = |resource: Option<&ResourceId>| resource == Some(&pin.resource);
        let from_files: DesiredObjects = desired
            .extract_if(.., |key, object| {
                of_pin(object.resource.as_ref())
                    && !object.secret
                    && known.contains(&ObjectId::of(key))
            })
            .collect();
        let taken: BTreeSet<ObjectId> = desired.keys().map(ObjectId::of).collect();
        let (objects, moved): (DesiredObjects, DesiredObjects) = objects
            .into_iter()
            .filter(|(_, object)| !object.secret)
            .partition(|(key, _)| !taken.contains(&ObjectId::of(key)));
        let keys: BTreeSet<_> = from_files
            .keys()
            .chain(objects.keys())
            .chain(moved.keys())
            .cloned()
            .collect();
        let differs = keys
            .into_iter()
            .filter(|key| match (from_files.get(key), objects.get(key)) {
                (Some(files), Some(pinned)) => {
                    masked_hash(&files.object) != masked_hash(&pinned.object)
                }
                _ => true,
            })
            .collect();
        let namespaces: BTreeSet<(String, String)> = objects
            .keys()
            .filter_map(|k| Some((k.cluster.clone(), k.namespace.clone()?)))
            .collect();
        desired.extend(objects);
        let wanted: BTreeSet<ObjectId> = desired.keys().map(ObjectId::of).collect();
        state.objects.retain(|id, recorded| {
            if wanted.contains(id) {
                return true;
            }
            let key = &recorded.key;
            let mine = of_pin(recorded.resource.as_ref());
            let secret = key.group.is_empty() && is_secret_kind(&key.version, &key.kind);
            let holding = key.group.is_empty()
                && key.kind == "Namespace"
                && key.namespace.is_none()
                && namespaces.contains(&(key.cluster.clone(), key.name.clone()));
            !((mine && (secret || !known.contains(id))) || holding)
        });
        held.push(Held { pin, differs });
    }
    held
}

#[cfg(test)]
mod tests {
    use sisyphus_core::desired::{DesiredObject, ObjectKey};
    use sisyphus_core::production::ResourceKind;

    use super::*;
    use crate::testing::{deployment, key_of, recorded_object, secret, service};

    fn echo() -> ResourceId {
        ResourceId {
            kind: ResourceKind::Deployment,
            folder: "web".into(),
            name: "echo".into(),
        }
    }

    fn of(resource: &ResourceId, object: serde_json::Value) -> (ObjectKey, DesiredObject) {
        let secret = object["kind"] == "Secret";
        (
            key_of("east", &object),
            DesiredObject {
                object,
                resource: Some(resource.clone()),
                location: None,
                config: None,
                secret,
            },
        )
    }

    fn known(objects: &[&serde_json::Value]) -> BTreeSet<ObjectId> {
        objects
            .iter()
            .map(|o| ObjectId::of(&key_of("east", o)))
            .collect()
    }

    fn recorded_as(
        state: &mut StateSnapshot,
        resource: Option<&ResourceId>,
        object: &serde_json::Value,
    ) {
        let mut recorded = recorded_object(&key_of("east", object), object, None);
        recorded.resource = resource.cloned();
        state.objects.insert(ObjectId::of(&recorded.key), recorded);
    }

    fn pin() -> Pin {
        Pin {
            resource: echo(),
            to_push: 1,
            user: "alice".into(),
            host: "ci-7".into(),
            since_ms: 0,
            push_id: 3,
        }
    }

    #[test]
    fn the_pinned_objects_replace_the_files_and_the_differences_are_named() {
        let other = ResourceId {
            name: "other".into(),
            ..echo()
        };
        let old = deployment("web", "echo", "echo:v1");
        let new = deployment("web", "echo", "echo:v2");
        let mut desired: DesiredObjects = [
            of(&echo(), new.clone()),
            of(&echo(), service("web", "echo-new")),
            of(&echo(), secret("web", "token", &[("a", "1")])),
            of(&other, deployment("web", "other", "other:v9")),
        ]
        .into_iter()
        .collect();
        let pinned = Pinned {
            pin: pin(),
            objects: [
                of(&echo(), old.clone()),
                of(&echo(), secret("web", "token", &[("a", "old")])),
            ]
            .into_iter()
            .collect(),
            known: known(&[
                &old,
                &service("web", "echo-new"),
                &secret("web", "token", &[]),
            ]),
        };
        let mut state = StateSnapshot::default();
        let held = hold_pinned(&mut desired, &mut state, vec![pinned]);

        let echo_now = desired.get(&key_of("east", &old)).unwrap();
        assert_eq!(echo_now.object, old, "the pinned version, not the files'");
        assert!(
            !desired.contains_key(&key_of("east", &service("web", "echo-new"))),
            "an object added by the files since is not created"
        );
        let token = desired
            .get(&key_of("east", &secret("web", "token", &[])))
            .unwrap();
        assert_eq!(
            token.object["data"]["a"],
            secret("web", "token", &[("a", "1")])["data"]["a"],
            "a Secret follows the files: its old values were never recorded"
        );
        assert!(desired.contains_key(&key_of("east", &deployment("web", "other", "other:v9"))));
        assert_eq!(held.len(), 1);
        assert_eq!(
            held[0].differs,
            [
                key_of("east", &service("web", "echo-new")),
                key_of("east", &new),
            ],
            "the image moved and the Service is new: both held back, in key order"
        );
    }

    #[test]
    fn a_recorded_secret_the_files_no_longer_render_is_left_alone() {
        let token = secret("web", "token", &[("a", "1")]);
        let mut recorded = recorded_object(&key_of("east", &token), &token, None);
        recorded.resource = Some(echo());
        let mut state = StateSnapshot::default();
        state
            .objects
            .insert(sisyphus_core::state::ObjectId::of(&recorded.key), recorded);
        let kept = deployment("web", "echo", "echo:v1");
        let mut desired = DesiredObjects::new();
        let pinned = Pinned {
            pin: pin(),
            objects: [of(&echo(), kept.clone())].into_iter().collect(),
            known: known(&[&kept, &token]),
        };
        let held = hold_pinned(&mut desired, &mut state, vec![pinned]);
        assert!(state.objects.is_empty(), "not deleted: {state:?}");
        assert_eq!(desired.len(), 1);
        assert_eq!(held[0].differs, [key_of("east", &kept)]);
    }

    #[test]
    fn unknown_objects_follow_the_files_namespaces_stay_and_moved_objects_keep_their_owner() {
        let other = ResourceId {
            name: "other".into(),
            ..echo()
        };
        let pinned_deployment = deployment("web", "echo", "echo:v1");
        let unknown_rendered = service("web", "echo-unknown");
        let unknown_recorded = service("web", "echo-gone");
        let moved = service("web", "shared");
        let namespace = crate::testing::namespace("web");
        let mut desired: DesiredObjects = [
            of(&echo(), deployment("web", "echo", "echo:v2")),
            of(&echo(), unknown_rendered.clone()),
            of(&other, moved.clone()),
        ]
        .into_iter()
        .collect();
        let mut state = StateSnapshot::default();
        recorded_as(&mut state, Some(&echo()), &pinned_deployment);
        recorded_as(&mut state, Some(&echo()), &unknown_recorded);
        recorded_as(&mut state, None, &namespace);
        recorded_as(&mut state, Some(&other), &deployment("web", "other", "o:1"));
        let pinned = Pinned {
            pin: pin(),
            objects: [
                of(&echo(), pinned_deployment.clone()),
                of(&echo(), moved.clone()),
            ]
            .into_iter()
            .collect(),
            known: known(&[&pinned_deployment, &moved]),
        };
        let held = hold_pinned(&mut desired, &mut state, vec![pinned]);

        let desired_of = |o: &serde_json::Value| desired.get(&key_of("east", o)).unwrap();
        assert_eq!(desired_of(&pinned_deployment).object, pinned_deployment);
        assert_eq!(
            desired_of(&unknown_rendered).resource.as_ref(),
            Some(&echo()),
            "no history of it: it follows the files"
        );
        assert_eq!(
            desired_of(&moved).resource.as_ref(),
            Some(&other),
            "another resource renders it now: it stays with that one"
        );
        let recorded: BTreeSet<String> =
            state.objects.values().map(|r| r.key.name.clone()).collect();
        assert_eq!(
            recorded,
            ["echo", "other"].into_iter().map(str::to_owned).collect(),
            "the unknown recorded Service and the Namespace holding the pinned Deployment are \
             out of the diff (left alone); other resources' records stay"
        );
        assert_eq!(
            held[0].differs,
            [key_of("east", &moved), key_of("east", &pinned_deployment)]
        );
    }
}
