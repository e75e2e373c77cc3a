//! `sisyphus app run-image` end to end: the binary and config images are built and pushed to a
//! real registry, resolved, pulled and evaluated for real; only podman is a stand-in
//! (`fake-podman`, a script that records its argv and env), because podman cannot start
//! containers on these machines.

use std::collections::BTreeMap;
use std::path::Path;

use sisyphus_test_support::registry::Registry;

use crate::common::{ok, repo_root, sisyphus, write_script};

fn run_ok(cmd: &mut std::process::Command) -> String {
    ok(&cmd.output().expect("run sisyphus"))
}

/// Push a binary image and a config image (the example's frontend.star) pointing at it.
/// Returns (binary digest, config tag).
fn publish(registry: &Registry, dir: &Path) -> (String, String) {
    let source = std::fs::read_to_string(repo_root().join("example/echo/frontend.star"))
        .expect("read the example");
    publish_config(registry, dir, &source)
}

/// Push a binary image and a config image whose `frontend.star` is `source`.
fn publish_config(registry: &Registry, dir: &Path, source: &str) -> (String, String) {
    let packer = dir.join("echo.sh");
    std::fs::write(&packer, "#!/bin/sh\necho \"$@\"\n").expect("write");
    let layout = dir.join("binary");
    let binary = sisyphus_oci::build::image(
        &layout,
        &sisyphus_oci::build::ImageInput {
            files: vec![sisyphus_oci::layer::LayerFile {
                path: "/app/echo".to_owned(),
                contents: std::fs::read(&packer).expect("read"),
                executable: true,
            }],
            entrypoint: Some(vec!["/app/echo".to_owned()]),
            ..Default::default()
        },
    )
    .expect("build binary image");
    let binary_repo = format!("{}/echo", registry.host());
    run_ok(
        sisyphus()
            .args(["image", "push", "--layout"])
            .arg(&layout)
            .args(["--tag", &format!("{binary_repo}:v1")]),
    );
    let root = dir.join("root");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(root.join("frontend.star"), source).expect("write config");
    run_ok(
        sisyphus()
            .args(["image", "build", "--config-root"])
            .arg(&root)
            .args(["--entrypoint", "frontend.star", "--binary-image"])
            .arg(&layout)
            .args(["--binary-repository", &binary_repo, "--out"])
            .arg(dir.join("config")),
    );
    let tag = format!("{}/echo-config:dev", registry.host());
    run_ok(
        sisyphus()
            .args(["image", "push", "--layout"])
            .arg(dir.join("config"))
            .args(["--tag", &tag]),
    );
    (binary.to_string(), tag)
}

