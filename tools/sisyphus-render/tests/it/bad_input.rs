//! The bad-input corpus: whole production folders through load AND render, for the mistakes
//! only render can find (it is the first stage that has the config).
//!
//! Each case is a folder `tests/bad_input/<case>/` holding:
//!
//! * `production/`: a production folder. It must load (`sisyphus_load::load`): these are render
//!   errors, load's own corpus is `tools/sisyphus-load/tests/bad_input/`.
//! * `configs/<name>/`: a config root (`.star` files) plus an `image` file with the config image
//!   reference it stands for (`registry.example/web_config:1`) and an optional `entrypoint` file
//!   (default `main.star`). It is "resolved" to `<repository>@sha256:<sha256 of the reference>`
//!   with binary image `registry.example/app@sha256:<sha256 of "binary " + reference>`. A
//!   `config.image` with no config root stays unresolved.
//! * `expected.stderr`: what the CLI prints on stderr, in the house format of
//!   `tools/sisyphus/src/diagnostics.rs`: per render error `error: <error>`, then one
//!   `  Caused by: <cause>` line per source, the further lines of a multi-line cause (Starlark
//!   snippets, tracebacks) indented by four spaces; when render succeeds, one
//!   `warning: <warning>` line per warning instead. A case that renders without errors and without
//!   warnings fails: it is not bad input.
//!
//! One test walks every case, each under `catch_unwind`: a panic anywhere (load, config load,
//! render) fails the test naming the case. `BLESS=1` rewrites the `expected.stderr` files
//! (review every change by eye).

use std::collections::BTreeMap;
use std::error::Error as _;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use sisyphus_core::Digest;
use sisyphus_core::config_image::ConfigIndex;
use sisyphus_render::{Errors, RenderInput, ResolvedConfig, render};
use sisyphus_starlark::{Config, DirFiles};

/// How a case went, beyond its report.
enum Outcome {
    /// Render failed: the report holds its errors.
    RenderErrors(String),
    /// Render succeeded: the report holds its warnings (possibly none).
    Rendered { warnings: usize, report: String },
    /// The case is broken before render (load or a config load failed).
    Broken(String),
}

/// `sha256:<hex of sha256(text)>`.
fn fake_digest(text: &str) -> Digest {
    let hex = hex::encode(Sha256::digest(text.as_bytes()));
    Digest::from_sha256_hex(&hex).expect("64 hex digits make a digest")
}

/// The repository of an image reference: without `@digest` or `:tag`.
fn repository(image: &str) -> &str {
    if let Some((repo, _)) = image.split_once('@') {
        return repo;
    }
    let name_start = image.rfind('/').map_or(0, |i| i + 1);
    match image[name_start..].rfind(':') {
        Some(colon) => &image[..name_start + colon],
        None => image,
    }
}

fn read_trimmed(path: &Path) -> Option<String> {
    fs_err::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

/// Every config root of the case, loaded and "resolved", by image reference.
fn configs(case: &Path) -> Result<BTreeMap<String, ResolvedConfig>, String> {
    let mut out = BTreeMap::new();
    let Ok(dir) = fs_err::read_dir(case.join("configs")) else {
        return Ok(out);
    };
    let mut roots: Vec<PathBuf> = dir
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    roots.sort();
    for root in roots {
        let image = read_trimmed(&root.join("image"))
            .ok_or_else(|| format!("{} has no `image` file", root.display()))?;
        let entrypoint =
            read_trimmed(&root.join("entrypoint")).unwrap_or_else(|| "main.star".to_owned());
        let config = Config::load(&DirFiles::new(&root), &entrypoint)
            .map_err(|e| format!("config {} does not load: {}", root.display(), chain(&e)))?;
        let digest = fake_digest(&image);
        let resolved = ResolvedConfig {
            reference: format!("{}@{digest}", repository(&image)),
            digest,
            index: ConfigIndex {
                binary_digest: fake_digest(&format!("binary {image}")),
                binary_repository: "registry.example/app".to_owned(),
                config_entrypoint: entrypoint,
            },
            config: Arc::new(config),
        };
        out.insert(image, resolved);
    }
    Ok(out)
}

/// An error and its causes on one line each (for broken cases).
fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(out, ": {cause}");
        source = cause.source();
    }
    out
}

/// The errors as the CLI prints them (see the module comment).
fn report(errors: &Errors) -> String {
    let mut out = String::new();
    for error in &errors.0 {
        let _ = writeln!(out, "error: {error}");
        let mut source = error.source();
        while let Some(cause) = source {
            for (i, line) in cause.to_string().lines().enumerate() {
                if i == 0 {
                    let _ = writeln!(out, "  Caused by: {line}");
                } else {
                    let _ = writeln!(out, "    {line}");
                }
            }
            source = cause.source();
        }
    }
    out
}

fn run_case(case: &Path) -> Outcome {
    let plan = match sisyphus_load::load(&case.join("production")) {
        Ok(plan) => plan,
        Err(sisyphus_load::Error::Invalid { diagnostics, .. }) => {
            let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            return Outcome::Broken(format!("load failed:\n{}", lines.join("\n")));
        }
        Err(other) => return Outcome::Broken(format!("load failed: {}", chain(&other))),
    };
    let configs = match configs(case) {
        Ok(configs) => configs,
        Err(message) => return Outcome::Broken(message),
    };
    let input = RenderInput {
        resources: &plan.production.resources,
        configs: &configs,
    };
    match render(&input) {
        Err(errors) => Outcome::RenderErrors(report(&errors)),
        Ok(rendered) => Outcome::Rendered {
            warnings: rendered.warnings.len(),
            report: rendered
                .warnings
                .iter()
                .map(|w| format!("warning: {w}\n"))
                .collect(),
        },
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(no message)".to_owned())
}

fn cases() -> Vec<PathBuf> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input");
    let mut cases: Vec<PathBuf> = fs_err::read_dir(&corpus)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    cases
}

#[test]
fn every_case_loads_then_fails_to_render_with_its_expected_report() {
    let cases = cases();
    assert!(
        cases.len() >= 30,
        "only {} cases in the corpus",
        cases.len()
    );
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let actual = match catch_unwind(AssertUnwindSafe(|| run_case(case))) {
            Err(panic) => {
                failures.push(format!("--- {name}: PANIC: {}", panic_message(&*panic)));
                continue;
            }
            Ok(Outcome::Broken(why)) => {
                failures.push(format!("--- {name}: broken case: {why}"));
                continue;
            }
            Ok(Outcome::Rendered { warnings: 0, .. }) => {
                failures.push(format!("--- {name}: rendered without errors or warnings"));
                continue;
            }
            Ok(Outcome::RenderErrors(report) | Outcome::Rendered { report, .. }) => report,
        };
        let expected_path = case.join("expected.stderr");
        if bless {
            fs_err::write(&expected_path, &actual).expect("expected.stderr is writable");
            continue;
        }
        let expected = fs_err::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            failures.push(format!(
                "--- {name}\nexpected:\n{expected}actual:\n{actual}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} case(s) failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn repository_strips_a_tag_or_digest_but_not_a_registry_port() {
    assert_eq!(
        repository("registry.example/web_config:1"),
        "registry.example/web_config"
    );
    assert_eq!(
        repository("localhost:5000/web_config"),
        "localhost:5000/web_config"
    );
    assert_eq!(
        repository("localhost:5000/web_config@sha256:00"),
        "localhost:5000/web_config"
    );
}
