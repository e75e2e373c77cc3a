//! Shared fixtures: a fresh database per test on SQLite (a temporary file), PostgreSQL or
//! MariaDB (real servers from `sisyphus-test-support`), raw SQL access to inspect it, and
//! builders for recorded objects and holders.
//!
//! Servers are shared by the tests that run at the same time and stopped when the last of them
//! ends (a `Weak` in a static, never a fixture in a static: statics are never dropped, and a
//! server outliving the test binary would leak). The tests of one dialect sit in one module
//! (`mariadb::...`), so the harness runs them one after another and they overlap.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use serde_json::{Value, json};
use sisyphus_core::desired::{ConfigOrigin, ObjectKey, ResourceId};
use sisyphus_core::production::ResourceKind;
use sisyphus_core::state::{RecordedObject, intent_hash};
use sisyphus_state::{DatabaseUrl, Dialect, Holder, Store};
use sisyphus_test_support::{MariaDb, Postgres};
use sqlx::Row as _;
use tempfile::TempDir;

static POSTGRES: Mutex<Weak<Postgres>> = Mutex::new(Weak::new());
static MARIADB: Mutex<Weak<MariaDb>> = Mutex::new(Weak::new());

/// The running server of `slot`, started if none is.
fn shared<T>(slot: &'static Mutex<Weak<T>>, start: fn() -> T) -> Arc<T> {
    let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(server) = guard.upgrade() {
        return server;
    }
    let server = Arc::new(start());
    *guard = Arc::downgrade(&server);
    server
}

enum Server {
    None,
    Postgres(#[allow(dead_code, reason = "kept alive")] Arc<Postgres>),
    MariaDb(#[allow(dead_code, reason = "kept alive")] Arc<MariaDb>),
}

/// One empty database for one test.
pub struct TestDb {
    /// Its URL, password included.
    pub url: String,
    /// The dialect.
    pub dialect: Dialect,
    // Dropped last: the server and the temporary directory outlive every pool of the test.
    _server: Server,
    _dir: Option<TempDir>,
}

impl TestDb {
    /// A new SQLite file in a temporary directory (`name` is for the reader).
    pub fn sqlite(name: &str) -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix(&format!("sisyphus-state-{name}-"))
            .tempdir()
            .unwrap();
        let path = dir.path().join("state.db");
        TestDb {
            url: format!("sqlite://{}", path.display()),
            dialect: Dialect::Sqlite,
            _server: Server::None,
            _dir: Some(dir),
        }
    }

    /// A new database `name` on the shared PostgreSQL server.
    pub fn postgres(name: &str) -> TestDb {
        let server = shared(&POSTGRES, Postgres::start);
        TestDb {
            url: server.new_database(name),
            dialect: Dialect::Postgres,
            _server: Server::Postgres(server),
            _dir: None,
        }
    }

    /// A new database `name` on the shared MariaDB server.
    pub fn mariadb(name: &str) -> TestDb {
        let server = shared(&MARIADB, MariaDb::start);
        TestDb {
            url: server.new_database(name),
            dialect: Dialect::MySql,
            _server: Server::MariaDb(server),
            _dir: None,
        }
    }

    /// The parsed URL.
    pub fn database_url(&self) -> DatabaseUrl {
        DatabaseUrl::parse(&self.url).unwrap()
    }

    /// A store on it (migrated).
    pub async fn open(&self) -> Store {
        Store::open(&self.database_url()).await.unwrap()
    }

    /// A raw connection pool (sqlx `Any`), for what the store does not offer.
    pub async fn raw(&self) -> Raw {
        sqlx::any::install_default_drivers();
        Raw {
            pool: sqlx::AnyPool::connect(&self.url).await.unwrap(),
            dialect: self.dialect,
        }
    }
}

/// Raw SQL on a test database.
pub struct Raw {
    pub pool: sqlx::AnyPool,
    pub dialect: Dialect,
}

impl Raw {
    /// Runs `sql` (no parameters).
    pub async fn execute(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The rows of `sql`, every column read as text (NULL as `None`).
    pub async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.iter()
            .map(|row| (0..row.len()).map(|i| row.try_get(i).unwrap()).collect())
            .collect()
    }

