//! A real OCI registry (Debian's `docker-registry`, CNCF distribution 2.8) on 127.0.0.1.
//!
//! Owns one registry process, its config, htpasswd file, storage and log in a temporary
//! directory; talks plain HTTP to it on loopback (health check and request-log markers).
//!
//! Request counting reads the registry's access log: with `log.accesslog` enabled,
//! distribution writes one Apache combined-format line per request to stdout
//! (`127.0.0.1 - - [..] "HEAD /v2/app/manifests/v1 HTTP/1.1" 200 0 "" "ua"`), which goes to
//! our log file. The line is written when the handler returns, so [`Registry::requests`]
//! first sends a marker request and waits for its line before reading.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tempfile::TempDir;

use crate::error::{Error, report};
use crate::process::{self, Process};
use crate::{http, ports, require};

/// How long the registry may take to answer `GET /v2/`.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// Path prefix of marker requests (answered 404, filtered from [`Registry::requests`]).
const MARKER: &str = "/sisyphus-test-support/marker/";
/// A running registry; stopped and its storage deleted on drop.
#[derive(Debug)]
pub struct Registry {
    // Field order is drop order: stop the process before deleting its directory.
    process: Process,
    dir: TempDir,
    port: u16,
    /// Byte offset in the log where [`Registry::requests`] starts reading.
    requests_from: Mutex<usize>,
    markers: AtomicU32,
}

impl Registry {
    /// Starts an anonymous registry (no auth, plain HTTP).
    ///
    /// # Panics
    ///
    /// When `docker-registry` is missing or does not start; the message has its log tail.
    pub fn start() -> Self {
        Self::try_start(None).unwrap_or_else(|error| panic!("{}", report(&error)))
    }

    /// Starts a registry that requires HTTP basic auth with `user` and `password`.
    ///
    /// # Panics
    ///
    /// As [`Registry::start`], and when `htpasswd` (apache2-utils) is missing.
    pub fn start_with_basic_auth(user: &str, password: &str) -> Self {
        Self::try_start(Some((user, password))).unwrap_or_else(|error| panic!("{}", report(&error)))
    }

    /// Starts a registry, with basic auth when `credentials` is `Some((user, password))`.
    ///
    /// # Errors
    ///
    /// [`Error`] when files cannot be written or the registry does not become ready.
    ///
    /// # Panics
    ///
    /// When `docker-registry` (or, with credentials, `htpasswd`) is missing.
    pub fn try_start(credentials: Option<(&str, &str)>) -> Result<Self, Error> {
        let binary = require::binary("docker-registry", "apt-get install -y docker-registry");
        let dir = tempfile::Builder::new()
            .prefix("sisyphus-registry-")
            .tempdir()
            .map_err(|source| Error::TempDir {
                service: "registry",
                source,
            })?;
        let auth = match credentials {
            Some((user, password)) => Some(write_htpasswd(dir.path(), user, password)?),
            None => None,
        };
        let config = dir.path().join("config.yml");
        let (process, port) = ports::with_free_port(|port, attempt| {
            write(&config, &config_yaml(dir.path(), port, auth.as_deref()))?;
            let mut command = Command::new(&binary);
            command.arg("serve").arg(&config).current_dir(dir.path());
            let log = dir.path().join(format!("registry-{attempt}.log"));
            let host = format!("127.0.0.1:{port}");
            let mut p = Process::spawn("docker-registry", command, &log)
                .map_err(Error::process("registry"))?;
            // 401 counts as ready: the auth-protected registry answers.
            p.wait_ready(READY_TIMEOUT, || {
                matches!(http::status(&host, "GET", "/v2/"), Some(200 | 401))
            })
            .map_err(Error::process("registry"))?;
            Ok(p)
        })?;
        let registry = Self {
            process,
            dir,
            port,
            requests_from: Mutex::new(0),
            markers: AtomicU32::new(0),
        };
        registry.reset_requests();
        Ok(registry)
    }

    /// `127.0.0.1:<port>`, the registry part of image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Process id of the registry (to check that it is gone after drop).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Directory with the registry's blobs and manifests (`docker/registry/v2/...`).
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Deletes the manifest `digest` of `repository` (`team/app`) through the registry's API,
    /// as an operator cleaning up old images would: tags and pulls by digest stop finding it.
    /// Needs a registry without auth ([`Registry::start`]).
    ///
    /// # Panics
    ///
    /// When the registry does not answer `202 Accepted`.
    pub fn delete_manifest(&self, repository: &str, digest: &str) {
        let path = format!("/v2/{repository}/manifests/{digest}");
        let status = crate::http::status(&self.host(), "DELETE", &path);
        assert_eq!(
            status,
            Some(202),
            "DELETE {path} on the test registry\n{}",
            self.log()
        );
    }

    /// The registry's whole log (application log and access log).
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// `(method, request URI)` of every request served since start (or the last
    /// [`Registry::reset_requests`]), in log order, e.g. `("HEAD", "/v2/app/manifests/v1")`.
    /// The URI includes any query string. The fixture's own health checks are not included.
    pub fn requests(&self) -> Vec<(String, String)> {
        let (log, _) = self.sync_log();
        let from = *self
            .requests_from
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match log.get(from..) {
            Some(since) => parse_access_log(since),
            None => panic!(
                "registry log `{}` is shorter ({} bytes) than where requests() starts ({from}); \
                 was it truncated? last lines:\n{}",
                self.process.log_path().display(),
                log.len(),
                process::tail(&log, 40)
            ),
        }
    }

