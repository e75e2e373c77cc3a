//! The real test ground for `diff` and `push`: two shared clusters (`east`, `west`), a registry
//! per test holding the example config images, a state database per test (SQLite file, or a
//! database on a PostgreSQL or MariaDB server shared by the tests that run at the same time),
//! and a copy of the example production folder whose namespace folder is renamed per test so
//! tests sharing the clusters never touch each other's objects.
//!
//! Servers are held through a `Weak` in a static (never a fixture in a static: statics are never
//! dropped, and a server outliving the test binary would leak); the clusters are
//! `KubeCluster::shared`, which stop when the test binary exits.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service, ServiceAccount};
use kube::api::{Api, ListParams};
use serde_json::Value;
use sisyphus_state::{DatabaseUrl, Store};
use sisyphus_test_support::kube::{KubeCluster, client_for, merged_kubeconfig};
use sisyphus_test_support::{MariaDb, Postgres, Registry};
use sqlx::Row as _;

use crate::common::{repo_root, sisyphus};

pub use crate::common::BINARY;
/// The two clusters (kubeconfig contexts).
pub const EAST: &str = "east";
pub const WEST: &str = "west";
pub const CLUSTERS: [&str; 2] = [EAST, WEST];
/// The example's cluster names, rewritten to ours.
const EXAMPLE_CLUSTERS: [(&str, &str); 2] = [
    ("gke_acme_us-central1_ap-us-central1", EAST),
    ("gke_acme_us-west4_ap-us-west4", WEST),
];
/// The placeholder value of both Secrets in the example.
pub const PLACEHOLDER: &str = "replace-me";

static POSTGRES: Mutex<Weak<Postgres>> = Mutex::new(Weak::new());
static MARIADB: Mutex<Weak<MariaDb>> = Mutex::new(Weak::new());

/// The running server of `slot`, started if none is.
fn shared<T>(slot: &'static Mutex<Weak<T>>, start: fn() -> T) -> Arc<T> {
    let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(server) = guard.upgrade() {
        return server;
    }
    let server = Arc::new(start());
    *guard = Arc::downgrade(&server);
    server
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    MariaDb,
}

impl Dialect {
    fn short(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sq",
            Dialect::Postgres => "pg",
            Dialect::MariaDb => "my",
        }
    }
}

