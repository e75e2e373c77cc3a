//! Tag → digest resolution with one HEAD request.

use sisyphus_core::Digest;

use crate::client::oci_reference;
use crate::retry::{classify, with_retries};
use crate::{Client, Error, Reference};

/// The digest `reference` points to: a digest reference is returned as is, without a request;
/// a tag (default `latest`) is resolved with a HEAD request accepting OCI manifests and indexes
/// and Docker manifests and manifest lists. The digest is that of the manifest or index itself
/// (an index is pinned as a whole; no platform is selected).
///
/// # Errors
///
/// [`Error::NotFound`], [`Error::AuthenticationRequired`], [`Error::Denied`],
/// [`Error::Registry`] after retries, [`Error::BadDigest`].
pub async fn resolve(client: &Client, reference: &Reference) -> Result<Digest, Error> {
    if let Some(d) = &reference.digest {
        return Ok(d.clone());
    }
    let (oci, auth) = client.for_registry(reference)?;
    let target = oci_reference(reference);
    let found = with_retries(|| oci.fetch_manifest_digest(&target, &auth))
        .await
        .map_err(|e| {
            classify(
                e,
                "resolve",
                &reference.to_string(),
                &reference.registry,
                &reference.repository_reference(),
            )
        })?;
    found.parse().map_err(|_| Error::BadDigest {
        reference: reference.to_string(),
        found,
    })
}
