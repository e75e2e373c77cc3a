//! `sisyphus status`: who holds the push lock, what is paused, and the last push, as text for
//! people and JSON for programs.

use serde_json::{Value, json};
use sisyphus_core::pause::Pause;
use sisyphus_state::{HistoryEntry, LockInfo};

use crate::views::history;
use crate::views::skipped::{pause_json, paused_by};

/// What `status` shows.
pub struct Status {
    /// The lock's holder, if anyone holds it.
    pub lock: Option<LockInfo>,
    /// Every pause.
    pub pauses: Vec<Pause>,
    /// The newest push, if there was one.
    pub last_push: Option<HistoryEntry>,
}

/// Three sections: `push lock`, `paused`, `last push`.
pub fn text(status: &Status) -> String {
    let mut out = match &status.lock {
        None => "push lock: free\n".to_owned(),
        Some(info) => format!(
            "push lock: held by `{}` on `{}` (pid {}) since {}, lease until {}{}\n",
            info.holder.user,
            info.holder.host,
            info.holder.pid,
            info.since,
            info.expires,
            if info.expired {
                " (expired: the next push takes it over)"
            } else {
                ""
            }
        ),
    };
    if status.pauses.is_empty() {
        out.push_str("paused: nothing\n");
    } else {
        out.push_str(&format!("paused: {}\n", status.pauses.len()));
        for pause in &status.pauses {
            out.push_str(&format!("  {}\n", paused_by(pause)));
        }
    }
    match &status.last_push {
        None => out.push_str("last push: none\n"),
        Some(entry) => {
            out.push_str("last push: ");
            out.push_str(&history::header(&entry.push));
            out.push_str(&format!("  {}\n", history::what(&entry.push)));
        }
    }
    out
}

/// `version`, `lock` (or null), `pauses`, `last_push` (or null).
pub fn json(status: &Status) -> Value {
    json!({
        "version": history::JSON_VERSION,
        "lock": status.lock.as_ref().map(|info| json!({
            "user": info.holder.user,
            "host": info.holder.host,
            "pid": info.holder.pid,
            "since": info.since.to_string(),
            "heartbeat": info.heartbeat.to_string(),
            "expires": info.expires.to_string(),
            "expired": info.expired,
        })),
        "pauses": status.pauses.iter().map(pause_json).collect::<Vec<_>>(),
        "last_push": status.last_push.as_ref().map(|e| history::row_json(&e.push)),
    })
}
