//! A real Kubernetes cluster for tests where Pods run: etcd, kube-apiserver,
//! kube-controller-manager and kube-scheduler v1.35, started by `kube-testenv up` (built from
//! the official Go modules in `testing/kube`), plus KWOK (`testing/kwok`, the Kubernetes SIG's
//! node simulator) playing the kubelet of three fake nodes with the stages in
//! `testing/kwok/stages.yaml`: scheduled Pods become Running and Ready, Job Pods then Succeed,
//! and Pods labelled `sisyphus.test/never-ready: "true"` run but never become Ready.
//!
//! Owns one `kube-testenv` process per cluster and its directory under the temp dir (etcd
//! data, PKI, kubeconfigs, logs). Talks HTTPS to the cluster on 127.0.0.1 only.
//!
//! # Lifetime
//!
//! [`KubeCluster::shared`] starts one cluster per context name per test binary and keeps it
//! in a `static`, so all tests of the binary share it and pay the start-up (about 5 s) once.
//! A `static` is never dropped; instead `kube-testenv` reads its stdin, a pipe whose write
//! end this process holds. When the test binary exits (normally, by panic or by SIGKILL) the
//! kernel closes the pipe, `kube-testenv` sees end-of-file, stops KWOK, kube-scheduler,
//! kube-controller-manager, kube-apiserver and etcd, and deletes its directory. Its children
//! also get SIGKILL if it dies itself (Linux parent-death signal). [`KubeCluster::start`] gives
//! a cluster of your own that is stopped on drop.
//!
//! Tests should isolate themselves with [`KubeCluster::test_namespace`] rather than rely on
//! an empty cluster.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::error::report;
use crate::{process, require};

/// Environment variable naming the `kube-testenv` binary (default:
/// `<workspace>/target/kube-testenv/kube-testenv`, where `testing/kube/build.sh` puts it). A
/// relative path is taken from the workspace root.
pub const BINARY_ENV: &str = "SISYPHUS_KUBE_TESTENV";
/// The command that builds the binary, shown when it is missing.
pub const BUILD_COMMAND: &str = "testing/kube/build.sh";
/// Environment variable naming the `kwok` binary (default: `<workspace>/target/kwok/kwok`,
/// where `testing/kwok/build.sh` puts it). A relative path is taken from the workspace root.
pub const KWOK_ENV: &str = "SISYPHUS_KWOK";
/// The command that builds the `kwok` binary, shown when it is missing.
pub const KWOK_BUILD_COMMAND: &str = "testing/kwok/build.sh";
/// KWOK's stages, relative to the workspace root.
pub const KWOK_STAGES: &str = "testing/kwok/stages.yaml";
/// The label that keeps a Pod from ever becoming Ready (KWOK's `pod-never-ready` stage).
pub const NEVER_READY_LABEL: &str = "sisyphus.test/never-ready";
/// How long `kube-testenv up` may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(150);
/// How long a stopped cluster may take to exit before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(20);
/// How long a cluster that failed to start may take to shut down before it is killed.
const NOT_READY_GRACE: Duration = Duration::from_secs(5);
/// Lines of log shown in errors.
const TAIL_LINES: usize = 40;

