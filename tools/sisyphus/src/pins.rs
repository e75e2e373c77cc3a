//! What pins hold: a pinned resource's objects as of its history row, read back from the
//! state's history (`push_changes`), for the diff stage and for `sisyphus rollback`.

use sisyphus_core::desired::DesiredObjects;
use sisyphus_core::pin::Pin;
use sisyphus_diff::Pinned;
use sisyphus_state::{PushChange, Store};

/// Every pin with its objects.
///
/// # Errors
///
/// The state database fails, or holds an intent that is not JSON.
pub async fn pinned(store: &Store) -> anyhow::Result<Vec<Pinned>> {
    let mut all = Vec::new();
    for pin in store.pins().await? {
        let changes = store.resource_changes(&pin.resource).await?;
        let objects = objects_as_of(&changes, pin.to_push)?;
        all.push(Pinned { pin, objects });
    }
    Ok(all)
}

/// The objects `changes` (one resource's, oldest first) leave as of history row `push`.
///
/// # Errors
///
/// A stored intent is not JSON (a database edited by hand).
pub fn objects_as_of(changes: &[PushChange], push: i64) -> anyhow::Result<DesiredObjects> {
    let mut objects = DesiredObjects::new();
    for change in sisyphus_state::as_of(changes, push) {
        if let Some(object) = change.desired()? {
            objects.insert(change.key.clone(), object);
        }
    }
    Ok(objects)
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
