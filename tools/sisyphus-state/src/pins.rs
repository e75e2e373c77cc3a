//! Pins in the state database (table `pins`): written under the push lock, each pin or unpin
//! in one fenced transaction together with its audit row in `pushes`. And what a pin holds a
//! resource at: its objects as of one history row, from `push_changes`: the resource's history
//! without intents ([`Store::resource_history`]), the rows [`as_of`] picks, then only those
//! rows whole ([`Store::changes_by_id`]).

use std::collections::BTreeMap;

use sisyphus_core::change::Action;
use sisyphus_core::desired::{ObjectKey, ResourceId};
use sisyphus_core::pin::Pin;
use sisyphus_core::state::ObjectId;
use sqlx::AssertSqlSafe;

use crate::audit::on_pool;
use crate::changes::{PushChange, change_from_row};
use crate::error::Error;
use crate::history::Operation;
use crate::lock::PushLock;
use crate::sql;
use crate::store::{Columns as _, Store, query_error, resource_kind, with_pool};

impl Store {
    /// Every pin, sorted by target.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn pins(&self) -> Result<Vec<Pin>, Error> {
        let sql = self.sql();
        with_pool!(self.pool(), p => {
            read_pins(sqlx::query(sql.pins.as_str()).fetch_all(p).await)
        })
    }

    /// Pins `resource` to its objects as of history row `to_push` (replacing a pin it had),
    /// with one `pin` audit row by the lock's holder; returns that row's id.
    ///
    /// # Errors
    ///
    /// [`Error::LockLost`], [`Error::Query`].
    pub async fn pin(
        &self,
        lock: &PushLock,
        resource: &ResourceId,
        to_push: i64,
    ) -> Result<i64, Error> {
        lock.check()?;
        let what = "record the pin".to_owned();
        let name = resource.path();
        let message = format!("pinned `{name}` to push {to_push}");
        let holder = lock.holder().clone();
        let sql = self.sql();
        let id = on_pool!(
            self,
            lock,
            Operation::Pin,
            message.as_str(),
            what,
            |tx, id| {
                sqlx::query(sql.upsert_pin.as_str())
                    .bind(name.as_str())
                    .bind(resource.kind.as_str())
                    .bind(resource.folder.as_str())
                    .bind(resource.name.as_str())
                    .bind(to_push)
                    .bind(holder.user.as_str())
                    .bind(holder.host.as_str())
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(what.clone()))?;
            }
        );
        Ok(id)
    }

    /// Removes the pin of `resource`, with one `unpin` audit row; returns its id.
    ///
    /// # Errors
    ///
    /// [`Error::NotPinned`] (nothing written), [`Error::LockLost`], [`Error::Query`].
    pub async fn unpin(&self, lock: &PushLock, resource: &ResourceId) -> Result<i64, Error> {
        lock.check()?;
        let what = "record the unpin".to_owned();
        let name = resource.path();
        let message = format!("unpinned `{name}`");
        let sql = self.sql();
        let id = on_pool!(
            self,
            lock,
            Operation::Unpin,
            message.as_str(),
            what,
            |tx, id| {
                let removed = sqlx::query(sql.delete_pin.as_str())
                    .bind(name.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(what.clone()))?
                    .rows_affected();
                if removed == 0 {
                    tx.rollback().await.map_err(query_error(what.clone()))?;
                    return Err(Error::NotPinned { target: name });
                }
            }
        );
        Ok(id)
    }

    /// Every change the history keeps of `resource`'s objects, oldest first, without their
    /// intents: what [`as_of`] picks from, and [`Store::changes_by_id`] then reads whole.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn resource_history(&self, resource: &ResourceId) -> Result<Vec<ChangeRef>, Error> {
        let sql = self.sql();
        let operation = format!("read the history of `{}`", resource.path());
        with_pool!(self.pool(), p => {
            let rows = sqlx::query(sql.changes_of_resource.as_str())
                .bind(resource.kind.as_str())
                .bind(resource.folder.as_str())
                .bind(resource.name.as_str())
                .fetch_all(p)
                .await
                .map_err(query_error(operation))?;
            rows.iter().map(change_ref_from_row).collect()
        })
    }

    /// The `push_changes` rows `ids` (from [`Store::resource_history`]), whole, in id order;
    /// read 500 at a time.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn changes_by_id(&self, ids: &[i64]) -> Result<Vec<PushChange>, Error> {
        let dialect = self.dialect();
        let mut all = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let statement = sql::changes_by_id(dialect, chunk.len());
            let found: Vec<PushChange> = with_pool!(self.pool(), p => {
                let mut query = sqlx::query(AssertSqlSafe(statement.clone()));
                for id in chunk {
                    query = query.bind(*id);
                }
                let rows = query
                    .fetch_all(p)
                    .await
                    .map_err(query_error("read history rows"))?;
                rows.iter().map(change_from_row).collect::<Result<_, _>>()?
            });
            all.extend(found);
        }
        Ok(all)
    }
}

