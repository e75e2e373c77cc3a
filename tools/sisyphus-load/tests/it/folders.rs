//! Behaviour of load on small folders built in a temp dir: includes, namespaces filled in,
//! CRD scopes, empty documents, and determinism.

use std::path::Path;

use sisyphus_core::production::{Plan, ResourceSpec};
use sisyphus_load::{Error, load};

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        fs_err::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn load_ok(files: &[(&str, &str)]) -> Plan {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), files);
    load(dir.path()).unwrap_or_else(|e| match e {
        Error::Invalid { diagnostics, .. } => panic!("{diagnostics:#?}"),
        other => panic!("{other}"),
    })
}

const DEPLOYMENT: &str = "apiVersion: sisyphus/v1
kind: Deployment
metadata: {name: web}
config: {env: prod, image: reg.example/web_config:1}
footprint: {c1: {replicas: 2}}
";

#[test]
fn sisyphus_yaml_includes_load_into_the_same_namespace() {
    let plan = load_ok(&[
        (
            "web/index.yaml",
            "apiVersion: sisyphus/v1\nkind: SisyphusYaml\nsources: [more/index.yaml]\n---\n",
        ),
        ("web/more/index.yaml", DEPLOYMENT),
    ]);
    let r = &plan.production.resources[0];
    assert_eq!((r.folder.as_str(), r.name.as_str()), ("web", "web"));
    assert_eq!(r.location.to_string(), "web/more/index.yaml:1:1");
    let ResourceSpec::Deployment(d) = &r.spec else {
        panic!("not a Deployment");
    };
    assert_eq!(d.footprint.get("c1").map(|e| e.replicas), Some(2));
}

/// Field locations: a scalar's is its value, a map entry's its key (what render errors point at).
#[test]
fn fields_render_checks_are_located() {
    let plan = load_ok(&[(
        "web/index.yaml",
        "apiVersion: sisyphus/v1
kind: Deployment
metadata: {name: web}
config:
  env: prod
  image: \"reg.example/web_config:1\"
  service:
    ports:
      http: {number: 80}
      grpc:
        number: 90
footprint:
  c1: {replicas: 2}
  c2:
    replicas: 1
---
apiVersion: sisyphus/v1
kind: CronJob
metadata: {name: job}
config:
  env: staging
  image: reg.example/job_config:1
  schedule:   '@daily'
  restartPolicy: Never
footprint: {c1: {}}
",
    )]);
    let at = |l: &sisyphus_core::production::SourceLocation| l.to_string();
    let ResourceSpec::Deployment(d) = &plan.production.resources[0].spec else {
        panic!("not a Deployment");
    };
    assert_eq!(at(&d.config.environment_location), "web/index.yaml:5:8");
    assert_eq!(at(&d.config.image_location), "web/index.yaml:6:10");
    let ports: Vec<(&str, String)> = d
        .service_ports
        .iter()
        .map(|(k, p)| (k.as_str(), at(&p.location)))
        .collect();
    assert_eq!(
        ports,
        [
            ("grpc", "web/index.yaml:10:7".to_owned()),
            ("http", "web/index.yaml:9:7".to_owned())
        ]
    );
    let footprint: Vec<(&str, u32, String)> = d
        .footprint
        .iter()
        .map(|(c, e)| (c.as_str(), e.replicas, at(&e.location)))
        .collect();
    assert_eq!(
        footprint,
        [
            ("c1", 2, "web/index.yaml:13:3".to_owned()),
            ("c2", 1, "web/index.yaml:14:3".to_owned())
        ]
    );
    let ResourceSpec::CronJob(c) = &plan.production.resources[1].spec else {
        panic!("not a CronJob");
    };
    assert_eq!(at(&c.config.environment_location), "web/index.yaml:21:8");
    assert_eq!(at(&c.schedule_location), "web/index.yaml:23:15");
    assert_eq!(at(&c.restart_policy_location), "web/index.yaml:24:18");
    assert!(!c.concurrency_policy_location.is_known());
}

