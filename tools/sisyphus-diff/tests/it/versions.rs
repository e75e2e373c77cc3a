use serde_json::{Value, json};
use sisyphus_core::change::Action;
use sisyphus_diff::testing::{desired, live, state};

use crate::common::{run, summary};

fn hpa(api_version: &str) -> Value {
    json!({
        "apiVersion": api_version, "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 1, "maxReplicas": 3}
    })
}

#[test]
fn a_version_move_is_an_update_not_a_delete_and_a_create() {
    let recorded = state().applied("prod", hpa("autoscaling/v1")).build();
    let objects = desired().object("prod", hpa("autoscaling/v2")).build();
    let set = run(objects, &recorded, &live().build());
    assert_eq!(
        summary(&set),
        [(
            "prod HorizontalPodAutoscaler web".to_owned(),
            Action::Update
        )]
    );
    let update = &set.changes[0];
    assert_eq!(update.key.version, "v2");
    assert_eq!(
        update.reasons,
        ["apiVersion `autoscaling/v1` → `autoscaling/v2`"]
    );
    assert_eq!(
        update.recorded.as_ref().map(|r| r.key.version.as_str()),
        Some("v1")
    );
}

#[test]
fn the_version_alone_makes_an_update() {
    // The same intent hash (a hand-built record) but another version: still an update.
    let recorded = state()
        .applied("prod", hpa("autoscaling/v2"))
        .edit(
            &sisyphus_diff::testing::key_of("prod", &hpa("autoscaling/v2")),
            |r| {
                r.key.version = "v1".into();
            },
        )
        .build();
    let set = run(
        desired().object("prod", hpa("autoscaling/v2")).build(),
        &recorded,
        &live().build(),
    );
    assert_eq!(set.changes[0].action, Action::Update);
}