#[test]
fn runs_podman_with_the_pinned_binary_and_secrets_only_in_its_env() {
    let registry = Registry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (binary, tag) = publish(&registry, tmp.path());
    let d = tmp.path().display();
    let fake = tmp.path().join("fake-podman");
    write_script(
        &fake,
        &format!(
            "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > {d}/argv\nenv > {d}/env\nexit 7\n"
        ),
    );
    let creds = tmp.path().join("creds.json");
    std::fs::write(&creds, "{}").expect("write creds");

    let out = sisyphus()
        .args(["app", "run-image", "--image", &tag, "--podman"])
        .arg(&fake)
        .args(["--", "--extra", "two words"])
        .env("SECRET_TOKEN", "my-dev-token")
        .env("GOOGLE_CREDENTIALS", &creds)
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .env("XDG_RUNTIME_DIR", "/run/user/1000")
        .output()
        .expect("run sisyphus");
    assert_eq!(
        out.status.code(),
        Some(7),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let argv: Vec<String> = std::fs::read_to_string(tmp.path().join("argv"))
        .expect("podman ran")
        .lines()
        .map(str::to_owned)
        .collect();
    let expected = [
        "run".to_owned(),
        "--rm".to_owned(),
        "--tls-verify=false".to_owned(),
        "--env".to_owned(),
        "COLOR=pink".to_owned(),
        "--env".to_owned(),
        "SECRET_TOKEN".to_owned(),
        "--env".to_owned(),
        "GOOGLE_APPLICATION_CREDENTIALS=/etc/google/credentials.json".to_owned(),
        "--env".to_owned(),
        "HTTP_PORT=8080".to_owned(),
        "--mount".to_owned(),
        format!(
            "type=bind,src={},dst=/etc/google/credentials.json,readonly",
            creds.display()
        ),
        "--publish".to_owned(),
        "127.0.0.1:8080:8080/tcp".to_owned(),
        format!("{}/echo@{binary}", registry.host()),
        "--service_spec".to_owned(),
        "backend-test.svc".to_owned(),
        "--extra".to_owned(),
        "two words".to_owned(),
    ];
    assert_eq!(argv, expected);
    assert!(!argv.iter().any(|a| a.contains("my-dev-token")));
    let env: BTreeMap<String, String> = std::fs::read_to_string(tmp.path().join("env"))
        .expect("podman ran")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(
        env.get("SECRET_TOKEN").map(String::as_str),
        Some("my-dev-token")
    );
    // podman gets the host environment (rootless podman needs XDG_RUNTIME_DIR and friends); it
    // passes only the `--env` ones into the container.
    assert_eq!(
        env.get("XDG_RUNTIME_DIR").map(String::as_str),
        Some("/run/user/1000")
    );

    // --print shows the same argv with the secret masked, and runs nothing.
    std::fs::remove_file(tmp.path().join("argv")).expect("rm");
    let out = run_ok(
        sisyphus()
            .args(["app", "run-image", "--print", "--image", &tag])
            .env("SISYPHUS_PODMAN", &fake)
            .env("SECRET_TOKEN", "my-dev-token")
            .env("GOOGLE_CREDENTIALS", &creds)
            .env("XDG_CACHE_HOME", tmp.path().join("cache")),
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        json["env"],
        serde_json::json!({"SECRET_TOKEN": "****"}),
        "only what is added to the host environment"
    );
    assert_eq!(
        json["argv"],
        serde_json::json!(expected[..expected.len() - 2])
    );
    assert!(!out.contains("my-dev-token"));
    assert!(!tmp.path().join("argv").exists());
}

/// A StringVariable used as an argument cannot be hidden from podman's command line: the run
/// warns naming it, `--print` masks it.
#[test]
fn a_secret_argument_is_masked_in_print_and_warned_about() {
    let registry = Registry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = r#"
def main(ctx):
    return Application(
        args = ["--token", StringVariable("secret-token"), "--verbose"],
        env = {"TOKEN": StringVariable("secret-token")},
    )
"#;
    let (binary, tag) = publish_config(&registry, tmp.path(), source);
    let fake = tmp.path().join("fake-podman");
    let d = tmp.path().display();
    write_script(
        &fake,
        &format!("for a in \"$@\"; do printf '%s\\n' \"$a\"; done > {d}/argv\n"),
    );
    let image = format!("{}/echo@{binary}", registry.host());
    let argv = |token: &str| {
        serde_json::json!([
            "run",
            "--rm",
            "--tls-verify=false",
            "--env",
            "TOKEN",
            image,
            "--token",
            token,
            "--verbose"
        ])
    };

    let out = run_ok(
        sisyphus()
            .args(["app", "run-image", "--print", "--image", &tag, "--podman"])
            .arg(&fake)
            .env("SECRET_TOKEN", "hunter2")
            .env("XDG_CACHE_HOME", tmp.path().join("cache")),
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["argv"], argv("****"));
    assert_eq!(json["env"], serde_json::json!({"TOKEN": "****"}));
    assert!(!out.contains("hunter2"), "{out}");

    let out = sisyphus()
        .args(["app", "run-image", "--image", &tag, "--podman"])
        .arg(&fake)
        .env("SECRET_TOKEN", "hunter2")
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .output()
        .expect("run sisyphus");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("StringVariable `secret-token` is an argument: podman gets its value on its command line"),
        "{stderr}"
    );
    let ran: Vec<String> = std::fs::read_to_string(tmp.path().join("argv"))
        .expect("podman ran")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(serde_json::json!(ran), argv("hunter2"));
}

#[test]
fn missing_variables_are_listed_before_podman_runs() {
    let registry = Registry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, tag) = publish(&registry, tmp.path());
    let fake = tmp.path().join("fake-podman");
    write_script(&fake, &format!("touch {}/ran\n", tmp.path().display()));
    let out = sisyphus()
        .args(["app", "run-image", "--image", &tag, "--podman"])
        .arg(&fake)
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .output()
        .expect("run sisyphus");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`SECRET_TOKEN` (StringVariable `secret-token`): not set"),
        "{stderr}"
    );
    assert!(!tmp.path().join("ran").exists());
}
