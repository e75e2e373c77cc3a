//! The store: one connection pool to one state database, its migrations, and the reads and
//! writes of recorded objects and history.
//!
//! In: a [`DatabaseUrl`]. Out: [`StateSnapshot`]s, [`PushRow`]s, and rows written under a
//! [`PushLock`]. Touches only that database (and, for SQLite, creates its file).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sisyphus_core::change::Action;
use sisyphus_core::desired::{ConfigOrigin, ObjectKey, ResourceId};
use sisyphus_core::production::ResourceKind;
use sisyphus_core::secret;
use sisyphus_core::state::{ObjectId, RecordedObject, StateSnapshot};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, ColumnIndex, ConnectOptions, Connection as _, Decode, Row, Type};

use crate::changes::{PushChange, insert_change};
use crate::error::{Cause, Error};
use crate::history::{Operation, Outcome, PushInfo, PushRow};
use crate::lock::PushLock;
use crate::sql::{self, Sql};
use crate::time::Timestamp;
use crate::url::{DatabaseUrl, Dialect, SqliteTarget, Target};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");
static MYSQL_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/mysql");

/// How long an SQLite writer waits for another one before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for a pooled connection (and for a server connection to open).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// Pooled connections: SQLite serializes writers anyway; servers get a few for parallel
/// applies recording at once.
const SQLITE_CONNECTIONS: u32 = 4;
const SERVER_CONNECTIONS: u32 = 8;

/// One pool per dialect: the concrete drivers (not `sqlx::Any`), so SQLite gets its file
/// options and every dialect its native types.
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// Runs `$body` with `$p` bound to the concrete pool of `$pool` (the body is compiled once
/// per dialect).
macro_rules! with_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
            $crate::store::Pool::MySql($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Begins a transaction on the concrete pool `$p` whose first statement bumps the generation
/// and checks that `$lock`'s lease token is still the lock row's: if it is not, the
/// transaction is rolled back and the enclosing function returns [`Error::LockLost`].
macro_rules! fenced_transaction {
    ($p:expr, $sql:expr, $lock:expr, $operation:expr) => {{
        let mut tx = $p.begin().await.map_err(query_error($operation.clone()))?;
        let fenced = sqlx::query($sql.fence.as_str())
            .bind($lock.token())
            .execute(&mut *tx)
            .await
            .map_err(query_error($operation.clone()))?
            .rows_affected();
        if fenced == 0 {
            tx.rollback().await.map_err(query_error($operation))?;
            return Err($lock.lost());
        }
        tx
    }};
}
pub(crate) use fenced_transaction;

/// The state database. Cheap to clone (one shared pool).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    url: DatabaseUrl,
    sql: &'static Sql,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.inner.url)
            .finish()
    }
}

