//! The podman command line for `sisyphus app run-image`.
//!
//! Secret *env* values never appear on the command line (where `ps` shows them): a
//! StringVariable's env var is passed as `--env NAME` and its value travels in podman's own
//! environment. A StringVariable used as an *argument* cannot be hidden: podman does not expand
//! variables in the container's arguments, so the value is on podman's command line. Such
//! arguments are listed in [`PodmanInvocation::secret_args`] so that callers can mask them when
//! printing and warn before running.

use serde::Serialize;

use crate::{Error, FileMount, LocalRun};

/// What a masked secret is shown as.
const MASK: &str = "****";

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
    /// Positions in `args` holding a secret value, with the StringVariable it came from.
    pub secret_args: Vec<(usize, String)>,
}

impl PodmanInvocation {
    /// `args` with the secret values replaced by `****`, for printing.
    pub fn masked_args(&self) -> Vec<String> {
        let mut args = self.args.clone();
        for (i, _) in &self.secret_args {
            if let Some(arg) = args.get_mut(*i) {
                MASK.clone_into(arg);
            }
        }
        args
    }
}

/// Build `podman run --rm ... <image> <args...>` for a resolved container run.
///
/// Env vars become `--env NAME=value` (or `--env NAME` with the value in podman's environment
/// for secrets), each FileVariable a read-only bind mount at its config path, each port
/// `--publish N:N/proto` on 127.0.0.1.
///
/// # Errors
///
/// [`Error::MountPath`] when a FileVariable's host or container path contains `,`, `"` or a
/// line break: podman splits `--mount` values on commas, so such a path would add or change
/// mount options.
pub fn invocation(
    run: &LocalRun,
    image: &str,
    options: &PodmanOptions,
) -> Result<PodmanInvocation, Error> {
    let mut args = vec!["run".to_owned(), "--rm".to_owned()];
    if options.insecure_registry {
        args.push("--tls-verify=false".to_owned());
    }
    let mut env = Vec::new();
    for e in &run.env {
        args.push("--env".to_owned());
        if e.secret {
            args.push(e.name.clone());
            env.push((e.name.clone(), e.value.clone()));
        } else {
            args.push(format!("{}={}", e.name, e.value));
        }
    }
    for f in &run.files {
        args.push("--mount".to_owned());
        args.push(mount(f)?);
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
    let mut secret_args = Vec::new();
    for a in &run.args {
        if a.secret {
            secret_args.push((args.len(), a.variable.clone().unwrap_or_default()));
        }
        args.push(a.value.clone());
    }
    args.extend(options.extra_args.iter().cloned());
    Ok(PodmanInvocation {
        args,
        env,
        secret_args,
    })
}

/// The `--mount` value of a FileVariable: a read-only bind mount.
fn mount(f: &FileMount) -> Result<String, Error> {
    for (side, path) in [("host", &f.host_path), ("container", &f.container_path)] {
        if path.contains([',', '"', '\n', '\r']) {
            return Err(Error::MountPath {
                variable: f.variable.clone(),
                side,
                path: path.clone(),
            });
        }
    }
    Ok(format!(
        "type=bind,src={},dst={},readonly",
        f.host_path, f.container_path
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EnvEntry, LocalArg};

    fn run(files: Vec<FileMount>) -> LocalRun {
        LocalRun {
            args: vec![
                LocalArg {
                    value: "--token".into(),
                    secret: false,
                    variable: None,
                },
                LocalArg {
                    value: "hunter2".into(),
                    secret: true,
                    variable: Some("token".into()),
                },
            ],
            env: vec![EnvEntry {
                name: "TOKEN".into(),
                value: "hunter2".into(),
                secret: true,
            }],
            ports: vec![],
            files,
        }
    }

    fn file(host: &str, container: &str) -> FileMount {
        FileMount {
            variable: "c".into(),
            host_path: host.into(),
            container_path: container.into(),
        }
    }

    #[test]
    fn secret_args_are_listed_and_masked_and_secret_env_is_not_in_argv() {
        let p = invocation(
            &run(vec![file("/home/u/c.json", "/etc/c.json")]),
            "img@sha256:x",
            &PodmanOptions::default(),
        )
        .unwrap();
        assert_eq!(
            p.args,
            [
                "run",
                "--rm",
                "--env",
                "TOKEN",
                "--mount",
                "type=bind,src=/home/u/c.json,dst=/etc/c.json,readonly",
                "img@sha256:x",
                "--token",
                "hunter2",
            ]
        );
        assert_eq!(p.secret_args, [(8, "token".to_owned())]);
        assert_eq!(p.masked_args()[8], "****");
        assert!(!p.masked_args().iter().any(|a| a.contains("hunter2")));
        assert_eq!(p.env, [("TOKEN".to_owned(), "hunter2".to_owned())]);
    }

    #[test]
    fn paths_that_would_inject_mount_options_are_refused() {
        for (host, container, side) in [
            ("/h/c.json", "/etc/c.json,src=/etc", "container"),
            ("/h/a,relabel=private", "/etc/c.json", "host"),
            ("/h/c.json", "/etc/\"c.json", "container"),
            ("/h/c\n.json", "/etc/c.json", "host"),
        ] {
            let err = invocation(
                &run(vec![file(host, container)]),
                "img",
                &PodmanOptions::default(),
            )
            .unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("cannot mount {side} path")),
                "{err}"
            );
        }
    }
}
