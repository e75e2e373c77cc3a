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
    assert!(
        chain.contains("failed to pull layer") && chain.contains(&layer.to_string()),
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
async fn images_that_are_not_config_images_fail_before_any_layer_is_downloaded() {
    let registry = Registry::start();
    let client = client();
    let tmp = tmp();
    let host = registry.host();
    // A binary image with two layers (a base and one on top), and an index over a binary image.
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
    for (dir, tag, expected) in [
        (
            &two,
            "binary",
            "layers, expected exactly one (is it a binary image?)",
        ),
        (&index, "index", "(config images are single manifests)"),
    ] {
        let r = reference(&format!("{host}/bin:{tag}"));
        push_layout(&client, dir, std::slice::from_ref(&r), &no_progress())
            .await
            .unwrap();
        registry.reset_requests();
        let err = pull_config_image(&client, &r, &tmp.path().join("cache"))
            .await
            .unwrap_err();
        let chain = error_chain(&err);
        assert!(chain.contains(expected), "{tag}: {chain}");
        assert_eq!(
            count(&registry.requests(), "GET", "/blobs/"),
            0,
            "{tag}: no blob downloaded"
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
