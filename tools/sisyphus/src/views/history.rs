//! The history, two views over one value: text for people and JSON for programs. A push lists
//! who ran it, when, how it ended, its plan's inputs hash, its counts, and per resource the
//! config and binary images it moved between; `--audit` lists one line per operation. Values
//! shown are words, names and image references: intents appear only in `history show`, through
//! the change set view (masked).

use serde_json::{Value, json};
use sisyphus_core::change::{Action, ChangeSet};
use sisyphus_core::desired::{ConfigOrigin, ResourceId};
use sisyphus_core::text::escape_line;
use sisyphus_state::{HistoryEntry, PushRow, ResourceMove};

/// The JSON schema version of the history views.
pub const JSON_VERSION: u64 = 1;

/// Pushes newest first, each with its resources. `no pushes` for none.
pub fn text(entries: &[HistoryEntry]) -> String {
    if entries.is_empty() {
        return "no pushes\n".to_owned();
    }
    let mut out = String::new();
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&header(&entry.push));
        out.push_str(&format!("  {}\n", what(&entry.push)));
        for one in &entry.moves {
            out.push_str(&move_text(one));
        }
    }
    out
}

/// One line per operation, newest first: id, when, operation, outcome, who and from where,
/// what it did.
pub fn audit_text(entries: &[HistoryEntry]) -> String {
    if entries.is_empty() {
        return "no operations\n".to_owned();
    }
    let mut out = String::new();
    for entry in entries {
        let row = &entry.push;
        out.push_str(&format!(
            "{:>6}  {}  {:<8}  {:<11}  `{}` on `{}`  {}\n",
            row.id,
            row.started,
            row.operation.as_str(),
            row.outcome.as_str(),
            row.user,
            row.host,
            what(row)
        ));
    }
    out
}

/// `push 3  succeeded  2026-12-01 19:30:02 UTC  by `tester` on `host`  inputs `...``.
pub fn header(row: &PushRow) -> String {
    let inputs = row
        .inputs_hash
        .as_ref()
        .map(|h| format!("  inputs `{h}`"))
        .unwrap_or_default();
    format!(
        "{} {}  {}  {}  by `{}` on `{}`{inputs}\n",
        row.operation.as_str(),
        row.id,
        row.outcome.as_str(),
        row.started,
        row.user,
        row.host
    )
}

/// What a row did, in words: its message, else its non-zero counts, else `nothing changed`.
pub fn what(row: &PushRow) -> String {
    let counts = counts_text(row);
    match (&row.message, counts.is_empty()) {
        (Some(message), true) => escape_line(message).into_owned(),
        (Some(message), false) => format!("{counts}; {}", escape_line(message)),
        (None, false) => counts,
        (None, true) => "nothing changed".to_owned(),
    }
}

fn counts_text(row: &PushRow) -> String {
    let parts: Vec<String> = Action::ALL
        .iter()
        .filter(|a| **a != Action::Unchanged)
        .filter_map(|a| {
            let n = row.counts.get(a).copied().unwrap_or(0);
            (n > 0).then(|| format!("{n} {}", a.word()))
        })
        .collect();
    parts.join(", ")
}

/// `  ~ Deployment web/echo in `east`, `west` (2 objects: update)` and its image lines.
pub fn move_text(one: &ResourceMove) -> String {
    let resource = one
        .resource
        .as_ref()
        .map_or_else(|| "objects of no resource".to_owned(), ResourceId::path);
    let clusters: Vec<String> = one.clusters.iter().map(|c| format!("`{c}`")).collect();
    let actions: Vec<&str> = one.actions.iter().map(|a| a.word()).collect();
    let mut out = format!(
        "  {resource} in {} ({} object(s): {})\n",
        clusters.join(", "),
        one.objects,
        actions.join(", ")
    );
    let image = |pick: fn(&ConfigOrigin) -> &String, label: &str| -> Option<String> {
        let before = one.before.as_ref().map(pick);
        let after = one.after.as_ref().map(pick);
        match (before, after) {
            (None, None) => None,
            (Some(b), Some(a)) if a == b => Some(format!("    {label}: `{a}` (unchanged)\n")),
            (Some(b), Some(a)) => Some(format!("    {label}: `{b}` -> `{a}`\n")),
            (None, Some(a)) => Some(format!("    {label}: -> `{a}`\n")),
            (Some(b), None) => Some(format!("    {label}: `{b}` -> (removed)\n")),
        }
    };
    out.extend(image(|c| &c.config_image, "config image"));
    out.extend(image(|c| &c.binary_image, "binary image"));
    out
}

/// The history (or audit trail) as one JSON document: `version` and `history`, newest first.
pub fn json(entries: &[HistoryEntry]) -> Value {
    json!({
        "version": JSON_VERSION,
        "history": entries.iter().map(entry_json).collect::<Vec<_>>(),
    })
}

fn entry_json(entry: &HistoryEntry) -> Value {
    let mut v = row_json(&entry.push);
    v["resources"] = entry.moves.iter().map(move_json).collect();
    v
}

/// One history row as JSON.
pub fn row_json(row: &PushRow) -> Value {
    let counts: serde_json::Map<String, Value> = row
        .counts
        .iter()
        .map(|(a, n)| (a.word().to_owned(), json!(n)))
        .collect();
    json!({
        "id": row.id,
        "operation": row.operation.as_str(),
        "user": row.user,
        "host": row.host,
        "pid": row.pid,
        "started": row.started.to_string(),
        "started_ms": row.started.unix_millis(),
        "finished": row.finished.map(|t| t.to_string()),
        "finished_ms": row.finished.map(|t| t.unix_millis()),
        "outcome": row.outcome.as_str(),
        "inputs_hash": row.inputs_hash,
        "counts": counts,
        "message": row.message,
        "what": what(row),
    })
}

