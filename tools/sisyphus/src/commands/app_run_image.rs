//! `sisyphus app run-image`: pull a config image and run its binary image with podman.
//!
//! Resolve and pull the config image (cached by digest), evaluate its Starlark like
//! `run-config`, resolve variables from the host environment for a container, and run
//! `podman run` with the pinned binary image. Secret values reach podman through its
//! environment, never its argv.

#![allow(clippy::print_stdout, reason = "--print writes data to stdout")]

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context;
use sisyphus_local::Target;
use sisyphus_local::podman::{PodmanOptions, invocation};
use sisyphus_registry::Reference;

use crate::ExitStatus;
use crate::commands::image::{RegistryArgs, block_on, pull, registry_client};
use crate::commands::local_run::{
    ContextArgs, find_program, masked_env, overlay_env, run_child, warn_unknown_environment,
};

/// Arguments of `sisyphus app run-image`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The config image: `registry/repository:tag` or `...@sha256:...`.
    #[arg(long, value_name = "REF")]
    pub image: String,
    /// What `ctx` returns.
    #[command(flatten)]
    pub context: ContextArgs,
    /// The podman program: a path, or a name looked up on `PATH`.
    #[arg(
        long,
        env = "SISYPHUS_PODMAN",
        default_value = "podman",
        value_name = "PROGRAM"
    )]
    pub podman: PathBuf,
    /// Registry access (for the config image, and `--tls-verify=false` for the binary image's
    /// registry when it is insecure).
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Print the podman argv and env as JSON (secret values masked) instead of running.
    #[arg(long)]
    pub print: bool,
    /// Extra arguments for the binary, after the config's args.
    #[arg(last = true, value_name = "ARGS")]
    pub extra: Vec<OsString>,
}

/// Pull, evaluate, and run the binary image with podman; the exit code is podman's.
///
/// # Errors
///
/// Registry errors, a bad config image or config, missing variables, podman not found.
pub fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let host = crate::settings::host_env();
    let reference: Reference = args.image.parse()?;
    let client = registry_client(&args.registry);
    let (digest, image) = block_on(pull(&client, &reference))?;

    let ctx = args.context.eval_context();
    let files = sisyphus_starlark::MemoryFiles(image.files.clone());
    let app = sisyphus_starlark::evaluate(&files, image.entrypoint(), &ctx).with_context(|| {
        format!(
            "failed to evaluate `{}` in config image `{reference}@{digest}`",
            image.entrypoint()
        )
    })?;
    warn_unknown_environment(&app, &args.context.environment);
    let local = sisyphus_local::resolve(&app, host, Target::Container)
        .with_context(|| format!("cannot run config image `{reference}` locally"))?;
    if local.args.iter().any(|a| a.secret) {
        tracing::warn!(
            "the config passes a StringVariable as an argument: its value is visible in podman's command line"
        );
    }

    let binary: Reference = image
        .index
        .binary_reference()
        .parse()
        .context("the config image's index.json names an invalid binary image")?;
    let options = PodmanOptions {
        insecure_registry: client.is_insecure(&binary),
        extra_args: args
            .extra
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    };
    let podman = invocation(&local, &binary.to_string(), &options);
    let env = overlay_env(sisyphus_local::base_env(host, &[]), podman.env.clone());

    if args.print {
        let masked = masked_env(&env, |k| podman.env.iter().any(|(name, _)| name == k));
        let out = serde_json::json!({
            "config_image": format!("{}@{digest}", reference.repository_reference()),
            "program": args.podman,
            "argv": podman.args,
            "env": masked,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitStatus::Success);
    }

    let program = find_program(
        &args.podman,
        host,
        "install podman, or name the program with `--podman` or `SISYPHUS_PODMAN`",
    )?;
    let argv: Vec<OsString> = podman.args.iter().map(OsString::from).collect();
    run_child(&program, &argv, &env)
}
