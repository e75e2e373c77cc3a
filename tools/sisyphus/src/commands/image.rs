//! `sisyphus image ...`: build, push, resolve and inspect config images.
//!
//! Glue only: building is `sisyphus_oci::build`, registry work is `sisyphus_registry`. This
//! module reads the environment for the registry client (credential file locations, the cache
//! directory) and draws push progress on a terminal.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context as _;
use sisyphus_core::Digest;
use sisyphus_oci::ConfigImage;
use sisyphus_registry::{Client, PushEvent, Reference};

use crate::context::{Context, registry_client};

use crate::{ExitStatus, printer};

/// `sisyphus image` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Build a config image layout from a config root directory (every `.star` file in it).
    ///
    /// The same as `sisyphus-packer config-image`, for projects without Bazel. Prints the
    /// config image's digest.
    Build(BuildArgs),
    /// Push an image layout (config image or any other) and tag it.
    ///
    /// Blobs the registry already has are skipped; manifests are pushed with their exact bytes,
    /// so the digest is the layout's. Prints `repository@digest` for each repository.
    Push(PushArgs),
    /// Resolve a reference to the digest it points to (one HEAD request; a digest reference is
    /// printed as is).
    Resolve(ResolveArgs),
    /// Show a config image's index.json and file list, from a registry or a layout directory.
    Inspect(InspectArgs),
}

/// Registry access options.
#[derive(Debug, clap::Args)]
pub struct RegistryArgs {
    /// Reach this registry (`host` or `host:port`) over plain HTTP (repeatable). Registries on
    /// localhost, 127.0.0.1 and `[::1]` always are.
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
}

/// `sisyphus image build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The config root: every `.star` file under it goes into the image (directories starting
    /// with `.` are skipped).
    #[arg(long, value_name = "DIR")]
    pub config_root: PathBuf,
    /// The Starlark entry point, relative to the config root.
    #[arg(long, value_name = "PATH")]
    pub entrypoint: String,
    /// The binary image's digest.
    #[arg(
        long,
        value_name = "sha256:...",
        required_unless_present = "binary_image",
        conflicts_with = "binary_image"
    )]
    pub binary_digest: Option<String>,
    /// The binary image's layout directory (its index.json's single entry gives the digest).
    #[arg(long, value_name = "LAYOUT_DIR")]
    pub binary_image: Option<PathBuf>,
    /// The binary image's repository, without tag or digest.
    #[arg(long, value_name = "REPO")]
    pub binary_repository: String,
    /// The image layout directory to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `sisyphus image push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The image layout directory to push.
    #[arg(long, value_name = "DIR")]
    pub layout: PathBuf,
    /// Where to push: `registry/repository:tag` (repeatable; a repository without tag is
    /// pushed by digest only).
    #[arg(long = "tag", value_name = "REF", required = true)]
    pub tags: Vec<String>,
    /// Registry access.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// No progress display.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `sisyphus image resolve`.
#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    /// The reference, e.g. `registry.example/team/app-config:prod`.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Print `{"reference": ..., "digest": ...}`.
    #[arg(long)]
    pub json: bool,
    /// Registry access.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `sisyphus image inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The config image reference (pulled into the cache).
    #[arg(
        value_name = "REF",
        required_unless_present = "layout",
        conflicts_with = "layout"
    )]
    pub reference: Option<String>,
    /// Read the config image from this layout directory instead.
    #[arg(long, value_name = "DIR")]
    pub layout: Option<PathBuf>,
    /// Print `{"digest": ..., "index": {...}, "files": [...]}`.
    #[arg(long)]
    pub json: bool,
    /// Registry access.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Run the command.
///
/// # Errors
///
/// Whatever the subcommand reports.
pub fn run(ctx: &Context, command: Command) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Build(args) => build(&args),
        Command::Push(args) => ctx.block_on(push(&args)),
        Command::Resolve(args) => ctx.block_on(resolve(&args)),
        Command::Inspect(args) => ctx.block_on(inspect(&args)),
    }
}

