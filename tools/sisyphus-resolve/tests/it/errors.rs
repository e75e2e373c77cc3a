//! Every failing config image is reported at once, naming the image, the resources using it
//! and where they write it (`config.image`; the resource's location in a plan without it).

use sisyphus_resolve::{Error, Options, resolve};
use sisyphus_test_support::Registry;

use crate::common::*;

#[tokio::test]
async fn every_failure_names_the_image_and_its_resources() {
    let registry = Registry::start();
    let client = client();
    let tmp = tempfile::tempdir().expect("tempdir");
    let host = registry.host();
    let good = format!("{host}/acme/good:v1");
    let broken = format!("{host}/acme/broken:v1");
    let missing = format!("{host}/acme/good:missing");
    config_image(
        &tmp.path().join("good"),
        "def main(ctx):\n    return Application()\n",
    );
    push(&client, &tmp.path().join("good"), &[&good]).await;
    let broken_digest = config_image(&tmp.path().join("broken"), "def main(ctx)\n    return 1\n");
    push(&client, &tmp.path().join("broken"), &[&broken]).await;

    let plan = plan(vec![
        deployment("ok", &good, 1),
        deployment("gone", &missing, 10),
        cronjob("gone-job", &missing, 20),
        deployment("bad-ref", "Not A Reference", 30),
        deployment("bad-star", &broken, 40),
    ]);
    let errors = resolve(
        &plan,
        &client,
        &tmp.path().join("cache"),
        &Options::default(),
    )
    .await
    .expect_err("three images fail");
    assert_eq!(
        errors.resolved.keys().collect::<Vec<_>>(),
        [&good],
        "the good one is still returned"
    );
    let errors = errors.errors;
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            format!(
                "echo/index.yaml:14:10: failed to resolve config image `{missing}` for \
                 Deployment echo/gone (also used by CronJob echo/gone-job at echo/index.yaml:24:10)"
            ),
            "echo/index.yaml:34:10: invalid config image reference `Not A Reference` in \
             Deployment echo/bad-ref"
                .to_owned(),
            format!(
                "echo/index.yaml:44:10: failed to load the Starlark of config image \
                 `{host}/acme/broken@{broken_digest}` (`{broken}`) for Deployment echo/bad-star"
            ),
        ]
    );
    let Error::Resolve { source, .. } = &errors[0] else {
        panic!("{:?}", errors[0]);
    };
    assert_eq!(
        source.to_string(),
        format!("`{missing}` not found in repository `{host}/acme/good`")
    );
    let Error::Load { source, .. } = &errors[2] else {
        panic!("{:?}", errors[2]);
    };
    assert!(source.to_string().contains("main.star:1"), "{source}");
}

/// A plan written before `config.image` locations were recorded: the resource's location.
#[tokio::test]
async fn without_an_image_location_the_error_points_at_the_resource() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut resource = deployment("bad-ref", "Not A Reference", 30);
    if let sisyphus_core::production::ResourceSpec::Deployment(d) = &mut resource.spec {
        d.config.image_location = sisyphus_core::production::SourceLocation::default();
    }
    let errors = resolve(
        &plan(vec![resource]),
        &client(),
        &tmp.path().join("cache"),
        &Options::default(),
    )
    .await
    .expect_err("not a reference")
    .errors;
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "echo/index.yaml:30:1: invalid config image reference `Not A Reference` in \
          Deployment echo/bad-ref"
        ]
    );
}

#[tokio::test]
async fn an_unreachable_registry_has_a_hint() {
    // A port nothing listens on (the registry is stopped when dropped).
    let host = Registry::start().host();
    let client = client();
    let tmp = tempfile::tempdir().expect("tempdir");
    let image = format!("{host}/acme/app:v1");
    let plan = plan(vec![deployment("web", &image, 3)]);
    let errors = resolve(
        &plan,
        &client,
        &tmp.path().join("cache"),
        &Options::default(),
    )
    .await
    .expect_err("unreachable")
    .errors;
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().starts_with(&format!(
            "echo/index.yaml:7:10: failed to resolve config image `{image}`"
        )),
        "{}",
        errors[0]
    );
    assert!(
        errors[0]
            .hint()
            .is_some_and(|h| h.contains("is the registry running"))
    );
}

#[tokio::test]
async fn an_image_that_is_not_a_config_image_fails_to_pull() {
    let registry = Registry::start();
    let client = client();
    let tmp = tempfile::tempdir().expect("tempdir");
    let image = format!("{}/acme/echo:v1", registry.host());
    let input = sisyphus_oci::build::ImageInput {
        files: vec![sisyphus_oci::layer::LayerFile {
            path: "/app/echo".to_owned(),
            contents: b"#!/bin/sh\n".to_vec(),
            executable: true,
        }],
        ..Default::default()
    };
    let digest = sisyphus_oci::build::image(&tmp.path().join("bin"), &input).expect("image");
    push(&client, &tmp.path().join("bin"), &[&image]).await;
    let plan = plan(vec![deployment("web", &image, 7)]);
    let errors = resolve(
        &plan,
        &client,
        &tmp.path().join("cache"),
        &Options::default(),
    )
    .await
    .expect_err("not a config image")
    .errors;
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        format!(
            "echo/index.yaml:11:10: failed to pull config image `{}/acme/echo@{digest}` (`{image}`) \
             for Deployment echo/web",
            registry.host()
        )
    );
    assert!(matches!(
        &errors[0],
        Error::Pull {
            source: sisyphus_registry::Error::Content { .. },
            ..
        }
    ));
    assert!(
        !tmp.path()
            .join("cache/config-images/sha256")
            .join(digest.hex())
            .exists(),
        "nothing cached"
    );
}
