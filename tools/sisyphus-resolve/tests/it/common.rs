//! Plans, config image layouts and a registry client for the tests.

use std::collections::BTreeMap;
use std::path::Path;

use sisyphus_core::Digest;
use sisyphus_core::config_image::ConfigIndex;
use sisyphus_core::production::{
    AppConfig, CronJobSpec, DeploymentSpec, FootprintEntry, Plan, Production, Resource,
    ResourceSpec, SourceLocation,
};
use sisyphus_registry::{Client, ClientConfig, CredentialSource, Reference};

pub const BINARY: &str = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";

pub fn client() -> Client {
    sisyphus_registry::install_tls_provider();
    Client::new(ClientConfig {
        insecure: vec![],
        credentials: CredentialSource::anonymous(),
    })
}

/// A config image layout in `dir` with `main.star` = `source`; returns its digest.
pub fn config_image(dir: &Path, source: &str) -> Digest {
    let index = ConfigIndex {
        binary_digest: BINARY.parse().expect("digest"),
        binary_repository: "127.0.0.1:5000/echo".to_owned(),
        config_entrypoint: "main.star".to_owned(),
    };
    let files = BTreeMap::from([("main.star".to_owned(), source.as_bytes().to_vec())]);
    sisyphus_oci::build::config_image(dir, &index, &files).expect("build config image")
}

/// Push the layout in `dir` to every tag.
pub async fn push(client: &Client, dir: &Path, tags: &[&str]) {
    let tags: Vec<Reference> = tags.iter().map(|t| t.parse().expect("tag")).collect();
    sisyphus_registry::push_layout(client, dir, &tags, &|_| {})
        .await
        .expect("push");
}

fn at(line: u32, column: u32) -> SourceLocation {
    SourceLocation {
        file: "echo/index.yaml".to_owned(),
        line,
        column,
    }
}

/// The config of a resource declared at `line`: `env` on the line after `config:`, `image`
/// under it (`echo/index.yaml:<line + 4>:10`).
fn app(image: &str, line: u32) -> AppConfig {
    AppConfig {
        environment: "prod".to_owned(),
        environment_location: at(line + 3, 8),
        image: image.to_owned(),
        image_location: at(line + 4, 10),
        variables: BTreeMap::new(),
    }
}

/// A Deployment `name` in folder `echo`, declared at `echo/index.yaml:<line>:1`.
pub fn deployment(name: &str, image: &str, line: u32) -> Resource {
    resource(
        name,
        line,
        ResourceSpec::Deployment(DeploymentSpec {
            config: app(image, line),
            service_ports: BTreeMap::new(),
            footprint: BTreeMap::from([(
                "c1".to_owned(),
                FootprintEntry {
                    replicas: 1,
                    location: at(line + 6, 3),
                },
            )]),
        }),
    )
}

/// A CronJob `name` in folder `echo`, declared at `echo/index.yaml:<line>:1`.
pub fn cronjob(name: &str, image: &str, line: u32) -> Resource {
    resource(
        name,
        line,
        ResourceSpec::CronJob(CronJobSpec {
            config: app(image, line),
            schedule: "0 2 * * *".to_owned(),
            schedule_location: at(line + 5, 13),
            concurrency_policy: None,
            concurrency_policy_location: SourceLocation::default(),
            restart_policy: None,
            restart_policy_location: SourceLocation::default(),
            time_zone: None,
            suspend: None,
            successful_jobs_history_limit: None,
            failed_jobs_history_limit: None,
            backoff_limit: None,
            clusters: vec!["c1".to_owned()],
        }),
    )
}

fn resource(name: &str, line: u32, spec: ResourceSpec) -> Resource {
    Resource {
        folder: "echo".to_owned(),
        name: name.to_owned(),
        location: at(line, 1),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        spec,
    }
}

pub fn plan(resources: Vec<Resource>) -> Plan {
    Plan {
        production: Production {
            resources,
            declared_clusters: None,
        },
        inputs_hash: String::new(),
    }
}

/// `(method, path)` of the registry requests since the last reset, without query strings.
pub fn requests(registry: &sisyphus_test_support::Registry) -> Vec<(String, String)> {
    let mut r: Vec<(String, String)> = registry
        .requests()
        .into_iter()
        .map(|(m, p)| (m, p.split('?').next().unwrap_or_default().to_owned()))
        .collect();
    r.sort();
    r
}
