//! Integration tests of the state database on real databases: SQLite (a temporary file),
//! PostgreSQL and MariaDB (servers started by `sisyphus-test-support`). The same test bodies
//! run on all three dialects, each on a database of its own.

#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    clippy::cast_possible_truncation,
    reason = "tests"
)]

/// Fixtures: databases per dialect, raw SQL access, object builders.
mod common;
/// What each push changed, the history per resource, pauses, the audit trail.
mod history;
/// The push lock: refusal with holder info, heartbeat, takeover, races, lost leases, unlock.
mod lock;
/// Recorded objects and history: round trips, upserts, removal, generation, push rows.
mod objects;
/// Migrations: apply, re-open, a newer database refused unchanged.
mod schema;
/// No secret value ever reaches the database.
mod secrets;
/// SQLite files: creation, missing directories, corrupt files, memory.
mod sqlite_files;
/// URLs: forms, errors, redaction (also against the real servers).
mod urls;

/// The MariaDB fixture's password, which no error may show.
pub const PASSWORD: &str = sisyphus_test_support::mariadb::PASSWORD;

/// One `#[tokio::test]` per body and dialect: `sqlite::name`, `postgres::name`,
/// `mariadb::name`, each on a new database named after the body.
macro_rules! on_every_dialect {
    ($($module:ident :: $body:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $body() {
                    let db = crate::common::TestDb::sqlite(stringify!($body));
                    crate::$module::$body(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $body() {
                    let db = crate::common::TestDb::postgres(stringify!($body));
                    crate::$module::$body(&db).await;
                }
            )*
        }
        mod mariadb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $body() {
                    let db = crate::common::TestDb::mariadb(stringify!($body));
                    crate::$module::$body(&db).await;
                }
            )*
        }
    };
}

on_every_dialect!(
    schema::migrations_apply_and_reopen_is_a_no_op,
    schema::newer_database_is_refused_unchanged,
    objects::record_and_snapshot_round_trip,
    objects::upsert_replaces_and_remove_forgets,
    objects::generation_grows_with_every_write,
    objects::pushes_are_history,
    lock::second_holder_is_refused_with_holder_info,
    lock::heartbeat_keeps_the_lease,
    lock::expired_lease_is_taken_over,
    lock::racing_takers_one_wins,
    lock::lost_lease_stops_writes_and_unlock_is_recorded,
    lock::too_short_a_lease_is_refused,
    secrets::unmasked_secrets_are_refused,
    secrets::no_secret_value_in_any_column,
    history::history_lists_what_each_resource_moved_between,
    history::a_change_with_a_secret_value_is_refused_and_writes_nothing,
    history::pauses_are_recorded_with_their_audit_rows,
    history::pins_hold_a_resource_at_its_objects_of_one_push,
    history::every_operation_round_trips,
);
