//! Kubeconfig → one [`Cluster`] (a counted `kube::Client`) per context, and the reachability
//! check.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::Discovery;

use crate::count::{Counter, RequestCounts};
use crate::error::{Error, Errors};

/// How long [`Clusters::check`] waits for each cluster's `/version`.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// The kubeconfig files to read, the way kubectl and kube find them: `flag` (`--kubeconfig`)
/// if given; else every non-empty entry of `kubeconfig_env` (the value of `$KUBECONFIG`, a
/// path list); else `<home>/.kube/config`. The caller reads the environment and passes it in.
///
/// # Errors
///
/// [`Error::NoKubeconfig`] when none of the three names a file.
pub fn kubeconfig_files(
    flag: Option<&Path>,
    kubeconfig_env: Option<&OsStr>,
    home: Option<&Path>,
) -> Result<Vec<PathBuf>, Error> {
    if let Some(path) = flag {
        return Ok(vec![path.to_owned()]);
    }
    if let Some(value) = kubeconfig_env {
        let paths: Vec<PathBuf> = std::env::split_paths(value)
            .filter(|path| !path.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return Ok(paths);
        }
    }
    home.map(|home| vec![home.join(".kube").join("config")])
        .ok_or(Error::NoKubeconfig)
}

/// The clusters of one run, by context name.
#[derive(Clone, Debug)]
pub struct Clusters {
    clusters: BTreeMap<String, Cluster>,
}

/// One cluster: a kubeconfig context with its client, request counter and discovery cache.
/// Cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct Cluster {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) name: String,
    pub(crate) server: String,
    pub(crate) client: kube::Client,
    pub(crate) counter: Counter,
    pub(crate) discovery: tokio::sync::Mutex<Option<Arc<Discovery>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("name", &self.name)
            .field("server", &self.server)
            .field("requests", &self.counter.counts())
            .finish_non_exhaustive()
    }
}

impl Clusters {
    /// Reads and merges the kubeconfig `files` (the first file to define a name wins, as
    /// kubectl does) and builds one client per context in `contexts`, without any network I/O.
    ///
    /// # Errors
    ///
    /// Every problem at once: unreadable files; each unknown context (naming the files and
    /// the known contexts); contexts naming an undefined cluster or user; server URLs and
    /// credential files that cannot be loaded.
    pub async fn connect(files: &[PathBuf], contexts: &[String]) -> Result<Clusters, Errors> {
        install_crypto_provider();
        let (kubeconfig, mut errors) = read_kubeconfigs(files);
        let files_text = quoted_list(files.iter().map(|path| path.display().to_string()));
        let mut clusters = BTreeMap::new();
        let Some(kubeconfig) = kubeconfig else {
            return Err(Errors(errors));
        };
        for context in contexts {
            if clusters.contains_key(context) {
                continue;
            }
            match connect_one(&kubeconfig, context, &files_text).await {
                Ok(cluster) => {
                    clusters.insert(context.clone(), cluster);
                }
                Err(error) => errors.push(error),
            }
        }
        Errors(errors).into_result()?;
        Ok(Clusters { clusters })
    }

    /// Contacts every cluster at once (`GET /version`), each within [`DEFAULT_CHECK_TIMEOUT`].
    ///
    /// # Errors
    ///
    /// Every unreachable cluster, with its server URL and the cause.
    pub async fn check(&self) -> Result<(), Errors> {
        self.check_within(DEFAULT_CHECK_TIMEOUT).await
    }

    /// [`Clusters::check`] with a timeout per cluster.
    ///
    /// # Errors
    ///
    /// As [`Clusters::check`].
    pub async fn check_within(&self, timeout: Duration) -> Result<(), Errors> {
        let checks = self.clusters.values().map(|cluster| cluster.check(timeout));
        let errors = futures::future::join_all(checks)
            .await
            .into_iter()
            .filter_map(Result::err)
            .collect();
        Errors(errors).into_result()
    }

    /// The cluster of `context`, if it was connected.
    pub fn get(&self, context: &str) -> Option<&Cluster> {
        self.clusters.get(context)
    }

    /// The clusters, by context name.
    pub fn iter(&self) -> impl Iterator<Item = &Cluster> {
        self.clusters.values()
    }

    /// The requests sent to all clusters so far.
    pub fn requests(&self) -> RequestCounts {
        self.clusters.values().map(Cluster::requests).fold(
            RequestCounts::default(),
            |sum, counts| RequestCounts {
                reads: sum.reads + counts.reads,
                writes: sum.writes + counts.writes,
                dry_runs: sum.dry_runs + counts.dry_runs,
            },
        )
    }

    /// The context names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.clusters.keys().map(String::as_str)
    }
}

impl Cluster {
    /// The context name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The server URL from the kubeconfig.
    pub fn server(&self) -> &str {
        &self.inner.server
    }

    /// The client (counted like every other request of this cluster), for what this crate
    /// does not cover.
    pub fn client(&self) -> &kube::Client {
        &self.inner.client
    }

