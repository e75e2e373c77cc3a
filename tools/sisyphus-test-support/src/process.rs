//! A supervised child process for fixtures: its output goes to a log file, it is stopped on
//! drop, and failures to start carry the tail of that log.
//!
//! Owns one child process and appends to one log file; sends signals only to that child.
//!
//! Signals go to the direct child only, not to processes it starts: a fixture runs the server
//! binary itself (or `exec`s it), never a shell that forks it. The child stays in the test's
//! process group, so Ctrl-C on `cargo test` reaches it too.
//! A fixture stored in a `static` is never dropped: its process outlives the test binary, so
//! keep fixtures in test-local variables.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Lines of log shown in errors.
const TAIL_LINES: usize = 40;
/// How long a process may take to exit after its stop signal before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Interval between readiness probes.
const POLL: Duration = Duration::from_millis(20);

/// Failures of a supervised process.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The log file could not be created.
    #[error("failed to create log file for `{name}`")]
    Log {
        /// Process name.
        name: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The program could not be started.
    #[error("failed to start `{name}` ({program})")]
    Spawn {
        /// Process name.
        name: String,
        /// Program path as given.
        program: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The process exited while we waited for it to become ready.
    #[error("`{name}` exited ({status}) before it was ready; log `{log}`, last lines:\n{tail}")]
    Exited {
        /// Process name.
        name: String,
        /// How it exited.
        status: ExitStatus,
        /// Log file path.
        log: PathBuf,
        /// Last lines of the log.
        tail: String,
    },
    /// The process did not become ready in time.
    #[error("`{name}` not ready after {timeout:?}; log `{log}`, last lines:\n{tail}")]
    Timeout {
        /// Process name.
        name: String,
        /// How long we waited.
        timeout: Duration,
        /// Log file path.
        log: PathBuf,
        /// Last lines of the log.
        tail: String,
    },
    /// Waiting for or signalling the process failed.
    #[error("failed to supervise `{name}`")]
    Wait {
        /// Process name.
        name: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the log tail says the port was taken ("address already in use"), so the
    /// caller may retry on another port.
    pub fn is_address_in_use(&self) -> bool {
        match self {
            Self::Exited { tail, .. } | Self::Timeout { tail, .. } => {
                tail.to_ascii_lowercase().contains("address already in use")
            }
            Self::Log { .. } | Self::Spawn { .. } | Self::Wait { .. } => false,
        }
    }
}

/// A running child process with its stdout and stderr appended to a log file.
///
/// Dropping it stops the process: the stop signal (SIGTERM unless changed with
/// [`Process::stop_signal`]), then SIGKILL after the grace period ([`Process::stop_grace`],
/// 10 s by default).
#[derive(Debug)]
pub struct Process {
    name: String,
    child: Child,
    log: PathBuf,
    stop_signal: Signal,
    grace: Duration,
    exited: Option<ExitStatus>,
}

impl Process {
    /// Starts `command` with stdin closed and stdout and stderr appended to `log` (created if
    /// missing). `name` is used in errors.
    ///
    /// # Errors
    ///
    /// [`Error::Log`] when the log file cannot be opened, [`Error::Spawn`] when the program
    /// cannot be started.
    pub fn spawn(name: &str, command: Command, log: &Path) -> Result<Self, Error> {
        Self::spawn_with_input(name, command, None, log)
    }

    /// As [`Process::spawn`], writing `input` to the child's stdin and then closing it when
    /// `input` is `Some` (e.g. a password that must not appear on the command line).
    ///
    /// # Errors
    ///
    /// As [`Process::spawn`], and [`Error::Wait`] when writing to stdin fails.
    pub fn spawn_with_input(
        name: &str,
        mut command: Command,
        input: Option<&[u8]>,
        log: &Path,
    ) -> Result<Self, Error> {
        let log_error = |source| Error::Log {
            name: name.to_owned(),
            source,
        };
        let out = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(log_error)?
            .into_file();
        let err = out.try_clone().map_err(log_error)?;
        command
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let mut child = command.spawn().map_err(|source| Error::Spawn {
            name: name.to_owned(),
            program: command.get_program().to_string_lossy().into_owned(),
            source,
        })?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            use std::io::Write as _;
            // Dropping `stdin` closes it, so the child sees end-of-file.
            if let Err(source) = stdin.write_all(input) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Wait {
                    name: name.to_owned(),
                    source,
                });
            }
        }
        Ok(Self {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
            stop_signal: Signal::SIGTERM,
            grace: STOP_GRACE,
            exited: None,
        })
    }

    /// Sets the signal that asks the process to shut down (SIGTERM by default; PostgreSQL
    /// wants SIGINT for a fast shutdown that does not wait for clients).
    #[must_use]
    pub fn stop_signal(mut self, signal: Signal) -> Self {
        self.stop_signal = signal;
        self
    }

    /// Sets how long the process may take to exit after the stop signal before it is killed
    /// with SIGKILL (10 s by default).
    #[must_use]
    pub fn stop_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Calls `probe` every 20 ms until it returns `true`.
    ///
    /// # Errors
    ///
    /// [`Error::Exited`] when the process exits first, [`Error::Timeout`] after `timeout`;
    /// both carry the last lines of the log.
    pub fn wait_ready(
        &mut self,
        timeout: Duration,
        mut probe: impl FnMut() -> bool,
    ) -> Result<(), Error> {
        let start = Instant::now();
        loop {
            self.check_running()?;
            if probe() {
                return Ok(());
            }
            if start.elapsed() > timeout {
                return Err(Error::Timeout {
                    name: self.name.clone(),
                    timeout,
                    log: self.log.clone(),
                    tail: self.log_tail(TAIL_LINES),
                });
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until the log contains `needle` (e.g. "ready to accept connections").
    ///
    /// # Errors
    ///
    /// As [`Process::wait_ready`].
    pub fn wait_for_log(&mut self, needle: &str, timeout: Duration) -> Result<(), Error> {
        let log = self.log.clone();
        self.wait_ready(timeout, || read_log(&log).contains(needle))
    }

    /// Returns `Ok` while the process runs.
    ///
    /// # Errors
    ///
    /// [`Error::Exited`] with the log tail once it has exited.
    pub fn check_running(&mut self) -> Result<(), Error> {
        let status = match self.exited {
            Some(status) => Some(status),
            None => self.child.try_wait().map_err(|source| Error::Wait {
                name: self.name.clone(),
                source,
            })?,
        };
        match status {
            None => Ok(()),
            Some(status) => {
                self.exited = Some(status);
                Err(Error::Exited {
                    name: self.name.clone(),
                    status,
                    log: self.log.clone(),
                    tail: self.log_tail(TAIL_LINES),
                })
            }
        }
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Path of the log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The whole log so far (lossy UTF-8; empty if unreadable).
    pub fn log(&self) -> String {
        read_log(&self.log)
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log(), lines)
    }

    /// Stops the process (stop signal, then SIGKILL after the grace period) and returns how it exited.
    /// Calling it again returns the same status.
    ///
    /// # Errors
    ///
    /// [`Error::Wait`] when waiting for the process fails.
    pub fn stop(&mut self) -> Result<ExitStatus, Error> {
        if let Some(status) = self.exited {
            return Ok(status);
        }
        let wait_error = |name: &str, source| Error::Wait {
            name: name.to_owned(),
            source,
        };
        if let Some(status) = self
            .child
            .try_wait()
            .map_err(|e| wait_error(&self.name, e))?
        {
            self.exited = Some(status);
            return Ok(status);
        }
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // ESRCH means it exited meanwhile; the wait below collects it.
            let _ = kill(Pid::from_raw(pid), self.stop_signal);
        }
        let deadline = Instant::now() + self.grace;
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .try_wait()
                .map_err(|e| wait_error(&self.name, e))?
            {
                self.exited = Some(status);
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Still running after the grace period.
        let _ = self.child.kill();
        let status = self.child.wait().map_err(|e| wait_error(&self.name, e))?;
        self.exited = Some(status);
        Ok(status)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Nothing useful to do with an error while dropping: the child is gone or unwaitable.
        let _ = self.stop();
    }
}

/// Reads a log file as lossy UTF-8, or an empty string when it cannot be read.
pub fn read_log(path: &Path) -> String {
    fs_err::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The last `lines` lines of `text`, each indented by two spaces.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    let mut out = String::new();
    for line in &all[start..] {
        let _ = writeln!(out, "  {line}");
    }
    if out.is_empty() {
        out.push_str("  (log is empty)\n");
    }
    out
}

/// Runs `command` to completion with its output appended to `log`; for setup steps such as
/// `initdb`.
///
/// # Errors
///
/// [`Error::Spawn`] when it cannot start, [`Error::Exited`] (with the log tail) when it exits
/// unsuccessfully, [`Error::Timeout`] after `timeout` (the command is killed).
pub fn run(name: &str, command: Command, log: &Path, timeout: Duration) -> Result<(), Error> {
    run_process(Process::spawn(name, command, log)?, log, timeout)
}

/// As [`run`], with `input` written to the command's stdin (which is then closed).
///
/// # Errors
///
/// As [`run`], and [`Error::Wait`] when writing to stdin fails.
pub fn run_with_input(
    name: &str,
    command: Command,
    input: &[u8],
    log: &Path,
    timeout: Duration,
) -> Result<(), Error> {
    run_process(
        Process::spawn_with_input(name, command, Some(input), log)?,
        log,
        timeout,
    )
}

/// Waits for `process` to exit successfully within `timeout`.
fn run_process(process: Process, log: &Path, timeout: Duration) -> Result<(), Error> {
    let name = process.name.clone();
    let mut process = process.stop_signal(Signal::SIGKILL);
    let start = Instant::now();
    loop {
        match process.check_running() {
            Ok(()) => {}
            Err(Error::Exited { status, .. }) if status.success() => return Ok(()),
            Err(error) => return Err(error),
        }
        if start.elapsed() > timeout {
            return Err(Error::Timeout {
                name,
                timeout,
                log: log.to_owned(),
                tail: process.log_tail(TAIL_LINES),
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn exit_before_ready_shows_the_log_tail() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = dir.path().join("p.log");
        let mut process = Process::spawn("dies", sh("echo first; echo boom >&2; exit 3"), &log)
            .unwrap_or_else(|e| panic!("{e}"));
        let error = process
            .wait_ready(Duration::from_secs(5), || false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("`dies` exited"), "{error}");
        assert!(error.contains("  first\n  boom"), "{error}");
    }

    #[test]
    fn timeout_shows_the_log_tail_and_drop_stops_the_process() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = dir.path().join("p.log");
        let mut process = Process::spawn("sleeper", sh("echo waiting; exec sleep 30"), &log)
            .unwrap_or_else(|e| panic!("{e}"));
        let pid = process.pid();
        std::thread::sleep(Duration::from_millis(100));
        let error = process
            .wait_ready(Duration::from_millis(100), || false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("not ready after"), "{error}");
        assert!(error.contains("  waiting"), "{error}");
        let started = Instant::now();
        drop(process);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "pid {pid} alive"
        );
    }

    #[test]
    fn stop_escalates_to_sigkill_when_the_stop_signal_is_ignored() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = dir.path().join("p.log");
        // `exec`: SIGKILL reaches only the direct child, so a forked `sleep` would be orphaned.
        let mut process =
            Process::spawn("stubborn", sh("trap '' USR1; echo up; exec sleep 30"), &log)
                .unwrap_or_else(|e| panic!("{e}"))
                .stop_signal(Signal::SIGUSR1)
                .stop_grace(Duration::from_millis(200));
        process
            .wait_for_log("up", Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{e}"));
        let status = process.stop().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9)
        );
    }

    #[test]
    fn address_in_use_is_recognised_in_the_log_tail() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = dir.path().join("p.log");
        let clash = "echo 'listen tcp 127.0.0.1:1: bind: address already in use'; exit 1";
        let error = run("clash", sh(clash), &log, Duration::from_secs(5)).err();
        assert!(error.is_some_and(|e| e.is_address_in_use()));
        let other_log = dir.path().join("other.log");
        let other = run(
            "other",
            sh("echo other; exit 1"),
            &other_log,
            Duration::from_secs(5),
        );
        let error = other.err();
        assert!(error.is_some_and(|e| !e.is_address_in_use()));
    }

    #[test]
    fn run_with_input_feeds_stdin() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = dir.path().join("input.log");
        let out = dir.path().join("out");
        let script = format!("cat > '{}'", out.display());
        run_with_input(
            "cat",
            sh(&script),
            b"secret\n",
            &log,
            Duration::from_secs(5),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fs_err::read_to_string(&out).unwrap_or_default(), "secret\n");
    }

    #[test]
    fn run_reports_failure_with_output() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = dir.path().join("setup.log");
        run("ok", sh("echo fine"), &log, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
        let error = run("bad", sh("echo nope; exit 1"), &log, Duration::from_secs(5))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("`bad` exited") && error.contains("  nope"),
            "{error}"
        );
    }
}