enum Server {
    None,
    Postgres(#[allow(dead_code, reason = "kept alive")] Arc<Postgres>),
    MariaDb(#[allow(dead_code, reason = "kept alive")] Arc<MariaDb>),
}

/// One test's ground.
pub struct Ground {
    /// The namespace (and namespace folder) of this test.
    pub ns: String,
    /// The state database URL (password included).
    pub url: String,
    pub dialect: Dialect,
    /// The kubeconfig with both contexts.
    pub kubeconfig: PathBuf,
    pub registry: Registry,
    /// The config image digests pushed at start (`echo_config`, `echo_job_config`).
    pub digest: String,
    // Dropped last: the server outlives every connection of the test.
    _server: Server,
    pub tmp: tempfile::TempDir,
}

impl Ground {
    /// A ground for test `name` (short: it goes into a namespace name) on `dialect`.
    pub fn new(name: &str, dialect: Dialect) -> Ground {
        let ns = format!("{name}-{}", dialect.short());
        assert!(ns.len() <= 63 && !ns.contains('_'), "bad namespace `{ns}`");
        let clusters: Vec<&KubeCluster> = std::thread::scope(|s| {
            let handles: Vec<_> = CLUSTERS
                .iter()
                .map(|c| s.spawn(move || KubeCluster::shared(c)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("cluster"))
                .collect()
        });
        let kubeconfig = merged_kubeconfig(&clusters);
        let tmp = tempfile::Builder::new()
            .prefix(&format!("sisyphus-ground-{ns}-"))
            .tempdir()
            .expect("tempdir");
        let db_name = ns.replace('-', "_");
        let (url, server) = match dialect {
            Dialect::Sqlite => (
                format!("sqlite://{}", tmp.path().join("state.db").display()),
                Server::None,
            ),
            Dialect::Postgres => {
                let server = shared(&POSTGRES, Postgres::start);
                (server.new_database(&db_name), Server::Postgres(server))
            }
            Dialect::MariaDb => {
                let server = shared(&MARIADB, MariaDb::start);
                (server.new_database(&db_name), Server::MariaDb(server))
            }
        };
        let mut ground = Ground {
            ns,
            url,
            dialect,
            kubeconfig,
            registry: Registry::start(),
            digest: String::new(),
            _server: server,
            tmp,
        };
        ground.digest = ground.push_config(&example_star(), &["echo_config", "echo_job_config"]);
        ground.copy_example();
        ground
    }

    /// The production folder.
    pub fn production(&self) -> PathBuf {
        self.tmp.path().join("production")
    }

    /// The namespace folder.
    pub fn folder(&self) -> PathBuf {
        self.production().join(&self.ns)
    }

    /// Copy `example/production`, with our clusters, registry and namespace.
    fn copy_example(&self) {
        let production = self.production();
        copy_dir(&repo_root().join("example/production"), &production);
        std::fs::rename(production.join("echo"), self.folder()).expect("rename folder");
        for file in [
            "clusters.yaml",
            "global/index.yaml",
            &format!("{}/index.yaml", self.ns),
        ] {
            let path = production.join(file);
            let mut text = read(&path);
            for (from, to) in EXAMPLE_CLUSTERS {
                text = text.replace(from, to);
            }
            text = text
                .replace(
                    "us-docker.pkg.dev/acme/containers/",
                    &format!("{}/acme/", self.registry.host()),
                )
                .replace("      name: echo\n", &format!("      name: {}\n", self.ns));
            std::fs::write(&path, text).expect("write");
        }
        let _ = std::fs::remove_file(production.join("BUILD.bazel"));
    }

    /// Build a config image from `star` and push it to `acme/<repo>:latest` for each repo;
    /// its digest.
    pub fn push_config(&self, star: &str, repos: &[&str]) -> String {
        crate::common::push_config_image(&self.registry.host(), self.tmp.path(), star, repos)
    }

    /// `sisyphus plan --monitor-directory <production> -o <tmp>/<name>`, which must succeed: the
    /// plan file's path.
    #[track_caller]
    pub fn write_plan(&self, name: &str) -> PathBuf {
        let plan = self.tmp.path().join(name);
        let out = self
            .command("plan")
            .arg("--monitor-directory")
            .arg(self.production())
            .arg("-o")
            .arg(&plan)
            .output()
            .expect("run sisyphus");
        crate::common::assert_success(&out);
        plan
    }

    /// The example config with `--verbose` added to the server's args, pushed to
    /// `acme/<repo>:latest` for each repo (a retag that changes the workloads); its digest.
    pub fn push_verbose_config(&self, repos: &[&str]) -> String {
        let star =
            example_star().replace("\"--service_spec\",", "\"--service_spec\", \"--verbose\",");
        self.push_config(&star, repos)
    }

    /// `sisyphus <command>` with this test's cache, state home and kubeconfig (no arguments).
    /// A `push` does not wait for rollouts (`--no-wait`): the tests of what push writes do not
    /// depend on pods; [`Ground::waiting_command`] waits.
    pub fn command(&self, command: &str) -> Command {
        let mut cmd = self.waiting_command(command);
        if command == "push" {
            cmd.arg("--no-wait");
        }
        cmd
    }

    /// As [`Ground::command`], and a `push` waits for what it applied to roll out.
    pub fn waiting_command(&self, command: &str) -> Command {
        let mut cmd = sisyphus();
        cmd.arg(command)
            .env("XDG_CACHE_HOME", self.tmp.path().join("cache"))
            .env("XDG_STATE_HOME", self.tmp.path().join("state"));
        cmd
    }

    /// `sisyphus <command> --monitor-directory <production> --database-url <url> --kubeconfig
    /// <kc> --output json <args>`.
    pub fn run_command(&self, command: &str, args: &[&str]) -> Command {
        self.run_command_from(command, "--monitor-directory", &self.production(), args)
    }

    /// As [`Ground::run_command`] with another source (`--plan FILE`, or another folder).
    pub fn run_command_from(
        &self,
        command: &str,
        source_flag: &str,
        source: &Path,
        args: &[&str],
    ) -> Command {
        let mut cmd = self.command(command);
        cmd.arg(source_flag)
            .arg(source)
            .args(["--database-url", &self.url])
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["--output", "json"])
            .args(args);
        cmd
    }

    /// `sisyphus diff`, its exit code and change set.
    pub fn diff(&self, args: &[&str]) -> (i32, Value) {
        let out = self
            .run_command("diff", args)
            .output()
            .expect("run sisyphus");
        let code = out.status.code().expect("exit code");
        assert!(
            code == 0 || code == 2,
            "diff failed ({code}):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (code, json(&out))
    }

    /// `sisyphus push --yes <args>`, raw.
    pub fn push_output(&self, args: &[&str]) -> Output {
        self.run_command("push", &[&["--yes", "--user", "tester"], args].concat())
            .output()
            .expect("run sisyphus")
    }

    /// `sisyphus push --yes <args>`, which must succeed: its change set and stderr.
    #[track_caller]
    pub fn push(&self, args: &[&str]) -> (Value, String) {
        let out = self.push_output(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "push failed:\n{stderr}");
        (json(&out), stderr)
    }

    /// A kube client for `context`.
    pub async fn client(&self, context: &str) -> kube::Client {
        client_for(&self.kubeconfig, context).await
    }

    /// Whether this test's namespace exists in `context`.
    pub async fn namespace_exists(&self, context: &str) -> bool {
        let api: Api<Namespace> = Api::all(self.client(context).await);
        api.get_opt(&self.ns)
            .await
            .expect("get namespace")
            .is_some()
    }

    /// Whether this test's namespace is gone from `context` or being deleted.
    pub async fn namespace_is_gone(&self, context: &str) -> bool {
        let api: Api<Namespace> = Api::all(self.client(context).await);
        api.get_opt(&self.ns)
            .await
            .expect("get namespace")
            .is_none_or(|n| n.metadata.deletion_timestamp.is_some())
    }

    /// Every object of the kinds Sisyphus writes here, in this namespace of `context` (and
    /// the Namespace itself): `Kind/name` → resourceVersion (for a Deployment: its generation,
    /// labels and annotations).
    pub async fn versions(&self, context: &str) -> BTreeMap<String, String> {
        let client = self.client(context).await;
        let mut all = BTreeMap::new();
        let ns: Api<Namespace> = Api::all(client.clone());
        if let Some(n) = ns.get_opt(&self.ns).await.expect("get namespace") {
            all.insert(
                format!("Namespace/{}", self.ns),
                n.metadata.resource_version.unwrap_or_default(),
            );
        }
        all.extend(list::<ConfigMap>(&client, &self.ns).await);
        all.extend(list::<Secret>(&client, &self.ns).await);
        all.extend(list::<Service>(&client, &self.ns).await);
        all.extend(list::<ServiceAccount>(&client, &self.ns).await);
        // A Deployment's status changes while its pods start (KWOK runs them), so what marks a
        // write there is its generation, labels and annotations, not its resourceVersion.
        let deployments: Api<Deployment> = Api::namespaced(client.clone(), &self.ns);
        for d in deployments
            .list(&ListParams::default())
            .await
            .expect("list")
            .items
        {
            let meta = d.metadata;
            all.insert(
                format!("Deployment/{}", meta.name.clone().unwrap_or_default()),
                format!(
                    "generation {:?} labels {:?} annotations {:?}",
                    meta.generation, meta.labels, meta.annotations
                ),
            );
        }
        all.extend(list::<CronJob>(&client, &self.ns).await);
        all
    }

    /// [`Ground::versions`] of both clusters once they stop changing (controllers write status
    /// after a create), keyed `cluster/Kind/name`.
    pub async fn settled_versions(&self) -> BTreeMap<String, String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = self.all_versions_now().await;
        loop {
            tokio::time::sleep(Duration::from_millis(700)).await;
            let now = self.all_versions_now().await;
            if now == last || Instant::now() > deadline {
                return now;
            }
            last = now;
        }
    }

    pub async fn all_versions_now(&self) -> BTreeMap<String, String> {
        let mut all = BTreeMap::new();
        for c in CLUSTERS {
            for (k, v) in self.versions(c).await {
                all.insert(format!("{c}/{k}"), v);
            }
        }
        all
    }

    /// A Secret's decoded data in `context`.
    pub async fn secret(&self, context: &str, name: &str) -> BTreeMap<String, String> {
        let api: Api<Secret> = Api::namespaced(self.client(context).await, &self.ns);
        let secret = api.get(name).await.expect("get secret");
        secret
            .data
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8(v.0).expect("utf-8 secret")))
            .collect()
    }

