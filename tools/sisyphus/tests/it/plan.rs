//! `sisyphus plan`: the example folder prints, writes a readable deterministic plan file, and a
//! bad folder exits 1 listing every problem with `file:line:column`.

use std::path::PathBuf;

use crate::common::{assert_success, repo_root, sisyphus};

fn example() -> PathBuf {
    repo_root().join("example/production")
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = sisyphus().args(args).output().expect("run sisyphus");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn text_summary_of_the_example() {
    let dir = example();
    let (code, stdout, stderr) =
        run(&["plan", "--monitor-directory", dir.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("plan_text", stdout);
}

#[test]
fn json_from_the_environment_variable() {
    let out = sisyphus()
        .args(["plan", "--format", "json"])
        .env("MONITOR_DIRECTORY", example())
        .output()
        .expect("run sisyphus");
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    assert_eq!(json["version"], 1);
    let kinds: Vec<&str> = json["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        ["Deployment", "CronJob", "KubernetesYaml", "KubernetesYaml"]
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("replace-me"));
}

#[test]
fn plan_file_is_readable_and_deterministic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example();
    let (a, b) = (tmp.path().join("a.binpb"), tmp.path().join("b.binpb"));
    for out in [&a, &b] {
        let (code, stdout, stderr) = run(&[
            "plan",
            "--monitor-directory",
            dir.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout, "", "nothing on stdout with -o");
        assert!(stderr.contains("4 resource(s)"), "{stderr}");
    }
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    let bytes = std::fs::read(&a).expect("plan file");
    assert_eq!(bytes, std::fs::read(&b).expect("plan file"));
    let plan = sisyphus_plan::read(&bytes).expect("readable plan");
    assert_eq!(plan.production.resources.len(), 4);
    assert_eq!(plan, sisyphus_load::load(&dir).expect("load"));
}

#[test]
fn bad_folder_lists_every_problem_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let prod = tmp.path().join("prod");
    std::fs::create_dir_all(prod.join("web")).expect("mkdir");
    std::fs::create_dir_all(prod.join("Bad_Name")).expect("mkdir");
    std::fs::write(prod.join("Bad_Name/index.yaml"), "").expect("write");
    std::fs::write(
        prod.join("web/index.yaml"),
        "apiVersion: sisyphus/v1\nkind: Deployment\nmetadata: {name: web}\nconfig: {env: prod, image: x}\nfootprint: {c1: {replica: 1}}\n---\napiVersion: sisyphus/v2\nkind: CronJob\n",
    )
    .expect("write");
    let out_file = tmp.path().join("plan.binpb");
    let (code, stdout, stderr) = run(&[
        "plan",
        "--monitor-directory",
        prod.to_str().expect("utf-8"),
        "-o",
        out_file.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(!out_file.exists());
    let stderr = stderr.replace(prod.to_str().expect("utf-8"), "[PROD]");
    insta::assert_snapshot!("plan_errors", stderr);
}

#[test]
fn a_plan_file_that_cannot_be_written_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("missing-dir/plan.binpb");
    let (code, _, stderr) = run(&[
        "plan",
        "--monitor-directory",
        example().to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(&format!(
            "error: failed to write the plan file `{}`",
            out.display()
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(tmp.path()).expect("ls").count(), 0);
}

/// `plan -o` onto one of the folder's own files is refused and the file is left as it was
/// (#11 item 10).
#[test]
fn the_plan_is_never_written_over_an_input() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let folder = tmp.path().join("production");
    std::fs::create_dir_all(folder.join("echo")).expect("mkdir");
    for file in [
        "clusters.yaml",
        "global/index.yaml",
        "echo/index.yaml",
        "echo/secrets.yaml",
    ] {
        let to = folder.join(file);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(example().join(file), &to).expect("copy");
    }
    let index = folder.join("echo/index.yaml");
    let before = std::fs::read(&index).expect("read");
    let (code, _, stderr) = run(&[
        "plan",
        "--monitor-directory",
        folder.to_str().expect("utf-8"),
        "-o",
        index.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("refusing to overwrite it"), "{stderr}");
    assert_eq!(std::fs::read(&index).expect("read"), before);
}
