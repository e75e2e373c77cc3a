//! A YAML tree with a line and column on every node, parsed with serde-saphyr.
//!
//! Input: the text of one file. Output: its documents (empty ones skipped) as [`Node`]s, or a
//! located syntax error. Touches nothing but the string it is given.
//!
//! Common files are built straight from the parser's events ([`events`]); serde-saphyr (through
//! `Spanned`, several times slower) reads whatever that fast path leaves to it, and defines the
//! result and every error.

mod events;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A 1-based line and column inside one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// A YAML node and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// The value.
    pub value: Value,
}

/// A YAML value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// A negative integer.
    Int(i64),
    /// A non-negative integer.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order (duplicate keys are rejected by the parser).
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// What a message calls this kind of value: `a string`, `a mapping`, ...
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::UInt(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The string form of a scalar key or value (`80` for an integer), if it is a scalar.
    pub fn scalar_string(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::UInt(u) => Some(u.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// This node as JSON. Mapping keys are scalars turned into strings (as Kubernetes reads
    /// them); keys come out sorted.
    pub fn to_json(&self) -> Result<serde_json::Value, JsonError> {
        Ok(match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::UInt(u) => serde_json::Value::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .ok_or(JsonError::Float(self.pos))?,
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect::<Result<_, _>>()?)
            }
            Value::Map(entries) => {
                let mut sorted = BTreeMap::new();
                for (key, value) in entries {
                    let name = key.scalar_string().ok_or(JsonError::Key(key.pos))?;
                    if let Some((first, _)) = sorted.get(&name) {
                        return Err(JsonError::Duplicate {
                            pos: key.pos,
                            key: name,
                            first: *first,
                        });
                    }
                    let value = value.to_json()?;
                    sorted.insert(name, (key.pos, value));
                }
                serde_json::Value::Object(sorted.into_iter().map(|(k, (_, v))| (k, v)).collect())
            }
        })
    }
}

/// Why a node has no JSON form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// A mapping key that is not a scalar, at its position.
    Key(Pos),
    /// A float JSON cannot hold (`.inf`, `.nan`), at its position.
    Float(Pos),
    /// A key whose string form is that of an earlier key of the same mapping (`1` and `"1"`).
    Duplicate {
        /// Where the second key is.
        pos: Pos,
        /// The string both keys become.
        key: String,
        /// Where the first key is.
        first: Pos,
    },
}

/// A YAML syntax (or structure) error at a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Where, when the parser knows.
    pub pos: Pos,
    /// What went wrong, without location or snippet.
    pub message: String,
}

/// Parse every document of `text`; empty documents (a trailing `---`, a comment-only document)
/// are skipped.
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Node>, SyntaxError> {
    match events::parse(text) {
        Some(docs) => Ok(docs),
        None => parse_with_serde(text),
    }
}

/// Stack of the thread serde-saphyr parses on: its recursion takes tens of KiB per nesting
/// level in debug builds, so [`MAX_DEPTH`] levels need more than a default thread has.
const PARSE_STACK_SIZE: usize = 256 << 20;

/// [`parse_documents`] through serde-saphyr's deserializer, for any text, on a thread with a
/// [`PARSE_STACK_SIZE`] stack (address space, committed only as used).
fn parse_with_serde(text: &str) -> Result<Vec<Node>, SyntaxError> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("yaml-parse".to_owned())
            .stack_size(PARSE_STACK_SIZE)
            .spawn_scoped(scope, || parse_with_serde_here(text))
            .ok()
            .and_then(|handle| handle.join().ok())
    })
    // The thread could not be started (or panicked): parse here.
    .unwrap_or_else(|| parse_with_serde_here(text))
}

