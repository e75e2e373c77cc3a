//! What each push changed: one [`PushChange`] per object, written with the object's record in
//! one transaction ([`Store::record_change`], [`Store::remove_change`]), and read back as a
//! push's change set ([`Store::push_changes`]) or, summarized per resource, as the history
//! ([`Store::history`]): which config and binary images each resource moved between.
//!
//! Intents are kept masked (`sisyphus_core::secret::masked`): a Secret value never reaches a
//! row, so none can ever be shown.

use std::collections::{BTreeSet, HashMap};

use sisyphus_core::change::{Action, Change};
use sisyphus_core::desired::{ConfigOrigin, DesiredObject, ObjectKey, ResourceId};
use sisyphus_core::secret::is_secret_kind;
use sisyphus_core::state::{ObjectId, RecordedObject};
use sqlx::{AssertSqlSafe, ColumnIndex, Decode, Row, Type};

use crate::error::Error;
use crate::history::PushRow;
use crate::sql::{self, HistoryShape};
use crate::store::{Columns as _, Store, push_from_row, query_error, resource_kind, with_pool};

/// One object a push changed, as the history keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushChange {
    /// The push (or rollback) that made it.
    pub push_id: i64,
    /// The object, with the version written (the recorded one for a delete).
    pub key: ObjectKey,
    /// What was done: create, update, recreate, delete or adopt.
    pub action: Action,
    /// The Sisyphus resource it belongs to (`None` for implied Namespaces).
    pub resource: Option<ResourceId>,
    /// The config and binary images recorded before (`None`: none, or a create).
    pub before: Option<ConfigOrigin>,
    /// The config and binary images after (`None`: none, or a delete).
    pub after: Option<ConfigOrigin>,
    /// The intent recorded before, masked JSON text (`None` for a create or an adopt).
    pub before_intent: Option<String>,
    /// The intent applied, masked JSON text (`None` for a delete).
    pub after_intent: Option<String>,
    /// Why, in words, as diff said.
    pub reasons: Vec<String>,
}

impl PushChange {
    /// The object as this change left it (`after_intent`, masked as stored), with its
    /// resource and images; `None` for a delete.
    ///
    /// # Errors
    ///
    /// [`Error::BadRow`] when the stored intent is not JSON (a database edited by hand).
    pub fn desired(&self) -> Result<Option<DesiredObject>, Error> {
        let key = &self.key;
        let Some(text) = &self.after_intent else {
            return Ok(None);
        };
        let object = serde_json::from_str(text).map_err(|e| Error::BadRow {
            table: "push_changes",
            id: format!("{} of push {}", ObjectId::of(key), self.push_id),
            problem: format!("after_intent is not JSON: {e}"),
        })?;
        Ok(Some(DesiredObject {
            object,
            resource: self.resource.clone(),
            location: None,
            config: self.after.clone(),
            secret: key.group.is_empty() && is_secret_kind(&key.version, &key.kind),
        }))
    }

    /// The change as diff would have shown it (with no source location), for the change set
    /// views: the recorded side from `before_intent`, the desired side from `after_intent`.
    /// Both are masked as stored; views mask again before showing.
    ///
    /// # Errors
    ///
    /// [`Error::BadRow`] when a stored intent is not JSON (a database edited by hand).
    pub fn change(&self) -> Result<Change, Error> {
        let key = &self.key;
        let desired = self.desired()?;
        let recorded = self.before_intent.as_ref().map(|text| RecordedObject {
            key: key.clone(),
            applied: text.clone(),
            applied_hash: String::new(),
            uid: None,
            resource_version: None,
            config: self.before.clone(),
            resource: self.resource.clone(),
            push_id: self.push_id,
            created: true,
        });
        Ok(Change {
            key: key.clone(),
            action: self.action,
            desired,
            recorded,
            reasons: self.reasons.clone(),
        })
    }
}

/// Which history rows to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Every row (the audit trail), not only pushes and rollbacks.
    pub audit: bool,
    /// Only pushes that changed this resource, and only its changes.
    pub resource: Option<ResourceId>,
    /// Only pushes that changed an object of this cluster, and only those changes.
    pub cluster: Option<String>,
    /// At most this many rows, newest first.
    pub limit: usize,
}

/// One history row with what it changed, per resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The row.
    pub push: PushRow,
    /// Per resource and images moved between, what changed; sorted by resource, objects of no
    /// resource last.
    pub moves: Vec<ResourceMove>,
}

/// The objects of one resource a push changed from one pair of images to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceMove {
    /// The resource (`None`: objects of no resource, such as implied Namespaces).
    pub resource: Option<ResourceId>,
    /// The clusters it changed in.
    pub clusters: BTreeSet<String>,
    /// What was done to its objects.
    pub actions: BTreeSet<Action>,
    /// How many objects changed.
    pub objects: usize,
    /// The config and binary images before.
    pub before: Option<ConfigOrigin>,
    /// The config and binary images after.
    pub after: Option<ConfigOrigin>,
}

