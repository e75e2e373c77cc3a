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

/// Write `bytes` to a fresh temporary file next to `path`, then rename it over `path`: a reader
/// sees the old file or the new one, a failure leaves no temporary file behind (it is deleted
/// on drop), and concurrent writers do not share a temporary name.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let context = || format!("failed to write the plan file `{}`", path.display());
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Mode 0666 minus the umask, like any file we write (tempfile's default is 0600).
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o666);
    let mut tmp = tempfile::Builder::new()
        .prefix(".plan-")
        .permissions(mode)
        .tempfile_in(parent)
        .with_context(context)?;
    tmp.write_all(bytes).with_context(context)?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(context)?;
    Ok(())
}
