//! What each packer command does: read the inputs, call `sisyphus-oci`, write the digest.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use sisyphus_core::Digest;
use sisyphus_core::config_image::ConfigIndex;
use sisyphus_oci::build::{self, ImageInput};
use sisyphus_oci::layer::LayerFile;
use sisyphus_oci::reference::Reference;

use crate::cli::{Command, ConfigImageArgs, ImageArgs, IndexArgs, Output};

/// Run a packer command; returns the digest of what it built (also written to `--digest-file`).
///
/// # Errors
///
/// Bad arguments, unreadable inputs, invalid layouts, I/O errors writing the output.
pub fn run(command: Command) -> anyhow::Result<Digest> {
    let (digest, output) = match &command {
        Command::ConfigImage(args) => (config_image(args)?, &args.output),
        Command::Image(args) => (image(args)?, &args.output),
        Command::Index(args) => (index(args)?, &args.output),
    };
    write_digest(output, &digest)?;
    Ok(digest)
}

fn write_digest(output: &Output, digest: &Digest) -> anyhow::Result<()> {
    if let Some(path) = &output.digest_file {
        fs_err::write(path, format!("{digest}\n")).context("failed to write the digest file")?;
    }
    Ok(())
}

fn config_image(args: &ConfigImageArgs) -> anyhow::Result<Digest> {
    let binary_digest = match (&args.binary_image, &args.binary_digest) {
        (Some(dir), None) => build::layout_digest(dir)
            .with_context(|| format!("failed to read binary image `{}`", dir.display()))?,
        (None, Some(d)) => d.parse().context("invalid `--binary-digest`")?,
        _ => bail!("pass exactly one of `--binary-image` and `--binary-digest`"),
    };
    let repo: Reference = args
        .binary_repository
        .parse()
        .context("invalid `--binary-repository`")?;
    if repo.tag.is_some() || repo.digest.is_some() {
        bail!(
            "invalid `--binary-repository` `{}`: expected a repository without tag or digest (the digest is pinned from the binary image)",
            args.binary_repository
        );
    }
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
    let index = ConfigIndex {
        binary_digest,
        // Fully qualified (`busybox` → `docker.io/library/busybox`), so podman and the cluster
        // never guess the registry through short-name resolution.
        binary_repository: repo.repository_reference(),
        config_entrypoint: args.entrypoint.clone(),
    };
    build::config_image(&args.output.out, &index, &files)
        .context("failed to build the config image")
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
