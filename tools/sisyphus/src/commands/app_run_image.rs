//! `sisyphus app run-image`: pull a config image and run its binary image with podman.
//!
//! Resolve and pull the config image (cached by digest), evaluate its Starlark like
//! `run-config`, resolve variables from the host environment for a container, and run
//! `podman run` with the pinned binary image.
//!
//! podman gets the whole host environment (rootless podman and private pulls need
//! `XDG_RUNTIME_DIR`, `REGISTRY_AUTH_FILE`, `CONTAINERS_*`, proxies...; podman passes none of it
//! into the container except the `--env NAME` ones) plus the secret values. Secret env values
//! reach podman through its environment, never its argv. A StringVariable used as an argument
//! cannot be hidden (podman does not expand variables in arguments): its value is on podman's
//! command line; we warn, and `--print` masks it.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context as _;
use sisyphus_local::Target;
use sisyphus_local::podman::{PodmanOptions, invocation};
use sisyphus_registry::Reference;

use crate::ExitStatus;
use crate::commands::image::{RegistryArgs, pull};
use crate::commands::local_run::{
    ContextArgs, find_program, masked_env, overlay_env, run_child, warn_unknown_environment,
};
use crate::context::{Context, registry_client};

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
    /// Print the podman argv and the variables added to podman's environment as JSON (secret
    /// values masked) instead of running. podman also gets the rest of your environment; it
    /// passes none of it into the container.
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
pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitStatus> {
    let host = crate::settings::host_env();
    let reference: Reference = args.image.parse()?;
    let client = registry_client(&args.registry);
    let (digest, image) = context.block_on(pull(&client, &reference))?;

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
    let podman = invocation(&local, &binary.to_string(), &options)
        .with_context(|| format!("cannot run config image `{reference}` locally"))?;

    if args.print {
        let added = masked_env(&podman.env, |_| true);
        let out = serde_json::json!({
            "config_image": format!("{}@{digest}", reference.repository_reference()),
            "program": args.podman,
            "argv": podman.masked_args(),
            "env": added,
        });
        crate::printer::stdout_line(&serde_json::to_string_pretty(&out)?)?;
        return Ok(ExitStatus::Success);
    }

    for (_, variable) in &podman.secret_args {
        tracing::warn!(
            "StringVariable `{variable}` is an argument: podman gets its value on its command line, where other users of this machine can see it (`ps`); use it through an env var in the config to keep it off the command line"
        );
    }
    let env = overlay_env(
        host.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        podman.env.clone(),
    );
    let program = find_program(
        &args.podman,
        host,
        "install podman, or name the program with `--podman` or `SISYPHUS_PODMAN`",
    )?;
    let argv: Vec<OsString> = podman.args.iter().map(OsString::from).collect();
    run_child(context, &program, &argv, &env)
}
