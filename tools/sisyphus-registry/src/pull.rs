//! Pulling config images into a content-addressed cache: `<cache>/config-images/sha256/<hex>/`
//! holds the blobs (manifest, index manifests, layers) of the manifest or index with that
//! digest, under `blobs/<hex>`. A warm read runs the same checks and the same extraction as a
//! pull ([`ConfigImage::from_manifest`]) over those blobs, so the cache reads back exactly what
//! a pull reads; an entry that does not (older format, corrupted, edited) is discarded and
//! pulled again. Entries are written to a temporary directory and renamed into place, so a
//! reader never sees a half-written entry; temporary directories older than an hour (left by
//! an interrupted pull) are removed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sisyphus_core::Digest;
use sisyphus_oci::config_image::{ConfigImage, ManifestContents};
use sisyphus_oci::spec::{Descriptor, media_type};

use crate::http::{MAX_MANIFEST_BYTES, fetch_bounded};
use crate::{Client, Error, Reference, resolve};

/// Temporary directories in the cache older than this are left over from an interrupted pull.
const STALE_TMP_AGE: Duration = Duration::from_secs(3600);

/// The cache directory of the config image with manifest `digest`.
pub fn cache_entry(cache_dir: &Path, digest: &Digest) -> PathBuf {
    cache_dir
        .join("config-images")
        .join("sha256")
        .join(digest.hex())
}

/// Resolve `reference` and return its config image, from the cache when the digest is there,
/// else downloaded and cached. The manifest is checked first (see
/// [`ConfigImage::inspect_manifest`]: at most 4 MiB, one image manifest or an index of one
/// config image, 1 to 16 layers of at most 16 MiB together); only then are the layers
/// downloaded, never more bytes than their descriptors give, and verified against their
/// digests. The whole pull ends within the client's overall timeout.
///
/// # Errors
///
/// Resolution and registry errors, [`Error::Timeout`], [`Error::BodyTooLarge`], digest
/// mismatches, invalid config images, cache I/O.
pub async fn pull_config_image(
    client: &Client,
    reference: &Reference,
    cache_dir: &Path,
) -> Result<(Digest, ConfigImage), Error> {
    let overall = client.timeouts().overall;
    match tokio::time::timeout(overall, pull_here(client, reference, cache_dir)).await {
        Ok(result) => result,
        Err(_) => Err(Error::Timeout {
            registry: reference.registry.clone(),
            operation: "pull",
            reference: reference.to_string(),
            seconds: overall.as_secs(),
        }),
    }
}

async fn pull_here(
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
    if entry.exists() {
        match read_entry(&entry, &digest) {
            Ok(image) => return Ok((digest, image)),
            Err(e) => {
                tracing::debug!(
                    "discarding cache entry `{}`, which does not read back: {e}",
                    entry.display()
                );
                fs_err::remove_dir_all(&entry).map_err(|source| Error::Cache {
                    action: format!("remove `{}`", entry.display()),
                    source,
                })?;
            }
        }
    }
    let pinned = reference.with_digest(digest.clone());
    let mut blobs: BTreeMap<Digest, Vec<u8>> = BTreeMap::new();
    let accept = [
        media_type::OCI_MANIFEST,
        media_type::DOCKER_MANIFEST,
        media_type::OCI_INDEX,
        media_type::DOCKER_MANIFEST_LIST,
    ]
    .join(", ");
    let top = fetch(client, &pinned, &digest, true, &accept, MAX_MANIFEST_BYTES).await?;
    // Everything the manifest can tell (several layers over the size limit, an ambiguous
    // index) is refused before a layer is downloaded.
    let layers = match ConfigImage::inspect_manifest(&digest, &top).map_err(content_err)? {
        ManifestContents::Layers(layers) => layers,
        ManifestContents::Manifests(list) => {
            let mut manifests = Vec::new();
            for m in list {
                let bytes = fetch(client, &pinned, &m.digest, true, &accept, m.size).await?;
                blobs.insert(m.digest.clone(), bytes.clone());
                manifests.push((m, bytes));
            }
            ConfigImage::index_layers(&digest, &manifests).map_err(content_err)?
        }
    };
    blobs.insert(digest.clone(), top);
    let mut data = Vec::new();
    for layer in &layers {
        let bytes = fetch(
            client,
            &pinned,
            &layer.digest,
            false,
            &layer.media_type,
            layer.size,
        )
        .await?;
        data.push(bytes);
    }
    let image = ConfigImage::from_layers(&layers, &data).map_err(content_err)?;
    for (layer, bytes) in layers.iter().zip(data) {
        blobs.insert(layer.digest.clone(), bytes);
    }
    store(&entry, &blobs)?;
    Ok((digest, image))
}

