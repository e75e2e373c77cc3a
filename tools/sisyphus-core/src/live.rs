//! What a cluster has, as far as diff needs it: which objects exist, who manages them, and the
//! key names (never the values) of Secrets. `sisyphus-cluster` lists them; diff reads them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::ObjectId;

/// One object found in a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveObject {
    /// `metadata.uid`.
    pub uid: String,
    /// `metadata.resourceVersion`.
    pub resource_version: String,
    /// The value of the `app.kubernetes.io/managed-by` label, if any.
    pub managed_by: Option<String>,
    /// Whether it is being deleted (`metadata.deletionTimestamp` is set).
    pub terminating: bool,
    /// Whether the field manager `sisyphus` wrote it (`metadata.managedFields`): when this
    /// state database does not track it, another database pushed it (or it was forgotten).
    pub written_by_sisyphus: bool,
    /// For Secrets: the key names of `data`, sorted. Values are never kept.
    pub secret_keys: Vec<String>,
}

/// Live objects by identity: only those diff asked about (see `sisyphus_diff::live_scopes`).
pub type LiveObjects = BTreeMap<ObjectId, LiveObject>;

/// One list request: every object of a kind in a namespace (or cluster-wide) of a cluster.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ListScope {
    /// The cluster.
    pub cluster: String,
    /// API group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Namespace; `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
}
