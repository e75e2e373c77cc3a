//! The process environment, read once: the only place the CLI reads environment variables.
//!
//! Commands ask for what they need ([`host_env`], [`cache_dir`], [`no_color`]) instead of
//! calling `std::env` themselves, so what a command depends on is visible here. Variables whose
//! name or value is not UTF-8 are left out (std's `env::vars` would panic on them).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::bail;
use sisyphus_local::HostEnv;

/// The environment snapshot taken on first use.
pub fn host_env() -> &'static HostEnv {
    static HOST: OnceLock<HostEnv> = OnceLock::new();
    HOST.get_or_init(|| {
        HostEnv(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        )
    })
}

/// The value of `name`, if set (and UTF-8).
pub fn var(name: &str) -> Option<String> {
    host_env().get(name).map(str::to_owned)
}

/// Whether `NO_COLOR` asks for plain output.
pub fn no_color() -> bool {
    host_env().get("NO_COLOR").is_some()
}

/// The config image cache: `$XDG_CACHE_HOME/sisyphus`, else `~/.cache/sisyphus`.
///
/// # Errors
///
/// Neither `XDG_CACHE_HOME` nor `HOME` is set.
pub fn cache_dir() -> anyhow::Result<PathBuf> {
    match (var("XDG_CACHE_HOME"), var("HOME")) {
        (Some(dir), _) if !dir.is_empty() => Ok(Path::new(&dir).join("sisyphus")),
        (_, Some(home)) => Ok(Path::new(&home).join(".cache").join("sisyphus")),
        _ => bail!("cannot find a cache directory: set `XDG_CACHE_HOME` or `HOME`"),
    }
}
