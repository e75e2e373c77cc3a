//! What is recorded after a write: the masked intent, the server's uid and resourceVersion, and
//! where the object came from; and for the history, what the push changed (the images and
//! masked intents before and after).

use sisyphus_cluster::Applied;
use sisyphus_core::change::{Action, Change};
use sisyphus_core::secret::masked;
use sisyphus_core::state::{RecordedObject, intent_hash};
use sisyphus_state::PushChange;

/// The `applied_hash` of a row written before its object was applied: it matches no intent, so
/// the next diff makes the object an update (applied again) rather than something to adopt.
pub(crate) const PENDING: &str = "pending";

/// The row written *before* `change` (an object not recorded yet) is sent to the API server:
/// if the push dies between the apply and its record, the object is still known to this
/// database, and the next push finishes the job. No uid or resourceVersion yet.
pub(crate) fn pending(change: &Change, push_id: i64) -> Option<RecordedObject> {
    let desired = change.desired.as_ref()?;
    Some(RecordedObject {
        key: change.key.clone(),
        applied: masked(&desired.object).to_string(),
        applied_hash: PENDING.to_owned(),
        uid: None,
        resource_version: None,
        config: desired.config.clone(),
        resource: desired.resource.clone(),
        push_id,
        created: change.action != Action::Adopt,
    })
}

/// The row for `change` after the API server accepted it with `applied`.
pub(crate) fn recorded(change: &Change, applied: &Applied, push_id: i64) -> Option<RecordedObject> {
    let desired = change.desired.as_ref()?;
    let intent = masked(&desired.object);
    let created = match change.action {
        Action::Create => true,
        Action::Adopt => false,
        _ => change.recorded.as_ref().is_none_or(|r| r.created),
    };
    Some(RecordedObject {
        key: change.key.clone(),
        applied: intent.to_string(),
        applied_hash: intent_hash(&intent),
        uid: Some(applied.uid.clone()).filter(|u| !u.is_empty()),
        resource_version: Some(applied.resource_version.clone()).filter(|v| !v.is_empty()),
        config: desired.config.clone(),
        resource: desired.resource.clone(),
        push_id,
        created,
    })
}

/// The history's row for `change`, made by push `push_id`: `after` is the masked intent just
/// recorded (`None` for a delete); the recorded side is already masked.
pub(crate) fn history(change: &Change, after: Option<&RecordedObject>, push_id: i64) -> PushChange {
    let recorded = change.recorded.as_ref();
    PushChange {
        push_id,
        key: change.key.clone(),
        action: change.action,
        resource: change
            .desired
            .as_ref()
            .and_then(|d| d.resource.clone())
            .or_else(|| recorded.and_then(|r| r.resource.clone())),
        before: recorded.and_then(|r| r.config.clone()),
        after: after.and_then(|a| a.config.clone()),
        before_intent: recorded.map(|r| r.applied.clone()),
        after_intent: after.map(|a| a.applied.clone()),
        reasons: change.reasons.clone(),
    }
}
