use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

const PACKER: &str = env!("CARGO_BIN_EXE_sisyphus-packer");

/// Run the packer in `cwd` under `umask`, return its stdout (the digest).
fn packer(cwd: &Path, umask: &str, args: &[&str]) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(PACKER)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "packer {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Write the test inputs under `dir`, with every file's mtime set to `mtime`.
fn inputs(dir: &Path, mtime: SystemTime) {
    let files = [
        (
            "config/main.star",
            "load(\"//lib/ports.star\", \"http\")\ndef main(ctx):\n    return Application(args = [http])\n",
        ),
        (
            "config/lib/ports.star",
            "http = Port(name = \"http\", number = 8080)\n",
        ),
        ("bin/echo", "#!/bin/sh\necho \"$@\"\n"),
    ];
    for (path, text) in files {
        let p = dir.join(path);
        fs_err::create_dir_all(p.parent().unwrap()).unwrap();
        fs_err::write(&p, text).unwrap();
        let f = std::fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(mtime).unwrap();
    }
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir.join("bin/echo"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Build image, index and config image in `dir`; return the three digests.
fn build_all(dir: &Path, umask: &str) -> [String; 3] {
    let image = packer(
        dir,
        umask,
        &[
            "image",
            "--out",
            "out/binary",
            "--file",
            "/app/echo=bin/echo",
            "--entrypoint",
            "/app/echo",
            "--env",
            "GREETING=hi",
            "--platform",
            "linux/amd64",
        ],
    );
    let index = packer(
        dir,
        umask,
        &["index", "--out", "out/index", "--manifest", "out/binary"],
    );
    fs_err::write(
        dir.join("files.txt"),
        "lib/ports.star=config/lib/ports.star\n",
    )
    .unwrap();
    let config = packer(
        dir,
        umask,
        &[
            "config-image",
            "--out",
            "out/config",
            "--binary-image",
            "out/index",
            "--binary-repository",
            "localhost:5000/echo",
            "--entrypoint",
            "main.star",
            "--file",
            "main.star=config/main.star",
            "--files-from",
            "files.txt",
            "--digest-file",
            "out/config.digest",
        ],
    );
    assert_eq!(
        fs_err::read_to_string(dir.join("out/config.digest")).unwrap(),
        format!("{config}\n")
    );
    [image, index, config]
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs_err::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    fs_err::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn same_inputs_same_bytes_across_clocks_umasks_and_directories() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::Builder::new()
        .prefix("other-place")
        .tempdir()
        .unwrap();
    inputs(
        a.path(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000),
    );
    inputs(b.path(), SystemTime::now());
    let first = build_all(a.path(), "022");
    // A different second on the clock, in case anything reads it.
    std::thread::sleep(Duration::from_millis(1100));
    let second = build_all(b.path(), "077");
    assert_eq!(first, second);
    assert_eq!(tree(&a.path().join("out")), tree(&b.path().join("out")));

    // Rebuilding into an existing layout replaces it and gives the same digest.
    assert_eq!(build_all(a.path(), "002"), first);
}

#[test]
fn golden_digests() {
    let dir = tempfile::tempdir().unwrap();
    inputs(dir.path(), SystemTime::UNIX_EPOCH);
    let [image, index, config] = build_all(dir.path(), "022");
    // If these change, the image format changed: every config image digest changes with it.
    // Update them only on purpose, and say so in the changelog.
    assert_eq!(
        image,
        "sha256:520c4e57c7abcd76bb56670a688f99b7e1ef0ded8188c86b8407d3b37f079923"
    );
    assert_eq!(
        index,
        "sha256:56d61acd05fbeed740dca87fbcfdca4180586d576829075bb49611c2059a3e98"
    );
    assert_eq!(
        config,
        "sha256:2701d51a9692a15088a05107be60e32a7224c5e4d95c743189caf662cbca54d8"
    );
}
