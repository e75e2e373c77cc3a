//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The built `sisyphus` binary, with a clean environment (only PATH and HOME kept) so tests do
/// not depend on the developer's variables.
pub fn sisyphus() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sisyphus"));
    cmd.env_clear();
    for keep in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(keep) {
            cmd.env(keep, v);
        }
    }
    cmd
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// Write an executable shell script.
pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}")).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod script");
}

/// Fail with the command's stderr unless it exited 0.
#[track_caller]
pub fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Fail with the command's stderr unless it exited 0; otherwise its stdout.
#[track_caller]
pub fn ok(out: &std::process::Output) -> String {
    assert_success(out);
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}
