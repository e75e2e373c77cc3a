//! Pods run on the test ground: what `sisyphus push` applies is scheduled by kube-scheduler onto
//! KWOK's fake nodes and goes through a pod lifecycle (`testing/kwok/stages.yaml`). A pushed
//! Deployment becomes available, a Job made from a pushed CronJob completes, and a Deployment
//! whose pods never become Ready stays unavailable. The tests poll the live cluster with a
//! deadline; the state database is SQLite (these tests are about the clusters).

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::future::Future;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use sisyphus_test_support::kube::{KubeCluster, NEVER_READY_LABEL, binary};

use crate::common::ok;
use crate::ground::{CLUSTERS, Dialect, EAST, Ground, WEST, block_on};

/// How long a pushed workload may take to reach the state a test waits for.
const DEADLINE: Duration = Duration::from_secs(90);

/// Calls `check` every 300 ms until it returns `Some`, failing after [`DEADLINE`] with what
/// `last_seen` says about the last state.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        match check().await {
            Ok(value) => return value,
            Err(last) if start.elapsed() > DEADLINE => {
                panic!("timed out after {DEADLINE:?} waiting for {what}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(300)).await,
        }
    }
}

/// `(spec.replicas, status.availableReplicas)` of Deployment `name`.
async fn availability(api: &Api<Deployment>, name: &str) -> (i32, i32) {
    let d = api.get(name).await.expect("get deployment");
    let wanted = d.spec.and_then(|s| s.replicas).unwrap_or(1);
    let available = d.status.and_then(|s| s.available_replicas).unwrap_or(0);
    (wanted, available)
}

/// Which pods a test looks at: those of a Deployment (owned by its ReplicaSets), or those of a
/// Job.
#[derive(Clone, Copy)]
enum Owner<'a> {
    Deployment(&'a str),
    Job(&'a str),
}

/// The pods of namespace `ns` that `owner` owns.
async fn pods(client: &kube::Client, ns: &str, owner: Owner<'_>) -> Vec<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let mut pods = api
        .list(&ListParams::default())
        .await
        .expect("list pods")
        .items;
    pods.retain(|p| {
        p.metadata
            .owner_references
            .iter()
            .flatten()
            .any(|o| match owner {
                // A ReplicaSet of Deployment `name` is `<name>-<pod template hash>`.
                Owner::Deployment(name) => {
                    o.kind == "ReplicaSet"
                        && o.name
                            .strip_prefix(name)
                            .and_then(|rest| rest.strip_prefix('-'))
                            .is_some_and(|hash| !hash.contains('-'))
                }
                Owner::Job(name) => o.kind == "Job" && o.name == name,
            })
    });
    pods
}

/// The pod's phase, node and Ready condition status, for assertions and messages.
fn state(pod: &Pod) -> (String, String, String) {
    let status = pod.status.clone().unwrap_or_default();
    let ready = status
        .conditions
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status)
        .unwrap_or_default();
    let node = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_default();
    (status.phase.unwrap_or_default(), node, ready)
}

fn describe(pods: &[Pod]) -> String {
    let states: Vec<String> = pods
        .iter()
        .map(|p| {
            let (phase, node, ready) = state(p);
            let name = p.metadata.name.clone().unwrap_or_default();
            format!("{name}: phase={phase} node={node} ready={ready}")
        })
        .collect();
    format!("[{}]", states.join(", "))
}

/// The shared cluster of `context`, for its node names.
fn cluster(context: &str) -> &'static KubeCluster {
    KubeCluster::shared(context)
}

#[test]
fn a_pushed_deployment_becomes_available_on_the_fake_nodes() {
    let g = Ground::new("pods-avail", Dialect::Sqlite);
    g.edit(
        "index.yaml",
        "  east:\n    replicas: 1",
        "  east:\n    replicas: 3",
    );
    g.push(&[]);

    block_on(async {
        for (context, replicas) in [(EAST, 3), (WEST, 1)] {
            let client = g.client(context).await;
            let api: Api<Deployment> = Api::namespaced(client.clone(), &g.ns);
            eventually(
                &format!("Deployment `echo` in `{context}` to be available"),
                || async {
                    match availability(&api, "echo").await {
                        (wanted, available) if wanted == replicas && available == wanted => Ok(()),
                        (wanted, available) => Err(format!(
                            "{available}/{wanted} available, pods {}",
                            describe(&pods(&client, &g.ns, Owner::Deployment("echo")).await)
                        )),
                    }
                },
            )
            .await;
            // They run where the scheduler put them: on KWOK's nodes, Running and Ready.
            let running = pods(&client, &g.ns, Owner::Deployment("echo")).await;
            assert_eq!(running.len(), replicas as usize, "{}", describe(&running));
            for pod in &running {
                let (phase, node, ready) = state(pod);
                assert_eq!((phase.as_str(), ready.as_str()), ("Running", "True"));
                assert!(
                    cluster(context).nodes().contains(&node),
                    "pod on `{node}`, not a KWOK node of {:?}",
                    cluster(context).nodes()
                );
            }
        }
    });
}

