//! The errors of the state database. No message holds a password: URLs are shown redacted,
//! and causes that might quote connect options are copied with every password scrubbed.

use std::fmt;
use std::path::PathBuf;

use sisyphus_core::state::ObjectId;

use crate::time::Timestamp;
use crate::url::PASSWORD_MASK;

/// What can go wrong with the state database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL's scheme is not one we speak.
    #[error(
        "unsupported database url `{url}`: expected `sqlite://PATH`, `sqlite:///ABSOLUTE/PATH`, \
         `postgres://...`, `postgresql://...`, `mysql://...` or `mariadb://...`"
    )]
    UnsupportedUrl {
        /// The URL, password redacted.
        url: String,
    },
    /// The URL does not parse.
    #[error("invalid database url `{url}`")]
    InvalidUrl {
        /// The URL, password redacted.
        url: String,
        /// Why (passwords scrubbed).
        #[source]
        source: Cause,
    },
    /// The directory of an SQLite file does not exist (we create the file, not directories).
    #[error("cannot create the state database `{path}`: directory `{directory}` does not exist")]
    MissingDirectory {
        /// The SQLite file.
        path: PathBuf,
        /// Its directory.
        directory: PathBuf,
    },
    /// An SQLite path names something that is not a file.
    #[error("the state database `{path}` is not a file")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The SQLite file exists but is not an SQLite database (or is damaged).
    #[error(
        "the state database `{path}` is not an SQLite database, or is corrupt; it was left unchanged"
    )]
    CorruptSqlite {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: sqlx::Error,
    },
    /// Connecting failed.
    #[error("failed to connect to the state database `{url}`")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// Why (passwords scrubbed).
        #[source]
        source: Cause,
    },
    /// The database was migrated by a newer Sisyphus; it is left unchanged.
    #[error(
        "the state database `{url}` has schema version {database_version}, newer than this \
         sisyphus knows (schema version {binary_version}); it was left unchanged: use the newer \
         sisyphus that migrated it"
    )]
    TooNew {
        /// The URL, password redacted.
        url: String,
        /// The newest migration applied to the database.
        database_version: i64,
        /// The newest migration this binary has.
        binary_version: i64,
    },
    /// Applying the migrations failed.
    #[error("failed to migrate the state database `{url}` to schema version {binary_version}")]
    Migrate {
        /// The URL, password redacted.
        url: String,
        /// The newest migration this binary has.
        binary_version: i64,
        /// Why.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error("failed to {operation} in the state database")]
    Query {
        /// What we were doing (`record ...`, `read the recorded objects`).
        operation: String,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// A row holds something this binary cannot read (a database edited by hand).
    #[error("the state database holds an unreadable {table} row `{id}`: {problem}")]
    BadRow {
        /// The table.
        table: &'static str,
        /// The row's key.
        id: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Another process holds the push lock.
    #[error(
        "the push lock is held by `{user}` on host `{host}` (pid {pid}) since {since}; wait for \
         that operation to finish (its lease runs until {expires} and is renewed while it \
         lives), or, if that process is gone, break the lock with `sisyphus unlock`"
    )]
    Locked {
        /// Who holds it.
        user: String,
        /// On which host.
        host: String,
        /// Its process id.
        pid: u32,
        /// Since when.
        since: Timestamp,
        /// When its lease ends unless renewed.
        expires: Timestamp,
    },
    /// This process no longer holds the push lock it took: it was broken with
    /// `sisyphus unlock`, or its lease expired and another process took it over.
    #[error(
        "lost the push lock: it was broken with `sisyphus unlock`, or its lease expired (no \
         heartbeat reached the database) and another process took it over; nothing more was \
         written"
    )]
    LockLost,
    /// The lease duration is too short to renew.
    #[error("a push lock lease of {ttl_ms} ms is too short; it must be at least 300 ms")]
    LeaseTooShort {
        /// The lease asked for.
        ttl_ms: u128,
    },
    /// An object to record still holds a Secret value.
    #[error(
        "refusing to record {object}: its applied intent holds a Secret value (or the \
         last-applied annotation); only masked objects may reach the state database"
    )]
    UnmaskedSecret {
        /// The object.
        object: Box<ObjectId>,
    },
    /// An object to record has an applied intent that is not JSON.
    #[error("refusing to record {object}: its applied intent is not JSON")]
    AppliedNotJson {
        /// The object.
        object: Box<ObjectId>,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// `finish` was called for a push that is not running.
    #[error("push {id} is not running (unknown, or already finished)")]
    NotRunning {
        /// The push.
        id: i64,
    },
    /// `resume` was given a target that is not paused; nothing was resumed.
    #[error("`{target}` is not paused; nothing was resumed")]
    NotPaused {
        /// The target, as `KIND/NAMESPACE/NAME` or `namespace/NAME`.
        target: String,
    },
    /// `unpin` was given a resource that is not pinned; nothing was written.
    #[error("`{target}` is not pinned; nothing was unpinned")]
    NotPinned {
        /// The resource, as `KIND/NAMESPACE/NAME`.
        target: String,
    },
    /// `finish` was given [`crate::Outcome::Running`].
    #[error("push {id} cannot finish as `running`")]
    FinishRunning {
        /// The push.
        id: i64,
    },
}

/// A cause copied as text, passwords replaced by `****`: what the database driver said about
/// a URL or a connection, which may quote connect options.
#[derive(Debug)]
pub struct Cause {
    message: String,
    source: Option<Box<Cause>>,
}

impl Cause {
    /// `error` and its sources, with every string in `secrets` replaced by `****`.
    pub(crate) fn scrubbed(error: &dyn std::error::Error, secrets: &[String]) -> Cause {
        let mut messages = Vec::new();
        let mut next: Option<&dyn std::error::Error> = Some(error);
        while let Some(error) = next {
            messages.push(scrub(&error.to_string(), secrets));
            next = error.source();
        }
        let mut cause: Option<Box<Cause>> = None;
        for message in messages.into_iter().rev() {
            cause = Some(Box::new(Cause {
                message,
                source: cause,
            }));
        }
        cause.map_or_else(|| Cause::message(String::new()), |cause| *cause)
    }

    /// A cause that is just `message`.
    pub(crate) fn message(message: impl Into<String>) -> Cause {
        Cause {
            message: message.into(),
            source: None,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

/// `text` with every string in `secrets` replaced by `****`, longest first.
fn scrub(text: &str, secrets: &[String]) -> String {
    let mut secrets: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut text = text.to_owned();
    for secret in secrets {
        text = text.replace(secret.as_str(), PASSWORD_MASK);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_level() {
        let inner = std::io::Error::other("bad password hunter2");
        let outer = Error::Query {
            operation: "x".into(),
            source: sqlx::Error::Io(inner),
        };
        let cause = Cause::scrubbed(&outer, &["hunter2".to_owned()]);
        let mut all = vec![cause.to_string()];
        let mut next = std::error::Error::source(&cause);
        while let Some(error) = next {
            all.push(error.to_string());
            next = error.source();
        }
        assert!(all.len() >= 2, "{all:?}");
        assert!(all.iter().all(|m| !m.contains("hunter2")), "{all:?}");
        assert!(all.iter().any(|m| m.contains("****")), "{all:?}");
    }
}
