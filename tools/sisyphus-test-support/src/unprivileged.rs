//! Running a server as an unprivileged user when the tests run as root.
//!
//! Owns the choice of user (`nobody`) and changes the owner of a fixture's own temporary
//! directory; nothing else on the machine is touched.

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::Command;

use nix::unistd::{Gid, Uid, User, chown, geteuid};

use crate::error::Error;

/// The user servers that refuse root (PostgreSQL) run as when tests run as root.
pub(crate) const USER: &str = "nobody";

/// Who to run a server as: `None` keeps the current user (tests not running as root).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunAs(Option<(Uid, Gid)>);

impl RunAs {
    /// `nobody` when running as root, else the current user.
    pub(crate) fn for_server() -> Result<Self, Error> {
        if !geteuid().is_root() {
            return Ok(Self(None));
        }
        let user = User::from_name(USER)
            .ok()
            .flatten()
            .ok_or_else(|| Error::User {
                name: USER.to_owned(),
            })?;
        Ok(Self(Some((user.uid, user.gid))))
    }

    /// Gives `dir` to the user (no-op when not switching users).
    pub(crate) fn own(&self, dir: &Path) -> Result<(), Error> {
        if let Some((uid, gid)) = self.0 {
            chown(dir, Some(uid), Some(gid)).map_err(|source| Error::Chown {
                path: dir.to_owned(),
                source,
            })?;
        }
        Ok(())
    }

    /// Makes `command` run as the user (std drops supplementary groups when root sets a uid).
    pub(crate) fn apply(&self, command: &mut Command) {
        if let Some((uid, gid)) = self.0 {
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
    }
}
