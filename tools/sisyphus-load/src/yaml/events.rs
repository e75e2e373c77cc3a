//! The fast path of [`parse_documents`](super::parse_documents): the located tree built straight
//! from granit-parser events (the parser serde-saphyr itself runs, with the same options), without
//! serde and its per-node `Spanned` wrappers.
//!
//! It covers the YAML production folders are made of: untagged, anchor-free mappings, sequences
//! and scalars with string keys. For anything else (a syntax error, a tag, an anchor or alias, a
//! merge key, a duplicate or non-string key, a number spelling other than plain decimals, a size
//! near a serde-saphyr budget) it returns `None` and the caller parses the text again with
//! serde-saphyr, which then decides: the result and every error message stay exactly serde-saphyr's.
//! Touches nothing but the string it is given.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span, StrInput};

use super::{Node, Pos, Value};

/// Larger files go to serde-saphyr, whose byte budgets (64 MiB of scalars, 64 MiB of comments)
/// are then far away.
const MAX_BYTES: usize = 16 * 1024 * 1024;
/// serde-saphyr refuses more than 64 levels; stay well below.
const MAX_DEPTH: usize = 40;
/// serde-saphyr refuses more than 250,000 nodes.
const MAX_NODES: usize = 200_000;
/// serde-saphyr refuses more than 1,000,000 events.
const MAX_EVENTS: usize = 500_000;
/// serde-saphyr refuses more than 1,024 documents.
const MAX_DOCUMENTS: usize = 1_000;
/// Mappings with more keys than this check duplicates with a hash set instead of a scan.
const LINEAR_KEY_CHECK: usize = 16;

/// The documents of `text` (empty ones skipped), or `None` when serde-saphyr must decide.
pub(super) fn parse(text: &str) -> Option<Vec<Node>> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let mut b = Builder {
        parser: Parser::new_from_str_with_options(text, parser_options()),
        events: 0,
        nodes: 0,
    };
    let mut docs = Vec::new();
    let mut documents = 0;
    loop {
        let (event, span) = b.next()?;
        match event {
            Event::StreamStart | Event::DocumentEnd => {}
            Event::DocumentStart(_, None) => {
                documents += 1;
                if documents > MAX_DOCUMENTS {
                    return None;
                }
            }
            Event::StreamEnd => break,
            event => {
                // A document whose root is null (empty, `~`, `null`) is skipped.
                let node = b.node(event, &span, 0)?;
                if node.value != Value::Null {
                    docs.push(node);
                }
            }
        }
    }
    // The stream ended: the parser must have nothing more to say.
    match b.parser.next() {
        None => Some(docs),
        Some(_) => None,
    }
}

/// The options serde-saphyr gives granit-parser by default (`Budget::parser_options` and
/// `Options::parser_options`), so that both accept and refuse the same texts.
fn parser_options() -> Options {
    let budget = serde_saphyr::Budget::default();
    let mut options = Options::default();
    options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    options.flow_nesting_limit = budget.flow_nesting_limit;
    options.block_nesting_limit = options
        .block_nesting_limit
        .max(budget.max_depth.saturating_add(1));
    options.emit_comments = true;
    options.max_buffered_comment_events = budget.max_buffered_comment_events;
    options.strict_indentation = false;
    options.bom_inside_document_as_content = false;
    options
}

struct Builder<'a> {
    parser: Parser<'a, StrInput<'a>>,
    events: usize,
    nodes: usize,
}

impl<'a> Builder<'a> {
    /// The next event other than a comment; `None` on a parse error, the end of the events, or
    /// too many events.
    fn next(&mut self) -> Option<(Event<'a>, Span)> {
        loop {
            let (event, span) = self.parser.next()?.ok()?;
            self.events += 1;
            if self.events > MAX_EVENTS {
                return None;
            }
            if !matches!(event, Event::Comment(..)) {
                return Some((event, span));
            }
        }
    }

    /// The node that `event` starts.
    fn node(&mut self, event: Event<'a>, span: &Span, depth: usize) -> Option<Node> {
        self.nodes += 1;
        if self.nodes > MAX_NODES || depth > MAX_DEPTH {
            return None;
        }
        let pos = pos(span);
        let value = match event {
            Event::Scalar(value, style, 0, None) => scalar(value, style)?,
            Event::SequenceStart(_, 0, None) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, &span, depth + 1)?);
                }
                Value::Seq(items)
            }
            Event::MappingStart(_, 0, None) => {
                let mut entries: Vec<(Node, Node)> = Vec::new();
                let mut keys = HashSet::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(event, &span, depth + 1)?;
                    let Value::Str(name) = &key.value else {
                        return None;
                    };
                    if name == "<<" || is_duplicate(&entries, &mut keys, name) {
                        return None;
                    }
                    let (event, span) = self.next()?;
                    let value = self.node(event, &span, depth + 1)?;
                    entries.push((key, value));
                }
                Value::Map(entries)
            }
            // Anchors, aliases, tags, a stray end: serde-saphyr decides.
            _ => return None,
        };
        Some(Node { pos, value })
    }
}