#[test]
fn namespace_is_filled_in_and_crd_scopes_are_respected() {
    let plan = load_ok(&[
        (
            "global/index.yaml",
            "apiVersion: sisyphus/v1
kind: KubernetesYaml
metadata: {name: crds}
clusters: [c1]
objects:
  - apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: widgets.example.com}
    spec: {group: example.com, scope: Namespaced, names: {kind: Widget}}
  - apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: pools.example.com}
    spec: {group: example.com, scope: Cluster, names: {kind: Pool}}
  - {apiVersion: example.com/v1, kind: Pool, metadata: {name: p}}
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: x, namespace: kube-system}}
",
        ),
        (
            "web/index.yaml",
            "apiVersion: sisyphus/v1
kind: KubernetesYaml
metadata: {name: widgets}
clusters: [c1]
objects:
  - {apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}
",
        ),
    ]);
    let ResourceSpec::KubernetesYaml(web) = &plan.production.resources[1].spec else {
        panic!("not a KubernetesYaml");
    };
    assert_eq!(web.objects[0].object["metadata"]["namespace"], "web");
    let ResourceSpec::KubernetesYaml(global) = &plan.production.resources[0].spec else {
        panic!("not a KubernetesYaml");
    };
    assert!(
        global.objects[2].object["metadata"]
            .get("namespace")
            .is_none()
    );
}

#[test]
fn cluster_scoped_crd_kind_is_refused_in_a_namespace_folder() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        &[
            (
                "global/index.yaml",
                "apiVersion: sisyphus/v1\nkind: KubernetesYaml\nmetadata: {name: crds}\nclusters: [c1]\nobjects:\n  - apiVersion: apiextensions.k8s.io/v1\n    kind: CustomResourceDefinition\n    metadata: {name: pools.example.com}\n    spec: {group: example.com, scope: Cluster, names: {kind: Pool}}\n",
            ),
            (
                "web/index.yaml",
                "apiVersion: sisyphus/v1\nkind: KubernetesYaml\nmetadata: {name: pools}\nclusters: [c1]\nobjects:\n  - {apiVersion: example.com/v1, kind: Pool, metadata: {name: p}}\n",
            ),
        ],
    );
    let Err(Error::Invalid { diagnostics, .. }) = load(dir.path()) else {
        panic!("loaded");
    };
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0].location.to_string(), "web/index.yaml:6:5");
    assert!(
        diagnostics[0].message.contains("cluster-scoped"),
        "{}",
        diagnostics[0]
    );
}

#[test]
fn empty_documents_and_hidden_folders_are_skipped() {
    let plan = load_ok(&[
        (
            "web/index.yaml",
            &format!("---\n# comment only\n---\n{DEPLOYMENT}---\n"),
        ),
        (".git/index.yaml", "not: [valid"),
        ("README.md", "# docs"),
    ]);
    assert_eq!(plan.production.resources.len(), 1);
    assert_eq!(plan.production.resources[0].location.line, 4);
}

#[test]
fn same_inputs_give_the_same_plan_whatever_the_creation_order() {
    let a_index = format!(
        "{DEPLOYMENT}---\napiVersion: sisyphus/v1\nkind: KubernetesYaml\nmetadata: {{name: k}}\nclusters: [c1]\nsources: [extra.yaml]\n"
    );
    let files = [
        ("b/index.yaml", DEPLOYMENT),
        ("a/index.yaml", a_index.as_str()),
        (
            "a/extra.yaml",
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {z: '1', a: '2'}}",
        ),
    ];
    let mut reversed = files;
    reversed.reverse();
    let plan1 = load_ok(&files);
    let plan2 = load_ok(&reversed);
    assert_eq!(plan1, plan2);
    assert_eq!(plan1.inputs_hash, plan2.inputs_hash);
    let changed = load_ok(&[
        files[0],
        files[1],
        (
            "a/extra.yaml",
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: x}}",
        ),
    ]);
    assert_ne!(changed.inputs_hash, plan1.inputs_hash);
}
