//! Smoke tests of the fixtures against the real services they start.
//!
//! Each module starts its own servers; all need the Debian packages named in
//! `docs/testing.md` and fail (never skip) when they are missing.

#![allow(clippy::unwrap_used, clippy::print_stderr, missing_docs)]

/// OCI registry: push, HEAD digest, basic auth, request counting.
mod registry;

/// PostgreSQL and MariaDB: sqlx round trips.
mod databases;

/// Kubernetes control plane: kube-testenv clusters, controllers, several contexts.
mod kube;

use std::path::Path;
use std::time::{Duration, Instant};

/// Whether process `pid` is gone (no `/proc/<pid>`, or only a zombie we cannot reap).
fn gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let alive = Path::new(&format!("/proc/{pid}")).exists() && !status.contains("State:\tZ");
        if !alive {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
