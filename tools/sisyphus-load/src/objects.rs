//! Raw Kubernetes objects of a KubernetesYaml resource: the shape load requires (`apiVersion`,
//! `kind`, `metadata.name`, no `kind: List`), their JSON form, and which of them are Secrets.

use sisyphus_core::production::KubernetesObject;

use crate::diag::location;
use crate::schema::{Cx, mapping};
use crate::yaml::{JsonError, Node, Value};

/// What `name` should have been, when it is not a valid `metadata.name` (issue #11, item 8):
/// RBAC objects (`rbac.authorization.k8s.io`) take any path segment name (`system:admin`),
/// everything else a DNS-1123 subdomain, as the API server checks them.
fn bad_object_name(api_version: Option<&str>, name: &str) -> Option<&'static str> {
    let rbac = api_version.is_some_and(|v| v.starts_with("rbac.authorization.k8s.io/"));
    if rbac {
        let ok = name.len() <= 253
            && name != "."
            && name != ".."
            && !name.contains(['/', '%'])
            && !name.chars().any(|c| c.is_control() || c.is_whitespace());
        return (!ok).then_some(
            "a name of at most 253 characters without `/`, `%`, spaces or control characters, \
             not `.` or `..`",
        );
    }
    (!sisyphus_core::names::is_dns1123_subdomain(name)).then_some(
        "a DNS-1123 subdomain: at most 253 lowercase letters, digits, `-` and `.`, starting and \
         ending with a letter or digit",
    )
}

/// One raw object, or `None` after reporting what is missing.
pub(crate) fn parse_object(cx: &mut Cx<'_>, node: &Node) -> Option<KubernetesObject> {
    let entries = match &node.value {
        Value::Map(entries) => entries,
        other => {
            cx.error(
                node.pos,
                format!(
                    "expected a Kubernetes object (a mapping), found {}",
                    other.describe()
                ),
            );
            return None;
        }
    };
    let get = |name: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == name))
            .map(|(_, v)| v)
    };
    let mut ok = true;
    let mut text = |field: &str| -> Option<String> {
        match get(field).map(|n| (n, &n.value)) {
            Some((_, Value::Str(s))) if !s.is_empty() => Some(s.clone()),
            Some((n, other)) => {
                cx.error(n.pos, format!("expected a non-empty string for `{field}` of a Kubernetes object, found {}", if matches!(other, Value::Str(_)) { "an empty string" } else { other.describe() }));
                ok = false;
                None
            }
            None => {
                cx.error(node.pos, format!("a Kubernetes object needs `{field}`"));
                ok = false;
                None
            }
        }
    };
    let api_version = text("apiVersion");
    let kind = text("kind");
    if let Some(k) = &kind
        && k.ends_with("List")
    {
        // A list's items would escape every per-object check (Secret masking, duplicates,
        // namespaces): each item must be its own document.
        let pos = get("kind").map_or(node.pos, |n| n.pos);
        cx.error(
            pos,
            format!("expected a single Kubernetes object, found `kind: {k}`: write the items as separate documents (`---`)"),
        );
        ok = false;
    }
    if let (Some(v), Some(k)) = (&api_version, &kind)
        && sisyphus_core::secret::is_secret_kind(v, k)
        && k != "Secret"
    {
        // Masked all the same (the one masker ignores the case), but the API server would
        // refuse it: say so before anything is shown or applied (#11 item 13).
        let pos = get("kind").map_or(node.pos, |n| n.pos);
        cx.error(
            pos,
            format!(
                "unknown kind `{}` for `v1`: expected `Secret` (kinds are case-sensitive)",
                sisyphus_core::text::escape_line(k)
            ),
        );
        ok = false;
    }
    match get("metadata") {
        None => {
            cx.error(node.pos, "a Kubernetes object needs `metadata.name`");
            ok = false;
        }
        Some(meta) => {
            let meta_entries =
                mapping(cx, meta, "`metadata` of a Kubernetes object").unwrap_or(&[]);
            let name = meta_entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == "name"))
                .map(|(_, v)| v);
            match name.map(|n| (n, &n.value)) {
                Some((n, Value::Str(s))) if !s.is_empty() => {
                    if let Some(expected) = bad_object_name(api_version.as_deref(), s) {
                        cx.error(
                            n.pos,
                            format!(
                                "invalid `metadata.name` `{}` of a Kubernetes object: expected {expected}",
                                sisyphus_core::text::escape_line(s)
                            ),
                        );
                        ok = false;
                    }
                }
                Some((n, _)) => {
                    cx.error(
                        n.pos,
                        "expected a non-empty string for `metadata.name` of a Kubernetes object",
                    );
                    ok = false;
                }
                None => {
                    cx.error(meta.pos, "a Kubernetes object needs `metadata.name`");
                    ok = false;
                }
            }
            if let Some((_, ns)) = meta_entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == "namespace"))
                && !matches!(&ns.value, Value::Str(s) if !s.is_empty())
            {
                cx.error(
                    ns.pos,
                    "expected a non-empty string for `metadata.namespace` of a Kubernetes object",
                );
                ok = false;
            }
        }
    }
    let object = match node.to_json() {
        Ok(json) => Some(json),
        Err(JsonError::Key(pos)) => {
            cx.error(
                pos,
                "expected a string, number or boolean as a mapping key in a Kubernetes object",
            );
            None
        }
        Err(JsonError::Float(pos)) => {
            cx.error(
                pos,
                "expected a finite number in a Kubernetes object, found an infinite or NaN float",
            );
            None
        }
        Err(JsonError::Duplicate { pos, key, first }) => {
            let first = location(cx.file, first);
            cx.error(
                pos,
                format!("duplicate mapping key `{key}` in a Kubernetes object (keys are read as strings), first at {first}"),
            );
            None
        }
    };
    let (api_version, kind, object) = (api_version?, kind?, object?);
    if !ok {
        return None;
    }
    Some(KubernetesObject {
        secret: api_version == "v1" && kind == "Secret",
        object,
        location: location(cx.file, node.pos),
    })
}