    /// The requests sent to this cluster so far.
    pub fn requests(&self) -> RequestCounts {
        self.inner.counter.counts()
    }

    /// `GET /version` within `timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::Unreachable`] or [`Error::CheckTimeout`].
    pub async fn check(&self, timeout: Duration) -> Result<(), Error> {
        match tokio::time::timeout(timeout, self.inner.client.apiserver_version()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(source)) => Err(Error::Unreachable {
                cluster: self.name().to_owned(),
                server: self.server().to_owned(),
                source,
            }),
            Err(_) => Err(Error::CheckTimeout {
                cluster: self.name().to_owned(),
                server: self.server().to_owned(),
                timeout,
            }),
        }
    }
}

/// Reads and merges `files`; the merged kubeconfig (if any file was read) and every failure.
fn read_kubeconfigs(files: &[PathBuf]) -> (Option<Kubeconfig>, Vec<Error>) {
    let mut errors = Vec::new();
    if files.is_empty() {
        return (None, vec![Error::NoKubeconfig]);
    }
    let mut merged: Option<Kubeconfig> = None;
    for path in files {
        let read = Kubeconfig::read_from(path).and_then(|config| match merged.take() {
            None => Ok(config),
            Some(earlier) => earlier.merge(config),
        });
        match read {
            Ok(config) => merged = Some(config),
            Err(source) => errors.push(Error::ReadKubeconfig {
                path: path.clone(),
                source,
            }),
        }
    }
    if !errors.is_empty() {
        return (None, errors);
    }
    (merged, errors)
}

/// The client for `context`, after checking the context, its cluster and its user exist.
async fn connect_one(
    kubeconfig: &Kubeconfig,
    context: &str,
    files: &str,
) -> Result<Cluster, Error> {
    let Some(entry) = kubeconfig
        .contexts
        .iter()
        .find(|named| named.name == context)
        .and_then(|named| named.context.as_ref())
    else {
        return Err(Error::UnknownContext {
            context: context.to_owned(),
            files: files.to_owned(),
            known: known_contexts(kubeconfig),
        });
    };
    if !kubeconfig
        .clusters
        .iter()
        .any(|named| named.name == entry.cluster)
    {
        return Err(Error::MissingEntry {
            context: context.to_owned(),
            entry: "cluster",
            name: entry.cluster.clone(),
            files: files.to_owned(),
        });
    }
    if let Some(user) = &entry.user
        && !kubeconfig
            .auth_infos
            .iter()
            .any(|named| &named.name == user)
    {
        return Err(Error::MissingEntry {
            context: context.to_owned(),
            entry: "user",
            name: user.clone(),
            files: files.to_owned(),
        });
    }
    let options = KubeConfigOptions {
        context: Some(context.to_owned()),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
        .await
        .map_err(|source| Error::LoadContext {
            context: context.to_owned(),
            files: files.to_owned(),
            source,
        })?;
    let server = config.cluster_url.to_string();
    let server = server.strip_suffix('/').unwrap_or(&server).to_owned();
    let counter = Counter::default();
    let client = ClientBuilder::try_from(config)
        .map_err(|source| Error::Client {
            context: context.to_owned(),
            files: files.to_owned(),
            source,
        })?
        .with_layer(&counter)
        .build();
    Ok(Cluster {
        inner: Arc::new(Inner {
            name: context.to_owned(),
            server,
            client,
            counter,
            discovery: tokio::sync::Mutex::new(None),
        }),
    })
}

fn known_contexts(kubeconfig: &Kubeconfig) -> String {
    let mut names: Vec<String> = kubeconfig
        .contexts
        .iter()
        .map(|named| named.name.clone())
        .collect();
    names.sort();
    if names.is_empty() {
        "none".to_owned()
    } else {
        quoted_list(names)
    }
}

fn quoted_list(items: impl IntoIterator<Item = String>) -> String {
    items
        .into_iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Installs rustls' ring provider as the process default once (kube's client needs one; a
/// second provider compiled in by another dependency would otherwise make it ambiguous).
fn install_crypto_provider() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Err means a provider is already installed, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_files_prefer_the_flag_then_the_env_list_then_home() {
        let flag = Path::new("/a/config");
        let home = Path::new("/home/u");
        let env = std::env::join_paths(["/x", "", "/y"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            kubeconfig_files(Some(flag), Some(&env), Some(home)).ok(),
            Some(vec![PathBuf::from("/a/config")])
        );
        assert_eq!(
            kubeconfig_files(None, Some(&env), Some(home)).ok(),
            Some(vec![PathBuf::from("/x"), PathBuf::from("/y")])
        );
        assert_eq!(
            kubeconfig_files(None, Some(OsStr::new("")), Some(home)).ok(),
            Some(vec![PathBuf::from("/home/u/.kube/config")])
        );
        assert!(matches!(
            kubeconfig_files(None, None, None),
            Err(Error::NoKubeconfig)
        ));
    }
}
