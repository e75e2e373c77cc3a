//! What the state database knows: the objects Sisyphus last applied ([`RecordedObject`]), as a
//! [`StateSnapshot`] that diff compares the desired objects with. `sisyphus-state` reads and
//! writes them; this module only defines them, with the canonical form both sides hash.
//!
//! A recorded object's identity is its [`ObjectKey`] *without* the version ([`ObjectId`]): the
//! API server serves one object under every version of its group, so a move from
//! `autoscaling/v1` to `autoscaling/v2` is an update, never a delete and a create.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest as _;

use crate::desired::{ConfigOrigin, ObjectKey, ResourceId};

/// An object's identity in the state database: cluster, group, kind, namespace, name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectId {
    /// The cluster (kubeconfig context name).
    pub cluster: String,
    /// API group (`""` for core).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace, `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl ObjectId {
    /// The identity of `key`.
    pub fn of(key: &ObjectKey) -> ObjectId {
        ObjectId {
            cluster: key.cluster.clone(),
            group: key.group.clone(),
            kind: key.kind.clone(),
            namespace: key.namespace.clone(),
            name: key.name.clone(),
        }
    }

    /// A stable 64-hex-digit id of this identity (the state database's primary key).
    pub fn hash(&self) -> String {
        let mut h = sha2::Sha256::new();
        for part in [
            self.cluster.as_str(),
            self.group.as_str(),
            self.kind.as_str(),
            self.namespace.as_deref().unwrap_or(""),
            self.name.as_str(),
        ] {
            h.update(part.len().to_le_bytes());
            h.update(part.as_bytes());
        }
        h.update([u8::from(self.namespace.is_some())]);
        hex::encode(h.finalize())
    }
}

impl fmt::Display for ObjectId {
    /// `` `cluster` Deployment.apps echo/echo ``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.cluster, self.kind)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        match &self.namespace {
            Some(ns) => write!(f, " {ns}/{}", self.name),
            None => write!(f, " {}", self.name),
        }
    }
}

/// One object as Sisyphus last applied it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedObject {
    /// Its key, with the version it was last applied at.
    pub key: ObjectKey,
    /// The applied intent as JSON text in its declared key order (so a diff against the desired
    /// object shows only what changed), masked ([`crate::secret::masked`]): Secret values are
    /// [`crate::secret::MASK`], never the values.
    pub applied: String,
    /// [`intent_hash`] of the applied intent (masked), to compare without parsing `applied`.
    pub applied_hash: String,
    /// `metadata.uid` after the apply (`None` when unknown, e.g. an interrupted push).
    pub uid: Option<String>,
    /// `metadata.resourceVersion` after the apply.
    pub resource_version: Option<String>,
    /// The config and binary images behind it.
    pub config: Option<ConfigOrigin>,
    /// The Sisyphus resource it came from (`None` for implied namespaces).
    pub resource: Option<ResourceId>,
    /// The push (or import) that last wrote it.
    pub push_id: i64,
    /// Whether Sisyphus created it, rather than adopting or importing an object that existed.
    /// A Namespace Sisyphus did not create is never deleted.
    pub created: bool,
}

impl RecordedObject {
    /// The applied intent, parsed.
    ///
    /// # Errors
    ///
    /// The stored text is not JSON (a database edited by hand).
    pub fn applied_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.applied)
    }
}

/// Everything the state database records for the clusters of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateSnapshot {
    /// Recorded objects by identity.
    pub objects: BTreeMap<ObjectId, RecordedObject>,
    /// The state's generation when it was read: it grows with every write (push, import,
    /// forget, refresh), so a saved change set can tell that the state moved.
    pub generation: i64,
}

