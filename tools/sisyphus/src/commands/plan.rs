//! `sisyphus plan`: load a production folder into a plan and write or print it.
//!
//! Reads the monitored directory (nothing else); writes the plan file given with `-o`, or prints
//! the plan on stdout. Problems go to stderr, one `error: file:line:column: message` line each,
//! files relative to the monitored directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::ExitStatus;
use crate::diagnostics::load_problem;

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
            sisyphus_plan::write_file_outside(path, &plan, dir)
                .with_context(|| format!("failed to write the plan file `{}`", path.display()))?;
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
            crate::printer::stdout(&text)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// One `error: <file>:<line>:<column>: <message>` line per problem, then a count naming the
/// directory the files are relative to.
fn report(dir: &Path, diagnostics: &[sisyphus_load::Diagnostic]) -> anyhow::Result<()> {
    let mut out: String = diagnostics.iter().map(load_problem).collect();
    out.push_str(&format!(
        "\nfound {} problem(s) in `{}` (locations are relative to it); no plan written\n",
        diagnostics.len(),
        dir.display()
    ));
    std::io::stderr()
        .lock()
        .write_all(out.as_bytes())
        .context("failed to write to stderr")
}