    /// The state database, opened (migrated) by the test.
    pub async fn store(&self) -> Store {
        Store::open(&DatabaseUrl::parse(&self.url).expect("url"))
            .await
            .expect("open store")
    }

    /// A raw connection to the state database.
    pub async fn raw(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.url).await.expect("connect")
    }

    /// Every value of every column of every table of the state database, as bytes, with
    /// where it was found.
    pub async fn every_value(&self) -> Vec<(String, String, Vec<u8>)> {
        let pool = self.raw().await;
        let columns_sql = match self.dialect {
            Dialect::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m, \
                                pragma_table_info(m.name) p WHERE m.type = 'table'"
            }
            Dialect::Postgres => {
                "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) \
                                  FROM information_schema.columns \
                                  WHERE table_schema = current_schema()"
            }
            Dialect::MariaDb => {
                "SELECT CAST(table_name AS CHAR), CAST(column_name AS CHAR) \
                                 FROM information_schema.columns \
                                 WHERE table_schema = DATABASE()"
            }
        };
        let columns: Vec<(String, String)> = sqlx::query(columns_sql)
            .fetch_all(&pool)
            .await
            .expect("columns")
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect();
        assert!(columns.len() > 10, "{columns:?}");
        let mut values = Vec::new();
        for (table, column) in columns {
            let (bytes, quoted) = match self.dialect {
                Dialect::Sqlite => (
                    format!("CAST(\"{column}\" AS BLOB)"),
                    format!("\"{table}\""),
                ),
                Dialect::Postgres => (
                    format!("convert_to(CAST(\"{column}\" AS TEXT), 'UTF8')"),
                    format!("\"{table}\""),
                ),
                Dialect::MariaDb => (format!("CAST(`{column}` AS BINARY)"), format!("`{table}`")),
            };
            let sql = format!("SELECT {bytes} FROM {quoted}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(&pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            for row in rows {
                if let Some(value) = row.try_get::<Option<Vec<u8>>, _>(0).expect("bytes") {
                    values.push((table.clone(), column.clone(), value));
                }
            }
        }
        pool.close().await;
        values
    }

    /// The number of rows in the `pushes` table.
    pub async fn push_rows(&self) -> i64 {
        let pool = self.raw().await;
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM pushes")
            .fetch_one(&pool)
            .await
            .expect("count")
            .get(0);
        pool.close().await;
        n
    }

    /// Replace every `from` by `to` in every file of the production folder.
    pub fn replace_everywhere(&self, from: &str, to: &str) {
        fn walk(dir: &Path, from: &str, to: &str) {
            for entry in std::fs::read_dir(dir).expect("read dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, from, to);
                } else {
                    let text = read(&path);
                    std::fs::write(&path, text.replace(from, to)).expect("write");
                }
            }
        }
        walk(&self.production(), from, to);
    }

    /// Replace `from` by `to` in the namespace folder's `file`.
    #[track_caller]
    pub fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.folder().join(file);
        let text = read(&path);
        assert!(text.contains(from), "`{from}` not in {file}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    }

    /// Append a KubernetesYaml resource `name` with `sources` to the namespace's index.yaml.
    pub fn add_yaml_resource(&self, name: &str, file: &str, body: &str) {
        std::fs::write(self.folder().join(file), body).expect("write");
        let index = self.folder().join("index.yaml");
        let mut text = read(&index);
        text.push_str(&format!(
            "\n---\n\napiVersion: sisyphus/v1\nkind: KubernetesYaml\nmetadata:\n  name: {name}\n\
             sources:\n  - {file}\nclusters:\n  - {EAST}\n  - {WEST}\n"
        ));
        std::fs::write(&index, text).expect("write");
    }
}

