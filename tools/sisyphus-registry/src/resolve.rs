//! Tag → digest resolution with one HEAD request.
//!
//! With credentials (or on a registry that wants a token even for anonymous pulls) the request
//! carries a token from [`crate::token`] (or basic credentials); anonymous requests to
//! registries that need no auth go straight out, without probing `GET /v2/` first. A registry
//! that sends no `Docker-Content-Digest` header gets a GET of at most 4 MiB, and the digest is
//! that of its body.

use oci_client::errors::OciDistributionError;
use sisyphus_core::Digest;
use sisyphus_oci::spec::media_type;

use crate::client::oci_reference;
use crate::http::{GetError, MAX_MANIFEST_BYTES, authorization, fetch_bounded};
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
    head_manifest(client, reference).await
}

/// Asks the registry whether `reference` still exists, with one HEAD request, a digest
/// reference too (which [`resolve`] answers without asking): what a rollback checks before it
/// goes back to an image by digest. Returns the manifest's digest; for a digest reference the
/// registry must report that same digest.
///
/// # Errors
///
/// As [`resolve`]: [`Error::NotFound`] when the manifest is gone; [`Error::BadDigest`] when
/// the registry reports another digest than the one asked for.
pub async fn check(client: &Client, reference: &Reference) -> Result<Digest, Error> {
    let found = head_manifest(client, reference).await?;
    match &reference.digest {
        Some(asked) if *asked != found => Err(Error::BadDigest {
            reference: reference.to_string(),
            found: found.to_string(),
        }),
        _ => Ok(found),
    }
}

/// One HEAD of `reference`'s manifest (by tag or digest) within the client's overall deadline.
async fn head_manifest(client: &Client, reference: &Reference) -> Result<Digest, Error> {
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
    let target = oci_reference(reference);
    let shown = reference.to_string();
    let classify_here = |e| {
        classify(
            e,
            "resolve",
            &shown,
            &reference.registry,
            &reference.repository_reference(),
        )
    };
    let from_get = |e: GetError| match e {
        GetError::Oci(e) => classify_here(e),
        GetError::TooLarge { limit } => Error::BodyTooLarge {
            what: "manifest",
            reference: shown.clone(),
            registry: reference.registry.clone(),
            limit,
        },
        GetError::Fatal(e) => *e,
    };
    // None for anonymous access to a registry that has not asked for a token.
    let mut header = authorization(client, reference).await.map_err(from_get)?;
    let mut found = with_retries(|| head(client, reference, &target, header.as_deref()))
        .await
        .map_err(classify_here)?;
    if found == Head::Unauthorized && header.is_none() {
        // The registry wants a token even for anonymous pulls (Docker Hub, GHCR).
        client.set_wants_auth(&reference.registry);
        header = authorization(client, reference).await.map_err(from_get)?;
        if header.is_some() {
            found = with_retries(|| head(client, reference, &target, header.as_deref()))
                .await
                .map_err(classify_here)?;
        }
    }
    let found = match found {
        Head::Digest(digest) => digest,
        Head::Unauthorized => {
            return Err(Error::AuthenticationRequired {
                registry: reference.registry.clone(),
            });
        }
        Head::NoDigestHeader => {
            // A bounded GET and its hash (oci-client would read the body whole).
            let path = format!("manifests/{}", manifest_name(&target));
            let body = fetch_bounded(
                client,
                reference,
                &path,
                &accept(),
                MAX_MANIFEST_BYTES,
                "manifest",
                &shown,
                "resolve",
            )
            .await?;
            sisyphus_oci::sha256(&body).to_string()
        }
    };
    found.parse().map_err(|_| Error::BadDigest {
        reference: shown.clone(),
        found,
    })
}

/// What the manifest URL names: the digest when there is one, else the tag (`latest`).
fn manifest_name(target: &oci_client::Reference) -> &str {
    target.digest().or_else(|| target.tag()).unwrap_or("latest")
}

/// The manifest media types a resolve accepts.
fn accept() -> String {
    [
        media_type::OCI_MANIFEST,
        media_type::OCI_INDEX,
        media_type::DOCKER_MANIFEST,
        media_type::DOCKER_MANIFEST_LIST,
    ]
    .join(", ")
}

/// What a HEAD found.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// The `Docker-Content-Digest` header.
    Digest(String),
    /// 401: credentials or a token are needed.
    Unauthorized,
    /// 200 without a digest header.
    NoDigestHeader,
}

/// One HEAD of the manifest, with `authorization` when there is one.
async fn head(
    client: &Client,
    reference: &Reference,
    target: &oci_client::Reference,
    authorization: Option<&str>,
) -> Result<Head, OciDistributionError> {
    let (http, scheme) = client.http(reference);
    let url = format!(
        "{scheme}://{}/v2/{}/manifests/{}",
        target.resolve_registry(),
        target.repository(),
        manifest_name(target)
    );
    let mut request = http.head(&url).header("Accept", accept());
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = request.send().await?;
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
