//! Encode → decode gives the same plan; the same inputs give the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sisyphus_core::production::{
    AppConfig, CronJobSpec, DeploymentSpec, FootprintEntry, KubernetesObject, KubernetesYamlSpec,
    Plan, Production, Resource, ResourceSpec, ServicePort, SourceLocation, VariableBinding,
    VariableSource,
};

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../example/production")
}

fn loc(file: &str, line: u32) -> SourceLocation {
    loc_col(file, line, 1)
}

fn loc_col(file: &str, line: u32, column: u32) -> SourceLocation {
    SourceLocation {
        file: file.into(),
        line,
        column,
    }
}

/// A plan using every variant and optional field.
fn full_plan() -> Plan {
    let config = AppConfig {
        environment: "prod".into(),
        environment_location: loc_col("web/index.yaml", 5, 8),
        image: "reg.example/app_config@sha256:abc".into(),
        image_location: loc_col("web/index.yaml", 6, 10),
        variables: BTreeMap::from([
            (
                "a".into(),
                VariableBinding {
                    source: VariableSource::SecretKeyRef {
                        name: "s".into(),
                        key: "k".into(),
                    },
                    location: loc("web/index.yaml", 7),
                },
            ),
            (
                "b".into(),
                VariableBinding {
                    source: VariableSource::ConfigMapKeyRef {
                        name: "cm".into(),
                        key: "k".into(),
                    },
                    location: loc("web/index.yaml", 8),
                },
            ),
            (
                "c".into(),
                VariableBinding {
                    source: VariableSource::Value("literal".into()),
                    location: loc("web/index.yaml", 9),
                },
            ),
        ]),
    };
    Plan {
        production: Production {
            resources: vec![
                Resource {
                    folder: "web".into(),
                    name: "web".into(),
                    location: loc("web/index.yaml", 1),
                    labels: BTreeMap::from([("team".into(), "a".into())]),
                    annotations: BTreeMap::from([("note".into(), "x y".into())]),
                    spec: ResourceSpec::Deployment(DeploymentSpec {
                        config: config.clone(),
                        service_ports: BTreeMap::from([
                            (
                                "http".into(),
                                ServicePort {
                                    name: None,
                                    number: 80,
                                    location: loc_col("web/index.yaml", 12, 7),
                                },
                            ),
                            (
                                "admin".into(),
                                ServicePort {
                                    name: Some("adm".into()),
                                    number: 9000,
                                    location: loc_col("web/index.yaml", 13, 7),
                                },
                            ),
                        ]),
                        footprint: BTreeMap::from([
                            (
                                "c1".into(),
                                FootprintEntry {
                                    replicas: 0,
                                    location: loc_col("web/index.yaml", 15, 3),
                                },
                            ),
                            (
                                "c2".into(),
                                FootprintEntry {
                                    replicas: 3,
                                    location: loc_col("web/index.yaml", 16, 3),
                                },
                            ),
                        ]),
                    }),
                },
                Resource {
                    folder: "web".into(),
                    name: "job".into(),
                    location: loc("web/index.yaml", 20),
                    labels: BTreeMap::new(),
                    annotations: BTreeMap::new(),
                    spec: ResourceSpec::CronJob(CronJobSpec {
                        config,
                        schedule: "@daily".into(),
                        schedule_location: loc_col("web/index.yaml", 24, 13),
                        concurrency_policy: Some("Forbid".into()),
                        concurrency_policy_location: loc_col("web/index.yaml", 25, 22),
                        restart_policy: Some("Never".into()),
                        restart_policy_location: loc_col("web/index.yaml", 26, 18),
                        time_zone: Some("Etc/UTC".into()),
                        suspend: Some(false),
                        successful_jobs_history_limit: Some(0),
                        failed_jobs_history_limit: Some(5),
                        backoff_limit: Some(2),
                        clusters: vec!["c1".into(), "c2".into()],
                    }),
                },
                Resource {
                    folder: "global".into(),
                    name: "objs".into(),
                    location: loc("global/index.yaml", 1),
                    labels: BTreeMap::new(),
                    annotations: BTreeMap::new(),
                    spec: ResourceSpec::KubernetesYaml(KubernetesYamlSpec {
                        clusters: vec!["c2".into(), "c1".into()],
                        objects: vec![KubernetesObject {
                            object: serde_json::json!({"apiVersion": "v1", "kind": "Secret",
                                "metadata": {"name": "s", "namespace": "web"},
                                "data": {"k": "aGk="}, "n": [1, 2.5, null, true]}),
                            location: loc("global/objs.yaml", 1),
                            secret: true,
                        }],
                    }),
                },
            ],
            declared_clusters: Some(vec!["c1".into(), "c2".into()]),
        },
        inputs_hash: "sha256:00".into(),
    }
}

