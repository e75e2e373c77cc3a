//! The podman command line for `sisyphus app run-image`.
//!
//! Secret values never appear on the command line (where `ps` shows them): a StringVariable's
//! env var is passed as `--env NAME` and its value travels in podman's own environment.

use serde::Serialize;

use crate::LocalRun;

/// Options for the podman invocation.
#[derive(Clone, Debug, Default)]
pub struct PodmanOptions {
    /// Add `--tls-verify=false` (only for insecure registries).
    pub insecure_registry: bool,
    /// Extra arguments appended after the config's args.
    pub extra_args: Vec<String>,
}

/// A podman invocation: the argv after the program, and the variables to add to podman's own
/// environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PodmanInvocation {
    /// Arguments to the podman program.
    pub args: Vec<String>,
    /// Variables podman itself must see (the secret values referred to by `--env NAME`).
    pub env: Vec<(String, String)>,
}

/// Build `podman run --rm ... <image> <args...>` for a resolved container run.
///
/// Env vars become `--env NAME=value` (or `--env NAME` with the value in podman's environment
/// for secrets), each FileVariable a read-only bind mount at its config path, each port
/// `--publish N:N/proto` on 127.0.0.1.
pub fn invocation(run: &LocalRun, image: &str, options: &PodmanOptions) -> PodmanInvocation {
    let mut args = vec!["run".to_owned(), "--rm".to_owned()];
    if options.insecure_registry {
        args.push("--tls-verify=false".to_owned());
    }
    let mut env = Vec::new();
    for e in &run.env {
        if e.secret {
            args.push("--env".to_owned());
            args.push(e.name.clone());
            env.push((e.name.clone(), e.value.clone()));
        } else {
            args.push("--env".to_owned());
            args.push(format!("{}={}", e.name, e.value));
        }
    }
    for f in &run.files {
        args.push("--mount".to_owned());
        args.push(format!(
            "type=bind,src={},dst={},readonly",
            f.host_path, f.container_path
        ));
    }
    for p in &run.ports {
        args.push("--publish".to_owned());
        args.push(format!(
            "127.0.0.1:{n}:{n}/{proto}",
            n = p.number,
            proto = p.protocol.as_str().to_ascii_lowercase()
        ));
    }
    args.push(image.to_owned());
    // Secret args cannot be hidden from the process list: pass them through an env var the
    // container expands. Podman does not expand `$VAR` in args, so they are given verbatim; the
    // CLI warns about it.
    args.extend(run.args.iter().map(|a| a.value.clone()));
    args.extend(options.extra_args.iter().cloned());
    PodmanInvocation { args, env }
}
