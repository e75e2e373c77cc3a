//! What pins held back in a change set: per pinned resource, who pinned it to which push and
//! the objects where the files say otherwise. Text for people, JSON (a list under the change
//! set's `pinned`) for programs. Shows keys and words only, never an object.

use serde_json::{Value, json};
use sisyphus_core::pin::{Held, Pin};
use sisyphus_state::Timestamp;

use crate::views::changes::key_json;

/// `pinned: N resource(s) kept where a rollback took them`, then one entry per pin with the
/// objects the files would change. Empty for none.
pub fn text(held: &[Held], color: bool) -> String {
    if held.is_empty() {
        return String::new();
    }
    let mut out = super::section(
        &format!(
            "pinned: {} resource(s) kept where a rollback took them",
            held.len()
        ),
        color,
    );
    for one in held {
        out.push_str(&format!("  {}\n", crate::pins::pinned_by(&one.pin)));
        if one.differs.is_empty() {
            out.push_str("      the files say the same\n");
        } else {
            out.push_str(&format!(
                "      the files differ in {} object(s), not applied:\n",
                one.differs.len()
            ));
            for key in &one.differs {
                out.push_str(&format!("        {key}\n"));
            }
        }
        out.push_str(&format!(
            "      `sisyphus unpin {}` to follow the files again\n",
            one.pin.target()
        ));
    }
    out
}

/// The pins as a JSON list: the pin and `differs`, the objects held back.
pub fn json(held: &[Held]) -> Value {
    Value::Array(
        held.iter()
            .map(|one| {
                let mut value = pin_json(&one.pin);
                value["differs"] = one.differs.iter().map(key_json).collect();
                value
            })
            .collect(),
    )
}

/// One pin as JSON: `target`, `to_push`, `user`, `host`, `since` (UTC text), `since_ms`,
/// `push_id` (its audit row).
pub fn pin_json(pin: &Pin) -> Value {
    json!({
        "target": pin.target(),
        "to_push": pin.to_push,
        "user": pin.user,
        "host": pin.host,
        "since": Timestamp(pin.since_ms).to_string(),
        "since_ms": pin.since_ms,
        "push_id": pin.push_id,
    })
}

#[cfg(test)]
mod tests {
    use sisyphus_core::desired::{ObjectKey, ResourceId};
    use sisyphus_core::production::ResourceKind;

    use super::*;

    #[test]
    fn pinned_text() {
        let pin = Pin {
            resource: ResourceId {
                kind: ResourceKind::Deployment,
                folder: "web".into(),
                name: "echo".into(),
            },
            to_push: 1,
            user: "alice".into(),
            host: "ci-7".into(),
            since_ms: 1_796_153_402_000,
            push_id: 4,
        };
        let key = ObjectKey {
            cluster: "east".into(),
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            namespace: Some("web".into()),
            name: "echo".into(),
        };
        let held = [
            Held {
                pin: pin.clone(),
                differs: vec![key],
            },
            Held {
                pin: Pin {
                    resource: ResourceId {
                        name: "other".into(),
                        ..pin.resource.clone()
                    },
                    ..pin
                },
                differs: Vec::new(),
            },
        ];
        insta::assert_snapshot!("pinned_text", text(&held, false));
        assert_eq!(text(&[], false), "");
        let value = json(&held);
        assert_eq!(value[0]["target"], "Deployment/web/echo");
        assert_eq!(value[0]["to_push"], 1);
        assert_eq!(value[0]["since"], "2026-12-01 19:30:02 UTC");
        assert_eq!(value[0]["differs"][0]["apiVersion"], "apps/v1");
        assert_eq!(value[1]["differs"], json!([]));
    }
}
