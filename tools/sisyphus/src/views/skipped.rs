//! What pauses left out of a change set: per change, what it would have done and who paused
//! it, when and why. Text for people, JSON (a list under the change set's `skipped`) for
//! programs. Shows keys and words only, never an object.

use serde_json::{Value, json};
use sisyphus_core::pause::{Pause, Skipped};
use sisyphus_state::Timestamp;

use crate::views::changes::key_json;

/// `skipped (paused): N change(s)`, then one entry per change with its pause. Empty for none.
pub fn text(skipped: &[Skipped], color: bool) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let mut out = super::section(
        &format!("skipped (paused): {} change(s) not made", skipped.len()),
        color,
    );
    for one in skipped {
        let change = &one.change;
        out.push_str(&format!(
            "  {} {} {}\n      {}\n",
            change.action.symbol(),
            change.action.word(),
            change.key,
            paused_by(&one.pause)
        ));
        if let Some(why) = &one.why {
            out.push_str(&format!("      {why}\n"));
        }
    }
    out
}

/// `` `Deployment/web/echo` paused by `alice` on `ci-7` since 2026-12-01 19:30:02 UTC: why ``.
pub fn paused_by(pause: &Pause) -> String {
    format!(
        "`{}` paused by `{}` on `{}` since {}{}",
        pause.target,
        pause.user,
        pause.host,
        Timestamp(pause.since_ms),
        pause
            .reason
            .as_ref()
            .map(|r| format!(": {}", sisyphus_core::text::escape_line(r)))
            .unwrap_or_default()
    )
}

/// The skipped changes as a JSON list.
pub fn json(skipped: &[Skipped]) -> Value {
    Value::Array(
        skipped
            .iter()
            .map(|one| {
                let mut value = key_json(&one.change.key);
                value["action"] = json!(one.change.action.word());
                value["why"] = json!(one.why);
                value["paused"] = pause_json(&one.pause);
                value
            })
            .collect(),
    )
}

/// One pause as JSON: `target`, `user`, `host`, `since` (UTC text), `since_ms`, `reason`.
pub fn pause_json(pause: &Pause) -> Value {
    json!({
        "target": pause.target.to_string(),
        "user": pause.user,
        "host": pause.host,
        "since": Timestamp(pause.since_ms).to_string(),
        "since_ms": pause.since_ms,
        "reason": pause.reason,
    })
}

#[cfg(test)]
mod tests {
    use sisyphus_core::change::{Action, Change};
    use sisyphus_core::desired::{ObjectKey, ResourceId};
    use sisyphus_core::pause::PauseTarget;
    use sisyphus_core::production::ResourceKind;

    use super::*;

    #[test]
    fn skipped_text() {
        let pause = Pause {
            target: PauseTarget::Resource(ResourceId {
                kind: ResourceKind::Deployment,
                folder: "web".into(),
                name: "echo".into(),
            }),
            user: "alice".into(),
            host: "ci-7".into(),
            since_ms: 1_796_153_402_000,
            reason: Some("incident 42".into()),
        };
        let change = |kind: &str, name: &str, action| Change {
            key: ObjectKey {
                cluster: "east".into(),
                group: String::new(),
                version: "v1".into(),
                kind: kind.into(),
                namespace: (kind != "Namespace").then(|| "web".into()),
                name: name.into(),
            },
            action,
            desired: None,
            recorded: None,
            reasons: Vec::new(),
        };
        let skipped = [
            Skipped {
                change: change("Service", "echo", Action::Delete),
                pause: pause.clone(),
                why: None,
            },
            Skipped {
                change: change("Namespace", "web", Action::Delete),
                pause: Pause {
                    reason: None,
                    ..pause
                },
                why: Some("the namespace holds objects of the paused `Deployment/web/echo`".into()),
            },
        ];
        insta::assert_snapshot!("skipped_text", text(&skipped, false));
        assert_eq!(text(&[], false), "");
        let value = json(&skipped);
        assert_eq!(value[0]["paused"]["since"], "2026-12-01 19:30:02 UTC");
        assert_eq!(value[0]["paused"]["reason"], "incident 42");
        assert_eq!(
            value[1]["why"],
            skipped[1].why.as_deref().unwrap_or_default()
        );
    }
}
