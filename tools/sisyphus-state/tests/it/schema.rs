//! Migrations: applied on first open, a no-op on the next, and a database migrated by a newer
//! binary refused without a change.

use sisyphus_state::{Dialect, Error, Store};

use crate::common::TestDb;

pub async fn migrations_apply_and_reopen_is_a_no_op(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.dialect(), db.dialect);
    assert_eq!(store.generation().await.unwrap(), 0);
    assert!(store.snapshot(None).await.unwrap().objects.is_empty());
    store.close().await;

    let raw = db.raw().await;
    let tables: Vec<String> = raw
        .columns()
        .await
        .into_iter()
        .map(|(table, _)| table)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut expected = vec![
        "_sqlx_migrations",
        "locks",
        "meta",
        "objects",
        "pauses",
        "pins",
        "push_changes",
        "pushes",
    ];
    if db.dialect == Dialect::Sqlite {
        // AUTOINCREMENT keeps its counters here.
        expected.push("sqlite_sequence");
    }
    assert_eq!(tables, expected);
    let versions = raw
        .rows(&format!(
            "SELECT {}, {} FROM _sqlx_migrations",
            raw.as_text("version"),
            raw.as_text("installed_on")
        ))
        .await;
    let mut numbers: Vec<i64> = versions
        .iter()
        .map(|v| v[0].as_deref().unwrap().parse().unwrap())
        .collect();
    numbers.sort_unstable();
    // Every migration this binary has, none skipped (2 added push_changes and pauses, 3 the
    // database id in meta, 4 pins).
    let expected: Vec<i64> = (1..=Store::schema_version()).collect();
    assert_eq!(numbers, expected, "{versions:?}");
    assert!(Store::schema_version() >= 4);
    let before = raw.every_value().await;

    let store = db.open().await;
    store.close().await;
    assert_eq!(
        raw.every_value().await,
        before,
        "re-opening changed the database"
    );
    raw.close().await;
}

pub async fn newer_database_is_refused_unchanged(db: &TestDb) {
    db.open().await.close().await;
    let raw = db.raw().await;
    let checksum = match db.dialect {
        Dialect::Postgres => "decode('00', 'hex')",
        Dialect::Sqlite | Dialect::MySql => "X'00'",
    };
    raw.execute(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'from the future', TRUE, {checksum}, 1)"
    ))
    .await;
    let before = raw.every_value().await;

    let error = Store::open(&db.database_url()).await.unwrap_err();
    let Error::TooNew {
        database_version,
        binary_version,
        ..
    } = &error
    else {
        panic!("expected TooNew, got {error:?}");
    };
    assert_eq!(
        (*database_version, *binary_version),
        (99, Store::schema_version())
    );
    let message = error.to_string();
    assert!(
        message.contains("schema version 99")
            && message.contains(&format!("schema version {})", Store::schema_version())),
        "{message}"
    );
    assert!(message.contains("left unchanged"), "{message}");
    assert!(!message.contains(crate::PASSWORD), "{message}");
    assert_eq!(
        raw.every_value().await,
        before,
        "a refused open changed the database"
    );
    raw.close().await;
}
