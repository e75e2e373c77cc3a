//! `sisyphus status`: who holds the push lock, what is paused, and the last push, as text for
//! people and JSON for programs.

use serde_json::{Value, json};
use sisyphus_core::pause::Pause;
use sisyphus_core::pin::Pin;
use sisyphus_state::{HistoryEntry, LockInfo};

use crate::views::history;
use crate::views::skipped::{pause_json, paused_by};

/// What `status` shows.
pub struct Status {
    /// The lock's holder, if anyone holds it.
    pub lock: Option<LockInfo>,
    /// Every pause.
    pub pauses: Vec<Pause>,
    /// Every pin.
    pub pins: Vec<Pin>,
    /// The newest push, if there was one.
    pub last_push: Option<HistoryEntry>,
}

/// Four sections: `push lock`, `paused`, `pinned`, `last push`.
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
    if status.pins.is_empty() {
        out.push_str("pinned: nothing\n");
    } else {
        out.push_str(&format!("pinned: {}\n", status.pins.len()));
        for pin in &status.pins {
            out.push_str(&format!("  {}\n", crate::pins::pinned_by(pin)));
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

/// `version`, `lock` (or null), `pauses`, `pins`, `last_push` (or null).
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
        "pins": status.pins.iter().map(crate::views::pinned::pin_json).collect::<Vec<_>>(),
        "last_push": status.last_push.as_ref().map(|e| history::row_json(&e.push)),
    })
}

#[cfg(test)]
mod tests {
    use sisyphus_core::pause::PauseTarget;
    use sisyphus_state::{Holder, Timestamp};

    use super::*;

    #[test]
    fn status_text() {
        let status = Status {
            lock: Some(LockInfo {
                holder: Holder {
                    user: "bob".into(),
                    host: "ci-9".into(),
                    pid: 77,
                },
                since: Timestamp(1_796_153_402_000),
                heartbeat: Timestamp(1_796_153_422_000),
                expires: Timestamp(1_796_153_482_000),
                expired: false,
            }),
            pauses: vec![Pause {
                target: PauseTarget::Namespace("web".into()),
                user: "alice".into(),
                host: "ci-7".into(),
                since_ms: 1_796_153_000_000,
                reason: Some("freeze".into()),
            }],
            pins: vec![Pin {
                resource: sisyphus_core::desired::ResourceId {
                    kind: sisyphus_core::production::ResourceKind::Deployment,
                    folder: "web".into(),
                    name: "echo".into(),
                },
                to_push: 3,
                user: "carol".into(),
                host: "laptop".into(),
                since_ms: 1_796_153_100_000,
                push_id: 5,
            }],
            last_push: None,
        };
        insta::assert_snapshot!("status_text", text(&status));
        let empty = Status {
            lock: None,
            pauses: Vec::new(),
            pins: Vec::new(),
            last_push: None,
        };
        assert_eq!(
            text(&empty),
            "push lock: free\npaused: nothing\npinned: nothing\nlast push: none\n"
        );
        assert_eq!(json(&status)["pauses"][0]["target"], "namespace/web");
        assert_eq!(json(&status)["pins"][0]["target"], "Deployment/web/echo");
        assert_eq!(json(&status)["pins"][0]["to_push"], 3);
    }
}
