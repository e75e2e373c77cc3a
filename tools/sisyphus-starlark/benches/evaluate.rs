//! The render budget of the evaluator alone: 10,000 evaluations of 50 loaded configs (the
//! spec's example config, made distinct), as render runs them (the whole loop on one
//! evaluation stack), then 1,000 called from a plain thread (each call starts one). Goal:
//! under 1 s in a release build.
//!
//! `cargo bench -p sisyphus-starlark --bench evaluate` prints the figures (best and median of
//! 5 runs); it asserts nothing about time.

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "benchmark")]

use std::time::{Duration, Instant};

use sisyphus_starlark::{Config, EvalContext, MemoryFiles, with_eval_stack};

const RUNS: usize = 5;

fn main() {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/spec_example.star"
    ))
    .unwrap();
    let configs: Vec<Config> = (0..50)
        .map(|i| {
            let text = source.replace("pink", &format!("pink{i}"));
            let files = MemoryFiles([("main.star".to_owned(), text)].into_iter().collect());
            Config::load(&files, "main.star").unwrap()
        })
        .collect();
    let envs = ["prod", "test", "dev"];
    let ctx = |i: usize| EvalContext {
        name: Some(format!("app{i}")),
        namespace: Some("apps".into()),
        cluster: Some("c1".into()),
        environment: envs[i % 3].into(),
    };
    let mut stacked = Vec::new();
    let mut unstacked = Vec::new();
    for _ in 0..RUNS {
        stacked.push(with_eval_stack(|| {
            let start = Instant::now();
            for i in 0..10_000 {
                let app = configs[i % 50].evaluate(&ctx(i)).unwrap();
                assert_eq!(app.env.len(), 4);
            }
            start.elapsed()
        }));
        let start = Instant::now();
        for i in 0..1_000 {
            configs[i % 50].evaluate(&ctx(i)).unwrap();
        }
        unstacked.push(start.elapsed());
    }
    println!(
        "{} build, {RUNS} runs",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "10,000 evaluations of 50 configs on one evaluation stack: {}",
        figures(&mut stacked)
    );
    println!(
        "1,000 evaluations outside with_eval_stack: {}",
        figures(&mut unstacked)
    );
}

/// `best X ms, median Y ms`.
fn figures(times: &mut [Duration]) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "best {:.0} ms, median {:.0} ms",
        ms(times[0]),
        ms(times[times.len() / 2])
    )
}
