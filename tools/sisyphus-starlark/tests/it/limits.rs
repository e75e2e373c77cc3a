//! Runaway configs end with a limit error in bounded time.

use std::time::{Duration, Instant};

use sisyphus_starlark::Error;

fn assert_limit(source: &str) -> String {
    let start = Instant::now();
    let err = crate::eval(source, "prod").unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
    assert!(matches!(err, Error::Limit(_)), "{err}");
    err.to_string()
}

#[test]
fn huge_comprehension_in_main_hits_the_step_limit() {
    // Comprehensions do not count steps in starlark-rust; the wall-clock backstop ends them.
    let msg = assert_limit(
        "def main(ctx):\n    x = [i for i in range(1000000000)]\n    return Application()\n",
    );
    assert!(
        msg.contains("too long") || msg.contains("too many steps"),
        "{msg}"
    );
}

#[test]
fn infinite_loop_at_top_level_hits_the_step_limit() {
    let msg = assert_limit(
        "def f():\n    for i in range(1000000000):\n        pass\nf()\ndef main(ctx):\n    return Application()\n",
    );
    assert!(msg.starts_with("main.star:"), "{msg}");
}

#[test]
fn infinite_recursion_hits_the_call_stack_limit() {
    let msg = assert_limit(
        "def f(n):\n    return f(n + 1)\ndef main(ctx):\n    return Application(args = [f(0)])\n",
    );
    assert!(msg.contains("call stack too deep"), "{msg}");
}
