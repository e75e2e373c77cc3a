use sisyphus_core::live::ListScope;
use sisyphus_diff::live_scopes;
use sisyphus_diff::testing::{deployment, desired, namespace, service, state};

#[test]
fn a_no_op_needs_no_list() {
    let objects = desired()
        .object("prod", namespace("web"))
        .object("prod", deployment("web", "web", "web@sha256:1"))
        .build();
    let recorded = state().all(&objects).build();
    assert!(live_scopes(&objects, &recorded).is_empty());
}

#[test]
fn one_list_per_cluster_kind_and_namespace_of_what_is_not_recorded() {
    let objects = desired()
        .object("prod", namespace("web"))
        .object("prod", service("web", "a"))
        .object("prod", service("web", "b"))
        .object("prod", service("api", "c"))
        .object("staging", service("web", "a"))
        .object("prod", deployment("web", "recorded", "x@sha256:1"))
        .build();
    let recorded = state()
        .applied("prod", deployment("web", "recorded", "x@sha256:0"))
        .build();
    let scope = |cluster: &str, api: &str, kind: &str, ns: Option<&str>| {
        let (group, version) = sisyphus_core::desired::ObjectKey::split_api_version(api);
        ListScope {
            cluster: cluster.into(),
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            namespace: ns.map(Into::into),
        }
    };
    let scopes: Vec<ListScope> = live_scopes(&objects, &recorded).into_iter().collect();
    assert_eq!(
        scopes,
        [
            scope("prod", "v1", "Namespace", None),
            scope("prod", "v1", "Service", Some("api")),
            scope("prod", "v1", "Service", Some("web")),
            scope("staging", "v1", "Service", Some("web")),
        ]
    );
}
