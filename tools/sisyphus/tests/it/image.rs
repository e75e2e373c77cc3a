//! `sisyphus image build/push/resolve/inspect` end to end against a real registry, including
//! credentials from a `docker-credential-*` helper found on `PATH`.

use std::path::Path;

use sisyphus_test_support::registry::Registry;

use crate::common::{ok, repo_root, sisyphus, write_script};

/// Build a config image of the example's frontend.star under `dir/layout`; returns its digest.
fn build_config(dir: &Path, binary_repository: &str) -> String {
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("lib")).expect("mkdir");
    std::fs::copy(
        repo_root().join("example/echo/frontend.star"),
        root.join("frontend.star"),
    )
    .expect("copy");
    std::fs::write(root.join("lib/unused.star"), "x = 1\n").expect("write");
    let digest = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";
    let out = sisyphus()
        .args(["image", "build", "--config-root"])
        .arg(&root)
        .args(["--entrypoint", "frontend.star", "--binary-digest", digest])
        .args(["--binary-repository", binary_repository, "--out"])
        .arg(dir.join("layout"))
        .output()
        .expect("run sisyphus");
    ok(&out).trim().to_owned()
}

#[test]
fn build_push_resolve_inspect() {
    let registry = Registry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let digest = build_config(tmp.path(), "127.0.0.1:5000/echo");
    assert!(digest.starts_with("sha256:"), "{digest}");
    let repo = format!("{}/team/echo-config", registry.host());

    let out = sisyphus()
        .args(["image", "push", "--layout"])
        .arg(tmp.path().join("layout"))
        .args([
            "--tag",
            &format!("{repo}:dev"),
            "--tag",
            &format!("{repo}:v1"),
        ])
        .output()
        .expect("run sisyphus");
    assert_eq!(ok(&out), format!("{repo}@{digest}\n"));

    let out = sisyphus()
        .args(["image", "resolve", &format!("{repo}:v1")])
        .output()
        .expect("run sisyphus");
    assert_eq!(ok(&out), format!("{digest}\n"));

    let out = sisyphus()
        .args(["image", "resolve", "--json", &format!("{repo}:dev")])
        .output()
        .expect("run sisyphus");
    let json: serde_json::Value = serde_json::from_str(&ok(&out)).expect("json");
    assert_eq!(json["digest"], digest.as_str());
    assert_eq!(json["reference"], format!("{repo}:dev"));

    let out = sisyphus()
        .args(["image", "inspect", "--json", &format!("{repo}:dev")])
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .output()
        .expect("run sisyphus");
    let json: serde_json::Value = serde_json::from_str(&ok(&out)).expect("json");
    assert_eq!(
        json["files"],
        serde_json::json!(["index.json", "frontend.star", "lib/unused.star"])
    );
    assert_eq!(json["index"]["config_entrypoint"], "frontend.star");
    // The cache keeps the blobs the pull read, under the manifest digest (#11 item 5: a warm
    // read extracts them the way a pull does).
    let entry = tmp
        .path()
        .join("cache/sisyphus/config-images/sha256")
        .join(&digest["sha256:".len()..]);
    assert!(
        entry
            .join("blobs")
            .join(&digest["sha256:".len()..])
            .is_file(),
        "{}",
        entry.display()
    );

    let out = sisyphus()
        .args(["image", "resolve", &format!("{repo}:missing")])
        .output()
        .expect("run sisyphus");
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: `{repo}:missing` not found in repository `{repo}`\n")
    );
}

