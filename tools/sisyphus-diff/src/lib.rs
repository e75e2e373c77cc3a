//! The diff stage: desired objects × the state snapshot × a few live objects → a [`ChangeSet`].
//!
//! In: the [`DesiredObjects`] render produced (owned: they move into the changes), the
//! [`StateSnapshot`] of what Sisyphus last applied, the [`LiveObjects`] the cluster lists of
//! [`live_scopes`] found, and the clusters the run covers. Out: one [`Change`] per desired or
//! recorded object, sorted by key (unchanged ones included, so counts can be shown), and the
//! changes refused ([`Blocked`]). Touches nothing: no I/O, no async, no kube client, no SQL
//! (Cargo keeps it hermetic), and it never panics on input.
//!
//! The rules, in order:
//!
//! 1. A desired object matches the recorded one with the same [`ObjectId`] (the key without the
//!    version). It is [`Action::Unchanged`] when the hash of its masked intent and its version
//!    equal the recorded ones (the config origin alone is not a change: a Service next to a
//!    retagged Deployment has nothing to apply, while the Deployment's intent names its pinned
//!    images); `recorded.applied` is not parsed then, so a no-op over thousands of objects costs
//!    a few milliseconds.
//! 2. Not recorded: [`Action::Adopt`] when the cluster has it (a Namespace is adopted without
//!    `--adopt`; its reason says "existing namespace"; one the field manager `sisyphus` wrote
//!    says another database pushed it), else [`Action::Create`]. (A push records an object
//!    before applying it, so one that died in between left a row behind: that object is an
//!    update, never an adoption.)
//! 3. Recorded but different: [`Action::Update`], with reasons for what a YAML diff does not
//!    show well: the config or binary image it moved between, Secret keys
//!    added or no longer declared (values are masked on both sides, so a value changed in the
//!    files is not a change), an apiVersion move.
//! 4. Immutable fields, one file per kind under `kinds/`, are compared only for changed objects:
//!    [`Action::Recreate`] where deleting and creating again is safe, otherwise a [`Blocked`]
//!    entry (the change stays an update; apply refuses a set with any).
//! 5. Recorded in one of the run's clusters and no longer desired: [`Action::Delete`]. A
//!    Namespace Sisyphus did not create says so in its reason (apply forgets it instead). The
//!    system namespaces in [`PROTECTED_NAMESPACES`] never appear as deletions: they are left out
//!    of the change set altogether, so no later stage can delete one by mistake; their record
//!    stays until `sisyphus forget` drops it. Recorded objects of other clusters are ignored.
//!
//! 6. [`skip_paused`] then moves the writes a paused resource or namespace holds out of the
//!    change set into `Skipped` entries (a Namespace deletion that would take paused objects
//!    with it included).
//!
//! [`text`] shows one change as a unified YAML diff, with Secret values masked.

mod diff;
pub mod drift;
mod kinds;
mod matching;
mod paused;
mod pinned;
mod scopes;
pub mod text;

#[cfg(feature = "testing")]
pub mod testing;

pub use diff::{DiffInput, PROTECTED_NAMESPACES, diff, masked_hash};
pub use paused::skip_paused;
pub use pinned::{Pinned, hold_pinned};
pub use scopes::live_scopes;

#[cfg(doc)]
use sisyphus_core::{
    change::{Action, Blocked, Change, ChangeSet},
    desired::DesiredObjects,
    live::LiveObjects,
    state::{ObjectId, StateSnapshot},
};
