//! What each packer command does: read the inputs, call `sisyphus-oci` (or `sisyphus-load` and
//! `sisyphus-plan`), write the result.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use sisyphus_core::Digest;
use sisyphus_oci::build::{self, ImageInput};
use sisyphus_oci::layer::LayerFile;

use crate::cli::{Command, ConfigImageArgs, ImageArgs, IndexArgs, Output, PlanArgs};

/// What a command produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// An image layout with this digest (also written to `--digest-file`).
    Digest(Digest),
    /// A plan file was written.
    Plan,
}

/// The production folder has problems: each as `error: file:line:column: message` (files
/// relative to the folder), then a count. Printed as is.
#[derive(Debug)]
pub struct LoadProblems(pub String);

impl std::fmt::Display for LoadProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadProblems {}

/// Run a packer command.
///
/// # Errors
///
/// Bad arguments, unreadable inputs, invalid layouts, I/O errors writing the output;
/// [`LoadProblems`] for a production folder with problems.
pub fn run(command: Command) -> anyhow::Result<Outcome> {
    let (digest, output) = match &command {
        Command::ConfigImage(args) => (config_image(args)?, &args.output),
        Command::Image(args) => (image(args)?, &args.output),
        Command::Index(args) => (index(args)?, &args.output),
        Command::Plan(args) => {
            plan(args)?;
            return Ok(Outcome::Plan);
        }
    };
    write_digest(output, &digest)?;
    Ok(Outcome::Digest(digest))
}

fn write_digest(output: &Output, digest: &Digest) -> anyhow::Result<()> {
    if let Some(path) = &output.digest_file {
        fs_err::write(path, format!("{digest}\n")).context("failed to write the digest file")?;
    }
    Ok(())
}

fn config_image(args: &ConfigImageArgs) -> anyhow::Result<Digest> {
    let index = build::config_index(
        args.binary_digest.as_deref(),
        args.binary_image.as_deref(),
        &args.binary_repository,
        &args.entrypoint,
    )?;
    let mut specs: Vec<(String, String)> = Vec::new();
    for f in &args.files {
        specs.push((f.clone(), "--file".to_owned()));
    }
    for argfile in &args.files_from {
        let text = fs_err::read_to_string(argfile).context("failed to read `--files-from`")?;
        for (n, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                specs.push((line.to_owned(), format!("{}:{}", argfile.display(), n + 1)));
            }
        }
    }
    let mut files = BTreeMap::new();
    for (spec, origin) in specs {
        let (dest, src) = split_pair(&spec, &origin, "ROOT_RELATIVE_PATH=SOURCE_PATH")?;
        let contents = fs_err::read(src)
            .with_context(|| format!("failed to read a config file ({origin})"))?;
        if files.insert(dest.to_owned(), contents).is_some() {
            bail!("{origin}: `{dest}` is given twice");
        }
    }
    build::config_image(&args.output.out, &index, &files)
        .context("failed to build the config image")
}

/// Load the folder and write the plan file (through a fresh temporary file in the same
/// directory, renamed into place).
fn plan(args: &PlanArgs) -> anyhow::Result<()> {
    let dir = &args.monitor_directory;
    let plan = match sisyphus_load::load(dir) {
        Ok(plan) => plan,
        Err(sisyphus_load::Error::Invalid { diagnostics, .. }) => {
            let mut text: String = diagnostics
                .iter()
                .map(|d| format!("error: {d}\n"))
                .collect();
            text.push_str(&format!(
                "\nfound {} problem(s) in `{}` (locations are relative to it); no plan written\n",
                diagnostics.len(),
                dir.display()
            ));
            return Err(LoadProblems(text).into());
        }
        Err(err) => return Err(err.into()),
    };
    sisyphus_plan::write_file_outside(&args.output, &plan, dir)
        .with_context(|| format!("failed to write the plan file `{}`", args.output.display()))
}

fn image(args: &ImageArgs) -> anyhow::Result<Digest> {
    let mut files = Vec::new();
    for spec in &args.files {
        let (dest, src) = split_pair(spec, "--file", "DEST=SOURCE")?;
        files.push(LayerFile {
            path: dest.to_owned(),
            contents: fs_err::read(src).context("failed to read an image file")?,
            executable: is_executable(Path::new(src))?,
        });
    }
    let mut env = Vec::new();
    for e in &args.env {
        let (k, v) = split_pair(e, "--env", "KEY=VALUE")?;
        env.push((k.to_owned(), v.to_owned()));
    }
    let platform = match &args.platform {
        Some(p) => Some(p.parse().context("invalid `--platform`")?),
        None => None,
    };
    let input = ImageInput {
        files,
        entrypoint: (!args.entrypoint.is_empty()).then(|| args.entrypoint.clone()),
        cmd: (!args.cmd.is_empty()).then(|| args.cmd.clone()),
        env,
        workdir: args.workdir.clone(),
        user: args.user.clone(),
        base: args.base.clone(),
        platform,
    };
    build::image(&args.output.out, &input).context("failed to build the image")
}

fn index(args: &IndexArgs) -> anyhow::Result<Digest> {
    build::index(&args.output.out, &args.manifests).context("failed to build the image index")
}

fn split_pair<'a>(
    spec: &'a str,
    origin: &str,
    expected: &str,
) -> anyhow::Result<(&'a str, &'a str)> {
    match spec.split_once('=') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a, b)),
        _ => bail!("{origin}: expected `{expected}`, found `{spec}`"),
    }
}

fn is_executable(path: &Path) -> anyhow::Result<bool> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = fs_err::metadata(path).context("failed to read an image file")?;
    Ok(meta.permissions().mode() & 0o111 != 0)
}