#[test]
fn credentials_from_a_helper_and_refusal_without() {
    let registry = Registry::start_with_basic_auth("alice", "helper-secret");
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    // The helper protocol: `get` with the server on stdin, JSON credentials on stdout.
    write_script(
        &bin.join("docker-credential-sisyphus-test"),
        &format!(
            "read server\n[ \"$1\" = get ] && [ \"$server\" = \"{}\" ] || exit 1\necho '{{\"Username\":\"alice\",\"Secret\":\"helper-secret\"}}'\n",
            registry.host()
        ),
    );
    let docker = tmp.path().join("docker");
    std::fs::create_dir_all(&docker).expect("mkdir");
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"credHelpers":{{"{}":"sisyphus-test"}}}}"#,
            registry.host()
        ),
    )
    .expect("write config");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let digest = build_config(tmp.path(), "127.0.0.1:5000/echo");
    let tag = format!("{}/private/echo-config:dev", registry.host());

    let out = sisyphus()
        .args(["image", "push", "--layout"])
        .arg(tmp.path().join("layout"))
        .args(["--tag", &tag])
        .env("PATH", &path)
        .env("DOCKER_CONFIG", &docker)
        .output()
        .expect("run sisyphus");
    ok(&out);
    let out = sisyphus()
        .args(["image", "resolve", &tag])
        .env("PATH", &path)
        .env("DOCKER_CONFIG", &docker)
        .output()
        .expect("run sisyphus");
    assert_eq!(ok(&out), format!("{digest}\n"));

    // No credentials at all (HOME has no docker config): a clear 401 error with a hint.
    let out = sisyphus()
        .args(["image", "resolve", &tag])
        .env("HOME", tmp.path())
        .output()
        .expect("run sisyphus");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: authentication required for `{}`\n\nhint: log in with `docker login {}`",
            registry.host(),
            registry.host()
        )),
        "{stderr}"
    );
}

/// A reader that goes away is not an error: `sisyphus image inspect ... | head -1` must not
/// panic (exit 101) or print anything on stderr.
#[test]
fn a_closed_stdout_ends_quietly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    build_config(tmp.path(), "127.0.0.1:5000/echo");
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = sisyphus()
        .args(["image", "inspect", "--layout"])
        .arg(tmp.path().join("layout"))
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run sisyphus");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// `--entrypoint main.star/` is written normalized, so the image can be evaluated.
#[test]
fn the_entrypoint_is_stored_normalized() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(root.join("main.star"), "def main(ctx): pass\n").expect("write");
    let digest = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";
    ok(&sisyphus()
        .args(["image", "build", "--config-root"])
        .arg(&root)
        .args(["--entrypoint", "main.star/", "--binary-digest", digest])
        .args(["--binary-repository", "localhost:5000/echo", "--out"])
        .arg(tmp.path().join("layout"))
        .output()
        .expect("run sisyphus"));
    let out = sisyphus()
        .args(["image", "inspect", "--json", "--layout"])
        .arg(tmp.path().join("layout"))
        .output()
        .expect("run sisyphus");
    let json: serde_json::Value = serde_json::from_str(&ok(&out)).expect("json");
    assert_eq!(json["index"]["config_entrypoint"], "main.star");
}

/// Bad input that fails before any request: each problem said once, in plain words.
#[test]
fn bad_arguments_are_reported_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = sisyphus()
        .args(["image", "resolve", "localhost:99999/x:v1"])
        .output()
        .expect("run sisyphus");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: invalid image reference `localhost:99999/x:v1`: the registry must be `host` or `host:port` with a port from 1 to 65535\n"
    );

    let out = sisyphus()
        .args([
            "image",
            "build",
            "--config-root",
            "/nonexistent",
            "--entrypoint",
            "main.star",
        ])
        .args([
            "--binary-digest",
            "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1",
        ])
        .args(["--binary-repository", "localhost:5000/echo", "--out"])
        .arg(tmp.path().join("layout"))
        .output()
        .expect("run sisyphus");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: failed to read config root `/nonexistent`\n  Caused by: failed to read directory `/nonexistent`: No such file or directory (os error 2)\n"
    );

    // HOME="" (and no XDG_CACHE_HOME) is no cache directory, not `./.cache` in the current one.
    let out = sisyphus()
        .args(["image", "inspect", "localhost:5000/x:v1"])
        .env("HOME", "")
        .current_dir(tmp.path())
        .output()
        .expect("run sisyphus");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: cannot find a cache directory: set `XDG_CACHE_HOME` or `HOME` to an absolute path\n"
    );
    assert!(!tmp.path().join(".cache").exists());
}
