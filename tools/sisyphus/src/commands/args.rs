//! Arguments shared by the commands that work on clusters and the state database.

use std::path::PathBuf;

use crate::commands::image::RegistryArgs;
use crate::pipeline::Source;

/// Where the resources come from: a production folder or a plan file.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct SourceArgs {
    /// The production folder: one subfolder per namespace, plus `global/`.
    #[arg(long, env = "MONITOR_DIRECTORY", value_name = "DIR")]
    pub monitor_directory: Option<PathBuf>,
    /// A plan file written by `sisyphus plan -o` or `sisyphus-packer plan` (Bazel's
    /// `sisyphus_environment`), instead of a folder.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// `diff` and `push`: a change set saved by `sisyphus diff --out`, exactly its changes,
    /// from its plan and pinned digests (no tag resolved again), refused when anything moved
    /// since.
    #[arg(long, value_name = "FILE")]
    pub changes: Option<PathBuf>,
}

impl SourceArgs {
    /// The source named.
    pub fn source(&self) -> Source {
        match (&self.monitor_directory, &self.plan, &self.changes) {
            (_, _, Some(changes)) => Source::Changes(changes.clone()),
            (_, Some(plan), None) => Source::PlanFile(plan.clone()),
            (Some(dir), None, None) => Source::Folder(dir.clone()),
            // clap's group requires one of them.
            (None, None, None) => Source::Folder(PathBuf::from(".")),
        }
    }
}

/// The state database.
#[derive(Debug, clap::Args)]
pub struct DatabaseArgs {
    /// The state database: `sqlite://PATH`, `postgres://USER:PASSWORD@HOST/DB` or
    /// `mysql://USER:PASSWORD@HOST/DB` (MariaDB too). Default: the SQLite file
    /// `$XDG_STATE_HOME/sisyphus/sisyphus.db` (else `~/.local/state/sisyphus/sisyphus.db`).
    #[arg(
        long,
        env = "SISYPHUS_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
}

/// Which clusters and namespaces, and how to reach them.
#[derive(Clone, Debug, clap::Args)]
pub struct ClusterArgs {
    /// Only this cluster (a kubeconfig context name; repeatable). Default: every cluster the
    /// folder targets or declares, and every cluster the state database has objects in.
    #[arg(long = "cluster", value_name = "CLUSTER")]
    pub clusters: Vec<String>,
    /// Only objects in this namespace (repeatable), and the Namespace object itself.
    #[arg(long = "namespace", value_name = "NAMESPACE")]
    pub namespaces: Vec<String>,
    /// The kubeconfig file. Default: `$KUBECONFIG` (a path list), else `~/.kube/config`.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
}

/// Who is doing this, for the history and the push lock.
#[derive(Debug, clap::Args)]
pub struct UserArgs {
    /// Recorded as who did it. Default: the OS user.
    #[arg(long, env = "SISYPHUS_USER", value_name = "NAME")]
    pub user: Option<String>,
}

impl UserArgs {
    /// The user to record.
    pub fn user(&self) -> String {
        self.user
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(crate::settings::os_user)
    }

    /// This process, as the push lock and the history record it.
    pub fn holder(&self) -> sisyphus_state::Holder {
        sisyphus_state::Holder {
            user: self.user(),
            host: crate::settings::hostname(),
            pid: std::process::id(),
        }
    }
}

/// `text` or `json` output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// For people: counts per cluster, then a coloured unified YAML diff per changed object.
    Text,
    /// The change set as JSON (schema in docs/pipeline.md); no secret value ever.
    Json,
}

/// Everything `diff` and `push` share.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The resources.
    #[command(flatten)]
    pub source: SourceArgs,
    /// The state database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Clusters and namespaces.
    #[command(flatten)]
    pub clusters: ClusterArgs,
    /// Registry access.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// How to show the change set.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// `text` or `json` output of a listing (history, status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For programs (schema in docs/state.md); no secret value ever.
    Json,
}

/// Print `value` as pretty JSON on stdout.
///
/// # Errors
///
/// stdout is closed.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    crate::printer::stdout(&text)
}

/// A duration as people write it: `90s`, `15m`, `1h30m`, `500ms` (a bare number is seconds).
///
/// # Errors
///
/// A message naming what was expected, for clap to show.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let expected = || {
        format!(
            "invalid duration `{}`: expected a number with a unit, like `90s`, `15m`, `1h30m` or \
             `500ms`",
            sisyphus_core::text::escape_line(text)
        )
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(expected());
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(seconds));
    }
    let mut total = std::time::Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: u64 = rest[..digits].parse().map_err(|_| expected())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => std::time::Duration::from_millis(1),
            "s" => std::time::Duration::from_secs(1),
            "m" => std::time::Duration::from_secs(60),
            "h" => std::time::Duration::from_secs(3600),
            _ => return Err(expected()),
        };
        rest = &rest[unit_len..];
        let part = u32::try_from(number)
            .ok()
            .and_then(|n| unit.checked_mul(n))
            .ok_or_else(expected)?;
        total = total.checked_add(part).ok_or_else(expected)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_duration;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        for bad in ["", "s", "10x", "1.5m", "-3s", "99999999999h", "10 s"] {
            let error = parse_duration(bad).expect_err(bad);
            assert!(error.contains("expected a number with a unit"), "{error}");
        }
    }
}
