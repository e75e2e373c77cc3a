//! The SQL the store runs, written once with `?` placeholders and `{now}` and rendered per
//! dialect: `$1, $2, ...` for PostgreSQL, `?` for SQLite and MySQL; `{now}` becomes the
//! database server's clock in unix milliseconds; upserts use `ON CONFLICT` or
//! `ON DUPLICATE KEY UPDATE`.

use std::sync::LazyLock;

use crate::url::Dialect;

/// The columns of `objects` that make a [`sisyphus_core::state::RecordedObject`], in the
/// order `store::object_from_row` reads them (prefixed `o.` where joined).
const OBJECT_COLUMNS: [&str; 18] = [
    "id",
    "cluster",
    "api_group",
    "api_version",
    "kind",
    "namespace",
    "name",
    "applied",
    "applied_hash",
    "uid",
    "resource_version",
    "config_image",
    "binary_image",
    "resource_kind",
    "resource_folder",
    "resource_name",
    "push_id",
    "created",
];

/// The columns of `pushes` that make a [`crate::PushRow`].
const PUSH_COLUMNS: &str = "id, operation, user_name, host, pid, started_at, finished_at, \
    inputs_hash, outcome, creates, updates, recreates, deletes, adopts, unchanged, message";

/// Every statement, rendered for one dialect.
pub(crate) struct Sql {
    pub dialect: Dialect,
    /// Bumps the generation if the lease's token is ours: the fence of every object write.
    pub fence: String,
    pub upsert_object: String,
    pub delete_object: String,
    /// Inserts a running push if the lease's token is ours (`RETURNING id` except on MySQL).
    pub begin_push: String,
    pub finish_push: String,
    pub lock_take: String,
    pub lock_read: String,
    pub lock_renew: String,
    pub lock_clear: String,
    pub interrupt_running: String,
    pub insert_unlock: String,
    pub snapshot_all: String,
    pub objects_of_push: String,
    pub pushes: String,
    pub generation: String,
    /// Whether `_sqlx_migrations` exists (one row with a count).
    pub migrations_table_exists: &'static str,
}

static SQLITE: LazyLock<Sql> = LazyLock::new(|| Sql::new(Dialect::Sqlite));
static POSTGRES: LazyLock<Sql> = LazyLock::new(|| Sql::new(Dialect::Postgres));
static MYSQL: LazyLock<Sql> = LazyLock::new(|| Sql::new(Dialect::MySql));

