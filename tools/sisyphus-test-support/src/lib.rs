//! Test fixtures that start real services: kube-apiserver, OCI registry, PostgreSQL, MariaDB.
//!
//! Used only as a dev-dependency. Each fixture starts a real server process on 127.0.0.1 with
//! its data in a temporary directory, waits until it answers, and stops it and deletes the
//! directory on drop. Fixtures are synchronous (they block for the start-up time), so they
//! work in plain `#[test]`s and in `#[tokio::test]`s alike. A missing server binary fails the
//! test (see [`require`]); a server that dies or hangs fails it with its log tail.
//!
//! - [`kube::KubeCluster`]: etcd + kube-apiserver + kube-controller-manager + kube-scheduler
//!   v1.35 from `testing/kube` (`kube-testenv`) and KWOK's fake nodes from `testing/kwok`, so
//!   Pods run; shared per context name by the tests of one binary.
//! - [`registry::Registry`]: Debian's `docker-registry` (CNCF distribution 2.8), anonymous or
//!   with basic auth, with request counting from its access log.
//! - [`postgres::Postgres`]: PostgreSQL, `initdb` + `postgres`, run as `nobody` under root.
//! - [`mariadb::MariaDb`]: MariaDB, `mariadb-install-db` + `mariadbd`.
//!
//! ```no_run
//! # async fn example() -> Result<(), sqlx::Error> {
//! use sisyphus_test_support::{Postgres, Registry};
//!
//! let registry = Registry::start();
//! let reference = format!("{}/app:v1", registry.host());
//! // ... push `reference`, then count what the code under test asked for:
//! let heads = registry.requests().iter().filter(|(method, _)| method == "HEAD").count();
//!
//! let postgres = Postgres::start();
//! let pool = sqlx::PgPool::connect(&postgres.new_database("state")).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Building blocks shared by all fixtures: [`ports`] (race-free free ports), [`process`]
//! (supervised child with a log file) and [`require`] (missing prerequisites).

pub mod error;
mod http;
pub mod kube;
pub mod mariadb;
pub mod ports;
pub mod postgres;
pub mod process;
pub mod registry;
pub mod require;
mod unprivileged;

pub use error::Error;
pub use mariadb::MariaDb;
pub use postgres::Postgres;
pub use registry::Registry;

/// Accepts database names that need no quoting in URLs or SQL: `[a-z0-9_]+`, at most 63
/// bytes (PostgreSQL's limit).
fn check_database_name(name: &str) -> Result<(), Error> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(Error::DatabaseName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_checked() {
        assert!(check_database_name("app_1").is_ok());
        for bad in ["", "App", "a-b", "a;drop", "é", &"a".repeat(64)] {
            assert!(check_database_name(bad).is_err(), "{bad}");
        }
    }
}
