//! The registry client: one HTTP client per registry (plain HTTP only for loopback and
//! `--insecure-registry` hosts), credentials looked up once per registry, tokens and connections
//! reused across calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use oci_client::client::{ClientConfig as OciConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;

use crate::http::Timeouts;
use crate::{CredentialSource, Error, Reference};

/// How to reach registries.
#[derive(Clone, Debug, Default)]
pub struct ClientConfig {
    /// Registries (`host` or `host:port`) reached over plain HTTP. Loopback registries
    /// (`localhost`, `127.0.0.1`, `[::1]`) always are.
    pub insecure: Vec<String>,
    /// Where credentials come from.
    pub credentials: CredentialSource,
}

/// A registry client. Cheap to share by reference; reuse one for many calls so connections and
/// tokens are reused.
pub struct Client {
    config: ClientConfig,
    /// An async lock: credentials are looked up (files read, helpers run) while it is held, on
    /// the blocking thread pool, so concurrent calls for one registry look up once.
    per_registry: tokio::sync::Mutex<HashMap<String, (Arc<oci_client::Client>, RegistryAuth)>>,
    /// For anonymous access: plain HEAD requests, without oci-client's per-request auth probe.
    http: reqwest::Client,
    /// Registries that answered an anonymous request with 401 (they want a token flow).
    wants_auth: Mutex<std::collections::HashSet<String>>,
    /// How long requests may take.
    timeouts: Timeouts,
    /// Pull tokens by `(registry, repository)`: the `Authorization` header and its expiry.
    tokens: Mutex<HashMap<(String, String), (String, Instant)>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with `config`. Call [`crate::install_tls_provider`] first.
    pub fn new(config: ClientConfig) -> Client {
        let timeouts = Timeouts::default();
        Client {
            config,
            per_registry: tokio::sync::Mutex::new(HashMap::new()),
            http: http_client(&timeouts),
            wants_auth: Mutex::new(std::collections::HashSet::new()),
            timeouts,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// This client with other [`Timeouts`] (the defaults are 10 s to connect, 30 s between
    /// reads and 120 s for one resolve or pull). Call it before the first request.
    pub fn with_timeouts(self, timeouts: Timeouts) -> Client {
        Client {
            http: http_client(&timeouts),
            timeouts,
            per_registry: tokio::sync::Mutex::new(HashMap::new()),
            ..self
        }
    }

    /// The timeouts of this client.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Whether `reference`'s registry is reached over plain HTTP.
    pub fn is_insecure(&self, reference: &Reference) -> bool {
        reference.is_loopback()
            || self
                .config
                .insecure
                .iter()
                .any(|h| h == &reference.registry || h == reference.host())
    }

    /// The plain HTTP client, and the URL scheme for `reference`'s registry.
    pub(crate) fn http(&self, reference: &Reference) -> (&reqwest::Client, &'static str) {
        let scheme = if self.is_insecure(reference) {
            "http"
        } else {
            "https"
        };
        (&self.http, scheme)
    }

    /// Whether `registry` answered an anonymous request with 401 before.
    pub(crate) fn wants_auth(&self, registry: &str) -> bool {
        self.wants_auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(registry)
    }

    /// Remember that `registry` answered an anonymous request with 401.
    pub(crate) fn set_wants_auth(&self, registry: &str) {
        self.wants_auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(registry.to_owned());
    }

    /// The cached pull token for `key`, unless it has expired.
    pub(crate) fn cached_token(&self, key: &(String, String)) -> Option<String> {
        let tokens = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tokens
            .get(key)
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(header, _)| header.clone())
    }

    /// Cache the pull token `header` for `key` until `until`.
    pub(crate) fn cache_token(&self, key: (String, String), header: String, until: Instant) {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, (header, until));
    }

    /// The HTTP client and credentials for `reference`'s registry. The first call per registry
    /// looks the credentials up on the blocking thread pool (credential helpers are programs).
    pub(crate) async fn for_registry(
        &self,
        reference: &Reference,
    ) -> Result<(Arc<oci_client::Client>, RegistryAuth), Error> {
        let mut map = self.per_registry.lock().await;
        if let Some((c, a)) = map.get(&reference.registry) {
            return Ok((c.clone(), a.clone()));
        }
        let credentials = self.config.credentials.clone();
        let registry = reference.registry.clone();
        let auth = tokio::task::spawn_blocking(move || credentials.auth_for(&registry))
            .await
            // The lookup panicked (a broken invariant): panic here too.
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        let protocol = if self.is_insecure(reference) {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        };
        let client = Arc::new(oci_client::Client::new(OciConfig {
            protocol,
            use_monolithic_push: true,
            platform_resolver: None,
            connect_timeout: Some(self.timeouts.connect),
            read_timeout: Some(self.timeouts.read),
            ..Default::default()
        }));
        map.insert(reference.registry.clone(), (client.clone(), auth.clone()));
        Ok((client, auth))
    }
}

/// The plain HTTP client, with `timeouts`' connect and read timeouts.
fn http_client(timeouts: &Timeouts) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .build()
        .unwrap_or_default()
}

/// The oci-client reference for ours.
pub(crate) fn oci_reference(r: &Reference) -> oci_client::Reference {
    match (&r.digest, &r.tag) {
        (Some(d), _) => oci_client::Reference::with_digest(
            r.registry.clone(),
            r.repository.clone(),
            d.to_string(),
        ),
        (None, Some(t)) => {
            oci_client::Reference::with_tag(r.registry.clone(), r.repository.clone(), t.clone())
        }
        (None, None) => oci_client::Reference::with_tag(
            r.registry.clone(),
            r.repository.clone(),
            "latest".to_owned(),
        ),
    }
}
