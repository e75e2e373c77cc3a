//! Bounded GETs of manifests and blobs (issue #11, items 3 and 4): bodies are read in chunks
//! and refused past a limit (4 MiB for manifests and indexes, the descriptor's size for blobs,
//! 64 KiB kept of an error body), so an endless body cannot grow memory. oci-client reads
//! whole bodies, so it is not used for pulls at all (the token flow is [`crate::token`]).

use std::time::Duration;

use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;

use crate::client::oci_reference;
use crate::retry::{classify, with_retries};
use crate::{Client, Error, Reference};

/// The largest manifest or index body read (4 MiB, as the OCI distribution spec suggests).
pub const MAX_MANIFEST_BYTES: u64 = sisyphus_oci::config_image::MAX_MANIFEST_SIZE;

/// The most bytes of an error body kept for the message (the rest is not read).
pub(crate) const MAX_ERROR_BODY_BYTES: usize = 64 << 10;

/// The most characters of an error body shown in a message.
const SHOWN_ERROR_CHARS: usize = 300;

/// Why a bounded GET failed.
#[derive(Debug)]
pub(crate) enum GetError {
    /// The HTTP or registry error.
    Oci(OciDistributionError),
    /// The body is longer than the limit.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// An error that is final as it is (credentials, a token service's answer).
    Fatal(Box<crate::Error>),
}

impl From<OciDistributionError> for GetError {
    fn from(e: OciDistributionError) -> Self {
        GetError::Oci(e)
    }
}

impl From<reqwest::Error> for GetError {
    fn from(e: reqwest::Error) -> Self {
        GetError::Oci(OciDistributionError::RequestError(e))
    }
}

/// The `Authorization` header for pulls from `reference`'s registry: none for anonymous access
/// to a registry that has not asked for a token, else a token (or basic credentials).
pub(crate) async fn authorization(
    client: &Client,
    reference: &Reference,
) -> Result<Option<String>, GetError> {
    let (_, auth) = client
        .for_registry(reference)
        .await
        .map_err(|e| GetError::Fatal(Box::new(e)))?;
    if matches!(auth, RegistryAuth::Anonymous) && !client.wants_auth(&reference.registry) {
        return Ok(None);
    }
    crate::token::pull_authorization(client, reference).await
}

/// `Basic base64(user:password)`.
pub(crate) fn basic(user: &str, password: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4 + 6);
    out.push_str("Basic ");
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// GET `/v2/<repository>/<path>` of `reference`'s registry (`path` is `manifests/<digest>` or
/// `blobs/<digest>`), reading at most `limit` bytes of body. A 401 to an anonymous request
/// marks the registry as wanting a token and is tried once more with one.
pub(crate) async fn get(
    client: &Client,
    reference: &Reference,
    path: &str,
    accept: &str,
    limit: u64,
) -> Result<Vec<u8>, GetError> {
    let mut header = authorization(client, reference).await?;
    loop {
        match get_once(client, reference, path, accept, limit, header.as_deref()).await {
            Err(GetError::Oci(OciDistributionError::UnauthorizedError { .. }))
                if header.is_none() && !client.wants_auth(&reference.registry) =>
            {
                client.set_wants_auth(&reference.registry);
                header = authorization(client, reference).await?;
                if header.is_none() {
                    return Err(GetError::Oci(OciDistributionError::UnauthorizedError {
                        url: path.to_owned(),
                    }));
                }
            }
            other => return other,
        }
    }
}

