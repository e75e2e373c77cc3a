//! One `Config` evaluated for several contexts; `ctx` methods return the context or `None`.

use sisyphus_core::app::Value;
use sisyphus_starlark::{Config, EvalContext};

const SOURCE: &str = r#"
def main(ctx):
    return Application(args = [
        str(ctx.name()), str(ctx.namespace()), str(ctx.cluster()), str(ctx.environment()), str(ctx),
    ])
"#;

fn literals(app: &sisyphus_starlark::Application) -> Vec<String> {
    app.args
        .iter()
        .map(|v| match v {
            Value::Literal { value } => value.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[test]
fn one_config_serves_many_contexts() {
    let files = crate::files(&[("main.star", SOURCE)]);
    let config = Config::load(&files, "main.star").unwrap();
    let full = EvalContext {
        name: Some("echo".into()),
        namespace: Some("apps".into()),
        cluster: Some("gke_a".into()),
        environment: "prod".into(),
    };
    assert_eq!(
        literals(&config.evaluate(&full).unwrap()),
        [
            "echo",
            "apps",
            "gke_a",
            "prod",
            r#"Context(name="echo", namespace="apps", cluster="gke_a", environment="prod")"#
        ]
    );
    assert_eq!(
        literals(&config.evaluate(&crate::env("dev")).unwrap()),
        [
            "None",
            "None",
            "None",
            "dev",
            r#"Context(name=None, namespace=None, cluster=None, environment="dev")"#
        ]
    );
}

#[test]
fn config_is_shared_across_threads() {
    let files = crate::files(&[("main.star", SOURCE)]);
    let config = Config::load(&files, "main.star").unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let config = &config;
                s.spawn(move || {
                    let ctx = EvalContext {
                        name: Some(format!("app{i}")),
                        environment: "prod".into(),
                        ..EvalContext::default()
                    };
                    literals(&config.evaluate(&ctx).unwrap())[0].clone()
                })
            })
            .collect();
        let names: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(names, ["app0", "app1", "app2", "app3"]);
    });
}
