//! Writing a change set to its clusters, phase by phase, recording each write as it lands.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::StreamExt as _;
use sisyphus_cluster::{Applied, Cluster, Deleted, Error as ClusterError};
use sisyphus_core::change::{Action, Change, ChangeSet};
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::secret::is_secret_kind;
use sisyphus_core::state::ObjectId;

use crate::Target;
use crate::order::{PHASES, Phase, phase};
use crate::preflight::chain;
use crate::record::{history, pending, recorded};
use crate::wait::Written;

/// How apply works.
#[derive(Clone, Debug)]
pub struct Options {
    /// Writes in flight at once per cluster.
    pub concurrency: usize,
    /// How long a deletion may take before it is reported as stuck (finalizers).
    pub delete_wait: Duration,
    /// How long a CustomResourceDefinition may take to be established.
    pub crd_wait: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            concurrency: 16,
            delete_wait: Duration::from_secs(60),
            crd_wait: Duration::from_secs(60),
        }
    }
}

/// Progress, for the CLI's bars and lines.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A cluster's apply starts with this many writes.
    Start {
        /// The cluster.
        cluster: &'a str,
        /// Writes planned.
        total: usize,
    },
    /// One change is done (applied and recorded, deleted, or kept).
    Done {
        /// The object.
        key: &'a ObjectKey,
        /// What was done.
        action: Action,
    },
    /// One change failed.
    Failed {
        /// The object.
        key: &'a ObjectKey,
    },
    /// A cluster's apply ended.
    Finish {
        /// The cluster.
        cluster: &'a str,
    },
}

/// An object deletion did not remove, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    /// The object.
    pub key: ObjectKey,
    /// Why it is still there.
    pub why: String,
}

/// What [`apply`] did.
#[derive(Clone, Debug, Default)]
pub struct ApplyReport {
    /// Changes carried out, by action.
    pub done: BTreeMap<Action, usize>,
    /// Deletions that left the object in place.
    pub kept: Vec<Kept>,
    /// Every failure, in the house format; the push failed when there is any.
    pub errors: Vec<String>,
    /// Every object written (not Secrets, whose writes have nothing to wait for), with the
    /// generation the API server answered: what [`crate::wait()`] waits for.
    pub written: Vec<Written>,
}

impl ApplyReport {
    fn merge(&mut self, other: ApplyReport) {
        for (action, n) in other.done {
            *self.done.entry(action).or_default() += n;
        }
        self.kept.extend(other.kept);
        self.errors.extend(other.errors);
        self.written.extend(other.written);
    }
}

