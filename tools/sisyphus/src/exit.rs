//! Exit codes: one enum, mapped to the process exit code only in `main.rs`. (Usage errors exit
//! with 2 from clap before a command runs.)

use std::process::ExitCode;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success.
    Success,
    /// 1: an error (bad input, unreachable service, ...), already reported on stderr.
    Error,
    /// 2: `sisyphus diff` found changes (for CI: 0 means nothing to push).
    Changes,
    /// A child process's own exit code (`app run-config`, `app run-image`); a child killed by
    /// signal `n` gives `128 + n`.
    Child(u8),
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Error => ExitCode::from(1),
            ExitStatus::Changes => ExitCode::from(2),
            ExitStatus::Child(code) => ExitCode::from(code),
        }
    }
}
