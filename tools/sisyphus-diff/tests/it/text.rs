use sisyphus_core::change::Action;
use sisyphus_diff::testing::{deployment, desired, live, secret, state};
use sisyphus_diff::text::{Tag, change_diff, change_diff_lines, yaml, yaml_diff};

use crate::common::{change, run};

#[test]
fn a_deployment_image_change() {
    let recorded = state()
        .applied(
            "prod",
            deployment("web", "web", "registry.example/web@sha256:1111"),
        )
        .build();
    let objects = desired()
        .object(
            "prod",
            deployment("web", "web", "registry.example/web@sha256:2222"),
        )
        .build();
    let set = run(objects, &recorded, &live().build());
    let update = change(&set, "Deployment", "web");
    assert_eq!(update.action, Action::Update);
    insta::assert_snapshot!(change_diff(update), @r#"
    --- recorded
    +++ desired
    @@ -19,7 +19,7 @@
         spec:
           containers:
           - name: web
    -        image: registry.example/web@sha256:1111
    +        image: registry.example/web@sha256:2222
             args:
             - --port
             - "8080"
    "#);
    let tags: Vec<Tag> = change_diff_lines(update)
        .into_iter()
        .map(|(tag, _)| tag)
        .collect();
    assert_eq!(tags.iter().filter(|t| **t == Tag::Delete).count(), 1);
    assert_eq!(tags.iter().filter(|t| **t == Tag::Insert).count(), 1);
    assert_eq!(tags[..3], [Tag::Header, Tag::Header, Tag::Hunk]);
}

const VALUES: [&str; 4] = ["hunter2", "aHVudGVyMg==", "s3cr3t-new", "topsecret-added"];

#[test]
fn no_secret_value_appears_in_any_diff() {
    let mut recorded_secret = secret("web", "tokens", &[("a", VALUES[0])]);
    recorded_secret["data"] = serde_json::json!({"b": VALUES[1]});
    let recorded = state().applied("prod", recorded_secret.clone()).build();
    let objects = desired()
        .object(
            "prod",
            secret("web", "tokens", &[("a", VALUES[2]), ("c", VALUES[3])]),
        )
        .object("staging", secret("web", "tokens", &[("a", VALUES[0])]))
        .build();
    let raw: Vec<serde_json::Value> = objects.values().map(|d| d.object.clone()).collect();
    let set = run(objects, &recorded, &live().build());
    let mut shown = String::new();
    for change in &set.changes {
        shown.push_str(&change_diff(change));
        shown.push_str(&change.reasons.join("\n"));
    }
    // Straight from the raw objects too: the view masks whatever it is given.
    shown.push_str(&yaml_diff(Some(&recorded_secret), Some(&raw[0])));
    shown.push_str(&yaml_diff(None, Some(&raw[1])));
    shown.push_str(&yaml(&raw[0]));
    for value in VALUES {
        assert!(!shown.contains(value), "{value} leaked:\n{shown}");
    }
    assert!(shown.contains("+  c: \"****\""), "{shown}");
}