/// Whether `name` is already a key of `entries` (whose keys are all strings, all different).
/// `seen` holds the first `seen.len()` keys: it is filled only for large mappings.
fn is_duplicate(entries: &[(Node, Node)], seen: &mut HashSet<String>, name: &str) -> bool {
    fn key_str((k, _): &(Node, Node)) -> &str {
        match &k.value {
            Value::Str(s) => s.as_str(),
            _ => "",
        }
    }
    if entries.len() < LINEAR_KEY_CHECK {
        return entries.iter().any(|e| key_str(e) == name);
    }
    for entry in &entries[seen.len()..] {
        seen.insert(key_str(entry).to_string());
    }
    seen.contains(name)
}

/// Where serde-saphyr locates a node: the start of its event's span, with a 1-based column.
fn pos(span: &Span) -> Pos {
    Pos {
        line: clamp(span.start.line()),
        column: clamp(span.start.col().saturating_add(1)),
    }
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An untagged scalar resolved as serde-saphyr's `deserialize_any` does with our options, or
/// `None` for the spellings left to serde-saphyr (numbers other than plain decimals, such as the
/// octal `0644` of `legacy_octal_numbers`, `.5`, `.inf`, ...).
fn scalar(value: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::Str(value.into_owned()));
    }
    let v = value.as_ref();
    if matches!(v, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Value::Null);
    }
    // YAML 1.1 booleans (serde-saphyr's default, `strict_booleans: false`).
    const TRUE: [&str; 4] = ["true", "yes", "y", "on"];
    const FALSE: [&str; 4] = ["false", "no", "n", "off"];
    if TRUE.iter().any(|t| v.eq_ignore_ascii_case(t)) {
        return Some(Value::Bool(true));
    }
    if FALSE.iter().any(|f| v.eq_ignore_ascii_case(f)) {
        return Some(Value::Bool(false));
    }
    // A plain scalar has no surrounding blanks; if it did, its resolution would trim them.
    if v.starts_with([' ', '\t', '\r', '\n']) || v.ends_with([' ', '\t', '\r', '\n']) {
        return None;
    }
    let (negative, unsigned) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let signed = unsigned.len() != v.len();
    match unsigned.bytes().next() {
        // Only a leading digit (or `.`) can start an integer or a float serde-saphyr accepts.
        Some(b'0'..=b'9') => {}
        Some(b'.') | None => return None,
        Some(_) => return Some(Value::Str(value.into_owned())),
    }
    let digits = unsigned.bytes().all(|b| b.is_ascii_digit());
    // Decimal integers without a redundant leading zero.
    if digits && (unsigned == "0" || !unsigned.starts_with('0')) {
        return match (signed, negative) {
            (false, _) => v.parse::<u64>().ok().map(Value::UInt),
            (true, true) if unsigned != "0" => v.parse::<i64>().ok().map(Value::Int),
            _ => None,
        };
    }
    // `12.5`: a finite float.
    if !signed
        && let Some((whole, fraction)) = unsigned.split_once('.')
        && !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return v
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::Float);
    }
    // A character no integer (decimal, `0x`, `0o`, `0b`, `_`) or float spelling holds: `500m`,
    // `128Mi`, `1/2`, `10:30`. Only these bytes can appear in one.
    let numeric = |b: u8| b.is_ascii_hexdigit() || b"xXoObB_.eE+-".contains(&b);
    if !unsigned.bytes().all(numeric) {
        return Some(Value::Str(value.into_owned()));
    }
    None
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::parse;
    use crate::yaml::parse_with_serde;

    /// Whether the fast path took `text`; when it did, its result must be serde-saphyr's.
    fn agrees(text: &str) -> bool {
        let Some(fast) = parse(text) else {
            return false;
        };
        assert_eq!(
            Ok(fast),
            parse_with_serde(text),
            "fast path differs on {text:?}"
        );
        true
    }

    #[rustfmt::skip]
    const SPELLINGS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "nUll", "true", "True", "TRUE", "tRuE", "false", "yes",
        "Yes", "YES", "y", "Y", "n", "N", "no", "No", "on", "On", "off", "OFF", "0", "1", "42",
        "-1", "+1", "-0", "+0", "007", "-007", "0x1F", "0X1F", "0x1f", "0o17", "0O17", "0b101",
        "0B101", "0644", "0440", "-0644", "08", "0_7", "1_000", "1__0", "_1", "1.5", "-1.5", "+1.5", "1.", ".5", "-.5", "1e3", "1E3",
        "1.5e3", "1e-3", "1e999", ".inf", "-.inf", "+.inf", ".Inf", ".nan", ".NaN", "+.nan",
        "-.nan", "inf", "-inf", "+inf", "nan", "NaN", "Infinity", "infinity",
        "18446744073709551615", "18446744073709551616", "9223372036854775807",
        "-9223372036854775808", "-9223372036854775809", "500m", "128Mi", "1Gi", "0.5", "00.5", "0.",
        "10.0.0.1", "1/2", "10:30", "12:30:00", "2024-01-01", "2024-01-01T00:00:00Z", "1d", "1h30m",
        "abc", "a b", "-abc", "-", "/path", "$HOME", "é", "日本", "0xg", "a:b", "'q'", "\"dq\"",
        "'0'", "\"1.5\"", "'true'", "\"\"", "''", "<<", "x-y_z.w",
        "registry.example/team/app_config:latest", "\"a\\tb\\u00e9\"", "'it''s'",
    ];

    #[test]
    fn scalars_resolve_as_serde_saphyr_does() {
        let mut taken = 0;
        for s in SPELLINGS {
            for text in [
                format!("k: {s}\n"),
                format!("- {s}\n"),
                format!("[{s}]\n"),
                format!("{{k: {s}}}\n"),
                format!("{s}: v\n"),
                format!("{{{s}: v}}\n"),
                format!("{s}\n"),
                format!("a:\n  b:\n    - x: {s}\n      y: [1, {s}]\n"),
            ] {
                taken += usize::from(agrees(&text));
            }
        }
        // Most spellings are taken, not left to serde-saphyr.
        assert!(taken > SPELLINGS.len() * 3, "only {taken} taken");
    }

    #[test]
    fn structures_agree_with_serde_saphyr() {
        let texts = [
            "",
            "\n",
            "# only a comment\n",
            "---\n",
            "---\n# only a comment\n---\na: 1\n---\n",
            "a: 1\n...\n---\nb: 2\n",
            "\u{feff}a: 1\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1 # trailing\n# between\nb: 2\n",
            "a:\n  - x\n  - {c: true}\nb:\n",
            "a: &x 1\nb: *x\n",
            "a: &x {c: 1}\nb:\n  <<: *x\n  d: 2\n",
            "a: !!str 1\n",
            "a: !custom x\n",
            "!!map {a: 1}\n",
            "a: 1\na: 2\n",
            "a: 1\n'a': 2\n",
            "'<<': 1\n",
            "? [a]\n: b\n",
            "? a\n: b\n",
            "a: |\n  line 1\n  line 2\nb: >-\n  folded\n  text\n\nc: |+\n  keep\n\n",
            "a: plain\n  continued\n  lines\n",
            "a: 'single\n  quoted'\nb: \"double\\\n  quoted\"\n",
            "a: [1, 2\nb: 3\n",
            "a:\n\tb: 1\n",
            "a: b: c\n",
            "- a\nb: c\n",
            "a: 1\n  b: 2\n",
            "[a, b]: c\n",
            "{a: 1, a: 2}\n",
            "- - - x\n    - y\n  - z\n",
            "a: {b: {c: {d: [1, [2, [3, {e: f}]]]}}}\n",
            "a: \"unterminated\n",
            "- 1\n- 2\n---\n- 3\n",
            "~\n---\nnull\n---\na: 1\n",
            "key with spaces: value with spaces\n",
            "\"quoted key\": 1\n'other': 2\n",
        ];
        for text in texts {
            agrees(text);
        }
        let wide: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(agrees(&wide));
        assert!(
            !agrees(&format!("{wide}k7: again\n")),
            "late duplicate taken"
        );
        let deep = (0..70).fold(String::from("x"), |inner, _| format!("[{inner}]"));
        agrees(&deep);
    }

    #[test]
    fn every_repository_yaml_file_agrees() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut pending = vec![
            root.join("tests/bad_input"),
            root.join("../../example/production"),
        ];
        let mut files = 0;
        while let Some(dir) = pending.pop() {
            let Ok(read) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in read.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path)
                    && path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                {
                    agrees(&text);
                    files += 1;
                }
            }
        }
        assert!(files > 40, "only {files} files found");
    }

    #[test]
    fn production_yaml_takes_the_fast_path() {
        let text = "apiVersion: sisyphus/v1\nkind: Deployment\nmetadata:\n  name: app-1\n  labels:\n    team: a\nconfig:\n  env: prod\n  image: registry.example/a/app-1_config:latest\n  variables:\n    token:\n      secretKeyRef: {name: tokens, key: app-1}\n  service:\n    ports:\n      http: {number: 80}\nfootprint:\n  cluster-0:\n    replicas: 2\n---\napiVersion: sisyphus/v1\nkind: CronJob\nmetadata:\n  name: job\nconfig:\n  schedule: \"0 2 * * *\"\nfootprint:\n  cluster-0: {}\n---\nobjects:\n  - {apiVersion: v1, kind: ConfigMap, data: {a: '1', cpu: 500m, ratio: 0.5}}\n";
        assert!(agrees(text));
    }
}
