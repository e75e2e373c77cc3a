//! Resolving a plan: tags pinned on every run, one pull per digest, cached digests never
//! downloaded again, one loaded config shared by every image with the same digest.

use std::sync::Arc;

use sisyphus_core::app::EvalContext;
use sisyphus_resolve::{Options, resolve};
use sisyphus_test_support::Registry;

use crate::common::*;

#[tokio::test]
async fn pins_tags_pulls_each_digest_once_and_caches() {
    let registry = Registry::start();
    let client = client();
    let tmp = tempfile::tempdir().expect("tempdir");
    let digest = config_image(
        &tmp.path().join("c1"),
        "def main(ctx):\n    return Application(args = [ctx.cluster()])\n",
    );
    let host = registry.host();
    let (a, b) = (format!("{host}/acme/a:v1"), format!("{host}/acme/b:v1"));
    push(&client, &tmp.path().join("c1"), &[&a, &b]).await;
    let by_digest = format!("{host}/acme/a@{digest}");
    let plan = plan(vec![
        deployment("web", &a, 1),
        cronjob("job", &b, 20),
        deployment("pinned", &by_digest, 40),
    ]);
    let cache = tmp.path().join("cache");

    registry.reset_requests();
    let resolved = resolve(&plan, &client, &cache, &Options::default())
        .await
        .expect("resolve");
    assert_eq!(
        resolved.keys().collect::<Vec<_>>(),
        [&a, &by_digest, &b],
        "keyed by the image as written"
    );
    assert_eq!(resolved[&a].reference, format!("{host}/acme/a@{digest}"));
    assert_eq!(resolved[&b].reference, format!("{host}/acme/b@{digest}"));
    assert_eq!(resolved[&by_digest].reference, by_digest);
    for r in resolved.values() {
        assert_eq!(r.digest, digest);
        assert_eq!(r.index.binary_digest.as_str(), BINARY);
        assert!(Arc::ptr_eq(&r.config, &resolved[&a].config), "loaded once");
    }
    let ctx = EvalContext {
        cluster: Some("c1".to_owned()),
        environment: "prod".to_owned(),
        ..Default::default()
    };
    let app = resolved[&a].config.evaluate(&ctx).expect("evaluate");
    assert!(format!("{:?}", app.args).contains("c1"), "{:?}", app.args);

    // Two tags: two HEADs; the digest reference needs none. One digest: one manifest and one
    // layer download, from whichever repository comes first.
    let layer_gets = |r: &[(String, String)]| {
        r.iter()
            .filter(|(m, p)| m == "GET" && p.contains("/blobs/"))
            .count()
    };
    let first = requests(&registry);
    let heads: Vec<_> = first.iter().filter(|(m, _)| m == "HEAD").collect();
    assert_eq!(
        heads,
        [
            &("HEAD".to_owned(), "/v2/acme/a/manifests/v1".to_owned()),
            &("HEAD".to_owned(), "/v2/acme/b/manifests/v1".to_owned()),
        ]
    );
    assert!(first.contains(&("GET".to_owned(), format!("/v2/acme/a/manifests/{digest}"))));
    assert_eq!(layer_gets(&first), 1, "{first:?}");
    // Besides oci-client's `GET /v2/` auth probes: two HEADs, one manifest, one layer.
    let real = first.iter().filter(|(_, p)| p != "/v2/").count();
    assert_eq!(real, 4, "{first:?}");

    // Second run: the tags are resolved again, nothing is downloaded.
    registry.reset_requests();
    let again = resolve(
        &plan,
        &client,
        &cache,
        &Options {
            concurrency: 1,
            ..Options::default()
        },
    )
    .await
    .expect("resolve again");
    assert_eq!(again.len(), 3);
    let second = requests(&registry);
    assert!(second.iter().all(|(m, _)| m == "HEAD"), "{second:?}");
    assert_eq!(second.len(), 2, "{second:?}");
}

#[tokio::test]
async fn a_moved_tag_is_seen_on_the_next_run() {
    let registry = Registry::start();
    let client = client();
    let tmp = tempfile::tempdir().expect("tempdir");
    let tag = format!("{}/acme/app:latest", registry.host());
    let first = config_image(
        &tmp.path().join("c1"),
        "def main(ctx):\n    return Application()\n",
    );
    push(&client, &tmp.path().join("c1"), &[&tag]).await;
    let plan = plan(vec![deployment("web", &tag, 1)]);
    let cache = tmp.path().join("cache");
    let r1 = resolve(&plan, &client, &cache, &Options::default())
        .await
        .expect("resolve");
    assert_eq!(r1[&tag].digest, first);

    let second = config_image(
        &tmp.path().join("c2"),
        "def main(ctx):\n    return Application(args = [\"v2\"])\n",
    );
    assert_ne!(first, second);
    push(&client, &tmp.path().join("c2"), &[&tag]).await;
    let r2 = resolve(&plan, &client, &cache, &Options::default())
        .await
        .expect("resolve");
    assert_eq!(r2[&tag].digest, second);
    assert!(r2[&tag].reference.ends_with(&format!("@{second}")));
}