/// The hash diff compares: sha256 of the canonical JSON of `object` (mapping keys sorted, no
/// whitespace), as 64 hex digits. Callers hash the masked object.
///
/// Diff hashes every desired object of a run, so the canonical form is written into one buffer
/// with no allocation per node.
pub fn intent_hash(object: &Value) -> String {
    let digest = sha2::Sha256::digest(canonical_bytes(object));
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `object` as JSON with mapping keys sorted at every level and no whitespace.
pub fn canonical_json(object: &Value) -> String {
    // Only JSON text and whole UTF-8 strings are written, so the lossy path is never taken.
    String::from_utf8(canonical_bytes(object))
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn canonical_bytes(object: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    let mut entries = Vec::new();
    write_canonical(object, &mut out, &mut entries);
    out
}

/// Writes `value` canonically. `entries` is scratch space shared by every level: a mapping
/// pushes its sorted entries, its values push theirs above and truncate back when done.
fn write_canonical<'a>(
    value: &'a Value,
    out: &mut Vec<u8>,
    entries: &mut Vec<(&'a str, &'a Value)>,
) {
    match value {
        Value::Object(map) => {
            let start = entries.len();
            entries.extend(map.iter().map(|(k, v)| (k.as_str(), v)));
            entries[start..].sort_unstable_by(|a, b| a.0.cmp(b.0));
            let end = entries.len();
            out.push(b'{');
            for i in start..end {
                let (k, v) = entries[i];
                if i > start {
                    out.push(b',');
                }
                write_json_string(k, out);
                out.push(b':');
                write_canonical(v, out, entries);
            }
            entries.truncate(start);
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out, entries);
            }
            out.push(b']');
        }
        Value::String(text) => write_json_string(text, out),
        // Numbers, booleans and null as serde_json writes them; writing to a Vec cannot fail.
        other => {
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

/// A JSON string as serde_json writes it: `"`, `\\` and control characters escaped, the rest
/// as is.
fn write_json_string(text: &str, out: &mut Vec<u8>) {
    // No early exit: the compiler vectorizes the whole scan, and most strings are short.
    let plain = !text.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_ignores_key_order() {
        let a = json!({"b": 1, "a": {"d": [1, {"y": 2, "x": 1}], "c": "s"}});
        let b = json!({"a": {"c": "s", "d": [1, {"x": 1, "y": 2}]}, "b": 1});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"c":"s","d":[1,{"x":1,"y":2}]},"b":1}"#
        );
        assert_eq!(intent_hash(&a), intent_hash(&b));
        assert_ne!(intent_hash(&a), intent_hash(&json!({"b": 2})));
    }

    /// The canonical form as first written (one string per node): the fast writer must match it.
    fn reference(value: &Value) -> String {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let inner: Vec<String> = entries
                    .into_iter()
                    .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), reference(v)))
                    .collect();
                format!("{{{}}}", inner.join(","))
            }
            Value::Array(items) => {
                let inner: Vec<String> = items.iter().map(reference).collect();
                format!("[{}]", inner.join(","))
            }
            other => other.to_string(),
        }
    }

    #[test]
    fn the_canonical_writer_matches_the_reference_form() {
        let cases = [
            json!(null),
            json!({}),
            json!([]),
            json!({"z": {"b": [], "a": {}}, "a": [{"y": 1, "x": [null, true, false]}]}),
            json!({"esc\"aped\\": "line\nbreak\ttab\u{1}\u{7f}", "ünï": "çødé ✓ 🚀"}),
            json!({"n": [0, -1, 18446744073709551615_u64, -9223372036854775808_i64, 0.5, 1e300, -2.5e-8]}),
            json!({"B": 1, "a": 2, "_": 3, "10": 4, "9": 5, "": 6}),
        ];
        for case in cases {
            assert_eq!(canonical_json(&case), reference(&case), "{case}");
            assert_eq!(
                intent_hash(&case),
                hex::encode(sha2::Sha256::digest(reference(&case).as_bytes()))
            );
        }
    }

    #[test]
    fn ids_ignore_the_version_and_hash_unambiguously() {
        let key = |version: &str, ns: Option<&str>, name: &str| ObjectKey {
            cluster: "c".into(),
            group: "autoscaling".into(),
            version: version.into(),
            kind: "HorizontalPodAutoscaler".into(),
            namespace: ns.map(Into::into),
            name: name.into(),
        };
        let v1 = ObjectId::of(&key("v1", Some("ns"), "a"));
        assert_eq!(v1, ObjectId::of(&key("v2", Some("ns"), "a")));
        assert_eq!(v1.hash().len(), 64);
        assert_ne!(v1.hash(), ObjectId::of(&key("v1", Some("nsa"), "")).hash());
        assert_ne!(
            ObjectId::of(&key("v1", Some(""), "a")).hash(),
            ObjectId::of(&key("v1", None, "a")).hash()
        );
        assert_eq!(
            v1.to_string(),
            "`c` HorizontalPodAutoscaler.autoscaling ns/a"
        );
    }
}
