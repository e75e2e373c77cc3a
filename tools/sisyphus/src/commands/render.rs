//! `sisyphus render`: load → resolve → render, then print the desired objects per cluster.
//! Nothing is applied.

use std::path::PathBuf;

use crate::ExitStatus;
use crate::commands::image::RegistryArgs;
use crate::context::Context;
use crate::pipeline::{self, Source};
use crate::views;

/// Arguments of `sisyphus render`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The production folder: one subfolder per namespace, plus `global/`.
    #[arg(long, env = "MONITOR_DIRECTORY", value_name = "DIR")]
    pub monitor_directory: PathBuf,
    /// Only render for this cluster (a kubeconfig context name; repeatable). Default: every
    /// cluster a resource targets.
    #[arg(long = "cluster", value_name = "CLUSTER")]
    pub clusters: Vec<String>,
    /// `yaml`: one `---` document per object, after a `# cluster: <name>` comment; `json`:
    /// `{"<cluster>": [objects...]}`.
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
    /// Registry access.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Output formats of `sisyphus render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Multi-document YAML.
    Yaml,
    /// One JSON object keyed by cluster.
    Json,
}

/// What the problem summary says was not done.
const OUTCOME: &str = "no objects printed";

/// Run the command.
///
/// # Errors
///
/// [`crate::views::problems::Problems`] for problems in the folder, its config images or the
/// render; other errors when the folder cannot be listed, there is no cache directory, or
/// stdout/stderr are closed.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let source = Source::Folder(args.monitor_directory.clone());
    let mut plan = pipeline::load(&source, OUTCOME)?;
    pipeline::restrict_to_clusters(&mut plan, &args.clusters)?;
    let rendered = pipeline::render(ctx, &plan, &args.registry, &source.shown(), OUTCOME)?;
    crate::printer::warnings(&rendered.warnings)?;
    let text = match args.format {
        Format::Yaml => views::objects::yaml(&rendered.objects)?,
        Format::Json => views::objects::json(&rendered.objects)?,
    };
    crate::printer::stdout(&text)?;
    Ok(ExitStatus::Success)
}