/// [`parse_with_serde`] on the current thread.
fn parse_with_serde_here(text: &str) -> Result<Vec<Node>, SyntaxError> {
    // `legacy_octal_numbers`: `0644` is octal 420, as kubectl (YAML 1.1) reads it; the fast
    // path leaves every leading-zero integer to this parser.
    let mut options = serde_saphyr::options! { with_snippet: false, legacy_octal_numbers: true };
    options.budget = Some(budget());
    match serde_saphyr::from_str_multiple_with_options::<Node, Vec<Node>>(text, options) {
        Ok(docs) => Ok(docs),
        Err(serde_saphyr::Error::Budget {
            breach, location, ..
        }) => Err(SyntaxError {
            pos: Pos {
                line: clamp(location.line()).max(1),
                column: clamp(location.column()).max(1),
            },
            message: budget_message(&breach),
        }),
        Err(err) => {
            let pos = err
                .location()
                .map(|l| Pos {
                    line: clamp(l.line()).max(1),
                    column: clamp(l.column()).max(1),
                })
                .unwrap_or(Pos { line: 1, column: 1 });
            let message = strip_location(&err.without_snippet().to_string());
            Err(SyntaxError { pos, message })
        }
    }
}

/// Most documents one file may hold (real folders have files of thousands).
pub(crate) const MAX_DOCUMENTS: usize = 100_000;
/// Deepest nesting of mappings and sequences.
pub(crate) const MAX_DEPTH: usize = 128;
/// Most nodes one file may hold, aliases expanded (a 125,000-key mapping is 250,000).
pub(crate) const MAX_NODES: usize = 4_000_000;

/// serde-saphyr's budget with the limits above; the alias-bomb protections (aliases, anchors,
/// their ratio, replayed events) stay at serde-saphyr's defaults.
fn budget() -> serde_saphyr::Budget {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_documents = MAX_DOCUMENTS;
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_NODES.saturating_mul(2);
    budget
}

