//! The change set: what diff found and apply carries out, per object. One value, two views
//! (text and JSON) in the CLI. Like Terraform's plans, [`Action`] is a closed enum with a word
//! and a symbol.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::desired::{DesiredObject, ObjectKey};
use crate::state::RecordedObject;

/// What happens to one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Not in the state database and not in the cluster: created.
    Create,
    /// Recorded, and the intent (or the config behind it) changed: applied again.
    Update,
    /// A field that cannot change in place changed: deleted and created again.
    Recreate,
    /// Recorded but no longer declared: deleted from the cluster.
    Delete,
    /// In the cluster but not in the state database: taken over only with `--adopt`.
    Adopt,
    /// Recorded exactly as desired: nothing to do.
    Unchanged,
}

impl Action {
    /// Every action, in the order counts are shown.
    pub const ALL: [Action; 6] = [
        Action::Create,
        Action::Update,
        Action::Recreate,
        Action::Delete,
        Action::Adopt,
        Action::Unchanged,
    ];

    /// The word (`create`).
    pub fn word(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Recreate => "recreate",
            Action::Delete => "delete",
            Action::Adopt => "adopt",
            Action::Unchanged => "unchanged",
        }
    }

    /// The symbol shown before the word (`+`).
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Recreate => "-/+",
            Action::Delete => "-",
            Action::Adopt => "<=",
            Action::Unchanged => "=",
        }
    }

    /// Whether the action writes to a cluster.
    pub fn is_change(self) -> bool {
        self != Action::Unchanged
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// One object's change.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// The object (with the desired version; the recorded one for deletions).
    pub key: ObjectKey,
    /// What happens to it.
    pub action: Action,
    /// What is wanted; `None` for [`Action::Delete`].
    pub desired: Option<DesiredObject>,
    /// What was recorded; `None` for [`Action::Create`] and [`Action::Adopt`].
    pub recorded: Option<RecordedObject>,
    /// Why, in words: the immutable field of a recreate, the keys a Secret update adds, the
    /// config image a retag moves to.
    pub reasons: Vec<String>,
}

/// A change diff refuses to make: an immutable field changed where recreating is not safe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    /// The object.
    pub key: ObjectKey,
    /// The field, as a path (`spec.selector`).
    pub field: String,
    /// Why it cannot be changed, and what to do.
    pub reason: String,
}

/// Every change of one run, sorted by key, plus the changes refused.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChangeSet {
    /// One entry per desired or recorded object (unchanged ones included).
    pub changes: Vec<Change>,
    /// Changes that cannot be made; a push with any of these applies nothing.
    pub blocked: Vec<Blocked>,
}

impl ChangeSet {
    /// Whether anything would be written.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action.is_change())
    }

    /// The changes that write (everything but [`Action::Unchanged`]).
    pub fn writes(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action.is_change())
    }

    /// Counts per cluster and action (every action present, zero included).
    pub fn counts(&self) -> BTreeMap<String, BTreeMap<Action, usize>> {
        let mut counts: BTreeMap<String, BTreeMap<Action, usize>> = BTreeMap::new();
        for change in &self.changes {
            let per = counts
                .entry(change.key.cluster.clone())
                .or_insert_with(|| Action::ALL.iter().map(|a| (*a, 0)).collect());
            *per.entry(change.action).or_default() += 1;
        }
        counts
    }

    /// The clusters with at least one write.
    pub fn clusters_written(&self) -> Vec<String> {
        let mut clusters: Vec<String> = self.writes().map(|c| c.key.cluster.clone()).collect();
        clusters.dedup();
        clusters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_symbols_are_distinct() {
        let words: std::collections::BTreeSet<_> = Action::ALL.iter().map(|a| a.word()).collect();
        let symbols: std::collections::BTreeSet<_> =
            Action::ALL.iter().map(|a| a.symbol()).collect();
        assert_eq!(words.len(), Action::ALL.len());
        assert_eq!(symbols.len(), Action::ALL.len());
        assert!(!Action::Unchanged.is_change());
        assert!(Action::Adopt.is_change());
    }
}