/// Failures of starting a cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cluster directory could not be created.
    #[error("failed to create a directory for cluster `{context}`")]
    TempDir {
        /// Context name.
        context: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// `kube-testenv` could not be started or supervised.
    #[error("failed to run `{program}` for cluster `{context}`")]
    Spawn {
        /// Context name.
        context: String,
        /// Binary path.
        program: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// `kube-testenv` exited or timed out before printing its ready line.
    #[error("cluster `{context}` did not start ({reason}); logs in `{dir}`, last lines:\n{tail}")]
    NotReady {
        /// Context name.
        context: String,
        /// What happened (exit status or timeout).
        reason: String,
        /// Cluster directory (kept by `kube-testenv` when start-up fails).
        dir: PathBuf,
        /// Last lines of `kube-testenv`'s own log, which embeds the failing component's tail.
        tail: String,
    },
    /// The ready line was not the JSON object `kube-testenv` promises.
    #[error("failed to parse the ready line of cluster `{context}`: `{line}`")]
    ReadyLine {
        /// Context name.
        context: String,
        /// The line as printed.
        line: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
    /// A kubeconfig could not be read or merged.
    #[error("failed to read kubeconfig `{path}`")]
    Kubeconfig {
        /// File path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// A kubeconfig could not be written.
    #[error("failed to write kubeconfig `{path}`")]
    WriteKubeconfig {
        /// File path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A kubeconfig could not be serialized.
    #[error("failed to serialize the merged kubeconfig for `{path}`")]
    SerializeKubeconfig {
        /// File path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: serde_saphyr::ser::Error,
    },
}

/// The line `kube-testenv up` prints on stdout once the cluster serves requests.
#[derive(Debug, serde::Deserialize)]
struct Ready {
    name: String,
    kubeconfig: PathBuf,
    server: String,
    version: String,
    /// The KWOK nodes, all Ready.
    #[serde(default)]
    nodes: Vec<String>,
}

/// A running cluster: one kubeconfig context with its own etcd, kube-apiserver,
/// kube-controller-manager (namespace, garbage-collector, service-account, deployment,
/// replicaset, statefulset, daemonset, job, cronjob controllers), kube-scheduler and KWOK with
/// three Ready fake nodes. The admin user is in `system:masters`.
#[derive(Debug)]
pub struct KubeCluster {
    context: String,
    server: String,
    version: String,
    kubeconfig: PathBuf,
    nodes: Vec<String>,
    dir: PathBuf,
    pid: u32,
    /// The write end of `kube-testenv`'s stdin; closing it stops the cluster.
    stdin: Mutex<Option<ChildStdin>>,
    child: Mutex<Child>,
}

/// Shared clusters by context name; a failed start is remembered so later tests fail fast.
type Shared = Mutex<HashMap<String, &'static OnceLock<Result<KubeCluster, String>>>>;
static SHARED: OnceLock<Shared> = OnceLock::new();

impl KubeCluster {
    /// The cluster for `context` shared by all tests of this test binary, started on first use.
    ///
    /// # Panics
    ///
    /// When the `kube-testenv` binary is missing (naming [`BUILD_COMMAND`]) or the cluster
    /// does not start (with the log tail). Every later call for the same context panics
    /// with the same message instead of starting again.
    pub fn shared(context: &str) -> &'static KubeCluster {
        let cell = {
            let mut map = SHARED
                .get_or_init(Mutex::default)
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *map.entry(context.to_owned())
                .or_insert_with(|| Box::leak(Box::new(OnceLock::new())))
        };
        // Started outside the map lock, so clusters of different contexts start in parallel.
        let started = cell.get_or_init(|| {
            let (binary, kwok) = (binary(), kwok_binary());
            Self::try_start(&binary, &kwok, context).map_err(|error| report(&error))
        });
        match started {
            Ok(cluster) => cluster,
            Err(message) => panic!("{message}"),
        }
    }

    /// Starts a cluster of your own, stopped (and its directory deleted) on drop.
    ///
    /// # Panics
    ///
    /// As [`KubeCluster::shared`].
    pub fn start(context: &str) -> KubeCluster {
        Self::try_start(&binary(), &kwok_binary(), context)
            .unwrap_or_else(|error| panic!("{}", report(&error)))
    }

    /// Runs `binary up --name <context> --dir <temp dir> --kwok <kwok> --kwok-config
    /// <KWOK_STAGES>` and waits for its ready line.
    ///
    /// # Errors
    ///
    /// [`Error`] when the process cannot be started, exits, times out or prints garbage.
    pub fn try_start(binary: &Path, kwok: &Path, context: &str) -> Result<KubeCluster, Error> {
        let stages = workspace_root().join(KWOK_STAGES);
        start_in(
            binary,
            Some((kwok, &stages)),
            context,
            &std::env::temp_dir(),
        )
    }

    /// The kubeconfig context name (also the cluster and user name in the kubeconfig).
    pub fn context(&self) -> &str {
        &self.context
    }

    /// `https://127.0.0.1:<port>`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The Kubernetes version the API server reports (`v1.35.4`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The kubeconfig with this cluster's context (CA embedded, admin bearer token).
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The names of the KWOK nodes (all Ready when the cluster started).
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }

    /// The directory with `apiserver.log`, `controller-manager.log`, `scheduler.log`,
    /// `kwok.log`, `etcd.log` and `testenv.log` (deleted when the cluster stops).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Process id of `kube-testenv up` (its children are kube-apiserver,
    /// kube-controller-manager, kube-scheduler and KWOK).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The last `lines` lines of the apiserver log, for failure messages.
    pub fn apiserver_log_tail(&self, lines: usize) -> String {
        process::tail(&process::read_log(&self.dir.join("apiserver.log")), lines)
    }

    /// A client for this cluster, authenticated as the admin user.
    ///
    /// # Panics
    ///
    /// When the kubeconfig cannot be read or the client cannot be built.
    pub async fn client(&self) -> kube::Client {
        client_for(&self.kubeconfig, &self.context).await
    }

    /// Creates a namespace named `<prefix>-<unique suffix>` and returns its name.
    ///
    /// `prefix` is lowercased, characters other than `[a-z0-9-]` become `-`, and it is cut to
    /// 40 characters, so the name is a valid DNS-1123 label.
    ///
    /// # Panics
    ///
    /// When the namespace cannot be created.
    pub async fn test_namespace(&self, prefix: &str) -> String {
        let name = unique_name(prefix);
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(
                    [("sisyphus.test/fixture".to_owned(), "true".to_owned())]
                        .into_iter()
                        .collect(),
                ),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        let api: Api<Namespace> = Api::all(self.client().await);
        if let Err(error) = api.create(&PostParams::default(), &namespace).await {
            panic!(
                "failed to create namespace `{name}` in cluster `{}`: {}",
                self.context,
                report(&error)
            );
        }
        name
    }

    /// Stops the cluster: closes `kube-testenv`'s stdin, waits for it to shut down its
    /// components and delete its directory, and kills it after a grace period.
    fn stop(&self) {
        drop(
            self.stdin
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        stop_child(&mut child, STOP_GRACE);
    }
}

/// Waits up to `grace` for `child` (whose stdin is already closed) to exit, then kills it.
/// A failed `try_wait` also ends in the kill, so nothing is left running.
fn stop_child(child: &mut Child, grace: Duration) {
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(_)) => return,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for KubeCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts a cluster whose directory is created in `base`, with KWOK when `kwok` names its binary
/// and stages file; see [`KubeCluster::try_start`].
fn start_in(
    binary: &Path,
    kwok: Option<(&Path, &Path)>,
    context: &str,
    base: &Path,
) -> Result<KubeCluster, Error> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("sisyphus-kube-{context}-"))
        .tempdir_in(base)
        .map_err(|source| Error::TempDir {
            context: context.to_owned(),
            source,
        })?
        // kube-testenv deletes it on a clean shutdown and keeps it when start-up fails.
        .keep();
    let log = dir.join("testenv.log");
    let spawn_error = |source| Error::Spawn {
        context: context.to_owned(),
        program: binary.to_owned(),
        source,
    };
    let stderr = fs_err::File::create(&log).map_err(spawn_error)?.into_file();
    let mut command = Command::new(binary);
    command
        .arg("up")
        .arg("--name")
        .arg(context)
        .arg("--dir")
        .arg(&dir);
    if let Some((kwok, stages)) = kwok {
        command
            .arg("--kwok")
            .arg(kwok)
            .arg("--kwok-config")
            .arg(stages);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .spawn()
        .map_err(spawn_error)?;
    let mut stdin = child.stdin.take();
    let not_ready = |child: &mut Child, stdin: &mut Option<ChildStdin>, reason: String| {
        // Closing stdin asks kube-testenv to shut down cleanly (etcd included); it is killed
        // only if it does not exit in time.
        drop(stdin.take());
        stop_child(child, NOT_READY_GRACE);
        Error::NotReady {
            context: context.to_owned(),
            reason,
            dir: dir.clone(),
            tail: process::tail(&process::read_log(&log), TAIL_LINES),
        }
    };
    let line = match wait_for_ready_line(&mut child) {
        Ok(line) => line,
        Err(reason) => return Err(not_ready(&mut child, &mut stdin, reason)),
    };
    let ready: Ready = match serde_json::from_str(line.trim()) {
        Ok(ready) => ready,
        Err(source) => {
            let _ = not_ready(&mut child, &mut stdin, String::new());
            return Err(Error::ReadyLine {
                context: context.to_owned(),
                line: line.trim().to_owned(),
                source,
            });
        }
    };
    Ok(KubeCluster {
        context: ready.name,
        server: ready.server,
        version: ready.version,
        kubeconfig: ready.kubeconfig,
        nodes: ready.nodes,
        dir,
        pid: child.id(),
        stdin: Mutex::new(stdin),
        child: Mutex::new(child),
    })
}

/// The first line `child` prints on stdout (its ready line), or why there is none: it exited
/// (with its status) or printed nothing for [`READY_TIMEOUT`]. Its stdout keeps being drained
/// afterwards, so it never writes into a closed pipe.
fn wait_for_ready_line(child: &mut Child) -> Result<String, String> {
    let Some(stdout) = child.stdout.take() else {
        return Err("no stdout pipe".to_owned());
    };
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = sender.send(reader.read_line(&mut line).map(|_| line));
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    match lines.recv_timeout(READY_TIMEOUT) {
        Ok(Ok(line)) if !line.is_empty() => Ok(line),
        Ok(Ok(_)) | Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            // stdout closed: it exited (or is exiting); report how.
            let deadline = Instant::now() + Duration::from_secs(10);
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break status.to_string(),
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Ok(None) => break "closed stdout".to_owned(),
                    Err(error) => break error.to_string(),
                }
            };
            Err(format!("kube-testenv {status}"))
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(format!("no ready line after {READY_TIMEOUT:?}"))
        }
    }
}

