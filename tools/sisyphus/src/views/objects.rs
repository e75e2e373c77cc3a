//! Desired objects as YAML (one document per object after a `# cluster: <name>` comment) or
//! JSON (`{"<cluster>": [objects...]}`), Secret values masked so that the API server refuses
//! them (`sisyphus_core::secret::masked_unappliable`): render output is for reading.

use anyhow::Context as _;
use serde_json::Value;
use sisyphus_core::desired::DesiredObjects;
use sisyphus_core::plain::PlainValue;
use sisyphus_core::secret::masked_unappliable;

/// `---`, `# cluster: <name>`, then the object, for every object in key order. Multi-line
/// strings are literal blocks (`|`); long single-line strings stay on one line.
///
/// # Errors
///
/// An object cannot be written as YAML.
pub fn yaml(objects: &DesiredObjects) -> anyhow::Result<String> {
    let mut out = String::new();
    for (key, desired) in objects {
        let text = to_yaml(&masked_unappliable(&desired.object))
            .with_context(|| format!("failed to write {key} as YAML"))?;
        out.push_str("---\n# cluster: ");
        out.push_str(&key.cluster);
        out.push('\n');
        out.push_str(&text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// `{"<cluster>": [objects...]}`, clusters and objects in key order.
///
/// # Errors
///
/// Never in practice (JSON values always serialize).
pub fn json(objects: &DesiredObjects) -> anyhow::Result<String> {
    let mut by_cluster = serde_json::Map::new();
    for (key, desired) in objects {
        let list = by_cluster
            .entry(key.cluster.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            list.push(masked_unappliable(&desired.object));
        }
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(by_cluster))
        .context("failed to write the objects as JSON")?;
    text.push('\n');
    Ok(text)
}

/// One value as YAML, with plain numbers and literal blocks for multi-line strings.
///
/// # Errors
///
/// The serializer fails (it does not for JSON values).
pub fn to_yaml(value: &Value) -> anyhow::Result<String> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    Ok(serde_saphyr::to_string_with_options(
        &PlainValue(value),
        options,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sisyphus_core::desired::{DesiredObject, ObjectKey};

    #[test]
    fn yaml_has_plain_numbers_literal_blocks_and_one_line_long_strings() {
        let long = format!(
            "registry.example/{}@sha256:{}",
            "a".repeat(60),
            "0".repeat(64)
        );
        let value = serde_json::json!({
            "num": 80, "neg": -1, "f": 0.5, "s": "80", "multi": "a\nb\n", "long": long, "none": null
        });
        assert_eq!(
            to_yaml(&value).expect("yaml"),
            format!(
                "num: 80\nneg: -1\nf: 0.5\ns: \"80\"\nmulti: |\n  a\n  b\nlong: {long}\nnone: null\n"
            )
        );
    }

    #[test]
    fn both_views_mask_secret_values() {
        let secret = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"},
            "stringData": {"b": "hunter2"}
        });
        let key = ObjectKey {
            cluster: "c".into(),
            group: String::new(),
            version: "v1".into(),
            kind: "Secret".into(),
            namespace: Some("n".into()),
            name: "s".into(),
        };
        let objects: DesiredObjects = [(
            key,
            DesiredObject {
                object: secret,
                resource: None,
                location: None,
                config: None,
                secret: true,
            },
        )]
        .into_iter()
        .collect();
        for text in [yaml(&objects).expect("yaml"), json(&objects).expect("json")] {
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains("****"), "{text}");
        }
    }
}
