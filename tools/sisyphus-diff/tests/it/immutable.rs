use serde_json::json;
use sisyphus_core::change::Action;
use sisyphus_diff::testing::{config_map, deployment, desired, job, live, service, state};

use crate::common::{change, run};

#[test]
fn a_job_with_a_new_template_is_recreated() {
    let recorded = state()
        .applied("prod", job("web", "migrate", "web@sha256:1"))
        .build();
    let objects = desired()
        .object("prod", job("web", "migrate", "web@sha256:2"))
        .build();
    let set = run(objects, &recorded, &live().build());
    let recreate = change(&set, "Job", "migrate");
    assert_eq!(recreate.action, Action::Recreate);
    assert_eq!(
        recreate.reasons,
        [
            "`spec.template` of a Job cannot change in place: it is deleted and created again (the \
          Job runs again)"
        ]
    );
    assert!(set.blocked.is_empty());
}

#[test]
fn a_job_with_a_new_backoff_limit_is_updated_in_place() {
    let recorded = state()
        .applied("prod", job("web", "migrate", "web@sha256:1"))
        .build();
    let mut object = job("web", "migrate", "web@sha256:1");
    object["spec"]["backoffLimit"] = json!(6);
    let set = run(
        desired().object("prod", object).build(),
        &recorded,
        &live().build(),
    );
    assert_eq!(change(&set, "Job", "migrate").action, Action::Update);
}

#[test]
fn a_deployment_with_a_new_selector_is_blocked() {
    let recorded = state()
        .applied("prod", deployment("web", "web", "web@sha256:1"))
        .applied("prod", service("web", "web"))
        .build();
    let mut object = deployment("web", "web", "web@sha256:1");
    object["spec"]["selector"]["matchLabels"]["tier"] = json!("front");
    let objects = desired()
        .object("prod", object)
        .object("prod", service("web", "web"))
        .build();
    let set = run(objects, &recorded, &live().build());
    let update = change(&set, "Deployment", "web");
    assert_eq!(update.action, Action::Update, "the change stays an update");
    assert_eq!(set.blocked.len(), 1);
    let blocked = &set.blocked[0];
    assert_eq!(blocked.key, update.key);
    assert_eq!(blocked.field, "spec.selector");
    assert_eq!(
        blocked.reason,
        "`spec.selector` of a Deployment cannot change in place, and recreating it would stop all \
         its pods at once: delete it by hand (`kubectl --context prod delete deployment.apps -n \
         web web`) and push again, or rename it"
    );
    assert_eq!(update.reasons, [format!("blocked: {}", blocked.reason)]);
    assert_eq!(change(&set, "Service", "web").action, Action::Unchanged);
}

#[test]
fn an_immutable_config_map_with_new_data_is_recreated() {
    let mut before = config_map("web", "settings", &[("a", "1")]);
    before["immutable"] = json!(true);
    let mut after = config_map("web", "settings", &[("a", "2")]);
    after["immutable"] = json!(true);
    let recorded = state().applied("prod", before).build();
    let set = run(
        desired().object("prod", after).build(),
        &recorded,
        &live().build(),
    );
    let recreate = change(&set, "ConfigMap", "settings");
    assert_eq!(recreate.action, Action::Recreate);
    assert!(
        recreate.reasons[0].starts_with("`data` of a ConfigMap"),
        "{:?}",
        recreate.reasons
    );
}

#[test]
fn a_blocked_field_wins_over_a_recreate_and_blocks_are_sorted() {
    let set_spec = |service_name: &str, selector: &str| {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "data"},
            "spec": {"serviceName": service_name, "selector": {"matchLabels": {"app": selector}}}})
    };
    let recorded = state().applied("prod", set_spec("db", "db")).build();
    let objects = desired().object("prod", set_spec("db2", "db2")).build();
    let set = run(objects, &recorded, &live().build());
    assert_eq!(change(&set, "StatefulSet", "db").action, Action::Update);
    let fields: Vec<&str> = set.blocked.iter().map(|b| b.field.as_str()).collect();
    assert_eq!(fields, ["spec.selector", "spec.serviceName"]);
}
