use sisyphus_core::change::Action;
use sisyphus_diff::testing::{desired, key, live, secret, state};

use crate::common::{change, run};

#[test]
fn a_value_changed_in_the_files_is_unchanged() {
    let recorded = state()
        .applied("prod", secret("web", "tokens", &[("token", "old-value")]))
        .build();
    let objects = desired()
        .object("prod", secret("web", "tokens", &[("token", "new-value")]))
        .build();
    let set = run(objects, &recorded, &live().build());
    assert_eq!(change(&set, "Secret", "tokens").action, Action::Unchanged);
}

#[test]
fn the_record_holds_no_value() {
    let recorded = state()
        .applied("prod", secret("web", "tokens", &[("token", "hunter2")]))
        .build();
    let record = &recorded
        .objects
        .values()
        .next()
        .expect("one record")
        .applied;
    assert!(!record.contains("hunter2"), "{record}");
}

#[test]
fn a_new_key_is_an_update_and_a_dropped_key_is_kept() {
    let recorded = state()
        .applied("prod", secret("web", "tokens", &[("a", "1"), ("old", "2")]))
        .build();
    let objects = desired()
        .object("prod", secret("web", "tokens", &[("a", "1"), ("new", "3")]))
        .build();
    let set = run(objects, &recorded, &live().build());
    let update = change(&set, "Secret", "tokens");
    assert_eq!(update.action, Action::Update);
    assert_eq!(
        update.reasons,
        [
            "adds key `new`",
            "key `old` is no longer declared (kept in the cluster)"
        ]
    );
    assert!(set.blocked.is_empty());
}

#[test]
fn an_existing_secret_is_adopted_keeping_its_values() {
    let objects = desired()
        .object("prod", secret("web", "tokens", &[("a", "1"), ("b", "2")]))
        .build();
    let found = live()
        .secret(&key("prod", "v1", "Secret", Some("web"), "tokens"), &["a"])
        .build();
    let set = run(objects, &state().build(), &found);
    let adopt = change(&set, "Secret", "tokens");
    assert_eq!(adopt.action, Action::Adopt);
    assert_eq!(
        adopt.reasons[1..],
        [
            "key `a` exists: its value in the cluster is kept",
            "adds key `b`"
        ]
    );
}

#[test]
fn an_immutable_secret_that_gains_a_key_is_blocked() {
    let mut before = secret("web", "tokens", &[("a", "1")]);
    before["immutable"] = true.into();
    let mut after = secret("web", "tokens", &[("a", "1"), ("b", "2")]);
    after["immutable"] = true.into();
    let recorded = state().applied("prod", before).build();
    let set = run(
        desired().object("prod", after).build(),
        &recorded,
        &live().build(),
    );
    assert_eq!(change(&set, "Secret", "tokens").action, Action::Update);
    assert_eq!(set.blocked.len(), 1);
    assert_eq!(set.blocked[0].field, "data");
    assert!(
        set.blocked[0].reason.contains("never overwrites"),
        "{}",
        set.blocked[0].reason
    );
}