    /// `CAST(expression AS <text>)` in this dialect.
    pub fn as_text(&self, expression: &str) -> String {
        match self.dialect {
            Dialect::MySql => format!("CAST({expression} AS CHAR)"),
            _ => format!("CAST({expression} AS TEXT)"),
        }
    }

    /// Every (table, column) of the database, sorted.
    pub async fn columns(&self) -> Vec<(String, String)> {
        let sql = match self.dialect {
            Dialect::Sqlite => "SELECT m.name, p.name FROM sqlite_master m, \
                                pragma_table_info(m.name) p WHERE m.type = 'table'"
                .to_owned(),
            Dialect::Postgres => "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) \
                                  FROM information_schema.columns \
                                  WHERE table_schema = current_schema()"
                .to_owned(),
            Dialect::MySql => "SELECT CAST(table_name AS CHAR), CAST(column_name AS CHAR) \
                               FROM information_schema.columns \
                               WHERE table_schema = DATABASE()"
                .to_owned(),
        };
        let mut columns: Vec<(String, String)> = self
            .rows(&sql)
            .await
            .into_iter()
            .map(|row| (row[0].clone().unwrap(), row[1].clone().unwrap()))
            .collect();
        columns.sort();
        columns
    }

    /// Every value of every column of every table, as bytes (NULLs skipped), with where it
    /// was found.
    pub async fn every_value(&self) -> Vec<(String, String, Vec<u8>)> {
        let mut values = Vec::new();
        for (table, column) in self.columns().await {
            let bytes = match self.dialect {
                Dialect::Sqlite => format!("CAST(\"{column}\" AS BLOB)"),
                Dialect::Postgres => {
                    format!("convert_to(CAST(\"{column}\" AS TEXT), 'UTF8')")
                }
                Dialect::MySql => format!("CAST(`{column}` AS BINARY)"),
            };
            let quoted = match self.dialect {
                Dialect::MySql => format!("`{table}`"),
                _ => format!("\"{table}\""),
            };
            let sql = format!("SELECT {bytes} FROM {quoted}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(&self.pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            for row in rows {
                if let Some(value) = row.try_get::<Option<Vec<u8>>, _>(0).unwrap() {
                    values.push((table.clone(), column.clone(), value));
                }
            }
        }
        values
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}

/// A holder.
pub fn holder(user: &str) -> Holder {
    Holder {
        user: user.to_owned(),
        host: format!("{user}-host"),
        pid: 4242,
    }
}

/// The key of an object.
pub fn key(
    cluster: &str,
    api_version: &str,
    kind: &str,
    ns: Option<&str>,
    name: &str,
) -> ObjectKey {
    let (group, version) = ObjectKey::split_api_version(api_version);
    ObjectKey {
        cluster: cluster.into(),
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        namespace: ns.map(Into::into),
        name: name.into(),
    }
}

/// A recorded object whose intent is `applied`, written by push `push_id`.
pub fn recorded(key: ObjectKey, applied: &Value, push_id: i64) -> RecordedObject {
    RecordedObject {
        key,
        applied: applied.to_string(),
        applied_hash: intent_hash(applied),
        uid: None,
        resource_version: None,
        config: None,
        resource: None,
        push_id,
        created: true,
    }
}

/// A Deployment `ns/name` in `cluster` with everything set: uid, resourceVersion, config and
/// resource.
pub fn deployment(
    cluster: &str,
    ns: &str,
    name: &str,
    replicas: u32,
    push_id: i64,
) -> RecordedObject {
    let applied = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [
            {"name": "app", "image": "registry.example/app@sha256:0123"}
        ]}}}
    });
    RecordedObject {
        uid: Some(format!("uid-{ns}-{name}")),
        resource_version: Some(replicas.to_string()),
        config: Some(ConfigOrigin {
            config_image: format!("registry.example/{name}-config@sha256:{:064}", replicas),
            binary_image: format!("registry.example/{name}@sha256:{:064}", replicas + 1),
        }),
        resource: Some(ResourceId {
            kind: ResourceKind::Deployment,
            folder: ns.to_owned(),
            name: name.to_owned(),
        }),
        ..recorded(
            key(cluster, "apps/v1", "Deployment", Some(ns), name),
            &applied,
            push_id,
        )
    }
}
