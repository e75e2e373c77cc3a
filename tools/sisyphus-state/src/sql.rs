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

/// The columns of `push_changes` a history listing reads, in the order
/// `changes::summary_from_row` reads them; a full read adds [`CHANGE_DETAIL_COLUMNS`].
pub(crate) const CHANGE_SUMMARY_COLUMNS: &str = "push_id, cluster, action, resource_kind, \
    resource_folder, resource_name, config_before, binary_before, config_after, binary_after";
/// The columns a full read of `push_changes` reads after the summary ones.
pub(crate) const CHANGE_DETAIL_COLUMNS: &str = "api_group, api_version, kind, namespace, name, \
    reasons, before_intent, after_intent";

/// The columns of `pauses` that make a [`sisyphus_core::pause::Pause`].
const PAUSE_COLUMNS: &str = "target, resource_kind, folder, resource_name, user_name, host, \
    reason, paused_at";

/// The columns of `pins` that make a [`sisyphus_core::pin::Pin`].
const PIN_COLUMNS: &str = "target, resource_kind, folder, resource_name, to_push, user_name, \
    host, pinned_at, push_id";

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
    /// One row of `push_changes` (20 placeholders: the summary, the detail and `object_id`).
    pub insert_change: String,
    /// Every change of one push, in the order written.
    pub changes_of_push: String,
    /// One history row by id.
    pub push_by_id: String,
    /// A finished audit row (`pause`, `resume`, ...) in one statement: its id back
    /// (`RETURNING id` except on MySQL).
    pub insert_audit: String,
    pub upsert_pause: String,
    pub delete_pause: String,
    pub pauses: String,
    pub upsert_pin: String,
    pub delete_pin: String,
    pub pins: String,
    /// Every change of one resource's objects, oldest first: row id, push, action and object
    /// (no intents).
    pub changes_of_resource: String,
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
        let pause_updates: Vec<String> = [
            "resource_kind",
            "folder",
            "resource_name",
            "user_name",
            "host",
            "reason",
            "paused_at",
            "push_id",
        ]
        .iter()
        .map(|column| match dialect {
            Dialect::MySql => format!("{column} = VALUES({column})"),
            Dialect::Sqlite | Dialect::Postgres => format!("{column} = excluded.{column}"),
        })
        .collect();
        let pause_conflict = match dialect {
            Dialect::MySql => "ON DUPLICATE KEY UPDATE",
            Dialect::Sqlite | Dialect::Postgres => "ON CONFLICT (target) DO UPDATE SET",
        };
        let pin_updates: Vec<String> = PIN_COLUMNS
            .split(", ")
            .skip(1)
            .map(|column| match dialect {
                Dialect::MySql => format!("{column} = VALUES({column})"),
                Dialect::Sqlite | Dialect::Postgres => format!("{column} = excluded.{column}"),
            })
            .collect();
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
            insert_change: r(&format!(
                "INSERT INTO push_changes ({CHANGE_SUMMARY_COLUMNS}, {CHANGE_DETAIL_COLUMNS}, \
                 object_id, recorded_at) VALUES ({}, {{now}})",
                vec!["?"; 19].join(", ")
            )),
            changes_of_push: r(&format!(
                "SELECT {CHANGE_SUMMARY_COLUMNS}, {CHANGE_DETAIL_COLUMNS} FROM push_changes \
                 WHERE push_id = ? ORDER BY id"
            )),
            push_by_id: r(&format!("SELECT {PUSH_COLUMNS} FROM pushes WHERE id = ?")),
            insert_audit: r(&format!(
                "INSERT INTO pushes (operation, user_name, host, pid, started_at, finished_at, \
                 outcome, message) VALUES (?, ?, ?, ?, {{now}}, {{now}}, 'succeeded', ?)\
                 {returning}"
            )),
            upsert_pause: r(&format!(
                "INSERT INTO pauses ({PAUSE_COLUMNS}, push_id) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, {{now}}, ?) {pause_conflict} {}",
                pause_updates.join(", ")
            )),
            delete_pause: r("DELETE FROM pauses WHERE target = ?"),
            pauses: r(&format!(
                "SELECT {PAUSE_COLUMNS} FROM pauses ORDER BY target"
            )),
            upsert_pin: r(&format!(
                "INSERT INTO pins ({PIN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, {{now}}, ?) \
                 {pause_conflict} {}",
                pin_updates.join(", ")
            )),
            delete_pin: r("DELETE FROM pins WHERE target = ?"),
            pins: r(&format!("SELECT {PIN_COLUMNS} FROM pins ORDER BY target")),
            changes_of_resource: r(
                "SELECT id, push_id, action, cluster, api_group, api_version, \
                 kind, namespace, name FROM push_changes \
                 WHERE resource_kind = ? AND resource_folder = ? AND resource_name = ? \
                 ORDER BY id",
            ),
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

