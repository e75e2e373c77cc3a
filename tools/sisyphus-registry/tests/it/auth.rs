use sisyphus_registry::{Client, ClientConfig, CredentialSource, Error, push_layout, resolve};
use sisyphus_test_support::registry::Registry;

use crate::common::*;

fn client_with(source: CredentialSource) -> Client {
    sisyphus_registry::install_tls_provider();
    Client::new(ClientConfig {
        insecure: vec![],
        credentials: source,
    })
}

#[tokio::test]
async fn basic_auth_from_config_json_and_refusal_without() {
    let registry = Registry::start_with_basic_auth("alice", "s3cret");
    let tmp = tmp();
    let docker_dir = tmp.path().join("docker");
    std::fs::create_dir_all(&docker_dir).unwrap();
    // base64("alice:s3cret")
    std::fs::write(
        docker_dir.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"YWxpY2U6czNjcmV0"}}}}}}"#,
            registry.host()
        ),
    )
    .unwrap();
    let with_creds = client_with(CredentialSource::from_env(|k| {
        (k == "DOCKER_CONFIG").then(|| docker_dir.display().to_string())
    }));
    let bin = path(&tmp, "bin");
    let digest = binary_image(&bin, "x");
    let r = reference(&format!("{}/private/app:v1", registry.host()));
    push_layout(&with_creds, &bin, std::slice::from_ref(&r), &no_progress())
        .await
        .unwrap();
    assert_eq!(resolve(&with_creds, &r).await.unwrap(), digest);
    // Config images are pulled with bounded GETs of our own (issue #11), with the same
    // credentials; anonymous pulls are refused.
    let cfg = path(&tmp, "cfg");
    let cfg_digest = config_image(&cfg, &digest, "def main(ctx): pass\n");
    let cfg_ref = reference(&format!("{}/private/cfg:v1", registry.host()));
    push_layout(
        &with_creds,
        &cfg,
        std::slice::from_ref(&cfg_ref),
        &no_progress(),
    )
    .await
    .unwrap();
    let (pulled, image) =
        sisyphus_registry::pull_config_image(&with_creds, &cfg_ref, &tmp.path().join("cache"))
            .await
            .unwrap();
    assert_eq!(pulled, cfg_digest);
    assert_eq!(image.paths(), ["index.json", "main.star"]);
    let pinned = cfg_ref.with_digest(cfg_digest.clone());
    let err = sisyphus_registry::pull_config_image(
        &client_with(CredentialSource::anonymous()),
        &pinned,
        &tmp.path().join("cache2"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::AuthenticationRequired { .. }),
        "{err:?}"
    );

    // Anonymous: refused with a clear error.
    let err = resolve(&client_with(CredentialSource::anonymous()), &r)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AuthenticationRequired { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("authentication required for `{}`", registry.host())
    );
    assert!(err.hint().unwrap().contains("docker login"));

    // Wrong password: also 401.
    std::fs::write(
        docker_dir.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"YWxpY2U6d3Jvbmc="}}}}}}"#,
            registry.host()
        ),
    )
    .unwrap();
    let wrong = client_with(CredentialSource {
        docker_configs: vec![docker_dir.join("config.json")],
        podman_auth_files: vec![],
    });
    assert!(matches!(
        resolve(&wrong, &r).await,
        Err(Error::AuthenticationRequired { .. })
    ));
}

#[tokio::test]
async fn anonymous_registry_needs_no_config_file() {
    let registry = Registry::start();
    let tmp = tmp();
    // Point every credential location at files that do not exist.
    let client = client_with(CredentialSource {
        docker_configs: vec![tmp.path().join("nope/config.json")],
        podman_auth_files: vec![tmp.path().join("nope/auth.json")],
    });
    let bin = path(&tmp, "bin");
    let digest = binary_image(&bin, "x");
    let r = reference(&format!("{}/public/app:v1", registry.host()));
    push_layout(&client, &bin, std::slice::from_ref(&r), &no_progress())
        .await
        .unwrap();
    assert_eq!(resolve(&client, &r).await.unwrap(), digest);
}
