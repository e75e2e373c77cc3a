//! The load stage: a production folder → [`Plan`].
//!
//! Input: the monitored directory. Each immediate subfolder is a namespace holding an
//! `index.yaml` of Sisyphus YAML (`Deployment`, `CronJob`, `KubernetesYaml`, `SisyphusYaml`);
//! `global/` holds cluster-scoped objects and objects for any namespace; an optional
//! `clusters.yaml` at the root declares the cluster names resources may use.
//!
//! Output: the resources, sorted by (folder, kind, name), and a hash of every file read; or
//! every problem found, each with `file:line:column`, sorted by file and line.
//!
//! Touches only files under the monitored directory: no network, no clock, no environment, so
//! it can run as a hermetic Bazel build action. See `docs/production.md` for the format.

mod checks;
mod clusters;
mod cron;
mod diag;
mod inputs;
mod loader;
mod objects;
mod paths;
mod resource;
mod schema;
mod scope;
mod suggest;
mod yaml;

use std::path::{Path, PathBuf};

use sisyphus_core::production::{Plan, Production};

pub use diag::Diagnostic;

/// Why a production folder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The monitored directory itself could not be listed.
    #[error("failed to read the monitored directory `{}`", path.display())]
    ReadDirectory {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The folder has problems; every one is listed, sorted by file and line.
    #[error("the production folder `{}` has {} problem(s)", path.display(), diagnostics.len())]
    Invalid {
        /// The directory.
        path: PathBuf,
        /// The problems.
        diagnostics: Vec<Diagnostic>,
    },
}

/// Load the production folder `monitor_directory` into a plan.
///
/// # Errors
///
/// [`Error::ReadDirectory`] when the directory cannot be listed, [`Error::Invalid`] with every
/// problem found otherwise.
pub fn load(monitor_directory: &Path) -> Result<Plan, Error> {
    let mut loader = loader::Loader::new(monitor_directory);
    loader.load_root().map_err(|source| Error::ReadDirectory {
        path: monitor_directory.to_path_buf(),
        source,
    })?;
    let mut resources = std::mem::take(&mut loader.resources);
    checks::check_objects(&mut resources, &mut loader.diags);
    if !loader.diags.is_empty() {
        return Err(Error::Invalid {
            path: monitor_directory.to_path_buf(),
            diagnostics: std::mem::take(&mut loader.diags).into_sorted(),
        });
    }
    resources.sort_by(|a, b| (&a.folder, a.kind(), &a.name).cmp(&(&b.folder, b.kind(), &b.name)));
    Ok(Plan {
        production: Production {
            resources,
            declared_clusters: loader.clusters.map(|c| c.into_iter().collect()),
        },
        inputs_hash: loader.inputs.hash(),
    })
}