/// What a history listing asks for: the operations to list (`None`: every one, the audit
/// trail), and whether it is limited to pushes that changed objects of one cluster and of one
/// resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HistoryShape {
    pub pushes_only: bool,
    pub cluster: bool,
    pub resource: bool,
}

impl HistoryShape {
    /// The conditions on `push_changes c` (placeholders: cluster, then kind, folder, name).
    fn change_conditions(self) -> String {
        let mut conditions = String::new();
        if self.cluster {
            conditions.push_str(" AND c.cluster = ?");
        }
        if self.resource {
            conditions.push_str(
                " AND c.resource_kind = ? AND c.resource_folder = ? AND c.resource_name = ?",
            );
        }
        conditions
    }
}

/// The newest history rows of `shape` (placeholders: the change conditions, then the limit).
pub(crate) fn history(dialect: Dialect, shape: HistoryShape) -> String {
    let mut conditions = Vec::new();
    if shape.pushes_only {
        let words: Vec<String> = crate::Operation::PUSHES
            .iter()
            .map(|o| format!("'{}'", o.as_str()))
            .collect();
        conditions.push(format!("p.operation IN ({})", words.join(", ")));
    }
    if shape.cluster || shape.resource {
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM push_changes c WHERE c.push_id = p.id{})",
            shape.change_conditions()
        ));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let columns: Vec<String> = PUSH_COLUMNS
        .split(", ")
        .map(|c| format!("p.{}", c.trim()))
        .collect();
    render(
        dialect,
        &format!(
            "SELECT {} FROM pushes p{filter} ORDER BY p.id DESC LIMIT ?",
            columns.join(", ")
        ),
    )
}

/// The change summaries of the pushes `first..=last` (placeholders: first, last, then the
/// change conditions), in push and write order.
pub(crate) fn history_changes(dialect: Dialect, shape: HistoryShape) -> String {
    let columns: Vec<String> = CHANGE_SUMMARY_COLUMNS
        .split(',')
        .map(|c| format!("c.{}", c.trim()))
        .collect();
    render(
        dialect,
        &format!(
            "SELECT {} FROM push_changes c WHERE c.push_id >= ? AND c.push_id <= ?{} \
             ORDER BY c.push_id, c.id",
            columns.join(", "),
            shape.change_conditions()
        ),
    )
}

/// Whole `push_changes` rows by id, `count` placeholders.
pub(crate) fn changes_by_id(dialect: Dialect, count: usize) -> String {
    render(
        dialect,
        &format!(
            "SELECT {CHANGE_SUMMARY_COLUMNS}, {CHANGE_DETAIL_COLUMNS} FROM push_changes \
             WHERE id IN ({}) ORDER BY id",
            vec!["?"; count].join(", ")
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
        assert!(pg.insert_change.contains("$19"), "{}", pg.insert_change);
        assert!(!pg.insert_change.contains("$20"), "{}", pg.insert_change);
        let all = HistoryShape {
            pushes_only: true,
            cluster: true,
            resource: true,
        };
        let text = history(Dialect::Postgres, all);
        assert!(
            text.contains("p.operation IN ('push', 'rollback')"),
            "{text}"
        );
        assert!(
            text.contains("c.resource_name = $4") && text.contains("LIMIT $5"),
            "{text}"
        );
        let text = history_changes(Dialect::Postgres, all);
        assert!(text.contains("c.push_id <= $2") && text.contains("c.resource_name = $6"));
    }
}
