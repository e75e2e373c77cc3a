//! Typed access to YAML nodes with located, accumulated errors: mappings with a fixed set of
//! fields (unknown ones are reported with a "did you mean"), strings, integers, lists.

use crate::diag::Diagnostics;
use crate::suggest::{closest, one_of};
use crate::yaml::{Node, Pos, Value};

/// The file being read and the problems found so far.
pub(crate) struct Cx<'a> {
    /// Path relative to the monitored directory.
    pub file: &'a str,
    /// The file's text (for quoting what the user wrote), or `""`.
    pub text: &'a str,
    /// Where problems go.
    pub diags: &'a mut Diagnostics,
}

impl Cx<'_> {
    /// Record a problem at `pos` in the current file.
    pub fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags.error(self.file, pos, message);
    }
}

/// The fields of a mapping whose keys were checked against the allowed names.
pub(crate) struct Fields<'n> {
    /// Where the mapping starts.
    pub pos: Pos,
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
    /// Allowed names suggested for unknown fields: not reported again as missing.
    suggested: Vec<String>,
}

impl<'n> Fields<'n> {
    /// The value of field `name`, if present.
    pub fn get(&self, name: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == name)
            .map(|(_, _, v)| *v)
    }

    /// The key node of field `name`, if present.
    pub fn key(&self, name: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == name)
            .map(|(_, k, _)| *k)
    }

    /// The value of field `name`, or a "missing field" problem at the mapping.
    pub fn required(&self, cx: &mut Cx<'_>, name: &str, what: &str) -> Option<&'n Node> {
        let found = self.get(name);
        if found.is_none() && !self.suggested.iter().any(|s| s == name) {
            cx.error(self.pos, format!("missing field `{name}` in {what}"));
        }
        found
    }
}

/// `node` as a mapping with only the `allowed` fields. Unknown fields are reported (with the
/// closest allowed name) and left out.
pub(crate) fn fields<'n>(
    cx: &mut Cx<'_>,
    node: &'n Node,
    what: &str,
    allowed: &[&str],
) -> Option<Fields<'n>> {
    let entries = mapping(cx, node, what)?;
    let mut out = Vec::with_capacity(entries.len());
    let mut suggested = Vec::new();
    for (key, value) in entries {
        let Value::Str(name) = &key.value else {
            cx.error(
                key.pos,
                format!(
                    "expected a field name in {what}, found {}",
                    key.value.describe()
                ),
            );
            continue;
        };
        if allowed.contains(&name.as_str()) {
            out.push((name.as_str(), key, value));
        } else {
            if let Some(near) = closest(name, allowed.iter().copied()) {
                suggested.push(near.to_string());
            }
            cx.error(key.pos, unknown_field(name, what, allowed));
        }
    }
    Some(Fields {
        pos: node.pos,
        entries: out,
        suggested,
    })
}

/// The message for an unknown field.
pub(crate) fn unknown_field(name: &str, what: &str, allowed: &[&str]) -> String {
    match closest(name, allowed.iter().copied()) {
        Some(near) => format!("unknown field `{name}` in {what}, did you mean `{near}`?"),
        None if allowed.is_empty() => {
            format!("unknown field `{name}` in {what}, expected no fields")
        }
        None => format!(
            "unknown field `{name}` in {what}, expected {}",
            one_of(allowed)
        ),
    }
}

/// `node` as a mapping (null counts as an empty one).
pub(crate) fn mapping<'n>(
    cx: &mut Cx<'_>,
    node: &'n Node,
    what: &str,
) -> Option<&'n [(Node, Node)]> {
    match &node.value {
        Value::Map(entries) => Some(entries),
        Value::Null => Some(&[]),
        other => {
            cx.error(
                node.pos,
                format!("expected a mapping for {what}, found {}", other.describe()),
            );
            None
        }
    }
}

/// `node` as a sequence (null counts as an empty one).
pub(crate) fn sequence<'n>(cx: &mut Cx<'_>, node: &'n Node, what: &str) -> Option<&'n [Node]> {
    match &node.value {
        Value::Seq(items) => Some(items),
        Value::Null => Some(&[]),
        other => {
            cx.error(
                node.pos,
                format!("expected a list for {what}, found {}", other.describe()),
            );
            None
        }
    }
}

/// `node` as a string.
pub(crate) fn string(cx: &mut Cx<'_>, node: &Node, what: &str) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Bool(_) | Value::Int(_) | Value::UInt(_) | Value::Float(_) => {
            cx.error(
                node.pos,
                format!(
                    "expected a string for {what}, found {} (quote it: \"{}\")",
                    node.value.describe(),
                    written(cx.text, node)
                ),
            );
            None
        }
        other => {
            cx.error(
                node.pos,
                format!("expected a string for {what}, found {}", other.describe()),
            );
            None
        }
    }
}

/// The scalar `node` as written in `text` (`y`, `1.10`, `0644`), so that quoting it keeps the
/// meaning; its resolved string form when the text there is not a plain scalar (a tag, an alias).
fn written(text: &str, node: &Node) -> String {
    let line = text.lines().nth(
        usize::try_from(node.pos.line)
            .unwrap_or(usize::MAX)
            .saturating_sub(1),
    );
    let raw: Option<String> = line.map(|l| {
        l.chars()
            .skip(
                usize::try_from(node.pos.column)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(1),
            )
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}'))
            .collect()
    });
    match raw {
        Some(raw) if !raw.is_empty() && !raw.starts_with(['!', '&', '*', '\'', '"']) => raw,
        _ => node.scalar_string().unwrap_or_default(),
    }
}

/// `node` as a non-empty string.
pub(crate) fn nonempty_string(cx: &mut Cx<'_>, node: &Node, what: &str) -> Option<String> {
    let s = string(cx, node, what)?;
    if s.trim().is_empty() {
        cx.error(node.pos, format!("{what} must not be empty"));
        return None;
    }
    Some(s)
}

/// `node` as an integer in `0..=max`.
pub(crate) fn uint(cx: &mut Cx<'_>, node: &Node, what: &str, max: u64) -> Option<u64> {
    match &node.value {
        Value::UInt(u) if *u <= max => Some(*u),
        Value::UInt(u) => {
            cx.error(node.pos, format!("{what} must be at most {max}, found {u}"));
            None
        }
        Value::Int(i) => {
            cx.error(node.pos, format!("{what} must not be negative, found {i}"));
            None
        }
        other => {
            cx.error(
                node.pos,
                format!("expected an integer for {what}, found {}", other.describe()),
            );
            None
        }
    }
}

/// `node` as a boolean.
pub(crate) fn boolean(cx: &mut Cx<'_>, node: &Node, what: &str) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        other => {
            cx.error(
                node.pos,
                format!(
                    "expected `true` or `false` for {what}, found {}",
                    other.describe()
                ),
            );
            None
        }
    }
}

/// `node` as a list of strings, each with its position.
pub(crate) fn string_list(cx: &mut Cx<'_>, node: &Node, what: &str) -> Vec<(String, Pos)> {
    let Some(items) = sequence(cx, node, what) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            nonempty_string(cx, item, &format!("an entry of {what}")).map(|s| (s, item.pos))
        })
        .collect()
}
