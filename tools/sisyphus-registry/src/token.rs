//! The registry token flow (`GET /v2/`, then the `WWW-Authenticate` challenge's realm), done
//! here so that the token service's answer is read bounded (issue #11): oci-client reads it
//! whole. Tokens are cached per repository until shortly before they expire, basic
//! credentials for an hour (so the registry is probed once per repository).
//!
//! Used for resolving and pulling. Pushes still get their token from oci-client, which keeps
//! the credentials to fetch a new one when a long upload outlives the first.

use std::time::{Duration, Instant};

use http_auth::parser::ChallengeParser;
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use serde::Deserialize;

use crate::client::oci_reference;
use crate::http::{GetError, MAX_ERROR_BODY_BYTES, basic, error_message, read_bounded};
use crate::{Client, Reference};

/// The largest token response read (tokens are a few KiB; 1 MiB leaves room for any).
pub const MAX_TOKEN_BYTES: u64 = 1 << 20;

/// How long a token is used when its response does not say (the spec's default).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);

/// How long basic credentials are used without probing the registry again.
const BASIC_LIFETIME: Duration = Duration::from_secs(3600);

/// A token is fetched again this long before it expires.
const MARGIN: Duration = Duration::from_secs(10);

/// A token response (`token` or its OAuth2 alias `access_token`).
#[derive(Deserialize)]
struct TokenBody {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

/// The `Authorization` header for pulls from `reference`'s repository: a bearer token from
/// the registry's token service, basic credentials when the registry asks for no token, or
/// none.
pub(crate) async fn pull_authorization(
    client: &Client,
    reference: &Reference,
) -> Result<Option<String>, GetError> {
    let (_, auth) = client
        .for_registry(reference)
        .await
        .map_err(|e| GetError::Fatal(Box::new(e)))?;
    if let RegistryAuth::Bearer(token) = &auth {
        return Ok(Some(format!("Bearer {token}")));
    }
    let key = (reference.registry.clone(), reference.repository.clone());
    if let Some(header) = client.cached_token(&key) {
        return Ok(Some(header));
    }
    let (http, scheme) = client.http(reference);
    let target = oci_reference(reference);
    let url = format!("{scheme}://{}/v2/", target.resolve_registry());
    let response = http.get(&url).send().await?;
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|h| h.to_str().ok())
        .and_then(bearer_challenge);
    drop(response);
    let basic_header = match &auth {
        RegistryAuth::Basic(user, password) => Some(basic(user, password)),
        _ => None,
    };
    let Some((realm, service)) = challenge else {
        // No token service: basic credentials, when there are any, go with each request (and
        // the registry is not probed again for them).
        if let Some(header) = &basic_header {
            client.cache_token(key, header.clone(), Instant::now() + BASIC_LIFETIME);
        }
        return Ok(basic_header);
    };
    let scope = format!("repository:{}:pull", reference.repository);
    let mut query = vec![("scope", scope.as_str())];
    if let Some(service) = &service {
        query.push(("service", service));
    }
    let mut request = http.get(&realm).query(&query);
    if let Some(header) = &basic_header {
        request = request.header("Authorization", header);
    }
    let mut response = request.send().await?;
    let status = response.status();
    if !status.is_success() {
        let body = read_bounded(&mut response, MAX_ERROR_BODY_BYTES as u64)
            .await
            .unwrap_or_default();
        let message = error_message(&body);
        return Err(GetError::Oci(
            if status == reqwest::StatusCode::UNAUTHORIZED
                || status == reqwest::StatusCode::FORBIDDEN
            {
                OciDistributionError::AuthenticationFailure(message)
            } else {
                OciDistributionError::ServerError {
                    code: status.as_u16(),
                    url: realm,
                    message,
                }
            },
        ));
    }
    let body = match read_bounded(&mut response, MAX_TOKEN_BYTES).await {
        Ok(body) => body,
        Err(GetError::TooLarge { limit }) => {
            return Err(GetError::Fatal(Box::new(crate::Error::TokenTooLarge {
                registry: reference.registry.clone(),
                realm: sisyphus_core::text::escape_line(&realm).into_owned(),
                limit,
            })));
        }
        Err(e) => return Err(e),
    };
    let parsed: TokenBody = serde_json::from_slice(&body)
        .map_err(|e| OciDistributionError::RegistryTokenDecodeError(e.to_string()))?;
    let token = parsed.token.or(parsed.access_token).ok_or_else(|| {
        OciDistributionError::RegistryTokenDecodeError(
            "the token response has no `token` or `access_token`".to_owned(),
        )
    })?;
    let header = format!("Bearer {token}");
    let lifetime = parsed
        .expires_in
        .map_or(DEFAULT_LIFETIME, Duration::from_secs)
        .saturating_sub(MARGIN);
    client.cache_token(key, header.clone(), Instant::now() + lifetime);
    Ok(Some(header))
}

/// The realm and service of the first `Bearer` challenge in a `WWW-Authenticate` value.
fn bearer_challenge(value: &str) -> Option<(String, Option<String>)> {
    ChallengeParser::new(value).flatten().find_map(|c| {
        if !c.scheme.eq_ignore_ascii_case("Bearer") {
            return None;
        }
        let param = |name: &str| {
            c.params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_unescaped())
        };
        Some((param("realm")?, param("service")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_bearer_challenge() {
        assert_eq!(
            bearer_challenge(
                r#"Basic realm="x", Bearer realm="https://auth.example/token",service="registry.example""#
            ),
            Some((
                "https://auth.example/token".to_owned(),
                Some("registry.example".to_owned())
            ))
        );
        assert_eq!(bearer_challenge(r#"Basic realm="x""#), None);
        assert_eq!(bearer_challenge("Bearer service=\"no realm\""), None);
    }
}
