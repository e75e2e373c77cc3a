//! The spec's example production folder (`example/production`) loads, and its plan matches the
//! reviewed golden snapshot.

use std::path::{Path, PathBuf};

use sisyphus_core::production::{ResourceKind, ResourceSpec};

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../example/production")
}

#[test]
fn example_loads_and_matches_golden() {
    let plan = sisyphus_load::load(&example_dir()).unwrap_or_else(|e| panic!("{e:#?}"));
    let kinds: Vec<(String, ResourceKind, String)> = plan
        .production
        .resources
        .iter()
        .map(|r| (r.folder.clone(), r.kind(), r.name.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("echo".into(), ResourceKind::Deployment, "echo".into()),
            ("echo".into(), ResourceKind::CronJob, "echo-cleanup".into()),
            (
                "echo".into(),
                ResourceKind::KubernetesYaml,
                "secrets".into()
            ),
            (
                "global".into(),
                ResourceKind::KubernetesYaml,
                "namespaces".into()
            ),
        ]
    );
    let ResourceSpec::KubernetesYaml(secrets) = &plan.production.resources[2].spec else {
        panic!("not a KubernetesYaml");
    };
    assert!(secrets.objects.iter().all(|o| o.secret));
    assert_eq!(secrets.objects[0].object["metadata"]["namespace"], "echo");
    assert!(plan.inputs_hash.starts_with("sha256:"));
    // serde_json's own text, not insta's JSON serializer, which mangles numbers when another
    // crate in the build enables serde_json's `arbitrary_precision` (starlark does).
    let pretty = serde_json::to_string_pretty(&plan).unwrap_or_default();
    insta::assert_snapshot!("example_plan", pretty);
}
