//! `--help` of every command, snapshotted: help text is user-facing and changes are reviewed.

use crate::common::{assert_success, sisyphus};

fn help(args: &[&str]) -> String {
    let out = sisyphus()
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .expect("run sisyphus");
    assert_success(&out);
    String::from_utf8(out.stdout).expect("utf-8 help")
}

#[test]
fn every_command_has_reviewed_help() {
    for args in [
        &[][..],
        &["app"],
        &["app", "run-config"],
        &["app", "run-image"],
        &["image"],
        &["image", "build"],
        &["image", "push"],
        &["image", "resolve"],
        &["image", "inspect"],
        &["plan"],
        &["render"],
        &["diff"],
        &["push"],
        &["refresh"],
        &["forget"],
        &["import"],
        &["unlock"],
        &["history"],
        &["history", "show"],
        &["pause"],
        &["resume"],
        &["rollback"],
        &["unpin"],
        &["status"],
        &["dashboard"],
    ] {
        let name = if args.is_empty() {
            "sisyphus".to_owned()
        } else {
            args.join("_")
        };
        insta::assert_snapshot!(name, help(args));
    }
}

#[test]
fn unknown_flags_are_usage_errors() {
    let out = sisyphus()
        .args(["app", "run-config", "--bogus"])
        .output()
        .expect("run sisyphus");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--bogus'"));
}
