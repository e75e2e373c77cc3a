//! Pulling config images into a content-addressed cache: `<cache>/config-images/sha256/<hex>/`
//! holds the extracted files of the manifest with that digest. Entries are written to a temporary
//! directory and renamed into place, so a reader never sees a half-written entry.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sisyphus_core::Digest;
use sisyphus_oci::ConfigImage;
use sisyphus_oci::spec::{self, ImageManifest, media_type};

use crate::client::oci_reference;
use crate::retry::{classify, with_retries};
use crate::{Client, Error, Reference, resolve};

/// The cache directory of the config image with manifest `digest`.
pub fn cache_entry(cache_dir: &Path, digest: &Digest) -> PathBuf {
    cache_dir
        .join("config-images")
        .join("sha256")
        .join(digest.hex())
}

/// Resolve `reference` and return its config image, from the cache when the digest is there,
/// else downloaded (manifest and layers verified against their digests) and cached.
///
/// # Errors
///
/// Resolution and registry errors, digest mismatches, invalid config images, cache I/O.
pub async fn pull_config_image(
    client: &Client,
    reference: &Reference,
    cache_dir: &Path,
) -> Result<(Digest, ConfigImage), Error> {
    let digest = resolve(client, reference).await?;
    let entry = cache_entry(cache_dir, &digest);
    let content_err = |source| Error::Content {
        reference: reference.to_string(),
        source,
    };
    if entry.is_dir() {
        return Ok((digest, ConfigImage::read_dir(&entry).map_err(content_err)?));
    }
    let pinned = reference.with_digest(digest.clone());
    let (oci, auth) = client.for_registry(&pinned)?;
    let target = oci_reference(&pinned);
    let classify_here = |e, op| {
        classify(
            e,
            op,
            &pinned.to_string(),
            &pinned.registry,
            &pinned.repository_reference(),
        )
    };
    let accepted = [
        media_type::OCI_MANIFEST,
        media_type::DOCKER_MANIFEST,
        media_type::OCI_INDEX,
        media_type::DOCKER_MANIFEST_LIST,
    ];
    let (bytes, _) = with_retries(|| oci.pull_manifest_raw(&target, &auth, &accepted))
        .await
        .map_err(|e| classify_here(e, "pull manifest"))?;
    spec::verify_digest(&format!("manifest of `{pinned}`"), &digest, &bytes)
        .map_err(content_err)?;
    let manifest: ImageManifest =
        spec::from_json(&format!("manifest `{digest}`"), "image manifest", &bytes)
            .map_err(content_err)?;
    let mut blobs = BTreeMap::new();
    for layer in &manifest.layers {
        let out = with_retries(|| async {
            let mut out = Vec::new();
            oci.pull_blob(&target, layer.digest.as_str(), &mut out)
                .await?;
            Ok(out)
        })
        .await
        .map_err(|e| classify_here(e, "pull layer"))?;
        blobs.insert(layer.digest.clone(), out);
    }
    let image = ConfigImage::from_manifest(&digest, &bytes, |d| {
        blobs
            .get(&d.digest)
            .cloned()
            .ok_or_else(|| sisyphus_oci::Error::MissingBlob {
                digest: d.digest.clone(),
                dir: PathBuf::from(pinned.to_string()),
            })
    })
    .map_err(content_err)?;
    store(&entry, &image)?;
    Ok((digest, image))
}

/// Write `image` to `entry` atomically (temporary sibling directory, then rename).
fn store(entry: &Path, image: &ConfigImage) -> Result<(), Error> {
    let cache_err = |action: String| move |source| Error::Cache { action, source };
    let parent = entry.parent().unwrap_or(entry);
    fs_err::create_dir_all(parent).map_err(cache_err(format!("create `{}`", parent.display())))?;
    let tmp = parent.join(format!(
        ".tmp-{}-{}",
        entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    if tmp.exists() {
        fs_err::remove_dir_all(&tmp).map_err(cache_err(format!("remove `{}`", tmp.display())))?;
    }
    fs_err::create_dir_all(&tmp).map_err(cache_err(format!("create `{}`", tmp.display())))?;
    image.write_dir(&tmp).map_err(|source| Error::Content {
        reference: entry.display().to_string(),
        source,
    })?;
    match fs_err::rename(&tmp, entry) {
        Ok(()) => Ok(()),
        // Another process stored the same digest first: same content, keep theirs.
        Err(_) if entry.is_dir() => {
            let _ = fs_err::remove_dir_all(&tmp);
            Ok(())
        }
        Err(source) => Err(Error::Cache {
            action: format!("store `{}`", entry.display()),
            source,
        }),
    }
}
