//! [`PlainValue`]: a JSON value that serializes with plain numbers through any serde serializer
//! (YAML views, diffs, snapshots). Nothing comes in but a borrowed value; no I/O.
//!
//! Under serde_json's `arbitrary_precision` feature (starlark turns it on in any build that
//! holds it), a `serde_json::Number` serializes as a private one-field struct, which a YAML
//! serializer prints as a mapping. This wrapper writes integers and floats as plain numbers in
//! every build.

use serde::ser::{SerializeMap as _, SerializeSeq as _};
use serde_json::Value;

/// A borrowed JSON value that serializes numbers as numbers, whatever serde_json's features.
#[derive(Clone, Copy, Debug)]
pub struct PlainValue<'a>(pub &'a Value);

impl serde::Serialize for PlainValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    s.serialize_u64(u)
                } else if let Some(i) = n.as_i64() {
                    s.serialize_i64(i)
                } else if let Some(f) = n.as_f64() {
                    s.serialize_f64(f)
                } else {
                    s.serialize_str(&n.to_string())
                }
            }
            Value::String(text) => s.serialize_str(text),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&PlainValue(item))?;
                }
                seq.end()
            }
            Value::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, &PlainValue(v))?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_with_the_same_numbers() {
        let value = serde_json::json!({"a": 80, "b": -1, "c": 0.5, "d": [true, null, "80"]});
        let text = serde_json::to_string(&PlainValue(&value)).expect("json");
        assert_eq!(text, r#"{"a":80,"b":-1,"c":0.5,"d":[true,null,"80"]}"#);
    }
}
