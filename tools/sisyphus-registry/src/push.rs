//! Pushing an image layout: blobs (skipping those the registry has), then manifests with their
//! exact bytes (children before indexes), then tags.

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::header::HeaderValue;
use sisyphus_core::Digest;
use sisyphus_oci::Layout;
use sisyphus_oci::spec::media_type;

use crate::client::oci_reference;
use crate::retry::{classify, with_retries};
use crate::{Client, Error, Reference};

/// What a push is doing, for progress display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushEvent {
    /// Starting on a repository: how many blobs and bytes the layout has.
    Start {
        /// `registry/repository`.
        repository: String,
        /// Number of blobs (layers and configs).
        blobs: usize,
        /// Their total size.
        bytes: u64,
    },
    /// The registry already had this blob.
    BlobSkipped {
        /// The blob.
        digest: Digest,
        /// Its size.
        size: u64,
    },
    /// The blob was uploaded.
    BlobPushed {
        /// The blob.
        digest: Digest,
        /// Its size.
        size: u64,
    },
    /// A manifest or index was pushed by digest.
    ManifestPushed {
        /// Its digest.
        digest: Digest,
    },
    /// A tag now points to the layout's image.
    Tagged {
        /// The tag reference.
        reference: String,
    },
}

/// Push the image layout in `dir` to every repository in `tags`, tagging each. Returns the
/// digest of the layout's top manifest or index.
///
/// # Errors
///
/// Layout errors (missing or corrupt blobs), registry errors, and [`Error::TagDigestMismatch`]
/// when a tag reference carries a digest other than the layout's.
pub async fn push_layout(
    client: &Client,
    dir: &Path,
    tags: &[Reference],
    progress: &(dyn Fn(PushEvent) + Sync),
) -> Result<Digest, Error> {
    let content_err = |source| Error::Content {
        reference: dir.display().to_string(),
        source,
    };
    let layout = Layout::open(dir).map_err(content_err)?;
    let top = layout.single().map_err(content_err)?.clone();
    let all = layout.walk().map_err(content_err)?;
    for tag in tags {
        if let Some(d) = &tag.digest
            && d != &top.digest
        {
            return Err(Error::TagDigestMismatch {
                tag: tag.to_string(),
                tag_digest: d.clone(),
                layout_digest: top.digest.clone(),
            });
        }
    }
    let mut done_repositories = BTreeSet::new();
    for tag in tags {
        let repository = tag.repository_reference();
        if done_repositories.insert(repository.clone()) {
            push_repository(client, &layout, tag, &all, progress).await?;
        }
        if let Some(t) = &tag.tag {
            let target = tag.with_tag(t);
            put_manifest(client, &layout, &target, &top).await?;
            progress(PushEvent::Tagged {
                reference: target.to_string(),
            });
        }
    }
    Ok(top.digest)
}

async fn push_repository(
    client: &Client,
    layout: &Layout,
    repo: &Reference,
    all: &[sisyphus_oci::spec::Descriptor],
    progress: &(dyn Fn(PushEvent) + Sync),
) -> Result<(), Error> {
    let (oci, auth) = client.for_registry(repo).await?;
    let blobs: Vec<_> = all.iter().filter(|d| !is_manifest(&d.media_type)).collect();
    progress(PushEvent::Start {
        repository: repo.repository_reference(),
        blobs: blobs.len(),
        bytes: blobs.iter().map(|d| d.size).sum(),
    });
    // Push access is needed for uploads; this also sets up the token for HEAD requests.
    let base = oci_reference(&repo.with_tag("latest"));
    let classify_blob = |e, d: &Digest| {
        classify(
            e,
            "push blob",
            &format!("{}@{d}", repo.repository_reference()),
            &repo.registry,
            &repo.repository_reference(),
        )
    };
    with_retries(|| oci.auth(&base, &auth, oci_client::RegistryOperation::Push))
        .await
        .map_err(|e| {
            classify(
                e,
                "log in to push",
                &repo.repository_reference(),
                &repo.registry,
                &repo.repository_reference(),
            )
        })?;
    for d in blobs {
        let exists = with_retries(|| oci.blob_exists(&base, d.digest.as_str()))
            .await
            .map_err(|e| classify_blob(e, &d.digest))?;
        if exists {
            progress(PushEvent::BlobSkipped {
                digest: d.digest.clone(),
                size: d.size,
            });
            continue;
        }
        let bytes = layout.read_blob(d).map_err(|source| Error::Content {
            reference: layout.dir().display().to_string(),
            source,
        })?;
        with_retries(|| oci.push_blob(&base, bytes.clone(), d.digest.as_str()))
            .await
            .map_err(|e| classify_blob(e, &d.digest))?;
        progress(PushEvent::BlobPushed {
            digest: d.digest.clone(),
            size: d.size,
        });
    }
    for d in all.iter().filter(|d| is_manifest(&d.media_type)) {
        put_manifest(client, layout, &repo.with_digest(d.digest.clone()), d).await?;
        progress(PushEvent::ManifestPushed {
            digest: d.digest.clone(),
        });
    }
    Ok(())
}

/// PUT a manifest's exact layout bytes at `target` (a tag or its digest).
async fn put_manifest(
    client: &Client,
    layout: &Layout,
    target: &Reference,
    d: &sisyphus_oci::spec::Descriptor,
) -> Result<(), Error> {
    let (oci, _) = client.for_registry(target).await?;
    let bytes = layout.read_blob(d).map_err(|source| Error::Content {
        reference: layout.dir().display().to_string(),
        source,
    })?;
    let content_type = HeaderValue::from_str(&d.media_type).map_err(|_| Error::Content {
        reference: target.to_string(),
        source: sisyphus_oci::Error::MediaType {
            what: format!("manifest `{}`", d.digest),
            expected: "a valid media type".to_owned(),
            found: d.media_type.clone(),
        },
    })?;
    let oci_target = oci_reference(target);
    with_retries(|| oci.push_manifest_raw(&oci_target, bytes.clone(), content_type.clone()))
        .await
        .map_err(|e| {
            classify(
                e,
                "push manifest",
                &target.to_string(),
                &target.registry,
                &target.repository_reference(),
            )
        })?;
    Ok(())
}

fn is_manifest(mt: &str) -> bool {
    media_type::is_manifest(mt) || media_type::is_index(mt)
}
