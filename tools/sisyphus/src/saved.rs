//! Saved change sets: `diff --out FILE` writes one, `diff|push --changes FILE` re-renders it
//! from its own plan and pinned digests and goes on only if the diff finds exactly its
//! changes, against exactly the state it was saved from (Terraform's saved plans).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, bail};
use sisyphus_core::change::{Action, ChangeSet};
use sisyphus_core::desired::ObjectKey;
use sisyphus_plan::{SavedChange, SavedChanges};
use sisyphus_state::Store;

use crate::commands::args::ClusterArgs;
use crate::diagnostics::Hint;
use crate::pipeline::{Diffed, Pins, Prepared};

/// Read a saved change set.
///
/// # Errors
///
/// The file cannot be read, or is not a saved change set of this version.
pub fn read(file: &Path) -> anyhow::Result<SavedChanges> {
    let bytes = fs_err::read(file)?;
    sisyphus_plan::read_changes(&bytes)
        .with_context(|| format!("failed to read the saved change set `{}`", file.display()))
}

/// A saved change set fixes its scope: `--cluster`/`--namespace` may only repeat it.
///
/// # Errors
///
/// A scope that differs from the saved one.
pub fn check_scope(saved: &SavedChanges, args: &ClusterArgs) -> anyhow::Result<()> {
    let same = |given: &[String], kept: &[String]| {
        let mut a = given.to_vec();
        let mut b = kept.to_vec();
        a.sort();
        b.sort();
        a.is_empty() || a == b
    };
    if !same(&args.clusters, &saved.clusters) || !same(&args.namespaces, &saved.namespaces) {
        bail!(
            "--cluster/--namespace differ from the saved change set's scope (clusters: {}; \
             namespaces: {}): it applies to exactly what it was saved for; leave them out",
            list(&saved.clusters),
            list(&saved.namespaces)
        );
    }
    Ok(())
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "all".to_owned()
    } else {
        items
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The digests a saved change set pins its config images to.
///
/// # Errors
///
/// A pin that is not a digest.
pub fn pins(saved: &SavedChanges) -> anyhow::Result<Pins> {
    saved
        .pins
        .iter()
        .map(|(image, digest)| {
            let parsed = digest.parse().map_err(|e| {
                anyhow::anyhow!("invalid pin `{digest}` of `{image}` in the saved change set: {e}")
            })?;
            Ok((image.clone(), parsed))
        })
        .collect()
}

/// The changes of `changes` that write, as saved.
fn saved_changes(changes: &ChangeSet) -> Vec<SavedChange> {
    let mut all: Vec<SavedChange> = changes
        .writes()
        .map(|c| SavedChange {
            key: c.key.clone(),
            action: c.action,
            intent_hash: c
                .desired
                .as_ref()
                .map(|d| sisyphus_diff::masked_hash(&d.object))
                .unwrap_or_default(),
        })
        .collect();
    all.sort();
    all
}

/// Save what `prepared` found to `file` (refusing a file inside the monitored folder).
///
/// # Errors
///
/// The state database cannot be read; the file cannot be written.
pub async fn save(
    prepared: &Prepared,
    clusters: &ClusterArgs,
    file: &Path,
    monitor_directory: Option<&Path>,
) -> anyhow::Result<()> {
    let store = &prepared.store;
    let saved = SavedChanges {
        plan: prepared.plan.clone(),
        pins: prepared
            .pins
            .iter()
            .map(|(image, digest)| (image.clone(), digest.to_string()))
            .collect(),
        database_id: store.database_id().await?,
        generation: prepared.diffed.generation,
        last_push: store.pushes(1).await?.first().map_or(0, |row| row.id),
        clusters: clusters.clusters.clone(),
        namespaces: clusters.namespaces.clone(),
        changes: saved_changes(&prepared.diffed.changes),
    };
    let bytes = sisyphus_plan::write_changes(&saved);
    match monitor_directory {
        Some(dir) => sisyphus_plan::write_bytes_outside(file, &bytes, dir),
        None => sisyphus_plan::write_bytes(file, &bytes),
    }
    .with_context(|| format!("failed to write the change set to `{}`", file.display()))
}

/// Refuse `saved` unless `diffed` (from its plan and pins, against `store`) is exactly it.
///
/// # Errors
///
/// Another database, a state that changed since (naming what ran), or changes that differ
/// (naming each).
pub async fn check(saved: &SavedChanges, store: &Store, diffed: &Diffed) -> anyhow::Result<()> {
    let rerun =
        || Hint::new("run `sisyphus diff --out` again, review the new change set, and push that");
    let id = store.database_id().await?;
    if id != saved.database_id {
        return Err(anyhow::Error::new(Hint::new(
            "push it with the --database-url it was saved with, or save a change set against \
             this database",
        ))
        .context(format!(
            "the saved change set was made against another state database (id {}, this one is \
             {id}); nothing applied",
            saved.database_id
        )));
    }
    if diffed.generation != saved.generation {
        let since: Vec<String> = store
            .pushes(50)
            .await?
            .into_iter()
            .filter(|row| row.id > saved.last_push)
            .map(|row| {
                format!(
                    "{} {} by {} on {} ({})",
                    row.operation, row.id, row.user, row.host, row.outcome
                )
            })
            .collect();
        let what = if since.is_empty() {
            "objects were recorded or removed".to_owned()
        } else {
            since.join(", ")
        };
        return Err(anyhow::Error::new(rerun()).context(format!(
            "the saved change set is stale: the state database changed since it was saved \
             ({what}); nothing applied"
        )));
    }
    let now = saved_changes(&diffed.changes);
    if now != saved.changes {
        let differences = differences(&saved.changes, &now);
        return Err(anyhow::Error::new(rerun()).context(format!(
            "the saved change set is stale: the clusters or the registry moved since it was \
             saved; now:\n{}\nnothing applied",
            differences
                .iter()
                .map(|d| format!("  {d}"))
                .collect::<Vec<_>>()
                .join("\n")
        )));
    }
    Ok(())
}

/// What differs between the saved changes and those found now, one line each.
fn differences(saved: &[SavedChange], now: &[SavedChange]) -> Vec<String> {
    let index = |all: &[SavedChange]| -> BTreeMap<ObjectKey, (Action, String)> {
        all.iter()
            .map(|c| (c.key.clone(), (c.action, c.intent_hash.clone())))
            .collect()
    };
    let (before, after) = (index(saved), index(now));
    let mut lines = Vec::new();
    for (key, (action, hash)) in &before {
        match after.get(key) {
            None => lines.push(format!("{key}: saved as {action}, now nothing to do")),
            Some((now, _)) if now != action => {
                lines.push(format!("{key}: saved as {action}, now {now}"));
            }
            Some((_, now)) if now != hash => {
                lines.push(format!("{key}: {action}, but to another object than saved"));
            }
            Some(_) => {}
        }
    }
    for (key, (action, _)) in &after {
        if !before.contains_key(key) {
            lines.push(format!("{key}: not in the saved change set, now {action}"));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(name: &str, action: Action, hash: &str) -> SavedChange {
        SavedChange {
            key: ObjectKey {
                cluster: "east".to_owned(),
                group: String::new(),
                version: "v1".to_owned(),
                kind: "ConfigMap".to_owned(),
                namespace: Some("ns".to_owned()),
                name: name.to_owned(),
            },
            action,
            intent_hash: hash.to_owned(),
        }
    }

    #[test]
    fn differences_name_each_object_that_moved() {
        let saved = vec![
            change("a", Action::Create, "1"),
            change("b", Action::Update, "2"),
            change("c", Action::Update, "3"),
            change("d", Action::Delete, ""),
        ];
        let now = vec![
            change("a", Action::Adopt, "1"),
            change("b", Action::Update, "9"),
            change("d", Action::Delete, ""),
            change("e", Action::Create, "5"),
        ];
        assert_eq!(
            differences(&saved, &now),
            [
                "`east` v1 ConfigMap ns/a: saved as create, now adopt",
                "`east` v1 ConfigMap ns/b: update, but to another object than saved",
                "`east` v1 ConfigMap ns/c: saved as update, now nothing to do",
                "`east` v1 ConfigMap ns/e: not in the saved change set, now create",
            ]
        );
    }
}
