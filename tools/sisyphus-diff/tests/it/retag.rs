use sisyphus_core::change::Action;
use sisyphus_diff::testing::{deployment, desired, live, origin, state};

use crate::common::{change, run};

const CONFIG_1: &str = "registry.example/acme/web_config@sha256:1111";
const CONFIG_2: &str = "registry.example/acme/web_config@sha256:2222";
const BINARY_1: &str = "registry.example/acme/web@sha256:aaaa";
const BINARY_2: &str = "registry.example/acme/web@sha256:bbbb";

#[test]
fn a_retag_with_no_yaml_change_is_still_an_update() {
    let object = deployment("web", "web", BINARY_1);
    let recorded = state()
        .applied_with("prod", object.clone(), Some(origin(CONFIG_1, BINARY_1)))
        .build();
    let objects = desired()
        .configured("prod", object, origin(CONFIG_2, BINARY_1))
        .build();
    let set = run(objects, &recorded, &live().build());
    let update = change(&set, "Deployment", "web");
    assert_eq!(update.action, Action::Update);
    assert_eq!(
        update.reasons,
        [format!("config image `{CONFIG_1}` → `{CONFIG_2}`")]
    );
    assert_eq!(
        sisyphus_diff::text::change_diff(update),
        "",
        "the YAML is the same"
    );
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
fn the_same_config_is_unchanged_and_a_config_appearing_is_an_update() {
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
    assert_eq!(set.changes[1].action, Action::Update);
    assert_eq!(
        set.changes[1].reasons,
        [format!("now rendered from config image `{CONFIG_1}`")]
    );
}
