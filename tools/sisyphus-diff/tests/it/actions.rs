use serde_json::json;
use sisyphus_core::change::Action;
use sisyphus_core::live::LiveObject;
use sisyphus_diff::testing::{
    config_map, deployment, desired, key, live, namespace, service, state,
};

use crate::common::{CLUSTERS, change, run, run_in, summary};

#[test]
fn first_push_creates_everything_in_key_order() {
    let objects = desired()
        .object("prod", deployment("web", "web", "web@sha256:1"))
        .object("prod", service("web", "web"))
        .object("prod", namespace("web"))
        .object("staging", namespace("web"))
        .build();
    let set = run(objects, &state().build(), &live().build());
    assert_eq!(
        summary(&set),
        [
            ("prod Namespace web".to_owned(), Action::Create),
            ("prod Service web".to_owned(), Action::Create),
            ("prod Deployment web".to_owned(), Action::Create),
            ("staging Namespace web".to_owned(), Action::Create),
        ]
    );
    assert!(set.blocked.is_empty());
    assert!(
        set.changes
            .iter()
            .all(|c| c.recorded.is_none() && c.desired.is_some())
    );
    assert!(set.changes.iter().all(|c| c.reasons.is_empty()));
}

#[test]
fn a_second_push_is_all_unchanged() {
    let objects = desired()
        .object("prod", namespace("web"))
        .object("prod", deployment("web", "web", "web@sha256:1"))
        .object("prod", service("web", "web"))
        .build();
    let recorded = state().all(&objects).build();
    let set = run(objects, &recorded, &live().build());
    assert_eq!(set.changes.len(), 3);
    assert!(set.changes.iter().all(|c| c.action == Action::Unchanged));
    assert!(!set.has_changes());
    let counts = set.counts();
    assert_eq!(counts["prod"][&Action::Unchanged], 3);
    assert_eq!(counts["prod"][&Action::Create], 0);
}

#[test]
fn key_order_in_the_files_is_not_a_change() {
    let recorded = state()
        .applied(
            "prod",
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "web"}, "data": {"a": "1", "b": "2"}}),
        )
        .build();
    let objects = desired()
        .object(
            "prod",
            json!({"data": {"b": "2", "a": "1"}, "kind": "ConfigMap",
            "metadata": {"namespace": "web", "name": "c"}, "apiVersion": "v1"}),
        )
        .build();
    let set = run(objects, &recorded, &live().build());
    assert_eq!(change(&set, "ConfigMap", "c").action, Action::Unchanged);
}

#[test]
fn a_changed_object_is_an_update_with_both_sides() {
    let recorded = state()
        .applied("prod", deployment("web", "web", "web@sha256:1"))
        .build();
    let objects = desired()
        .object("prod", deployment("web", "web", "web@sha256:2"))
        .build();
    let set = run(objects, &recorded, &live().build());
    let update = change(&set, "Deployment", "web");
    assert_eq!(update.action, Action::Update);
    assert!(update.recorded.is_some() && update.desired.is_some());
    assert!(update.reasons.is_empty(), "{:?}", update.reasons);
    assert!(set.blocked.is_empty());
}

#[test]
fn an_object_in_the_cluster_but_not_recorded_is_adopted() {
    let objects = desired()
        .object("prod", namespace("web"))
        .object("prod", config_map("web", "settings", &[("a", "1")]))
        .object("prod", service("web", "web"))
        .build();
    let found = live()
        .object(&key("prod", "v1", "Namespace", None, "web"))
        .with(
            &key("prod", "v1", "ConfigMap", Some("web"), "settings"),
            LiveObject {
                managed_by: Some("sisyphus".into()),
                terminating: true,
                ..LiveObject::default()
            },
        )
        .build();
    let set = run(objects, &state().build(), &found);
    let ns = change(&set, "Namespace", "web");
    assert_eq!(ns.action, Action::Adopt);
    assert!(
        ns.reasons[0].contains("existing namespace"),
        "{:?}",
        ns.reasons
    );
    let map = change(&set, "ConfigMap", "settings");
    assert_eq!(map.action, Action::Adopt);
    assert_eq!(
        map.reasons,
        [
            "exists in the cluster but Sisyphus does not track it: `--adopt` takes it over",
            "labelled `managed-by: sisyphus`, but not in this state database (another database, \
             or forgotten)",
            "it is being deleted in the cluster",
        ]
    );
    assert!(map.recorded.is_none());
    assert_eq!(change(&set, "Service", "web").action, Action::Create);
}

