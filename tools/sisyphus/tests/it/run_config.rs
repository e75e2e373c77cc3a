//! `sisyphus app run-config` end to end: a real child process (a shell script) reports the argv
//! and env it received; exit codes, signals, `PORT_*` overrides and missing variables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{assert_success, repo_root, sisyphus, write_script};

/// A temp dir with a reporter script that writes its argv and env to files there.
struct Reporter {
    dir: tempfile::TempDir,
}

impl Reporter {
    fn new(exit: &str) -> Reporter {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().display().to_string();
        write_script(
            &dir.path().join("reporter"),
            &format!(
                "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > {d}/argv\nenv > {d}/env\n{exit}\n"
            ),
        );
        std::fs::write(dir.path().join("creds.json"), "{}").expect("creds");
        Reporter { dir }
    }

    fn binary(&self) -> PathBuf {
        self.dir.path().join("reporter")
    }

    fn creds(&self) -> String {
        self.dir.path().join("creds.json").display().to_string()
    }

    fn argv(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("argv"))
            .expect("the child ran")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn env(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(self.dir.path().join("env"))
            .expect("the child ran")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .filter(|(k, _)| !matches!(k.as_str(), "PWD" | "SHLVL" | "_" | "OLDPWD"))
            .collect()
    }

    fn ran(&self) -> bool {
        self.dir.path().join("argv").exists()
    }

    /// `sisyphus app run-config` of the example config from the repo root, running `binary`,
    /// with both of the example's variables set.
    fn example(&self, binary: &Path) -> Command {
        let mut cmd = sisyphus();
        cmd.current_dir(repo_root())
            .args([
                "app",
                "run-config",
                "--config",
                "example/echo/frontend.star",
                "--binary",
            ])
            .arg(binary)
            .env("SECRET_TOKEN", "t")
            .env("GOOGLE_CREDENTIALS", self.creds());
        cmd
    }
}

fn frontend() -> PathBuf {
    repo_root().join("example/echo/frontend.star")
}

fn write_config(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write config");
    path
}

#[test]
fn runs_the_example_in_dev_by_default() {
    let r = Reporter::new("exit 0");
    let out = r
        .example(&r.binary())
        .env("SECRET_TOKEN", "my-dev-token")
        .env("GOOGLE_CREDENTIALS", r.creds())
        .output()
        .expect("run sisyphus");
    assert_success(&out);
    assert_eq!(r.argv(), ["--service_spec", "backend-test.svc"]);
    let env = r.env();
    assert_eq!(env["COLOR"], "pink");
    assert_eq!(env["SECRET_TOKEN"], "my-dev-token");
    assert_eq!(env["GOOGLE_APPLICATION_CREDENTIALS"], r.creds());
    assert_eq!(env["HTTP_PORT"], "8080");
    assert!(
        !env.contains_key("GOOGLE_CREDENTIALS"),
        "source variable leaked: {env:?}"
    );
}

#[test]
fn prod_values_and_port_override() {
    let r = Reporter::new("exit 0");
    let out = sisyphus()
        .args([
            "app",
            "run-config",
            "--environment",
            "prod",
            "--config-root",
        ])
        .arg(repo_root())
        .arg("--config")
        .arg(frontend())
        .arg("--binary")
        .arg(r.binary())
        .args(["--", "--extra", "two words"])
        .env("SECRET_TOKEN", "t")
        .env("GOOGLE_CREDENTIALS", r.creds())
        .env("PORT_HTTP", "9090")
        .output()
        .expect("run sisyphus");
    assert_success(&out);
    assert_eq!(
        r.argv(),
        ["--service_spec", "backend-prod.svc", "--extra", "two words"]
    );
    assert_eq!(r.env()["HTTP_PORT"], "9090");
    assert!(!r.env().contains_key("PORT_HTTP"));
}

#[test]
fn child_gets_only_config_env_on_the_base() {
    let r = Reporter::new("exit 0");
    let config = write_config(
        r.dir.path(),
        "app.star",
        "def main(ctx):\n    return Application(env={\"TOKEN\": StringVariable(\"secret-token\"), \"NS\": ctx.namespace() or \"none\"})\n",
    );
    let out = sisyphus()
        .args(["app", "run-config", "--config-root"])
        .arg(r.dir.path())
        .arg("--config")
        .arg(&config)
        .arg("--binary")
        .arg(r.binary())
        .args(["--pass-env", "KEEP_ME"])
        .env("SECRET_TOKEN", "s3cret")
        .env("KEEP_ME", "kept")
        .env("UNRELATED", "x")
        .output()
        .expect("run sisyphus");
    assert_success(&out);
    let env = r.env();
    let names: Vec<&str> = env.keys().map(String::as_str).collect();
    let mut expected = vec!["KEEP_ME", "NS", "TOKEN", "PATH"];
    if std::env::var("HOME").is_ok() {
        expected.push("HOME");
    }
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(env["TOKEN"], "s3cret");
    assert_eq!(env["NS"], "none");
}