fn origin_json(origin: Option<&ConfigOrigin>) -> Value {
    json!(origin.map(|c| json!({"config_image": c.config_image, "binary_image": c.binary_image})))
}

fn move_json(one: &ResourceMove) -> Value {
    json!({
        "resource": one.resource.as_ref().map(ResourceId::path),
        "clusters": one.clusters,
        "actions": one.actions.iter().map(|a| a.word()).collect::<Vec<_>>(),
        "objects": one.objects,
        "before": origin_json(one.before.as_ref()),
        "after": origin_json(one.after.as_ref()),
    })
}

/// `history show`: the row, then its change set as `diff` shows it.
pub fn show_text(row: &PushRow, changes: &ChangeSet, color: bool) -> String {
    let mut out = header(row);
    out.push_str(&format!("  {}\n", what(row)));
    if changes.changes.is_empty() {
        out.push_str("\nno object changes recorded\n");
        return out;
    }
    out.push('\n');
    out.push_str(&crate::views::changes::text(changes, color));
    out
}

/// `history show` as JSON: `version`, `push` (the row) and `changes` (the change set view).
pub fn show_json(row: &PushRow, changes: &ChangeSet) -> Value {
    json!({
        "version": JSON_VERSION,
        "push": row_json(row),
        "changes": crate::views::changes::json(changes),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use sisyphus_core::production::ResourceKind;
    use sisyphus_state::{Operation, Outcome, Timestamp};

    use super::*;

    fn row(id: i64, operation: Operation, message: Option<&str>) -> PushRow {
        let mut counts: BTreeMap<Action, usize> = Action::ALL.iter().map(|a| (*a, 0)).collect();
        if operation == Operation::Push {
            counts.insert(Action::Update, 2);
            counts.insert(Action::Create, 1);
        }
        PushRow {
            id,
            operation,
            user: "alice".into(),
            host: "ci-7".into(),
            pid: 4242,
            started: Timestamp(1_796_153_402_000 + id * 60_000),
            finished: Some(Timestamp(1_796_153_410_000 + id * 60_000)),
            inputs_hash: (operation == Operation::Push).then(|| format!("{:016x}", id)),
            outcome: Outcome::Succeeded,
            counts,
            message: message.map(Into::into),
        }
    }

    fn origin(config: &str, binary: &str) -> Option<ConfigOrigin> {
        Some(ConfigOrigin {
            config_image: format!("registry.example/acme/echo_config@sha256:{config}"),
            binary_image: format!("registry.example/acme/echo@sha256:{binary}"),
        })
    }

    fn entries() -> Vec<HistoryEntry> {
        let echo = ResourceId {
            kind: ResourceKind::Deployment,
            folder: "web".into(),
            name: "echo".into(),
        };
        vec![
            HistoryEntry {
                push: row(3, Operation::Push, None),
                moves: vec![
                    ResourceMove {
                        resource: Some(echo.clone()),
                        clusters: BTreeSet::from(["east".into(), "west".into()]),
                        actions: BTreeSet::from([Action::Update]),
                        objects: 2,
                        before: origin("aaaa", "bbbb"),
                        after: origin("cccc", "bbbb"),
                    },
                    ResourceMove {
                        resource: None,
                        clusters: BTreeSet::from(["east".into()]),
                        actions: BTreeSet::from([Action::Create]),
                        objects: 1,
                        before: None,
                        after: None,
                    },
                ],
            },
            HistoryEntry {
                push: row(
                    2,
                    Operation::Pause,
                    Some("paused `Deployment/web/echo`: incident"),
                ),
                moves: Vec::new(),
            },
        ]
    }

    #[test]
    fn history_text() {
        let pushes: Vec<HistoryEntry> = entries()
            .into_iter()
            .filter(|e| e.push.operation == Operation::Push)
            .collect();
        insta::assert_snapshot!("history_text", text(&pushes));
        assert_eq!(text(&[]), "no pushes\n");
    }

    #[test]
    fn audit_trail_text() {
        insta::assert_snapshot!("audit_text", audit_text(&entries()));
        assert_eq!(audit_text(&[]), "no operations\n");
    }

    #[test]
    fn history_json_names_resources_as_the_flags_do() {
        let value = json(&entries());
        assert_eq!(value["version"], 1);
        let moved = &value["history"][0]["resources"][0];
        assert_eq!(moved["resource"], "Deployment/web/echo");
        assert_eq!(moved["clusters"], serde_json::json!(["east", "west"]));
        assert_eq!(
            moved["before"]["config_image"],
            "registry.example/acme/echo_config@sha256:aaaa"
        );
        assert_eq!(
            value["history"][1]["what"],
            "paused `Deployment/web/echo`: incident"
        );
        assert_eq!(value["history"][0]["what"], "1 create, 2 update");
    }

    #[test]
    fn a_message_with_a_newline_stays_on_its_line() {
        let entry = HistoryEntry {
            push: row(9, Operation::Pause, Some("paused `x`: one\ntwo")),
            moves: Vec::new(),
        };
        assert_eq!(audit_text(&[entry]).lines().count(), 1);
    }
}
