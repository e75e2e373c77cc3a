//! Database URLs: the accepted forms, clear errors for the rest, and no password in any
//! output or error (parse errors, connection errors against the real servers).

use sisyphus_state::{DatabaseUrl, Dialect, Error, Store};
use sisyphus_test_support::{MariaDb, Postgres};

/// The full text of `error` and its causes.
fn report(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str("\n  Caused by: ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

#[test]
fn schemes_and_dialects() {
    let dialect = |url: &str| DatabaseUrl::parse(url).unwrap().dialect();
    assert_eq!(dialect("sqlite://state.db"), Dialect::Sqlite);
    assert_eq!(dialect("sqlite::memory:"), Dialect::Sqlite);
    assert_eq!(dialect("postgres://u@h/db"), Dialect::Postgres);
    assert_eq!(dialect("postgresql://u@h/db"), Dialect::Postgres);
    assert_eq!(dialect("mysql://u@h/db"), Dialect::MySql);
    assert_eq!(dialect("mariadb://u@h/db"), Dialect::MySql);
    assert_eq!(dialect("  MySQL://u@h/db"), Dialect::MySql);
    assert_eq!(
        DatabaseUrl::parse("sqlite:///var/lib/s.db")
            .unwrap()
            .sqlite_path(),
        Some(std::path::Path::new("/var/lib/s.db"))
    );
}

#[test]
fn display_and_debug_redact_passwords() {
    for (url, shown) in [
        (
            "postgres://user:hunter2@host/db",
            "postgres://user:****@host/db",
        ),
        (
            "postgresql://user:hunter2@host:5432/db?sslmode=require",
            "postgresql://user:****@host:5432/db?sslmode=require",
        ),
        (
            "mariadb://root:hunter2@127.0.0.1:3306/s",
            "mariadb://root:****@127.0.0.1:3306/s",
        ),
        (
            "postgres://host/db?user=u&password=hunter2",
            "postgres://host/db?user=u&password=****",
        ),
        ("mysql://u:hunter2%40x@host/db", "mysql://u:****@host/db"),
    ] {
        let parsed = DatabaseUrl::parse(url).unwrap();
        assert_eq!(parsed.to_string(), shown);
        let debug = format!("{parsed:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}

#[test]
fn bad_urls_are_clear_and_never_echo_the_password() {
    for url in [
        "postgres://user:hunter2@host:notaport/db",
        "mysql://user:hunter2@host:99999/db",
        "postgres://user:hunter2@host/db?sslmode=bogus",
        "mysql://user:hunter2@[::1/db",
        "postgres://us er:hunter2@ho st/db",
    ] {
        let error = DatabaseUrl::parse(url).unwrap_err();
        let text = report(&error);
        assert!(matches!(error, Error::InvalidUrl { .. }), "{url}: {text}");
        assert!(!text.contains("hunter2"), "{url}: {text}");
        assert!(text.contains("****"), "{url}: {text}");
    }
    for url in [
        "redis://user:hunter2@host/0",
        "state.db",
        "",
        "http://x:hunter2@y",
    ] {
        let error = DatabaseUrl::parse(url).unwrap_err();
        let text = report(&error);
        assert!(
            matches!(error, Error::UnsupportedUrl { .. }),
            "{url}: {text}"
        );
        assert!(!text.contains("hunter2"), "{url}: {text}");
        assert!(text.contains("sqlite://"), "{text}");
    }
    for url in [
        "sqlite://",
        "sqlite:state.db?mode=ro",
        "sqlite://bad%zzescape",
    ] {
        let error = DatabaseUrl::parse(url).unwrap_err();
        assert!(
            matches!(error, Error::InvalidUrl { .. }),
            "{url}: {}",
            report(&error)
        );
    }
}

#[tokio::test]
async fn connection_errors_never_show_the_password() {
    let postgres = Postgres::start();
    let mariadb = MariaDb::start();
    let password = "Wr0ng-pa55word";
    let mariadb_url = format!(
        "mysql://root:{password}@127.0.0.1:{}/sisyphus",
        mariadb.port()
    );
    let closed = sisyphus_test_support::ports::free_port();
    for url in [
        // Wrong password (MariaDB checks it; the PostgreSQL fixture trusts loopback, so there
        // a missing database and a closed port stand in).
        mariadb_url.clone(),
        format!(
            "mariadb://root:{password}@127.0.0.1:{}/sisyphus",
            mariadb.port()
        ),
        format!(
            "postgres://postgres:{password}@127.0.0.1:{}/missing_db",
            postgres.port()
        ),
        format!(
            "postgres://postgres@127.0.0.1:{}/missing_db?password={password}",
            postgres.port()
        ),
        format!("postgres://postgres:{password}@127.0.0.1:{closed}/db"),
        format!("mysql://root:{password}@127.0.0.1:{closed}/db"),
    ] {
        let parsed = DatabaseUrl::parse(&url).unwrap();
        let started = std::time::Instant::now();
        let error = Store::open(&parsed).await.unwrap_err();
        let text = report(&error);
        let debug = format!("{error:?}");
        assert!(matches!(error, Error::Connect { .. }), "{text}");
        assert!(!text.contains(password), "{text}");
        assert!(!debug.contains(password), "{debug}");
        assert!(text.contains("****"), "{text}");
        eprintln!("{:?} {text}", started.elapsed());
    }
    // The right password works.
    let good = mariadb.new_database("good");
    Store::open(&DatabaseUrl::parse(&good).unwrap())
        .await
        .unwrap()
        .close()
        .await;
}
