//! Tag → digest resolution with one HEAD request.
//!
//! With credentials (or on a registry that wants a token even for anonymous pulls) the request
//! goes through oci-client, which handles the basic and bearer-token flows. Anonymous requests
//! to registries that need no auth go straight out as a plain HEAD: oci-client would probe
//! `GET /v2/` before each of them, doubling the requests.

use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use sisyphus_core::Digest;
use sisyphus_oci::spec::media_type;

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
/// [`Error::Registry`] after retries, [`Error::BadDigest`], [`Error::Timeout`] past the
/// client's overall deadline.
pub async fn resolve(client: &Client, reference: &Reference) -> Result<Digest, Error> {
    if let Some(d) = &reference.digest {
        return Ok(d.clone());
    }
    let overall = client.timeouts().overall;
    match tokio::time::timeout(overall, resolve_here(client, reference)).await {
        Ok(result) => result,
        Err(_) => Err(Error::Timeout {
            registry: reference.registry.clone(),
            operation: "resolve",
            reference: reference.to_string(),
            seconds: overall.as_secs(),
        }),
    }
}

/// [`resolve`] of a tag, without the overall deadline.
async fn resolve_here(client: &Client, reference: &Reference) -> Result<Digest, Error> {
    let (oci, auth) = client.for_registry(reference).await?;
    let target = oci_reference(reference);
    let classify_here = |e| {
        classify(
            e,
            "resolve",
            &reference.to_string(),
            &reference.registry,
            &reference.repository_reference(),
        )
    };
    let direct = matches!(auth, RegistryAuth::Anonymous) && !client.wants_auth(&reference.registry);
    let found = if direct {
        match with_retries(|| head(client, reference, &target)).await {
            Ok(Head::Digest(digest)) => digest,
            Ok(other) => {
                if other == Head::Unauthorized {
                    // The registry wants a token even for anonymous pulls (Docker Hub, GHCR).
                    client.set_wants_auth(&reference.registry);
                }
                // oci-client does the token flow, or a GET and a hash when there is no header.
                with_retries(|| oci.fetch_manifest_digest(&target, &auth))
                    .await
                    .map_err(classify_here)?
            }
            Err(e) => return Err(classify_here(e)),
        }
    } else {
        with_retries(|| oci.fetch_manifest_digest(&target, &auth))
            .await
            .map_err(classify_here)?
    };
    found.parse().map_err(|_| Error::BadDigest {
        reference: reference.to_string(),
        found,
    })
}

/// What an anonymous HEAD found.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// The `Docker-Content-Digest` header.
    Digest(String),
    /// 401: credentials or a token are needed.
    Unauthorized,
    /// 200 without a digest header.
    NoDigestHeader,
}

/// One anonymous HEAD of the manifest.
async fn head(
    client: &Client,
    reference: &Reference,
    target: &oci_client::Reference,
) -> Result<Head, OciDistributionError> {
    let (http, scheme) = client.http(reference);
    let url = format!(
        "{scheme}://{}/v2/{}/manifests/{}",
        target.resolve_registry(),
        target.repository(),
        target.tag().unwrap_or("latest")
    );
    let accept = [
        media_type::OCI_MANIFEST,
        media_type::OCI_INDEX,
        media_type::DOCKER_MANIFEST,
        media_type::DOCKER_MANIFEST_LIST,
    ]
    .join(", ");
    let response = http.head(&url).header("Accept", accept).send().await?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Ok(Head::Unauthorized);
    }
    if !status.is_success() {
        return Err(OciDistributionError::ServerError {
            code: status.as_u16(),
            url,
            message: String::new(),
        });
    }
    match response
        .headers()
        .get("Docker-Content-Digest")
        .and_then(|v| v.to_str().ok())
    {
        Some(d) => Ok(Head::Digest(d.to_owned())),
        None => Ok(Head::NoDigestHeader),
    }
}
