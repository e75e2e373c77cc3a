//! OCI registry client: push image layouts, resolve tags to digests, pull config images into a
//! content-addressed cache.
//!
//! In: [`Reference`]s, image layout directories, a [`ClientConfig`] (insecure registries and a
//! [`CredentialSource`] the CLI builds from its environment), a cache directory. Out: digests
//! and validated [`ConfigImage`](sisyphus_oci::ConfigImage)s. Touches the network (registries
//! named by references), the cache directory, the credential files it is given, and
//! `docker-credential-*` helper programs (which `docker_credential` finds on the process
//! `PATH`). Reads no environment variables itself.

mod auth;
mod client;
mod error;
mod http;
mod pull;
mod push;
mod resolve;
mod retry;
mod token;

pub use auth::CredentialSource;
pub use client::{Client, ClientConfig};
pub use error::Error;
pub use http::{MAX_MANIFEST_BYTES, Timeouts};
pub use pull::{cache_entry, pull_config_image};
pub use push::{PushEvent, push_layout};
pub use resolve::{check, resolve};
pub use sisyphus_oci::reference::{Reference, ReferenceError};
pub use token::MAX_TOKEN_BYTES;

/// Install the ring TLS provider for rustls (once per process; later calls are no-ops). Call it
/// at the start of `main` and of tests: reqwest is built without a default provider.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
