use std::path::{Path, PathBuf};
use std::process::Command;

const PACKER: &str = env!("CARGO_BIN_EXE_sisyphus-packer");

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../example/production")
}

#[test]
fn writes_the_plan_file_of_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan.binpb");
    let run = Command::new(PACKER)
        .args(["plan", "--monitor-directory"])
        .arg(example())
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.stdout.is_empty() && run.stderr.is_empty());
    let bytes = fs_err::read(&out).unwrap();
    // The bytes `sisyphus plan -o` writes (that test compares the CLI's file with load + write).
    let plan = sisyphus_load::load(&example()).unwrap();
    assert_eq!(bytes, sisyphus_plan::write(&plan));
    assert_eq!(
        fs_err::read_dir(tmp.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn problems_are_listed_relative_to_the_folder_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let prod = tmp.path().join("prod");
    fs_err::create_dir_all(prod.join("web")).unwrap();
    fs_err::write(
        prod.join("web/index.yaml"),
        "apiVersion: sisyphus/v2\nkind: Deployment\n",
    )
    .unwrap();
    let out = tmp.path().join("plan.binpb");
    let run = Command::new(PACKER)
        .args(["plan", "--monitor-directory"])
        .arg(&prod)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.starts_with("error: web/index.yaml:1:13: unsupported apiVersion `sisyphus/v2`"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(&format!(
            "problem(s) in `{}` (locations are relative to it); no plan written\n",
            prod.display()
        )),
        "{stderr}"
    );
    assert!(!out.exists());
}
