//! One rule for every file load opens (issue #11, items 9 and 11): a regular file, staying in
//! its namespace folder (or, for `clusters.yaml`, in the root), checked before it is opened.
//! <https://github.com/sisyphus/sisyphus/issues/11>

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

use sisyphus_load::{Error, load};

const DEPLOYMENT: &str = "apiVersion: sisyphus/v1\nkind: Deployment\nmetadata: {name: web}\nconfig: {env: prod, image: reg.example/web_config:1}\nfootprint: {c1: {replicas: 2}}\n";

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, text).unwrap();
}

fn mkfifo(path: &Path) {
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// The diagnostics of loading `root`, which must fail, within 10 s (a FIFO hung forever).
fn errors(root: &Path) -> Vec<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let root = root.to_owned();
    std::thread::spawn(move || {
        let _ = tx.send(load(&root));
    });
    let start = Instant::now();
    let result = rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("load hung for {:?}", start.elapsed()));
    match result {
        Ok(_) => panic!("loaded"),
        Err(Error::Invalid { diagnostics, .. }) => {
            diagnostics.iter().map(|d| d.to_string()).collect()
        }
        Err(other) => vec![other.to_string()],
    }
}

#[test]
fn index_and_clusters_symlinks_out_of_their_folder_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "index.yaml", DEPLOYMENT);
    write(
        outside.path(),
        "clusters.yaml",
        "apiVersion: sisyphus/v1\nkind: Clusters\nclusters: [c1]\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs_err::create_dir_all(root.join("web")).unwrap();
    symlink(
        outside.path().join("index.yaml"),
        root.join("web/index.yaml"),
    )
    .unwrap();
    symlink(
        outside.path().join("clusters.yaml"),
        root.join("clusters.yaml"),
    )
    .unwrap();
    // Into another namespace folder.
    write(root, "api/index.yaml", DEPLOYMENT);
    fs_err::create_dir_all(root.join("jobs")).unwrap();
    symlink(root.join("api/index.yaml"), root.join("jobs/index.yaml")).unwrap();
    let errors = errors(root);
    let joined = errors.join("\n");
    assert!(
        joined.contains(
            "`clusters.yaml` leads through a symlink outside the root of the monitored directory"
        ),
        "{joined}"
    );
    assert!(
        joined.contains(
            "`web/index.yaml` leads through a symlink outside the namespace folder `web/`"
        ),
        "{joined}"
    );
    assert!(
        joined.contains(
            "`jobs/index.yaml` leads through a symlink outside the namespace folder `jobs/`"
        ),
        "{joined}"
    );
}

#[test]
fn fifos_are_refused_before_they_are_opened() {
    for (case, fifo, files) in [
        ("index", "web/index.yaml", vec![]),
        (
            "source",
            "web/objects.yaml",
            vec![(
                "web/index.yaml",
                "apiVersion: sisyphus/v1\nkind: KubernetesYaml\nmetadata: {name: raw}\nclusters: [c1]\nsources: [objects.yaml]\n",
            )],
        ),
        (
            "include",
            "web/more.yaml",
            vec![(
                "web/index.yaml",
                "apiVersion: sisyphus/v1\nkind: SisyphusYaml\nsources: [more.yaml]\n",
            )],
        ),
        (
            "clusters",
            "clusters.yaml",
            vec![("web/index.yaml", DEPLOYMENT)],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in &files {
            write(dir.path(), path, text);
        }
        mkfifo(&dir.path().join(fifo));
        let errors = errors(dir.path());
        assert!(
            errors.iter().any(|e| e.contains(&format!(
                "`{fifo}` is a named pipe (FIFO), expected a regular YAML file"
            ))),
            "{case}: {errors:?}"
        );
    }
}
