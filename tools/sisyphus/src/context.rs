//! What a run needs, built once: the async runtime, the registry client and the cache
//! directory. Commands take a [`Context`] instead of building their own.

use std::path::PathBuf;

use anyhow::Context as _;
use sisyphus_registry::{Client, ClientConfig, CredentialSource};

use crate::commands::image::RegistryArgs;

/// Built once per run by [`crate::run`].
pub struct Context {
    runtime: std::sync::OnceLock<tokio::runtime::Runtime>,
}

impl Context {
    /// A context; the runtime starts on first use.
    pub fn new() -> Context {
        Context {
            runtime: std::sync::OnceLock::new(),
        }
    }

    /// Run `f` to completion on the runtime (a multi-threaded one, started on first use:
    /// apply works on several clusters at once).
    ///
    /// # Errors
    ///
    /// The runtime cannot be started, or whatever `f` returns.
    pub fn block_on<T>(
        &self,
        f: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let runtime = match self.runtime.get() {
            Some(runtime) => runtime,
            None => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(4)
                    .enable_all()
                    .build()
                    .context("failed to start the async runtime")?;
                self.runtime.get_or_init(|| runtime)
            }
        };
        runtime.block_on(f)
    }

    /// A registry client with credentials from the standard locations (`DOCKER_CONFIG`, `HOME`,
    /// `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`).
    pub fn registry(&self, args: &RegistryArgs) -> Client {
        registry_client(args)
    }

    /// The config image cache (see [`crate::settings::cache_dir`]).
    ///
    /// # Errors
    ///
    /// No cache directory can be found.
    pub fn cache_dir(&self) -> anyhow::Result<PathBuf> {
        crate::settings::cache_dir()
    }
}

impl Default for Context {
    fn default() -> Context {
        Context::new()
    }
}

/// A registry client with credentials from the standard locations.
pub(crate) fn registry_client(args: &RegistryArgs) -> Client {
    sisyphus_registry::install_tls_provider();
    Client::new(ClientConfig {
        insecure: args.insecure_registry.clone(),
        credentials: CredentialSource::from_env(crate::settings::var),
    })
}
