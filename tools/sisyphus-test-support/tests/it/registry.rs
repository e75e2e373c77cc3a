//! The registry fixture against the real `docker-registry`: monolithic blob upload, manifest
//! push, HEAD digest, basic auth, request counting, stop on drop.

use std::time::Instant;

use reqwest::{Client, StatusCode};
use sha2::{Digest as _, Sha256};
use sisyphus_test_support::Registry;

fn client() -> Client {
    // reqwest is built without a default TLS provider; plain HTTP still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Pushes `blob` with one POST (start upload) and one PUT (the whole blob).
async fn push_blob(client: &Client, registry: &Registry, repo: &str, blob: &[u8]) -> String {
    let digest = sha256(blob);
    let start = client
        .post(format!("{}/v2/{repo}/blobs/uploads/", registry.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::ACCEPTED);
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    let location = if location.starts_with('/') {
        format!("{}{location}", registry.url())
    } else {
        location
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    let put = client
        .put(format!("{location}{separator}digest={digest}"))
        .header("content-type", "application/octet-stream")
        .body(blob.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.status(),
        StatusCode::CREATED,
        "{}",
        put.text().await.unwrap()
    );
    digest
}

/// An OCI image manifest for one config blob and one layer blob.
fn manifest(config: &[u8], config_digest: &str, layer: &[u8], layer_digest: &str) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn push_then_head_returns_the_manifest_digest_and_is_counted() {
    let started = Instant::now();
    let registry = Registry::start();
    eprintln!("registry started in {:?}", started.elapsed());
    let client = client();
    let repo = "smoke/app";
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let layer = b"not really a tar, the registry does not look";
    let config_digest = push_blob(&client, &registry, repo, config).await;
    let layer_digest = push_blob(&client, &registry, repo, layer).await;
    let manifest = manifest(config, &config_digest, layer, &layer_digest);
    let put = client
        .put(format!("{}/v2/{repo}/manifests/v1", registry.url()))
        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .body(manifest.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.status(),
        StatusCode::CREATED,
        "{}",
        put.text().await.unwrap()
    );

    registry.reset_requests();
    let head = client
        .head(format!("{}/v2/{repo}/manifests/v1", registry.url()))
        .header("accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        head.headers()["docker-content-digest"].to_str().unwrap(),
        sha256(&manifest)
    );
    assert_eq!(
        registry.requests(),
        vec![("HEAD".to_owned(), format!("/v2/{repo}/manifests/v1"))]
    );
    // Reading the requests does not count as a request.
    assert_eq!(registry.requests().len(), 1);
}

#[tokio::test]
async fn requests_lists_the_whole_push_in_order() {
    let registry = Registry::start();
    let client = client();
    push_blob(&client, &registry, "counted", b"blob").await;
    let requests = registry.requests();
    let shape: Vec<(&str, bool)> = requests
        .iter()
        .map(|(method, path)| {
            (
                method.as_str(),
                path.starts_with("/v2/counted/blobs/uploads/"),
            )
        })
        .collect();
    assert_eq!(shape, [("POST", true), ("PUT", true)], "{requests:?}");
    assert!(requests[1].1.contains("digest=sha256"), "{requests:?}");
}

#[tokio::test]
async fn basic_auth_refuses_missing_and_wrong_credentials() {
    let registry = Registry::start_with_basic_auth("alice", "s3cret");
    let client = client();
    let v2 = format!("{}/v2/", registry.url());

    let anonymous = client.get(&v2).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let challenge = anonymous.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Basic "), "{challenge}");

    let wrong = client
        .get(&v2)
        .basic_auth("alice", Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let unknown = client
        .get(&v2)
        .basic_auth("bob", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    let right = client
        .get(&v2)
        .basic_auth("alice", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);

    let push = client
        .post(format!("{}/v2/private/blobs/uploads/", registry.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), StatusCode::UNAUTHORIZED);

    // Refused requests are counted too (the marker request works without credentials).
    let started = Instant::now();
    let requests = registry.requests();
    assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
    let v2 = ("GET".to_owned(), "/v2/".to_owned());
    assert_eq!(
        requests.iter().filter(|r| **r == v2).count(),
        4,
        "{requests:?}"
    );
    assert_eq!(requests.len(), 5, "{requests:?}");
}

#[test]
fn drop_stops_the_registry_and_deletes_its_storage() {
    let registry = Registry::start();
    let pid = registry.pid();
    let storage = registry.storage_dir();
    let host = registry.host();
    assert!(std::net::TcpStream::connect(&host).is_ok());
    drop(registry);
    assert!(crate::gone(pid), "registry pid {pid} still running");
    assert!(std::net::TcpStream::connect(&host).is_err());
    assert!(!storage.exists(), "{}", storage.display());
}

#[test]
fn two_registries_run_side_by_side() {
    let a = Registry::start();
    let b = Registry::start();
    assert_ne!(a.port(), b.port());
    assert_eq!(a.url(), format!("http://127.0.0.1:{}", a.port()));
}

#[test]
fn a_registry_that_dies_fails_with_its_own_log() {
    // The fixture's building blocks with the real binary and a config it rejects.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "version: 0.1\nstorage: {nosuchdriver: {}}\n").unwrap();
    let binary = sisyphus_test_support::require::binary(
        "docker-registry",
        "apt-get install -y docker-registry",
    );
    let mut command = std::process::Command::new(binary);
    command.arg("serve").arg(&config);
    let mut process = sisyphus_test_support::process::Process::spawn(
        "docker-registry",
        command,
        &dir.path().join("registry.log"),
    )
    .unwrap();
    let error = process
        .wait_ready(std::time::Duration::from_secs(10), || false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("`docker-registry` exited"), "{error}");
    assert!(error.contains("nosuchdriver"), "{error}");
}

#[test]
fn requests_of_a_dead_registry_fail_instead_of_reading_empty() {
    // Without the marker line the log may be incomplete: "no requests" would pass vacuously.
    let registry = Registry::start();
    let pid = nix::unistd::Pid::from_raw(i32::try_from(registry.pid()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
    let started = Instant::now();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| registry.requests()));
    let message = panic
        .err()
        .and_then(|p| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(
        message.contains("did not log the marker request") && message.contains("did it die?"),
        "{message}"
    );
    assert!(started.elapsed().as_secs() < 15);
}