/// Binds a [`PushChange`] to `sql.insert_change` and runs it on `$tx`.
macro_rules! insert_change {
    ($tx:expr, $sql:expr, $change:expr, $operation:expr) => {{
        let change: &$crate::changes::PushChange = $change;
        let key = &change.key;
        let resource = change.resource.as_ref();
        let before = change.before.as_ref();
        let after = change.after.as_ref();
        let reasons = serde_json::Value::from(change.reasons.clone()).to_string();
        let object_id = sisyphus_core::state::ObjectId::of(key).hash();
        sqlx::query($sql.insert_change.as_str())
            .bind(change.push_id)
            .bind(key.cluster.as_str())
            .bind(change.action.word())
            .bind(resource.map(|r| r.kind.as_str()))
            .bind(resource.map(|r| r.folder.as_str()))
            .bind(resource.map(|r| r.name.as_str()))
            .bind(before.map(|c| c.config_image.as_str()))
            .bind(before.map(|c| c.binary_image.as_str()))
            .bind(after.map(|c| c.config_image.as_str()))
            .bind(after.map(|c| c.binary_image.as_str()))
            .bind(key.group.as_str())
            .bind(key.version.as_str())
            .bind(key.kind.as_str())
            .bind(key.namespace.as_deref())
            .bind(key.name.as_str())
            .bind(reasons)
            .bind(change.before_intent.as_deref())
            .bind(change.after_intent.as_deref())
            .bind(object_id)
            .execute(&mut *$tx)
            .await
            .map_err(query_error($operation.clone()))?;
    }};
}
pub(crate) use insert_change;

impl Store {
    /// The newest history rows `filter` asks for, newest first, each with what it changed per
    /// resource. Two statements: the rows, then the change summaries of their id range.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn history(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>, Error> {
        let dialect = self.dialect();
        let shape = HistoryShape {
            pushes_only: !filter.audit,
            cluster: filter.cluster.is_some(),
            resource: filter.resource.is_some(),
        };
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        let cluster = filter.cluster.as_deref();
        let resource = filter.resource.as_ref();
        let operation = "read the push history";
        macro_rules! conditions {
            ($query:expr) => {{
                let mut query = $query;
                if let Some(cluster) = cluster {
                    query = query.bind(cluster);
                }
                if let Some(resource) = resource {
                    query = query
                        .bind(resource.kind.as_str())
                        .bind(resource.folder.as_str())
                        .bind(resource.name.as_str());
                }
                query
            }};
        }
        let (rows, changes) = with_pool!(self.pool(), p => {
            let query = conditions!(sqlx::query(AssertSqlSafe(sql::history(dialect, shape))));
            let rows = query
                .bind(limit)
                .fetch_all(p)
                .await
                .map_err(query_error(operation))?;
            let rows: Vec<PushRow> = rows.iter().map(push_from_row).collect::<Result<_, _>>()?;
            let (Some(first), Some(last)) = (rows.last(), rows.first()) else {
                return Ok(Vec::new());
            };
            let query = sqlx::query(AssertSqlSafe(sql::history_changes(dialect, shape)))
                .bind(first.id)
                .bind(last.id);
            let found = conditions!(query)
                .fetch_all(p)
                .await
                .map_err(query_error(operation))?;
            let changes: Vec<(i64, Summary)> =
                found.iter().map(summary_from_row).collect::<Result<_, _>>()?;
            (rows, changes)
        });
        Ok(group(rows, changes))
    }

    /// History row `id`, if there is one.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn push(&self, id: i64) -> Result<Option<PushRow>, Error> {
        let sql = self.sql();
        with_pool!(self.pool(), p => {
            let row = sqlx::query(sql.push_by_id.as_str())
                .bind(id)
                .fetch_optional(p)
                .await
                .map_err(query_error(format!("read push {id}")))?;
            row.as_ref().map(push_from_row).transpose()
        })
    }

    /// Every object push `id` changed, in the order it was recorded.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn push_changes(&self, id: i64) -> Result<Vec<PushChange>, Error> {
        let sql = self.sql();
        let operation = format!("read the changes of push {id}");
        with_pool!(self.pool(), p => {
            let rows = sqlx::query(sql.changes_of_push.as_str())
                .bind(id)
                .fetch_all(p)
                .await
                .map_err(query_error(operation))?;
            rows.iter().map(change_from_row).collect()
        })
    }
}

/// The summary columns of one `push_changes` row: what a listing needs.
struct Summary {
    cluster: String,
    action: Action,
    resource: Option<ResourceId>,
    before: Option<ConfigOrigin>,
    after: Option<ConfigOrigin>,
}

