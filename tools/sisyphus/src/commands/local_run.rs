//! What `app run-config` and `app run-image` share: the flags that fill `ctx`, finding the
//! program to start, the child's environment, and running it with signals forwarded.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sisyphus_core::app::{Application, EvalContext};
use sisyphus_local::HostEnv;
use sisyphus_local::process::TerminalSignals;

use crate::ExitStatus;
use crate::context::Context;
use crate::diagnostics::{Hint, HintExt};

/// The flags that say where the config is evaluated (what `ctx` returns).
#[derive(Debug, clap::Args)]
pub struct ContextArgs {
    /// The execution environment that picks per-environment values.
    #[arg(long, default_value = "dev", value_name = "ENV")]
    pub environment: String,
    /// What `ctx.namespace()` returns (None when not given).
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// What `ctx.cluster()` returns (None when not given).
    #[arg(long, value_name = "CONTEXT")]
    pub cluster: Option<String>,
    /// What `ctx.name()` returns (None when not given).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

impl ContextArgs {
    /// The evaluation context these flags describe.
    pub fn eval_context(&self) -> EvalContext {
        EvalContext {
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            cluster: self.cluster.clone(),
            environment: self.environment.clone(),
        }
    }
}

/// Warn when the environment appears in none of the config's per-environment values while
/// others do: locally a typo only drops values, in a cluster render it is an error.
pub(crate) fn warn_unknown_environment(app: &Application, environment: &str) {
    if !app.environments.is_empty() && !app.environments.contains(environment) {
        let known: Vec<String> = app.environments.iter().map(|e| format!("`{e}`")).collect();
        tracing::warn!(
            "environment `{environment}` appears in none of the config's per-environment values (it uses {}): every per-environment value is unset",
            known.join(", ")
        );
    }
}

/// A path is used as is (it must exist); a bare name is looked up on the host's `PATH`. `hint`
/// says what to do when it is not found.
pub(crate) fn find_program(program: &Path, host: &HostEnv, hint: &str) -> anyhow::Result<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        if !program.exists() {
            return Err(anyhow::Error::new(Hint::new(hint))
                .context(format!("`{}` does not exist", program.display())));
        }
        return Ok(program.to_path_buf());
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    which::which_in(program, host.get("PATH"), cwd)
        .hint(hint)
        .with_context(|| format!("`{}` is not on `PATH`", program.display()))
}

/// `base` with `overlay` on top: a name in both takes the overlay's value, at the end.
pub(crate) fn overlay_env(
    mut base: Vec<(String, String)>,
    overlay: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, String)> {
    for (name, value) in overlay {
        base.retain(|(k, _)| k != &name);
        base.push((name, value));
    }
    base
}

/// `env` as a JSON object, with the values of `secret` names shown as `****`.
pub(crate) fn masked_env(
    env: &[(String, String)],
    secret: impl Fn(&str) -> bool,
) -> serde_json::Map<String, serde_json::Value> {
    env.iter()
        .map(|(k, v)| {
            let shown = if secret(k) { "****" } else { v.as_str() };
            (k.clone(), serde_json::Value::from(shown))
        })
        .collect()
}

/// Run `program` with exactly `argv` and `env`, forwarding signals; its exit code is ours.
pub(crate) fn run_child(
    ctx: &Context,
    program: &Path,
    argv: &[OsString],
    env: &[(String, String)],
) -> anyhow::Result<ExitStatus> {
    let terminal = if std::io::stdin().is_terminal() {
        TerminalSignals::Delivered
    } else {
        TerminalSignals::Forward
    };
    let code = ctx.block_on(async {
        Ok(sisyphus_local::process::run(program, argv, env, terminal).await?)
    })?;
    Ok(ExitStatus::Child(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::render_error;

    #[test]
    fn a_missing_program_is_reported_with_its_hint() {
        let host: HostEnv = [("PATH", "/nonexistent")].into_iter().collect();
        let err =
            find_program(Path::new("/nonexistent/podman"), &host, "install podman").unwrap_err();
        assert_eq!(
            render_error(&err),
            "error: `/nonexistent/podman` does not exist\n\nhint: install podman\n"
        );
        let err = find_program(Path::new("podman"), &host, "install podman").unwrap_err();
        let text = render_error(&err);
        assert!(
            text.starts_with("error: `podman` is not on `PATH`\n  Caused by: ")
                && text.ends_with("\n\nhint: install podman\n"),
            "{text}"
        );
    }
}