#[test]
fn every_field_survives_a_round_trip() {
    let plan = full_plan();
    let bytes = sisyphus_plan::write(&plan);
    let back = sisyphus_plan::read(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, plan);
    assert_eq!(sisyphus_plan::write(&back), bytes);
}

/// Field locations left unknown (a plan built by hand, or written before they were recorded)
/// stay unknown, and are not written at all.
#[test]
fn unknown_field_locations_stay_unknown_and_are_not_written() {
    let plan = full_plan();
    let mut bare = plan.clone();
    for resource in &mut bare.production.resources {
        match &mut resource.spec {
            ResourceSpec::Deployment(d) => {
                d.config.environment_location = SourceLocation::default();
                d.config.image_location = SourceLocation::default();
                for port in d.service_ports.values_mut() {
                    port.location = SourceLocation::default();
                }
                for entry in d.footprint.values_mut() {
                    entry.location = SourceLocation::default();
                }
            }
            ResourceSpec::CronJob(c) => {
                c.config.environment_location = SourceLocation::default();
                c.config.image_location = SourceLocation::default();
                c.schedule_location = SourceLocation::default();
                c.concurrency_policy_location = SourceLocation::default();
                c.restart_policy_location = SourceLocation::default();
            }
            ResourceSpec::KubernetesYaml(_) => {}
        }
    }
    let bytes = sisyphus_plan::write(&bare);
    let back = sisyphus_plan::read(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, bare);
    assert_ne!(back, plan, "the field locations are part of the plan");
    // 11 locations of about 20 bytes each are gone.
    assert!(sisyphus_plan::write(&plan).len() > bytes.len() + 11 * 16);
}

#[test]
fn example_folder_round_trips() {
    let plan = sisyphus_load::load(&example_dir()).unwrap_or_else(|e| panic!("{e}"));
    let back = sisyphus_plan::read(&sisyphus_plan::write(&plan)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, plan);
}

#[test]
fn object_key_order_does_not_change_the_bytes() {
    let plan = full_plan();
    let mut reordered = plan.clone();
    let ResourceSpec::KubernetesYaml(k) = &mut reordered.production.resources[2].spec else {
        panic!("not a KubernetesYaml");
    };
    k.objects[0].object = serde_json::json!({"n": [1, 2.5, null, true], "data": {"k": "aGk="},
        "metadata": {"namespace": "web", "name": "s"}, "kind": "Secret", "apiVersion": "v1"});
    assert_eq!(
        sisyphus_plan::write(&plan),
        sisyphus_plan::write(&reordered)
    );
}

#[test]
fn loading_twice_gives_the_same_bytes_whatever_the_file_order_on_disk() {
    let files: Vec<(PathBuf, Vec<u8>)> = walk(&example_dir());
    let write_tree = |order: &[(PathBuf, Vec<u8>)]| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for (rel, bytes) in order {
            let path = dir.path().join(rel);
            if let Some(parent) = path.parent() {
                fs_err::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
            }
            fs_err::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        }
        dir
    };
    let a = write_tree(&files);
    let mut reversed = files.clone();
    reversed.reverse();
    let b = write_tree(&reversed);
    let plan_a = sisyphus_load::load(a.path()).unwrap_or_else(|e| panic!("{e}"));
    let plan_b = sisyphus_load::load(b.path()).unwrap_or_else(|e| panic!("{e}"));
    let again = sisyphus_load::load(a.path()).unwrap_or_else(|e| panic!("{e}"));
    let bytes = sisyphus_plan::write(&plan_a);
    assert_eq!(bytes, sisyphus_plan::write(&plan_b));
    assert_eq!(bytes, sisyphus_plan::write(&again));
}

fn walk(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let dir = root.join(&rel);
        for entry in fs_err::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
            let entry = entry.unwrap_or_else(|e| panic!("{e}"));
            let child = rel.join(entry.file_name());
            if entry.path().is_dir() {
                pending.push(child);
            } else {
                out.push((
                    child,
                    fs_err::read(entry.path()).unwrap_or_else(|e| panic!("{e}")),
                ));
            }
        }
    }
    out.sort();
    out
}
