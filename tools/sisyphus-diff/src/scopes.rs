//! Which cluster lists diff needs before it runs: in come the desired objects and the state
//! snapshot, out go [`ListScope`]s. Touches nothing.

use std::collections::BTreeSet;

use sisyphus_core::desired::DesiredObjects;
use sisyphus_core::live::ListScope;
use sisyphus_core::state::StateSnapshot;

use crate::matching;

/// The lists the CLI must make before [`crate::diff`]: one per (cluster, group, version, kind,
/// namespace) holding at least one desired object that is not recorded (it may exist already,
/// and would then be adopted, not created).
///
/// Recorded objects need no list, so a no-op run (everything recorded) returns an empty set and
/// makes no request at all.
pub fn live_scopes(desired: &DesiredObjects, state: &StateSnapshot) -> BTreeSet<ListScope> {
    let mut scopes = BTreeSet::new();
    matching::walk(
        desired.keys().collect(),
        |key| key,
        &state.objects,
        |key, recorded| {
            if recorded.is_none() {
                scopes.insert(ListScope {
                    cluster: key.cluster.clone(),
                    group: key.group.clone(),
                    version: key.version.clone(),
                    kind: key.kind.clone(),
                    namespace: key.namespace.clone(),
                });
            }
        },
        |_, _| {},
    );
    scopes
}
