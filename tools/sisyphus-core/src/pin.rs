//! Pins: a Sisyphus resource that `sisyphus rollback` took back to its objects as of one
//! history row. Pushes keep a pinned resource there, whatever the files say, until
//! `sisyphus unpin`; diff says what it held back ([`Held`]).
//!
//! A pin is named like a paused resource: `KIND/NAMESPACE/NAME` (`Deployment/web/echo`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::desired::{ObjectKey, ResourceId};

/// A pin as the state database records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The pinned resource.
    pub resource: ResourceId,
    /// The history row whose objects it is held at.
    pub to_push: i64,
    /// Who pinned it (ran the rollback).
    pub user: String,
    /// From which host.
    pub host: String,
    /// When, in unix milliseconds (the database's clock).
    pub since_ms: i64,
    /// The audit row of the pin.
    pub push_id: i64,
}

impl Pin {
    /// `Deployment/web/echo`: the form `sisyphus unpin` takes.
    pub fn target(&self) -> String {
        self.resource.path()
    }
}

/// What one pin held back in a diff: the objects where the files say something else than
/// the pin (the files' version was left out of the change set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The pin.
    pub pin: Pin,
    /// The objects the files would change, add or remove, sorted.
    pub differs: Vec<ObjectKey>,
}

impl fmt::Display for Held {
    /// `` `Deployment/web/echo` is pinned to push 3 by alice on ci-7 ``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is pinned to push {} by {} on {}",
            self.pin.target(),
            self.pin.to_push,
            self.pin.user,
            self.pin.host
        )
    }
}
