//! The process environment, read once: the only place the CLI's own code reads environment
//! variables.
//!
//! Commands ask for what they need ([`host_env`], [`cache_dir`], [`no_color`]) instead of
//! calling `std::env` themselves, so what a command depends on is visible here. Variables whose
//! name or value is not UTF-8 are left out (std's `env::vars` would panic on them).
//!
//! Read elsewhere, by libraries: clap reads the flag fallbacks declared with `env = ...`
//! (`MONITOR_DIRECTORY`, `SISYPHUS_PODMAN`, listed in `--help`), tracing-subscriber reads
//! `RUST_LOG`, and `docker_credential` reads `PATH` to find credential helpers.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::bail;
use sisyphus_local::HostEnv;

/// The environment snapshot taken on first use.
pub fn host_env() -> &'static HostEnv {
    static HOST: OnceLock<HostEnv> = OnceLock::new();
    // A variable set to a non-UTF-8 value is remembered as such, so a config that needs it is
    // told so instead of "not set".
    HOST.get_or_init(|| HostEnv::from_vars_os(std::env::vars_os()))
}

/// The value of `name`, if set (and UTF-8).
pub fn var(name: &str) -> Option<String> {
    host_env().get(name).map(str::to_owned)
}

/// Whether `NO_COLOR` asks for plain output.
pub fn no_color() -> bool {
    host_env().get("NO_COLOR").is_some()
}

/// The config image cache: `$XDG_CACHE_HOME/sisyphus`, else `$HOME/.cache/sisyphus`. An empty
/// or relative value counts as unset (the XDG base directory rule), so the cache never lands in
/// the current directory.
///
/// # Errors
///
/// Neither `XDG_CACHE_HOME` nor `HOME` is set to an absolute path.
pub fn cache_dir() -> anyhow::Result<PathBuf> {
    cache_dir_from(var("XDG_CACHE_HOME"), var("HOME"))
}

fn cache_dir_from(xdg_cache_home: Option<String>, home: Option<String>) -> anyhow::Result<PathBuf> {
    let absolute = |v: Option<String>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    match (absolute(xdg_cache_home), absolute(home)) {
        (Some(dir), _) => Ok(dir.join("sisyphus")),
        (None, Some(home)) => Ok(home.join(".cache").join("sisyphus")),
        (None, None) => bail!(
            "cannot find a cache directory: set `XDG_CACHE_HOME` or `HOME` to an absolute path"
        ),
    }
}

/// Where the state database lives when neither `--database-url` nor `SISYPHUS_DATABASE_URL`
/// names one: `$XDG_STATE_HOME/sisyphus/sisyphus.db`, else `$HOME/.local/state/sisyphus/sisyphus.db`
/// (an SQLite file, created with its directory on first use).
///
/// # Errors
///
/// Neither `XDG_STATE_HOME` nor `HOME` is set to an absolute path.
pub fn default_database_file() -> anyhow::Result<PathBuf> {
    let absolute = |v: Option<String>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    match (absolute(var("XDG_STATE_HOME")), absolute(var("HOME"))) {
        (Some(dir), _) => Ok(dir.join("sisyphus").join("sisyphus.db")),
        (None, Some(home)) => Ok(home
            .join(".local")
            .join("state")
            .join("sisyphus")
            .join("sisyphus.db")),
        (None, None) => bail!(
            "cannot find a place for the state database: pass `--database-url`, or set \
             `XDG_STATE_HOME` or `HOME` to an absolute path"
        ),
    }
}

/// Who is pushing, when `--user`/`SISYPHUS_USER` does not say: `$USER`, else `$LOGNAME`, else
/// the name of the process's user id.
pub fn os_user() -> String {
    var("USER")
        .or_else(|| var("LOGNAME"))
        .filter(|u| !u.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| format!("uid {}", nix::unistd::getuid()))
}

/// Registry deadlines: `SISYPHUS_REGISTRY_CONNECT_TIMEOUT`, `SISYPHUS_REGISTRY_READ_TIMEOUT` and
/// `SISYPHUS_REGISTRY_TIMEOUT` (one whole resolve or pull), in seconds; unset or not a
/// positive number keeps the default (10, 30 and 120 s).
pub fn registry_timeouts() -> sisyphus_registry::Timeouts {
    let mut timeouts = sisyphus_registry::Timeouts::default();
    let seconds = |name: &str| {
        var(name)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(std::time::Duration::from_secs_f64)
    };
    if let Some(d) = seconds("SISYPHUS_REGISTRY_CONNECT_TIMEOUT") {
        timeouts.connect = d;
    }
    if let Some(d) = seconds("SISYPHUS_REGISTRY_READ_TIMEOUT") {
        timeouts.read = d;
    }
    if let Some(d) = seconds("SISYPHUS_REGISTRY_TIMEOUT") {
        timeouts.overall = d;
    }
    timeouts
}

/// This machine's host name (`unknown` if it cannot be read).
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `$KUBECONFIG` (a path list) and `$HOME`, for finding kubeconfig files.
pub fn kubeconfig_env() -> (Option<std::ffi::OsString>, Option<PathBuf>) {
    (
        var("KUBECONFIG").map(Into::into),
        var("HOME").map(PathBuf::from),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_relative_values_count_as_unset() {
        let s = |v: &str| Some(v.to_owned());
        let dir = |x, h| cache_dir_from(x, h).map_err(|e| e.to_string());
        assert_eq!(dir(s("/x"), s("/h")), Ok(PathBuf::from("/x/sisyphus")));
        assert_eq!(dir(s(""), s("/h")), Ok(PathBuf::from("/h/.cache/sisyphus")));
        assert_eq!(
            dir(s("rel"), s("/h")),
            Ok(PathBuf::from("/h/.cache/sisyphus"))
        );
        assert!(dir(None, s("")).is_err());
        assert!(dir(s("."), s("home")).is_err());
    }
}
