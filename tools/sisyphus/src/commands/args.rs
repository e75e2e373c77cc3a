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
}

impl SourceArgs {
    /// The source named.
    pub fn source(&self) -> Source {
        match (&self.monitor_directory, &self.plan) {
            (_, Some(plan)) => Source::PlanFile(plan.clone()),
            (Some(dir), None) => Source::Folder(dir.clone()),
            // clap's group requires one of them.
            (None, None) => Source::Folder(PathBuf::from(".")),
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
#[derive(Debug, clap::Args)]
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
