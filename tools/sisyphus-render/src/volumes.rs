//! FileVariables as volumes: one `secret` or `configMap` volume per FileVariable, holding just
//! the bound key, mounted with `subPath` at the variable's exact path.
//!
//! Why this shape (see `docs/rendering.md`): a `subPath` mount places one file and hides nothing
//! else in its directory, so several FileVariables can share a directory (even from different
//! secrets) and files the image ships there stay visible. The price: Kubernetes does not update
//! `subPath` mounts when the secret changes; pods see a new value after they restart.
//!
//! Volume names are DNS-1123 labels derived from the variable name and a hash of the variable
//! name and path, so `my_file` and `A.B` work and names are stable when other variables change.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use sisyphus_core::app::Variable;
use sisyphus_core::production::VariableSource;

use crate::error::Problem;
use crate::metadata::object;
use crate::workload::{Sink, Workload};

/// The volumes and mounts for a workload's FileVariables.
#[derive(Default)]
pub(crate) struct FileVolumes {
    /// `spec.volumes` entries.
    pub volumes: Vec<Value>,
    /// The container's `volumeMounts` entries.
    pub mounts: Vec<Value>,
}

/// One volume and mount per FileVariable, in variable order (name, then path).
pub(crate) fn file_volumes(w: &Workload<'_>, sink: &mut Sink) -> FileVolumes {
    let mut out = FileVolumes::default();
    let mut by_path: BTreeMap<&str, &str> = BTreeMap::new();
    let variables = w.app.variables();
    for variable in &variables {
        let Variable::File { name, path } = variable else {
            continue;
        };
        let Some(file) = file_name(path) else {
            sink.problem(Problem::BadFilePath {
                name: name.clone(),
                path: path.clone(),
            });
            continue;
        };
        if let Some(first) = by_path.insert(path, name) {
            sink.problem(Problem::DuplicateMountPath {
                path: path.clone(),
                first: first.to_owned(),
                second: name.clone(),
            });
            continue;
        }
        // Missing bindings and literal values are reported by the container's binding check.
        let Some(binding) = w.binding(name) else {
            continue;
        };
        let volume = volume_name(name, path);
        let items = json!([{"key": source_key(&binding.source), "path": file}]);
        let source = match &binding.source {
            VariableSource::SecretKeyRef { name: secret, .. } => (
                "secret",
                object([("secretName", secret.as_str().into()), ("items", items)]),
            ),
            VariableSource::ConfigMapKeyRef { name: map, .. } => (
                "configMap",
                object([("name", map.as_str().into()), ("items", items)]),
            ),
            VariableSource::Value(_) => continue,
        };
        let source = object([("name", volume.as_str().into()), source]);
        out.volumes.push(source);
        out.mounts.push(json!({
            "name": volume,
            "mountPath": path,
            "subPath": file,
            "readOnly": true,
        }));
    }
    out
}

fn source_key(source: &VariableSource) -> &str {
    match source {
        VariableSource::SecretKeyRef { key, .. } | VariableSource::ConfigMapKeyRef { key, .. } => {
            key
        }
        VariableSource::Value(_) => "",
    }
}

/// The file name of an absolute, normalized file path: `/etc/a/b.json` → `b.json`. `None` for
/// relative paths, directories (`/`, trailing `/`), and `.`/`..`/empty components.
pub(crate) fn file_name(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let mut parts = rest.split('/');
    if parts.any(|p| p.is_empty() || p == "." || p == "..") {
        return None;
    }
    rest.rsplit('/').next()
}

/// A DNS-1123 label for a FileVariable's volume: `file-<slug>-<hash>`, where slug is the
/// lowercased variable name with other characters turned into `-`, and hash is the first 8 hex
/// digits of SHA-256 over `name`, a NUL and `path` (so `my_file` and `my-file` differ).
pub(crate) fn volume_name(variable: &str, path: &str) -> String {
    const PREFIX: &str = "file-";
    const HASH_LEN: usize = 8;
    let mut slug = String::new();
    for c in variable.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
            slug.push(c);
        }
    }
    slug.truncate(63 - PREFIX.len() - 1 - HASH_LEN);
    let slug = slug.trim_end_matches('-');
    let mut hasher = Sha256::new();
    hasher.update(variable.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    let hash = hex::encode(hasher.finalize());
    let hash = &hash[..HASH_LEN];
    if slug.is_empty() {
        format!("{PREFIX}{hash}")
    } else {
        format!("{PREFIX}{slug}-{hash}")
    }
}

#[cfg(test)]
mod tests {
    use sisyphus_core::names::is_dns1123_label;

    use super::*;

    #[test]
    fn volume_names_are_dns1123_labels_for_awkward_variable_names() {
        for name in [
            "my_file",
            "A.B",
            "google-credentials",
            "__",
            "x".repeat(100).as_str(),
            "ünï",
        ] {
            let v = volume_name(name, "/etc/x");
            assert!(is_dns1123_label(&v), "{name} -> {v}");
        }
        assert!(volume_name("my_file", "/a").starts_with("file-my-file-"));
        assert!(volume_name("A.B", "/a").starts_with("file-a-b-"));
    }

    #[test]
    fn volume_names_are_stable_and_distinct() {
        assert_eq!(volume_name("my_file", "/a"), volume_name("my_file", "/a"));
        assert_ne!(volume_name("my_file", "/a"), volume_name("my-file", "/a"));
        assert_ne!(volume_name("my_file", "/a"), volume_name("my_file", "/b"));
    }

    #[test]
    fn file_names_need_absolute_file_paths() {
        assert_eq!(
            file_name("/etc/google/credentials.json"),
            Some("credentials.json")
        );
        assert_eq!(file_name("/x"), Some("x"));
        for bad in ["", "/", "etc/x", "/etc/", "/etc//x", "/etc/../x", "/./x"] {
            assert_eq!(file_name(bad), None, "{bad}");
        }
    }
}