/// One change of a resource's history, without its intents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeRef {
    /// Its row in `push_changes`.
    pub id: i64,
    /// The push that made it.
    pub push_id: i64,
    /// What was done.
    pub action: Action,
    /// The object, with the version written.
    pub key: ObjectKey,
}

/// The changes `history` (one resource's, oldest first) leaves as of history row `push`: per
/// object, its newest change at or before `push`, unless that change deleted it. Sorted by
/// object.
pub fn as_of(history: &[ChangeRef], push: i64) -> Vec<&ChangeRef> {
    let mut newest: BTreeMap<ObjectId, &ChangeRef> = BTreeMap::new();
    for change in history.iter().filter(|c| c.push_id <= push) {
        newest.insert(ObjectId::of(&change.key), change);
    }
    newest
        .into_values()
        .filter(|c| c.action != Action::Delete)
        .collect()
}

/// Reads `id, push_id, action, cluster, api_group, api_version, kind, namespace, name`.
fn change_ref_from_row<R>(row: &R) -> Result<ChangeRef, Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    const T: &str = "push_changes";
    let id: i64 = row.cell(0, T, "?")?;
    let shown = id.to_string();
    let word: String = row.cell(2, T, &shown)?;
    let action = Action::ALL
        .into_iter()
        .find(|a| a.word() == word)
        .ok_or_else(|| Error::BadRow {
            table: T,
            id: shown.clone(),
            problem: format!("unknown action `{word}`"),
        })?;
    Ok(ChangeRef {
        id,
        push_id: row.cell(1, T, &shown)?,
        action,
        key: ObjectKey {
            cluster: row.cell(3, T, &shown)?,
            group: row.cell(4, T, &shown)?,
            version: row.cell(5, T, &shown)?,
            kind: row.cell(6, T, &shown)?,
            namespace: row.cell(7, T, &shown)?,
            name: row.cell(8, T, &shown)?,
        },
    })
}

/// The pins in `rows`.
fn read_pins<R>(rows: Result<Vec<R>, sqlx::Error>) -> Result<Vec<Pin>, Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    const T: &str = "pins";
    let rows = rows.map_err(query_error("read the pins"))?;
    rows.iter()
        .map(|row| {
            let key: String = row.cell(0, T, "?")?;
            let kind: String = row.cell(1, T, &key)?;
            Ok(Pin {
                resource: ResourceId {
                    kind: resource_kind(&kind).ok_or_else(|| Error::BadRow {
                        table: T,
                        id: key.clone(),
                        problem: format!("unknown resource_kind `{kind}`"),
                    })?,
                    folder: row.cell(2, T, &key)?,
                    name: row.cell(3, T, &key)?,
                },
                to_push: row.cell(4, T, &key)?,
                user: row.cell(5, T, &key)?,
                host: row.cell(6, T, &key)?,
                since_ms: row.cell(7, T, &key)?,
                push_id: row.cell(8, T, &key)?,
            })
        })
        .collect()
}
