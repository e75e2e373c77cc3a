//! Where `plan -o PATH` writes (issue #11, item 10): regular files atomically, through
//! symlinks and special files without replacing them, never over the plan's own inputs.
//! <https://github.com/sisyphus/sisyphus/issues/11>

use std::io::Read as _;
use std::os::unix::fs::{FileTypeExt as _, symlink};
use std::path::Path;

use sisyphus_plan::{Plan, read, write, write_file, write_file_outside};

fn plan() -> Plan {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../example/production");
    sisyphus_load::load(&dir).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_symlink_is_followed_and_kept() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let target = dir.path().join("real.plan");
    fs_err::write(&target, b"old").unwrap_or_else(|e| panic!("{e}"));
    let link = dir.path().join("link.plan");
    symlink(&target, &link).unwrap_or_else(|e| panic!("{e}"));
    let plan = plan();
    write_file(&link, &plan).unwrap_or_else(|e| panic!("{e}"));
    // The link was replaced by a regular file before.
    let meta = fs_err::symlink_metadata(&link).unwrap_or_else(|e| panic!("{e}"));
    assert!(meta.file_type().is_symlink());
    let bytes = fs_err::read(&target).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read(&bytes).ok(), Some(plan));
}

#[test]
fn a_fifo_is_written_through() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fifo = dir.path().join("plan.fifo");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            fs_err::File::open(&fifo)
                .and_then(|mut f| f.read_to_end(&mut bytes))
                .map(|_| bytes)
        })
    };
    let plan = plan();
    write_file(&fifo, &plan).unwrap_or_else(|e| panic!("{e}"));
    let got = reader
        .join()
        .unwrap_or_else(|_| panic!("reader panicked"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, write(&plan));
    let meta = fs_err::symlink_metadata(&fifo).unwrap_or_else(|e| panic!("{e}"));
    assert!(meta.file_type().is_fifo(), "still a FIFO");
}

#[test]
fn an_input_of_the_plan_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let index = dir.path().join("web/index.yaml");
    fs_err::create_dir_all(dir.path().join("web")).unwrap_or_else(|e| panic!("{e}"));
    let yaml = "apiVersion: sisyphus/v1\nkind: Deployment\nmetadata: {name: web}\nconfig: {env: prod, image: reg.example/web_config:1}\nfootprint: {c1: {replicas: 2}}\n";
    fs_err::write(&index, yaml).unwrap_or_else(|e| panic!("{e}"));
    let plan = sisyphus_load::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let err = write_file_outside(&index, &plan, dir.path()).unwrap_err();
    assert!(
        err.to_string().contains("refusing to overwrite it"),
        "{err}"
    );
    assert_eq!(fs_err::read_to_string(&index).ok().as_deref(), Some(yaml));
    // A new file, or one outside the folder, is fine.
    write_file_outside(&dir.path().join("plan.pb"), &plan, dir.path())
        .unwrap_or_else(|e| panic!("{e}"));
}
