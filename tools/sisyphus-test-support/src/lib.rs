//! Test fixtures that start real services: kube-apiserver, OCI registry, PostgreSQL, MariaDB.
//!
//! Used only as a dev-dependency. Each fixture starts a real server process on 127.0.0.1 with
//! its data in a temporary directory, waits until it answers, and stops it on drop. Fixtures
//! are synchronous (they block for the start-up time), so they work in plain `#[test]`s and in
//! `#[tokio::test]`s alike. A missing server binary fails the test (see [`require`]).
//!
//! Building blocks shared by all fixtures: [`ports`] (race-free free ports), [`process`]
//! (supervised child with a log file) and [`require`] (missing prerequisites).

pub mod ports;
pub mod process;
pub mod require;
