//! Run diff over built values, and find one change by name.

use std::collections::BTreeSet;

use sisyphus_core::change::{Action, Change, ChangeSet};
use sisyphus_core::desired::DesiredObjects;
use sisyphus_core::live::LiveObjects;
use sisyphus_core::state::StateSnapshot;
use sisyphus_diff::{DiffInput, diff};

/// The clusters most tests run over.
pub const CLUSTERS: [&str; 2] = ["prod", "staging"];

/// `diff` over `CLUSTERS`.
pub fn run(desired: DesiredObjects, state: &StateSnapshot, live: &LiveObjects) -> ChangeSet {
    run_in(desired, state, live, &CLUSTERS)
}

/// `diff` over `clusters`.
pub fn run_in(
    desired: DesiredObjects,
    state: &StateSnapshot,
    live: &LiveObjects,
    clusters: &[&str],
) -> ChangeSet {
    let clusters: BTreeSet<String> = clusters.iter().map(|c| (*c).to_owned()).collect();
    diff(DiffInput {
        desired,
        state,
        live,
        clusters: &clusters,
    })
}

/// The change of the object called `name` of `kind`.
pub fn change<'a>(set: &'a ChangeSet, kind: &str, name: &str) -> &'a Change {
    set.changes
        .iter()
        .find(|c| c.key.kind == kind && c.key.name == name)
        .unwrap_or_else(|| panic!("no change for {kind} {name} in {:#?}", summary(set)))
}

/// `(cluster kind name, action)` for every change, in order.
pub fn summary(set: &ChangeSet) -> Vec<(String, Action)> {
    set.changes
        .iter()
        .map(|c| {
            (
                format!("{} {} {}", c.key.cluster, c.key.kind, c.key.name),
                c.action,
            )
        })
        .collect()
}
