//! A real MariaDB server (Debian's `mariadb-server` package) on 127.0.0.1.
//!
//! Owns one `mariadbd` process, its data directory, socket, option file and logs in a
//! temporary directory; runs `mariadb-install-db` and the `mariadb` client against it.
//!
//! Tuned for tests, not durability: small redo log and buffer pool, no fsync, no binary log.
//! `root@127.0.0.1` gets a password through `--init-file`, so clients use a real password
//! login over TCP; a database `sisyphus` exists from the start.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use nix::unistd::geteuid;
use tempfile::TempDir;

use crate::error::{Error, report};
use crate::process::{self, Process};
use crate::{ports, require};

/// Password of `root@127.0.0.1`.
pub const PASSWORD: &str = "sisyphus-test";
/// Database created at start; [`MariaDb::url`] points at it.
const DATABASE: &str = "sisyphus";
/// Log line `mariadbd` writes once it accepts connections.
const READY: &str = "ready for connections";
/// How long install and start-up may take.
const TIMEOUT: Duration = Duration::from_secs(90);
/// The fix printed when the server is missing.
const INSTALL: &str = "apt-get install -y mariadb-server";

/// Server options shared by `mariadb-install-db` and `mariadbd` (plus a private `tmpdir`:
/// concurrent servers sharing `/tmp` broke each other's bootstrap temporary tables).
const OPTIONS: &str = "[mysqld]
innodb_log_file_size=8M
innodb_buffer_pool_size=32M
innodb_flush_log_at_trx_commit=0
innodb_doublewrite=0
innodb_flush_method=nosync
skip_name_resolve
skip_log_bin
character_set_server=utf8mb4
collation_server=utf8mb4_general_ci
";

/// A running MariaDB server; stopped and deleted on drop.
#[derive(Debug)]
pub struct MariaDb {
    // Field order is drop order: stop the process before deleting its directory.
    process: Process,
    dir: TempDir,
    port: u16,
}

impl MariaDb {
    /// Runs `mariadb-install-db` in a temporary directory and starts `mariadbd` on a free
    /// port.
    ///
    /// # Panics
    ///
    /// When MariaDB is not installed or does not start; the message has its log tail.
    pub fn start() -> Self {
        Self::try_start().unwrap_or_else(|error| panic!("{}", report(&error)))
    }

    /// As [`MariaDb::start`], returning failures to start.
    ///
    /// # Errors
    ///
    /// [`Error`] when files cannot be written, or install or start-up fails.
    ///
    /// # Panics
    ///
    /// When MariaDB is not installed.
    pub fn try_start() -> Result<Self, Error> {
        let server = require::first_binary(
            "MariaDB server (`mariadbd`)",
            &[
                PathBuf::from("/usr/sbin/mariadbd"),
                PathBuf::from("/usr/bin/mariadbd"),
                PathBuf::from("/usr/local/bin/mariadbd"),
            ],
            INSTALL,
        );
        let install_db = require::binary("mariadb-install-db", INSTALL);
        let dir = tempfile::Builder::new()
            .prefix("sisyphus-mariadb-")
            .tempdir()
            .map_err(|source| Error::TempDir {
                service: "mariadb",
                source,
            })?;
        let options = dir.path().join("my.cnf");
        let tmp = dir.path().join("tmp");
        fs_err::create_dir(&tmp).map_err(|source| Error::Write {
            path: tmp.clone(),
            source,
        })?;
        write(&options, &format!("{OPTIONS}tmpdir={}\n", tmp.display()))?;
        let init = dir.path().join("init.sql");
        write(&init, &init_sql())?;
        let data = dir.path().join("data");
        let mut install = Command::new(install_db);
        install
            .arg(format!("--defaults-file={}", options.display()))
            .arg(format!("--datadir={}", data.display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .current_dir(dir.path());
        as_root_if_root(&mut install);
        process::run(
            "mariadb-install-db",
            install,
            &dir.path().join("install.log"),
            TIMEOUT,
        )
        .map_err(|source| Error::Process {
            service: "mariadb-install-db",
            source,
        })?;
        let (process, port) = ports::with_free_port(|port, attempt| {
            let mut command = Command::new(&server);
            command
                .arg(format!("--defaults-file={}", options.display()))
                .arg(format!("--datadir={}", data.display()))
                .arg(format!("--port={port}"))
                .arg("--bind-address=127.0.0.1")
                .arg(format!(
                    "--socket={}",
                    dir.path().join("mysqld.sock").display()
                ))
                .arg(format!(
                    "--pid-file={}",
                    dir.path().join("mysqld.pid").display()
                ))
                .arg(format!("--init-file={}", init.display()))
                .current_dir(dir.path());
            as_root_if_root(&mut command);
            let log = dir.path().join(format!("mariadbd-{attempt}.log"));
            Process::spawn("mariadbd", command, &log)
                .and_then(|mut process| {
                    process.wait_for_log(READY, TIMEOUT)?;
                    Ok(process)
                })
                .map_err(Error::process("mariadb"))
        })?;
        Ok(Self { process, dir, port })
    }

    /// `mysql://root:<password>@127.0.0.1:<port>/sisyphus`.
    pub fn url(&self) -> String {
        self.database_url(DATABASE)
    }

    /// The URL of database `name` on this server (which may not exist yet).
    pub fn database_url(&self, name: &str) -> String {
        format!("mysql://root:{PASSWORD}@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database `name` (lowercase letters, digits, `_`) with the `mariadb`
    /// client and returns its URL.
    ///
    /// # Panics
    ///
    /// When the name is invalid, the client is missing or the statement fails.
    pub fn new_database(&self, name: &str) -> String {
        self.try_new_database(name)
            .unwrap_or_else(|error| panic!("{}", report(&error)))
    }

    /// As [`MariaDb::new_database`], returning failures.
    ///
    /// # Errors
    ///
    /// [`Error::DatabaseName`] for a name outside `[a-z0-9_]`, [`Error::Process`] when the
    /// client fails (its output is in the message).
    ///
    /// # Panics
    ///
    /// When the `mariadb` client is missing.
    pub fn try_new_database(&self, name: &str) -> Result<String, Error> {
        crate::check_database_name(name)?;
        let client = require::binary("mariadb", "apt-get install -y mariadb-client");
        let mut command = Command::new(client);
        command
            .args(["--no-defaults", "--protocol=TCP", "-h", "127.0.0.1"])
            .arg(format!("--port={}", self.port))
            .args(["-u", "root"])
            // From the environment, not the command line (which `ps` shows to every user).
            .env("MYSQL_PWD", PASSWORD)
            .args(["-e", &format!("CREATE DATABASE `{name}`")]);
        let log = self.dir.path().join(format!("create-{name}.log"));
        process::run("mariadb", command, &log, TIMEOUT).map_err(|source| Error::Process {
            service: "mariadb client",
            source,
        })?;
        Ok(self.database_url(name))
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Process id of `mariadbd` (to check that it is gone after drop).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Path of the Unix socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("mysqld.sock")
    }

    /// The server log.
    pub fn log(&self) -> String {
        self.process.log()
    }
}

/// SQL run by `mariadbd` at start, with all privileges: a password login for root over TCP
/// and the default database.
fn init_sql() -> String {
    format!(
        "CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS `{DATABASE}`;
"
    )
}

/// `mariadbd` refuses to run as root unless told `--user=root`.
fn as_root_if_root(command: &mut Command) {
    if geteuid().is_root() {
        command.arg("--user=root");
    }
}

/// Writes `contents` to `path`.
fn write(path: &Path, contents: &str) -> Result<(), Error> {
    fs_err::write(path, contents).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}
