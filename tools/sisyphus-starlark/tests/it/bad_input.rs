//! The bad-input corpus: each `tests/bad_input/<case>/` holds `main.star` (and maybe more files)
//! and `expected.stderr`, the exact rendered error. Set `UPDATE_EXPECT=1` to write them.

use std::path::Path;

use sisyphus_starlark::{Config, DirFiles, EvalContext};

fn render(dir: &Path) -> String {
    let environment = std::fs::read_to_string(dir.join("environment"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "prod".to_owned());
    let ctx = EvalContext {
        environment,
        ..EvalContext::default()
    };
    match Config::load(&DirFiles::new(dir), "main.star").and_then(|c| c.evaluate(&ctx)) {
        Ok(app) => format!("unexpectedly succeeded: {app:?}\n"),
        Err(e) => {
            let (file, line, col) = e.location().expect("every bad config error has a location");
            let rendered = format!("{e}\n");
            assert!(
                rendered.starts_with(&format!("{file}:{line}:{col}: ")),
                "{rendered}"
            );
            rendered
        }
    }
}

#[test]
fn every_bad_config_fails_with_its_expected_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "only {} cases", cases.len());
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let got = render(case);
        let expected_path = case.join("expected.stderr");
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "--- {}\nexpected:\n{expected}\ngot:\n{got}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
