//! Digest → loaded config: each distinct digest is pulled once (from the cache when it is
//! there: the cache is keyed by digest, so a cached image is never downloaded again), parsed as
//! a config image and its Starlark loaded once.

use std::path::Path;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt as _};
use sisyphus_core::Digest;
use sisyphus_core::config_image::ConfigIndex;
use sisyphus_registry::{Client, Reference};
use sisyphus_starlark::{Config, MemoryFiles};

/// A pulled and loaded config image.
pub(crate) struct Fetched {
    /// Its `index.json`.
    pub index: ConfigIndex,
    /// Its loaded Starlark.
    pub config: Arc<Config>,
}

/// Why a digest could not be fetched.
pub(crate) enum FetchError {
    /// Pulling (or reading the cache) failed, or the image is not a valid config image.
    Pull(sisyphus_registry::Error),
    /// The Starlark does not load.
    Load(sisyphus_starlark::Error),
    /// The loading task panicked or was cancelled.
    Task(String),
}

/// Pull and load each of `targets` (pinned references, one per distinct digest), at most
/// `concurrency` at a time.
pub(crate) async fn fetch_all(
    client: &Client,
    cache_dir: &Path,
    targets: Vec<(Digest, Reference)>,
    concurrency: usize,
) -> Vec<(Digest, Result<Fetched, FetchError>)> {
    stream::iter(targets)
        .map(|(digest, pinned)| async move {
            let fetched = fetch(client, cache_dir, &pinned).await;
            (digest, fetched)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

async fn fetch(
    client: &Client,
    cache_dir: &Path,
    pinned: &Reference,
) -> Result<Fetched, FetchError> {
    let (_, image) = sisyphus_registry::pull_config_image(client, pinned, cache_dir)
        .await
        .map_err(FetchError::Pull)?;
    let entrypoint = image.entrypoint().to_owned();
    let index = image.index;
    let files = MemoryFiles(image.files);
    // Loading evaluates every module once: CPU work, kept off the async threads.
    let config = tokio::task::spawn_blocking(move || Config::load(&files, &entrypoint))
        .await
        .map_err(|e| FetchError::Task(e.to_string()))?
        .map_err(FetchError::Load)?;
    Ok(Fetched {
        index,
        config: Arc::new(config),
    })
}
