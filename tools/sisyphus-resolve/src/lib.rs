//! The resolve stage: a [`Plan`] → the config images its Deployments and CronJobs name, each
//! pinned to a digest, pulled and loaded.
//!
//! In: a plan (from `sisyphus-load`), a registry [`Client`], a cache directory, [`Options`].
//! Out: [`ResolvedConfigs`], keyed by `config.image` *as written* in the resources, or
//! [`Errors`] listing every image that failed, each naming the resources that use it and where
//! they write it (`config.image`).
//!
//! For every distinct `config.image`: the tag is resolved to a digest (one HEAD request, on
//! every run: a tag may move; a digest reference needs no request); every distinct digest is
//! pulled once into the digest-keyed cache (`sisyphus_registry::pull_config_image`: a cached
//! digest is never downloaded again), parsed as a config image and its Starlark loaded once
//! ([`sisyphus_starlark::Config::load`]). Registry work runs at most [`Options::concurrency`]
//! at a time.
//!
//! Touches: the registries the references name, the cache directory, credential files (through
//! the client). Prints nothing. Does not depend on the render stage: the CLI turns a
//! [`ResolvedConfig`] into `sisyphus_render::ResolvedConfig` (the same fields), so the two
//! stages meet only through `sisyphus-core` and `sisyphus-starlark` types.

mod error;
mod fetch;
mod pin;
mod usage;

use std::collections::BTreeMap;
use std::path::Path;

use sisyphus_core::Digest;
use sisyphus_core::production::Plan;
use sisyphus_registry::{Client, Reference};

pub use error::{Error, Errors};
pub use usage::{User, Users};

use crate::fetch::{FetchError, Fetched};

/// How to resolve.
#[derive(Clone, Debug)]
pub struct Options {
    /// At most this many registry operations (resolves, pulls) at a time.
    pub concurrency: usize,
    /// Config images (as written) whose digest is already known: they are not resolved again
    /// but pulled by this digest (a saved change set, a rollback). A digest the registry no
    /// longer has is a pull error.
    pub pins: BTreeMap<String, Digest>,
}

impl Default for Options {
    /// 8 at a time, nothing pinned.
    fn default() -> Self {
        Options {
            concurrency: 8,
            pins: BTreeMap::new(),
        }
    }
}

pub use sisyphus_starlark::ResolvedConfig;

/// Resolved config images, by `config.image` as written in the resources.
pub type ResolvedConfigs = BTreeMap<String, ResolvedConfig>;

/// Resolve every config image the plan's Deployments and CronJobs name.
///
/// # Errors
///
/// [`Errors`] with one [`Error`] per image that could not be parsed, resolved, pulled or
/// loaded (images sharing a failing digest are one error naming all their users), and the
/// images that did resolve.
pub async fn resolve(
    plan: &Plan,
    client: &Client,
    cache_dir: &Path,
    options: &Options,
) -> Result<ResolvedConfigs, Errors> {
    let images = usage::config_images(plan);
    let (pinned, mut errors) =
        pin::pin_all(client, &images, &options.pins, options.concurrency).await;

    // One pull per digest: the first image (in name order) pinned to it names the repository.
    let mut by_digest: BTreeMap<Digest, Vec<&String>> = BTreeMap::new();
    for (image, p) in &pinned {
        by_digest.entry(p.digest.clone()).or_default().push(image);
    }
    let targets = by_digest
        .iter()
        .filter_map(|(digest, names)| {
            let first = pinned.get(*names.first()?)?;
            Some((digest.clone(), first.reference.with_digest(digest.clone())))
        })
        .collect();
    let fetched: BTreeMap<Digest, Result<Fetched, FetchError>> =
        fetch::fetch_all(client, cache_dir, targets, options.concurrency)
            .await
            .into_iter()
            .collect();

    let mut out = ResolvedConfigs::new();
    for (digest, result) in fetched {
        let names = by_digest.get(&digest).cloned().unwrap_or_default();
        match result {
            Ok(f) => {
                for name in names {
                    let Some(p) = pinned.get(name) else { continue };
                    out.insert(
                        name.clone(),
                        ResolvedConfig {
                            reference: pinned_reference(&p.reference, &digest),
                            digest: digest.clone(),
                            index: f.index.clone(),
                            config: f.config.clone(),
                        },
                    );
                }
            }
            Err(e) => errors.push(fetch_error(e, &digest, &names, &pinned, &images)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_cached_key(|e| (e.location().cloned(), e.to_string()));
        Err(Errors {
            errors,
            resolved: out,
        })
    }
}

/// `registry/repository@digest`.
fn pinned_reference(reference: &Reference, digest: &Digest) -> String {
    reference.with_digest(digest.clone()).to_string()
}

/// The error for a digest that could not be fetched, naming every resource using any image
/// pinned to it.
fn fetch_error(
    e: FetchError,
    digest: &Digest,
    names: &[&String],
    pinned: &BTreeMap<String, pin::Pinned>,
    images: &BTreeMap<String, Users>,
) -> Error {
    let image = names.first().map(|n| (*n).clone()).unwrap_or_default();
    let reference = pinned
        .get(&image)
        .map(|p| pinned_reference(&p.reference, digest))
        .unwrap_or_else(|| digest.to_string());
    let mut all: Vec<User> = names
        .iter()
        .filter_map(|n| images.get(*n))
        .flat_map(|u| u.0.iter().cloned())
        .collect();
    all.sort();
    all.dedup();
    let users = Users(all);
    let location = users.location();
    match e {
        FetchError::Pull(source) => Error::Pull {
            location,
            image,
            reference,
            users,
            source,
        },
        FetchError::Load(source) => Error::Load {
            location,
            image,
            reference,
            users,
            source,
        },
        FetchError::Task(reason) => Error::LoadTask {
            digest: digest.clone(),
            reason,
        },
    }
}
