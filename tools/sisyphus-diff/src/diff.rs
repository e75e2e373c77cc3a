//! [`diff`]: desired objects × state snapshot × live objects → change set. The rules are in the
//! crate documentation; this module matches objects, decides each action and writes the reasons.
//! Touches nothing.

use std::collections::BTreeSet;

use serde_json::Value;
use sisyphus_core::change::{Action, Blocked, Change, ChangeSet};
use sisyphus_core::desired::{ConfigOrigin, DesiredObject, DesiredObjects, ObjectKey};
use sisyphus_core::labels::MANAGED_BY;
use sisyphus_core::live::{LiveObject, LiveObjects};
use sisyphus_core::secret;
use sisyphus_core::state::{ObjectId, RecordedObject, StateSnapshot, intent_hash};

use crate::kinds::{self, Fix};
use crate::matching;

/// Namespaces that are never deleted, whatever the state database says (Kubernetes creates them
/// and needs them).
pub const PROTECTED_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

/// What [`diff`] compares.
#[derive(Debug)]
pub struct DiffInput<'a> {
    /// What render produced; moved into the changes.
    pub desired: DesiredObjects,
    /// What the state database recorded for the run's clusters.
    pub state: &'a StateSnapshot,
    /// What the lists of [`crate::live_scopes`] found (objects not recorded that exist).
    pub live: &'a LiveObjects,
    /// The clusters this run covers: recorded objects of any other cluster are left alone.
    pub clusters: &'a BTreeSet<String>,
}

/// Compare the desired objects with the state snapshot (and the live objects found for those
/// not recorded): one change per object, sorted by key, plus the changes that cannot be made.
///
/// Never fails: a recorded object whose stored text is not JSON is updated without the
/// immutable-field check, and its reasons say so (the server-side dry run still catches an
/// immutable field).
pub fn diff(input: DiffInput<'_>) -> ChangeSet {
    let DiffInput {
        desired,
        state,
        live,
        clusters,
    } = input;
    let mut changes = Vec::with_capacity(desired.len());
    let mut blocked = Vec::new();
    let mut deletions = Vec::new();
    matching::walk(
        desired.into_iter().collect(),
        |(key, _)| key,
        &state.objects,
        |(key, object), recorded| {
            changes.push(match recorded {
                Some(recorded) => recorded_change(key, object, recorded, &mut blocked),
                None => {
                    let found = live.get(&ObjectId::of(&key));
                    unrecorded_change(key, object, found)
                }
            });
        },
        |id, recorded| {
            if clusters.contains(&id.cluster) {
                deletions.extend(deletion(id, recorded));
            }
        },
    );
    changes.append(&mut deletions);
    // Two runs in id order (changes, then deletions), which agrees with key order: the sort
    // merges them.
    changes.sort_by(|a, b| a.key.cmp(&b.key));
    blocked.sort_by(|a, b| (&a.key, &a.field).cmp(&(&b.key, &b.field)));
    ChangeSet { changes, blocked }
}

/// The hash the state database stores for `object`: [`intent_hash`] of its masked form.
pub fn masked_hash(object: &Value) -> String {
    if secret::is_masked(object) {
        intent_hash(object)
    } else {
        intent_hash(&secret::masked(object))
    }
}

fn is_namespace(group: &str, kind: &str) -> bool {
    group.is_empty() && kind == "Namespace"
}

fn recorded_change(
    key: ObjectKey,
    desired: DesiredObject,
    recorded: &RecordedObject,
    blocked: &mut Vec<Blocked>,
) -> Change {
    let same_version = key.version == recorded.key.version;
    let same_config = desired.config == recorded.config;
    // The config origin alone is not a change: an object whose masked intent is the same (a
    // Service, when only the config image behind its Deployment moved) has nothing to apply.
    // A Deployment's or CronJob's intent names its pinned images, so a retag changes it.
    if same_version && masked_hash(&desired.object) == recorded.applied_hash {
        return Change {
            key,
            action: Action::Unchanged,
            desired: Some(desired),
            recorded: Some(recorded.clone()),
            reasons: Vec::new(),
        };
    }

    let mut reasons = Vec::new();
    if recorded.resource_version.is_none() {
        reasons.push(
            "recorded but never confirmed by the API server (a push stopped while applying it): \
             applied again"
                .to_owned(),
        );
    }
    if !same_version {
        reasons.push(format!(
            "apiVersion `{}` → `{}`",
            recorded.key.api_version(),
            key.api_version()
        ));
    }
    if !same_config {
        config_reasons(
            recorded.config.as_ref(),
            desired.config.as_ref(),
            &mut reasons,
        );
    }
    let mut action = Action::Update;
    match recorded.applied_value() {
        Ok(before) => {
            let after = secret::masked(&desired.object);
            if desired.secret || secret::holds_secrets(&after) {
                secret_key_reasons(&before, &after, &mut reasons);
            }
            let mut recreate = Vec::new();
            let mut refused = Vec::new();
            for found in kinds::immutable(&key, &before, &after) {
                match found.fix {
                    Fix::Recreate => recreate.push(found),
                    Fix::Block => refused.push(found),
                }
            }
            if refused.is_empty() {
                if !recreate.is_empty() {
                    action = Action::Recreate;
                }
                reasons.extend(recreate.into_iter().map(|found| found.reason));
            } else {
                for found in refused {
                    reasons.push(format!("blocked: {}", found.reason));
                    blocked.push(Blocked {
                        key: key.clone(),
                        field: found.field,
                        reason: found.reason,
                    });
                }
            }
        }
        Err(_) => reasons.push(
            "the recorded object is not valid JSON (was the state database edited?): immutable \
             fields not checked; `sisyphus refresh` or `sisyphus import` records it again"
                .to_owned(),
        ),
    }
    Change {
        key,
        action,
        desired: Some(desired),
        recorded: Some(recorded.clone()),
        reasons,
    }
}

