//! `clusters.yaml` at the root of the monitored directory: the clusters (kubeconfig context
//! names) footprints and KubernetesYaml `clusters` may name.
//!
//! ```yaml
//! apiVersion: sisyphus/v1
//! kind: Clusters
//! clusters:
//!   - gke_acme_us-central1_ap-us-central1
//! ```

use std::collections::BTreeSet;

use crate::resource::API_VERSION;
use crate::schema::{Cx, fields, nonempty_string, string_list};
use crate::yaml::Node;

/// The file name, at the root of the monitored directory.
pub(crate) const CLUSTERS_FILE: &str = "clusters.yaml";

/// The declared clusters, or `None` after reporting a problem.
pub(crate) fn parse_clusters(cx: &mut Cx<'_>, docs: &[Node]) -> Option<BTreeSet<String>> {
    let doc = match docs {
        [doc] => doc,
        [] => {
            cx.error(
                crate::yaml::Pos { line: 1, column: 1 },
                format!(
                    "`{CLUSTERS_FILE}` is empty, expected `kind: Clusters` with a `clusters` list"
                ),
            );
            return None;
        }
        [_, second, ..] => {
            cx.error(
                second.pos,
                format!(
                    "`{CLUSTERS_FILE}` must hold one document, found {}",
                    docs.len()
                ),
            );
            return None;
        }
    };
    let f = fields(
        cx,
        doc,
        "`clusters.yaml`",
        &["apiVersion", "kind", "clusters"],
    )?;
    let mut ok = true;
    match f.required(cx, "apiVersion", "`clusters.yaml`") {
        Some(n) => match nonempty_string(cx, n, "`apiVersion`") {
            Some(v) if v == API_VERSION => {}
            Some(v) => {
                cx.error(
                    n.pos,
                    format!("unsupported apiVersion `{v}`, expected `{API_VERSION}`"),
                );
                ok = false;
            }
            None => ok = false,
        },
        None => ok = false,
    }
    match f.required(cx, "kind", "`clusters.yaml`") {
        Some(n) => match nonempty_string(cx, n, "`kind`") {
            Some(v) if v == "Clusters" => {}
            Some(v) => {
                cx.error(
                    n.pos,
                    format!("unexpected kind `{v}` in `{CLUSTERS_FILE}`, expected `Clusters`"),
                );
                ok = false;
            }
            None => ok = false,
        },
        None => ok = false,
    }
    let mut clusters = BTreeSet::new();
    if let Some(list) = f.required(cx, "clusters", "`clusters.yaml`") {
        for (name, pos) in string_list(cx, list, "`clusters`") {
            if !clusters.insert(name.clone()) {
                cx.error(pos, format!("cluster `{name}` is declared twice"));
                ok = false;
            }
        }
    } else {
        ok = false;
    }
    ok.then_some(clusters)
}
