//! Local runs (`sisyphus app run-config`, `sisyphus app run-image`).
//!
//! In: an evaluated [`Application`](sisyphus_core::app::Application) and a snapshot of the host
//! environment. Out: the exact argv and env a local process gets ([`resolve`]), or the podman
//! command line that runs the binary image ([`podman`]). [`process`] spawns the child, forwards
//! signals and reports its exit code. Reads no environment itself: the CLI passes a [`HostEnv`].

pub mod podman;
pub mod process;
mod resolve;

pub use resolve::{
    BASE_ENV, EnvEntry, FileMount, HostEnv, LocalArg, LocalPort, LocalRun, Missing, MissingProblem,
    Target, base_env, resolve,
};

/// Why a local run cannot start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Variables the config needs are not set in the host environment (all of them are listed).
    #[error("{} not set in the environment:\n{}", if .0.len() == 1 { "a variable the config needs is" } else { "variables the config needs are" }, .0.iter().map(|m| format!("  {m}")).collect::<Vec<_>>().join("\n"))]
    MissingVariables(Vec<Missing>),
    /// A `PORT_<NAME>` override is not a port number.
    #[error("`{var}` is `{found}`, expected a port number from 1 to 65535")]
    BadPortOverride {
        /// The host env var, e.g. `PORT_HTTP`.
        var: String,
        /// Its value.
        found: String,
    },
    /// Two ports end up with the same number after `PORT_<NAME>` overrides.
    #[error(
        "ports `{first}` and `{second}` would both use number {number} (check the `PORT_*` overrides)"
    )]
    PortClash {
        /// One port.
        first: String,
        /// The other port.
        second: String,
        /// The shared number.
        number: u16,
    },
    /// Two FileVariables would be mounted at the same container path.
    #[error("FileVariables `{first}` and `{second}` are both mounted at `{path}`")]
    MountClash {
        /// One variable.
        first: String,
        /// The other.
        second: String,
        /// The container path.
        path: String,
    },
    /// A path cannot be given to podman's `--mount`, whose value is a comma-separated list of
    /// `key=value` options.
    #[error(
        "cannot mount {side} path `{path}` of FileVariable `{variable}`: podman's `--mount` cannot take a path containing `,`, `\"` or a line break"
    )]
    MountPath {
        /// The variable.
        variable: String,
        /// `host` or `container`.
        side: &'static str,
        /// The path.
        path: String,
    },
    /// The child process could not be started.
    #[error("failed to start `{program}`")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for the child failed.
    #[error("failed to wait for `{program}`")]
    Wait {
        /// The program.
        program: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
