use std::process::Command;

const PACKER: &str = env!("CARGO_BIN_EXE_sisyphus-packer");

fn fails(cwd: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(PACKER)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(!out.status.success(), "expected {args:?} to fail");
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn binary_layout_must_point_to_one_manifest() {
    let dir = tempfile::tempdir().unwrap();
    fs_err::create_dir_all(dir.path().join("bin")).unwrap();
    fs_err::write(
        dir.path().join("bin/oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    fs_err::write(
        dir.path().join("bin/index.json"),
        r#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    fs_err::write(dir.path().join("main.star"), "def main(ctx): pass\n").unwrap();
    let err = fails(
        dir.path(),
        &[
            "config-image",
            "--out",
            "out",
            "--binary-image",
            "bin",
            "--binary-repository",
            "localhost:5000/echo",
            "--entrypoint",
            "main.star",
            "--file",
            "main.star=main.star",
        ],
    );
    assert_eq!(
        err,
        "error: failed to read binary image `bin`\n  Caused by: image layout `bin` must point to exactly one manifest or index, found 0\n"
    );
}

#[test]
fn entrypoint_must_be_a_file_and_repository_must_be_plain() {
    let dir = tempfile::tempdir().unwrap();
    fs_err::write(dir.path().join("main.star"), "def main(ctx): pass\n").unwrap();
    let digest = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";
    let base = [
        "config-image",
        "--out",
        "out",
        "--binary-digest",
        digest,
        "--file",
        "main.star=main.star",
    ];
    let err = fails(
        dir.path(),
        &[
            &base[..],
            &[
                "--binary-repository",
                "localhost:5000/echo",
                "--entrypoint",
                "app.star",
            ],
        ]
        .concat(),
    );
    assert!(
        err.contains(
            "config entrypoint `app.star` is not in the config image (files: `main.star`)"
        ),
        "{err}"
    );
    let err = fails(
        dir.path(),
        &[
            &base[..],
            &[
                "--binary-repository",
                "localhost:5000/echo:v1",
                "--entrypoint",
                "main.star",
            ],
        ]
        .concat(),
    );
    assert!(
        err.contains("expected a repository without tag or digest"),
        "{err}"
    );
    let err = fails(
        dir.path(),
        &[
            &base[..],
            &[
                "--binary-repository",
                "x",
                "--entrypoint",
                "main.star",
                "--file",
                "../x=main.star",
            ],
        ]
        .concat(),
    );
    assert!(
        err.contains("invalid path `../x` for the config image: `..` would escape the root"),
        "{err}"
    );
}

/// A closed stdout (`sisyphus-packer ... | head -0`) is not a panic.
#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    fs_err::write(dir.path().join("echo"), "#!/bin/sh\n").unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(PACKER)
        .args(["image", "--out", "out", "--file", "/app/echo=echo"])
        .current_dir(dir.path())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
