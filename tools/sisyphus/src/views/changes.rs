//! The change set, two views over one value: text for people (counts per cluster, then a
//! unified YAML diff per changed object, coloured only on a terminal) and JSON for programs
//! (schema in docs/pipeline.md). Both show Secret values masked (`sisyphus_diff::text` masks
//! both sides of every diff) and key names only.

use console::Style;
use serde_json::{Value, json};
use sisyphus_core::change::{Action, Change, ChangeSet};
use sisyphus_core::desired::ObjectKey;
use sisyphus_diff::text::{Tag, change_diff, change_diff_lines};

/// The JSON schema version of [`json()`].
pub const JSON_VERSION: u64 = 1;

/// Counts per cluster, then each change with its reasons and diff. `color`: ANSI colours.
pub fn text(changes: &ChangeSet, color: bool) -> String {
    let style = |s: Style| if color { s } else { Style::new() };
    let (add, del, hunk, head) = (
        style(Style::new().green()),
        style(Style::new().red()),
        style(Style::new().cyan()),
        style(Style::new().bold()),
    );
    let mut out = String::new();
    for (cluster, counts) in changes.counts() {
        let parts: Vec<String> = Action::ALL
            .iter()
            .map(|a| format!("{} {}", counts.get(a).copied().unwrap_or(0), a.word()))
            .collect();
        out.push_str(&format!("cluster `{cluster}`: {}\n", parts.join(", ")));
    }
    for change in changes.writes() {
        out.push('\n');
        let line = format!(
            "{} {} {}",
            change.action.symbol(),
            change.action.word(),
            change.key
        );
        out.push_str(&format!("{}\n", head.apply_to(line)));
        for reason in &change.reasons {
            out.push_str(&format!("    {reason}\n"));
        }
        for (tag, line) in change_diff_lines(change) {
            let line = line.trim_end_matches('\n');
            let shown = match tag {
                Tag::Header => head.apply_to(line).to_string(),
                Tag::Hunk => hunk.apply_to(line).to_string(),
                Tag::Insert => add.apply_to(line).to_string(),
                Tag::Delete => del.apply_to(line).to_string(),
                Tag::Context => line.to_owned(),
            };
            out.push_str(&format!("  {shown}\n"));
        }
    }
    for blocked in &changes.blocked {
        out.push_str(&format!(
            "\n{} {}: cannot change `{}`: {}\n",
            del.apply_to("blocked"),
            blocked.key,
            blocked.field,
            blocked.reason
        ));
    }
    if !changes.has_changes() {
        out.push_str("\nno changes\n");
    }
    out
}

/// The change set as one JSON document: `version`, per-cluster `counts`, every change that
/// writes (with `reasons` and the unified `diff`), and `blocked`.
pub fn json(changes: &ChangeSet) -> Value {
    let counts: serde_json::Map<String, Value> = changes
        .counts()
        .into_iter()
        .map(|(cluster, per)| {
            let per: serde_json::Map<String, Value> = per
                .into_iter()
                .map(|(a, n)| (a.word().to_owned(), json!(n)))
                .collect();
            (cluster, Value::Object(per))
        })
        .collect();
    let list: Vec<Value> = changes.writes().map(change_json).collect();
    let blocked: Vec<Value> = changes
        .blocked
        .iter()
        .map(|b| {
            let mut v = key_json(&b.key);
            v["field"] = json!(b.field);
            v["reason"] = json!(b.reason);
            v
        })
        .collect();
    json!({
        "version": JSON_VERSION,
        "has_changes": changes.has_changes(),
        "counts": counts,
        "changes": list,
        "blocked": blocked,
    })
}

/// An object's identity as the JSON views write it.
pub fn key_json(key: &ObjectKey) -> Value {
    json!({
        "cluster": key.cluster,
        "apiVersion": key.api_version(),
        "kind": key.kind,
        "namespace": key.namespace,
        "name": key.name,
    })
}

fn change_json(change: &Change) -> Value {
    let mut v = key_json(&change.key);
    v["action"] = json!(change.action.word());
    v["reasons"] = json!(change.reasons);
    let desired = change.desired.as_ref();
    v["resource"] = json!(
        desired
            .and_then(|d| d.resource.as_ref())
            .or_else(|| change.recorded.as_ref().and_then(|r| r.resource.as_ref()))
            .map(ToString::to_string)
    );
    let origin = desired
        .and_then(|d| d.config.as_ref())
        .map(|c| json!({"config_image": c.config_image, "binary_image": c.binary_image}));
    let before = change
        .recorded
        .as_ref()
        .and_then(|r| r.config.as_ref())
        .map(|c| json!({"config_image": c.config_image, "binary_image": c.binary_image}));
    v["config"] = json!(origin);
    v["recorded_config"] = json!(before);
    v["diff"] = json!(change_diff(change));
    v
}