    /// Forgets the requests seen so far: [`Registry::requests`] starts empty again.
    pub fn reset_requests(&self) {
        let (_, end) = self.sync_log();
        *self
            .requests_from
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = end;
    }

    /// Sends a marker request and waits (up to 5 s) until its access-log line is written, so
    /// every request answered before is in the log. Returns the log and the byte offset just
    /// after the marker line.
    ///
    /// # Panics
    ///
    /// When the marker line does not appear (the registry died or stopped logging): counting
    /// requests from an incomplete log would make "no requests" checks pass vacuously.
    fn sync_log(&self) -> (String, usize) {
        let n = self.markers.fetch_add(1, Ordering::Relaxed);
        let path = format!("{MARKER}{n}");
        let needle = format!("\"GET {path} HTTP/1.1\"");
        let _ = http::status(&self.host(), "GET", &path);
        let log_path = self.process.log_path();
        for _ in 0..500 {
            let log = process::read_log(log_path);
            if let Some(at) = log.find(&needle) {
                let end = log[at..].find('\n').map_or(log.len(), |nl| at + nl + 1);
                return (log, end);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let log = process::read_log(log_path);
        panic!(
            "registry on port {} did not log the marker request `{path}` within 5 s (did it \
             die?); log `{}`, last lines:\n{}",
            self.port,
            log_path.display(),
            process::tail(&log, 40)
        )
    }
}

/// The registry configuration: loopback only, filesystem storage in `dir`, access log on.
fn config_yaml(dir: &Path, port: u16, htpasswd: Option<&Path>) -> String {
    let storage = dir.join("storage");
    let mut yaml = format!(
        "version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: sisyphus-test-support
",
        storage = storage.display()
    );
    if let Some(path) = htpasswd {
        yaml.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: sisyphus-test\n    path: {}\n",
            path.display()
        ));
    }
    yaml
}

/// Writes a bcrypt htpasswd file for one user with `htpasswd -ciB` (bcrypt cost 4, the
/// minimum: fast to check on every request). The password goes through stdin, not the command
/// line (which `ps` shows to every user).
fn write_htpasswd(dir: &Path, user: &str, password: &str) -> Result<PathBuf, Error> {
    let binary = require::binary("htpasswd", "apt-get install -y apache2-utils");
    let path = dir.join("htpasswd");
    let log = dir.join("htpasswd.log");
    let mut command = Command::new(binary);
    command.args(["-ciB", "-C", "4"]).arg(&path).arg(user);
    process::run_with_input(
        "htpasswd",
        command,
        password.as_bytes(),
        &log,
        Duration::from_secs(10),
    )
    .map_err(|source| Error::Process {
        service: "htpasswd",
        source,
    })?;
    Ok(path)
}

/// Writes `contents` to `path`.
fn write(path: &Path, contents: &str) -> Result<(), Error> {
    fs_err::write(path, contents).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

/// `(method, uri)` of each access-log line in `log`, without marker requests.
fn parse_access_log(log: &str) -> Vec<(String, String)> {
    log.lines()
        .filter_map(|line| {
            // Combined format: `<ip> - <user> [<time>] "<method> <uri> <proto>" <status> ...`.
            let (_, rest) = line.split_once("] \"")?;
            let request = rest.split('"').next()?;
            let mut parts = request.split(' ');
            let (method, uri, proto) = (parts.next()?, parts.next()?, parts.next()?);
            if !proto.starts_with("HTTP/") || uri.starts_with(MARKER) {
                return None;
            }
            Some((method.to_owned(), uri.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_access_log_lines_and_skips_the_rest() {
        let log = concat!(
            "time=\"2026-11-26T15:36:22Z\" level=info msg=\"response completed\" http.request.method=GET\n",
            "127.0.0.1 - - [26/Nov/2026:15:36:22 +0000] \"GET /v2/ HTTP/1.1\" 200 2 \"\" \"curl/7.88.1\"\n",
            "127.0.0.1 - alice [26/Nov/2026:15:36:22 +0000] \"HEAD /v2/foo/manifests/latest HTTP/1.1\" 404 96 \"\" \"ua\"\n",
            "127.0.0.1 - - [26/Nov/2026:15:36:22 +0000] \"GET /sisyphus-test-support/marker/3 HTTP/1.1\" 404 19 \"\" \"ua\"\n",
            "127.0.0.1 - - [26/Nov/2026:15:36:22 +0000] \"PUT /v2/foo/blobs/uploads/x?digest=sha256%3Aab HTTP/1.1\" 201 0 \"\" \"ua\"\n",
        );
        let requests = parse_access_log(log);
        let expected = [
            ("GET", "/v2/"),
            ("HEAD", "/v2/foo/manifests/latest"),
            ("PUT", "/v2/foo/blobs/uploads/x?digest=sha256%3Aab"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(requests, expected);
    }

    #[test]
    fn config_has_auth_only_when_asked() {
        let dir = Path::new("/tmp/x");
        assert!(!config_yaml(dir, 1, None).contains("htpasswd"));
        let with = config_yaml(dir, 1, Some(Path::new("/tmp/x/htpasswd")));
        assert!(with.contains("path: /tmp/x/htpasswd"), "{with}");
        assert!(with.contains("addr: 127.0.0.1:1"), "{with}");
    }
}