/// [`get`] with retries, its failures as our [`Error`]s: `what` (`manifest`, `layer`) and
/// `shown` name what was read, `operation` what was being done.
#[allow(clippy::too_many_arguments)] // One call site per kind of read; a struct adds nothing.
pub(crate) async fn fetch_bounded(
    client: &Client,
    reference: &Reference,
    path: &str,
    accept: &str,
    limit: u64,
    what: &'static str,
    shown: &str,
    operation: &'static str,
) -> Result<Vec<u8>, Error> {
    // What a try found that the retry loop's error type cannot carry (a `Mutex` keeps the
    // future `Send`).
    let too_large: std::sync::Mutex<Option<u64>> = std::sync::Mutex::new(None);
    let fatal: std::sync::Mutex<Option<Box<Error>>> = std::sync::Mutex::new(None);
    let result = with_retries(|| async {
        match get(client, reference, path, accept, limit).await {
            Ok(bytes) => Ok(bytes),
            Err(GetError::Oci(e)) => Err(e),
            Err(GetError::TooLarge { limit }) => {
                keep(&too_large, limit);
                Err(OciDistributionError::GenericError(None))
            }
            Err(GetError::Fatal(e)) => {
                keep(&fatal, e);
                Err(OciDistributionError::GenericError(None))
            }
        }
    })
    .await;
    if let Some(e) = take(fatal) {
        return Err(*e);
    }
    match (result, take(too_large)) {
        (Ok(bytes), _) => Ok(bytes),
        (Err(_), Some(limit)) => Err(Error::BodyTooLarge {
            what,
            reference: shown.to_owned(),
            registry: reference.registry.clone(),
            limit,
        }),
        (Err(e), None) => Err(classify(
            e,
            operation,
            shown,
            &reference.registry,
            &reference.repository_reference(),
        )),
    }
}

/// Puts `value` in `slot`.
fn keep<T>(slot: &std::sync::Mutex<Option<T>>, value: T) {
    *slot
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(value);
}

/// What `slot` holds.
fn take<T>(slot: std::sync::Mutex<Option<T>>) -> Option<T> {
    slot.into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn get_once(
    client: &Client,
    reference: &Reference,
    path: &str,
    accept: &str,
    limit: u64,
    authorization: Option<&str>,
) -> Result<Vec<u8>, GetError> {
    let (http, scheme) = client.http(reference);
    let target = oci_reference(reference);
    let url = format!(
        "{scheme}://{}/v2/{}/{path}",
        target.resolve_registry(),
        target.repository()
    );
    let mut request = http.get(&url).header("Accept", accept);
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let mut response = request.send().await?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(GetError::Oci(OciDistributionError::UnauthorizedError {
            url,
        }));
    }
    if !status.is_success() {
        let body = read_bounded(&mut response, MAX_ERROR_BODY_BYTES as u64)
            .await
            .unwrap_or_else(|e| match e {
                // Only the start of an error body is kept.
                GetError::TooLarge { .. } | GetError::Oci(_) | GetError::Fatal(_) => Vec::new(),
            });
        return Err(GetError::Oci(OciDistributionError::ServerError {
            code: status.as_u16(),
            url,
            message: error_message(&body),
        }));
    }
    if let Some(length) = response.content_length()
        && length > limit
    {
        return Err(GetError::TooLarge { limit });
    }
    read_bounded(&mut response, limit).await
}

/// Reads the body of `response`, refusing more than `limit` bytes.
pub(crate) async fn read_bounded(
    response: &mut reqwest::Response,
    limit: u64,
) -> Result<Vec<u8>, GetError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            if limit == MAX_ERROR_BODY_BYTES as u64 {
                let room = usize::try_from(limit)
                    .unwrap_or(0)
                    .saturating_sub(body.len());
                body.extend_from_slice(&chunk[..room.min(chunk.len())]);
                return Ok(body);
            }
            return Err(GetError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The start of an error body, as one line of text without control characters.
pub(crate) fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let shown: String = text.chars().take(SHOWN_ERROR_CHARS).collect();
    let mut out = sisyphus_core::text::escape_line(&shown).into_owned();
    if text.chars().count() > SHOWN_ERROR_CHARS {
        out.push_str("...");
    }
    out
}

/// How long registry requests may take; see [`Client::with_timeouts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// To open a connection (TCP and TLS). Default 10 s.
    pub connect: Duration,
    /// Between two reads of a response. Default 30 s.
    pub read: Duration,
    /// For one whole operation (resolving a tag, pulling a config image with all its
    /// requests and retries), however the registry trickles its bytes. Default 120 s. Pushes
    /// of binary images are not bounded by it.
    pub overall: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            overall: Duration::from_secs(120),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_base64() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic("a", "b"), "Basic YTpi");
        assert_eq!(basic("ab", "c"), "Basic YWI6Yw==");
    }

    #[test]
    fn error_messages_are_short_single_lines() {
        assert_eq!(
            error_message(b"  denied\n\x1b[31mred\x07 "),
            "denied\\n\\u{1b}[31mred\\u{7}"
        );
        let long = "x".repeat(1000);
        assert_eq!(error_message(long.as_bytes()).len(), SHOWN_ERROR_CHARS + 3);
    }
}