/// Wraps a driver error with the operation it failed.
pub(crate) fn query_error(operation: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error {
    let operation = operation.into();
    move |source| Error::Query { operation, source }
}

impl Store {
    /// Connects to the database at `url` and brings its schema up to date with the migrations
    /// embedded in this binary. An SQLite file is created if missing (its directory must
    /// exist) and opened in WAL mode.
    ///
    /// # Errors
    ///
    /// [`Error::MissingDirectory`], [`Error::NotAFile`], [`Error::CorruptSqlite`],
    /// [`Error::Connect`]; [`Error::TooNew`] when the database was migrated by a newer binary
    /// (it is then left unchanged); [`Error::Migrate`].
    pub async fn open(url: &DatabaseUrl) -> Result<Store, Error> {
        let pool = connect(url).await?;
        let store = Store {
            inner: Arc::new(Inner {
                pool,
                url: url.clone(),
                sql: Sql::of(url.dialect()),
            }),
        };
        if let Err(error) = store.migrate().await {
            store.close().await;
            return Err(error);
        }
        Ok(store)
    }

    /// The URL it was opened with (prints redacted).
    pub fn url(&self) -> &DatabaseUrl {
        &self.inner.url
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.inner.sql.dialect
    }

    /// The newest schema version this binary knows (the same number on every dialect).
    pub fn schema_version() -> i64 {
        newest(&SQLITE_MIGRATIONS)
    }

    /// Closes the pool, waiting for connections in use. Writes already returned are durable.
    pub async fn close(&self) {
        with_pool!(&self.inner.pool, p => p.close().await);
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    pub(crate) fn sql(&self) -> &'static Sql {
        self.inner.sql
    }

    fn migrator(&self) -> &'static Migrator {
        match self.dialect() {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
            Dialect::MySql => &MYSQL_MIGRATIONS,
        }
    }

    /// Refuses a database that has a migration this binary does not know, then applies the
    /// missing ones.
    async fn migrate(&self) -> Result<(), Error> {
        let migrator = self.migrator();
        let binary_version = newest(migrator);
        let url = self.inner.url.to_string();
        let applied = self.applied_migrations().await?;
        if let Some(&database_version) = applied.iter().max()
            && applied.iter().any(|v| !migrator.version_exists(*v))
        {
            return Err(Error::TooNew {
                url,
                database_version,
                binary_version,
            });
        }
        let result = with_pool!(&self.inner.pool, p => migrator.run(p).await);
        match result {
            Ok(()) => Ok(()),
            Err(MigrateError::VersionMissing(database_version)) => Err(Error::TooNew {
                url,
                database_version,
                binary_version,
            }),
            Err(source) => Err(Error::Migrate {
                url,
                binary_version,
                source,
            }),
        }
    }

    /// Versions in `_sqlx_migrations` (none when the table does not exist yet).
    async fn applied_migrations(&self) -> Result<Vec<i64>, Error> {
        let sql = self.inner.sql;
        let operation = "read the applied migrations";
        with_pool!(&self.inner.pool, p => {
            let exists: i64 = sqlx::query_scalar(sql.migrations_table_exists)
                .fetch_one(p)
                .await
                .map_err(query_error(operation))?;
            if exists == 0 {
                return Ok(Vec::new());
            }
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
                .fetch_all(p)
                .await
                .map_err(query_error(operation))
        })
    }

    /// Every recorded object (of `clusters` only, when given) and the state's generation, read
    /// in one statement so the two agree.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], or [`Error::BadRow`] for a row this binary cannot read.
    pub async fn snapshot(
        &self,
        clusters: Option<&BTreeSet<String>>,
    ) -> Result<StateSnapshot, Error> {
        let sql = self.inner.sql;
        let operation = "read the recorded objects";
        let text = match clusters {
            None => sql.snapshot_all.clone(),
            Some(clusters) => sql::snapshot(sql.dialect, Some(clusters.len())),
        };
        let mut generation = 0;
        let mut objects = Vec::new();
        with_pool!(&self.inner.pool, p => {
            let mut query = sqlx::query(AssertSqlSafe(text));
            for cluster in clusters.into_iter().flatten() {
                query = query.bind(cluster.as_str());
            }
            let rows = query.fetch_all(p).await.map_err(query_error(operation))?;
            objects.reserve(rows.len());
            for row in &rows {
                generation = row.try_get(0).map_err(query_error(operation))?;
                let id: Option<String> = row.try_get(1).map_err(query_error(operation))?;
                if id.is_some() {
                    let object = object_from_row(row, 1)?;
                    objects.push((ObjectId::of(&object.key), object));
                }
            }
        });
        // Sorting once and building the map in bulk is faster than 4,000 inserts.
        Ok(StateSnapshot {
            objects: objects.into_iter().collect(),
            generation,
        })
    }

    /// The state's generation: it grows with every object written or removed.
    ///
    /// # Errors
    ///
    /// [`Error::Query`].
    pub async fn generation(&self) -> Result<i64, Error> {
        let sql = self.inner.sql;
        with_pool!(&self.inner.pool, p => sqlx::query_scalar(sql.generation.as_str())
            .fetch_one(p)
            .await
            .map_err(query_error("read the state generation")))
    }

    /// The database's id: random, set when its schema was created, the same for its whole
    /// life (a saved change set names it).
    ///
    /// # Errors
    ///
    /// [`Error::Query`].
    pub async fn database_id(&self) -> Result<String, Error> {
        with_pool!(&self.inner.pool, p => sqlx::query_scalar(
                "SELECT value FROM meta WHERE name = 'database_id'")
            .fetch_one(p)
            .await
            .map_err(query_error("read the database id")))
    }

    /// The objects whose last write was push `id`, sorted by their id hash.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn objects_of_push(&self, id: i64) -> Result<Vec<RecordedObject>, Error> {
        let sql = self.inner.sql;
        let operation = format!("read the objects of push {id}");
        with_pool!(&self.inner.pool, p => {
            let rows = sqlx::query(sql.objects_of_push.as_str())
                .bind(id)
                .fetch_all(p)
                .await
                .map_err(query_error(operation))?;
            rows.iter().map(|row| object_from_row(row, 0)).collect()
        })
    }

    /// The newest `limit` history rows, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], [`Error::BadRow`].
    pub async fn pushes(&self, limit: usize) -> Result<Vec<PushRow>, Error> {
        let sql = self.inner.sql;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        with_pool!(&self.inner.pool, p => {
            let rows = sqlx::query(sql.pushes.as_str())
                .bind(limit)
                .fetch_all(p)
                .await
                .map_err(query_error("read the push history"))?;
            rows.iter().map(push_from_row).collect()
        })
    }

    /// Starts a history row for an operation run under `lock` and returns its id (to pass
    /// to [`RecordedObject::push_id`] and [`Store::finish`]).
    ///
    /// # Errors
    ///
    /// [`Error::LockLost`], [`Error::Query`].
    pub async fn begin(&self, lock: &PushLock, info: &PushInfo) -> Result<i64, Error> {
        lock.check()?;
        let sql = self.inner.sql;
        let operation = format!("start a {} in the history", info.operation);
        let pid = i64::from(lock.holder().pid);
        macro_rules! begin_query {
            () => {
                sqlx::query(sql.begin_push.as_str())
                    .bind(info.operation.as_str())
                    .bind(info.user.as_str())
                    .bind(info.host.as_str())
                    .bind(pid)
                    .bind(info.inputs_hash.as_deref())
                    .bind(lock.token())
            };
        }
        let id: Option<i64> = match &self.inner.pool {
            Pool::Sqlite(p) => begin_query!()
                .fetch_optional(p)
                .await
                .map_err(query_error(operation))?
                .map(|row| row.try_get(0))
                .transpose()
                .map_err(query_error("read the new push id"))?,
            Pool::Postgres(p) => begin_query!()
                .fetch_optional(p)
                .await
                .map_err(query_error(operation))?
                .map(|row| row.try_get(0))
                .transpose()
                .map_err(query_error("read the new push id"))?,
            Pool::MySql(p) => {
                let done = begin_query!()
                    .execute(p)
                    .await
                    .map_err(query_error(operation))?;
                (done.rows_affected() == 1)
                    .then(|| i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX))
            }
        };
        id.ok_or_else(|| lock.lost())
    }

    /// Records `object` as applied (replacing what was recorded for its [`ObjectId`]), in one
    /// transaction committed before this returns: the runner calls it the moment the API
    /// server accepts the object, so a crash loses nothing. Bumps the generation.
    ///
    /// # Errors
    ///
    /// [`Error::UnmaskedSecret`] when `applied` still holds a Secret value (checked with
    /// [`secret::masked`]: masking must change nothing), [`Error::AppliedNotJson`],
    /// [`Error::LockLost`], [`Error::Query`].
    pub async fn record(&self, lock: &PushLock, object: &RecordedObject) -> Result<(), Error> {
        self.write_object(lock, object, None).await
    }

    /// [`Store::record`], and in the same transaction the history's row of what the push
    /// changed (`change`): an object is never recorded without its change, nor the reverse.
    ///
    /// # Errors
    ///
    /// As [`Store::record`]; [`Error::UnmaskedSecret`] also for a change whose intents hold a
    /// Secret value.
    pub async fn record_change(
        &self,
        lock: &PushLock,
        object: &RecordedObject,
        change: &PushChange,
    ) -> Result<(), Error> {
        self.write_object(lock, object, Some(change)).await
    }

    async fn write_object(
        &self,
        lock: &PushLock,
        object: &RecordedObject,
        change: Option<&PushChange>,
    ) -> Result<(), Error> {
        let id = ObjectId::of(&object.key);
        check_masked(&id, &object.applied)?;
        if let Some(change) = change {
            check_change(change, Some(&object.applied))?;
        }
        lock.check()?;
        let sql = self.inner.sql;
        let hash = id.hash();
        let operation = format!("record {id}");
        let key = &object.key;
        let config = object.config.as_ref();
        let resource = object.resource.as_ref();
        with_pool!(&self.inner.pool, p => {
            let mut tx = fenced_transaction!(p, sql, lock, operation);
            sqlx::query(sql.upsert_object.as_str())
                .bind(hash.as_str())
                .bind(key.cluster.as_str())
                .bind(key.group.as_str())
                .bind(key.version.as_str())
                .bind(key.kind.as_str())
                .bind(key.namespace.as_deref())
                .bind(key.name.as_str())
                .bind(object.applied.as_str())
                .bind(object.applied_hash.as_str())
                .bind(object.uid.as_deref())
                .bind(object.resource_version.as_deref())
                .bind(config.map(|c| c.config_image.as_str()))
                .bind(config.map(|c| c.binary_image.as_str()))
                .bind(resource.map(|r| r.kind.as_str()))
                .bind(resource.map(|r| r.folder.as_str()))
                .bind(resource.map(|r| r.name.as_str()))
                .bind(object.push_id)
                .bind(object.created)
                .execute(&mut *tx)
                .await
                .map_err(query_error(operation.clone()))?;
            if let Some(change) = change {
                insert_change!(tx, sql, change, operation);
            }
            tx.commit().await.map_err(query_error(operation))?;
        });
        Ok(())
    }

    /// Forgets the recorded object `id` (the cluster is not touched) and bumps the generation.
    /// Returns whether it was recorded.
    ///
    /// # Errors
    ///
    /// [`Error::LockLost`], [`Error::Query`].
    pub async fn remove(&self, lock: &PushLock, id: &ObjectId) -> Result<bool, Error> {
        self.forget_object(lock, id, None).await
    }

    /// [`Store::remove`], and in the same transaction the history's row of what the push
    /// changed (`change`, a delete).
    ///
    /// # Errors
    ///
    /// As [`Store::remove`]; [`Error::UnmaskedSecret`] for a change whose intents hold a
    /// Secret value.
    pub async fn remove_change(
        &self,
        lock: &PushLock,
        id: &ObjectId,
        change: &PushChange,
    ) -> Result<bool, Error> {
        check_change(change, None)?;
        self.forget_object(lock, id, Some(change)).await
    }

    async fn forget_object(
        &self,
        lock: &PushLock,
        id: &ObjectId,
        change: Option<&PushChange>,
    ) -> Result<bool, Error> {
        lock.check()?;
        let sql = self.inner.sql;
        let hash = id.hash();
        let operation = format!("remove {id}");
        let removed = with_pool!(&self.inner.pool, p => {
            let mut tx = fenced_transaction!(p, sql, lock, operation);
            let removed = sqlx::query(sql.delete_object.as_str())
                .bind(hash.as_str())
                .execute(&mut *tx)
                .await
                .map_err(query_error(operation.clone()))?
                .rows_affected();
            if let Some(change) = change {
                insert_change!(tx, sql, change, operation);
            }
            tx.commit().await.map_err(query_error(operation))?;
            removed
        });
        Ok(removed > 0)
    }

    /// Ends history row `id` with `outcome`, the objects counted per action (missing actions
    /// count zero) and an optional message.
    ///
    /// # Errors
    ///
    /// [`Error::FinishRunning`] for [`Outcome::Running`], [`Error::LockLost`],
    /// [`Error::NotRunning`] when `id` is unknown or already finished, [`Error::Query`].
    pub async fn finish(
        &self,
        lock: &PushLock,
        id: i64,
        outcome: Outcome,
        counts: &BTreeMap<Action, usize>,
        message: Option<&str>,
    ) -> Result<(), Error> {
        if outcome == Outcome::Running {
            return Err(Error::FinishRunning { id });
        }
        lock.check()?;
        let sql = self.inner.sql;
        let operation = format!("finish push {id}");
        let count = |action: Action| {
            i64::try_from(counts.get(&action).copied().unwrap_or(0)).unwrap_or(i64::MAX)
        };
        let finished = with_pool!(&self.inner.pool, p => {
            let mut query = sqlx::query(sql.finish_push.as_str()).bind(outcome.as_str());
            for action in Action::ALL {
                query = query.bind(count(action));
            }
            query
                .bind(message)
                .bind(id)
                .bind(lock.token())
                .execute(p)
                .await
                .map_err(query_error(operation))?
                .rows_affected()
        });
        if finished == 1 {
            return Ok(());
        }
        match self.lock_row().await? {
            Some(row) if row.token.as_deref() == Some(lock.token()) => {
                Err(Error::NotRunning { id })
            }
            _ => Err(lock.lost()),
        }
    }
}

