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

/// The binary image digest the example config images are built with.
pub const BINARY: &str = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";

/// Build a config image from `star` (as `frontend.star`, in `work/root`, laid out in
/// `work/layout`) and push it to `<registry>/acme/<repo>:latest` for each repo; its digest.
pub fn push_config_image(registry: &str, work: &Path, star: &str, repos: &[&str]) -> String {
    let root = work.join("root");
    let layout = work.join("layout");
    let _ = std::fs::remove_dir_all(&layout);
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(root.join("frontend.star"), star).expect("write star");
    let binary_repository = format!("{registry}/acme/echo");
    let out = sisyphus()
        .args(["image", "build", "--config-root"])
        .arg(&root)
        .args(["--entrypoint", "frontend.star", "--binary-digest", BINARY])
        .args(["--binary-repository", &binary_repository, "--out"])
        .arg(&layout)
        .output()
        .expect("run sisyphus");
    let digest = ok(&out).trim().to_owned();
    let mut push = sisyphus();
    push.args(["image", "push", "--quiet", "--layout"])
        .arg(&layout);
    for repo in repos {
        push.args(["--tag", &format!("{registry}/acme/{repo}:latest")]);
    }
    ok(&push.output().expect("run sisyphus"));
    digest
}