/// Each row with its changes, grouped per resource and images.
fn group(rows: Vec<PushRow>, changes: Vec<(i64, Summary)>) -> Vec<HistoryEntry> {
    type Slot<'a> = (
        i64,
        Option<&'a ResourceId>,
        Option<&'a ConfigOrigin>,
        Option<&'a ConfigOrigin>,
    );
    let mut per_push: HashMap<i64, Vec<ResourceMove>> = HashMap::new();
    let mut index: HashMap<Slot<'_>, usize> = HashMap::with_capacity(changes.len());
    for (push_id, change) in &changes {
        let moves = per_push.entry(*push_id).or_default();
        let slot = (
            *push_id,
            change.resource.as_ref(),
            change.before.as_ref(),
            change.after.as_ref(),
        );
        let i = *index.entry(slot).or_insert_with(|| {
            moves.push(ResourceMove {
                resource: change.resource.clone(),
                clusters: BTreeSet::new(),
                actions: BTreeSet::new(),
                objects: 0,
                before: change.before.clone(),
                after: change.after.clone(),
            });
            moves.len() - 1
        });
        if let Some(one) = moves.get_mut(i) {
            if !one.clusters.contains(&change.cluster) {
                one.clusters.insert(change.cluster.clone());
            }
            one.actions.insert(change.action);
            one.objects += 1;
        }
    }
    let images = |c: &Option<ConfigOrigin>| {
        c.as_ref()
            .map(|c| (c.config_image.clone(), c.binary_image.clone()))
    };
    rows.into_iter()
        .map(|push| {
            let mut moves = per_push.remove(&push.id).unwrap_or_default();
            // Writes land in parallel: sort, so the same push always lists the same way.
            moves.sort_by_cached_key(|m| {
                (
                    m.resource.is_none(),
                    m.resource.clone(),
                    images(&m.before),
                    images(&m.after),
                )
            });
            HistoryEntry { moves, push }
        })
        .collect()
}

/// Reads the summary columns (`sql::CHANGE_SUMMARY_COLUMNS`) of `row`.
fn summary_from_row<R>(row: &R) -> Result<(i64, Summary), Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    const T: &str = "push_changes";
    let push_id: i64 = row.cell(0, T, "?")?;
    let id = push_id.to_string();
    let text = |i: usize| row.cell::<String>(i, T, &id);
    let optional = |i: usize| row.cell::<Option<String>>(i, T, &id);
    let bad = |problem: String| Error::BadRow {
        table: T,
        id: id.clone(),
        problem,
    };
    let word = text(2)?;
    let action = Action::ALL
        .into_iter()
        .find(|a| a.word() == word)
        .ok_or_else(|| bad(format!("unknown action `{word}`")))?;
    let resource = match (optional(3)?, optional(4)?, optional(5)?) {
        (Some(kind), Some(folder), Some(name)) => Some(ResourceId {
            kind: resource_kind(&kind)
                .ok_or_else(|| bad(format!("unknown resource_kind `{kind}`")))?,
            folder,
            name,
        }),
        _ => None,
    };
    let origin = |config: Option<String>, binary: Option<String>| match (config, binary) {
        (Some(config_image), Some(binary_image)) => Some(ConfigOrigin {
            config_image,
            binary_image,
        }),
        _ => None,
    };
    Ok((
        push_id,
        Summary {
            cluster: text(1)?,
            action,
            resource,
            before: origin(optional(6)?, optional(7)?),
            after: origin(optional(8)?, optional(9)?),
        },
    ))
}

/// Reads a whole `push_changes` row (summary, then `sql::CHANGE_DETAIL_COLUMNS`).
pub(crate) fn change_from_row<R>(row: &R) -> Result<PushChange, Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    const T: &str = "push_changes";
    let (push_id, summary) = summary_from_row(row)?;
    let id = push_id.to_string();
    let text = |i: usize| row.cell::<String>(i, T, &id);
    let key = ObjectKey {
        cluster: summary.cluster,
        group: text(10)?,
        version: text(11)?,
        kind: text(12)?,
        namespace: row.cell(13, T, &id)?,
        name: text(14)?,
    };
    let reasons: String = row.cell(15, T, &id)?;
    let reasons: Vec<String> = serde_json::from_str(&reasons).map_err(|e| Error::BadRow {
        table: T,
        id: id.clone(),
        problem: format!("reasons are not a JSON list of strings: {e}"),
    })?;
    Ok(PushChange {
        push_id,
        key,
        action: summary.action,
        resource: summary.resource,
        before: summary.before,
        after: summary.after,
        before_intent: row.cell(16, T, &id)?,
        after_intent: row.cell(17, T, &id)?,
        reasons,
    })
}
