//! `load()`: root and relative paths, nesting, caching, cycles and escapes.

use std::collections::BTreeMap;
use std::sync::Mutex;

use sisyphus_core::app::Value;
use sisyphus_starlark::{Config, ConfigFiles, DirFiles, Error, MemoryFiles};

fn args(files: &dyn ConfigFiles, entry: &str) -> Vec<Value> {
    Config::load(files, entry)
        .unwrap()
        .evaluate(&crate::env("prod"))
        .unwrap()
        .args
}

fn lit(s: &str) -> Value {
    Value::Literal {
        value: s.to_owned(),
    }
}

#[test]
fn nested_root_and_relative_loads() {
    let files = crate::files(&[
        (
            "app/main.star",
            "load(\"lib/a.star\", \"a\")\nload(\"//common/c.star\", \"c\")\ndef main(ctx):\n    return Application(args = [a, c])\n",
        ),
        (
            "app/lib/a.star",
            "load(\"b.star\", \"b\")\nload(\"../../common/c.star\", \"c\")\na = b + c\n",
        ),
        ("app/lib/b.star", "b = \"b\"\n"),
        ("common/c.star", "c = \"c\"\n"),
    ]);
    assert_eq!(args(&files, "app/main.star"), [lit("bc"), lit("c")]);
    let config = Config::load(&files, "app/main.star").unwrap();
    assert_eq!(
        config.files(),
        [
            "app/lib/a.star",
            "app/lib/b.star",
            "app/main.star",
            "common/c.star"
        ]
    );
}

/// Counts reads per path.
struct Counting(MemoryFiles, Mutex<BTreeMap<String, usize>>);

impl ConfigFiles for Counting {
    fn read(&self, path: &str) -> Result<String, Error> {
        *self.1.lock().unwrap().entry(path.to_owned()).or_default() += 1;
        self.0.read(path)
    }
}

#[test]
fn a_file_loaded_twice_is_read_and_evaluated_once() {
    let files = Counting(
        crate::files(&[
            (
                "main.star",
                "load(\"x.star\", \"x\")\nload(\"y.star\", \"y\")\ndef main(ctx):\n    return Application(args = [x, y])\n",
            ),
            ("x.star", "load(\"common.star\", \"n\")\nx = n\n"),
            ("y.star", "load(\"//common.star\", \"n\")\ny = n\n"),
            ("common.star", "n = \"shared\"\n"),
        ]),
        Mutex::default(),
    );
    assert_eq!(args(&files, "main.star"), [lit("shared"), lit("shared")]);
    assert_eq!(files.1.lock().unwrap().get("common.star"), Some(&1));
}

fn load_error(files: &dyn ConfigFiles) -> String {
    Config::load(files, "main.star").unwrap_err().to_string()
}

#[test]
fn cycles_are_reported_with_their_chain() {
    let files = crate::files(&[
        (
            "main.star",
            "load(\"a.star\", \"a\")\ndef main(ctx):\n    return Application()\n",
        ),
        ("a.star", "load(\"b.star\", \"b\")\na = 1\n"),
        ("b.star", "load(\"a.star\", \"a\")\nb = 1\n"),
    ]);
    let err = load_error(&files);
    assert!(
        err.starts_with("b.star:1:6: cannot load \"a.star\""),
        "{err}"
    );
    assert!(
        err.contains("found the load cycle a.star -> b.star -> a.star"),
        "{err}"
    );
}

#[test]
fn escapes_and_absolute_paths_are_refused() {
    let files = crate::files(&[("main.star", "load(\"../x.star\", \"x\")\n")]);
    assert!(load_error(&files).contains("leaves it through `..`"));
    let files = crate::files(&[("main.star", "load(\"//../x.star\", \"x\")\n")]);
    assert!(load_error(&files).contains("leaves it through `..`"));
    let files = crate::files(&[("main.star", "load(\"/etc/x.star\", \"x\")\n")]);
    assert!(load_error(&files).contains("found an absolute path"));
    let files = crate::files(&[("main.star", "load(\"x.bzl\", \"x\")\n")]);
    assert!(load_error(&files).contains("expected a path to a `.star` file"));
    assert!(matches!(
        Config::load(&crate::files(&[]), "../main.star"),
        Err(Error::BadPath { .. })
    ));
}

#[test]
fn symlinks_leading_out_of_the_root_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.star"), "x = 1\n").unwrap();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("main.star"),
        "load(\"link.star\", \"x\")\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.star"),
        root.path().join("link.star"),
    )
    .unwrap();
    let err = load_error(&DirFiles::new(root.path()));
    assert!(err.starts_with("main.star:1:6: cannot load \"link.star\": it is a symlink that leads outside the config root"), "{err}");

    // A symlink inside the root is fine.
    std::fs::write(root.path().join("real.star"), "x = 1\n").unwrap();
    std::fs::remove_file(root.path().join("link.star")).unwrap();
    std::os::unix::fs::symlink(root.path().join("real.star"), root.path().join("link.star"))
        .unwrap();
    std::fs::write(
        root.path().join("main.star"),
        "load(\"link.star\", \"x\")\ndef main(ctx):\n    return Application()\n",
    )
    .unwrap();
    assert!(Config::load(&DirFiles::new(root.path()), "main.star").is_ok());
}

#[test]
fn a_fifo_is_refused_before_it_is_opened() {
    // Issue #11, item 11: `load()` of a FIFO hung `run-config`.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.star"),
        "load(\"lib.star\", \"x\")\ndef main(ctx):\n    return Application()\n",
    )
    .unwrap();
    let ok = std::process::Command::new("mkfifo")
        .arg(dir.path().join("lib.star"))
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo");
    let (tx, rx) = std::sync::mpsc::channel();
    let root = dir.path().to_owned();
    std::thread::spawn(move || {
        let result =
            sisyphus_starlark::Config::load(&sisyphus_starlark::DirFiles::new(root), "main.star")
                .map(|_| ());
        let _ = tx.send(result.map_err(|e| e.to_string()));
    });
    let result = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("load() of a FIFO hung");
    let err = result.unwrap_err();
    assert!(err.contains("it is not a regular file"), "{err}");
}
