//! Pins: a pinned resource's objects as of its pin take the place of what the files render
//! for it, so diff moves it back there (a rollback) and keeps it there (every later push),
//! and the objects where the files say otherwise are returned as [`Held`]. Pure: no I/O.
//!
//! Secret values are never recorded, so no Secret is ever taken back: a pinned resource's
//! Secret that the files render stays as rendered (Secrets only ever get missing keys), and
//! one they do not render is left as it is (neither changed nor deleted).

use std::collections::BTreeSet;

use sisyphus_core::desired::{DesiredObjects, ResourceId};
use sisyphus_core::pin::{Held, Pin};
use sisyphus_core::state::StateSnapshot;

use crate::diff::masked_hash;

/// A pin and the objects it holds its resource at (those of its history row), Secrets left
/// out or not: they are not used.
#[derive(Clone, Debug)]
pub struct Pinned {
    /// The pin.
    pub pin: Pin,
    /// The resource's objects as of `pin.to_push`.
    pub objects: DesiredObjects,
}

/// Replaces, in `desired`, what the files render for each pinned resource with the pinned
/// objects (Secrets excepted, see the module), and removes from `state` the recorded Secrets
/// of pinned resources that `desired` does not carry, so diff leaves them alone. Returns, per
/// pin in the order given, the objects where the files differ from the pin.
pub fn hold_pinned(
    desired: &mut DesiredObjects,
    state: &mut StateSnapshot,
    pinned: Vec<Pinned>,
) -> Vec<Held> {
    let mut held = Vec::with_capacity(pinned.len());
    for Pinned { pin, objects } in pinned {
        let of_pin = |resource: Option<&ResourceId>| resource == Some(&pin.resource);
        let from_files: DesiredObjects = desired
            .extract_if(.., |_, object| {
                of_pin(object.resource.as_ref()) && !object.secret
            })
            .collect();
        let objects: DesiredObjects = objects
            .into_iter()
            .filter(|(_, object)| !object.secret)
            .collect();
        let keys: BTreeSet<_> = from_files.keys().chain(objects.keys()).cloned().collect();
        let differs = keys
            .into_iter()
            .filter(|key| match (from_files.get(key), objects.get(key)) {
                (Some(files), Some(pinned)) => {
                    masked_hash(&files.object) != masked_hash(&pinned.object)
                }
                _ => true,
            })
            .collect();
        desired.extend(objects);
        state.objects.retain(|_, recorded| {
            !(of_pin(recorded.resource.as_ref())
                && recorded.key.group.is_empty()
                && sisyphus_core::secret::is_secret_kind(&recorded.key.version, &recorded.key.kind)
                && !desired.contains_key(&recorded.key))
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
        };
        let held = hold_pinned(&mut desired, &mut state, vec![pinned]);
        assert!(state.objects.is_empty(), "not deleted: {state:?}");
        assert_eq!(desired.len(), 1);
        assert_eq!(held[0].differs, [key_of("east", &kept)]);
    }
}
