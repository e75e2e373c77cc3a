use sisyphus_registry::{Error, pull_config_image, push_layout, resolve};
use sisyphus_test_support::registry::Registry;

use crate::common::*;

#[tokio::test]
async fn missing_tag_names_the_reference_and_repository() {
    let registry = Registry::start();
    let client = client();
    let r = reference(&format!("{}/team/nothing:v9", registry.host()));
    let err = resolve(&client, &r).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{r}` not found in repository `{}/team/nothing`",
            registry.host()
        )
    );
}

#[tokio::test]
async fn a_corrupted_blob_is_detected() {
    let registry = Registry::start();
    let client = client();
    let tmp = tmp();
    let Pushed {
        bin: _,
        dir,
        digest,
        r,
    } = push_config(&registry, &client, &tmp).await;

    // Overwrite the layer's data in the registry's storage.
    let layout = sisyphus_oci::Layout::open(&dir).unwrap();
    let manifest: sisyphus_oci::spec::ImageManifest =
        serde_json::from_slice(&layout.read_blob(layout.single().unwrap()).unwrap()).unwrap();
    let layer = &manifest.layers[0].digest;
    let data = registry
        .storage_dir()
        .join("docker/registry/v2/blobs/sha256")
        .join(&layer.hex()[..2])
        .join(layer.hex())
        .join("data");
    let mut bytes = std::fs::read(&data).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();

    let err = pull_config_image(&client, &r, &tmp.path().join("cache"))
        .await
        .unwrap_err();
    let chain = error_chain(&err);
    eprintln!("corrupted blob error: {chain}");
    // Found while the layer is read (the download is bounded by its descriptor's size).
    assert!(
        chain.contains(&format!("layer `{layer}` does not match its digest")),
        "{chain}"
    );
    let cache = tmp.path().join("cache");
    assert!(!sisyphus_registry::cache_entry(&cache, &digest).exists());
    assert!(
        std::fs::read_dir(cache.join("config-images/sha256"))
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "nothing cached"
    );

    // The same pull once the blob is intact again is cached under the manifest digest: the
    // check above looks at the right place.
    let mut bytes = std::fs::read(&data).unwrap();
    bytes[last] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();
    pull_config_image(&client, &r, &cache).await.unwrap();
    assert!(sisyphus_registry::cache_entry(&cache, &digest).is_dir());
}

#[tokio::test]
async fn a_second_pull_of_the_same_digest_downloads_nothing() {
    let registry = Registry::start();
    let client = client();
    let tmp = tmp();
    let Pushed {
        bin,
        dir: _,
        digest,
        r,
    } = push_config(&registry, &client, &tmp).await;
    let cache = tmp.path().join("cache");

    registry.reset_requests();
    pull_config_image(&client, &r, &cache).await.unwrap();
    let first = registry.requests();
    assert_eq!(count(&first, "GET", "/blobs/"), 1, "the layer: {first:?}");
    assert_eq!(count(&first, "GET", "/manifests/"), 1, "{first:?}");

    registry.reset_requests();
    // A fresh client: nothing in memory, only the disk cache.
    let (again, image) = pull_config_image(&crate::common::client(), &r, &cache)
        .await
        .unwrap();
    assert_eq!(again, digest);
    assert_eq!(image.index.binary_digest, bin);
    let second = registry.requests();
    assert_eq!(count(&second, "GET", "/blobs/"), 0, "{second:?}");
    assert_eq!(count(&second, "GET", "/manifests/"), 0, "{second:?}");
    assert_eq!(
        count(&second, "HEAD", "/manifests/v1"),
        1,
        "the tag is still resolved: {second:?}"
    );

    // By digest: no request at all.
    registry.reset_requests();
    pull_config_image(&client, &r.with_digest(digest), &cache)
        .await
        .unwrap();
    assert_eq!(count(&registry.requests(), "", "/v2/"), 0);
}

/// A config image (on binary image `bin`), built in `dir` and pushed as `<registry>/cfg:v1`.
struct Pushed {
    bin: sisyphus_core::Digest,
    dir: std::path::PathBuf,
    digest: sisyphus_core::Digest,
    r: sisyphus_registry::Reference,
}

async fn push_config(
    registry: &Registry,
    client: &sisyphus_registry::Client,
    tmp: &tempfile::TempDir,
) -> Pushed {
    let bin = binary_image(&path(tmp, "bin"), "x");
    let dir = path(tmp, "config");
    let digest = config_image(&dir, &bin, "def main(ctx): pass\n");
    let r = reference(&format!("{}/cfg:v1", registry.host()));
    push_layout(client, &dir, std::slice::from_ref(&r), &no_progress())
        .await
        .unwrap();
    Pushed {
        bin,
        dir,
        digest,
        r,
    }
}

fn count(requests: &[(String, String)], method: &str, path_part: &str) -> usize {
    requests
        .iter()
        .filter(|(m, p)| (method.is_empty() || m == method) && p.contains(path_part))
        .count()
}

fn error_chain(err: &Error) -> String {
    let mut out = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        out.push_str(&format!(" / {s}"));
        source = s.source();
    }
    out
}

#[tokio::test]
async fn images_that_are_not_config_images_are_refused() {
    let registry = Registry::start();
    let client = client();
    let tmp = tmp();
    let host = registry.host();
    // A binary image with two layers (a base and one on top), and an index over a binary image.
    // Since issue #11 (the original tool's config images have several layers and sit behind an
    // index) both are read, within the size limits, and refused for what they hold.
    let base = path(&tmp, "base");
    binary_image(&base, "base");
    let two = path(&tmp, "two");
    sisyphus_oci::build::image(
        &two,
        &sisyphus_oci::build::ImageInput {
            base: Some(base.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let index = path(&tmp, "index");
    sisyphus_oci::build::index(&index, std::slice::from_ref(&base)).unwrap();
    for (dir, tag) in [(&two, "binary"), (&index, "index")] {
        let r = reference(&format!("{host}/bin:{tag}"));
        push_layout(&client, dir, std::slice::from_ref(&r), &no_progress())
            .await
            .unwrap();
        let err = pull_config_image(&client, &r, &tmp.path().join("cache"))
            .await
            .unwrap_err();
        let chain = error_chain(&err);
        assert!(
            chain.contains("the config image has no `index.json` at its root (files: `app/echo`)"),
            "{tag}: {chain}"
        );
    }
}

#[tokio::test]
async fn a_tag_naming_another_digest_is_refused_before_pushing() {
    let client = client();
    let tmp = tmp();
    let dir = path(&tmp, "config");
    let bin = binary_image(&path(&tmp, "bin"), "x");
    let digest = config_image(&dir, &bin, "def main(ctx): pass\n");
    // No registry runs on this port: the check comes before any request.
    let r = reference(&format!("127.0.0.1:9/cfg@{bin}"));
    let err = push_layout(&client, &dir, std::slice::from_ref(&r), &no_progress())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("the layout's digest is `{digest}`, but the tag `{r}` names `{bin}`")
    );
}

/// Issue #11, item 5: the cache reads back exactly what a pull read, whatever the file names;
/// an entry that does not read back is pulled again; stale temporary directories go.
/// <https://github.com/sisyphus/sisyphus/issues/11>
#[tokio::test]
async fn the_cache_reads_back_what_it_wrote() {
    let registry = Registry::start();
    let client = client();
    let tmp = tmp();
    let bin = binary_image(&path(&tmp, "bin"), "x");
    let dir = path(&tmp, "config");
    // Files under a dot-directory and named `bazel-*` at the root: extracted on a cold pull
    // but skipped on every warm one before.
    let index = sisyphus_core::config_image::ConfigIndex {
        binary_digest: bin,
        binary_repository: "127.0.0.1:5000/echo".to_owned(),
        config_entrypoint: "main.star".to_owned(),
    };
    let files = std::collections::BTreeMap::from([
        (
            "main.star".to_owned(),
            b"load(\".lib/a.star\", \"a\")\nload(\"bazel-b.star\", \"b\")\n".to_vec(),
        ),
        (".lib/a.star".to_owned(), b"a = 1\n".to_vec()),
        ("bazel-b.star".to_owned(), b"b = 2\n".to_vec()),
    ]);
    let digest = sisyphus_oci::build::config_image(&dir, &index, &files).unwrap();
    let r = reference(&format!("{}/cfg:v1", registry.host()));
    push_layout(&client, &dir, std::slice::from_ref(&r), &no_progress())
        .await
        .unwrap();
    let cache = tmp.path().join("cache");
    // A temporary directory left by a pull interrupted two hours ago.
    let shards = cache.join("config-images/sha256");
    let stale = shards.join(".tmp-interrupted");
    std::fs::create_dir_all(stale.join("blobs")).unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::open(&stale)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let fresh = shards.join(".tmp-in-progress");
    std::fs::create_dir_all(&fresh).unwrap();

    let (_, cold) = pull_config_image(&client, &r, &cache).await.unwrap();
    assert_eq!(
        cold.paths(),
        ["index.json", ".lib/a.star", "bazel-b.star", "main.star"]
    );
    assert!(!stale.exists(), "stale temporary directory removed");
    assert!(fresh.exists(), "a recent one may belong to a running pull");

    registry.reset_requests();
    let (_, warm) = pull_config_image(&client, &r, &cache).await.unwrap();
    assert_eq!(warm, cold);
    assert_eq!(
        count(&registry.requests(), "GET", "/blobs/"),
        0,
        "served from the cache"
    );

    // An entry that does not match its digest's manifest is discarded and pulled again.
    let entry = sisyphus_registry::cache_entry(&cache, &digest);
    let blobs = entry.join("blobs");
    for file in std::fs::read_dir(&blobs).unwrap() {
        let file = file.unwrap().path();
        let mut bytes = std::fs::read(&file).unwrap();
        bytes.push(b'\n');
        std::fs::write(&file, bytes).unwrap();
    }
    registry.reset_requests();
    let (_, again) = pull_config_image(&client, &r, &cache).await.unwrap();
    assert_eq!(again, cold);
    assert!(
        count(&registry.requests(), "GET", "/blobs/") > 0,
        "pulled again"
    );
    // The old format (extracted files, no blobs) is not trusted either.
    std::fs::remove_dir_all(&entry).unwrap();
    std::fs::create_dir_all(&entry).unwrap();
    cold.write_dir(&entry).unwrap();
    let (_, migrated) = pull_config_image(&client, &r, &cache).await.unwrap();
    assert_eq!(migrated, cold);
    assert!(entry.join("blobs").is_dir());
}

/// Issue #11: the original tool's config images (an index with one platform manifest whose
/// files are spread over two layers) are pulled, pinned to the index's own digest.
#[tokio::test]
async fn an_original_tool_config_image_is_pulled() {
    let registry = Registry::start();
    let client = client();
    let tmp = tmp();
    let bin = binary_image(&path(&tmp, "bin"), "x");
    let file = |path: &str, contents: String| sisyphus_oci::layer::LayerFile {
        path: path.to_owned(),
        contents: contents.into_bytes(),
        executable: false,
    };
    let starlark = path(&tmp, "starlark");
    sisyphus_oci::build::image(
        &starlark,
        &sisyphus_oci::build::ImageInput {
            files: vec![file(
                "main.star",
                "def main(ctx):\n    return Application()\n".to_owned(),
            )],
            ..Default::default()
        },
    )
    .unwrap();
    let two = path(&tmp, "two");
    sisyphus_oci::build::image(
        &two,
        &sisyphus_oci::build::ImageInput {
            files: vec![file(
                "index.json",
                format!(
                    r#"{{"binary_digest":"{bin}","binary_repository":"127.0.0.1:5000/echo","config_entrypoint":"main.star"}}"#
                ),
            )],
            base: Some(starlark),
            ..Default::default()
        },
    )
    .unwrap();
    let index = path(&tmp, "index");
    let index_digest = sisyphus_oci::build::index(&index, std::slice::from_ref(&two)).unwrap();
    let r = reference(&format!("{}/legacy:v1", registry.host()));
    push_layout(&client, &index, std::slice::from_ref(&r), &no_progress())
        .await
        .unwrap();
    let cache = tmp.path().join("cache");
    let (digest, image) = pull_config_image(&client, &r, &cache).await.unwrap();
    assert_eq!(digest, index_digest);
    assert_eq!(image.paths(), ["index.json", "main.star"]);
    // And read back from the cache the same way.
    let (_, warm) = pull_config_image(&client, &r, &cache).await.unwrap();
    assert_eq!(warm, image);
}
