//! Pulling config images into a content-addressed cache: `<cache>/config-images/sha256/<hex>/`
//! holds the extracted files of the manifest with that digest. Entries are written to a temporary
//! directory and renamed into place, so a reader never sees a half-written entry.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use sisyphus_core::Digest;
use sisyphus_oci::ConfigImage;
use sisyphus_oci::spec::media_type;

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
/// else downloaded and cached. The manifest is checked first (a single image manifest with one
/// layer of at most [`MAX_LAYER_SIZE`](sisyphus_oci::config_image::MAX_LAYER_SIZE) bytes, see
/// [`ConfigImage::config_layer`]); only then is the layer downloaded, never more bytes than its
/// descriptor gives, and verified against its digest.
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
    let (oci, auth) = client.for_registry(&pinned).await?;
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
    // Everything the manifest can tell (an index, several layers, a layer over the size limit)
    // is refused before the layer is downloaded.
    let layer = ConfigImage::config_layer(&digest, &bytes).map_err(content_err)?;
    let data = with_retries(|| async {
        let mut out = Capped::new(layer.size);
        oci.pull_blob(&target, layer.digest.as_str(), &mut out)
            .await?;
        Ok(out.bytes)
    })
    .await
    .map_err(|e| classify_here(e, "pull layer"))?;
    let image = ConfigImage::from_layer(&layer, &data).map_err(content_err)?;
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

/// An in-memory download that refuses more bytes than the descriptor promised (a registry that
/// sends more would otherwise fill memory).
struct Capped {
    bytes: Vec<u8>,
    limit: u64,
}

impl Capped {
    fn new(limit: u64) -> Capped {
        Capped {
            bytes: Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(1 << 20)),
            limit,
        }
    }
}

impl tokio::io::AsyncWrite for Capped {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.bytes.len() as u64 + buf.len() as u64 > this.limit {
            return Poll::Ready(Err(std::io::Error::other(format!(
                "the registry sent more than the {} bytes the layer's descriptor gives",
                this.limit
            ))));
        }
        this.bytes.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    #[tokio::test]
    async fn a_download_stops_at_the_descriptor_size() {
        let mut out = Capped::new(4);
        out.write_all(b"abcd").await.unwrap();
        let err = out.write_all(b"e").await.unwrap_err();
        assert!(err.to_string().contains("more than the 4 bytes"), "{err}");
        assert_eq!(out.bytes, b"abcd");
    }
}