/// Refuses `applied` (JSON text bound for the database) unless it is JSON that
/// [`secret::masked`] leaves unchanged: no Secret value, no last-applied annotation.
fn check_masked(id: &ObjectId, applied: &str) -> Result<(), Error> {
    let value: serde_json::Value =
        serde_json::from_str(applied).map_err(|source| Error::AppliedNotJson {
            object: Box::new(id.clone()),
            source,
        })?;
    if secret::masked(&value) != value {
        return Err(Error::UnmaskedSecret {
            object: Box::new(id.clone()),
        });
    }
    Ok(())
}

/// [`check_masked`] for both intents of `change` (`checked`: one already checked).
fn check_change(change: &PushChange, checked: Option<&str>) -> Result<(), Error> {
    let id = ObjectId::of(&change.key);
    for intent in [&change.before_intent, &change.after_intent]
        .into_iter()
        .flatten()
    {
        if Some(intent.as_str()) != checked {
            check_masked(&id, intent)?;
        }
    }
    Ok(())
}

/// The newest version of `migrator`.
fn newest(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Opens the pool for `url`.
async fn connect(url: &DatabaseUrl) -> Result<Pool, Error> {
    let connect_error = |error: sqlx::Error| Error::Connect {
        url: url.to_string(),
        source: Cause::scrubbed(&error, url.secrets()),
    };
    match url.target() {
        Target::Sqlite(target) => {
            let (options, pool) = match target {
                SqliteTarget::File(path) => {
                    check_sqlite_path(path)?;
                    let options = SqliteConnectOptions::new()
                        .filename(path)
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(SQLITE_BUSY_TIMEOUT)
                        .foreign_keys(true);
                    let pool = SqlitePoolOptions::new()
                        .max_connections(SQLITE_CONNECTIONS)
                        .acquire_timeout(ACQUIRE_TIMEOUT);
                    (options, pool)
                }
                SqliteTarget::Memory => {
                    // One connection that lives as long as the pool: the database with it.
                    let options = SqliteConnectOptions::new()
                        .in_memory(true)
                        .foreign_keys(true);
                    let pool = SqlitePoolOptions::new()
                        .max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None)
                        .acquire_timeout(ACQUIRE_TIMEOUT);
                    (options, pool)
                }
            };
            let pool = pool.connect_with(options).await.map_err(|error| {
                match (target, is_corrupt_sqlite(&error)) {
                    (SqliteTarget::File(path), true) => Error::CorruptSqlite {
                        path: path.clone(),
                        source: error,
                    },
                    _ => connect_error(error),
                }
            })?;
            Ok(Pool::Sqlite(pool))
        }
        Target::Postgres(options) => {
            let options = (**options).clone();
            first_connection(&options, url).await?;
            PgPoolOptions::new()
                .max_connections(SERVER_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map(Pool::Postgres)
                .map_err(connect_error)
        }
        Target::MySql(options) => {
            let options = (**options).clone();
            first_connection(&options, url).await?;
            MySqlPoolOptions::new()
                .max_connections(SERVER_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map(Pool::MySql)
                .map_err(connect_error)
        }
    }
}

/// Opens and closes one connection, once: the pool retries failed connections until its
/// acquire timeout and then reports only "pool timed out", while this gives the cause at
/// once (connection refused, access denied, unknown database).
async fn first_connection<O>(options: &O, url: &DatabaseUrl) -> Result<(), Error>
where
    O: ConnectOptions,
    O::Connection: Sized,
{
    let connect_error = |source: Cause| Error::Connect {
        url: url.to_string(),
        source,
    };
    match tokio::time::timeout(ACQUIRE_TIMEOUT, options.connect()).await {
        Ok(Ok(connection)) => {
            // Closing politely is best effort: the connection worked.
            let _ = connection.close().await;
            Ok(())
        }
        Ok(Err(error)) => Err(connect_error(Cause::scrubbed(&error, url.secrets()))),
        Err(_) => Err(connect_error(Cause::message(format!(
            "no connection within {} s",
            ACQUIRE_TIMEOUT.as_secs()
        )))),
    }
}

/// An SQLite file's directory must exist, and the path must not be a directory.
fn check_sqlite_path(path: &Path) -> Result<(), Error> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !directory.is_dir() {
        return Err(Error::MissingDirectory {
            path: path.to_owned(),
            directory: directory.to_owned(),
        });
    }
    if path.exists() && !path.is_file() {
        return Err(Error::NotAFile {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// SQLITE_NOTADB (26) or SQLITE_CORRUPT (11), in their primary or extended codes.
fn is_corrupt_sqlite(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(database) = error else {
        return false;
    };
    let primary = database
        .code()
        .and_then(|code| code.parse::<i32>().ok())
        .map(|code| code & 0xff);
    matches!(primary, Some(11 | 26))
}

/// Column reads that name the row they failed on.
pub(crate) trait Columns: Row
where
    usize: ColumnIndex<Self>,
{
    /// Column `index` of row `id` of `table`, as `T`.
    fn cell<'r, T>(&'r self, index: usize, table: &'static str, id: &str) -> Result<T, Error>
    where
        T: Decode<'r, Self::Database> + Type<Self::Database>,
    {
        self.try_get(index).map_err(|error| Error::BadRow {
            table,
            id: id.to_owned(),
            problem: error.to_string(),
        })
    }
}

impl<R: Row> Columns for R where usize: ColumnIndex<R> {}

/// The [`RecordedObject`] in columns `offset..offset + 18` of `row` (the order of
/// `sql::OBJECT_COLUMNS`).
fn object_from_row<R>(row: &R, offset: usize) -> Result<RecordedObject, Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    const T: &str = "objects";
    let id: String = row.cell(offset, T, "?")?;
    let text = |i: usize| row.cell::<String>(offset + i, T, &id);
    let optional = |i: usize| row.cell::<Option<String>>(offset + i, T, &id);
    let bad = |problem: &str| Error::BadRow {
        table: T,
        id: id.clone(),
        problem: problem.to_owned(),
    };
    let key = ObjectKey {
        cluster: text(1)?,
        group: text(2)?,
        version: text(3)?,
        kind: text(4)?,
        namespace: optional(5)?,
        name: text(6)?,
    };
    let config = match (optional(11)?, optional(12)?) {
        (Some(config_image), Some(binary_image)) => Some(ConfigOrigin {
            config_image,
            binary_image,
        }),
        (None, None) => None,
        _ => {
            return Err(bad(
                "config_image and binary_image must both be set or both NULL",
            ));
        }
    };
    let resource = match (optional(13)?, optional(14)?, optional(15)?) {
        (Some(kind), Some(folder), Some(name)) => Some(ResourceId {
            kind: resource_kind(&kind)
                .ok_or_else(|| bad(&format!("unknown resource_kind `{kind}`")))?,
            folder,
            name,
        }),
        (None, None, None) => None,
        _ => {
            return Err(bad(
                "resource_kind, resource_folder and resource_name must all be set or all NULL",
            ));
        }
    };
    Ok(RecordedObject {
        key,
        applied: text(7)?,
        applied_hash: text(8)?,
        uid: optional(9)?,
        resource_version: optional(10)?,
        config,
        resource,
        push_id: row.cell(offset + 16, T, &id)?,
        created: row.cell(offset + 17, T, &id)?,
    })
}

pub(crate) fn resource_kind(word: &str) -> Option<ResourceKind> {
    [
        ResourceKind::Deployment,
        ResourceKind::CronJob,
        ResourceKind::KubernetesYaml,
    ]
    .into_iter()
    .find(|kind| kind.as_str() == word)
}

/// A [`PushRow`] from the columns of `sql::PUSH_COLUMNS`.
pub(crate) fn push_from_row<R>(row: &R) -> Result<PushRow, Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    const T: &str = "pushes";
    let id: i64 = row.cell(0, T, "?")?;
    let key = id.to_string();
    let bad = |problem: String| Error::BadRow {
        table: T,
        id: key.clone(),
        problem,
    };
    let get_text = |i: usize| row.cell::<String>(i, T, &key);
    let operation = get_text(1)?;
    let outcome = get_text(8)?;
    let pid: i64 = row.cell(4, T, &key)?;
    let mut counts = BTreeMap::new();
    for (i, action) in Action::ALL.into_iter().enumerate() {
        let count: i64 = row.cell(9 + i, T, &key)?;
        counts.insert(action, usize::try_from(count).unwrap_or(0));
    }
    Ok(PushRow {
        id,
        operation: Operation::parse(&operation)
            .ok_or_else(|| bad(format!("unknown operation `{operation}`")))?,
        user: get_text(2)?,
        host: get_text(3)?,
        pid: u32::try_from(pid).map_err(|_| bad(format!("pid {pid} out of range")))?,
        started: Timestamp(row.cell(5, T, &key)?),
        finished: row.cell::<Option<i64>>(6, T, &key)?.map(Timestamp),
        inputs_hash: row.cell(7, T, &key)?,
        outcome: Outcome::parse(&outcome)
            .ok_or_else(|| bad(format!("unknown outcome `{outcome}`")))?,
        counts,
        message: row.cell(15, T, &key)?,
    })
}
