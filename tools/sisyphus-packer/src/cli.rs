//! The packer's command line (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Build reproducible OCI image layouts (config images, plain images, image indexes) and plan
/// files.
///
/// The image commands print the digest of the result (the manifest or index the layout's
/// index.json points to) on stdout. The same inputs give the same bytes on every machine.
#[derive(Debug, Parser)]
#[command(name = "sisyphus-packer", version)]
pub struct Cli {
    /// What to build.
    #[command(subcommand)]
    pub command: Command,
}

/// The packer's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a config image: index.json plus the Starlark files, in one layer.
    ConfigImage(ConfigImageArgs),
    /// Build a plain one-layer image (for examples and tests; not a rules_oci replacement).
    Image(ImageArgs),
    /// Build an image index over per-platform image layouts.
    Index(IndexArgs),
    /// Load a production folder into a plan file (what `sisyphus plan -o` writes). Problems are
    /// listed on stderr as `error: file:line:column: message`, files relative to the folder.
    Plan(PlanArgs),
}

/// `sisyphus-packer plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The production folder: one subfolder per namespace, plus `global/`.
    #[arg(long, value_name = "DIR")]
    pub monitor_directory: PathBuf,
    /// The plan file to write (binary protobuf, `sisyphus.plan.v1.Plan`).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
}

/// Where the result goes.
#[derive(Debug, Args)]
pub struct Output {
    /// The image layout directory to write (created; an old layout there is replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also write the digest (with a trailing newline) to this file.
    #[arg(long, value_name = "FILE")]
    pub digest_file: Option<PathBuf>,
}

/// `sisyphus-packer config-image`.
#[derive(Debug, Args)]
pub struct ConfigImageArgs {
    /// Output options.
    #[command(flatten)]
    pub output: Output,
    /// The binary image's layout directory; its index.json must point to one manifest or index.
    #[arg(
        long,
        value_name = "LAYOUT_DIR",
        conflicts_with = "binary_digest",
        required_unless_present = "binary_digest"
    )]
    pub binary_image: Option<PathBuf>,
    /// The binary image's digest, when no layout is at hand.
    #[arg(long, value_name = "sha256:...")]
    pub binary_digest: Option<String>,
    /// The binary image's repository, without tag or digest (e.g. `registry.example/echo`).
    #[arg(long, value_name = "REPO")]
    pub binary_repository: String,
    /// The Starlark entry point, relative to the config root.
    #[arg(long, value_name = "PATH")]
    pub entrypoint: String,
    /// A file: `ROOT_RELATIVE_PATH=SOURCE_PATH` (repeatable).
    #[arg(long = "file", value_name = "PATH=SOURCE")]
    pub files: Vec<String>,
    /// More `--file` values, one `ROOT_RELATIVE_PATH=SOURCE_PATH` per line.
    #[arg(long, value_name = "ARGFILE")]
    pub files_from: Vec<PathBuf>,
}

/// `sisyphus-packer image`.
#[derive(Debug, Args)]
pub struct ImageArgs {
    /// Output options.
    #[command(flatten)]
    pub output: Output,
    /// A file: `DEST=SOURCE` (repeatable). Mode 0755 when the source is executable, else 0644.
    #[arg(long = "file", value_name = "DEST=SOURCE")]
    pub files: Vec<String>,
    /// One element of the entrypoint (repeatable, in order).
    #[arg(long, value_name = "ARG")]
    pub entrypoint: Vec<String>,
    /// One element of the default command (repeatable, in order).
    #[arg(long, value_name = "ARG")]
    pub cmd: Vec<String>,
    /// An environment variable `KEY=VALUE` (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// The working directory.
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// The user to run as.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// A base image layout to add the layer on top of.
    #[arg(long, value_name = "LAYOUT")]
    pub base: Option<PathBuf>,
    /// The platform, `os/architecture[/variant]`; default: the base's, else `linux/amd64`.
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,
}

/// `sisyphus-packer index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Output options.
    #[command(flatten)]
    pub output: Output,
    /// A single-image layout (repeatable); its platform comes from its image config.
    #[arg(long = "manifest", value_name = "LAYOUT", required = true)]
    pub manifests: Vec<PathBuf>,
}
