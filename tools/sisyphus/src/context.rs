//! What a run needs and how it reaches its services: the async runtime, the registry client and
//! the cache directory ([`Context`], built once per run), the state database ([`open_store`]),
//! the clusters ([`connect`], [`list_live`]) and the push lock ([`take_lock`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::Context as _;
use futures::StreamExt as _;
use sisyphus_cluster::{Cluster, Clusters};
use sisyphus_core::desired::ObjectKey;
use sisyphus_core::live::{ListScope, LiveObjects};
use sisyphus_core::report::chain;
use sisyphus_core::state::ObjectId;
use sisyphus_registry::{Client, ClientConfig, CredentialSource};
use sisyphus_state::{DatabaseUrl, Holder, PushLock, Store};

use crate::commands::args::{ClusterArgs, DatabaseArgs};
use crate::commands::image::RegistryArgs;
use crate::views::problems::Problems;

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
    .with_timeouts(crate::settings::registry_timeouts())
}

/// Open the state database named by `--database-url`, else the default SQLite file (whose path
/// is printed, and whose directory is created).
///
/// # Errors
///
/// The URL does not parse, the database cannot be reached, opened or migrated, or it was
/// written by a newer Sisyphus.
pub async fn open_store(args: &DatabaseArgs) -> anyhow::Result<Store> {
    let url = match &args.database_url {
        Some(url) => DatabaseUrl::parse(url)?,
        None => {
            let file = crate::settings::default_database_file()?;
            if let Some(dir) = file.parent() {
                fs_err::create_dir_all(dir)?;
            }
            crate::printer::status(&format!("state database: `{}`", file.display()))?;
            DatabaseUrl::sqlite_file(file)
        }
    };
    Ok(Store::open(&url).await?)
}

/// The kubeconfig files to read (`--kubeconfig`, else `$KUBECONFIG`, else `~/.kube/config`).
///
/// # Errors
///
/// None of them names a file.
pub fn kubeconfig_files(args: &ClusterArgs) -> anyhow::Result<Vec<PathBuf>> {
    let (env, home) = crate::settings::kubeconfig_env();
    Ok(sisyphus_cluster::kubeconfig_files(
        args.kubeconfig.as_deref(),
        env.as_deref(),
        home.as_deref(),
    )?)
}

/// Connect to `clusters` (no network yet); every unknown context or bad kubeconfig entry is
/// reported at once.
///
/// # Errors
///
/// [`Problems`] listing each.
pub async fn connect(
    args: &ClusterArgs,
    clusters: &BTreeSet<String>,
    shown: &str,
    outcome: &str,
) -> anyhow::Result<Clusters> {
    let files = kubeconfig_files(args)?;
    let names: Vec<String> = clusters.iter().cloned().collect();
    Clusters::connect(&files, &names).await.map_err(|errors| {
        let errors = errors
            .iter()
            .map(|e| format!("error: {}\n", chain(e)))
            .collect();
        Problems::new(errors, shown, outcome).into()
    })
}

/// Take the push lock. A lock held by a process of this host that no longer runs (killed in
/// the middle of a push) is broken at once, with a warning, instead of waiting for its lease.
pub async fn take_lock(store: &Store, holder: &Holder) -> anyhow::Result<PushLock> {
    match store.lock(holder, sisyphus_state::DEFAULT_LEASE).await {
        Ok(lock) => Ok(lock),
        Err(sisyphus_state::Error::Locked {
            host, pid, user, ..
        }) if host == holder.host && !process_alive(pid) => {
            crate::printer::warnings(&[format!(
                "the push lock was held by process {pid} of `{user}` on this host, which no \
                 longer runs: breaking it"
            )])?;
            store.unlock(holder).await?;
            Ok(store.lock(holder, sisyphus_state::DEFAULT_LEASE).await?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether process `pid` exists on this host.
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(errno) => errno != nix::errno::Errno::ESRCH,
    }
}

/// Every object of `scopes`, in full and masked (one list per scope, 8 at a time), by
/// identity: what refresh and import compare with.
///
/// # Errors
///
/// Every list that failed, as messages.
pub async fn list_live<'a>(
    clusters: &'a Clusters,
    scopes: impl IntoIterator<Item = &'a ListScope>,
) -> Result<BTreeMap<ObjectId, serde_json::Value>, Vec<String>> {
    list_each(clusters, scopes, |c, s| c.list_objects(s)).await
}

/// What diff needs of `scopes`: which objects exist, their key names for Secrets (one
/// metadata list per scope, 8 at a time), by identity.
///
/// # Errors
///
/// Every list that failed, as messages.
pub async fn list_existing<'a>(
    clusters: &'a Clusters,
    scopes: impl IntoIterator<Item = &'a ListScope>,
) -> Result<LiveObjects, Vec<String>> {
    list_each(clusters, scopes, |c, s| c.list(s)).await
}

/// Run `list` once per scope on its cluster, 8 at a time, and collect the objects by identity
/// (every failure, sorted, when any failed).
async fn list_each<'a, T, F, Fut>(
    clusters: &'a Clusters,
    scopes: impl IntoIterator<Item = &'a ListScope>,
    list: F,
) -> Result<BTreeMap<ObjectId, T>, Vec<String>>
where
    F: Fn(&'a Cluster, &'a ListScope) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<(ObjectKey, T)>, sisyphus_cluster::Error>>,
{
    let lists = scopes.into_iter().map(|s| {
        let found = clusters.get(&s.cluster).map(|c| list(c, s));
        async move {
            match found {
                Some(found) => found.await.map_err(|e| chain(&e)),
                None => Err(format!("cluster `{}` is not connected", s.cluster)),
            }
        }
    });
    let results: Vec<_> = futures::stream::iter(lists)
        .buffer_unordered(8)
        .collect()
        .await;
    let mut objects = BTreeMap::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(found) => objects.extend(found.into_iter().map(|(k, v)| (ObjectId::of(&k), v))),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(objects)
    } else {
        errors.sort();
        Err(errors)
    }
}
