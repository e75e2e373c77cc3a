use std::sync::Mutex;

use sisyphus_oci::spec::media_type;
use sisyphus_registry::{PushEvent, check, pull_config_image, push_layout, resolve};
use sisyphus_test_support::registry::Registry;

use crate::common::*;

#[tokio::test]
async fn push_resolve_pull_and_retag() {
    let registry = Registry::start();
    let client = client();
    let tmp = tmp();
    let binary = binary_image(&path(&tmp, "bin"), "v1");
    let first = config_image(&path(&tmp, "c1"), &binary, "def main(ctx): pass\n");
    let tag = reference(&format!("{}/team/app-config:prod", registry.host()));

    let events = Mutex::new(Vec::new());
    let record = |e: PushEvent| events.lock().unwrap().push(e);
    let pushed = push_layout(
        &client,
        &path(&tmp, "c1"),
        std::slice::from_ref(&tag),
        &record,
    )
    .await
    .unwrap();
    assert_eq!(pushed, first);
    {
        let events = events.lock().unwrap();
        let pushed_blobs = events
            .iter()
            .filter(|e| matches!(e, PushEvent::BlobPushed { .. }))
            .count();
        assert_eq!(pushed_blobs, 2, "config and layer: {events:?}");
        assert!(events.contains(&PushEvent::Tagged {
            reference: tag.to_string()
        }));
    }
    // The digest is the manifest's, not a layer's (the old tool's bug).
    assert_eq!(resolve(&client, &tag).await.unwrap(), first);

    let cache = tmp.path().join("cache");
    let (digest, image) = pull_config_image(&client, &tag, &cache).await.unwrap();
    assert_eq!(digest, first);
    assert_eq!(image.index.binary_digest, binary);
    assert_eq!(image.files["main.star"], "def main(ctx): pass\n");

    // Pushing again skips every blob.
    events.lock().unwrap().clear();
    push_layout(
        &client,
        &path(&tmp, "c1"),
        std::slice::from_ref(&tag),
        &record,
    )
    .await
    .unwrap();
    assert!(
        !events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, PushEvent::BlobPushed { .. }))
    );

    // Retag: new content under the same tag resolves to the new digest.
    let second = config_image(&path(&tmp, "c2"), &binary, "def main(ctx): return None\n");
    assert_ne!(first, second);
    push_layout(
        &client,
        &path(&tmp, "c2"),
        std::slice::from_ref(&tag),
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(resolve(&client, &tag).await.unwrap(), second);
    let (digest, image) = pull_config_image(&client, &tag, &cache).await.unwrap();
    assert_eq!(digest, second);
    assert_eq!(image.files["main.star"], "def main(ctx): return None\n");
}

#[tokio::test]
async fn digest_references_resolve_without_a_request() {
    let registry = Registry::start();
    let client = client();
    let d = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";
    let r = reference(&format!("{}/x@{d}", registry.host()));
    registry.reset_requests();
    assert_eq!(resolve(&client, &r).await.unwrap().as_str(), d);
    assert_eq!(registry.requests(), Vec::<(String, String)>::new());
}

#[tokio::test]
async fn single_manifests_oci_indexes_and_docker_lists_resolve_to_their_own_digest() {
    let registry = Registry::start();
    let client = client();
    let tmp = tmp();
    let amd = path(&tmp, "amd");
    let single = binary_image(&amd, "amd64");
    let index_dir = path(&tmp, "index");
    let index = sisyphus_oci::build::index(&index_dir, std::slice::from_ref(&amd)).unwrap();

    // A Docker manifest list over the same image, built by hand.
    let list_dir = path(&tmp, "list");
    copy_dir(&index_dir, &list_dir);
    let list_json = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        media_type::DOCKER_MANIFEST_LIST,
        media_type::OCI_MANIFEST,
        single,
        std::fs::metadata(sisyphus_oci::layout::blob_path(&amd, &single))
            .unwrap()
            .len(),
    );
    let writer_digest = sisyphus_oci::sha256(list_json.as_bytes());
    std::fs::write(
        sisyphus_oci::layout::blob_path(&list_dir, &writer_digest),
        &list_json,
    )
    .unwrap();
    std::fs::write(
        list_dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{}","digest":"{writer_digest}","size":{}}}]}}"#,
            media_type::DOCKER_MANIFEST_LIST,
            list_json.len()
        ),
    )
    .unwrap();

    let host = registry.host();
    for (dir, tag, expected) in [
        (&amd, "single", &single),
        (&index_dir, "index", &index),
        (&list_dir, "list", &writer_digest),
    ] {
        let r = reference(&format!("{host}/bin:{tag}"));
        push_layout(&client, dir, std::slice::from_ref(&r), &no_progress())
            .await
            .unwrap();
        registry.reset_requests();
        assert_eq!(&resolve(&client, &r).await.unwrap(), expected, "{tag}");
        let requests = registry.requests();
        // Exactly one request: a HEAD, never a GET of the manifest or an auth probe.
        assert_eq!(
            requests,
            [("HEAD".to_owned(), format!("/v2/bin/manifests/{tag}"))],
            "one HEAD per resolve ({tag})"
        );
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn check_asks_the_registry_even_for_a_digest_and_finds_a_deleted_manifest_gone() {
    let registry = Registry::start();
    let client = client();
    let tmp = tmp();
    let binary = binary_image(&path(&tmp, "bin"), "v1");
    let digest = config_image(&path(&tmp, "c1"), &binary, "def main(ctx): pass\n");
    let tag = reference(&format!("{}/team/app-config:prod", registry.host()));
    push_layout(
        &client,
        &path(&tmp, "c1"),
        std::slice::from_ref(&tag),
        &no_progress(),
    )
    .await
    .unwrap();
    let by_digest = reference(&format!("{}/team/app-config@{digest}", registry.host()));
    registry.reset_requests();
    assert_eq!(check(&client, &by_digest).await.unwrap(), digest);
    let asked = registry.requests();
    assert!(
        asked
            .iter()
            .any(|(method, path)| method == "HEAD" && path.ends_with(&digest.to_string())),
        "one HEAD of the manifest by digest: {asked:?}"
    );

    registry.delete_manifest("team/app-config", &digest.to_string());
    let gone = check(&client, &by_digest).await.unwrap_err();
    assert!(
        matches!(gone, sisyphus_registry::Error::NotFound { .. }),
        "{gone:?}"
    );
    // resolve() still answers a digest reference without asking: that is why check exists.
    assert_eq!(resolve(&client, &by_digest).await.unwrap(), digest);
}
