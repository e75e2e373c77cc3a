//! The push history and audit trail: one row per operation that changes the state (push,
//! import, forget, refresh, unlock, pause, resume, rollback, pin, unpin),
//! with who ran it, when, from which host and inputs, what it counted and how it ended.

use std::collections::BTreeMap;
use std::fmt;

use sisyphus_core::change::Action;

use crate::time::Timestamp;

/// What kind of operation a history row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `sisyphus push`.
    Push,
    /// `sisyphus import`.
    Import,
    /// `sisyphus forget`.
    Forget,
    /// `sisyphus refresh`.
    Refresh,
    /// `sisyphus unlock`.
    Unlock,
    /// `sisyphus pause`.
    Pause,
    /// `sisyphus resume`.
    Resume,
    /// `sisyphus rollback`: a change set applied, like a push.
    Rollback,
    /// A pin, written by `sisyphus rollback` once it applied.
    Pin,
    /// `sisyphus unpin`.
    Unpin,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 10] = [
        Operation::Push,
        Operation::Import,
        Operation::Forget,
        Operation::Refresh,
        Operation::Unlock,
        Operation::Pause,
        Operation::Resume,
        Operation::Rollback,
        Operation::Pin,
        Operation::Unpin,
    ];

    /// The operations that apply change sets to clusters: what `sisyphus history` lists
    /// without `--audit`.
    pub const PUSHES: [Operation; 2] = [Operation::Push, Operation::Rollback];

    /// The word stored in `pushes.operation` (`push`).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Push => "push",
            Operation::Import => "import",
            Operation::Forget => "forget",
            Operation::Refresh => "refresh",
            Operation::Unlock => "unlock",
            Operation::Pause => "pause",
            Operation::Resume => "resume",
            Operation::Rollback => "rollback",
            Operation::Pin => "pin",
            Operation::Unpin => "unpin",
        }
    }

    pub(crate) fn parse(word: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.as_str() == word)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an operation ended (or that it has not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Started and not finished: it is running, or it died and nobody has taken its lock yet.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Its process died or its lock was broken before it finished; set when the next holder
    /// takes the lock over, or by `sisyphus unlock`.
    Interrupted,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 4] = [
        Outcome::Running,
        Outcome::Succeeded,
        Outcome::Failed,
        Outcome::Interrupted,
    ];

    /// The word stored in `pushes.outcome` (`succeeded`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
        }
    }

    pub(crate) fn parse(word: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == word)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`crate::Store::begin`] records about an operation as it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushInfo {
    /// What it is.
    pub operation: Operation,
    /// Who runs it (the OS user unless `--user`/`SISYPHUS_USER`).
    pub user: String,
    /// From which host.
    pub host: String,
    /// The plan's inputs hash, when there is a plan.
    pub inputs_hash: Option<String>,
}

/// One row of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushRow {
    /// Its id (grows with every row).
    pub id: i64,
    /// What it was.
    pub operation: Operation,
    /// Who ran it.
    pub user: String,
    /// From which host.
    pub host: String,
    /// Its process id.
    pub pid: u32,
    /// When it started (database clock).
    pub started: Timestamp,
    /// When it finished; `None` while running.
    pub finished: Option<Timestamp>,
    /// The plan's inputs hash.
    pub inputs_hash: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Objects per action (every action present, zeros included).
    pub counts: BTreeMap<Action, usize>,
    /// What went wrong, what `unlock` broke, what `pause` and `resume` did.
    pub message: Option<String>,
}
