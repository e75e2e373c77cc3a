//! Pauses in the state database (table `pauses`): written under the push lock, each pause or
//! resume in one fenced transaction together with its audit row in `pushes`, so a failed one
//! changes nothing.

use crate::audit::on_pool;
use crate::error::Error;
use crate::history::Operation;
use crate::lock::PushLock;
use crate::store::{Columns as _, Store, query_error, resource_kind, with_pool};
use sisyphus_core::pause::{Pause, PauseTarget};

impl Store {
    /// Every pause, sorted by target.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn pauses(&self) -> Result<Vec<Pause>, Error> {
        let sql = self.sql();
        with_pool!(self.pool(), p => {
            read_pauses(sqlx::query(sql.pauses.as_str()).fetch_all(p).await)
        })
    }

    /// Pauses `targets` (a target already paused gets the new who, when and reason), with one
    /// `pause` audit row by the lock's holder; returns that row's id. One transaction.
    ///
    /// # Errors
    ///
    /// [`Error::LockLost`], [`Error::Query`].
    pub async fn pause(
        &self,
        lock: &PushLock,
        targets: &[PauseTarget],
        reason: Option<&str>,
    ) -> Result<i64, Error> {
        lock.check()?;
        let what = "record the pause".to_owned();
        let message = format!(
            "paused {}{}",
            list(targets),
            reason.map(|r| format!(": {r}")).unwrap_or_default()
        );
        let holder = lock.holder().clone();
        let sql = self.sql();
        let id = on_pool!(
            self,
            lock,
            Operation::Pause,
            message.as_str(),
            what,
            |tx, id| {
                for target in targets {
                    let (kind, folder, name) = match target {
                        PauseTarget::Resource(r) => (
                            Some(r.kind.as_str()),
                            r.folder.as_str(),
                            Some(r.name.as_str()),
                        ),
                        PauseTarget::Namespace(ns) => (None, ns.as_str(), None),
                    };
                    sqlx::query(sql.upsert_pause.as_str())
                        .bind(target.to_string())
                        .bind(kind)
                        .bind(folder)
                        .bind(name)
                        .bind(holder.user.as_str())
                        .bind(holder.host.as_str())
                        .bind(reason)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error(what.clone()))?;
                }
            }
        );
        Ok(id)
    }

    /// Resumes `targets`, with one `resume` audit row; returns its id. One transaction: if
    /// one target is not paused, nothing is resumed.
    ///
    /// # Errors
    ///
    /// [`Error::NotPaused`], [`Error::LockLost`], [`Error::Query`].
    pub async fn resume(&self, lock: &PushLock, targets: &[PauseTarget]) -> Result<i64, Error> {
        lock.check()?;
        let what = "record the resume".to_owned();
        let message = format!("resumed {}", list(targets));
        let sql = self.sql();
        let id = on_pool!(
            self,
            lock,
            Operation::Resume,
            message.as_str(),
            what,
            |tx, id| {
                for target in targets {
                    let removed = sqlx::query(sql.delete_pause.as_str())
                        .bind(target.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error(what.clone()))?
                        .rows_affected();
                    if removed == 0 {
                        tx.rollback().await.map_err(query_error(what.clone()))?;
                        return Err(Error::NotPaused {
                            target: target.to_string(),
                        });
                    }
                }
            }
        );
        Ok(id)
    }
}

/// `` `a`, `b` ``.
fn list(targets: &[PauseTarget]) -> String {
    let names: Vec<String> = targets.iter().map(|t| format!("`{t}`")).collect();
    names.join(", ")
}

/// The pauses in `rows`.
fn read_pauses<R>(rows: Result<Vec<R>, sqlx::Error>) -> Result<Vec<Pause>, Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    const T: &str = "pauses";
    let rows = rows.map_err(query_error("read the pauses"))?;
    rows.iter()
        .map(|row| {
            let key: String = row.cell(0, T, "?")?;
            let optional = |i: usize| row.cell::<Option<String>>(i, T, &key);
            let folder: String = row.cell(2, T, &key)?;
            let target = match (optional(1)?, optional(3)?) {
                (None, None) => PauseTarget::Namespace(folder),
                (Some(kind), Some(name)) => {
                    PauseTarget::Resource(sisyphus_core::desired::ResourceId {
                        kind: resource_kind(&kind).ok_or_else(|| Error::BadRow {
                            table: T,
                            id: key.clone(),
                            problem: format!("unknown resource_kind `{kind}`"),
                        })?,
                        folder,
                        name,
                    })
                }
                _ => {
                    return Err(Error::BadRow {
                        table: T,
                        id: key.clone(),
                        problem: "resource_kind and resource_name must both be set or both NULL"
                            .to_owned(),
                    });
                }
            };
            Ok(Pause {
                target,
                user: row.cell(4, T, &key)?,
                host: row.cell(5, T, &key)?,
                reason: optional(6)?,
                since_ms: row.cell(7, T, &key)?,
            })
        })
        .collect()
}
