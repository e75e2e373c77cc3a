//! Benchmark: resolve 200 distinct tags with bounded concurrency (16) against a local registry
//! (Debian's `docker-registry`, started by `sisyphus-test-support`), cold (a fresh client) and
//! warm (the same client again: connections and tokens reused; there is no tag → digest cache).
//! Prints requests made (from the registry's access log) and wall time.
//!
//! Run with `cargo bench -p sisyphus-registry --bench resolve`.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark prints its figures and fails loudly"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use sisyphus_oci::build::{self, ImageInput};
use sisyphus_oci::layer::LayerFile;
use sisyphus_registry::{Client, ClientConfig, CredentialSource, Reference};
use sisyphus_test_support::registry::Registry;
use tokio::sync::Semaphore;

const TAGS: usize = 200;
const CONCURRENCY: usize = 16;

fn main() {
    sisyphus_registry::install_tls_provider();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("image");
    build::image(
        &layout,
        &ImageInput {
            files: vec![LayerFile {
                path: "app/echo".to_owned(),
                contents: b"echo".to_vec(),
                executable: true,
            }],
            ..Default::default()
        },
    )
    .unwrap();

    println!("anonymous registry:");
    let anonymous = Registry::start();
    bench(&rt, &anonymous, &layout, &CredentialSource::anonymous());

    println!("basic-auth registry (credentials from a docker config.json):");
    let basic = Registry::start_with_basic_auth("bench", "bench-pw");
    let config = tmp.path().join("config.json");
    // base64("bench:bench-pw")
    std::fs::write(
        &config,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"YmVuY2g6YmVuY2gtcHc="}}}}}}"#,
            basic.host()
        ),
    )
    .unwrap();
    let creds = CredentialSource {
        docker_configs: vec![config],
        podman_auth_files: vec![],
    };
    bench(&rt, &basic, &layout, &creds);
}

fn bench(
    rt: &tokio::runtime::Runtime,
    registry: &Registry,
    layout: &std::path::Path,
    credentials: &CredentialSource,
) {
    let tags: Vec<Reference> = (0..TAGS)
        .map(|i| format!("{}/bench:t{i}", registry.host()).parse().unwrap())
        .collect();
    rt.block_on(async {
        let setup = client(credentials);
        sisyphus_registry::push_layout(&setup, layout, &tags, &|_| {})
            .await
            .unwrap();
    });
    let client = Arc::new(client(credentials));
    for round in ["cold", "warm"] {
        registry.reset_requests();
        let start = Instant::now();
        rt.block_on(resolve_all(&client, &tags));
        let elapsed = start.elapsed();
        let requests = registry.requests();
        let heads = requests.iter().filter(|(m, _)| m == "HEAD").count();
        println!(
            "  {round}: resolved {TAGS} tags (concurrency {CONCURRENCY}) in {} ms; {} requests ({heads} HEAD, {} other)",
            elapsed.as_millis(),
            requests.len(),
            requests.len() - heads,
        );
        report_rate(elapsed);
    }
}

fn client(credentials: &CredentialSource) -> Client {
    Client::new(ClientConfig {
        insecure: vec![],
        credentials: credentials.clone(),
    })
}

async fn resolve_all(client: &Arc<Client>, tags: &[Reference]) {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for tag in tags {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let client = client.clone();
        let tag = tag.clone();
        tasks.spawn(async move {
            let d = sisyphus_registry::resolve(&client, &tag).await.unwrap();
            drop(permit);
            d
        });
    }
    let first = tasks.join_next().await.unwrap().unwrap();
    while let Some(d) = tasks.join_next().await {
        assert_eq!(d.unwrap(), first, "every tag points to the same image");
    }
}

fn report_rate(elapsed: Duration) {
    let per = elapsed.as_secs_f64() * 1000.0 / TAGS as f64;
    println!("    {per:.2} ms per tag");
}
