//! The bad-input corpus: every folder in `tests/bad_input/<case>/` is a production folder that
//! must fail to load with exactly the problems in its `expected.stderr` (one
//! `error: file:line:column: message` line each). `BLESS=1` rewrites the files (review them).

use std::path::Path;

use sisyphus_load::{Error, load};

/// What `sisyphus plan` would print for this folder.
fn render(dir: &Path) -> String {
    match std::panic::catch_unwind(|| load(dir)) {
        Err(_) => "PANIC\n".to_string(),
        Ok(Ok(_)) => "loaded without errors\n".to_string(),
        Ok(Err(Error::Invalid { diagnostics, .. })) => diagnostics
            .iter()
            .map(|d| format!("error: {d}\n"))
            .collect(),
        Ok(Err(other)) => format!("error: {other}\n"),
    }
}

#[test]
fn every_case_fails_with_its_expected_errors() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input");
    let mut cases: Vec<_> = fs_err::read_dir(&corpus)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    assert!(
        cases.len() >= 30,
        "only {} cases in {}",
        cases.len(),
        corpus.display()
    );
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let actual = render(case);
        let expected_path = case.join("expected.stderr");
        if bless {
            fs_err::write(&expected_path, &actual).unwrap_or_else(|e| panic!("{e}"));
            continue;
        }
        let expected = fs_err::read_to_string(&expected_path).unwrap_or_default();
        if actual.contains("PANIC") || actual.starts_with("loaded") || actual != expected {
            failures.push(format!(
                "--- {}\nexpected:\n{expected}actual:\n{actual}",
                case.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
