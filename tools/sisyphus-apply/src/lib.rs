//! The apply stage: a change set (that the user consented to) is applied to its clusters in
//! a safe order and every write is recorded in the state database the moment the API server
//! accepts it, in the same transaction as the history's row of what changed (images and
//! masked intents before and after).
//!
//! In: the change set (`sisyphus_core::change::ChangeSet`) from diff, the connected [`Clusters`], the [`Store`] and the
//! [`PushLock`] that proves this process may write, and the push's id.
//! Out: an [`ApplyReport`]: what was done, what was kept and why, every error.
//! Touches: the clusters (writes), the state database (writes, under the lock).
//!
//! Three steps, the first two here so no command can skip the first:
//! 1. [`preflight()`] finds everything that can be found before the first write and reports it
//!    all together: blocked changes, adoptions without consent, unreachable clusters, kinds a
//!    cluster does not serve, objects the API server rejects in a server-side dry-run.
//! 2. [`apply()`] writes, per cluster (clusters in parallel; bounded concurrency within one):
//!    namespaces; CustomResourceDefinitions, waiting until they are established; other
//!    cluster-scoped objects; namespaced objects in dependency order (ServiceAccounts,
//!    ConfigMaps, Secrets, RBAC, storage, Services, then workloads); then deletions in reverse
//!    order, with a bounded wait. A phase that fails stops that cluster before the next phase.
//! 3. [`wait()`] watches what was written until it is ready ([`readiness()`]: Deployments,
//!    StatefulSets and DaemonSets rolled out, Jobs complete, Namespaces active, Services with
//!    a ready endpoint when they select pods the push rolls out), has failed, or the deadline
//!    passes; what did not get there is named with its conditions, pods and newest events.
//!
//! Secrets are created once and afterwards only get the keys they lack (never a value
//! overwritten, see `sisyphus_cluster::Cluster::add_secret_keys`); what is recorded is the
//! masked intent (`sisyphus_core::secret::masked`), never a value.

mod order;
mod preflight;
mod readiness;
mod record;
mod run;
mod wait;

pub use preflight::{Preflight, preflight};
pub use readiness::{Readiness, WaitKind, readiness};
pub use run::{ApplyReport, Event, Kept, Options, apply};
pub use wait::{NotReady, WaitEvent, WaitOptions, WaitReport, Written, wait, waited};

use sisyphus_cluster::Clusters;
use sisyphus_state::{PushLock, Store};

/// Where apply writes: the clusters, and the state database under the push lock.
pub struct Target<'a> {
    /// The connected clusters (every cluster the change set writes to).
    pub clusters: &'a Clusters,
    /// The state database.
    pub store: &'a Store,
    /// Proof that this process holds the push lock.
    pub lock: &'a PushLock,
    /// The push being recorded (from `Store::begin`).
    pub push_id: i64,
}

/// Why a change set cannot be applied at all: everything found, nothing written.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) found before applying anything", .0.len())]
pub struct Refused(pub Vec<String>);
