//! A real PostgreSQL server (Debian's `postgresql` package) on 127.0.0.1.
//!
//! Owns one `postgres` process, its data directory, Unix socket and logs in a temporary
//! directory; runs `initdb` and `createdb` against it. When the tests run as root, the server
//! runs as `nobody` (PostgreSQL refuses root), which then owns the temporary directory.
//!
//! Tuned for tests, not durability: `initdb --no-sync`, `fsync=off`, trust authentication on
//! loopback for user `postgres`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;
use tempfile::TempDir;

use crate::error::{Error, report};
use crate::process::{self, Process};
use crate::unprivileged::RunAs;
use crate::{ports, require};

/// Superuser created by `initdb`.
const USER: &str = "postgres";
/// Database that exists after `initdb`.
const DATABASE: &str = "postgres";
/// Log line PostgreSQL writes once it accepts connections.
const READY: &str = "database system is ready to accept connections";
/// How long `initdb` and start-up may take.
const TIMEOUT: Duration = Duration::from_secs(60);
/// The fix printed when the server binaries are missing.
const INSTALL: &str = "apt-get install -y postgresql";

/// A running PostgreSQL server; stopped (fast shutdown) and deleted on drop.
#[derive(Debug)]
pub struct Postgres {
    // Field order is drop order: stop the process before deleting its directory.
    process: Process,
    dir: TempDir,
    bin: PathBuf,
    port: u16,
}

impl Postgres {
    /// Runs `initdb` in a temporary directory and starts `postgres` on a free port.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is not installed or does not start; the message has its log tail.
    pub fn start() -> Self {
        Self::try_start().unwrap_or_else(|error| panic!("{}", report(&error)))
    }

    /// As [`Postgres::start`], returning failures to start.
    ///
    /// # Errors
    ///
    /// [`Error`] when the directory, `initdb` or the server fails.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is not installed.
    pub fn try_start() -> Result<Self, Error> {
        let bin = server_bin_dir();
        let run_as = RunAs::for_server()?;
        let dir = tempfile::Builder::new()
            .prefix("sisyphus-postgres-")
            .tempdir()
            .map_err(|source| Error::TempDir {
                service: "postgres",
                source,
            })?;
        run_as.own(dir.path())?;
        let data = dir.path().join("data");
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .arg("--pgdata")
            .arg(&data)
            .args(["--username", USER, "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C", "--no-sync", "--no-instructions"])
            .current_dir(dir.path());
        run_as.apply(&mut initdb);
        process::run("initdb", initdb, &dir.path().join("initdb.log"), TIMEOUT).map_err(
            |source| Error::Process {
                service: "postgres initdb",
                source,
            },
        )?;
        let (process, port) = ports::with_free_port(|port, attempt| {
            let mut server = Command::new(bin.join("postgres"));
            server
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k"])
                .arg(dir.path())
                .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
                .args(["-c", "full_page_writes=off", "-c", "max_connections=100"])
                .current_dir(dir.path());
            run_as.apply(&mut server);
            let log = dir.path().join(format!("postgres-{attempt}.log"));
            Process::spawn("postgres", server, &log)
                .and_then(|process| {
                    // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients.
                    let mut process = process.stop_signal(Signal::SIGINT);
                    process.wait_for_log(READY, TIMEOUT)?;
                    Ok(process)
                })
                .map_err(Error::process("postgres"))
        })?;
        Ok(Self {
            process,
            dir,
            bin,
            port,
        })
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth, no password).
    pub fn url(&self) -> String {
        self.database_url(DATABASE)
    }

    /// The URL of database `name` on this server (which may not exist yet).
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database `name` (lowercase letters, digits, `_`) and returns its URL.
    /// Takes about 0.1 s, so each test can have its own database on a shared server.
    ///
    /// # Panics
    ///
    /// When the name is invalid or `createdb` fails (e.g. the database exists).
    pub fn new_database(&self, name: &str) -> String {
        self.try_new_database(name)
            .unwrap_or_else(|error| panic!("{}", report(&error)))
    }

    /// As [`Postgres::new_database`], returning failures.
    ///
    /// # Errors
    ///
    /// [`Error::DatabaseName`] for a name outside `[a-z0-9_]`, [`Error::Process`] when
    /// `createdb` fails (its output is in the message).
    pub fn try_new_database(&self, name: &str) -> Result<String, Error> {
        crate::check_database_name(name)?;
        let mut createdb = Command::new(self.bin.join("createdb"));
        createdb
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER])
            .arg(name);
        let log = self.dir.path().join(format!("createdb-{name}.log"));
        process::run("createdb", createdb, &log, TIMEOUT).map_err(|source| Error::Process {
            service: "postgres createdb",
            source,
        })?;
        Ok(self.database_url(name))
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Process id of the postmaster (to check that it is gone after drop).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Directory holding the Unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server log.
    pub fn log(&self) -> String {
        self.process.log()
    }
}

/// Debian's server binaries: `/usr/lib/postgresql/<newest>/bin`, which holds `initdb`,
/// `postgres` and `createdb` of the same version (unlike whatever `initdb` is on `PATH`).
fn server_bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = fs_err::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let version = entry.file_name().to_str()?.parse().ok()?;
                    Some((version, entry.path().join("bin")))
                })
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    let candidates: Vec<PathBuf> = versions
        .into_iter()
        .rev()
        .map(|(_, bin)| bin.join("postgres"))
        .collect();
    let postgres = require::first_binary("PostgreSQL server (`postgres`)", &candidates, INSTALL);
    let bin = postgres.parent().map(Path::to_owned).unwrap_or_default();
    for tool in ["initdb", "createdb"] {
        require::first_binary(&format!("PostgreSQL `{tool}`"), &[bin.join(tool)], INSTALL);
    }
    bin
}
