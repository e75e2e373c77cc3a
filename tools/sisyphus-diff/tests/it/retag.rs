use sisyphus_core::change::Action;
use sisyphus_diff::testing::{deployment, desired, live, origin, state};

use crate::common::{change, run};

const CONFIG_1: &str = "registry.example/acme/web_config@sha256:1111";
const CONFIG_2: &str = "registry.example/acme/web_config@sha256:2222";
const BINARY_1: &str = "registry.example/acme/web@sha256:aaaa";
const BINARY_2: &str = "registry.example/acme/web@sha256:bbbb";

/// Only the config origin moved and the object is the same (a Service next to a retagged
/// Deployment): nothing to apply, so no change (#8: a retag shows on the objects whose YAML names
/// the pinned images, the Deployment and CronJob).
#[test]
fn a_config_origin_alone_is_not_a_change() {
    let object = deployment("web", "web", BINARY_1);
    let recorded = state()
        .applied_with("prod", object.clone(), Some(origin(CONFIG_1, BINARY_1)))
        .build();
    let objects = desired()
        .configured("prod", object, origin(CONFIG_2, BINARY_1))
        .build();
    let set = run(objects, &recorded, &live().build());
    assert_eq!(change(&set, "Deployment", "web").action, Action::Unchanged);
    assert!(!set.has_changes());
}

#[test]
fn a_new_binary_names_both_images() {
    let recorded = state()
        .applied_with(
            "prod",
            deployment("web", "web", BINARY_1),
            Some(origin(CONFIG_1, BINARY_1)),
        )
        .build();
    let objects = desired()
        .configured(
            "prod",
            deployment("web", "web", BINARY_2),
            origin(CONFIG_2, BINARY_2),
        )
        .build();
    let set = run(objects, &recorded, &live().build());
    assert_eq!(
        change(&set, "Deployment", "web").reasons,
        [
            format!("config image `{CONFIG_1}` → `{CONFIG_2}`"),
            format!("binary image `{BINARY_1}` → `{BINARY_2}`"),
        ]
    );
}

#[test]
fn the_same_object_is_unchanged_whether_or_not_a_config_is_behind_it() {
    let object = deployment("web", "web", BINARY_1);
    let recorded = state()
        .applied_with("prod", object.clone(), Some(origin(CONFIG_1, BINARY_1)))
        .applied("staging", object.clone())
        .build();
    let objects = desired()
        .configured("prod", object.clone(), origin(CONFIG_1, BINARY_1))
        .configured("staging", object, origin(CONFIG_1, BINARY_1))
        .build();
    let set = run(objects, &recorded, &live().build());
    assert_eq!(set.changes[0].action, Action::Unchanged);
    assert_eq!(set.changes[1].action, Action::Unchanged);
}