fn build(args: &BuildArgs) -> anyhow::Result<ExitStatus> {
    let index = sisyphus_oci::build::config_index(
        args.binary_digest.as_deref(),
        args.binary_image.as_deref(),
        &args.binary_repository,
        &args.entrypoint,
    )?;
    let files =
        sisyphus_oci::config_image::collect_config_root(&args.config_root).with_context(|| {
            format!(
                "failed to read config root `{}`",
                args.config_root.display()
            )
        })?;
    let digest = sisyphus_oci::build::config_image(&args.out, &index, &files)
        .context("failed to build the config image")?;
    printer::stdout_line(&digest.to_string())?;
    Ok(ExitStatus::Success)
}

async fn push(args: &PushArgs) -> anyhow::Result<ExitStatus> {
    let tags = args
        .tags
        .iter()
        .map(|t| t.parse::<Reference>())
        .collect::<Result<Vec<_>, _>>()?;
    let client = registry_client(&args.registry);
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |e: PushEvent| {
        let Some(bar) = &bar else { return };
        match e {
            PushEvent::Start {
                repository, bytes, ..
            } => {
                bar.set_position(0);
                bar.set_length(bytes);
                bar.set_message(format!("pushing to {repository}"));
            }
            PushEvent::BlobSkipped { size, .. } | PushEvent::BlobPushed { size, .. } => {
                bar.inc(size);
            }
            PushEvent::ManifestPushed { .. } | PushEvent::Tagged { .. } => {}
        }
    };
    let result = sisyphus_registry::push_layout(&client, &args.layout, &tags, &progress).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let digest = result.with_context(|| format!("failed to push `{}`", args.layout.display()))?;
    let mut seen = std::collections::BTreeSet::new();
    let mut out = String::new();
    for t in &tags {
        if seen.insert(t.repository_reference()) {
            out.push_str(&format!("{}@{digest}\n", t.repository_reference()));
        }
    }
    printer::stdout(&out)?;
    Ok(ExitStatus::Success)
}

async fn resolve(args: &ResolveArgs) -> anyhow::Result<ExitStatus> {
    let reference: Reference = args.reference.parse()?;
    let client = registry_client(&args.registry);
    let digest = sisyphus_registry::resolve(&client, &reference).await?;
    if args.json {
        let out = serde_json::json!({"reference": reference.to_string(), "digest": digest});
        printer::stdout_line(&serde_json::to_string_pretty(&out)?)?;
    } else {
        printer::stdout_line(digest.as_str())?;
    }
    Ok(ExitStatus::Success)
}

async fn inspect(args: &InspectArgs) -> anyhow::Result<ExitStatus> {
    // clap requires exactly one of the layout and the reference.
    let (digest, image) = if let Some(dir) = &args.layout {
        ConfigImage::read_layout(dir)
            .with_context(|| format!("failed to read config image layout `{}`", dir.display()))?
    } else {
        let reference: Reference = args.reference.as_deref().unwrap_or_default().parse()?;
        let client = registry_client(&args.registry);
        pull(&client, &reference).await?
    };
    let out = if args.json {
        let out = serde_json::json!({
            "digest": digest,
            "index": image.index,
            "files": image.paths(),
        });
        format!("{}\n", serde_json::to_string_pretty(&out)?)
    } else {
        let mut out = format!("digest: {digest}\nindex.json:\n");
        for line in image.index_json.lines() {
            out.push_str(&format!("  {line}\n"));
        }
        out.push_str("files:\n");
        for p in image.paths() {
            out.push_str(&format!("  {p}\n"));
        }
        out
    };
    printer::stdout(&out)?;
    Ok(ExitStatus::Success)
}

/// Pull a config image into the user's cache (see [`cache_dir`]).
pub(crate) async fn pull(
    client: &Client,
    reference: &Reference,
) -> anyhow::Result<(Digest, ConfigImage)> {
    let cache = crate::settings::cache_dir()?;
    sisyphus_registry::pull_config_image(client, reference, &cache)
        .await
        .with_context(|| format!("failed to pull config image `{reference}`"))
}