fn config_reasons(
    before: Option<&ConfigOrigin>,
    after: Option<&ConfigOrigin>,
    reasons: &mut Vec<String>,
) {
    match (before, after) {
        (Some(before), Some(after)) => {
            if before.config_image != after.config_image {
                reasons.push(format!(
                    "config image `{}` → `{}`",
                    before.config_image, after.config_image
                ));
            }
            if before.binary_image != after.binary_image {
                reasons.push(format!(
                    "binary image `{}` → `{}`",
                    before.binary_image, after.binary_image
                ));
            }
        }
        (None, Some(after)) => reasons.push(format!(
            "now rendered from config image `{}`",
            after.config_image
        )),
        (Some(before), None) => reasons.push(format!(
            "no longer rendered from config image `{}`",
            before.config_image
        )),
        (None, None) => {}
    }
}

/// "adds key" / "no longer declared" for a recorded Secret; both sides are masked, so only key
/// names are compared.
fn secret_key_reasons(before: &Value, after: &Value, reasons: &mut Vec<String>) {
    let recorded = secret::secret_keys(before);
    let desired = secret::secret_keys(after);
    for key in &desired {
        if recorded.binary_search(key).is_err() {
            reasons.push(format!("adds key `{key}`"));
        }
    }
    for key in &recorded {
        if desired.binary_search(key).is_err() {
            reasons.push(format!(
                "key `{key}` is no longer declared (kept in the cluster)"
            ));
        }
    }
}

fn unrecorded_change(key: ObjectKey, desired: DesiredObject, live: Option<&LiveObject>) -> Change {
    let Some(live) = live else {
        return Change {
            key,
            action: Action::Create,
            desired: Some(desired),
            recorded: None,
            reasons: Vec::new(),
        };
    };
    let mut reasons = Vec::new();
    if is_namespace(&key.group, &key.kind) {
        reasons.push("existing namespace: adopted as it is, without `--adopt`".to_owned());
    } else {
        reasons.push(
            "exists in the cluster but Sisyphus does not track it: `--adopt` takes it over"
                .to_owned(),
        );
    }
    if live.written_by_sisyphus {
        reasons.push(
            "written by Sisyphus (field manager `sisyphus`), but not in this state database: \
             another database pushed it, or it was forgotten"
                .to_owned(),
        );
    } else if live.managed_by.as_deref() == Some(MANAGED_BY) {
        reasons.push(format!(
            "labelled `managed-by: {MANAGED_BY}`, but not in this state database (another \
             database, or forgotten)"
        ));
    }
    if live.terminating {
        reasons.push("it is being deleted in the cluster".to_owned());
    }
    if desired.secret || secret::holds_secrets(&desired.object) {
        for name in secret::secret_keys(&desired.object) {
            if live.secret_keys.contains(&name) {
                reasons.push(format!(
                    "key `{name}` exists: its value in the cluster is kept"
                ));
            } else {
                reasons.push(format!("adds key `{name}`"));
            }
        }
    }
    Change {
        key,
        action: Action::Adopt,
        desired: Some(desired),
        recorded: None,
        reasons,
    }
}

fn deletion(id: &ObjectId, recorded: &RecordedObject) -> Option<Change> {
    let mut reasons = Vec::new();
    if is_namespace(&id.group, &id.kind) {
        if PROTECTED_NAMESPACES.contains(&id.name.as_str()) {
            return None;
        }
        reasons.push(if recorded.created {
            "deleted only if nothing Sisyphus does not track lives in it".to_owned()
        } else {
            "not created by Sisyphus: forgotten, not deleted".to_owned()
        });
    }
    Some(Change {
        key: recorded.key.clone(),
        action: Action::Delete,
        desired: None,
        recorded: Some(recorded.clone()),
        reasons,
    })
}
