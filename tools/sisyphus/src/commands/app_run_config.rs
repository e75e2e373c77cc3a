//! `sisyphus app run-config`: run a local binary with the args and env its config gives it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sisyphus_local::{LocalRun, Target};

use crate::ExitStatus;
use crate::commands::local_run::{
    ContextArgs, find_program, masked_env, overlay_env, run_child, warn_unknown_environment,
};
use crate::diagnostics::Hint;

/// Arguments of `sisyphus app run-config`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Starlark config to evaluate (relative to the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The binary to run: a path, or a bare name looked up on `PATH`.
    #[arg(long, value_name = "PATH")]
    pub binary: PathBuf,
    /// What `ctx` returns.
    #[command(flatten)]
    pub context: ContextArgs,
    /// The root that `load("//...")` starts from; the config must be inside it.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub config_root: PathBuf,
    /// Also pass this host variable to the child (repeatable). By default the child gets only
    /// HOME, LANG, LANGUAGE, LC_ALL, LC_CTYPE, LC_MESSAGES, LOGNAME, PATH, SHELL, TERM, TMPDIR,
    /// TZ and USER from the host, plus what the config defines.
    #[arg(long = "pass-env", value_name = "NAME")]
    pub pass_env: Vec<String>,
    /// Print the resolved argv and env as JSON (secret values masked) instead of running.
    #[arg(long)]
    pub print: bool,
    /// Extra arguments for the binary, after the config's args.
    #[arg(last = true, value_name = "ARGS")]
    pub extra: Vec<OsString>,
}

/// Evaluate the config, resolve its variables from the host environment and run the binary.
///
/// # Errors
///
/// Bad config, missing variables (all listed), binary not found or not startable.
pub fn run(context: &crate::context::Context, args: Args) -> anyhow::Result<ExitStatus> {
    let host = crate::settings::host_env();
    let ctx = args.context.eval_context();
    let (root, entrypoint) = config_location(&args.config_root, &args.config)?;
    let files = sisyphus_starlark::DirFiles::new(root);
    let app = sisyphus_starlark::evaluate(&files, &entrypoint, &ctx)
        .with_context(|| format!("failed to evaluate `{}`", args.config.display()))?;
    warn_unknown_environment(&app, &args.context.environment);
    let local = sisyphus_local::resolve(&app, host, Target::Host)
        .with_context(|| format!("cannot run `{}` locally", args.config.display()))?;
    let program = find_program(&args.binary, host, "pass a path to the binary")?;
    let env = overlay_env(
        sisyphus_local::base_env(host, &args.pass_env),
        local.env.iter().map(|e| (e.name.clone(), e.value.clone())),
    );
    let mut argv: Vec<OsString> = local.args.iter().map(|a| a.value.clone().into()).collect();
    argv.extend(args.extra.iter().cloned());

    if args.print {
        crate::printer::stdout_line(&printable(&program, &local, &env, &args.extra)?)?;
        return Ok(ExitStatus::Success);
    }
    run_child(context, &program, &argv, &env)
}

/// The config root and the config's path inside it (`/`-separated).
fn config_location(root: &Path, config: &Path) -> anyhow::Result<(PathBuf, String)> {
    let root = fs_err::canonicalize(root).context("cannot use the config root")?;
    let config_abs = fs_err::canonicalize(config).context("cannot read the config")?;
    let Ok(relative) = config_abs.strip_prefix(&root) else {
        return Err(anyhow::Error::new(Hint::new(
            "pass `--config-root` with a directory that contains the config",
        ))
        .context(format!(
            "config `{}` is outside the config root `{}`",
            config.display(),
            root.display()
        )));
    };
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok((root, parts.join("/")))
}

fn printable(
    program: &Path,
    local: &LocalRun,
    env: &[(String, String)],
    extra: &[OsString],
) -> anyhow::Result<String> {
    const MASK: &str = "****";
    let secret_env: Vec<&str> = local
        .env
        .iter()
        .filter(|e| e.secret)
        .map(|e| e.name.as_str())
        .collect();
    let mut argv = vec![program.display().to_string()];
    argv.extend(local.args.iter().map(|a| {
        if a.secret {
            MASK.to_owned()
        } else {
            a.value.clone()
        }
    }));
    argv.extend(extra.iter().map(|a| a.to_string_lossy().into_owned()));
    let env = masked_env(env, |k| secret_env.contains(&k));
    let out = serde_json::json!({
        "argv": argv,
        "env": env,
        "ports": local.ports,
        "files": local.files,
    });
    serde_json::to_string_pretty(&out).context("failed to print the run")
}