/// Apply `changes` (after [`crate::preflight()`] passed and the user consented): every cluster
/// at once, phase by phase within each; each write is recorded the moment the API server
/// accepts it, each deletion removed from the state once the object is gone. A phase with a
/// failure ends that cluster's apply (later phases may depend on it; deletions are skipped).
pub async fn apply(
    changes: &ChangeSet,
    target: &Target<'_>,
    options: &Options,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> ApplyReport {
    let mut by_cluster: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for change in changes.writes() {
        by_cluster
            .entry(change.key.cluster.as_str())
            .or_default()
            .push(change);
    }
    let runs = by_cluster.into_iter().map(|(name, writes)| async move {
        let Some(cluster) = target.clusters.get(name) else {
            return ApplyReport {
                errors: vec![format!("cluster `{name}` is not connected")],
                ..ApplyReport::default()
            };
        };
        progress(Event::Start {
            cluster: name,
            total: writes.len(),
        });
        let report = apply_cluster(cluster, changes, &writes, target, options, progress).await;
        progress(Event::Finish { cluster: name });
        report
    });
    let mut report = ApplyReport::default();
    for one in futures::future::join_all(runs).await {
        report.merge(one);
    }
    report.kept.sort_by(|a, b| a.key.cmp(&b.key));
    report.written.sort_by(|a, b| a.key.cmp(&b.key));
    report
}

async fn apply_cluster(
    cluster: &Cluster,
    changes: &ChangeSet,
    writes: &[&Change],
    target: &Target<'_>,
    options: &Options,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> ApplyReport {
    let mut report = ApplyReport::default();
    for current in PHASES {
        let batch: Vec<&Change> = writes
            .iter()
            .copied()
            .filter(|c| c.action != Action::Delete && phase(&c.key) == current)
            .collect();
        let results: Vec<(&Change, Result<Option<i64>, String>)> = futures::stream::iter(batch)
            .map(|change| async move { (change, write(cluster, change, target, options).await) })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        note(&mut report, results, progress);
        if report.errors.is_empty() && current == Phase::Crds {
            report
                .errors
                .extend(establish_crds(cluster, writes, options).await);
        }
        if !report.errors.is_empty() {
            let left = writes.len() - report.done.values().sum::<usize>() - report.errors.len();
            if left > 0 {
                report.errors.push(format!(
                    "stopped applying to cluster `{}` after the errors above: {left} change(s) \
                     not made (the next push makes them)",
                    cluster.name()
                ));
            }
            return report;
        }
    }
    for current in PHASES.iter().rev() {
        let batch: Vec<&Change> = writes
            .iter()
            .copied()
            .filter(|c| c.action == Action::Delete && phase(&c.key) == *current)
            .collect();
        let results: Vec<(&Change, Result<Option<Kept>, String>)> = futures::stream::iter(batch)
            .map(|change| async move {
                (
                    change,
                    delete(cluster, changes, change, target, options).await,
                )
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        for (change, result) in results {
            match result {
                Ok(kept) => {
                    report.kept.extend(kept);
                    *report.done.entry(Action::Delete).or_default() += 1;
                    progress(Event::Done {
                        key: &change.key,
                        action: Action::Delete,
                    });
                }
                Err(e) => {
                    report.errors.push(e);
                    progress(Event::Failed { key: &change.key });
                }
            }
        }
        if !report.errors.is_empty() {
            return report;
        }
    }
    report
}

fn note(
    report: &mut ApplyReport,
    results: Vec<(&Change, Result<Option<i64>, String>)>,
    progress: &(dyn Fn(Event<'_>) + Sync),
) {
    for (change, result) in results {
        match result {
            Ok(generation) => {
                *report.done.entry(change.action).or_default() += 1;
                if !is_secret(&change.key) {
                    report.written.push(Written {
                        key: change.key.clone(),
                        generation,
                    });
                }
                progress(Event::Done {
                    key: &change.key,
                    action: change.action,
                });
            }
            Err(e) => {
                report.errors.push(e);
                progress(Event::Failed { key: &change.key });
            }
        }
    }
}

/// Wait for every CustomResourceDefinition this cluster's change set writes, then refresh
/// discovery so their kinds are known.
async fn establish_crds(cluster: &Cluster, writes: &[&Change], options: &Options) -> Vec<String> {
    let crds: Vec<&Change> = writes
        .iter()
        .copied()
        .filter(|c| c.action != Action::Delete && phase(&c.key) == Phase::Crds)
        .collect();
    if crds.is_empty() {
        return Vec::new();
    }
    let mut errors = Vec::new();
    for crd in crds {
        if let Err(e) = cluster
            .wait_crd_established(&crd.key.name, options.crd_wait)
            .await
        {
            errors.push(chain(&e));
        }
    }
    if errors.is_empty()
        && let Err(e) = cluster.refresh_discovery().await
    {
        errors.push(chain(&e));
    }
    errors
}

fn is_secret(key: &ObjectKey) -> bool {
    key.group.is_empty() && is_secret_kind(&key.version, &key.kind)
}

/// Write one change and record it; the object's generation after the write.
async fn write(
    cluster: &Cluster,
    change: &Change,
    target: &Target<'_>,
    options: &Options,
) -> Result<Option<i64>, String> {
    let Some(desired) = &change.desired else {
        return Ok(None);
    };
    let object = &desired.object;
    let key = &change.key;
    // Write-ahead: an object this database does not know yet is recorded as pending first.
    if change.recorded.is_none()
        && let Some(row) = pending(change, target.push_id)
    {
        target
            .store
            .record(target.lock, &row)
            .await
            .map_err(|e| format!("{key} was not applied: recording it failed: {}", chain(&e)))?;
    }
    let applied = if is_secret(key) {
        write_secret(cluster, change).await
    } else {
        if change.action == Action::Recreate {
            match cluster.delete(key, options.delete_wait).await {
                Ok(Deleted::Gone) => {}
                Ok(Deleted::Stuck { finalizers }) => {
                    return Err(format!(
                        "failed to recreate {key}: the old object is still there after {:?}{}",
                        options.delete_wait,
                        finalizer_text(&finalizers)
                    ));
                }
                Err(e) => return Err(chain(&e)),
            }
        }
        cluster.apply(object, false).await
    }
    .map_err(|e| chain(&e))?;
    let Some(row) = recorded(change, &applied, target.push_id) else {
        return Ok(applied.generation);
    };
    target
        .store
        .record_change(
            target.lock,
            &row,
            &history(change, Some(&row), target.push_id),
        )
        .await
        .map(|()| applied.generation)
        .map_err(|e| format!("{key} was applied but not recorded: {}", chain(&e)))
}

/// A Secret: created if missing, else only its missing keys added (never a value overwritten).
async fn write_secret(cluster: &Cluster, change: &Change) -> Result<Applied, ClusterError> {
    let Some(desired) = &change.desired else {
        return Err(ClusterError::InvalidObject {
            operation: "write",
            object: change.key.to_string(),
            problem: "no desired object".to_owned(),
        });
    };
    let object = &desired.object;
    if change.action == Action::Create {
        match cluster.create_secret(object, false).await {
            Err(ClusterError::AlreadyExists { .. }) => {}
            other => return other,
        }
    }
    match cluster.add_secret_keys(object, false).await {
        Ok(update) => Ok(update.applied),
        // Deleted behind our back since it was recorded, or recorded as pending by a push that
        // died before creating it: create it.
        Err(e) if e.is_not_found() => cluster.create_secret(object, false).await,
        Err(e) => Err(e),
    }
}

/// Delete one object (or keep it, saying why) and drop its row.
async fn delete(
    cluster: &Cluster,
    changes: &ChangeSet,
    change: &Change,
    target: &Target<'_>,
    options: &Options,
) -> Result<Option<Kept>, String> {
    let key = &change.key;
    let id = ObjectId::of(key);
    let id = &id;
    // `kept`: why the object stays in its cluster, for the history's row.
    let forget = |kept: Option<&str>| {
        let mut row = history(change, None, target.push_id);
        row.reasons
            .extend(kept.map(|why| format!("kept in the cluster: {why}")));
        async move {
            target
                .store
                .remove_change(target.lock, id, &row)
                .await
                .map(|_| ())
                .map_err(|e| format!("{key} was deleted but its record was not: {}", chain(&e)))
        }
    };
    let is_namespace = key.group.is_empty() && key.kind == "Namespace";
    if is_namespace {
        if change.recorded.as_ref().is_some_and(|r| !r.created) {
            let why = "Sisyphus did not create it: no longer tracked, not deleted".to_owned();
            forget(Some(&why)).await?;
            return Ok(Some(Kept {
                key: key.clone(),
                why,
            }));
        }
        let tracked = tracked_in(changes, &key.cluster, &key.name);
        let untracked = cluster
            .untracked_in_namespace(&key.name, &tracked)
            .await
            .map_err(|e| chain(&e))?;
        if !untracked.is_empty() {
            let names: Vec<String> = untracked.iter().take(5).map(short).collect();
            let more = untracked.len().saturating_sub(5);
            let why = format!(
                "objects Sisyphus does not track live in it: {}{}; no longer tracked, not deleted",
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
            forget(Some(&why)).await?;
            return Ok(Some(Kept {
                key: key.clone(),
                why,
            }));
        }
    }
    match cluster.delete(key, options.delete_wait).await {
        Ok(Deleted::Gone) => forget(None).await.map(|()| None),
        Ok(Deleted::Stuck { finalizers }) => Ok(Some(Kept {
            key: key.clone(),
            why: format!(
                "still being deleted after {:?}{}; still tracked, the next push checks again",
                options.delete_wait,
                finalizer_text(&finalizers)
            ),
        })),
        Err(e) => Err(chain(&e)),
    }
}

/// Every object the change set knows in `namespace` of `cluster` (recorded or desired).
fn tracked_in(changes: &ChangeSet, cluster: &str, namespace: &str) -> BTreeSet<ObjectId> {
    changes
        .changes
        .iter()
        .filter(|c| c.key.cluster == cluster && c.key.namespace.as_deref() == Some(namespace))
        .map(|c| ObjectId::of(&c.key))
        .collect()
}

fn short(key: &ObjectKey) -> String {
    format!("{} {}", key.kind, key.name)
}

fn finalizer_text(finalizers: &[String]) -> String {
    if finalizers.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = finalizers.iter().map(|f| format!("`{f}`")).collect();
        format!(" (finalizers: {})", list.join(", "))
    }
}