#[test]
fn missing_variables_are_listed_together_and_nothing_runs() {
    let r = Reporter::new("exit 0");
    let out = sisyphus()
        .args(["app", "run-config", "--config"])
        .arg(frontend())
        .arg("--config-root")
        .arg(repo_root())
        .arg("--binary")
        .arg(r.binary())
        .output()
        .expect("run sisyphus");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`GOOGLE_CREDENTIALS` (FileVariable `google-credentials`)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`SECRET_TOKEN` (StringVariable `secret-token`): not set"),
        "{stderr}"
    );
    assert!(!r.ran());
}

#[test]
fn file_variable_must_name_an_existing_file() {
    let r = Reporter::new("exit 0");
    let out = r
        .example(&r.binary())
        .env("SECRET_TOKEN", "t")
        .env("GOOGLE_CREDENTIALS", "/nonexistent/creds.json")
        .output()
        .expect("run sisyphus");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`/nonexistent/creds.json` is not a file"),
        "{stderr}"
    );
    assert!(!r.ran());
}

#[test]
fn exit_code_and_signal_death_propagate() {
    for (exit, code) in [("exit 42", 42), ("kill -9 $$", 137), ("kill -TERM $$", 143)] {
        let r = Reporter::new(exit);
        let out = r.example(&r.binary()).output().expect("run sisyphus");
        assert_eq!(out.status.code(), Some(code), "{exit}");
    }
}

#[test]
fn sigterm_is_forwarded_to_the_child() {
    let r = Reporter::new("exit 0");
    let d = r.dir.path().display().to_string();
    // The waiter gives up after 30 s by itself, so a failing test leaves no process behind.
    let script = r.dir.path().join("waiter");
    write_script(
        &script,
        &format!(
            "trap 'echo TERM > {d}/got; exit 7' TERM\ntouch {d}/ready\ni=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done\n"
        ),
    );
    let mut child = r
        .example(&script)
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("spawn sisyphus");
    let start = Instant::now();
    while !r.dir.path().join("ready").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "child never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("kill");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(7));
    assert_eq!(
        std::fs::read_to_string(r.dir.path().join("got")).expect("trap ran"),
        "TERM\n"
    );
}

#[test]
fn print_masks_secrets_and_runs_nothing() {
    let r = Reporter::new("exit 0");
    let out = r
        .example(&r.binary())
        .arg("--print")
        .env("SECRET_TOKEN", "do-not-show")
        .env("GOOGLE_CREDENTIALS", r.creds())
        .output()
        .expect("run sisyphus");
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("do-not-show"), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(json["env"]["SECRET_TOKEN"], "****");
    assert_eq!(json["env"]["HTTP_PORT"], "8080");
    assert_eq!(json["argv"][1], "--service_spec");
    assert!(!r.ran());
}

#[test]
fn bare_binary_name_is_looked_up_on_path() {
    let r = Reporter::new("exit 0");
    let path = format!(
        "{}:{}",
        r.dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = r
        .example(Path::new("reporter"))
        .env("PATH", path)
        .output()
        .expect("run sisyphus");
    assert_success(&out);
    assert!(r.ran());
}

#[test]
fn config_outside_root_is_refused() {
    let r = Reporter::new("exit 0");
    let config = write_config(
        r.dir.path(),
        "app.star",
        "def main(ctx):\n    return Application()\n",
    );
    let out = sisyphus()
        .current_dir(repo_root())
        .args(["app", "run-config", "--binary", "true", "--config"])
        .arg(&config)
        .output()
        .expect("run sisyphus");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is outside the config root"), "{stderr}");
    assert!(stderr.contains("hint: pass `--config-root`"), "{stderr}");
}

#[test]
fn an_environment_the_config_never_mentions_warns() {
    let r = Reporter::new("exit 0");
    let out = r
        .example(&r.binary())
        .args(["--environment", "prdo"])
        .output()
        .expect("run sisyphus");
    assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("environment `prdo` appears in none of the config's per-environment values (it uses `dev`, `prod`, `test`)"),
        "{stderr}"
    );
    // Only the per-environment value is gone: the flag is left without its value.
    assert_eq!(r.argv(), ["--service_spec"]);
}

#[test]
fn a_non_utf8_variable_in_the_environment_is_not_a_crash() {
    use std::os::unix::ffi::OsStrExt;
    let r = Reporter::new("exit 0");
    let out = r
        .example(&r.binary())
        .env("JUNK", std::ffi::OsStr::from_bytes(b"\xff\xfe"))
        .output()
        .expect("run sisyphus");
    assert_success(&out);
    assert!(r.ran());
}