/// One bounded GET of a manifest (`manifest`) or blob, with retries.
async fn fetch(
    client: &Client,
    pinned: &Reference,
    digest: &Digest,
    manifest: bool,
    accept: &str,
    limit: u64,
) -> Result<Vec<u8>, Error> {
    let (kind, what, operation) = if manifest {
        ("manifests", "manifest", "pull manifest")
    } else {
        ("blobs", "layer", "pull layer")
    };
    let shown = if manifest {
        pinned.with_digest(digest.clone()).to_string()
    } else {
        digest.to_string()
    };
    let path = format!("{kind}/{digest}");
    fetch_bounded(
        client, pinned, &path, accept, limit, what, &shown, operation,
    )
    .await
}

/// The path of the blob `digest` in cache entry `entry`.
fn blob_path(entry: &Path, digest: &Digest) -> PathBuf {
    entry.join("blobs").join(digest.hex())
}

/// Reads a cache entry back through the same checks as a pull.
fn read_entry(entry: &Path, digest: &Digest) -> Result<ConfigImage, sisyphus_oci::Error> {
    let manifest = read_blob(entry, digest, MAX_MANIFEST_BYTES)?;
    ConfigImage::from_manifest(digest, &manifest, |d: &Descriptor| {
        read_blob(entry, &d.digest, d.size)
    })
}

/// One blob of a cache entry: a regular file of at most `limit` bytes.
fn read_blob(entry: &Path, digest: &Digest, limit: u64) -> Result<Vec<u8>, sisyphus_oci::Error> {
    use std::io::Read as _;
    let path = blob_path(entry, digest);
    let meta = fs_err::symlink_metadata(&path).map_err(sisyphus_oci::Error::File)?;
    if !meta.is_file() || meta.len() > limit {
        return Err(sisyphus_oci::Error::SizeMismatch {
            what: format!("cached blob `{}`", path.display()),
            expected: limit,
            actual: meta.len(),
        });
    }
    let mut bytes = Vec::new();
    fs_err::File::open(&path)
        .map_err(sisyphus_oci::Error::File)?
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(sisyphus_oci::Error::File)?;
    Ok(bytes)
}

/// Write `blobs` to `entry` atomically (temporary sibling directory, then rename), after
/// removing stale temporary directories of interrupted pulls.
fn store(entry: &Path, blobs: &BTreeMap<Digest, Vec<u8>>) -> Result<(), Error> {
    let cache_err = |action: String| move |source| Error::Cache { action, source };
    let parent = entry.parent().unwrap_or(entry);
    fs_err::create_dir_all(parent).map_err(cache_err(format!("create `{}`", parent.display())))?;
    remove_stale_tmp(parent);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = parent.join(format!(
        ".tmp-{}-{}-{nanos}",
        entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    if tmp.exists() {
        fs_err::remove_dir_all(&tmp).map_err(cache_err(format!("remove `{}`", tmp.display())))?;
    }
    let blob_dir = tmp.join("blobs");
    fs_err::create_dir_all(&blob_dir)
        .map_err(cache_err(format!("create `{}`", blob_dir.display())))?;
    for (digest, bytes) in blobs {
        let path = blob_dir.join(digest.hex());
        if let Err(source) = fs_err::write(&path, bytes) {
            let _ = fs_err::remove_dir_all(&tmp);
            return Err(Error::Cache {
                action: format!("write `{}`", path.display()),
                source,
            });
        }
    }
    match fs_err::rename(&tmp, entry) {
        Ok(()) => Ok(()),
        // Another process stored the same digest first: same content, keep theirs.
        Err(_) if entry.is_dir() => {
            let _ = fs_err::remove_dir_all(&tmp);
            Ok(())
        }
        Err(source) => {
            let _ = fs_err::remove_dir_all(&tmp);
            Err(Error::Cache {
                action: format!("store `{}`", entry.display()),
                source,
            })
        }
    }
}

/// Removes `.tmp-*` directories in `dir` not modified for [`STALE_TMP_AGE`] (best effort).
fn remove_stale_tmp(dir: &Path) {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(".tmp-") {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > STALE_TMP_AGE);
        if stale {
            tracing::debug!("removing stale `{}`", entry.path().display());
            let _ = fs_err::remove_dir_all(entry.path());
        }
    }
}