#[test]
fn a_job_from_a_pushed_cronjob_completes() {
    let g = Ground::new("pods-job", Dialect::Sqlite);
    g.push(&[]);

    // As a user starts a CronJob by hand: kubectl of the cluster's version.
    let job = "echo-cleanup-by-hand";
    let out = std::process::Command::new(binary())
        .arg("kubectl")
        .arg("--kubeconfig")
        .arg(&g.kubeconfig)
        .args(["--context", EAST, "--namespace", &g.ns])
        .args(["create", "job", "--from=cronjob/echo-cleanup", job])
        .output()
        .expect("run kube-testenv kubectl");
    assert!(ok(&out).contains(&format!("job.batch/{job} created")));

    block_on(async {
        let client = g.client(EAST).await;
        let api: Api<Job> = Api::namespaced(client.clone(), &g.ns);
        let done = eventually(&format!("Job `{job}` to succeed"), || async {
            let status = api
                .get(job)
                .await
                .expect("get job")
                .status
                .unwrap_or_default();
            match status.succeeded {
                Some(n) if n >= 1 => Ok(status),
                _ => Err(format!(
                    "{status:?}, pods {}",
                    describe(&pods(&client, &g.ns, Owner::Job(job)).await)
                )),
            }
        })
        .await;
        assert!(
            done.conditions
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Complete" && c.status == "True"),
            "Job `{job}` succeeded without its Complete condition"
        );
        let finished = pods(&client, &g.ns, Owner::Job(job)).await;
        assert!(
            finished.iter().any(|p| state(p).0 == "Succeeded"),
            "{}",
            describe(&finished)
        );
    });
}

#[test]
fn a_deployment_whose_pods_never_become_ready_stays_unavailable() {
    let g = Ground::new("pods-unready", Dialect::Sqlite);
    g.edit(
        "index.yaml",
        "kind: Deployment\nmetadata:\n  name: echo\n",
        &format!(
            "kind: Deployment\nmetadata:\n  name: echo\n  labels:\n    \
             {NEVER_READY_LABEL}: \"true\"\n"
        ),
    );
    g.push(&[]);

    block_on(async {
        for context in CLUSTERS {
            let client = g.client(context).await;
            // The pods start: scheduled to a KWOK node and Running, but not Ready.
            eventually(
                &format!("the pods of `echo` in `{context}` to run"),
                || async {
                    let all = pods(&client, &g.ns, Owner::Deployment("echo")).await;
                    let running = !all.is_empty()
                        && all.iter().all(|p| {
                            let (phase, node, ready) = state(p);
                            phase == "Running"
                                && cluster(context).nodes().contains(&node)
                                && ready == "False"
                        });
                    if running { Ok(()) } else { Err(describe(&all)) }
                },
            )
            .await;
        }
        // And stay so: the Deployment never counts one as available.
        let watch_until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < watch_until {
            for context in CLUSTERS {
                let client = g.client(context).await;
                let api: Api<Deployment> = Api::namespaced(client.clone(), &g.ns);
                let (wanted, available) = availability(&api, "echo").await;
                let all = pods(&client, &g.ns, Owner::Deployment("echo")).await;
                assert_eq!(
                    (wanted, available),
                    (1, 0),
                    "in `{context}`, pods {}",
                    describe(&all)
                );
                assert!(
                    all.iter().all(|p| state(p).2 == "False"),
                    "a never-ready pod became Ready in `{context}`: {}",
                    describe(&all)
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let api: Api<Deployment> = Api::namespaced(g.client(EAST).await, &g.ns);
        let conditions = api
            .get("echo")
            .await
            .expect("get deployment")
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default();
        assert!(
            conditions
                .iter()
                .any(|c| c.type_ == "Available" && c.status == "False"),
            "{conditions:?}"
        );
    });
}