/// Writes one kubeconfig with the contexts of all `clusters` (the first is the current
/// context) and returns its path. The file lives in the first cluster's directory.
///
/// # Panics
///
/// When `clusters` is empty or a kubeconfig cannot be read or written.
pub fn merged_kubeconfig(clusters: &[&KubeCluster]) -> PathBuf {
    try_merged_kubeconfig(clusters).unwrap_or_else(|error| panic!("{}", report(&error)))
}

/// As [`merged_kubeconfig`], returning errors.
///
/// # Errors
///
/// [`Error::Kubeconfig`] when a kubeconfig cannot be read or merged,
/// [`Error::SerializeKubeconfig`] and [`Error::WriteKubeconfig`] when the result cannot be
/// written.
///
/// # Panics
///
/// When `clusters` is empty.
pub fn try_merged_kubeconfig(clusters: &[&KubeCluster]) -> Result<PathBuf, Error> {
    let Some(first) = clusters.first() else {
        panic!("merged_kubeconfig needs at least one cluster");
    };
    let names: Vec<&str> = clusters.iter().map(|c| c.context()).collect();
    let path = first
        .dir()
        .join(format!("merged-{}.kubeconfig", names.join("-")));
    let mut merged: Option<Kubeconfig> = None;
    for cluster in clusters {
        let read_error = |source| Error::Kubeconfig {
            path: cluster.kubeconfig().to_owned(),
            source,
        };
        let config = Kubeconfig::read_from(cluster.kubeconfig()).map_err(read_error)?;
        merged = Some(match merged {
            None => config,
            Some(merged) => merged.merge(config).map_err(read_error)?,
        });
    }
    let yaml = serde_saphyr::to_string(&merged).map_err(|source| Error::SerializeKubeconfig {
        path: path.clone(),
        source,
    })?;
    // A temporary name of this call's own: tests of one binary merge the same clusters at once.
    let tmp = first.dir().join(format!("{}.tmp", unique_name("merged")));
    fs_err::write(&tmp, yaml)
        .and_then(|()| fs_err::rename(&tmp, &path))
        .map_err(|source| Error::WriteKubeconfig {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

/// A client for `context` in the kubeconfig at `path`.
///
/// # Panics
///
/// When the kubeconfig cannot be read, has no such context, or the client cannot be built.
pub async fn client_for(path: &Path, context: &str) -> kube::Client {
    install_crypto_provider();
    let fail = |what: &str, error: &dyn std::error::Error| -> ! {
        panic!(
            "failed to {what} for context `{context}` from `{}`: {}",
            path.display(),
            report(error)
        )
    };
    let kubeconfig = Kubeconfig::read_from(path).unwrap_or_else(|e| fail("read kubeconfig", &e));
    let options = KubeConfigOptions {
        context: Some(context.to_owned()),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap_or_else(|e| fail("load kubeconfig", &e));
    kube::Client::try_from(config).unwrap_or_else(|e| fail("build a client", &e))
}

/// Installs rustls' ring provider as the process default (once; later calls are no-ops), so
/// clients work even when another dependency compiles in a second provider.
pub fn install_crypto_provider() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Err means a provider is already installed, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The `kube-testenv` binary: `$SISYPHUS_KUBE_TESTENV` or the workspace default.
///
/// # Panics
///
/// When it is not an executable file, naming [`BUILD_COMMAND`] (see [`require::missing`]).
pub fn binary() -> PathBuf {
    let path = std::env::var_os(BINARY_ENV)
        .map(PathBuf::from)
        .map(|path| workspace_root().join(path))
        .unwrap_or_else(default_binary);
    require::first_binary(
        &format!("`kube-testenv` (looked for `{}`)", path.display()),
        std::slice::from_ref(&path),
        BUILD_COMMAND,
    )
}

/// The `kwok` binary: `$SISYPHUS_KWOK` or `<workspace>/target/kwok/kwok`.
///
/// # Panics
///
/// When it is not an executable file, naming [`KWOK_BUILD_COMMAND`] (see [`require::missing`]).
pub fn kwok_binary() -> PathBuf {
    let path = std::env::var_os(KWOK_ENV)
        .map(PathBuf::from)
        .map(|path| workspace_root().join(path))
        .unwrap_or_else(|| workspace_root().join("target/kwok/kwok"));
    require::first_binary(
        &format!("`kwok` (looked for `{}`)", path.display()),
        std::slice::from_ref(&path),
        KWOK_BUILD_COMMAND,
    )
}

/// `<workspace>/target/kube-testenv/kube-testenv`, where `testing/kube/build.sh` puts it.
fn default_binary() -> PathBuf {
    workspace_root().join("target/kube-testenv/kube-testenv")
}

/// The workspace root, which a relative [`BINARY_ENV`] is taken from (as `build.sh` does; a
/// test's own working directory is its crate's directory).
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // tools/sisyphus-test-support → the workspace root.
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .to_owned()
}

/// `<prefix>-<pid>-<counter>` as a DNS-1123 label.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let mut clean: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    clean = clean.trim_matches('-').to_owned();
    if clean.is_empty() {
        clean.push_str("test");
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{clean}-{}-{n}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_are_dns_labels() {
        let a = unique_name("Deploy_Test!");
        let b = unique_name("Deploy_Test!");
        assert_ne!(a, b);
        for name in [a, b, unique_name("--"), unique_name(&"x".repeat(80))] {
            assert!(name.len() <= 63, "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
            assert!(!name.starts_with('-') && !name.ends_with('-'), "{name}");
        }
        assert!(unique_name("Deploy_Test!").starts_with("deploy-test-"));
    }

    #[test]
    fn default_binary_is_in_the_workspace_target_dir() {
        let path = default_binary();
        assert!(
            path.ends_with("target/kube-testenv/kube-testenv"),
            "{}",
            path.display()
        );
        assert!(!path.to_string_lossy().contains(".."), "{}", path.display());
    }

    #[test]
    fn a_missing_binary_names_the_build_command() {
        let missing = Path::new("/nonexistent/kube-testenv");
        let result = std::panic::catch_unwind(|| {
            require::first_binary("`kube-testenv`", &[missing.to_owned()], BUILD_COMMAND)
        });
        let payload = result.err().unwrap_or_else(|| Box::new(()));
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("`testing/kube/build.sh`"), "{message}");
    }

    #[test]
    fn a_binary_that_exits_reports_its_output() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let fake = dir.path().join("fake-testenv");
        fs_err::write(&fake, "#!/bin/sh\necho 'etcd: boom' >&2\nexit 3\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut perms = fs_err::metadata(&fake)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        fs_err::set_permissions(&fake, perms).unwrap_or_else(|e| panic!("{e}"));
        let error = start_in(&fake, None, "bad", dir.path())
            .err()
            .map(|e| report(&e))
            .unwrap_or_default();
        assert!(error.contains("cluster `bad` did not start"), "{error}");
        assert!(error.contains("exit status: 3"), "{error}");
        assert!(error.contains("  etcd: boom"), "{error}");
    }

    #[test]
    fn a_garbage_ready_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let fake = dir.path().join("fake-testenv");
        // Waits for its stdin to close, as kube-testenv does, then says so.
        fs_err::write(
            &fake,
            "#!/bin/sh\necho 'not json'\ncat\necho stopped-cleanly >&2\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut perms = fs_err::metadata(&fake)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        fs_err::set_permissions(&fake, perms).unwrap_or_else(|e| panic!("{e}"));
        let error = start_in(&fake, None, "garbage", dir.path())
            .err()
            .map(|e| report(&e))
            .unwrap_or_default();
        assert!(
            error.contains("failed to parse the ready line of cluster `garbage`: `not json`"),
            "{error}"
        );
        // It was stopped by closing its stdin, not killed.
        let logs: Vec<String> = fs_err::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(Result::ok)
            .map(|entry| process::read_log(&entry.path().join("testenv.log")))
            .collect();
        assert!(
            logs.iter().any(|log| log.contains("stopped-cleanly")),
            "{logs:?}"
        );
    }
}