#[test]
fn an_object_no_longer_declared_is_deleted() {
    let recorded = state()
        .applied("prod", deployment("web", "web", "web@sha256:1"))
        .applied("prod", service("web", "web"))
        .build();
    let objects = desired()
        .object("prod", deployment("web", "web", "web@sha256:1"))
        .build();
    let set = run(objects, &recorded, &live().build());
    assert_eq!(
        summary(&set),
        [
            ("prod Service web".to_owned(), Action::Delete),
            ("prod Deployment web".to_owned(), Action::Unchanged),
        ]
    );
    let delete = change(&set, "Service", "web");
    assert!(delete.desired.is_none());
    assert_eq!(
        delete.recorded.as_ref().map(|r| r.key.name.as_str()),
        Some("web")
    );
}

#[test]
fn recorded_objects_of_other_clusters_are_left_alone() {
    let recorded = state()
        .applied("prod", service("web", "web"))
        .applied("staging", service("web", "web"))
        .applied("elsewhere", service("web", "web"))
        .build();
    let set = run_in(desired().build(), &recorded, &live().build(), &["prod"]);
    assert_eq!(
        summary(&set),
        [("prod Service web".to_owned(), Action::Delete)]
    );
    let all = run(desired().build(), &recorded, &live().build());
    assert_eq!(all.changes.len(), CLUSTERS.len());
}

#[test]
fn namespaces_sisyphus_did_not_create_are_forgotten_and_system_ones_never_appear() {
    let recorded = state()
        .applied("prod", namespace("ours"))
        .applied("prod", namespace("theirs"))
        .edit(&key("prod", "v1", "Namespace", None, "theirs"), |r| {
            r.created = false
        })
        .applied("prod", namespace("default"))
        .applied("prod", namespace("kube-system"))
        .applied("prod", namespace("kube-public"))
        .applied("prod", namespace("kube-node-lease"))
        .applied("prod", config_map("kube-system", "settings", &[]))
        .build();
    let set = run(desired().build(), &recorded, &live().build());
    assert_eq!(
        summary(&set),
        [
            ("prod ConfigMap settings".to_owned(), Action::Delete),
            ("prod Namespace ours".to_owned(), Action::Delete),
            ("prod Namespace theirs".to_owned(), Action::Delete),
        ]
    );
    assert_eq!(
        change(&set, "Namespace", "theirs").reasons,
        ["not created by Sisyphus: forgotten, not deleted"]
    );
    assert_eq!(
        change(&set, "Namespace", "ours").reasons,
        ["deleted only if nothing Sisyphus does not track lives in it"]
    );
}

#[test]
fn a_record_that_is_not_json_is_still_an_update_and_says_so() {
    let recorded = state()
        .applied("prod", service("web", "web"))
        .edit(&key("prod", "v1", "Service", Some("web"), "web"), |r| {
            r.applied = "{not json".into();
            r.applied_hash = "0".repeat(64);
        })
        .build();
    let objects = desired().object("prod", service("web", "web")).build();
    let set = run(objects, &recorded, &live().build());
    let update = change(&set, "Service", "web");
    assert_eq!(update.action, Action::Update);
    assert!(
        update.reasons[0].contains("not valid JSON"),
        "{:?}",
        update.reasons
    );
    assert!(sisyphus_diff::text::change_diff(update).starts_with("--- recorded\n+++ desired\n"));
}

#[test]
fn odd_objects_do_not_panic() {
    let objects = desired()
        .object("prod", json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": "odd"}))
        .object("prod", json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "y"}, "data": ["z"]}))
        .object("prod", json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "z"}, "spec": {"resources": 3}}))
        .build();
    let recorded = state()
        .applied("prod", json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"clusterIP": ["1"]}}))
        .applied("prod", json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "y"}, "immutable": true}))
        .applied("prod", json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "z"}, "spec": 7}))
        .build();
    let set = run(objects, &recorded, &live().build());
    assert_eq!(set.changes.len(), 3);
    assert!(set.changes.iter().all(|c| c.action == Action::Update));
}

/// An object the field manager `sisyphus` wrote that this database does not track (another
/// database pushed it) is adopted only with `--adopt`, and the reason says so (#8).
#[test]
fn an_object_sisyphus_wrote_for_another_database_is_adopted_with_a_reason() {
    let objects = desired()
        .object("prod", config_map("web", "settings", &[("a", "1")]))
        .build();
    let written = live()
        .with(
            &key("prod", "v1", "ConfigMap", Some("web"), "settings"),
            LiveObject {
                written_by_sisyphus: true,
                ..LiveObject::default()
            },
        )
        .build();
    let set = run(objects, &state().build(), &written);
    let adopt = change(&set, "ConfigMap", "settings");
    assert_eq!(adopt.action, Action::Adopt);
    assert!(
        adopt.reasons.iter().any(|r| r.contains("another database")),
        "{:?}",
        adopt.reasons
    );
}