impl Sql {
    /// The statements of `dialect`.
    pub fn of(dialect: Dialect) -> &'static Sql {
        match dialect {
            Dialect::Sqlite => &SQLITE,
            Dialect::Postgres => &POSTGRES,
            Dialect::MySql => &MYSQL,
        }
    }

    fn new(dialect: Dialect) -> Sql {
        let r = |template: &str| render(dialect, template);
        let columns = OBJECT_COLUMNS.join(", ");
        let values = vec!["?"; OBJECT_COLUMNS.len()].join(", ");
        let updates: Vec<String> = OBJECT_COLUMNS[1..]
            .iter()
            .chain(["updated_at"].iter())
            .map(|column| match dialect {
                Dialect::MySql => format!("{column} = VALUES({column})"),
                Dialect::Sqlite | Dialect::Postgres => format!("{column} = excluded.{column}"),
            })
            .collect();
        let conflict = match dialect {
            Dialect::MySql => "ON DUPLICATE KEY UPDATE",
            Dialect::Sqlite | Dialect::Postgres => "ON CONFLICT (id) DO UPDATE SET",
        };
        let returning = match dialect {
            Dialect::MySql => "",
            Dialect::Sqlite | Dialect::Postgres => " RETURNING id",
        };
        Sql {
            dialect,
            fence: r("UPDATE locks SET generation = generation + 1 \
                      WHERE name = 'push' AND token = ?"),
            upsert_object: r(&format!(
                "INSERT INTO objects ({columns}, updated_at) VALUES ({values}, {{now}}) \
                 {conflict} {}",
                updates.join(", ")
            )),
            delete_object: r("DELETE FROM objects WHERE id = ?"),
            begin_push: r(&format!(
                "INSERT INTO pushes (operation, user_name, host, pid, started_at, inputs_hash, \
                 outcome) SELECT ?, ?, ?, ?, {{now}}, ?, 'running' FROM locks \
                 WHERE name = 'push' AND token = ?{returning}"
            )),
            finish_push: r(
                "UPDATE pushes SET finished_at = {now}, outcome = ?, creates = ?, \
                            updates = ?, recreates = ?, deletes = ?, adopts = ?, unchanged = ?, \
                            message = ? WHERE id = ? AND outcome = 'running' AND EXISTS \
                            (SELECT 1 FROM locks WHERE name = 'push' AND token = ?)",
            ),
            lock_take: r(
                "UPDATE locks SET token = ?, holder_user = ?, holder_host = ?, \
                          holder_pid = ?, acquired_at = {now}, heartbeat_at = {now}, \
                          expires_at = {now} + ? \
                          WHERE name = 'push' AND (token IS NULL OR expires_at < {now})",
            ),
            lock_read: r(
                "SELECT token, holder_user, holder_host, holder_pid, acquired_at, \
                          heartbeat_at, expires_at, {now} AS now FROM locks WHERE name = 'push'",
            ),
            lock_renew: r(
                "UPDATE locks SET heartbeat_at = {now}, expires_at = {now} + ? \
                           WHERE name = 'push' AND token = ?",
            ),
            lock_clear: r("UPDATE locks SET token = NULL, holder_user = NULL, \
                           holder_host = NULL, holder_pid = NULL, acquired_at = NULL, \
                           heartbeat_at = NULL, expires_at = NULL \
                           WHERE name = 'push' AND token = ?"),
            interrupt_running: r("UPDATE pushes SET outcome = 'interrupted', \
                                  finished_at = {now}, message = ? WHERE outcome = 'running'"),
            insert_unlock: r(
                "INSERT INTO pushes (operation, user_name, host, pid, started_at, \
                              finished_at, outcome, message) \
                              VALUES ('unlock', ?, ?, ?, {now}, {now}, 'succeeded', ?)",
            ),
            snapshot_all: snapshot(dialect, None),
            objects_of_push: r(&format!(
                "SELECT {columns} FROM objects WHERE push_id = ? ORDER BY id"
            )),
            pushes: r(&format!(
                "SELECT {PUSH_COLUMNS} FROM pushes ORDER BY id DESC LIMIT ?"
            )),
            generation: r("SELECT generation FROM locks WHERE name = 'push'"),
            migrations_table_exists: match dialect {
                Dialect::Sqlite => {
                    "SELECT COUNT(*) FROM sqlite_master \
                     WHERE type = 'table' AND name = '_sqlx_migrations'"
                }
                Dialect::Postgres => {
                    "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
                }
                Dialect::MySql => {
                    "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_schema = DATABASE() AND table_name = '_sqlx_migrations'"
                }
            },
        }
    }
}

/// The snapshot query: the generation and every recorded object, in one statement (so the
/// two agree), for every cluster or for `clusters` clusters (that many placeholders).
pub(crate) fn snapshot(dialect: Dialect, clusters: Option<usize>) -> String {
    let columns: Vec<String> = OBJECT_COLUMNS.iter().map(|c| format!("o.{c}")).collect();
    let on = match clusters {
        None => "1 = 1".to_owned(),
        Some(0) => "1 = 0".to_owned(),
        Some(n) => format!("o.cluster IN ({})", vec!["?"; n].join(", ")),
    };
    render(
        dialect,
        &format!(
            "SELECT l.generation AS generation, {} FROM locks l LEFT JOIN objects o ON {on} \
             WHERE l.name = 'push'",
            columns.join(", ")
        ),
    )
}

/// The server's clock in unix milliseconds.
fn now(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
        Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        Dialect::MySql => {
            "CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000 \
             AS SIGNED)"
        }
    }
}

/// `template` for `dialect`: `{now}` replaced, `?` numbered for PostgreSQL. Templates hold no
/// string literal with a `?` in it.
fn render(dialect: Dialect, template: &str) -> String {
    let text = template.replace("{now}", now(dialect));
    if dialect != Dialect::Postgres {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut n = 0;
    for c in text.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders_per_dialect() {
        assert_eq!(
            render(Dialect::Postgres, "a = ? AND b = ?"),
            "a = $1 AND b = $2"
        );
        assert_eq!(render(Dialect::MySql, "a = ? AND b = ?"), "a = ? AND b = ?");
        let pg = Sql::of(Dialect::Postgres);
        assert!(pg.upsert_object.contains("$18"), "{}", pg.upsert_object);
        assert!(!pg.upsert_object.contains("$19"), "{}", pg.upsert_object);
        assert!(
            Sql::of(Dialect::MySql)
                .upsert_object
                .contains("cluster = VALUES(cluster)")
        );
        assert!(snapshot(Dialect::Postgres, Some(2)).contains("IN ($1, $2)"));
    }
}
