//! Evaluates one config file for `prod` and prints the result or the error, to measure what a
//! config costs: `/usr/bin/time -v cargo run -q -p sisyphus-starlark --example eval -- FILE`
//! (peak memory is "Maximum resident set size").

#![allow(clippy::print_stdout, clippy::print_stderr)] // A command-line tool.

use std::path::Path;
use std::process::ExitCode;

use sisyphus_starlark::{Config, DirFiles, EvalContext};

fn main() -> ExitCode {
    let Some(file) = std::env::args().nth(1) else {
        eprintln!("usage: eval FILE.star");
        return ExitCode::FAILURE;
    };
    let path = Path::new(&file);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let ctx = EvalContext {
        environment: "prod".to_owned(),
        ..EvalContext::default()
    };
    let start = std::time::Instant::now();
    let result = Config::load(&DirFiles::new(dir), name.as_deref().unwrap_or(""))
        .and_then(|c| c.evaluate(&ctx));
    let elapsed = start.elapsed();
    match result {
        Ok(app) => {
            println!("ok in {elapsed:?}: {} args", app.args.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("error in {elapsed:?}: {e}");
            ExitCode::FAILURE
        }
    }
}
