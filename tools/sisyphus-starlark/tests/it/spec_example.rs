//! The product spec's example config, verbatim, resolved for prod, test and dev.

use sisyphus_starlark::{Config, DirFiles};

#[test]
fn spec_example_resolves_for_every_environment() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let config = Config::load(&DirFiles::new(dir), "spec_example.star").unwrap();
    for environment in ["prod", "test", "dev"] {
        let app = config.evaluate(&crate::env(environment)).unwrap();
        insta::assert_json_snapshot!(format!("spec_example_{environment}"), app);
    }
}

#[test]
fn echo_example_uses_valid_quantities() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../example/echo");
    let config = Config::load(&DirFiles::new(dir), "frontend.star").unwrap();
    for environment in ["prod", "test", "dev"] {
        let app = config.evaluate(&crate::env(environment)).unwrap();
        for q in app
            .resources
            .requests
            .values()
            .chain(app.resources.limits.values())
        {
            assert!(
                sisyphus_core::quantity::check(q).is_ok(),
                "{environment}: {q}"
            );
        }
    }
}
