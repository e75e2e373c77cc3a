//! Running a child process: exact argv and env, signals forwarded, exit code reported.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::signal::unix::{SignalKind, signal};

use crate::Error;

/// How the child ended, as an exit code: its own code, or `128 + n` when killed by signal `n`.
pub fn exit_code(status: std::process::ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(sig)) => u8::try_from((128 + sig) & 0xff).unwrap_or(1),
        (None, None) => 1,
    }
}

/// Whether terminal-generated signals (SIGINT, SIGQUIT) already reach the child because it shares
/// our foreground process group; then we do not forward them a second time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TerminalSignals {
    /// stdin is a terminal: SIGINT/SIGQUIT from the keyboard reach the child directly.
    Delivered,
    /// No terminal: forward SIGINT/SIGQUIT too.
    Forward,
}

/// Run `program` with exactly `args` and `env` (nothing inherited), stdio inherited, forwarding
/// SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 (and SIGINT, SIGQUIT unless the terminal delivers them) to
/// the child. Returns the child's exit code (see [`exit_code`]).
///
/// # Errors
///
/// The child cannot be spawned or waited for.
pub async fn run(
    program: &Path,
    args: &[OsString],
    env: &[(String, String)],
    terminal: TerminalSignals,
) -> Result<u8, Error> {
    let name = program.display().to_string();
    // Listen before spawning: a signal arriving between spawn and listen would otherwise kill
    // us with the default action and leave the child running without a parent that waits.
    // SIGINT/SIGQUIT are always listened to, so that they do not kill us before the child exits.
    let forward_terminal = terminal == TerminalSignals::Forward;
    let kinds = [
        (SignalKind::terminate(), Signal::SIGTERM),
        (SignalKind::hangup(), Signal::SIGHUP),
        (SignalKind::user_defined1(), Signal::SIGUSR1),
        (SignalKind::user_defined2(), Signal::SIGUSR2),
        (SignalKind::interrupt(), Signal::SIGINT),
        (SignalKind::quit(), Signal::SIGQUIT),
    ];
    let mut streams = Vec::new();
    for (kind, sig) in kinds {
        if let Ok(stream) = signal(kind) {
            streams.push((stream, sig));
        }
    }

    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(false)
        .spawn()
        .map_err(|source| Error::Spawn {
            program: name.clone(),
            source,
        })?;
    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Signal>();
    let mut listeners = Vec::new();
    for (mut stream, sig) in streams {
        let tx = tx.clone();
        listeners.push(tokio::spawn(async move {
            while stream.recv().await.is_some() {
                if tx.send(sig).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);

    let status = loop {
        tokio::select! {
            status = child.wait() => {
                break status.map_err(|source| Error::Wait { program: name.clone(), source })?;
            }
            Some(sig) = rx.recv() => {
                let terminal_sig = matches!(sig, Signal::SIGINT | Signal::SIGQUIT);
                if let Some(pid) = pid.filter(|_| !terminal_sig || forward_terminal) {
                    // The child may have exited in the meantime; nothing to do then.
                    let _ = kill(pid, sig);
                }
            }
        }
    };
    for l in listeners {
        l.abort();
    }
    Ok(exit_code(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SIGTERM that arrives as soon as the child starts is forwarded to it (the listeners
    /// exist before the spawn), and the child's death by that signal gives 128 + 15.
    #[tokio::test]
    async fn an_early_sigterm_reaches_the_child() {
        let script = "kill -TERM $PPID; sleep 5; exit 3";
        let code = run(
            Path::new("/bin/sh"),
            &["-c".into(), script.into()],
            &[],
            TerminalSignals::Forward,
        )
        .await
        .unwrap();
        assert_eq!(code, 128 + 15);
    }
}
