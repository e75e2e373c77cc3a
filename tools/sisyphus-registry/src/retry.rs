//! Bounded retries with exponential backoff for transient failures (429, 5xx, connection
//! errors), and the mapping of client errors to our [`Error`] variants.

use std::future::Future;
use std::time::Duration;

use oci_client::errors::{OciDistributionError, OciErrorCode};

use crate::Error;

/// Delays before the 2nd, 3rd and 4th try: at most 4 tries, ~2.6 s of waiting in total.
const BACKOFF: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_millis(600),
    Duration::from_millis(1800),
];

/// Run `op` until it succeeds, fails permanently, or the tries run out.
pub(crate) async fn with_retries<T, F, Fut>(mut op: F) -> Result<T, OciDistributionError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, OciDistributionError>>,
{
    let mut delays = BACKOFF.iter();
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if is_transient(&e) => match delays.next() {
                Some(d) => {
                    tracing::debug!("transient registry error, retrying in {d:?}: {e}");
                    tokio::time::sleep(*d).await;
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

/// The HTTP status behind a client error, when there is one.
pub(crate) fn status(e: &OciDistributionError) -> Option<u16> {
    match e {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => Some(401),
        OciDistributionError::ImageManifestNotFoundError(_) => Some(404),
        OciDistributionError::ServerError { code, .. } => Some(*code),
        OciDistributionError::RequestError(r) => r.status().map(|s| s.as_u16()),
        OciDistributionError::RegistryError { envelope, .. } => {
            envelope.errors.first().map(|err| match err.code {
                OciErrorCode::Unauthorized => 401,
                OciErrorCode::Denied => 403,
                OciErrorCode::BlobUnknown
                | OciErrorCode::ManifestUnknown
                | OciErrorCode::NameUnknown
                | OciErrorCode::NotFound => 404,
                OciErrorCode::Toomanyrequests => 429,
                _ => 400,
            })
        }
        _ => None,
    }
}

/// A connection-level failure (refused, reset, timed out, TLS).
pub(crate) fn is_connection(e: &OciDistributionError) -> bool {
    matches!(e, OciDistributionError::RequestError(r)
        if r.status().is_none() && (r.is_connect() || r.is_timeout() || r.is_request()))
}

fn is_transient(e: &OciDistributionError) -> bool {
    is_connection(e) || status(e).is_some_and(|s| s == 429 || s >= 500)
}

/// Map a client error for `operation` on `reference` (in `repository` on `registry`).
pub(crate) fn classify(
    e: OciDistributionError,
    operation: &'static str,
    reference: &str,
    registry: &str,
    repository: &str,
) -> Error {
    match status(&e) {
        Some(401) => Error::AuthenticationRequired {
            registry: registry.to_owned(),
        },
        Some(403) => Error::Denied {
            reference: reference.to_owned(),
            registry: registry.to_owned(),
        },
        Some(404) => Error::NotFound {
            reference: reference.to_owned(),
            repository: repository.to_owned(),
        },
        _ => Error::Registry {
            operation,
            reference: reference.to_owned(),
            source: e,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn retries_transient_errors_four_times_then_gives_up() {
        let mut tries = 0;
        let result: Result<(), _> = with_retries(|| {
            tries += 1;
            async {
                Err(OciDistributionError::ServerError {
                    code: 503,
                    url: "u".into(),
                    message: "busy".into(),
                })
            }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(tries, 4);
    }

    #[tokio::test(start_paused = true)]
    async fn does_not_retry_permanent_errors() {
        let mut tries = 0;
        let result: Result<(), _> = with_retries(|| {
            tries += 1;
            async { Err(OciDistributionError::UnauthorizedError { url: "u".into() }) }
        })
        .await;
        assert!(matches!(
            classify(result.unwrap_err(), "resolve", "r", "h", "h/r"),
            Error::AuthenticationRequired { .. }
        ));
        assert_eq!(tries, 1);
    }
}
