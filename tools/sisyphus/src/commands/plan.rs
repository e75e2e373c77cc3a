//! `sisyphus plan`: load a production folder into a plan and write or print it.
//!
//! Reads the monitored directory (nothing else); writes the plan file given with `-o`, or prints
//! the plan on stdout. Problems go to stderr, one `error: file:line:column: message` line each.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::ExitStatus;

/// Arguments of `sisyphus plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The production folder: one subfolder per namespace, plus `global/`.
    #[arg(long, env = "MONITOR_DIRECTORY", value_name = "DIR")]
    pub monitor_directory: PathBuf,
    /// Write the plan file (binary protobuf, `sisyphus.plan.v1.Plan`) here instead of printing.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// How to print the plan when `-o` is not given: `text` (one line per resource) or `json`
    /// (everything in the plan, Secret values masked).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats of `sisyphus plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per resource.
    Text,
    /// The full plan as JSON.
    Json,
}

/// Run the command.
///
/// # Errors
///
/// The monitored directory cannot be listed, the plan file cannot be written, or stdout is
/// closed. Problems in the folder are printed here and give [`ExitStatus::Error`].
pub fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let dir = &args.monitor_directory;
    let plan = match sisyphus_load::load(dir) {
        Ok(plan) => plan,
        Err(sisyphus_load::Error::Invalid { diagnostics, .. }) => {
            report(dir, &diagnostics)?;
            return Ok(ExitStatus::Error);
        }
        Err(err) => return Err(err.into()),
    };
    match &args.output {
        Some(path) => {
            let bytes = sisyphus_plan::write(&plan);
            write_atomically(path, &bytes)?;
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(
                stderr,
                "wrote `{}`: {} resource(s), inputs {}",
                path.display(),
                plan.production.resources.len(),
                plan.inputs_hash
            );
        }
        None => {
            let text = match args.format {
                Format::Text => sisyphus_plan::text::summary(&plan),
                Format::Json => {
                    let mut s = serde_json::to_string_pretty(&sisyphus_plan::json::to_json(&plan))
                        .context("failed to render the plan as JSON")?;
                    s.push('\n');
                    s
                }
            };
            std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .context("failed to write the plan to stdout")?;
        }
    }
    Ok(ExitStatus::Success)
}

/// One `error: <dir>/<file>:<line>:<column>: <message>` line per problem, then a count.
fn report(dir: &Path, diagnostics: &[sisyphus_load::Diagnostic]) -> anyhow::Result<()> {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&format!(
            "error: {}:{}:{}: {}\n",
            dir.join(&d.location.file).display(),
            d.location.line,
            d.location.column,
            d.message
        ));
    }
    out.push_str(&format!(
        "\nfound {} problem(s) in `{}`; no plan written\n",
        diagnostics.len(),
        dir.display()
    ));
    std::io::stderr()
        .lock()
        .write_all(out.as_bytes())
        .context("failed to write to stderr")
}

/// Write `bytes` to a temporary file next to `path`, then rename it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs_err::write(&tmp, bytes).context("failed to write the plan file")?;
    fs_err::rename(&tmp, path).context("failed to write the plan file")?;
    Ok(())
}
