//! The state database: what Sisyphus last applied to each cluster, the push history with what
//! each push changed, pauses, the audit trail and the push lock, over sqlx on SQLite,
//! PostgreSQL and MySQL/MariaDB (all first-class).
//!
//! In: a [`DatabaseUrl`]; [`RecordedObject`]s to record under a [`PushLock`]. Out:
//! [`StateSnapshot`]s for diff, [`PushRow`]s for history. Touches only that database (an
//! SQLite file is created if missing); no cluster, no registry. Secret values never reach it:
//! [`Store::record`] refuses an object that [`sisyphus_core::secret::masked`] would change.
//!
//! ```no_run
//! # async fn example() -> Result<(), sisyphus_state::Error> {
//! use sisyphus_state::{DEFAULT_LEASE, DatabaseUrl, Holder, Operation, Outcome, PushInfo, Store};
//!
//! let store = Store::open(&DatabaseUrl::parse("sqlite://sisyphus.db")?).await?;
//! let holder = Holder { user: "alice".into(), host: "ci-7".into(), pid: std::process::id() };
//! let lock = store.lock(&holder, DEFAULT_LEASE).await?;
//! let snapshot = store.snapshot(None).await?;
//! let info = PushInfo {
//!     operation: Operation::Push,
//!     user: holder.user.clone(),
//!     host: holder.host.clone(),
//!     inputs_hash: None,
//! };
//! let push = store.begin(&lock, &info).await?;
//! // ... apply, then store.record(&lock, &object) for each object the API server accepted ...
//! store.finish(&lock, push, Outcome::Succeeded, &Default::default(), None).await?;
//! lock.release().await?;
//! # let _ = snapshot;
//! # Ok(())
//! # }
//! ```
//!
//! The schema, the lock's design and measured speeds are in `docs/state.md`.
//!
//! [`RecordedObject`]: sisyphus_core::state::RecordedObject
//! [`StateSnapshot`]: sisyphus_core::state::StateSnapshot

mod audit;
mod changes;
mod error;
mod history;
mod lock;
mod pauses;
mod pins;
mod sql;
mod store;
mod time;
mod url;

pub use changes::{HistoryEntry, HistoryFilter, PushChange, ResourceMove};
pub use error::{Cause, Error};
pub use history::{Operation, Outcome, PushInfo, PushRow};
pub use lock::{DEFAULT_LEASE, Holder, LockInfo, MIN_LEASE, PushLock};
pub use pins::{ChangeRef, as_of};
pub use store::Store;
pub use time::Timestamp;
pub use url::{DatabaseUrl, Dialect};
