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
        "def main(ctx):\n    x = [i for i in range(10000000) for j in range(10000000) if False]\n    return Application()\n",
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

/// A config whose module builds `x`, a list nested `depth` deep, then runs `main_body`.
fn nested(depth: usize, main_body: &str) -> String {
    format!(
        "def build():\n    x = []\n    for i in range({depth}):\n        x = [x]\n    return x\n\
         def main(ctx):\n    x = build()\n    {main_body}\n    return Application()\n"
    )
}

#[test]
fn str_and_json_of_a_deeply_nested_value_are_limit_errors() {
    // 50,000 levels crashed the process with a stack overflow before.
    for op in ["str(x)", "repr(x)", "json.encode(x)"] {
        let msg = assert_limit(&nested(50_000, &format!("y = {op}")));
        assert!(msg.contains("value nested too deeply"), "{op}: {msg}");
        assert!(msg.contains("expected at most 1000 levels"), "{op}: {msg}");
    }
}

#[test]
fn a_deeply_nested_value_at_module_level_is_a_limit_error() {
    let source = "def build():\n    x = []\n    for i in range(50000):\n        x = [x]\n    return x\n\
                  X = build()\ndef main(ctx):\n    return Application()\n";
    let msg = assert_limit(source);
    assert!(
        msg.starts_with("main.star:1:1: `X`: value nested too deeply"),
        "{msg}"
    );
}

#[test]
fn other_recursion_over_a_deep_value_has_stack_room() {
    // `%` formatting and `==` recurse natively without our depth check; the evaluation stack
    // holds them (`==` has starlark's own recursion limit).
    for body in ["y = \"%s\" % [x]", "y = (x == x)"] {
        let result = crate::eval(&nested(20_000, body), "prod");
        assert!(
            result.is_ok() || matches!(result, Err(Error::Config(_) | Error::Limit(_))),
            "{body}"
        );
    }
}

#[test]
fn a_cyclic_value_is_not_too_deep() {
    let source = "def main(ctx):\n    l = [1]\n    l.append(l)\n    s = str(l)\n    return Application(args = [s])\n";
    let app = crate::eval(source, "prod").unwrap();
    assert_eq!(app.args.len(), 1);
}

#[test]
fn a_huge_range_is_a_limit_error_not_a_huge_allocation() {
    // `list(range(400000000))` ran 55 s and then aborted on a 45 GB allocation.
    let msg =
        assert_limit("def main(ctx):\n    x = list(range(400000000))\n    return Application()\n");
    assert!(
        msg.contains("`range()`: expected at most 10000000 elements, found 400000000"),
        "{msg}"
    );
    // Ordinary ranges behave as in the Starlark spec.
    let source = "def main(ctx):\n    return Application(args = [str(list(range(3))), str(list(range(10, 3, -3))), str(len(range(5, 1)))])\n";
    let app = crate::eval(source, "prod").unwrap();
    let args: Vec<String> = app
        .args
        .iter()
        .map(|a| match a {
            sisyphus_core::app::Value::Literal { value } => value.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(args, ["[0, 1, 2]", "[10, 7, 4]", "0"]);
}
