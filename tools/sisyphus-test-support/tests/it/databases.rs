//! The PostgreSQL and MariaDB fixtures against the real servers: sqlx round trips, fresh
//! databases, stop on drop.

use std::time::Instant;

use sisyphus_test_support::{MariaDb, Postgres};
use sqlx::Row as _;

#[tokio::test]
async fn postgres_round_trips_a_row() {
    let started = Instant::now();
    let postgres = Postgres::start();
    eprintln!("postgres started in {:?}", started.elapsed());
    assert_eq!(
        postgres.url(),
        format!("postgres://postgres@127.0.0.1:{}/postgres", postgres.port())
    );
    let pool = sqlx::PgPool::connect(&postgres.url()).await.unwrap();
    sqlx::query("CREATE TABLE apps (name TEXT PRIMARY KEY, replicas INT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO apps (name, replicas) VALUES ($1, $2)")
        .bind("web")
        .bind(3_i32)
        .execute(&pool)
        .await
        .unwrap();
    let row = sqlx::query("SELECT name, replicas FROM apps")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("name"), "web");
    assert_eq!(row.get::<i32, _>("replicas"), 3);
    pool.close().await;
}

#[tokio::test]
async fn postgres_new_database_is_empty_and_separate() {
    let postgres = Postgres::start();
    let started = Instant::now();
    let url = postgres.new_database("second");
    eprintln!("postgres new_database in {:?}", started.elapsed());
    assert!(url.ends_with("/second"), "{url}");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(name, "second");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 0);
    // A pool still open at drop does not hold the server up (fast shutdown).
    let pid = postgres.pid();
    let stopping = Instant::now();
    drop(postgres);
    assert!(crate::gone(pid), "postgres pid {pid} still running");
    assert!(stopping.elapsed().as_secs() < 5, "{:?}", stopping.elapsed());
}

#[test]
fn postgres_rejects_bad_database_names_and_duplicates() {
    let postgres = Postgres::start();
    let error = postgres
        .try_new_database("Bad-Name")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("invalid database name `Bad-Name`"),
        "{error}"
    );
    postgres.new_database("twice");
    let error =
        sisyphus_test_support::error::report(&postgres.try_new_database("twice").unwrap_err());
    assert!(error.contains("already exists"), "{error}");
}

#[tokio::test]
async fn mariadb_round_trips_a_row() {
    let started = Instant::now();
    let mariadb = MariaDb::start();
    eprintln!("mariadb started in {:?}", started.elapsed());
    assert_eq!(
        mariadb.url(),
        format!(
            "mysql://root:sisyphus-test@127.0.0.1:{}/sisyphus",
            mariadb.port()
        )
    );
    let pool = sqlx::MySqlPool::connect(&mariadb.url()).await.unwrap();
    sqlx::query("CREATE TABLE apps (name VARCHAR(63) PRIMARY KEY, replicas INT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO apps (name, replicas) VALUES (?, ?)")
        .bind("web")
        .bind(3_i32)
        .execute(&pool)
        .await
        .unwrap();
    let row = sqlx::query("SELECT name, replicas FROM apps")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("name"), "web");
    assert_eq!(row.get::<i32, _>("replicas"), 3);
    pool.close().await;

    // A wrong password is refused: the fixture uses real password authentication.
    let wrong = mariadb.url().replace("sisyphus-test@", "nope@");
    assert!(sqlx::MySqlPool::connect(&wrong).await.is_err());

    let second = mariadb.new_database("second");
    let pool = sqlx::MySqlPool::connect(&second).await.unwrap();
    let name: String = sqlx::query_scalar("SELECT DATABASE()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(name, "second");
    pool.close().await;

    let pid = mariadb.pid();
    drop(mariadb);
    assert!(crate::gone(pid), "mariadbd pid {pid} still running");
}