/// What a budget breach means, naming the limit that was hit.
fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Documents { .. } => {
            format!("the file holds more than {MAX_DOCUMENTS} documents, the most a file may hold")
        }
        B::Depth { .. } => format!(
            "mappings and sequences are nested more than {MAX_DEPTH} levels deep, the most \
             allowed"
        ),
        B::Nodes { .. } | B::Events { .. } => format!(
            "the file holds more than {MAX_NODES} nodes (counting each alias expanded), the most \
             a file may hold"
        ),
        B::Aliases { .. }
        | B::Anchors { .. }
        | B::AliasAnchorRatio { .. }
        | B::MergeKeys { .. } => {
            "the document expands to too many nodes through anchors and aliases".to_owned()
        }
        other => format!("the file exceeds a YAML parser limit ({other:?})"),
    }
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// serde-saphyr appends ` at line L, column C` (or similar) to messages; we print our own
/// `file:line:column` prefix instead.
fn strip_location(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    if first.starts_with("budget breached") {
        return "the document expands to too many nodes (through anchors and aliases)".into();
    }
    if first.contains("recursive references require weak recursion types") {
        return "an alias refers to a node that contains it (a recursive alias), expected \
                aliases only to complete nodes before them"
            .into();
    }
    let trimmed = match first.find(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    let trimmed = trimmed.trim();
    if let Some(message) = tag_mismatch(trimmed) {
        return message;
    }
    match trimmed.strip_prefix("duplicate mapping key: ") {
        Some(rest) => {
            let key = rest
                .split(", set DuplicateKeyPolicy")
                .next()
                .unwrap_or(rest);
            format!("duplicate mapping key `{key}`")
        }
        None => trimmed.to_string(),
    }
}

/// serde-saphyr's message for a scalar its tag does not fit (`!!int hunter2`: `invalid u64`),
/// in our words. The scalar is not repeated: it may be a Secret's value; the position shows it.
fn tag_mismatch(message: &str) -> Option<String> {
    let (what, tag) = match message {
        "invalid floating point" => ("a float", "!!float"),
        "invalid boolean" => ("a boolean", "!!bool"),
        "invalid !!binary base64" => ("base64 text", "!!binary"),
        m if m.strip_prefix("invalid ").is_some_and(|ty| {
            ty.len() > 1
                && ty.starts_with(['u', 'i'])
                && ty[1..].bytes().all(|b| b.is_ascii_digit())
        }) =>
        {
            ("an integer", "!!int")
        }
        _ => return None,
    };
    Some(format!(
        "expected {what} for the tag `{tag}`, found a scalar that is not one (quote the value and drop the tag if it is a string)"
    ))
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            pos: Pos {
                line: clamp(spanned.referenced.line()),
                column: clamp(spanned.referenced.column()),
            },
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(if v >= 0 {
            Value::UInt(v.unsigned_abs())
        } else {
            Value::Int(v)
        })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::UInt(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        if let Ok(u) = u64::try_from(v) {
            Ok(Value::UInt(u))
        } else if let Ok(i) = i64::try_from(v) {
            Ok(Value::Int(i))
        } else {
            Err(E::custom(format!("integer {v} is out of range")))
        }
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        u64::try_from(v)
            .map(Value::UInt)
            .map_err(|_| E::custom(format!("integer {v} is out of range")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn nodes_carry_positions() {
        let docs = parse_documents("a: 1\nb:\n  - x\n  - {c: true}\n").unwrap_or_default();
        assert_eq!(docs.len(), 1);
        let Value::Map(entries) = &docs[0].value else {
            panic!("not a map: {:?}", docs[0]);
        };
        assert_eq!(entries[0].0.pos, pos(1, 1));
        assert_eq!(entries[0].1.pos, pos(1, 4));
        assert_eq!(entries[0].1.value, Value::UInt(1));
        assert_eq!(entries[1].0.pos, pos(2, 1));
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("not a seq");
        };
        assert_eq!(items[0].pos, pos(3, 5));
        assert_eq!(items[1].pos, pos(4, 5));
    }

    #[test]
    fn empty_documents_are_skipped() {
        let docs = parse_documents("---\n# only a comment\n---\na: 1\n---\n").unwrap_or_default();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].pos.line, 4);
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_are_located() {
        let err = parse_documents("a: 1\nb: 2\na: 3\n").err();
        let err = err.unwrap_or_else(|| panic!("duplicate key accepted"));
        assert_eq!(err.pos.line, 3, "{err:?}");
        assert!(err.message.contains("duplicate"), "{err:?}");
        let err = parse_documents("a: [1, 2\nb: 3\n").err();
        assert!(err.is_some());
    }

    #[test]
    fn leading_zero_integers_are_octal_like_kubectl() {
        let docs =
            parse_documents("a: 0440\nb: 0644\nc: 010\nd: 0o644\ne: -010\nf: 0\ng: 00\nh: 644\n")
                .unwrap_or_default();
        let json = docs[0].to_json().unwrap_or_default();
        assert_eq!(
            json.to_string(),
            r#"{"a":288,"b":420,"c":8,"d":420,"e":-8,"f":0,"g":0,"h":644}"#
        );
    }

    #[test]
    fn keys_that_become_one_string_are_duplicates() {
        let docs = parse_documents("data:\n  1: a\n  \"true\": b\n  '1': c\n").unwrap_or_default();
        assert_eq!(
            docs[0].to_json(),
            Err(JsonError::Duplicate {
                pos: pos(4, 3),
                key: "1".into(),
                first: pos(2, 3)
            })
        );
        for text in ["{1.0: a, '1': b}", "{y: a, 'true': b}", "{y: a, yes: b}"] {
            let docs = parse_documents(text).unwrap_or_default();
            assert!(
                matches!(docs[0].to_json(), Err(JsonError::Duplicate { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn tagged_scalars_that_do_not_fit_say_what_was_expected() {
        for (text, expected) in [
            (
                "a: !!int hunter2secret\n",
                "expected an integer for the tag `!!int`",
            ),
            ("a: !!int -x\n", "expected an integer for the tag `!!int`"),
            ("a: !!float x\n", "expected a float for the tag `!!float`"),
            (
                "a: !!bool maybe\n",
                "expected a boolean for the tag `!!bool`",
            ),
        ] {
            let err = parse_documents(text).err();
            let err = err.unwrap_or_else(|| panic!("{text:?} accepted"));
            assert!(err.message.starts_with(expected), "{err:?}");
            assert!(!err.message.contains("hunter2"), "{err:?}");
            assert_eq!(err.pos.line, 1);
        }
    }

    #[test]
    fn json_keys_are_sorted() {
        let docs = parse_documents("b: 1\na: {d: x, c: 2.5}\n").unwrap_or_default();
        let json = docs[0].to_json().unwrap_or_default();
        assert_eq!(json.to_string(), r#"{"a":{"c":2.5,"d":"x"},"b":1}"#);
    }
}
