//! The render budget: 10,000 evaluations of 50 loaded configs in under 1 s (release builds;
//! debug builds run the same loop and only report the time).

use std::time::Instant;

use sisyphus_starlark::{Config, EvalContext};

#[test]
fn ten_thousand_evaluations_of_fifty_configs() {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/spec_example.star"
    ))
    .unwrap();
    let configs: Vec<Config> = (0..50)
        .map(|i| {
            let text = source.replace("pink", &format!("pink{i}"));
            Config::load(&crate::files(&[("main.star", &text)]), "main.star").unwrap()
        })
        .collect();
    let envs = ["prod", "test", "dev"];
    let start = Instant::now();
    for i in 0..10_000 {
        let ctx = EvalContext {
            name: Some(format!("app{i}")),
            namespace: Some("apps".into()),
            cluster: Some("c1".into()),
            environment: envs[i % 3].into(),
        };
        let app = configs[i % 50].evaluate(&ctx).unwrap();
        assert_eq!(app.env.len(), 4);
    }
    let elapsed = start.elapsed();
    #[allow(clippy::print_stderr)] // The figure is the point of this test.
    {
        eprintln!("10,000 evaluations of 50 configs: {elapsed:?}");
    }
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_secs_f64() < 1.0, "took {elapsed:?}");
    }
}
