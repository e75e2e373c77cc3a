//! Text views of objects and changes: an object as YAML, and a unified diff (`similar`, three
//! lines of context, `--- recorded` / `+++ desired`) of a recorded object against a desired one.
//! Both sides go through [`secret::masked`] first, so no Secret value ever appears. Plain text
//! only: colour is the CLI's job, and [`Tag`] says what each line is. Touches nothing.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};
use sisyphus_core::change::Change;
use sisyphus_core::plain::PlainValue;
use sisyphus_core::secret;

/// What one line of a diff is, for the CLI to colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tag {
    /// `--- recorded` or `+++ desired`.
    Header,
    /// `@@ -1,4 +1,4 @@`.
    Hunk,
    /// A line both sides have (starts with a space).
    Context,
    /// A line only the recorded object has (starts with `-`).
    Delete,
    /// A line only the desired object has (starts with `+`).
    Insert,
}

/// `object` as YAML, masked: plain numbers, multi-line strings as literal blocks, long strings
/// on one line.
pub fn yaml(object: &Value) -> String {
    let shown = secret::masked(object);
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    let mut text = serde_saphyr::to_string_with_options(&PlainValue(&shown), options)
        // A JSON value always serializes; JSON is valid YAML should it ever not.
        .unwrap_or_else(|_| serde_json::to_string_pretty(&shown).unwrap_or_default());
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// A unified diff of `before` (recorded) against `after` (desired) as YAML, each line ending in
/// `\n`; empty when they are the same. `None` is no object (a create or a delete).
pub fn yaml_diff(before: Option<&Value>, after: Option<&Value>) -> String {
    let mut out = String::new();
    for (_, line) in yaml_diff_lines(before, after) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// [`yaml_diff`] as tagged lines, without line ends: each line starts with its marker (`---`,
/// `+++`, `@@`, a space, `-` or `+`).
pub fn yaml_diff_lines(before: Option<&Value>, after: Option<&Value>) -> Vec<(Tag, String)> {
    let old = before.map(yaml).unwrap_or_default();
    let new = after.map(yaml).unwrap_or_default();
    let diff = TextDiff::from_lines(&old, &new);
    let unified = diff.unified_diff();
    let mut lines = Vec::new();
    for hunk in unified.iter_hunks() {
        if lines.is_empty() {
            lines.push((Tag::Header, "--- recorded".to_owned()));
            lines.push((Tag::Header, "+++ desired".to_owned()));
        }
        lines.push((Tag::Hunk, hunk.header().to_string()));
        for change in hunk.iter_changes() {
            let (tag, marker) = match change.tag() {
                ChangeTag::Equal => (Tag::Context, ' '),
                ChangeTag::Delete => (Tag::Delete, '-'),
                ChangeTag::Insert => (Tag::Insert, '+'),
            };
            let text = change.value();
            let text = text.strip_suffix('\n').unwrap_or(text);
            lines.push((tag, format!("{marker}{text}")));
        }
    }
    lines
}

/// [`yaml_diff_lines`] of one change: the recorded object (as stored, already masked) against
/// the desired one. A recorded object whose stored text is not JSON is shown as absent.
pub fn change_diff_lines(change: &Change) -> Vec<(Tag, String)> {
    let before = change
        .recorded
        .as_ref()
        .and_then(|recorded| recorded.applied_value().ok());
    let after = change.desired.as_ref().map(|desired| &desired.object);
    yaml_diff_lines(before.as_ref(), after)
}

/// [`change_diff_lines`] as text, each line ending in `\n`.
pub fn change_diff(change: &Change) -> String {
    let mut out = String::new();
    for (_, line) in change_diff_lines(change) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_numbers_and_one_line_long_strings() {
        let long = format!(
            "registry.example/{}@sha256:{}",
            "a".repeat(60),
            "0".repeat(64)
        );
        let value = json!({"num": 80, "f": 0.5, "s": "80", "multi": "a\nb\n", "long": long});
        assert_eq!(
            yaml(&value),
            format!("num: 80\nf: 0.5\ns: \"80\"\nmulti: |\n  a\n  b\nlong: {long}\n")
        );
    }

    #[test]
    fn same_objects_have_an_empty_diff_and_a_create_is_all_inserts() {
        let object = json!({"a": 1});
        assert_eq!(yaml_diff(Some(&object), Some(&object)), "");
        assert_eq!(yaml_diff(None, None), "");
        assert_eq!(
            yaml_diff(None, Some(&object)),
            "--- recorded\n+++ desired\n@@ -0,0 +1 @@\n+a: 1\n"
        );
        let lines = yaml_diff_lines(Some(&object), None);
        let tags: Vec<Tag> = lines.iter().map(|(tag, _)| *tag).collect();
        assert_eq!(tags, [Tag::Header, Tag::Header, Tag::Hunk, Tag::Delete]);
    }
}