async fn list<K>(client: &kube::Client, ns: &str) -> BTreeMap<String, String>
where
    K: kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|o| {
            let meta = o.meta();
            (
                format!("{}/{}", K::kind(&()), meta.name.clone().unwrap_or_default()),
                meta.resource_version.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// The example's Starlark.
pub fn example_star() -> String {
    read(&repo_root().join("example/echo/frontend.star"))
}

/// The JSON stdout of a run.
#[track_caller]
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The changes of a change set as sorted `cluster action Kind name` lines.
pub fn actions(changes: &Value) -> Vec<String> {
    let mut lines: Vec<String> = changes["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}",
                c["cluster"].as_str().unwrap_or_default(),
                c["action"].as_str().unwrap_or_default(),
                c["kind"].as_str().unwrap_or_default(),
                c["name"].as_str().unwrap_or_default()
            )
        })
        .collect();
    lines.sort();
    lines
}

/// A tokio runtime for the test's own kube and database calls.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Run the same test body on SQLite, PostgreSQL and MariaDB: `mod sqlite { fn name() }` etc.
/// (one module per dialect, so tests of one dialect run next to each other and share its
/// server).
macro_rules! on_every_database {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {
        mod sqlite {
            $($(#[$meta])* #[test] fn $name() { super::$name($crate::ground::Dialect::Sqlite) })*
        }
        mod postgres {
            $($(#[$meta])* #[test] fn $name() { super::$name($crate::ground::Dialect::Postgres) })*
        }
        mod mariadb {
            $($(#[$meta])* #[test] fn $name() { super::$name($crate::ground::Dialect::MariaDb) })*
        }
    };
}
pub(crate) use on_every_database;
