//! Prerequisites of tests that need real parts (binaries such as `docker-registry`).
//!
//! Owns the "part is missing" decision; reads the `CI` and `PATH` environment variables and
//! checks files for existence. A missing part always fails the test, never skips it: with
//! `CI=true` the message says that CI must provide it, locally it names the command that
//! installs it.

use std::path::{Path, PathBuf};

/// Whether we run in CI (`CI=true`, as set by GitHub Actions, GitLab and most CI systems).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value.eq_ignore_ascii_case("true") || value == "1")
}

/// Fails the current test because `part` is missing; `fix` is the command that provides it.
///
/// # Panics
///
/// Always: that is its job. One message, naming the part and the fix.
pub fn missing(part: &str, fix: &str) -> ! {
    if in_ci() {
        panic!(
            "{part} is missing and CI=true, so this test fails instead of skipping; fix: `{fix}`"
        )
    }
    panic!("{part} is missing; install it with `{fix}`")
}

/// Returns the path of program `name` (a bare name looked up in `PATH`, or a path).
///
/// # Panics
///
/// When it is not found, through [`missing`] with `fix`, e.g.
/// `require::binary("docker-registry", "apt-get install -y docker-registry")`.
pub fn binary(name: &str, fix: &str) -> PathBuf {
    let found = if name.contains('/') {
        Some(PathBuf::from(name)).filter(|path| is_executable(path))
    } else {
        which::which(name).ok()
    };
    found.unwrap_or_else(|| missing(&format!("`{name}`"), fix))
}

/// Returns the first of `candidates` that is an executable file.
///
/// # Panics
///
/// When none is, through [`missing`] naming `part` and `fix`.
pub fn first_binary(part: &str, candidates: &[PathBuf], fix: &str) -> PathBuf {
    candidates
        .iter()
        .find(|path| is_executable(path))
        .cloned()
        .unwrap_or_else(|| missing(part, fix))
}

/// Whether `path` is a regular file with an execute bit.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    fs_err::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_binary_on_path_and_by_path() {
        assert!(binary("sh", "apt-get install -y dash").is_absolute());
        assert_eq!(binary("/bin/sh", "x"), PathBuf::from("/bin/sh"));
    }

    #[test]
    fn missing_binary_fails_with_the_fix() {
        let result = std::panic::catch_unwind(|| {
            binary(
                "sisyphus-no-such-tool",
                "apt-get install -y sisyphus-no-such-tool",
            )
        });
        let payload = result.err().unwrap_or_else(|| Box::new(()));
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(
            message.contains("`sisyphus-no-such-tool` is missing")
                && message.contains("`apt-get install -y sisyphus-no-such-tool`"),
            "{message}"
        );
    }

    #[test]
    fn first_binary_takes_the_first_existing() {
        let candidates = [PathBuf::from("/nonexistent/x"), PathBuf::from("/bin/sh")];
        assert_eq!(
            first_binary("sh", &candidates, "x"),
            PathBuf::from("/bin/sh")
        );
    }
}
